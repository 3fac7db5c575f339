//! [`ReadHalf`] and [`WriteHalf`]: owned halves of a stream socket.

use std::fmt;
use std::rc::Rc;

/// The reading half of a stream split with `into_split`: futures-io's
/// `AsyncRead` (and tokio's, with the `tokio` feature).
pub struct ReadHalf<T> {
    inner: Rc<T>,
}

/// The writing half of a stream split with `into_split`: futures-io's
/// `AsyncWrite` (and tokio's, with the `tokio` feature). Closing it
/// (futures-io's `close`, tokio's `shutdown`) shuts the write direction
/// down.
pub struct WriteHalf<T> {
    inner: Rc<T>,
}

pub(crate) fn split<T>(stream: T) -> (ReadHalf<T>, WriteHalf<T>) {
    let inner = Rc::new(stream);
    (
        ReadHalf {
            inner: inner.clone(),
        },
        WriteHalf { inner },
    )
}

/// The halves given to [`ReadHalf::reunite`] came from different streams.
#[derive(Debug)]
pub struct ReuniteError<T>(pub ReadHalf<T>, pub WriteHalf<T>);

impl<T> fmt::Display for ReuniteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the two halves belong to different streams")
    }
}

impl<T: fmt::Debug> std::error::Error for ReuniteError<T> {}

impl<T> ReadHalf<T> {
    /// The stream both halves share.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// Puts the stream back together.
    ///
    /// # Errors
    ///
    /// [`ReuniteError`] (with both halves) if they came from different
    /// streams.
    pub fn reunite(self, write: WriteHalf<T>) -> Result<T, ReuniteError<T>> {
        if !Rc::ptr_eq(&self.inner, &write.inner) {
            return Err(ReuniteError(self, write));
        }
        drop(write);
        Ok(Rc::try_unwrap(self.inner)
            .unwrap_or_else(|_| unreachable!("the two halves were the only owners")))
    }
}

impl<T> WriteHalf<T> {
    /// The stream both halves share.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for ReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReadHalf").field(&self.inner).finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for WriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WriteHalf").field(&self.inner).finish()
    }
}
