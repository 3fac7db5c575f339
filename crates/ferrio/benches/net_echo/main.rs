//! TCP echo on loopback: the same Rust client (a ferrio loop on CPU 1, 100
//! connections, a fixed number of round trips each) drives
//!
//! - `ferrio`: a ferrio server on CPU 0 (`net::TcpStream` read/write);
//! - `ferrio streams`: the same over `stream::start_server`
//!   (`StreamReader::read` + `StreamWriter::write`/`drain`), asyncio's API;
//! - `tokio`: a tokio `current_thread` server on CPU 0 (read/write_all);
//! - `uvloop`: Python's asyncio streams server on uvloop, on CPU 0 — when
//!   a Python with uvloop is available (`FERRIO_BENCH_PYTHON`, else
//!   `python3`);
//! - `ferrio ×2 cores`: `run_on_cores(2)`, one `SO_REUSEPORT` listener per
//!   loop (on a 2-CPU machine the client shares a CPU with one of them).
//!
//! for 64-byte and 4 KiB messages, and prints requests (round trips) per
//! second, the median of `FERRIO_BENCH_RUNS` runs (default 3) after a
//! warm-up.
//!
//! ```text
//! cargo bench -p ferrio --bench net_echo
//! python3 -m venv /tmp/uvloop && /tmp/uvloop/bin/pip install uvloop==0.23.0
//! FERRIO_BENCH_PYTHON=/tmp/uvloop/bin/python cargo bench -p ferrio --bench net_echo
//! ```

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ferrio::net::{ListenOptions, TcpListener, TcpStream};
use ferrio::stream::{ServerOptions, StreamReader, StreamWriter};

const CONNECTIONS: usize = 100;

/// Starts a server.
type Starter = Box<dyn Fn() -> Running>;

/// A running server, the threads it runs on, and how to stop it.
struct Running {
    addr: SocketAddr,
    /// `(pid, tid)` of each thread running the server's loop.
    threads: Vec<(u32, u32)>,
    stop: Box<dyn FnOnce()>,
}

/// The thread's own `(pid, tid)`.
fn me() -> (u32, u32) {
    (
        rustix::process::getpid().as_raw_nonzero().get() as u32,
        rustix::thread::gettid().as_raw_nonzero().get() as u32,
    )
}

