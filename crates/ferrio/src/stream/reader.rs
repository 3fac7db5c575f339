//! [`StreamReader`]: asyncio's buffered reader — `read`, `readline`,
//! `readuntil`, `readexactly` — and [`StreamFeeder`], which feeds one.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::buffer::{ReadBuffer, MIN_ROOM};
use super::error::{IncompleteRead, LimitOverrun, ReadError, StreamError};
use super::framing::{self, Scan};
use super::transport::Conn;
use crate::task::{note_wait, take_pending_cancel};

/// asyncio's default reader limit: 64 KiB.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// State shared with the feeder.
#[derive(Default)]
struct Shared {
    buf: RefCell<ReadBuffer>,
    eof: Cell<bool>,
    error: RefCell<Option<StreamError>>,
    /// Bumped by every feed, EOF and exception: a waiting read looks again.
    version: Cell<u64>,
    waker: RefCell<Option<Waker>>,
}

impl Shared {
    fn bump(&self) {
        self.version.set(self.version.get() + 1);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }
}

/// A buffered reader over a connection, or fed by hand: asyncio's
/// `StreamReader`.
///
/// Reads take `&mut self`, so one task reads at a time (asyncio raises
/// `RuntimeError` for a second concurrent reader; here it cannot compile).
/// The buffer belongs to the reader, not to the read in progress: a read
/// that is cancelled, or whose future is dropped, leaves every byte that
/// arrived in the buffer for the next read.
///
/// Bytes are read from the transport only while a read needs them, into
/// the room the buffer has (8 KiB at first, doubling as needed), so a reader that stops reading applies backpressure
/// to the peer; `readuntil`/`readline` give up with
/// [`ReadError::LimitOverrun`] once the separator is not within the
/// limit, so memory stays bounded by the limit plus one read.
///
/// ```
/// use ferrio::stream::StreamReader;
///
/// ferrio::run(async {
///     let mut reader = StreamReader::new();
///     let feeder = reader.feeder();
///     feeder.feed_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody").unwrap();
///     feeder.feed_eof();
///     assert_eq!(reader.readline().await.unwrap(), b"GET / HTTP/1.1\r\n");
///     assert_eq!(reader.readuntil(b"\r\n\r\n").await.unwrap(), b"Host: x\r\n\r\n");
///     assert_eq!(reader.read_to_end().await.unwrap(), b"body");
///     assert!(reader.at_eof());
/// })
/// .unwrap();
/// ```
pub struct StreamReader {
    shared: Rc<Shared>,
    conn: Option<Rc<Conn>>,
    limit: usize,
    seen: u64,
}

/// A limit of zero was asked for: a reader needs a limit of at least one
/// byte (asyncio's `ValueError: Limit cannot be <= 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidLimit;

impl fmt::Display for InvalidLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a stream reader's limit must be at least 1 byte")
    }
}

impl std::error::Error for InvalidLimit {}

impl Default for StreamReader {
    fn default() -> StreamReader {
        StreamReader::new()
    }
}

impl StreamReader {
    /// A reader with no transport, fed through [`feeder`](Self::feeder),
    /// with the default limit (64 KiB).
    pub fn new() -> StreamReader {
        StreamReader {
            shared: Rc::default(),
            conn: None,
            limit: DEFAULT_LIMIT,
            seen: 0,
        }
    }

    /// A fed reader with `limit`.
    ///
    /// # Errors
    ///
    /// [`InvalidLimit`] for a limit of 0.
    pub fn with_limit(limit: usize) -> Result<StreamReader, InvalidLimit> {
        if limit == 0 {
            return Err(InvalidLimit);
        }
        Ok(StreamReader {
            limit,
            ..StreamReader::new()
        })
    }

    pub(crate) fn from_conn(conn: Rc<Conn>, limit: usize) -> StreamReader {
        StreamReader {
            conn: Some(conn),
            limit: limit.max(1),
            ..StreamReader::new()
        }
    }

    #[cfg(feature = "tls")]
    /// Whether the reader reads from `conn`.
    pub(crate) fn same_conn(&self, conn: &Rc<Conn>) -> bool {
        self.conn.as_ref().is_some_and(|c| Rc::ptr_eq(c, conn))
    }

    #[cfg(feature = "tls")]
    /// Removes and returns everything buffered.
    pub(crate) fn take_buffered(&mut self) -> Vec<u8> {
        self.shared.buf.borrow_mut().take_all()
    }

    /// A handle that feeds this reader: asyncio's `feed_data`, `feed_eof`,
    /// `set_exception`, callable while a read is waiting.
    pub fn feeder(&self) -> StreamFeeder {
        StreamFeeder {
            shared: self.shared.clone(),
        }
    }

