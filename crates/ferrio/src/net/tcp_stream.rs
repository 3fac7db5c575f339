//! [`TcpStream`]: a TCP connection.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, Type};

use super::addr::{lookup_host, ToSocketAddrs};
use super::options::{set_keepalive, ConnectOptions};
use super::socket_io::{self, SocketIo};
use super::traits::impl_stream_socket;

/// A TCP connection, registered with the loop that created it.
///
/// Implements futures-io's `AsyncRead`/`AsyncWrite` (and tokio's with the
/// `tokio` feature), also on `&TcpStream`, so one task can read while
/// another writes; [`into_split`](Self::into_split) gives owned halves.
/// Closing the write side ([`shutdown(Write)`](Self::shutdown), or the
/// traits' `close`) sends EOF to the peer while reads go on.
///
/// ```
/// use ferrio::net::{TcpListener, TcpStream};
///
/// ferrio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let server = ferrio::spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         let mut buf = [0; 5];
///         let n = stream.read(&mut buf).await.unwrap();
///         stream.write_all(&buf[..n]).await.unwrap();
///     });
///     let client = TcpStream::connect(addr).await.unwrap();
///     client.write_all(b"hello").await.unwrap();
///     let mut echo = [0; 5];
///     let n = client.read(&mut echo).await.unwrap();
///     assert_eq!(&echo[..n], b"hello");
///     server.await.unwrap();
/// })
/// .unwrap();
/// ```
pub struct TcpStream {
    io: SocketIo<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in order until one
    /// accepts: asyncio's `open_connection` transport. Host names are
    /// resolved on the blocking pool. For a time limit per attempt, or
    /// `TCP_NODELAY`, use [`ConnectOptions`].
    ///
    /// # Errors
    ///
    /// Resolution errors; otherwise the last attempt's error
    /// (`ConnectionRefused`, `TimedOut`, …), with every address's failure in
    /// its message when there were several. A cancellation (see
    /// [`is_cancelled`](super::is_cancelled)).
    ///
    /// # Cancel safety
    ///
    /// A cancellation point; a cancelled connect closes its socket.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        connect(addr, &ConnectOptions::default()).await
    }

    /// Takes over a connected std stream (made non-blocking here).
    ///
    /// # Errors
    ///
    /// No running loop, or the OS refused the registration.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: SocketIo::new(stream)?,
        })
    }

    /// Gives the std stream back (still non-blocking), deregistered.
    pub fn into_std(self) -> std::net::TcpStream {
        self.io.into_inner()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS's, e.g. on a socket already reset.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` once the peer is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(on)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Turns `SO_KEEPALIVE` on with `idle` before the first probe, or off.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn set_keepalive(&self, idle: Option<Duration>) -> io::Result<()> {
        set_keepalive(SockRef::from(self.io.get_ref()), idle)
    }

    /// Whether `SO_KEEPALIVE` is on.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn keepalive(&self) -> io::Result<bool> {
        SockRef::from(self.io.get_ref()).keepalive()
    }

    /// Shuts one or both directions down. `Shutdown::Write` is the
    /// half-close: the peer reads EOF, and this side can still read.
    ///
    /// # Errors
    ///
    /// The OS's (not `NotConnected`: shutting a dead connection is a no-op).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }
}

impl_stream_socket!(TcpStream);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}

/// Connects to each of `addr`'s addresses in turn.
pub(super) async fn connect(
    addr: impl ToSocketAddrs,
    options: &ConnectOptions,
) -> io::Result<TcpStream> {
    let addrs = lookup_host(addr).await?;
    let mut failures: Vec<(SocketAddr, io::Error)> = Vec::new();
    for addr in addrs.iter().copied() {
        let attempt = connect_one(addr, options);
        let result = match options.attempt_timeout {
            None => attempt.await,
            Some(limit) => match crate::time::timeout(limit, attempt).await {
                Ok(result) => result,
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("connecting to {addr} timed out after {limit:?}"),
                )),
            },
        };
        match result {
            Ok(stream) => return Ok(stream),
            Err(e) if super::is_cancelled(&e) => return Err(e),
            Err(e) => failures.push((addr, e)),
        }
    }
    let (last_addr, last) = failures.pop().expect("at least one address was tried");
    if failures.is_empty() {
        return Err(io::Error::new(
            last.kind(),
            format!("cannot connect to {last_addr}: {last}"),
        ));
    }
    let mut message = format!("cannot connect to any of {} addresses:", failures.len() + 1);
    for (addr, e) in &failures {
        message.push_str(&format!(" {addr}: {e};"));
    }
    message.push_str(&format!(" {last_addr}: {last}"));
    Err(io::Error::new(last.kind(), message))
}

async fn connect_one(addr: SocketAddr, options: &ConnectOptions) -> io::Result<TcpStream> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::STREAM.cloexec(),
        Some(Protocol::TCP),
    )?;
    if options.nodelay {
        socket.set_tcp_nodelay(true)?;
    }
    if options.keepalive.is_some() {
        set_keepalive(SockRef::from(&socket), options.keepalive)?;
    }
    let io = socket_io::connect(socket, &SockAddr::from(addr)).await?;
    Ok(TcpStream { io })
}
