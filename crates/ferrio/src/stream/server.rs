//! [`start_server`] and [`Server`]: asyncio's `start_server`,
//! `start_unix_server` and `Server` — one task per connection.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use super::reader::{StreamReader, DEFAULT_LIMIT};
use super::transport::{Conn, Direct, Transport};
use super::writer::StreamWriter;
use crate::net::{
    accept_error_kind, lookup_host, AcceptErrorKind, ListenOptions, TcpListener, ToSocketAddrs,
    UnixListener,
};
use crate::sync::Event;
use crate::task::{Cancelled, TaskRef};

/// How long the accept loop waits after running out of descriptors or
/// memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) before accepting
/// again: asyncio's `ACCEPT_RETRY_DELAY`.
pub const ACCEPT_RETRY_DELAY: Duration = Duration::from_secs(1);

/// Turns an accepted transport into the one the handler gets (a TLS
/// handshake).
pub(crate) type Upgrade =
    Rc<dyn Fn(Rc<dyn Transport>) -> Pin<Box<dyn Future<Output = io::Result<Rc<dyn Transport>>>>>>;

/// How to run a server: the listening socket's options and the reader
/// limit of each connection (asyncio's `start_server` keyword arguments).
///
/// ```
/// use ferrio::stream::{ServerOptions, StreamReader, StreamWriter};
///
/// ferrio::run(async {
///     let server = ServerOptions::new()
///         .limit(1024)
///         .backlog(64)
///         .start(|_r: StreamReader, _w: StreamWriter| async {}, "127.0.0.1:0")
///         .await
///         .unwrap();
///     assert!(server.is_serving());
///     server.close();
///     server.wait_closed().await.unwrap();
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct ServerOptions {
    listen: ListenOptions,
    limit: usize,
    pub(crate) upgrade: Option<Upgrade>,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions::new()
    }
}

impl fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerOptions")
            .field("listen", &self.listen)
            .field("limit", &self.limit)
            .field("tls", &self.upgrade.is_some())
            .finish()
    }
}

impl ServerOptions {
    /// The defaults: [`ListenOptions::new`], a 64 KiB reader limit.
    pub fn new() -> ServerOptions {
        ServerOptions {
            listen: ListenOptions::new(),
            limit: DEFAULT_LIMIT,
            upgrade: None,
        }
    }

    /// The reader limit of each connection.
    pub fn limit(mut self, limit: usize) -> ServerOptions {
        self.limit = limit.max(1);
        self
    }

    /// The listen backlog.
    pub fn backlog(mut self, backlog: u32) -> ServerOptions {
        self.listen = self.listen.backlog(backlog);
        self
    }

    /// `SO_REUSEPORT` (one listener per loop, one loop per core).
    pub fn reuse_port(mut self, on: bool) -> ServerOptions {
        self.listen = self.listen.reuse_port(on);
        self
    }

    /// All the listening socket's options.
    pub fn listen_options(mut self, options: ListenOptions) -> ServerOptions {
        self.listen = options;
        self
    }

    /// Binds every address `addr` resolves to and serves on each:
    /// asyncio's `start_server(handler, host, port)`.
    ///
    /// # Errors
    ///
    /// Resolution or bind errors (nothing is left listening then).
    ///
    /// # Cancel safety
    ///
    /// A cancellation point only while a host name is resolved.
    pub async fn start<H, F>(&self, handler: H, addr: impl ToSocketAddrs) -> io::Result<Server>
    where
        H: Fn(StreamReader, StreamWriter) -> F + 'static,
        F: Future + 'static,
    {
        let mut listeners = Vec::new();
        for addr in lookup_host(addr).await? {
            listeners.push(Listener::Tcp(self.listen.bind_one(addr)?));
        }
        Server::start(listeners, Rc::new(handler), self.clone())
    }

    /// Binds the Unix socket at `path` and serves on it: asyncio's
    /// `start_unix_server(handler, path)`.
    ///
    /// # Errors
    ///
    /// As [`UnixListener::bind`].
    pub fn start_unix<H, F>(&self, handler: H, path: impl AsRef<Path>) -> io::Result<Server>
    where
        H: Fn(StreamReader, StreamWriter) -> F + 'static,
        F: Future + 'static,
    {
        let listener = UnixListener::bind(path.as_ref())?;
        Server::start(
            vec![Listener::Unix(listener, path.as_ref().to_path_buf())],
            Rc::new(handler),
            self.clone(),
        )
    }
}

/// Starts a server on `addr` that runs `handler(reader, writer)` as a new
/// task for each connection: asyncio's `start_server(client_connected_cb,
/// host, port)`. Use [`ServerOptions`] for the backlog, `SO_REUSEPORT`, the
/// reader limit or TLS.
///
/// # Errors
///
/// As [`ServerOptions::start`].
///
/// # Cancel safety
///
/// As [`ServerOptions::start`].
pub async fn start_server<H, F>(handler: H, addr: impl ToSocketAddrs) -> io::Result<Server>
where
    H: Fn(StreamReader, StreamWriter) -> F + 'static,
    F: Future + 'static,
{
    ServerOptions::new().start(handler, addr).await
}

