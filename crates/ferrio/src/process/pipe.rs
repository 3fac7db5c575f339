//! [`Pipe`]: one end of a child's stdin, stdout or stderr pipe, on the
//! reactor.

use std::cell::RefCell;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::net::io::{poll_io, register};
use crate::reactor::{sys, Direction, IoSource};

/// A non-blocking pipe end. Shutting it down (the write end's EOF)
/// closes it.
pub(crate) struct Pipe {
    source: RefCell<Option<IoSource<File>>>,
}

impl Pipe {
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Pipe> {
        sys::set_nonblocking(&fd)?;
        Ok(Pipe {
            source: RefCell::new(Some(register(File::from(fd))?)),
        })
    }

    fn closed() -> io::Error {
        io::Error::new(io::ErrorKind::BrokenPipe, "the pipe was closed")
    }
}

impl futures_io::AsyncRead for &Pipe {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match &*self.source.borrow() {
            Some(source) => poll_io(source, Direction::Read, cx, "pipe read", |mut f| {
                f.read(buf)
            }),
            None => Poll::Ready(Ok(0)),
        }
    }
}

impl futures_io::AsyncWrite for &Pipe {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &*self.source.borrow() {
            Some(source) => poll_io(source, Direction::Write, cx, "pipe write", |mut f| {
                f.write(buf)
            }),
            None => Poll::Ready(Err(Pipe::closed())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let source = self.source.borrow_mut().take();
        drop(source);
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipe")
            .field("open", &self.source.borrow().is_some())
            .finish()
    }
}
