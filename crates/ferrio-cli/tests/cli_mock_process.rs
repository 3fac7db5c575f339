//! `ferrio serve-mock` as a process: the listening line, requests, Ctrl-C
//! (SIGINT) and exit codes, bad flags, a port in use.
//!
//! Real clock, so nothing here asserts a duration; every wait is bounded
//! (a child still running when its test ends is killed by its guard).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// The longest any step waits for the child.
const BOUND: Duration = Duration::from_secs(60);

/// A running `ferrio` process, killed on drop if it is still running.
struct Mock {
    pid: i32,
    exited: mpsc::Receiver<ExitStatus>,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

/// Sends each line `from` reads to the receiver, on a thread of its own.
fn lines(from: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Mock {
    fn spawn(args: &[&str]) -> Mock {
        let mut child: Child = Command::new(env!("CARGO_BIN_EXE_ferrio"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ferrio");
        let pid = i32::try_from(child.id()).unwrap();
        let stdout: ChildStdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (exit_tx, exit_rx) = mpsc::channel();
        thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = exit_tx.send(status);
            }
        });
        Mock {
            pid,
            exited: exit_rx,
            stdout: lines(stdout),
            stderr: lines(stderr),
        }
    }

    /// The port of the first stdout line, checking its exact form.
    fn port(&self) -> u16 {
        let line = self
            .stdout
            .recv_timeout(BOUND)
            .expect("no listening line on stdout");
        let port = line
            .strip_prefix("listening on http://127.0.0.1:")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        port.parse()
            .unwrap_or_else(|_| panic!("no port in {line:?}"))
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill(2) takes two integers and touches no memory of ours;
        // the pid is our child's, not yet reaped (the guard reaps it).
        let rc = unsafe { libc::kill(self.pid, sig) };
        assert_eq!(rc, 0, "kill({}, {sig})", self.pid);
    }

    fn wait(&self) -> ExitStatus {
        self.exited
            .recv_timeout(BOUND)
            .expect("ferrio serve-mock did not exit")
    }

    /// The next line on stderr.
    fn stderr_line(&self) -> String {
        self.stderr.recv_timeout(BOUND).expect("no line on stderr")
    }

    /// What it printed to stderr, once it has exited.
    fn stderr(&self) -> String {
        let mut text = String::new();
        while let Ok(line) = self.stderr.recv_timeout(BOUND) {
            text.push_str(&line);
            text.push('\n');
        }
        text
    }

    /// Everything else it printed to stdout (after it exited).
    fn rest_of_stdout(&self) -> Vec<String> {
        self.stdout.try_iter().collect()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        if self.exited.try_recv().is_err() {
            // SAFETY: as in `signal`; at worst the child already exited and
            // the waiter thread reaps it.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
    }
}

/// Runs `ferrio args` to its end (bounded); status and stderr.
fn run(args: &[&str]) -> (ExitStatus, String) {
    let mock = Mock::spawn(args);
    let status = mock.wait();
    (status, mock.stderr())
}

/// One request with `Connection: close`; the status code and the body.
fn get(port: u16, path: &str) -> (u16, String) {
    let mut stream = connect(port).expect("connect to the mock");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    (status, body)
}

fn connect(port: u16) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port)))?;
    stream.set_read_timeout(Some(BOUND))?;
    Ok(stream)
}

fn assert_no_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
}

#[test]
fn it_serves_until_sigint_then_exits_0() {
    let mock = Mock::spawn(&["serve-mock", "--port", "0", "--seed", "1"]);
    let port = mock.port();
    let (status, body) = get(port, "/item/17");
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"id":17,"name":"item 17"}"#);
    assert_eq!(get(port, "/status/503").0, 503);
    let (status, stats) = get(port, "/_stats");
    assert_eq!(status, 200);
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["requests"], 2);
    assert_eq!(stats["connections"], 3);

    mock.signal(libc::SIGINT);
    let exit = mock.wait();
    assert_eq!(exit.code(), Some(0), "{}", mock.stderr());
    assert!(connect(port).is_err(), "still listening after exit");
    // Quiet by default: the listening line was all of stdout.
    assert_eq!(mock.rest_of_stdout(), Vec::<String>::new());
    assert_no_panic(&mock.stderr());
}

#[test]
fn a_hanging_client_does_not_keep_it_from_stopping() {
    let mock = Mock::spawn(&["serve-mock", "--port", "0"]);
    let port = mock.port();
    let mut hanging = connect(port).unwrap();
    write!(hanging, "GET /hang HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    // Until the server has the request (each look is a request; no sleep).
    let mut seen = false;
    for _ in 0..10_000 {
        let (_, stats) = get(port, "/_stats");
        let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
        if stats["by_route"]["hang"] == 1 {
            seen = true;
            break;
        }
    }
    assert!(seen, "the /hang request never arrived");

    mock.signal(libc::SIGINT);
    assert_eq!(mock.wait().code(), Some(0));
    // The hanging client sees the connection end, with no response.
    let mut rest = Vec::new();
    let _ = hanging.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
}

#[test]
fn verbose_prints_a_line_per_request_to_stderr() {
    let mock = Mock::spawn(&["serve-mock", "--port", "0", "--verbose"]);
    let port = mock.port();
    assert_eq!(get(port, "/item/3").0, 200);
    assert_eq!(mock.stderr_line(), "GET /item/3 -> 200");
    assert_eq!(get(port, "/nowhere").0, 404);
    assert_eq!(mock.stderr_line(), "GET /nowhere -> 404");
    mock.signal(libc::SIGINT);
    assert_eq!(mock.wait().code(), Some(0));
}

#[test]
fn a_second_sigint_cuts_the_shutdown_short_with_130() {
    let mock = Mock::spawn(&[
        "serve-mock",
        "--port",
        "0",
        "--latency",
        "1h",
        "--shutdown-grace",
        "1h",
    ]);
    let port = mock.port();
    let mut slow = connect(port).unwrap();
    write!(slow, "GET /item/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut seen = false;
    for _ in 0..10_000 {
        let (_, stats) = get(port, "/_stats");
        let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
        if stats["requests"] == 1 {
            seen = true;
            break;
        }
    }
    assert!(seen, "the request never arrived");
    mock.signal(libc::SIGINT);
    assert!(mock.stderr_line().contains("Ctrl-C again"));
    mock.signal(libc::SIGINT);
    assert_eq!(mock.wait().code(), Some(130));
}

#[test]
fn a_bad_flag_is_a_usage_error() {
    let (status, stderr) = run(&["serve-mock", "--latency", "fast"]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not a duration"), "{stderr}");
    assert!(stderr.contains("--latency"), "{stderr}");
    assert_no_panic(&stderr);

    let (status, stderr) = run(&["serve-mock", "--status", "200"]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("400 to 599"), "{stderr}");
    assert_no_panic(&stderr);
}

#[test]
fn a_port_in_use_says_to_choose_another() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let (status, stderr) = run(&["serve-mock", "--port", &port]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("in use"), "{stderr}");
    assert!(stderr.contains("--port"), "{stderr}");
    assert_no_panic(&stderr);
}

#[test]
fn help_lists_the_paths_and_examples() {
    let output = Command::new(env!("CARGO_BIN_EXE_ferrio"))
        .args(["serve-mock", "--help"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout);
    for needle in [
        "--latency",
        "--rate-limit",
        "/item/{id}",
        "/_stats",
        "Examples:",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}
