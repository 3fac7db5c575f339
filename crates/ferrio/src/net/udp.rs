//! [`UdpSocket`]: UDP datagrams.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use super::addr::{lookup_host, ToSocketAddrs};
use super::io::{poll_io, register};
use super::traits::impl_async_io;
use crate::reactor::{Direction, IoSource};

/// A UDP socket: asyncio's `create_datagram_endpoint`, as a socket.
///
/// Datagram sockets keep message boundaries: use `send`/`recv`. Connected,
/// they also implement futures-io's `AsyncRead`/`AsyncWrite` (and tokio's,
/// with the `tokio` feature), one datagram per call.
///
/// ```
/// use ferrio::net::UdpSocket;
///
/// ferrio::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     a.send_to(b"hi", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr().unwrap()));
/// })
/// .unwrap();
/// ```
pub struct UdpSocket {
    source: IoSource<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds the first of `addr`'s addresses that can be bound.
    ///
    /// # Errors
    ///
    /// Resolution errors, or the last address's bind error.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point only while a host name is resolved.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let mut last = None;
        for addr in lookup_host(addr).await? {
            match std::net::UdpSocket::bind(addr) {
                Ok(socket) => return UdpSocket::from_std(socket),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("lookup_host returns at least one address"))
    }

    /// Takes over a std socket (made non-blocking here).
    ///
    /// # Errors
    ///
    /// No running loop, or the OS refused the registration.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            source: register(socket)?,
        })
    }

    /// The bound address.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The address given to [`connect`](Self::connect).
    ///
    /// # Errors
    ///
    /// `NotConnected` before `connect`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// Sets the default destination of [`send`](Self::send) and the only
    /// source [`recv`](Self::recv) accepts (the first resolved address).
    ///
    /// # Errors
    ///
    /// Resolution errors, the OS's.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point only while a host name is resolved.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let addrs = lookup_host(addr).await?;
        self.source.get_ref().connect(addrs[0])
    }

    /// Sets `SO_BROADCAST`.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.source.get_ref().set_broadcast(on)
    }

    /// Sends one datagram to `target` (its first resolved address).
    ///
    /// # Errors
    ///
    /// The OS's, resolution errors, or a cancellation.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point; a cancelled send sent nothing.
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = lookup_host(target).await?[0];
        poll_fn(|cx| self.poll_send_to(cx, buf, target)).await
    }

    /// The poll-level [`send_to`](Self::send_to) to a known address.
    ///
    /// # Errors
    ///
    /// As [`send_to`](Self::send_to).
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        poll_io(&self.source, Direction::Write, cx, "udp send", |s| {
            s.send_to(buf, target)
        })
    }

    /// Receives one datagram and its sender; the part that does not fit
    /// in `buf` is discarded.
    ///
    /// # Errors
    ///
    /// The OS's, or a cancellation.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point; a cancelled receive took no datagram.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// The poll-level [`recv_from`](Self::recv_from).
    ///
    /// # Errors
    ///
    /// As [`recv_from`](Self::recv_from).
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        poll_io(&self.source, Direction::Read, cx, "udp recv", |s| {
            s.recv_from(buf)
        })
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](Self::connect); the OS's; a
    /// cancellation.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point; a cancelled send sent nothing.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_send(cx, buf)).await
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// The OS's (`ConnectionRefused` after an ICMP port unreachable); a
    /// cancellation.
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
        poll_io(&self.source, Direction::Read, cx, "udp recv", |s| {
            s.recv(buf)
        })
    }

    /// The poll-level [`send`](Self::send), behind the `AsyncWrite` impls.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        poll_io(&self.source, Direction::Write, cx, "udp send", |s| {
            s.send(buf)
        })
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}

// On a connected socket, one datagram per call: a read receives one (the
// part that does not fit is discarded), a write sends `buf` as one. For
// libraries written against the byte-stream traits; `close` does nothing.
impl_async_io!(datagram UdpSocket);
