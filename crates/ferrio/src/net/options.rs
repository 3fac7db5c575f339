//! [`ListenOptions`] and [`ConnectOptions`]: socket options, set through
//! socket2 before `bind`/`listen` or `connect`.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use super::addr::{lookup_host, ToSocketAddrs};
use super::TcpListener;

/// The backlog of a listening socket unless set: tokio's and Go's choice
/// (asyncio's `start_server` uses 100). The kernel caps it at
/// `net.core.somaxconn`.
pub const DEFAULT_BACKLOG: u32 = 1024;

/// How to open a listening TCP socket: `SO_REUSEADDR`, `SO_REUSEPORT`,
/// `IPV6_V6ONLY` and the backlog (asyncio's `create_server` arguments).
///
/// ```
/// use ferrio::net::ListenOptions;
///
/// ferrio::run(async {
///     let listener = ListenOptions::new()
///         .reuse_port(true)
///         .backlog(128)
///         .bind("127.0.0.1:0")
///         .await
///         .unwrap();
///     assert!(listener.local_addr().unwrap().port() > 0);
/// })
/// .unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct ListenOptions {
    reuse_address: bool,
    reuse_port: bool,
    only_v6: Option<bool>,
    backlog: u32,
}

impl Default for ListenOptions {
    fn default() -> ListenOptions {
        ListenOptions::new()
    }
}

impl ListenOptions {
    /// `SO_REUSEADDR` on (asyncio's default on Unix: a restarted server can
    /// bind while old connections linger in `TIME_WAIT`), `SO_REUSEPORT`
    /// off, backlog [`DEFAULT_BACKLOG`].
    pub fn new() -> ListenOptions {
        ListenOptions {
            reuse_address: true,
            reuse_port: false,
            only_v6: None,
            backlog: DEFAULT_BACKLOG,
        }
    }

    /// `SO_REUSEADDR`.
    pub fn reuse_address(mut self, on: bool) -> ListenOptions {
        self.reuse_address = on;
        self
    }

    /// `SO_REUSEPORT`: several sockets (one per loop, one per core) may
    /// bind the same address, and the kernel spreads incoming connections
    /// among them.
    pub fn reuse_port(mut self, on: bool) -> ListenOptions {
        self.reuse_port = on;
        self
    }

    /// `IPV6_V6ONLY` for IPv6 addresses (the system default otherwise).
    pub fn only_v6(mut self, on: bool) -> ListenOptions {
        self.only_v6 = Some(on);
        self
    }

    /// The length of the queue of connections not yet accepted.
    pub fn backlog(mut self, backlog: u32) -> ListenOptions {
        self.backlog = backlog;
        self
    }

    /// The configured backlog.
    pub fn get_backlog(&self) -> u32 {
        self.backlog
    }

    /// Binds the first of `addr`'s addresses that can be bound, and
    /// listens.
    ///
    /// # Errors
    ///
    /// Resolution errors, and the error of the last address tried.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point only while a host name is resolved.
    pub async fn bind(&self, addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last = None;
        for addr in lookup_host(addr).await? {
            match self.bind_one(addr) {
                Ok(listener) => return Ok(listener),
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("lookup_host returns at least one address"))
    }

    /// Binds exactly `addr` and listens, without resolution.
    ///
    /// # Errors
    ///
    /// `bind(2)`'s or `listen(2)`'s error, or no running loop.
    pub fn bind_one(&self, addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = Socket::new(
            Domain::for_address(addr),
            Type::STREAM.nonblocking().cloexec(),
            Some(Protocol::TCP),
        )?;
        if self.reuse_address {
            socket.set_reuse_address(true)?;
        }
        if self.reuse_port {
            socket.set_reuse_port(true)?;
        }
        if let (Some(only), SocketAddr::V6(_)) = (self.only_v6, addr) {
            socket.set_only_v6(only)?;
        }
        socket
            .bind(&SockAddr::from(addr))
            .map_err(|e| io::Error::new(e.kind(), format!("cannot bind {addr}: {e}")))?;
        socket.listen(i32::try_from(self.backlog).unwrap_or(i32::MAX))?;
        TcpListener::from_std(socket.into())
    }
}

/// How to connect a TCP stream: a time limit for each address tried,
/// `TCP_NODELAY`, `SO_KEEPALIVE`.
///
/// ```
/// use std::time::Duration;
/// use ferrio::net::{ConnectOptions, TcpListener};
///
/// ferrio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let stream = ConnectOptions::new()
///         .attempt_timeout(Some(Duration::from_secs(5)))
///         .nodelay(true)
///         .connect(listener.local_addr().unwrap())
///         .await
///         .unwrap();
///     assert!(stream.nodelay().unwrap());
/// })
/// .unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub(super) attempt_timeout: Option<Duration>,
    pub(super) nodelay: bool,
    pub(super) keepalive: Option<Duration>,
}

impl ConnectOptions {
    /// No time limit, Nagle's algorithm on, no keep-alive: the system's
    /// defaults.
    pub fn new() -> ConnectOptions {
        ConnectOptions::default()
    }

    /// The time limit of each address's attempt; on expiry the next
    /// address is tried. `None`: the kernel's own limit (minutes).
    pub fn attempt_timeout(mut self, limit: Option<Duration>) -> ConnectOptions {
        self.attempt_timeout = limit;
        self
    }

    /// `TCP_NODELAY`: send small writes at once instead of coalescing them.
    pub fn nodelay(mut self, on: bool) -> ConnectOptions {
        self.nodelay = on;
        self
    }

    /// `SO_KEEPALIVE` with this idle time before the first probe.
    pub fn keepalive(mut self, idle: Option<Duration>) -> ConnectOptions {
        self.keepalive = idle;
        self
    }

    /// Connects to the first of `addr`'s addresses that accepts (see
    /// [`TcpStream::connect`](super::TcpStream::connect)).
    ///
    /// # Errors
    ///
    /// As [`TcpStream::connect`](super::TcpStream::connect).
    ///
    /// # Cancel safety
    ///
    /// As [`TcpStream::connect`](super::TcpStream::connect).
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<super::TcpStream> {
        super::tcp_stream::connect(addr, self).await
    }
}

/// Turns `SO_KEEPALIVE` on with `idle` before the first probe, or off.
pub(super) fn set_keepalive(
    socket: socket2::SockRef<'_>,
    idle: Option<Duration>,
) -> io::Result<()> {
    match idle {
        None => socket.set_keepalive(false),
        Some(idle) => socket.set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(idle)),
    }
}
