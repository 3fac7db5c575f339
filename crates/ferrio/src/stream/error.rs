//! The errors of the streams API, one type per meaning.

use std::fmt;
use std::io;
use std::sync::Arc;

use crate::task::Cancelled;

/// A failure of the stream itself — the transport's error (a reset peer,
/// a TLS alert) or one set with
/// [`StreamFeeder::set_exception`](super::StreamFeeder::set_exception) —
/// shared by every read that comes after it: asyncio's
/// `reader.exception()`. Cheap to clone.
#[derive(Clone)]
pub struct StreamError(Arc<io::Error>);

impl StreamError {
    pub(crate) fn new(e: io::Error) -> StreamError {
        StreamError(Arc::new(e))
    }

    /// The kind of the underlying I/O error (`ConnectionReset`, …).
    pub fn kind(&self) -> io::ErrorKind {
        self.0.kind()
    }

    /// The underlying I/O error.
    pub fn io_error(&self) -> &io::Error {
        &self.0
    }

    /// A new `io::Error` of the same kind and message.
    pub fn to_io_error(&self) -> io::Error {
        io::Error::new(self.0.kind(), self.0.to_string())
    }
}

impl fmt::Debug for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StreamError").field(&self.0).finish()
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// EOF came before the read could complete: asyncio's
/// `IncompleteReadError`. The bytes read so far are here, not lost; the
/// reader's buffer is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncompleteRead {
    /// The bytes that did arrive (for `readuntil`, possibly part of the
    /// separator).
    pub partial: Vec<u8>,
    /// How many bytes `readexactly` expected; `None` for `readuntil`.
    pub expected: Option<usize>,
}

impl fmt::Display for IncompleteRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.expected {
            Some(n) => write!(
                f,
                "{} bytes read on a total of {n} expected bytes",
                self.partial.len()
            ),
            None => write!(
                f,
                "{} bytes read on a total of undefined expected bytes",
                self.partial.len()
            ),
        }
    }
}

impl std::error::Error for IncompleteRead {}

/// The separator was not found within the reader's limit: asyncio's
/// `LimitOverrunError`. Memory stays bounded: the reader stops reading.
///
/// After `readuntil` the data stays in the buffer (read it with `read`, or
/// raise the limit); after `readline` the overlong line has been discarded
/// (up to and including its newline if it arrived, else all that was
/// buffered), as asyncio does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitOverrun {
    /// How many bytes the limit made the reader give up on: where the
    /// separator started, or how far the search got.
    pub consumed: usize,
    /// Whether the separator was in the buffer (beyond the limit).
    pub separator_found: bool,
    /// The reader's limit.
    pub limit: usize,
}

impl fmt::Display for LimitOverrun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.separator_found {
            write!(
                f,
                "Separator is found, but chunk is longer than limit ({} > {}); raise the \
                 reader's limit or read in pieces",
                self.consumed, self.limit
            )
        } else {
            write!(
                f,
                "Separator is not found, and chunk exceed the limit ({} > {}); raise the \
                 reader's limit or read in pieces",
                self.consumed, self.limit
            )
        }
    }
}

impl std::error::Error for LimitOverrun {}

/// Why a [`StreamReader`](super::StreamReader) read failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadError {
    /// The task was cancelled while waiting for data. Nothing was lost:
    /// what had arrived stays buffered for the next read.
    Cancelled(Cancelled),
    /// EOF before the read could complete.
    IncompleteRead(IncompleteRead),
    /// The separator was not found within the limit.
    LimitOverrun(LimitOverrun),
    /// The stream failed (transport error, or `set_exception`); every
    /// later read fails the same way.
    Failed(StreamError),
    /// A `readuntil` separator was empty, or no separator was given.
    InvalidSeparator,
}

impl ReadError {
    /// Whether this is [`ReadError::Cancelled`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self, ReadError::Cancelled(_))
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Cancelled(c) => c.fmt(f),
            ReadError::IncompleteRead(e) => e.fmt(f),
            ReadError::LimitOverrun(e) => e.fmt(f),
            ReadError::Failed(e) => write!(f, "the stream failed: {e}"),
            ReadError::InvalidSeparator => f.write_str(
                "Separator should be at least one-byte string, and at least one is needed",
            ),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Cancelled(c) => Some(c),
            ReadError::IncompleteRead(e) => Some(e),
            ReadError::LimitOverrun(e) => Some(e),
            ReadError::Failed(e) => Some(e),
            ReadError::InvalidSeparator => None,
        }
    }
}

impl From<Cancelled> for ReadError {
    fn from(c: Cancelled) -> ReadError {
        ReadError::Cancelled(c)
    }
}

impl From<ReadError> for io::Error {
    /// As an `io::Error`: a cancellation stays recognisable with
    /// [`net::is_cancelled`](crate::net::is_cancelled); EOF is
    /// `UnexpectedEof`; a limit is `InvalidData`.
    fn from(e: ReadError) -> io::Error {
        match e {
            ReadError::Cancelled(c) => crate::net::io::cancelled_error(c),
            ReadError::IncompleteRead(e) => io::Error::new(io::ErrorKind::UnexpectedEof, e),
            ReadError::LimitOverrun(e) => io::Error::new(io::ErrorKind::InvalidData, e),
            ReadError::Failed(e) => e.to_io_error(),
            ReadError::InvalidSeparator => io::Error::new(
                io::ErrorKind::InvalidInput,
                ReadError::InvalidSeparator.to_string(),
            ),
        }
    }
}

/// Why a [`StreamWriter`](super::StreamWriter) operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum WriteError {
    /// The task was cancelled while waiting (in `drain`, `wait_closed`).
    /// What was written stays buffered and is still sent.
    Cancelled(Cancelled),
    /// The writer was closed (or `write_eof` was called): no more writes.
    Closed,
    /// The transport failed (`BrokenPipe`, `ConnectionReset`, …); what was
    /// still buffered is lost.
    Failed(StreamError),
}

impl WriteError {
    /// Whether this is [`WriteError::Cancelled`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self, WriteError::Cancelled(_))
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Cancelled(c) => c.fmt(f),
            WriteError::Closed => f.write_str(
                "the stream writer is closed (close or write_eof was called); open a new connection",
            ),
            WriteError::Failed(e) => write!(f, "the connection failed: {e}"),
        }
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriteError::Cancelled(c) => Some(c),
            WriteError::Failed(e) => Some(e),
            WriteError::Closed => None,
        }
    }
}

impl From<Cancelled> for WriteError {
    fn from(c: Cancelled) -> WriteError {
        WriteError::Cancelled(c)
    }
}

impl From<WriteError> for io::Error {
    fn from(e: WriteError) -> io::Error {
        match e {
            WriteError::Cancelled(c) => crate::net::io::cancelled_error(c),
            WriteError::Closed => {
                io::Error::new(io::ErrorKind::BrokenPipe, WriteError::Closed.to_string())
            }
            WriteError::Failed(e) => e.to_io_error(),
        }
    }
}
