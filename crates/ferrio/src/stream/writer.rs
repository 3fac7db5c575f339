//! [`StreamWriter`]: asyncio's writer — `write` never waits, `drain`
//! waits while the buffer is above the high-water mark.
//!
//! `write` first tries the transport directly; what does not fit is
//! buffered, and a small task of the loop (named `ferrio.stream.flush`)
//! sends the buffer as the transport accepts it, as an asyncio transport's
//! writer callback does. That task alone drives the transport's write side,
//! so `drain`, `close` and `wait_closed` only wait for it. It exits when
//! the buffer is empty, and sends EOF or closes the connection once
//! flushed when asked to.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::error::{StreamError, WriteError};
use super::transport::Conn;
use crate::sync::Event;

/// asyncio's default high-water mark: 64 KiB (the low-water mark is a
/// quarter of it).
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Open,
    /// `write_eof`: shut the write side down once flushed.
    Eof,
    /// `close`: shut down and release the connection once flushed.
    Close,
}

struct State {
    conn: Rc<Conn>,
    buf: RefCell<Vec<u8>>,
    /// Bytes of `buf` already sent.
    sent: Cell<usize>,
    high: Cell<usize>,
    low: Cell<usize>,
    paused: Cell<bool>,
    /// Set while not paused (and on failure): what `drain` waits for.
    resumed: Event,
    flushing: Cell<bool>,
    ending: Cell<Ending>,
    /// The ending was carried out (EOF sent, or connection closed).
    ended: Cell<bool>,
    closed: Event,
    error: RefCell<Option<StreamError>>,
}

impl State {
    fn pending(&self) -> usize {
        self.buf.borrow().len() - self.sent.get()
    }

    fn update_pause(&self) {
        let pending = self.pending();
        if !self.paused.get() && pending > self.high.get() {
            self.paused.set(true);
            self.resumed.clear();
        } else if self.paused.get() && pending <= self.low.get() {
            self.paused.set(false);
            self.resumed.set();
        }
    }

    fn fail(&self, e: io::Error) {
        if self.error.borrow().is_none() {
            *self.error.borrow_mut() = Some(StreamError::new(e));
        }
        self.buf.borrow_mut().clear();
        self.sent.set(0);
        self.paused.set(false);
        self.conn.release();
        self.resumed.set();
        self.closed.set();
    }

    /// Sends the buffer until it is empty, then flushes the transport.
    fn poll_flush_buffer(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let Some(transport) = self.conn.transport() else {
                return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
            };
            if self.pending() == 0 {
                self.buf.borrow_mut().clear();
                self.sent.set(0);
                return match transport.poll_flush(cx) {
                    Poll::Pending => crate::net::io::pending("stream flush"),
                    ready => ready,
                };
            }
            let polled = {
                let buf = self.buf.borrow();
                transport.poll_write(cx, &buf[self.sent.get()..])
            };
            match polled {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.sent.set(self.sent.get() + n);
                    self.update_pause();
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                // A ferrio socket delivered a cancellation already; another
                // transport cannot: look here.
                Poll::Pending => return crate::net::io::pending("stream flush"),
            }
        }
    }
}

/// Marks the flusher gone when its task ends — also when it is dropped
/// before it first runs (cancelled at once, or the loop closing).
/// A flusher dropped before it ever ran (its task was cancelled at once)
/// starts another while work remains, so that `drain` and `wait_closed`
/// never wait for a flusher that is gone.
struct Flushing {
    state: Rc<State>,
    started: bool,
}

impl Drop for Flushing {
    fn drop(&mut self) {
        let state = &self.state;
        state.flushing.set(false);
        let work_left =
            state.pending() > 0 || (state.ending.get() != Ending::Open && !state.ended.get());
        if !self.started && work_left && state.error.borrow().is_none() {
            ensure_flusher(state);
        }
    }
}

/// Starts the flusher task unless it runs.
fn ensure_flusher(state: &Rc<State>) {
    if state.flushing.get() {
        return;
    }
    state.flushing.set(true);
    let spawned = crate::task::Builder::new()
        .name("ferrio.stream.flush")
        .spawn(flush(Flushing {
            state: state.clone(),
            started: false,
        }));
    match spawned {
        Ok(task) => task.detach(),
        // The loop is closing; the dropped future's guard cleared
        // `flushing` (and could not start another).
        Err(e) => state.fail(io::Error::other(e)),
    }
}