    /// The limit of `readline`/`readuntil`.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whether EOF was seen and the buffer is empty: asyncio's `at_eof()`.
    pub fn at_eof(&self) -> bool {
        let eof = self.shared.eof.get() || self.conn.as_ref().is_some_and(|c| c.is_released());
        eof && self.shared.buf.borrow().is_empty()
    }

    /// The stream's failure, if it failed: asyncio's `exception()`.
    pub fn exception(&self) -> Option<StreamError> {
        self.shared.error.borrow().clone()
    }

    /// Fails the reader: every pending and later read returns
    /// [`ReadError::Failed`] with `error` (asyncio's `set_exception`).
    pub fn set_exception(&self, error: io::Error) {
        self.feeder().set_exception(error);
    }

    /// A copy of the bytes buffered and not yet read.
    pub fn buffered(&self) -> Vec<u8> {
        self.shared.buf.borrow().as_slice().to_vec()
    }

    /// How many bytes are buffered.
    pub fn buffered_len(&self) -> usize {
        self.shared.buf.borrow().len()
    }

    fn failed(&self) -> Result<(), ReadError> {
        match &*self.shared.error.borrow() {
            Some(e) => Err(ReadError::Failed(e.clone())),
            None => Ok(()),
        }
    }

    /// Waits for more bytes, EOF, or a failure: asyncio's
    /// `_wait_for_data`. Reads from the transport when there is one.
    fn poll_more(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ReadError>> {
        self.failed()?;
        let version = self.shared.version.get();
        if version != self.seen {
            self.seen = version;
            return Poll::Ready(Ok(()));
        }
        if self.shared.eof.get() {
            return Poll::Ready(Ok(()));
        }
        if let Some(conn) = &self.conn {
            match conn.transport() {
                None if conn.is_released() => {
                    self.shared.eof.set(true);
                    return Poll::Ready(Ok(()));
                }
                // Between two transports (start_tls): wait.
                None => {}
                Some(transport) => {
                    let polled = {
                        let mut buf = self.shared.buf.borrow_mut();
                        let spare = buf.spare(MIN_ROOM);
                        match transport.poll_read(cx, spare) {
                            Poll::Ready(Ok(n)) => {
                                buf.commit(n);
                                Poll::Ready(Ok(n))
                            }
                            other => other,
                        }
                    };
                    match polled {
                        Poll::Ready(Ok(0)) => {
                            self.shared.eof.set(true);
                            return Poll::Ready(Ok(()));
                        }
                        Poll::Ready(Ok(_)) => return Poll::Ready(Ok(())),
                        Poll::Ready(Err(e)) => {
                            return Poll::Ready(Err(match crate::net::into_cancelled(e) {
                                Ok(c) => ReadError::Cancelled(c),
                                Err(e) => {
                                    let e = StreamError::new(e);
                                    *self.shared.error.borrow_mut() = Some(e.clone());
                                    ReadError::Failed(e)
                                }
                            }));
                        }
                        // A ferrio socket delivered a pending cancellation
                        // already; another transport cannot: look here.
                        Poll::Pending => {
                            if let Some(c) = take_pending_cancel() {
                                return Poll::Ready(Err(ReadError::Cancelled(c)));
                            }
                            conn.park_reader(cx.waker());
                            *self.shared.waker.borrow_mut() = Some(cx.waker().clone());
                            note_wait("stream read");
                            return Poll::Pending;
                        }
                    }
                }
            }
        }
        if let Some(c) = take_pending_cancel() {
            return Poll::Ready(Err(ReadError::Cancelled(c)));
        }
        *self.shared.waker.borrow_mut() = Some(cx.waker().clone());
        if let Some(conn) = &self.conn {
            conn.park_reader(cx.waker());
        }
        note_wait("stream read");
        Poll::Pending
    }

    async fn more(&mut self) -> Result<(), ReadError> {
        poll_fn(|cx| self.poll_more(cx)).await
    }

    /// Reads up to `n` bytes: asyncio's `read(n)`. Waits until at least one
    /// byte is buffered, then returns at most `n` of what is there; returns
    /// an empty vector at EOF (and at once for `n == 0`). Not bound by the
    /// limit.
    ///
    /// # Errors
    ///
    /// [`ReadError::Failed`] if the stream failed (even with bytes
    /// buffered, as asyncio), [`ReadError::Cancelled`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a cancelled `read` took nothing from the buffer.
    pub async fn read(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        self.failed()?;
        if n == 0 {
            return Ok(Vec::new());
        }
        while self.shared.buf.borrow().is_empty() && !self.shared.eof.get() {
            self.more().await?;
        }
        let mut buf = self.shared.buf.borrow_mut();
        let n = n.min(buf.len());
        Ok(buf.take(n))
    }

    /// Reads into `out`, like [`read`](Self::read) without allocating;
    /// returns how many bytes were copied (0 at EOF).
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`read`](Self::read).
    pub async fn read_into(&mut self, out: &mut [u8]) -> Result<usize, ReadError> {
        self.failed()?;
        if out.is_empty() {
            return Ok(0);
        }
        while self.shared.buf.borrow().is_empty() && !self.shared.eof.get() {
            self.more().await?;
        }
        let mut buf = self.shared.buf.borrow_mut();
        let n = out.len().min(buf.len());
        out[..n].copy_from_slice(&buf.as_slice()[..n]);
        buf.consume(n);
        Ok(n)
    }

