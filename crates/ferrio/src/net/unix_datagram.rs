//! [`UnixDatagram`]: Unix-domain datagrams.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use super::io::{poll_io, register};
use super::traits::impl_async_io;
use crate::reactor::{Direction, IoSource};

/// A Unix-domain datagram socket. Connected, it also implements
/// futures-io's `AsyncRead`/`AsyncWrite` (and tokio's, with the `tokio`
/// feature), one datagram per call.
///
/// ```
/// use ferrio::net::UnixDatagram;
///
/// ferrio::run(async {
///     let (a, b) = UnixDatagram::pair().unwrap();
///     a.send(b"one").await.unwrap();
///     a.send(b"two").await.unwrap();
///     let mut buf = [0; 8];
///     let n = b.recv(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"one");
/// })
/// .unwrap();
/// ```
pub struct UnixDatagram {
    source: IoSource<std::os::unix::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Binds a socket at `path`.
    ///
    /// # Errors
    ///
    /// `AddrInUse` if the path exists, the OS's otherwise.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no path (it can send, and receive once connected).
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// A connected pair.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Takes over a std socket (made non-blocking here).
    ///
    /// # Errors
    ///
    /// No running loop, or the OS refused the registration.
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram {
            source: register(socket)?,
        })
    }

    /// Connects to the socket at `path` (the default destination).
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.source.get_ref().connect(path)
    }

    /// The bound address.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// The OS's, or a cancellation.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point; a cancelled send sent nothing.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_send(cx, buf)).await
    }

    /// Sends one datagram to the socket at `path`.
    ///
    /// # Errors
    ///
    /// The OS's, or a cancellation.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point; a cancelled send sent nothing.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        poll_fn(|cx| {
            poll_io(
                &self.source,
                Direction::Write,
                cx,
                "unix datagram send",
                |s| s.send_to(buf, path),
            )
        })
        .await
    }

    /// Receives one datagram.
    ///
    /// # Errors
    ///
    /// The OS's, or a cancellation.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point; a cancelled receive took no datagram.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_recv(cx, buf)).await
    }

    /// The poll-level [`recv`](Self::recv), behind the `AsyncRead` impls.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        poll_io(
            &self.source,
            Direction::Read,
            cx,
            "unix datagram recv",
            |s| s.recv(buf),
        )
    }

    /// The poll-level [`send`](Self::send), behind the `AsyncWrite` impls.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        poll_io(
            &self.source,
            Direction::Write,
            cx,
            "unix datagram send",
            |s| s.send(buf),
        )
    }

    /// Receives one datagram and its sender's address.
    ///
    /// # Errors
    ///
    /// The OS's, or a cancellation.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point; a cancelled receive took no datagram.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| {
            poll_io(
                &self.source,
                Direction::Read,
                cx,
                "unix datagram recv",
                |s| s.recv_from(buf),
            )
        })
        .await
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}

// On a connected socket, one datagram per call: a read receives one (the
// part that does not fit is discarded), a write sends `buf` as one. For
// libraries written against the byte-stream traits; `close` does nothing.
impl_async_io!(datagram UnixDatagram);
