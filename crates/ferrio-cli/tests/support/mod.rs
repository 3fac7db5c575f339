//! Shared test code: a small HTTP server with the mock API's paths, on
//! the current ferrio loop (library tests, virtual clock) or on a thread
//! of its own (end-to-end tests of the binary), and a child-process guard.
#![allow(dead_code)]

pub mod cli;
pub mod mock_process;

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ferrio::net::TcpListener;
use ferrio_cli::hyper_io::HyperIo;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};

/// Counters the server keeps.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub connections: AtomicU64,
    pub in_flight: AtomicU64,
    pub max_in_flight: AtomicU64,
    /// Per path prefix (`/item`, `/flaky`, …): requests.
    pub by_path: Mutex<HashMap<String, u64>>,
    /// Loop time (nanoseconds since the server started) of each request.
    pub arrivals: Mutex<Vec<u128>>,
}

impl Stats {
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }
    pub fn max_in_flight(&self) -> u64 {
        self.max_in_flight.load(Ordering::SeqCst)
    }
    pub fn path(&self, prefix: &str) -> u64 {
        self.by_path
            .lock()
            .unwrap()
            .get(prefix)
            .copied()
            .unwrap_or(0)
    }
}

/// What the server does beyond its paths.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Delay before every answer (on the loop clock).
    pub latency: Duration,
}

struct State {
    config: Config,
    stats: Arc<Stats>,
    flaky: Mutex<HashMap<String, u64>>,
    start: std::time::Instant,
}

/// Serves on the running loop until the loop ends; returns its address.
pub async fn serve(config: Config) -> (SocketAddr, Arc<Stats>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let state = Arc::new(State {
        config,
        stats: stats.clone(),
        flaky: Mutex::default(),
        start: ferrio::now(),
    });
    ferrio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            state.stats.connections.fetch_add(1, Ordering::SeqCst);
            let state = state.clone();
            ferrio::spawn(async move {
                let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(HyperIo(stream), service)
                    .await;
            })
            .detach();
        }
    })
    .detach();
    (addr, stats)
}

/// A server on a thread of its own, for child processes to call.
pub struct ThreadServer {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
}

impl ThreadServer {
    pub fn start(config: Config) -> ThreadServer {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runner = ferrio::Runner::builder()
                .handle_sigint(false)
                .build()
                .unwrap();
            let _ = runner.run(async move {
                tx.send(serve(config).await).unwrap();
                std::future::pending::<()>().await;
            });
        });
        let (addr, stats) = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the server starts");
        ThreadServer { addr, stats }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

type Answer = Response<Full<Bytes>>;

fn answer(status: u16, body: impl Into<Bytes>) -> Answer {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(body.into()))
        .unwrap()
}

struct InFlight<'a>(&'a Stats);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Answer, std::io::Error> {
    let stats = &state.stats;
    stats.requests.fetch_add(1, Ordering::SeqCst);
    let now = stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _guard = InFlight(stats);
    stats
        .arrivals
        .lock()
        .unwrap()
        .push((ferrio::now() - state.start).as_nanos());
    let path = req.uri().path().to_string();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    *stats
        .by_path
        .lock()
        .unwrap()
        .entry(format!("/{}", parts[0]))
        .or_default() += 1;
    if !state.config.latency.is_zero() {
        let _ = ferrio::sleep(state.config.latency).await;
    }
    let item = |id: &str| format!("{{\"id\":{id},\"name\":\"item {id}\"}}");
    Ok(match parts.as_slice() {
        ["item", id] => answer(200, item(id)),
        ["slow", ms, _] => {
            let _ = ferrio::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
            answer(200, "{}")
        }
        ["status", code] => {
            let code: u16 = code.parse().unwrap_or(400);
            let mut r = answer(code, format!("{{\"status\":{code}}}"));
            if code == 429 || code == 503 {
                r.headers_mut().insert("retry-after", "1".parse().unwrap());
            }
            r
        }
        ["flaky", k, id] => {
            let k: u64 = k.parse().unwrap_or(0);
            let seen = {
                let mut flaky = state.flaky.lock().unwrap();
                let n = flaky.entry(path.clone()).or_default();
                *n += 1;
                *n
            };
            if seen <= k {
                answer(503, "{\"error\":\"flaky\"}")
            } else {
                answer(200, item(id))
            }
        }
        ["redirect", n] => match n.parse::<u32>().unwrap_or(0) {
            0 => answer(200, "{\"redirected\":true}"),
            n => Response::builder()
                .status(302)
                .header("location", format!("/redirect/{}", n - 1))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        },
        ["reset"] => {
            // An error from the service makes hyper close the connection
            // without an answer.
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "reset",
            ));
        }
        ["hang"] => std::future::pending().await,
        ["gzip", id] | ["deflate", id] => {
            let raw = item(id);
            let body = if parts[0] == "gzip" {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(raw.as_bytes()).unwrap();
                e.finish().unwrap()
            } else {
                let mut e =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(raw.as_bytes()).unwrap();
                e.finish().unwrap()
            };
            let mut r = answer(200, body);
            r.headers_mut()
                .insert("content-encoding", parts[0].parse().unwrap());
            r
        }
        ["echo"] => {
            let method = req.method().to_string();
            let headers: HashMap<String, String> = req
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            let body = req
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let json = serde_json::json!({
                "method": method,
                "path": path,
                "headers": headers,
                "body": String::from_utf8_lossy(&body),
            });
            answer(200, json.to_string())
        }
        _ => answer(404, "{\"error\":\"not found\"}"),
    })
}

/// A listener whose accept queue is full, so a new connection is never
/// completed (the kernel drops its SYNs): what --connect-timeout is for.
/// `None` if this system completes connections anyway.
pub fn full_listener() -> Option<(
    ferrio::net::socket2::Socket,
    Vec<std::net::TcpStream>,
    std::net::SocketAddr,
)> {
    use ferrio::net::socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        )
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut held = Vec::new();
    for _ in 0..8 {
        match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300)) {
            Ok(stream) => held.push(stream),
            Err(_) => return Some((socket, held, addr)),
        }
    }
    None
}
