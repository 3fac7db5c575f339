//! The network family: TCP echo on 127.0.0.1. One Rust client (a tokio
//! `current_thread` loop on its own thread, pinned to CPU 1) opens 100
//! connections and makes a fixed number of round trips on each, checking
//! every echoed byte, against each server in its own process:
//!
//! - `ferrio`: one ferrio loop (`net::TcpListener`, read + `write_all`), CPU 0;
//! - `ferrio-streams`: one ferrio loop with asyncio's streams API
//!   (`stream::ServerOptions::start`, `StreamReader::read_into` +
//!   `StreamWriter::write`/`drain`), CPU 0: the like-for-like peer of `uvloop`;
//! - `ferrio-2loops`: `ferrio::run_on_cores(2)`, one `SO_REUSEPORT` listener
//!   per loop, each loop pinned to its CPU (so it shares CPU 1 with the client);
//! - `tokio-ct`: tokio `current_thread` (read + `write_all`), CPU 0;
//! - `uvloop`: asyncio streams on uvloop (`bench/py/echo_server.py`), CPU 0.
//!
//! Reported: round trips per second, and the server process's CPU seconds
//! (its threads' `schedstat` run time) over the timed part.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::child;
use crate::report::{available, Better, Cell, Family, Miss, Row};
use crate::rotation::rotated;
use crate::stats::Summary;
use crate::Ctx;

/// The servers (columns), ferrio first.
pub const SERVERS: [&str; 5] = [
    "ferrio",
    "ferrio-streams",
    "ferrio-2loops",
    "tokio-ct",
    "uvloop",
];

/// Connections per run.
pub const CONNECTIONS: usize = 100;

/// The message sizes.
pub const SIZES: [usize; 2] = [64, 4096];

/// Round trips per connection.
pub fn rounds(quick: bool) -> usize {
    if quick {
        20
    } else {
        2_000
    }
}

// ---------------------------------------------------------------- servers

fn announce(port: u16) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening {port}");
    let _ = out.flush();
}

async fn ferrio_echo(stream: ferrio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 65536];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// The `ferrio-streams` handler: asyncio's `reader.read` / `writer.write` +
/// `drain` loop, as `bench/py/echo_server.py` has it.
async fn ferrio_streams_echo(
    mut reader: ferrio::stream::StreamReader,
    writer: ferrio::stream::StreamWriter,
) {
    let mut buf = vec![0u8; 65536];
    while let Ok(n) = reader.read_into(&mut buf).await {
        if n == 0 || writer.write(&buf[..n]).is_err() || writer.drain().await.is_err() {
            break;
        }
    }
}

async fn ferrio_accept(listener: ferrio::net::TcpListener) {
    while let Ok((s, _)) = listener.accept().await {
        ferrio::spawn(ferrio_echo(s)).detach();
    }
}

/// Serves echo on `runtime` until killed (the `child echo-server`
/// subcommand); prints `listening PORT` once bound.
pub fn serve(runtime: &str) -> i32 {
    match runtime {
        "ferrio" => {
            let r = ferrio::run(async {
                let listener = ferrio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("ferrio: bind");
                announce(listener.local_addr().expect("local_addr").port());
                ferrio_accept(listener).await;
            });
            i32::from(r.is_err())
        }
        "ferrio-streams" => {
            let r = ferrio::run(async {
                let server = ferrio::stream::ServerOptions::new()
                    .start(ferrio_streams_echo, "127.0.0.1:0")
                    .await
                    .expect("ferrio: start_server");
                announce(server.sockets()[0].port());
                std::future::pending::<()>().await;
            });
            i32::from(r.is_err())
        }
        "ferrio-2loops" => {
            let port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr())
            {
                Ok(a) => a.port(),
                Err(e) => {
                    eprintln!("cannot pick a port: {e}");
                    return 1;
                }
            };
            static BOUND: AtomicUsize = AtomicUsize::new(0);
            let results = ferrio::run_on_cores(2, move |core| async move {
                let listener = ferrio::net::ListenOptions::new()
                    .reuse_port(true)
                    .bind(("127.0.0.1", port))
                    .await
                    .expect("ferrio: bind with SO_REUSEPORT");
                if BOUND.fetch_add(1, Ordering::SeqCst) + 1 == core.count {
                    announce(port);
                }
                ferrio_accept(listener).await;
            });
            i32::from(results.iter().any(Result::is_err))
        }
        "tokio-ct" => {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio: runtime");
            rt.block_on(async {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("tokio: bind");
                announce(listener.local_addr().expect("local_addr").port());
                while let Ok((mut s, _)) = listener.accept().await {
                    tokio::spawn(async move {
                        let _ = s.set_nodelay(true);
                        let mut buf = vec![0u8; 65536];
                        loop {
                            match s.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    if s.write_all(&buf[..n]).await.is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                    });
                }
            });
            0
        }
        other => {
            eprintln!("unknown echo server {other:?}");
            2
        }
    }
}

