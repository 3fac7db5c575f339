//! asyncio's `loop.sock_*` family: await operations on std sockets that
//! the caller keeps owning (set non-blocking first, as asyncio requires).

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd};

use socket2::{SockAddr, SockRef};

use super::io::{poll_io, register};
use crate::reactor::Direction;

/// Runs `op` now; if it would block, registers `fd` for the duration of
/// the wait and runs it again on each readiness.
async fn sock_op<R>(
    fd: BorrowedFd<'_>,
    dir: Direction,
    what: &'static str,
    mut op: impl FnMut() -> io::Result<R>,
) -> io::Result<R> {
    if !SockRef::from(&fd).nonblocking()? {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the socket must be non-blocking: call set_nonblocking(true) first",
        ));
    }
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            r => return r,
        }
    }
    let source = register(fd)?;
    poll_fn(|cx| poll_io(&source, dir, cx, what, |_| op())).await
}

/// Receives up to `buf.len()` bytes: asyncio's `loop.sock_recv_into`.
/// `Ok(0)` at EOF.
///
/// # Errors
///
/// `InvalidInput` for a blocking socket; the OS's; a cancellation.
///
/// # Cancel safety
///
/// A cancellation point while nothing is ready; no byte is lost.
///
/// ```
/// use std::io::Write;
///
/// ferrio::run(async {
///     let (mut a, b) = std::os::unix::net::UnixStream::pair().unwrap();
///     b.set_nonblocking(true).unwrap();
///     a.write_all(b"data").unwrap();
///     let mut buf = [0; 8];
///     let n = ferrio::net::sock_recv(&b, &mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"data");
/// })
/// .unwrap();
/// ```
pub async fn sock_recv<S>(sock: &S, buf: &mut [u8]) -> io::Result<usize>
where
    S: AsFd,
    for<'a> &'a S: Read,
{
    sock_op(sock.as_fd(), Direction::Read, "sock_recv", || {
        let mut r = sock;
        r.read(buf)
    })
    .await
}

/// Sends all of `data`: asyncio's `loop.sock_sendall`.
///
/// # Errors
///
/// `InvalidInput` for a blocking socket; the OS's; a cancellation.
///
/// # Cancel safety
///
/// Not cancel safe: part of `data` may have been sent.
pub async fn sock_sendall<S>(sock: &S, mut data: &[u8]) -> io::Result<()>
where
    S: AsFd,
    for<'a> &'a S: Write,
{
    while !data.is_empty() {
        let n = sock_op(sock.as_fd(), Direction::Write, "sock_sendall", || {
            let mut w = sock;
            w.write(data)
        })
        .await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        data = &data[n..];
    }
    Ok(())
}

/// Accepts a connection on a listening socket: asyncio's
/// `loop.sock_accept`. The accepted stream is blocking, as std gives it.
///
/// # Errors
///
/// `InvalidInput` for a blocking listener; the OS's; a cancellation.
///
/// # Cancel safety
///
/// A cancellation point; a cancelled accept takes no connection.
pub async fn sock_accept(
    listener: &std::net::TcpListener,
) -> io::Result<(std::net::TcpStream, SocketAddr)> {
    sock_op(listener.as_fd(), Direction::Read, "sock_accept", || {
        listener.accept()
    })
    .await
}

/// Connects a non-blocking socket2 socket to `addr`: asyncio's
/// `loop.sock_connect`.
///
/// # Errors
///
/// `InvalidInput` for a blocking socket; the connection's error
/// (`ConnectionRefused`, …); a cancellation.
///
/// # Cancel safety
///
/// A cancellation point; the socket is left connecting — close it.
pub async fn sock_connect(sock: &socket2::Socket, addr: SocketAddr) -> io::Result<()> {
    if !sock.nonblocking()? {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the socket must be non-blocking: call set_nonblocking(true) first",
        ));
    }
    match sock.connect(&SockAddr::from(addr)) {
        Ok(()) => return Ok(()),
        Err(e)
            if e.raw_os_error() == Some(rustix::io::Errno::INPROGRESS.raw_os_error())
                || e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    let source = register(sock.as_fd())?;
    poll_fn(|cx| {
        poll_io(&source, Direction::Write, cx, "sock_connect", |_| {
            if let Some(e) = sock.take_error()? {
                return Err(e);
            }
            match sock.peer_addr() {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(e) => Err(e),
            }
        })
    })
    .await
}