/// [`start_server`] on a Unix socket: asyncio's `start_unix_server`.
///
/// # Errors
///
/// As [`UnixListener::bind`].
pub fn start_unix_server<H, F>(handler: H, path: impl AsRef<Path>) -> io::Result<Server>
where
    H: Fn(StreamReader, StreamWriter) -> F + 'static,
    F: Future + 'static,
{
    ServerOptions::new().start_unix(handler, path)
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

impl Listener {
    async fn accept(&self) -> io::Result<(Rc<dyn Transport>, Option<String>)> {
        match self {
            Listener::Tcp(l) => {
                let (stream, peer) = l.accept().await?;
                // As asyncio: TCP_NODELAY on every TCP transport.
                let _ = stream.set_nodelay(true);
                Ok((Rc::new(Direct(stream)), Some(peer.to_string())))
            }
            Listener::Unix(l, _) => {
                let (stream, _) = l.accept().await?;
                Ok((Rc::new(Direct(stream)), None))
            }
        }
    }
}

struct Inner {
    tcp: Vec<SocketAddr>,
    unix: Vec<PathBuf>,
    accepting: RefCell<Vec<TaskRef>>,
    accept_loops: Cell<usize>,
    connections: RefCell<HashMap<u64, TaskRef>>,
    next_id: Cell<u64>,
    closed: Cell<bool>,
    done: Event,
    accepted: Cell<u64>,
}

impl Inner {
    fn check_done(&self) {
        if self.closed.get() && self.accept_loops.get() == 0 && self.connections.borrow().is_empty()
        {
            self.done.set();
        }
    }
}

/// A running server: asyncio's `Server`.
///
/// Each connection runs its handler in a task of its own. The server
/// serves from [`start_server`] on; dropping the `Server` leaves it
/// serving (its tasks run on until [`close`](Self::close) or the loop's
/// shutdown).
pub struct Server {
    inner: Rc<Inner>,
}

impl Server {
    fn start<H, F>(
        listeners: Vec<Listener>,
        handler: Rc<H>,
        options: ServerOptions,
    ) -> io::Result<Server>
    where
        H: Fn(StreamReader, StreamWriter) -> F + 'static,
        F: Future + 'static,
    {
        let mut tcp = Vec::new();
        let mut unix = Vec::new();
        for l in &listeners {
            match l {
                Listener::Tcp(l) => tcp.push(l.local_addr()?),
                Listener::Unix(_, p) => unix.push(p.clone()),
            }
        }
        let inner = Rc::new(Inner {
            tcp,
            unix,
            accepting: RefCell::new(Vec::new()),
            accept_loops: Cell::new(0),
            connections: RefCell::new(HashMap::new()),
            next_id: Cell::new(0),
            closed: Cell::new(false),
            done: Event::new(),
            accepted: Cell::new(0),
        });
        for listener in listeners {
            let name = match &listener {
                Listener::Tcp(l) => format!("ferrio.server accept {}", l.local_addr()?),
                Listener::Unix(_, p) => format!("ferrio.server accept {}", p.display()),
            };
            // Counted before the spawn and uncounted by the guard the task
            // owns: a task cancelled before it first runs is dropped
            // unpolled, and its guard with it.
            inner.accept_loops.set(inner.accept_loops.get() + 1);
            let guard = AcceptGuard(inner.clone());
            let task = crate::task::Builder::new()
                .name(name)
                .spawn(accept_loop(
                    listener,
                    handler.clone(),
                    guard,
                    options.clone(),
                ))
                .map_err(io::Error::other)?;
            inner.accepting.borrow_mut().push((*task).clone());
            task.detach();
        }
        Ok(Server { inner })
    }

    /// The bound TCP addresses: asyncio's `sockets` (their `getsockname()`).
    pub fn sockets(&self) -> Vec<SocketAddr> {
        self.inner.tcp.clone()
    }

    /// The Unix socket paths served.
    pub fn unix_sockets(&self) -> Vec<PathBuf> {
        self.inner.unix.clone()
    }

    /// Whether the server accepts connections: asyncio's `is_serving()`.
    pub fn is_serving(&self) -> bool {
        !self.inner.closed.get()
    }

    /// How many connections are being handled now.
    pub fn connections(&self) -> usize {
        self.inner.connections.borrow().len()
    }

    /// How many connections were accepted in all.
    pub fn accepted(&self) -> u64 {
        self.inner.accepted.get()
    }

    /// Stops accepting (the listening sockets close) and cancels the
    /// handler of every open connection, whose cleanup then runs: asyncio's
    /// `close()` followed by `close_clients()`. Returns at once;
    /// [`wait_closed`](Self::wait_closed) waits for the handlers to finish.
    pub fn close(&self) {
        if self.inner.closed.replace(true) {
            return;
        }
        for task in self.inner.accepting.borrow_mut().drain(..) {
            task.cancel();
        }
        let handlers: Vec<TaskRef> = self.inner.connections.borrow().values().cloned().collect();
        for task in handlers {
            task.cancel();
        }
        self.inner.check_done();
    }

    /// Waits until the server is closed and every connection handler has
    /// finished: asyncio's `wait_closed()`.
    ///
    /// # Errors
    ///
    /// [`Cancelled`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: closing goes on.
    pub async fn wait_closed(&self) -> Result<(), Cancelled> {
        self.inner.done.wait().await
    }

    /// Serves until cancelled, then closes the server and waits for its
    /// handlers: asyncio's `serve_forever()`. Returns the cancellation.
    ///
    /// # Errors
    ///
    /// The [`Cancelled`] that ended it; `Ok` if the server was closed by
    /// someone else meanwhile.
    ///
    /// # Cancel safety
    ///
    /// Cancelling it is how it ends.
    pub async fn serve_forever(&self) -> Result<(), Cancelled> {
        match self.inner.done.wait().await {
            Ok(()) => Ok(()),
            Err(cancelled) => {
                self.close();
                let _ = self.inner.done.wait().await;
                Err(cancelled)
            }
        }
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("tcp", &self.inner.tcp)
            .field("unix", &self.inner.unix)
            .field("serving", &self.is_serving())
            .field("connections", &self.connections())
            .finish()
    }
}

/// Removes a connection from the server when its task ends, however.
struct ConnectionGuard {
    server: Rc<Inner>,
    id: u64,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.server.connections.borrow_mut().remove(&self.id);
        self.server.check_done();
    }
}