    /// Reads until EOF: asyncio's `read()` / `read(-1)`.
    ///
    /// # Errors
    ///
    /// As [`read`](Self::read).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: what arrived stays buffered.
    pub async fn read_to_end(&mut self) -> Result<Vec<u8>, ReadError> {
        self.failed()?;
        while !self.shared.eof.get() {
            self.more().await?;
        }
        Ok(self.shared.buf.borrow_mut().take_all())
    }

    /// Reads one line, ending with `\n`: asyncio's `readline()`. At EOF
    /// returns the partial line without its newline (empty if nothing is
    /// left).
    ///
    /// # Errors
    ///
    /// [`ReadError::LimitOverrun`] if the line (without its newline) is
    /// longer than the limit; the overlong line is discarded — up to and
    /// including its newline if it arrived, else all that was buffered —
    /// as asyncio does. [`ReadError::Failed`], [`ReadError::Cancelled`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a cancelled `readline` took nothing from the buffer.
    pub async fn readline(&mut self) -> Result<Vec<u8>, ReadError> {
        match self.readuntil(b"\n").await {
            Ok(line) => Ok(line),
            Err(ReadError::IncompleteRead(e)) => Ok(e.partial),
            Err(ReadError::LimitOverrun(e)) => {
                let mut buf = self.shared.buf.borrow_mut();
                if buf.as_slice()[e.consumed.min(buf.len())..].starts_with(b"\n") {
                    buf.consume(e.consumed + 1);
                } else {
                    buf.clear();
                }
                Err(ReadError::LimitOverrun(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Reads until `separator`, returned included: asyncio's
    /// `readuntil(separator)`.
    ///
    /// # Errors
    ///
    /// [`ReadError::IncompleteRead`] at EOF (with every byte read, the
    /// buffer left empty); [`ReadError::LimitOverrun`] if the separator does
    /// not start within the limit (the data stays buffered);
    /// [`ReadError::InvalidSeparator`] for an empty separator;
    /// [`ReadError::Failed`], [`ReadError::Cancelled`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a cancelled `readuntil` took nothing from the buffer.
    pub async fn readuntil(&mut self, separator: impl AsRef<[u8]>) -> Result<Vec<u8>, ReadError> {
        self.readuntil_any(&[separator.as_ref()]).await
    }

    /// Reads until the first of several separators: asyncio's
    /// `readuntil((sep1, sep2, ..))`. The shortest result wins: the match
    /// that ends first, and on a tie the shortest separator.
    ///
    /// # Errors
    ///
    /// As [`readuntil`](Self::readuntil); [`ReadError::InvalidSeparator`]
    /// also for an empty list.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`readuntil`](Self::readuntil).
    pub async fn readuntil_any<S: AsRef<[u8]>>(
        &mut self,
        separators: &[S],
    ) -> Result<Vec<u8>, ReadError> {
        let seps: Vec<&[u8]> = separators.iter().map(AsRef::as_ref).collect();
        let seps = framing::sorted(&seps);
        let (Some(min), Some(_)) = (seps.first(), seps.last()) else {
            return Err(ReadError::InvalidSeparator);
        };
        let min_len = min.len();
        if min_len == 0 {
            return Err(ReadError::InvalidSeparator);
        }
        self.failed()?;
        let mut offset = 0;
        let (start, end) = loop {
            {
                let mut buf = self.shared.buf.borrow_mut();
                let len = buf.len();
                if len >= offset + min_len {
                    match framing::scan(buf.as_slice(), offset, &seps) {
                        Scan::Found { start, end } => break (start, end),
                        Scan::NotFound { offset: next } => {
                            offset = next;
                            if offset > self.limit {
                                return Err(ReadError::LimitOverrun(LimitOverrun {
                                    consumed: offset,
                                    separator_found: false,
                                    limit: self.limit,
                                }));
                            }
                        }
                    }
                }
                if self.shared.eof.get() {
                    return Err(ReadError::IncompleteRead(IncompleteRead {
                        partial: buf.take_all(),
                        expected: None,
                    }));
                }
            }
            self.more().await?;
        };
        if start > self.limit {
            return Err(ReadError::LimitOverrun(LimitOverrun {
                consumed: start,
                separator_found: true,
                limit: self.limit,
            }));
        }
        Ok(self.shared.buf.borrow_mut().take(end))
    }

    /// Reads exactly `n` bytes: asyncio's `readexactly(n)`. Not bound by the
    /// limit.
    ///
    /// # Errors
    ///
    /// [`ReadError::IncompleteRead`] at EOF, with the bytes that did arrive
    /// and `expected: Some(n)` (the buffer left empty);
    /// [`ReadError::Failed`], [`ReadError::Cancelled`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a cancelled `readexactly` loses nothing — the bytes
    /// that arrived stay buffered, and the next read returns them.
    pub async fn readexactly(&mut self, n: usize) -> Result<Vec<u8>, ReadError> {
        self.failed()?;
        if n == 0 {
            return Ok(Vec::new());
        }
        loop {
            {
                let mut buf = self.shared.buf.borrow_mut();
                if buf.len() >= n {
                    return Ok(buf.take(n));
                }
                if self.shared.eof.get() {
                    return Err(ReadError::IncompleteRead(IncompleteRead {
                        partial: buf.take_all(),
                        expected: Some(n),
                    }));
                }
            }
            self.more().await?;
        }
    }

    /// The memory the buffer holds (its capacity), for tests of the bound.
    #[doc(hidden)]
    pub fn buffer_capacity(&self) -> usize {
        self.shared.buf.borrow().capacity()
    }
}

impl futures_io::AsyncRead for StreamReader {
    /// Buffered bytes first, then the transport.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            if let Err(e) = this.failed() {
                return Poll::Ready(Err(e.into()));
            }
            {
                let mut buf = this.shared.buf.borrow_mut();
                if !buf.is_empty() || out.is_empty() {
                    let n = out.len().min(buf.len());
                    out[..n].copy_from_slice(&buf.as_slice()[..n]);
                    buf.consume(n);
                    return Poll::Ready(Ok(n));
                }
            }
            if this.shared.eof.get() {
                return Poll::Ready(Ok(0));
            }
            std::task::ready!(this.poll_more(cx)).map_err(io::Error::from)?;
        }
    }
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("StreamReader");
        d.field("buffered", &self.buffered_len())
            .field("limit", &self.limit)
            .field("eof", &self.shared.eof.get());
        if let Some(e) = &*self.shared.error.borrow() {
            d.field("exception", e);
        }
        if let Some(conn) = &self.conn {
            d.field("transport", conn);
        }
        d.finish()
    }
}

/// Feeds a [`StreamReader`]: asyncio's `feed_data`, `feed_eof` and
/// `set_exception`, from any task or callback of the reader's loop.
#[derive(Clone)]
pub struct StreamFeeder {
    shared: Rc<Shared>,
}

/// Data was fed after [`StreamFeeder::feed_eof`]; it was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedAfterEof;

impl fmt::Display for FeedAfterEof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("feed_data after feed_eof: the bytes were not added")
    }
}

impl std::error::Error for FeedAfterEof {}

impl StreamFeeder {
    /// Appends `data` to the buffer and wakes a waiting read. Feeding
    /// nothing wakes nobody.
    ///
    /// # Errors
    ///
    /// [`FeedAfterEof`] after [`feed_eof`](Self::feed_eof).
    pub fn feed_data(&self, data: &[u8]) -> Result<(), FeedAfterEof> {
        if self.shared.eof.get() {
            return Err(FeedAfterEof);
        }
        if data.is_empty() {
            return Ok(());
        }
        self.shared.buf.borrow_mut().extend(data);
        self.shared.bump();
        Ok(())
    }

    /// Marks EOF: reads return what is buffered, then nothing.
    pub fn feed_eof(&self) {
        self.shared.eof.set(true);
        self.shared.bump();
    }

    /// Fails the reader with `error` (see [`StreamReader::set_exception`]).
    pub fn set_exception(&self, error: io::Error) {
        *self.shared.error.borrow_mut() = Some(StreamError::new(error));
        self.shared.bump();
    }
}

impl fmt::Debug for StreamFeeder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamFeeder")
            .field("eof", &self.shared.eof.get())
            .finish()
    }
}