/// The flusher task: sends the buffer, then carries out `write_eof` or
/// `close`.
async fn flush(mut flushing: Flushing) {
    flushing.started = true;
    let state = flushing.state.clone();
    let result = poll_fn(|cx| state.poll_flush_buffer(cx)).await;
    let result = match result {
        Ok(()) if state.ending.get() != Ending::Open && !state.ended.get() => {
            match state.conn.transport() {
                Some(t) => poll_fn(|cx| t.poll_shutdown(cx)).await,
                None => Ok(()),
            }
        }
        other => other,
    };
    drop(flushing);
    match result {
        Ok(()) => match state.ending.get() {
            Ending::Open => {}
            Ending::Eof => state.ended.set(true),
            Ending::Close => {
                state.ended.set(true);
                state.conn.release();
                state.closed.set();
            }
        },
        // Cancelled (the loop is shutting down): the bytes stay buffered
        // and the next write, drain or close starts a new flusher.
        Err(e) if crate::net::is_cancelled(&e) => {}
        Err(e) => state.fail(e),
    }
}

/// The writing side of a stream: asyncio's `StreamWriter`.
///
/// ```
/// use ferrio::stream;
///
/// ferrio::run(async {
///     let server = stream::start_server(
///         |mut reader: stream::StreamReader, writer: stream::StreamWriter| async move {
///             let line = reader.readline().await.unwrap();
///             writer.write(&line).unwrap();
///             writer.drain().await.unwrap();
///         },
///         ("127.0.0.1", 0),
///     )
///     .await
///     .unwrap();
///     let addr = server.sockets()[0];
///     let (mut reader, writer) = stream::open_connection(addr).await.unwrap();
///     writer.write(b"echo me\n").unwrap();
///     writer.drain().await.unwrap();
///     assert_eq!(reader.readline().await.unwrap(), b"echo me\n");
///     writer.close();
///     writer.wait_closed().await.unwrap();
///     server.close();
///     server.wait_closed().await.unwrap();
/// })
/// .unwrap();
/// ```
pub struct StreamWriter {
    state: Rc<State>,
}

impl StreamWriter {
    pub(crate) fn new(conn: Rc<Conn>) -> StreamWriter {
        let resumed = Event::new();
        resumed.set();
        StreamWriter {
            state: Rc::new(State {
                conn,
                buf: RefCell::new(Vec::new()),
                sent: Cell::new(0),
                high: Cell::new(DEFAULT_HIGH_WATER),
                low: Cell::new(DEFAULT_HIGH_WATER / 4),
                paused: Cell::new(false),
                resumed,
                flushing: Cell::new(false),
                ending: Cell::new(Ending::Open),
                ended: Cell::new(false),
                closed: Event::new(),
                error: RefCell::new(None),
            }),
        }
    }

    #[cfg(feature = "tls")]
    pub(crate) fn conn(&self) -> &Rc<Conn> {
        &self.state.conn
    }

    fn failed(&self) -> Result<(), WriteError> {
        match &*self.state.error.borrow() {
            Some(e) => Err(WriteError::Failed(e.clone())),
            None => Ok(()),
        }
    }

    /// Queues `data` for sending: asyncio's `write()`. Never waits: what the
    /// transport does not take at once is buffered and sent in the
    /// background. Call [`drain`](Self::drain) to wait while the buffer is
    /// too full.
    ///
    /// # Errors
    ///
    /// [`WriteError::Closed`] after [`close`](Self::close) or
    /// [`write_eof`](Self::write_eof); [`WriteError::Failed`] once the
    /// transport failed.
    pub fn write(&self, data: &[u8]) -> Result<(), WriteError> {
        self.failed()?;
        let state = &self.state;
        if state.ending.get() != Ending::Open {
            return Err(WriteError::Closed);
        }
        if data.is_empty() {
            return Ok(());
        }
        let mut rest = data;
        if state.pending() == 0 && !state.flushing.get() {
            // Fast path: straight to the transport, as asyncio's transports
            // try `send` first.
            // `write` is no await: a pending cancellation is left for the
            // caller's next one.
            if let Some(transport) = state.conn.transport() {
                let mut cx = Context::from_waker(Waker::noop());
                let outcome = crate::net::io::outside_await(|| {
                    while !rest.is_empty() {
                        match transport.poll_write(&mut cx, rest) {
                            Poll::Ready(Ok(0)) | Poll::Pending => return Ok(false),
                            Poll::Ready(Ok(n)) => rest = &rest[n..],
                            Poll::Ready(Err(e)) => return Err(e),
                        }
                    }
                    // All taken: a TLS transport may still hold records.
                    match transport.poll_flush(&mut cx) {
                        Poll::Ready(Ok(())) => Ok(true),
                        Poll::Pending => Ok(false),
                        Poll::Ready(Err(e)) => Err(e),
                    }
                });
                match outcome {
                    Ok(true) => return Ok(()),
                    Ok(false) => {}
                    Err(e) => {
                        state.fail(e);
                        return self.failed();
                    }
                }
            }
        }
        // What the transport did not take (or did not flush yet) is the
        // flusher's.
        if !rest.is_empty() {
            state.buf.borrow_mut().extend_from_slice(rest);
            state.update_pause();
        }
        self.ensure_flusher();
        Ok(())
    }

