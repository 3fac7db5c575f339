//! [`SocketIo`]: the engine shared by the byte-stream sockets (TCP and
//! Unix): reads, writes, readiness, shutdown and a non-blocking connect.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd};
use std::task::{Context, Poll};

use socket2::{SockAddr, SockRef, Socket};

use super::io::{poll_io, poll_ready, register};
use crate::reactor::{Direction, IoSource};

/// A connected, non-blocking stream socket registered with the loop.
pub(crate) struct SocketIo<S: AsRawFd> {
    source: IoSource<S>,
}

impl<S> SocketIo<S>
where
    S: AsRawFd + AsFd,
    for<'a> &'a S: Read + Write,
{
    /// Registers `socket` (set non-blocking here).
    pub(crate) fn new(socket: S) -> io::Result<SocketIo<S>> {
        SockRef::from(&socket).set_nonblocking(true)?;
        Ok(SocketIo {
            source: register(socket)?,
        })
    }

    pub(crate) fn get_ref(&self) -> &S {
        self.source.get_ref()
    }

    pub(crate) fn into_inner(self) -> S {
        self.source.into_inner()
    }

    /// A read that fills only part of `buf` drained the socket (the
    /// kernel gave all it had), so the readiness is cleared at once: the
    /// next read parks without a `WouldBlock` system call, as tokio does.
    /// A byte arriving later raises a new edge.
    #[inline]
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        let polled = poll_io(&self.source, Direction::Read, cx, "socket read", |mut s| {
            s.read(buf)
        });
        if let Poll::Ready(Ok(n)) = polled {
            if n > 0 && n < len {
                self.source.clear_ready_hint(Direction::Read);
            }
        }
        polled
    }

    /// A write that takes only part of `buf` filled the socket buffer, so
    /// the readiness is cleared at once (as in [`poll_read`](Self::poll_read)).
    #[inline]
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let len = buf.len();
        let polled = poll_io(
            &self.source,
            Direction::Write,
            cx,
            "socket write",
            |mut s| s.write(buf),
        );
        if let Poll::Ready(Ok(n)) = polled {
            if n > 0 && n < len {
                self.source.clear_ready_hint(Direction::Write);
            }
        }
        polled
    }

    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        poll_io(
            &self.source,
            Direction::Write,
            cx,
            "socket write",
            |mut s| s.write_vectored(bufs),
        )
    }

    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.try_io(Direction::Read, |mut s| s.read(buf))
    }

    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.source.try_io(Direction::Write, |mut s| s.write(buf))
    }

    pub(crate) fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let what = match dir {
            Direction::Read => "socket readable",
            Direction::Write => "socket writable",
        };
        poll_ready(&self.source, dir, cx, what)
    }

    /// Shuts the write direction down (a FIN: the peer reads EOF).
    /// Shutting down twice, or a peer already gone, is not an error.
    pub(crate) fn poll_shutdown(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match SockRef::from(self.get_ref()).shutdown(how) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            r => r,
        }
    }

    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    pub(crate) async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    pub(crate) async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            buf = &buf[n..];
        }
        Ok(())
    }

    pub(crate) async fn ready(&self, dir: Direction) -> io::Result<()> {
        poll_fn(|cx| self.poll_ready(dir, cx)).await
    }
}

impl<S: AsRawFd + fmt::Debug> fmt::Debug for SocketIo<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.fmt(f)
    }
}

/// Connects the non-blocking `socket` to `addr` and waits for the
/// handshake; `S` is the std type the socket becomes.
pub(crate) async fn connect<S>(socket: Socket, addr: &SockAddr) -> io::Result<SocketIo<S>>
where
    S: AsRawFd + AsFd + From<Socket>,
    for<'a> &'a S: Read + Write,
{
    socket.set_nonblocking(true)?;
    match socket.connect(addr) {
        Ok(()) => {}
        Err(e) if in_progress(&e) => {}
        Err(e) => return Err(e),
    }
    let io = SocketIo::new(S::from(socket))?;
    loop {
        io.ready(Direction::Write).await?;
        let sock = SockRef::from(io.get_ref());
        if let Some(e) = sock.take_error()? {
            return Err(e);
        }
        match sock.peer_addr() {
            Ok(_) => return Ok(io),
            // Not connected yet: the readiness was the initial guess.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                io.source.clear_ready(Direction::Write);
            }
            Err(e) => return Err(e),
        }
    }
}

fn in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(rustix::io::Errno::INPROGRESS.raw_os_error())
        || e.kind() == io::ErrorKind::WouldBlock
}
