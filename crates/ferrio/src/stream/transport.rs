//! What a stream runs over, shared by its reader and writer: a
//! [`Transport`] behind a connection cell that `close` empties and
//! `start_tls` swaps.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_io::{AsyncRead, AsyncWrite};

/// A bidirectional byte stream operated through `&self`, so that a
/// reader and a writer can share it.
pub(crate) trait Transport {
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    fn poll_shutdown(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// A socket whose I/O traits are implemented on `&T` (TCP, Unix).
pub(crate) struct Direct<T>(pub(crate) T);

impl<T> Transport for Direct<T>
where
    for<'a> &'a T: AsyncRead + AsyncWrite,
{
    #[inline]
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &self.0).poll_read(cx, buf)
    }

    #[inline]
    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &self.0).poll_write(cx, buf)
    }

    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &self.0).poll_flush(cx)
    }

    fn poll_shutdown(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &self.0).poll_close(cx)
    }
}

/// Any `AsyncRead + AsyncWrite` value (a TLS stream, an in-memory pipe),
/// borrowed mutably for the length of each call only.
pub(crate) struct Exclusive<T>(pub(crate) RefCell<T>);

impl<T: AsyncRead + AsyncWrite + Unpin> Transport for Exclusive<T> {
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_read(cx, buf)
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_write(cx, buf)
    }

    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_flush(cx)
    }

    fn poll_shutdown(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_close(cx)
    }
}

/// The connection a reader and a writer share.
pub(crate) struct Conn {
    transport: RefCell<Option<Rc<dyn Transport>>>,
    /// What the peer is, for `Debug` and `peer()`.
    pub(crate) peer: RefCell<Option<String>>,
    /// The reader's last waker, woken when the connection is released so
    /// that a pending read sees EOF.
    reader: RefCell<Option<Waker>>,
    released: Cell<bool>,
}

impl Conn {
    pub(crate) fn new(transport: Rc<dyn Transport>, peer: Option<String>) -> Rc<Conn> {
        Rc::new(Conn {
            transport: RefCell::new(Some(transport)),
            peer: RefCell::new(peer),
            reader: RefCell::new(None),
            released: Cell::new(false),
        })
    }

    /// The transport, unless the connection was released.
    #[inline]
    pub(crate) fn transport(&self) -> Option<Rc<dyn Transport>> {
        self.transport.borrow().clone()
    }

    #[cfg(feature = "tls")]
    /// Replaces the transport (`start_tls`).
    pub(crate) fn replace(&self, transport: Rc<dyn Transport>) {
        *self.transport.borrow_mut() = Some(transport);
    }

    #[cfg(feature = "tls")]
    /// Takes the transport out (`start_tls` wraps it).
    pub(crate) fn take(&self) -> Option<Rc<dyn Transport>> {
        self.transport.borrow_mut().take()
    }

    /// Drops the transport (closing the socket once no call holds it) and
    /// wakes the reader.
    pub(crate) fn release(&self) {
        self.released.set(true);
        let transport = self.transport.borrow_mut().take();
        drop(transport);
        if let Some(w) = self.reader.borrow_mut().take() {
            w.wake();
        }
    }

    pub(crate) fn is_released(&self) -> bool {
        self.released.get()
    }

    pub(crate) fn park_reader(&self, waker: &Waker) {
        let mut slot = self.reader.borrow_mut();
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("peer", &self.peer.borrow())
            .field("released", &self.released.get())
            .finish()
    }
}

#[cfg(feature = "tls")]
/// A transport as an owned futures-io object, for wrapping (TLS).
pub(crate) struct SharedIo {
    pub(crate) transport: Rc<dyn Transport>,
    /// Bytes the reader had buffered already, read first.
    pub(crate) prefix: Vec<u8>,
}

#[cfg(feature = "tls")]
impl AsyncRead for SharedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.len());
            buf[..n].copy_from_slice(&self.prefix[..n]);
            self.prefix.drain(..n);
            return Poll::Ready(Ok(n));
        }
        self.transport.poll_read(cx, buf)
    }
}

#[cfg(feature = "tls")]
impl AsyncWrite for SharedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.transport.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.transport.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.transport.poll_shutdown(cx)
    }
}