    /// `write` for each buffer: asyncio's `writelines()`.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    pub fn writelines<I, B>(&self, lines: I) -> Result<(), WriteError>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        for line in lines {
            self.write(line.as_ref())?;
        }
        Ok(())
    }

    fn ensure_flusher(&self) {
        ensure_flusher(&self.state);
    }

    /// Waits while the buffer is above the high-water mark, until it is
    /// back at the low-water mark: asyncio's `drain()`. Returns at once
    /// when the buffer is below the mark. This is how a fast writer is held
    /// back by a slow reader.
    ///
    /// # Errors
    ///
    /// [`WriteError::Failed`] if the transport failed (the buffered bytes
    /// are lost); [`WriteError::Cancelled`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the buffered bytes are still sent.
    pub async fn drain(&self) -> Result<(), WriteError> {
        loop {
            self.failed()?;
            if !self.state.paused.get() {
                return Ok(());
            }
            if !self.state.flushing.get() {
                self.ensure_flusher();
            }
            self.state.resumed.wait().await?;
        }
    }

    #[cfg(feature = "tls")]
    /// Waits until every buffered byte was handed to the transport.
    pub(crate) async fn flush_all(&self) -> Result<(), WriteError> {
        let (high, low) = self.write_buffer_limits();
        self.set_write_buffer_limits(0, Some(0));
        let drained = self.drain().await;
        self.set_write_buffer_limits(high, Some(low));
        drained?;
        while self.state.flushing.get() {
            crate::time::yield_now().await?;
        }
        self.failed()
    }

    /// Sends EOF once the buffer is flushed (a half-close: the peer reads
    /// EOF, and this side can still read): asyncio's `write_eof()`.
    /// Further writes fail with [`WriteError::Closed`].
    pub fn write_eof(&self) {
        if self.state.ending.get() == Ending::Open && self.state.error.borrow().is_none() {
            self.state.ending.set(Ending::Eof);
            self.ensure_flusher();
        }
    }

    /// Whether [`write_eof`](Self::write_eof) is supported: always.
    pub fn can_write_eof(&self) -> bool {
        true
    }

    /// Closes the connection once the buffer is flushed: asyncio's
    /// `close()`. Never waits; [`wait_closed`](Self::wait_closed) does.
    /// The reader of the connection then reads what it had buffered, then
    /// EOF.
    pub fn close(&self) {
        let state = &self.state;
        if state.ending.get() == Ending::Close || state.error.borrow().is_some() {
            return;
        }
        let eof_sent = state.ended.get();
        state.ending.set(Ending::Close);
        if eof_sent && state.pending() == 0 && !state.flushing.get() {
            state.conn.release();
            state.closed.set();
        } else {
            state.ended.set(false);
            self.ensure_flusher();
        }
    }

    /// Whether [`close`](Self::close) was called or the connection failed:
    /// asyncio's `is_closing()`.
    pub fn is_closing(&self) -> bool {
        self.state.ending.get() == Ending::Close || self.state.error.borrow().is_some()
    }

    /// Waits until the connection is closed: asyncio's `wait_closed()`.
    ///
    /// # Errors
    ///
    /// [`WriteError::Failed`] if the connection failed before the buffer
    /// was flushed; [`WriteError::Cancelled`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: closing goes on.
    pub async fn wait_closed(&self) -> Result<(), WriteError> {
        self.state.closed.wait().await?;
        self.failed()
    }

    /// Bytes buffered and not yet sent: asyncio's
    /// `transport.get_write_buffer_size()`.
    pub fn write_buffer_size(&self) -> usize {
        self.state.pending()
    }

    /// Sets the high- and low-water marks: asyncio's
    /// `transport.set_write_buffer_limits(high, low)`. `low` defaults to a
    /// quarter of `high`, and is capped at `high`.
    pub fn set_write_buffer_limits(&self, high: usize, low: Option<usize>) {
        let low = low.unwrap_or(high / 4).min(high);
        self.state.high.set(high);
        self.state.low.set(low);
        self.state.update_pause();
    }

    /// The high- and low-water marks.
    pub fn write_buffer_limits(&self) -> (usize, usize) {
        (self.state.high.get(), self.state.low.get())
    }

    /// The peer, as the transport describes it (an address), if known:
    /// asyncio's `get_extra_info('peername')`.
    pub fn peer(&self) -> Option<String> {
        self.state.conn.peer.borrow().clone()
    }
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamWriter")
            .field("buffered", &self.state.pending())
            .field("paused", &self.state.paused.get())
            .field("ending", &self.state.ending.get())
            .field("transport", &self.state.conn)
            .finish()
    }
}
