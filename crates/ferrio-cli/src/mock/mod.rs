//! `ferrio serve-mock`: a mock JSON API on 127.0.0.1, with latency,
//! failures, rate limits and misbehaving endpoints to order.
//!
//! The same server runs in-process for `ferrio demo` and the tests:
//! [`MockServer::start`] on the current ferrio loop, so on a virtual-clock
//! loop its latency costs no real time.
//!
//! | path | answer |
//! |---|---|
//! | `GET /item/{id}` | 200 `{"id":id,"name":"item {id}"}` after the latency; subject to the fail rate and rate limit |
//! | `GET /status/{code}` | that status, `{"status":code}`; 429 and 503 carry `Retry-After: 1` |
//! | `GET /flaky/{k}/{id}` | 503 for the first `k` requests of `(k, id)`, then the item |
//! | `GET /redirect/{n}` | 302 to `/redirect/{n-1}`; at 0, 200 `{"redirects":"done"}` |
//! | `GET /reset` | the connection is reset (`SO_LINGER` 0), no response |
//! | `GET /hang` | no response, until the client leaves or the server shuts down |
//! | `GET /bytes/{n}` | `n` zero bytes, `application/octet-stream`, capped at 64 MiB |
//! | `GET /gzip/{id}`, `/deflate/{id}` | the item, `Content-Encoding: gzip` / `deflate` (zlib) |
//! | `GET /blocking/{ms}` | blocks the loop thread for `ms`, in a task named `mock handler /blocking/{ms}` |
//! | any method `/echo` | `{"method","path","query","headers","body"}` of the request |
//! | `GET /_stats` | [`MockStats`] as JSON (itself not counted) |
//! | anything else | 404 JSON; a bad parameter is a 400, another method than GET/HEAD a 405 |
//!
//! Every route but `/_stats` is subject to the rate limit (429 with
//! `Retry-After` in whole seconds, rounded up) and then the latency.
//!
//! From the command line: `cargo run -p ferrio-cli -- serve-mock --port 0
//! --latency 50..300ms --fail-rate 0.05 --seed 1` prints
//! `listening on http://127.0.0.1:PORT` as its first line and serves
//! until Ctrl-C (`ferrio serve-mock --help` lists every flag).
//!
//! ```
//! use ferrio_cli::mock::{MockConfig, MockServer};
//!
//! ferrio::run(async {
//!     let server = MockServer::start(MockConfig { fail_rate: 0.1, seed: Some(1), ..MockConfig::default() })
//!         .await
//!         .unwrap();
//!     println!("try {}", server.url("/item/17"));
//!     server.shutdown().await.unwrap();
//! })
//! .unwrap();
//! ```

mod answer;
mod args;
mod body;
mod config;
mod connection;
mod faults;
mod handler;
mod routes;
mod server;
mod stats;

use std::future::Future;
use std::io::{self, Write};

pub use args::MockArgs;
pub use config::{
    ConfigError, MockConfig, RateLimit, DEFAULT_SHUTDOWN_GRACE, SLOW_BODY_CHUNKS,
    SLOW_BODY_DEFAULT_PAUSE,
};
pub use routes::{MAX_BLOCKING_MS, MAX_BYTES};
pub use server::MockServer;
pub use stats::MockStats;

use crate::error::CliError;

/// Runs `ferrio serve-mock` until Ctrl-C; returns the exit code: 0 after a
/// graceful shutdown, 130 if a second Ctrl-C cut the shutdown short.
///
/// # Errors
///
/// [`CliError::Usage`] for flags that do not make sense together,
/// [`CliError::Io`] if the port cannot be bound or Ctrl-C cannot be
/// handled, [`CliError::Runtime`] if the event loop fails.
pub fn run(args: MockArgs) -> Result<u8, CliError> {
    let config = MockConfig::try_from(args)?;
    // Ctrl-C is ours: it starts a graceful shutdown, not a cancellation.
    // After a second Ctrl-C the runner cancels the connections left; their
    // cleanup is quick.
    let runner = ferrio::Runner::builder()
        .handle_sigint(false)
        .shutdown_grace(Some(std::time::Duration::from_secs(1)))
        .build()?;
    runner.run(serve(config))?
}

async fn serve(config: MockConfig) -> Result<u8, CliError> {
    let port = config.port;
    // Before the listening line: a client may send SIGINT as soon as it reads it.
    let mut ctrl_c = ferrio::signal::ctrl_c()
        .map_err(|e| CliError::io("cannot handle Ctrl-C", io::Error::other(e.to_string())))?;
    let server = MockServer::start(config).await.map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::AddrInUse {
            format!("port {port} is in use: choose another --port, or --port 0 for a free one")
        } else {
            format!("cannot listen on 127.0.0.1:{port}: choose another --port")
        };
        CliError::io(hint, e)
    })?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on {}", server.url(""))
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::io("writing the listening line to standard output", e))?;
    drop(stdout);
    if let Err(cancelled) = ctrl_c.recv().await {
        return Err(cancelled_error(cancelled));
    }
    eprintln!(
        "ferrio serve-mock: Ctrl-C: finishing the requests in flight (Ctrl-C again to stop at once)"
    );
    // Shutdown is bounded by --shutdown-grace; a second Ctrl-C cuts it short.
    let mut shutdown = std::pin::pin!(server.shutdown());
    let mut again = std::pin::pin!(ctrl_c.recv());
    let stopped = std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(done) = shutdown.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(done));
        }
        again.as_mut().poll(cx).map(|_| None)
    })
    .await;
    match stopped {
        Some(Ok(())) => Ok(crate::error::EXIT_OK),
        Some(Err(cancelled)) => Err(cancelled_error(cancelled)),
        // The runner cancels what is left as it closes.
        None => Ok(crate::error::EXIT_INTERRUPTED),
    }
}

fn cancelled_error(cancelled: ferrio::Cancelled) -> CliError {
    CliError::Runtime(format!("serve-mock was cancelled: {cancelled}"))
}
