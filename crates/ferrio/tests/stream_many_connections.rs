//! Issue 11's load acceptance: 10,000 concurrent connections held by one
//! loop's `start_server`, against a bounded client (at most 256 connects
//! at a time) in a child process — this test binary run again in client
//! mode, so that each side needs only its own 10,000 descriptors — every
//! byte echoed back, zero errors. The parent drives the child through
//! `ferrio::process`: the child reports on stdout once it holds every
//! connection, and closes them when told on stdin.

use std::process::Stdio;
use std::time::Duration;

use ferrio::net::TcpStream;
use ferrio::stream::{self, StreamReader, StreamWriter};
use ferrio::sync::Semaphore;

const CONNECTIONS: usize = 10_000;
fn connections() -> usize {
    std::env::var("FERRIO_MANY_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CONNECTIONS)
}
const CONCURRENT_CONNECTS: usize = 256;
const MESSAGE: usize = 100;

fn raise_fd_limit(want: u64) {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let now = getrlimit(Resource::Nofile);
    if now.current.is_some_and(|c| c >= want) {
        return;
    }
    // Above the hard limit if privileged, else up to it.
    let above = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(want),
            maximum: Some(want.max(now.maximum.unwrap_or(0))),
        },
    );
    if above.is_err() {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: now.maximum,
                maximum: now.maximum,
            },
        );
    }
    let got = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    assert!(got >= want, "need {want} descriptors, the limit is {got}");
}

/// The client, in the child process: opens every connection (at most
/// 256 connects at a time), then, with all of them open, sends a message on
/// each and checks the echo; prints `HELD n`, waits for a line on stdin,
/// and closes them all.
#[test]
fn client_process() {
    let Ok(port) = std::env::var("FERRIO_MANY_CLIENT_PORT") else {
        return; // Not the child: nothing to do.
    };
    let port: u16 = port.parse().unwrap();
    raise_fd_limit(connections() as u64 + 500);
    ferrio::EventLoop::new()
        .unwrap()
        .run_until_complete(async move {
            let limit = std::rc::Rc::new(Semaphore::new(CONCURRENT_CONNECTS));
            let connects: Vec<_> = (0..connections())
                .map(|_| {
                    let limit = limit.clone();
                    ferrio::spawn(async move {
                        let _permit = limit.acquire().await.unwrap();
                        TcpStream::connect(("127.0.0.1", port)).await
                    })
                })
                .collect();
            let mut streams = Vec::with_capacity(connections());
            for c in connects {
                streams.push(c.await.unwrap().expect("connect"));
            }
            let echoes: Vec<_> = streams
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    let limit = limit.clone();
                    ferrio::spawn(async move {
                        let _permit = limit.acquire().await.unwrap();
                        let msg: Vec<u8> = (0..MESSAGE).map(|j| ((i + j) % 251) as u8).collect();
                        s.write_all(&msg).await.unwrap();
                        let mut back = vec![0; MESSAGE];
                        let mut got = 0;
                        while got < MESSAGE {
                            let n = s.read(&mut back[got..]).await.unwrap();
                            assert!(n > 0, "EOF before the echo");
                            got += n;
                        }
                        assert_eq!(back, msg);
                        s
                    })
                })
                .collect();
            let mut streams = Vec::with_capacity(connections());
            for e in echoes {
                streams.push(e.await.unwrap());
            }
            println!("HELD {}", streams.len());
            let mut line = String::new();
            ferrio::to_thread(move || std::io::stdin().read_line(&mut line))
                .await
                .unwrap()
                .unwrap();
            drop(streams);
        })
        .unwrap();
}

#[test]
fn ten_thousand_connections_on_one_loop() {
    if std::env::var_os("FERRIO_MANY_CLIENT_PORT").is_some() {
        return; // The child runs `client_process` only.
    }
    raise_fd_limit(connections() as u64 + 500);
    ferrio::EventLoop::new()
        .unwrap()
        .run_until_complete(async {
            let server = stream::ServerOptions::new()
                .backlog(4096)
                .limit(1024)
                .start(
                    |mut reader: StreamReader, writer: StreamWriter| async move {
                        loop {
                            let data = match reader.read(4096).await {
                                Ok(d) if d.is_empty() => break,
                                Ok(d) => d,
                                Err(e) => panic!("server read failed: {e}"),
                            };
                            writer.write(&data).unwrap();
                            writer.drain().await.unwrap();
                        }
                    },
                    "127.0.0.1:0",
                )
                .await
                .unwrap();
            let port = server.sockets()[0].port();
            let exe = std::env::current_exe().unwrap();
            let mut child = ferrio::process::Command::new(exe)
                .args([
                    "--exact",
                    "client_process",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("FERRIO_MANY_CLIENT_PORT", port.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let out = child.stdout.as_mut().unwrap();
            let held = loop {
                let line = ferrio::timeout(Duration::from_secs(240), out.readline())
                    .await
                    .expect("the client held every connection in time")
                    .unwrap();
                assert!(!line.is_empty(), "the client exited early");
                // libtest may print the test's name on the same line.
                let line = String::from_utf8_lossy(&line).into_owned();
                if let Some((_, n)) = line.split_once("HELD ") {
                    break n.trim().parse::<usize>().unwrap();
                }
            };
            assert_eq!(held, connections());
            assert_eq!(server.connections(), connections(), "all held at once");
            assert_eq!(server.accepted(), connections() as u64);
            let stdin = child.stdin.take().unwrap();
            stdin.write(b"close\n").unwrap();
            stdin.close();
            let rest = out.read_to_end().await.unwrap();
            let status = child.wait().await.unwrap();
            assert!(
                status.success(),
                "client: {}",
                String::from_utf8_lossy(&rest)
            );
            // The handlers end at EOF.
            while server.connections() > 0 {
                ferrio::yield_now().await.unwrap();
            }
            server.close();
            server.wait_closed().await.unwrap();
        })
        .unwrap();
}
