//! [`MockServer`]: the listening socket, the accept loop and shutdown.
//!
//! Built on `ferrio::net::TcpListener` rather than `ferrio::stream`'s
//! `start_server`: that server hands each handler a
//! `(StreamReader, StreamWriter)` pair, and hyper needs one transport that
//! is both `Read` and `Write`; its `close()` also cancels handlers at once,
//! where the mock lets in-flight requests finish, and its accept loop
//! cannot pause at `--max-connections`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use ferrio::net::TcpListener;
use ferrio::sync::Semaphore;
use ferrio::{Cancelled, Task};

use super::config::MockConfig;
use super::connection::{self, Open};
use super::handler::State;
use super::stats::MockStats;

/// How long the accept loop waits after an accept error that is not about
/// one connection (out of descriptors, say) before it accepts again.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// A running mock server on 127.0.0.1, on the current ferrio loop.
///
/// Dropping it stops accepting at once and asks open connections to close
/// after their request in flight; [`shutdown`](Self::shutdown) does the
/// same and waits until they have.
///
/// ```
/// use ferrio_cli::mock::{MockConfig, MockServer};
///
/// ferrio::run(async {
///     let server = MockServer::start(MockConfig::default()).await.unwrap();
///     assert!(server.url("/item/1").starts_with("http://127.0.0.1:"));
///     assert_eq!(server.stats().requests, 0);
///     server.shutdown().await.unwrap();
/// })
/// .unwrap();
/// ```
pub struct MockServer {
    state: Rc<State>,
    addr: SocketAddr,
    accept: Option<Task<()>>,
}

impl MockServer {
    /// Validates `config`, binds `127.0.0.1:{config.port}` and starts
    /// accepting, in a task of the current loop.
    ///
    /// # Errors
    ///
    /// `InvalidInput` with the [`ConfigError`](super::ConfigError) if the
    /// configuration does not make sense; the OS's error if the port
    /// cannot be bound (`AddrInUse`: choose another port, or 0); an error
    /// outside a running ferrio loop, or on one that is closing.
    ///
    /// # Cancel safety
    ///
    /// Cancelling it before it returns binds nothing that outlives it.
    pub async fn start(config: MockConfig) -> io::Result<MockServer> {
        config
            .validate()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], config.port))).await?;
        let addr = listener.local_addr()?;
        let slots = config.max_connections.map(Semaphore::new);
        let state = Rc::new(State::new(config));
        let accept = ferrio::task::Builder::new()
            .name(format!("mock accept {addr}"))
            .spawn(accept_loop(state.clone(), listener, slots))
            .map_err(io::Error::other)?;
        Ok(MockServer {
            state,
            addr,
            accept: Some(accept),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Its configuration.
    pub fn config(&self) -> &MockConfig {
        &self.state.config
    }

    /// A snapshot of its counters.
    pub fn stats(&self) -> MockStats {
        self.state.counters.snapshot()
    }

    /// Stops accepting (the listening socket closes), lets each open
    /// connection finish its request in flight — for up to the
    /// configured shutdown grace, after which it is dropped — and waits
    /// until every connection is closed. Idle keep-alive connections close
    /// at once; `/hang` requests end without a response.
    ///
    /// # Errors
    ///
    /// [`Cancelled`] if the caller is cancelled while it waits.
    ///
    /// # Cancel safety
    ///
    /// Cancelling it stops only the wait: the connections still close.
    pub async fn shutdown(mut self) -> Result<(), Cancelled> {
        self.state.closing.set();
        if let Some(accept) = self.accept.take() {
            accept.cancel();
            // Its outcome is the cancellation just asked for.
            let _ = accept.await;
        }
        self.state.drained.wait().await
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.state.closing.set();
        if let Some(accept) = self.accept.take() {
            accept.cancel();
        }
    }
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .field("open_connections", &self.state.counters.open_connections())
            .field("closing", &self.state.closing.is_set())
            .finish()
    }
}

/// Accepts until cancelled. With `slots` (`--max-connections`), a slot is
/// taken before each accept and held by the connection: at the limit the
/// loop stops accepting, and new connections wait in the listen backlog.
async fn accept_loop(state: Rc<State>, listener: TcpListener, slots: Option<Semaphore>) {
    loop {
        let slot = match &slots {
            Some(slots) => match slots.acquire_owned().await {
                Ok(slot) => Some(slot),
                Err(_cancelled) => return,
            },
            None => None,
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) if ferrio::net::is_cancelled(&e) => return,
            Err(e) if about_one_connection(&e) => continue,
            Err(_) => {
                if ferrio::sleep(ACCEPT_RETRY).await.is_err() {
                    return;
                }
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let open = Open::new(state.clone(), slot);
        let spawned = ferrio::task::Builder::new()
            .name(format!("mock connection {peer}"))
            .spawn(connection::serve(open, stream));
        match spawned {
            Ok(task) => task.detach(),
            // The loop is closing: nothing more to serve.
            Err(_) => return,
        }
    }
}

/// Whether an accept error concerns only the connection being accepted.
fn about_one_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::PermissionDenied
    )
}