/// CPU time the threads have used (`/proc/<pid>/task/<tid>/schedstat`,
/// nanoseconds on the CPU).
fn cpu_time(threads: &[(u32, u32)]) -> Duration {
    let mut total = 0u64;
    for (pid, tid) in threads {
        let path = format!("/proc/{pid}/task/{tid}/schedstat");
        if let Ok(s) = std::fs::read_to_string(path) {
            total += s
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
}

fn pin(cpu: usize) {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu % std::thread::available_parallelism().map_or(1, |n| n.get()));
    let _ = rustix::thread::sched_setaffinity(None, &set);
}

/// Serves until `stop` says so: a blocking wait off the loop.
async fn until(stop: mpsc::Receiver<()>) {
    ferrio::to_thread(move || stop.recv())
        .await
        .unwrap()
        .unwrap();
}

async fn raw_echo(stream: TcpStream) {
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

fn ferrio_server(streams_api: bool) -> Running {
    let (addr_tx, addr_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        pin(0);
        ferrio::run(async move {
            if streams_api {
                let server = ServerOptions::new()
                    .start(
                        |mut r: StreamReader, w: StreamWriter| async move {
                            let mut buf = vec![0u8; 65536];
                            while let Ok(n) = r.read_into(&mut buf).await {
                                if n == 0 || w.write(&buf[..n]).is_err() || w.drain().await.is_err()
                                {
                                    break;
                                }
                            }
                        },
                        "127.0.0.1:0",
                    )
                    .await
                    .unwrap();
                addr_tx.send((server.sockets()[0], me())).unwrap();
                until(stop_rx).await;
                server.close();
            } else {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx
                    .send((listener.local_addr().unwrap(), me()))
                    .unwrap();
                let acceptor = ferrio::spawn(async move {
                    while let Ok((s, _)) = listener.accept().await {
                        ferrio::spawn(raw_echo(s)).detach();
                    }
                });
                until(stop_rx).await;
                acceptor.cancel();
            }
        })
        .unwrap();
    });
    let (addr, thread_id) = addr_rx.recv().unwrap();
    Running {
        addr,
        threads: vec![thread_id],
        stop: Box::new(move || {
            stop_tx.send(()).unwrap();
            thread.join().unwrap();
        }),
    }
}

fn ferrio_cores_server(cores: usize) -> Running {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (bound_tx, bound_rx) = mpsc::channel::<(u32, u32)>();
    let stops: Vec<_> = (0..cores).map(|_| mpsc::channel::<()>()).collect();
    let (senders, receivers): (Vec<_>, Vec<_>) = stops.into_iter().unzip();
    let receivers = std::sync::Arc::new(std::sync::Mutex::new(
        receivers.into_iter().map(Some).collect::<Vec<_>>(),
    ));
    let bound_tx = std::sync::Arc::new(std::sync::Mutex::new(bound_tx));
    let thread = std::thread::spawn(move || {
        ferrio::run_on_cores(cores, move |core| {
            let stop = receivers.lock().unwrap()[core.index].take().unwrap();
            let bound = bound_tx.lock().unwrap().clone();
            async move {
                let listener = ListenOptions::new()
                    .reuse_port(true)
                    .bind(("127.0.0.1", port))
                    .await
                    .unwrap();
                bound.send(me()).unwrap();
                let acceptor = ferrio::spawn(async move {
                    while let Ok((s, _)) = listener.accept().await {
                        ferrio::spawn(raw_echo(s)).detach();
                    }
                });
                until(stop).await;
                acceptor.cancel();
            }
        })
    });
    let threads = (0..cores).map(|_| bound_rx.recv().unwrap()).collect();
    Running {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        threads,
        stop: Box::new(move || {
            for s in senders {
                s.send(()).unwrap();
            }
            for r in thread.join().unwrap() {
                r.unwrap();
            }
        }),
    }
}

fn tokio_server() -> Running {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (addr_tx, addr_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        pin(0);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx
                .send((listener.local_addr().unwrap(), me()))
                .unwrap();
            let acceptor = tokio::spawn(async move {
                while let Ok((mut s, _)) = listener.accept().await {
                    let _ = s.set_nodelay(true);
                    tokio::spawn(async move {
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
            let _ = stop_rx.await;
            acceptor.abort();
        });
    });
    let (addr, thread_id) = addr_rx.recv().unwrap();
    Running {
        addr,
        threads: vec![thread_id],
        stop: Box::new(move || {
            stop_tx.send(()).unwrap();
            thread.join().unwrap();
        }),
    }
}

fn python_with_uvloop() -> Option<String> {
    let python = std::env::var("FERRIO_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import uvloop"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(python)
}

fn uvloop_server(python: &str) -> Running {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/net_echo/uvloop_echo.py"
    );
    let mut child: Child = Command::new(python)
        .args([script, "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the uvloop server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .parse()
        .expect("the uvloop server prints its port");
    // The loop runs on the process's main thread.
    let pid = child.id();
    Running {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        threads: vec![(pid, pid)],
        stop: Box::new(move || {
            drop(child.stdin.take());
            let _ = child.wait();
        }),
    }
}

/// The CPU of the client (`FERRIO_BENCH_CLIENT_CPU`, default 1).
fn client_cpu() -> usize {
    std::env::var("FERRIO_BENCH_CLIENT_CPU")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// The client: `CONNECTIONS` connections, `rounds` round trips of `size`
/// bytes each, on a ferrio loop pinned to [`client_cpu`]. Returns
/// requests/s.
fn client(addr: SocketAddr, size: usize, rounds: usize) -> f64 {
    std::thread::spawn(move || {
        pin(client_cpu());
        ferrio::run(async move {
            let mut streams = Vec::new();
            for _ in 0..CONNECTIONS {
                let s = TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                streams.push(s);
            }
            let start = Instant::now();
            let tasks: Vec<_> = streams
                .into_iter()
                .map(|s| {
                    ferrio::spawn(async move {
                        let msg = Rc::new(vec![7u8; size]);
                        let mut back = vec![0u8; size];
                        for _ in 0..rounds {
                            s.write_all(&msg).await.unwrap();
                            let mut got = 0;
                            while got < size {
                                let n = s.read(&mut back[got..]).await.unwrap();
                                assert!(n > 0, "the server closed");
                                got += n;
                            }
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            (CONNECTIONS * rounds) as f64 / start.elapsed().as_secs_f64()
        })
        .unwrap()
    })
    .join()
    .unwrap()
}

fn main() {
    let runs: usize = std::env::var("FERRIO_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let python = python_with_uvloop();
    let mut servers: Vec<(&str, Starter)> = vec![
        ("ferrio", Box::new(|| ferrio_server(false))),
        ("ferrio streams", Box::new(|| ferrio_server(true))),
        ("tokio", Box::new(tokio_server)),
    ];
    if let Some(python) = python.clone() {
        servers.push(("uvloop", Box::new(move || uvloop_server(&python))));
    } else {
        println!("(no Python with uvloop: set FERRIO_BENCH_PYTHON; uvloop row skipped)");
    }
    servers.push(("ferrio x2 cores", Box::new(|| ferrio_cores_server(2))));
    println!(
        "TCP echo on loopback, {CONNECTIONS} connections, median of {runs} interleaved runs; requests/s"
    );
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    servers.retain(|(name, _)| only.is_empty() || only.iter().any(|o| name == o));
    // Every server runs for the whole benchmark; runs are interleaved
    // (each round measures every server once) so that drift and noisy
    // neighbours hit all alike.
    let running: Vec<(&str, Running)> = servers.iter().map(|(n, start)| (*n, start())).collect();
    // (name, rps 64 B, rps 4 KiB, requests per server CPU-second 64 B, 4 KiB)
    let mut table: Vec<(&str, f64, f64, f64, f64)> = running
        .iter()
        .map(|(n, _)| (*n, 0.0, 0.0, 0.0, 0.0))
        .collect();
    for (size, rounds) in [(64usize, 2_000usize), (4096, 1_000)] {
        for (_, server) in &running {
            client(server.addr, size, rounds / 10); // warm-up
        }
        let mut samples: Vec<Vec<(f64, f64)>> = vec![Vec::new(); running.len()];
        for _ in 0..runs {
            for (i, (_, server)) in running.iter().enumerate() {
                let cpu0 = cpu_time(&server.threads);
                let rps = client(server.addr, size, rounds);
                let cpu = (cpu_time(&server.threads) - cpu0).as_secs_f64();
                let capacity = (CONNECTIONS * rounds) as f64 / cpu.max(1e-9);
                samples[i].push((rps, capacity));
            }
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            v[v.len() / 2]
        };
        for (i, s) in samples.into_iter().enumerate() {
            let rps = median(s.iter().map(|x| x.0).collect());
            let capacity = median(s.iter().map(|x| x.1).collect());
            if size == 64 {
                table[i].1 = rps;
                table[i].3 = capacity;
            } else {
                table[i].2 = rps;
                table[i].4 = capacity;
            }
        }
    }
    println!(
        "{:<18} {:>12} {:>12}   {:>16} {:>16}",
        "server", "rps 64 B", "rps 4 KiB", "req/CPU-s 64 B", "req/CPU-s 4 KiB"
    );
    for (name, small, large, cap_small, cap_large) in &table {
        println!("{name:<18} {small:>12.0} {large:>12.0}   {cap_small:>16.0} {cap_large:>16.0}");
    }
    for (_, server) in running {
        (server.stop)();
    }
    let get = |n: &str| table.iter().find(|r| r.0 == n).map(|r| (r.1, r.2));
    let cap = |n: &str| table.iter().find(|r| r.0 == n).map(|r| (r.3, r.4));
    if let (Some(f), Some(u)) = (cap("ferrio streams"), cap("uvloop")) {
        println!(
            "server CPU efficiency, ferrio streams / uvloop streams: {:.2}x (64 B), {:.2}x (4 KiB)",
            f.0 / u.0,
            f.1 / u.1
        );
    }
    if let (Some(f), Some(t)) = (cap("ferrio"), cap("tokio")) {
        println!(
            "server CPU efficiency, ferrio / tokio: {:.2}x (64 B), {:.2}x (4 KiB)",
            f.0 / t.0,
            f.1 / t.1
        );
    }
    if let (Some(f), Some(t)) = (get("ferrio"), get("tokio")) {
        println!(
            "ferrio / tokio: {:.2}x (64 B), {:.2}x (4 KiB); target >= 1",
            f.0 / t.0,
            f.1 / t.1
        );
    }
    if let (Some(f), Some(u)) = (get("ferrio streams"), get("uvloop")) {
        println!(
            "ferrio streams / uvloop streams: {:.2}x (64 B), {:.2}x (4 KiB); target >= 3",
            f.0 / u.0,
            f.1 / u.1
        );
    }
    if let (Some(f), Some(c)) = (get("ferrio"), get("ferrio x2 cores")) {
        println!(
            "2 cores / 1 core: {:.2}x (64 B), {:.2}x (4 KiB); target > 1.7 (the client shares the 2 CPUs)",
            c.0 / f.0,
            c.1 / f.1
        );
    }
}
