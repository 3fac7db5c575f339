//! [`TcpListener`]: a listening TCP socket.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use super::addr::ToSocketAddrs;
use super::io::{poll_io, register};
use super::options::ListenOptions;
use super::TcpStream;
use crate::reactor::{Direction, IoSource};

/// A TCP socket listening for connections.
///
/// ```
/// use ferrio::net::{TcpListener, TcpStream};
///
/// ferrio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = ferrio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
///     let (_stream, peer) = listener.accept().await.unwrap();
///     let client = client.await.unwrap();
///     assert_eq!(peer, client.local_addr().unwrap());
/// })
/// .unwrap();
/// ```
pub struct TcpListener {
    source: IoSource<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds `addr` (`"127.0.0.1:8080"`, `("localhost", 0)`, …) with the
    /// default [`ListenOptions`] (`SO_REUSEADDR`, backlog 1024) and listens.
    ///
    /// # Errors
    ///
    /// Resolution errors, `AddrInUse`, `PermissionDenied`, …
    ///
    /// # Cancel safety
    ///
    /// A cancellation point only while a host name is resolved.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        ListenOptions::new().bind(addr).await
    }

    /// Takes over a listening std socket (made non-blocking here).
    ///
    /// # Errors
    ///
    /// No running loop, or the OS refused the registration.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            source: register(listener)?,
        })
    }

    /// Gives the std socket back (still non-blocking), deregistered.
    pub fn into_std(self) -> std::net::TcpListener {
        self.source.into_inner()
    }

    /// The bound address (with the port the OS picked for port 0).
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// Waits for a connection and accepts it.
    ///
    /// # Errors
    ///
    /// The OS's: `EMFILE`/`ENFILE` when out of descriptors (the listener
    /// stays usable: retry once descriptors are freed, as
    /// [`start_server`](crate::stream::start_server) does with a back-off),
    /// `ECONNABORTED` for a connection reset while queued. A cancellation.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point while no connection is queued; a cancelled
    /// accept takes no connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = poll_fn(|cx| self.poll_accept_std(cx)).await?;
        Ok((TcpStream::from_std(stream)?, addr))
    }

    /// The poll-level accept.
    ///
    /// # Errors
    ///
    /// As [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.poll_accept_std(cx)
            .map(|r| r.and_then(|(s, a)| Ok((TcpStream::from_std(s)?, a))))
    }

    fn poll_accept_std(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(std::net::TcpStream, SocketAddr)>> {
        poll_io(&self.source, Direction::Read, cx, "accept", |l| l.accept())
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}