/// Counts an accept loop out when it ends.
struct AcceptGuard(Rc<Inner>);

impl Drop for AcceptGuard {
    fn drop(&mut self) {
        self.0.accept_loops.set(self.0.accept_loops.get() - 1);
        self.0.check_done();
    }
}

async fn accept_loop<H, F>(
    listener: Listener,
    handler: Rc<H>,
    guard: AcceptGuard,
    options: ServerOptions,
) where
    H: Fn(StreamReader, StreamWriter) -> F + 'static,
    F: Future + 'static,
{
    let server = guard.0.clone();
    loop {
        match listener.accept().await {
            Ok((transport, peer)) => {
                server.accepted.set(server.accepted.get() + 1);
                spawn_connection(transport, peer, &handler, &server, &options);
            }
            Err(e) => match accept_error_kind(&e) {
                AcceptErrorKind::Cancelled => break,
                AcceptErrorKind::OutOfResources => {
                    tracing::warn!(
                        "ferrio server: accept failed ({e}); out of system resources, retrying in {:?}",
                        ACCEPT_RETRY_DELAY
                    );
                    if crate::time::sleep(ACCEPT_RETRY_DELAY).await.is_err() {
                        break;
                    }
                }
                AcceptErrorKind::Connection => {}
                _ => {
                    tracing::error!("ferrio server: accept failed ({e}); this listener stops");
                    break;
                }
            },
        }
    }
    drop(listener);
}

fn spawn_connection<H, F>(
    transport: Rc<dyn Transport>,
    peer: Option<String>,
    handler: &Rc<H>,
    server: &Rc<Inner>,
    options: &ServerOptions,
) where
    H: Fn(StreamReader, StreamWriter) -> F + 'static,
    F: Future + 'static,
{
    let id = server.next_id.get();
    server.next_id.set(id + 1);
    let guard = ConnectionGuard {
        server: server.clone(),
        id,
    };
    let handler = handler.clone();
    let upgrade = options.upgrade.clone();
    let limit = options.limit;
    let name = match &peer {
        Some(p) => format!("ferrio.server connection {p}"),
        None => "ferrio.server connection".to_owned(),
    };
    let spawned = crate::task::Builder::new().name(name).spawn(async move {
        let _guard = guard;
        let transport = match upgrade {
            None => transport,
            Some(upgrade) => match upgrade(transport).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::debug!("ferrio server: handshake failed: {e}");
                    return;
                }
            },
        };
        let conn = Conn::new(transport, peer);
        let reader = StreamReader::from_conn(conn.clone(), limit);
        let writer = StreamWriter::new(conn);
        handler(reader, writer).await;
    });
    // A failed spawn means the loop is closing: the connection is dropped
    // (closed).
    if let Ok(task) = spawned {
        server.connections.borrow_mut().insert(id, (*task).clone());
        task.detach();
    }
}