/// A server process, its port, and its kill switch.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(ctx: &Ctx, server: &str) -> Result<Server, Miss> {
        let pin = ctx.plan.pin.then_some(0);
        let mut cmd = match server {
            "uvloop" => {
                let py = available(&ctx.python)?;
                available(&py.uvloop)?;
                let mut c = child::command(&py.python, pin);
                c.arg(ctx.repo.join("bench/py/echo_server.py"));
                c
            }
            // run_on_cores pins its own loops, one per CPU.
            "ferrio-2loops" => {
                let mut c = child::command(&ctx.exe, None);
                c.args(["child", "echo-server", "--runtime", server]);
                c
            }
            _ => {
                let mut c = child::command(&ctx.exe, pin);
                c.args(["child", "echo-server", "--runtime", server]);
                c
            }
        };
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd
            .spawn()
            .map_err(|e| Miss::Fail(format!("cannot start: {e}")))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok());
        match port {
            Some(port) => Ok(Server { child, port }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(Miss::Fail(format!(
                    "server printed {:?} instead of its port",
                    line.trim()
                )))
            }
        }
    }

    fn cpu(&self) -> Duration {
        crate::sys::process_cpu(self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ----------------------------------------------------------------- client

/// The byte at position `j` of round `r` on connection `c`: every message
/// differs, so a server cannot echo stale data unnoticed.
fn pattern(c: usize, r: usize, j: usize) -> u8 {
    (c.wrapping_mul(31) ^ r.wrapping_mul(7) ^ j) as u8
}

/// One client run: `CONNECTIONS` connections to `port`, `rounds` round
/// trips of `size` bytes each. Returns the timed part's duration; fails if
/// any echoed byte differs. Runs a tokio `current_thread` loop on a fresh
/// thread pinned to CPU 1 (when `pin`), timing `before`/`after` around
/// the round trips for the server's CPU reading.
fn client(
    port: u16,
    size: usize,
    rounds: usize,
    pin: bool,
    server_cpu: &(dyn Fn() -> Duration + Sync),
) -> Result<(Duration, Duration), String> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                if pin {
                    crate::sys::pin_to(1);
                }
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("tokio: {e}"))?;
                rt.block_on(client_loop(port, size, rounds, server_cpu))
            })
            .join()
            .map_err(|_| "the client panicked".to_string())?
    })
}

async fn client_loop(
    port: u16,
    size: usize,
    rounds: usize,
    server_cpu: &(dyn Fn() -> Duration + Sync),
) -> Result<(Duration, Duration), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut streams = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = s.set_nodelay(true);
        streams.push(s);
    }
    let cpu_before = server_cpu();
    let start = Instant::now();
    let tasks: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(c, mut s)| {
            tokio::spawn(async move {
                let mut out = vec![0u8; size];
                let mut back = vec![0u8; size];
                let mut checked = 0usize;
                for r in 0..rounds {
                    for (j, b) in out.iter_mut().enumerate() {
                        *b = pattern(c, r, j);
                    }
                    s.write_all(&out).await.map_err(|e| format!("write: {e}"))?;
                    s.read_exact(&mut back)
                        .await
                        .map_err(|e| format!("read: {e}"))?;
                    if back != out {
                        return Err(format!("connection {c} round {r}: echo differs"));
                    }
                    checked += size;
                }
                Ok::<usize, String>(checked)
            })
        })
        .collect();
    let mut checked = 0;
    for t in tasks {
        checked += t.await.map_err(|e| format!("client task: {e}"))??;
    }
    let elapsed = start.elapsed();
    let cpu = server_cpu().saturating_sub(cpu_before);
    let expected = CONNECTIONS * rounds * size;
    if checked != expected {
        return Err(format!("{checked} bytes checked, expected {expected}"));
    }
    Ok((elapsed, cpu))
}

