//! [`UnixStream`]: a Unix-domain stream connection.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use socket2::{Domain, SockAddr, Socket, Type};

use super::socket_io::{self, SocketIo};
use super::traits::impl_stream_socket;

/// A Unix-domain stream connection: the same interface as
/// [`TcpStream`](super::TcpStream), over a filesystem path.
///
/// ```
/// use ferrio::net::UnixStream;
///
/// ferrio::run(async {
///     let (a, b) = UnixStream::pair().unwrap();
///     a.write_all(b"ping").await.unwrap();
///     let mut buf = [0; 4];
///     b.read(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"ping");
/// })
/// .unwrap();
/// ```
pub struct UnixStream {
    io: SocketIo<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// # Errors
    ///
    /// `NotFound` (no socket there), `ConnectionRefused` (nobody listens),
    /// or a cancellation.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point; a cancelled connect closes its socket.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = SockAddr::unix(path.as_ref())?;
        let socket = Socket::new(Domain::UNIX, Type::STREAM.cloexec(), None)?;
        let io = socket_io::connect(socket, &addr).await?;
        Ok(UnixStream { io })
    }

    /// A connected pair (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// The OS's, or no running loop.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Takes over a connected std stream (made non-blocking here).
    ///
    /// # Errors
    ///
    /// No running loop, or the OS refused the registration.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: SocketIo::new(stream)?,
        })
    }

    /// Gives the std stream back (still non-blocking), deregistered.
    pub fn into_std(self) -> std::os::unix::net::UnixStream {
        self.io.into_inner()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts one or both directions down (`Write`: the peer reads EOF).
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.shutdown(how)
    }
}

impl_stream_socket!(UnixStream);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}
