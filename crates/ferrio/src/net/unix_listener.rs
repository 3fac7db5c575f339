//! [`UnixListener`]: a listening Unix-domain socket.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use socket2::{Domain, SockAddr, Socket, Type};

use super::io::{poll_io, register};
use super::options::DEFAULT_BACKLOG;
use super::UnixStream;
use crate::reactor::{Direction, IoSource};

/// A Unix-domain socket listening for connections.
///
/// ```
/// use ferrio::net::{UnixListener, UnixStream};
///
/// ferrio::run(async {
///     let dir = std::env::temp_dir().join(format!("ferrio-doc-{}", std::process::id()));
///     std::fs::create_dir_all(&dir).unwrap();
///     let path = dir.join("listener.sock");
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path).unwrap();
///     let connect = ferrio::spawn({
///         let path = path.clone();
///         async move { UnixStream::connect(path).await.unwrap() }
///     });
///     let (_server_side, _) = listener.accept().await.unwrap();
///     connect.await.unwrap();
///     std::fs::remove_file(&path).unwrap();
/// })
/// .unwrap();
/// ```
pub struct UnixListener {
    source: IoSource<std::os::unix::net::UnixListener>,
}

impl UnixListener {
    /// Binds the socket at `path` and listens (backlog 1024). The path must
    /// not exist; removing it afterwards is the caller's business.
    ///
    /// # Errors
    ///
    /// `AddrInUse` if the path exists, the OS's otherwise.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking().cloexec(), None)?;
        socket.bind(&SockAddr::unix(path.as_ref())?)?;
        socket.listen(DEFAULT_BACKLOG as i32)?;
        UnixListener::from_std(socket.into())
    }

    /// Takes over a listening std socket (made non-blocking here).
    ///
    /// # Errors
    ///
    /// No running loop, or the OS refused the registration.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            source: register(listener)?,
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

    /// Waits for a connection and accepts it.
    ///
    /// # Errors
    ///
    /// As [`TcpListener::accept`](super::TcpListener::accept).
    ///
    /// # Cancel safety
    ///
    /// A cancellation point; a cancelled accept takes no connection.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (stream, addr) =
            poll_fn(|cx| poll_io(&self.source, Direction::Read, cx, "accept", |l| l.accept()))
                .await?;
        Ok((UnixStream::from_std(stream)?, addr))
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}