/// One measurement: a fresh server, one client run; (req/s, server CPU s).
fn measure(ctx: &Ctx, server: &str, size: usize) -> Result<(f64, f64), Miss> {
    let srv = Server::start(ctx, server)?;
    let rounds = rounds(ctx.plan.quick);
    let cpu = || srv.cpu();
    let (elapsed, cpu) = client(srv.port, size, rounds, ctx.plan.pin, &cpu)?;
    let requests = (CONNECTIONS * rounds) as f64;
    Ok((requests / elapsed.as_secs_f64(), cpu.as_secs_f64()))
}

/// Runs the network family.
pub fn run(ctx: &Ctx) -> Family {
    let mut values: HashMap<(usize, &str), Vec<(f64, f64)>> = HashMap::new();
    let mut failures: HashMap<(usize, &str), Miss> = HashMap::new();
    for run in 0..ctx.plan.runs as usize {
        for (i, size) in SIZES.into_iter().enumerate() {
            for server in rotated(&SERVERS, run + i) {
                if failures.contains_key(&(size, server)) {
                    continue;
                }
                match measure(ctx, server, size) {
                    Ok(v) => values.entry((size, server)).or_default().push(v),
                    Err(e) => {
                        if let Miss::Fail(why) = &e {
                            eprintln!("  echo {size} B on {server} FAILED: {why}");
                        }
                        failures.insert((size, server), e);
                    }
                }
            }
            eprint!(".");
        }
        eprintln!(" network run {}/{}", run + 1, ctx.plan.runs);
    }
    let rows = SIZES
        .into_iter()
        .map(|size| Row {
            workload: format!(
                "echo {}",
                if size >= 1024 {
                    format!("{} KiB", size / 1024)
                } else {
                    format!("{size} B")
                }
            ),
            unit: "req/s".into(),
            better: Better::Higher,
            cells: SERVERS
                .iter()
                .map(|&s| {
                    let cell = match (failures.get(&(size, s)), values.get(&(size, s))) {
                        (Some(miss), _) => miss.to_cell(),
                        (None, Some(v)) => {
                            let rates: Vec<f64> = v.iter().map(|x| x.0).collect();
                            let cpu: Vec<f64> = v.iter().map(|x| x.1).collect();
                            let requests = (CONNECTIONS * rounds(ctx.plan.quick)) as f64;
                            let per_cpu: Vec<f64> =
                                cpu.iter().map(|c| requests / c.max(1e-9)).collect();
                            Cell::Measured {
                                summary: Summary::of(&rates).expect("a run"),
                                extras: vec![
                                    (
                                        "server CPU".into(),
                                        "s".into(),
                                        Summary::of(&cpu).expect("a run"),
                                    ),
                                    (
                                        "per server CPU second".into(),
                                        "round trips".into(),
                                        Summary::of(&per_cpu).expect("a run"),
                                    ),
                                ],
                            }
                        }
                        (None, None) => Cell::Skipped("not run".into()),
                    };
                    (s.to_string(), cell)
                })
                .collect(),
        })
        .collect();
    let r = rounds(ctx.plan.quick);
    Family {
        name: "network".into(),
        title: "Network: TCP echo on loopback".into(),
        notes: vec![
            format!(
                "{CONNECTIONS} connections × {r} round trips of 64 B or 4 KiB each; one Rust \
                 client for every server (tokio `current_thread`, `write_all` + `read_exact`, \
                 pinned to CPU 1), every echoed byte compared; a fresh server process per run"
            ),
            "`ferrio`, `ferrio-streams` (asyncio's streams API: `start_server`, `read` + \
             `write`/`drain`), `tokio-ct` and `uvloop` (asyncio streams) serve on one loop \
             pinned to CPU 0; `ferrio-2loops` is `ferrio::run_on_cores(2)` with one `SO_REUSEPORT` \
             listener per loop — on this 2-CPU machine its second loop shares CPU 1 with the \
             client"
                .into(),
            "metric: round trips per second over the timed part (connections opened before); \
             secondary: the server process's CPU seconds over the same part (sum of its threads' \
             `schedstat` run time) and round trips per server CPU second (efficiency per core)"
                .into(),
        ],
        runtimes: SERVERS.iter().map(|s| s.to_string()).collect(),
        rows,
    }
}
