//! Running the built `ferrio` binary: bounded waits, children killed on
//! drop, scratch directories.
#![allow(dead_code)]

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The longest any child may run.
pub const CHILD_LIMIT: Duration = Duration::from_secs(45);

/// A scratch directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ferrio-fetch-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A child process, killed (and reaped) on drop.
pub struct Running {
    pub child: Child,
    out: PathBuf,
    err: PathBuf,
    _scratch: Scratch,
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What a finished child left.
#[derive(Debug)]
pub struct Finished {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// The stdout as JSON (for `--json`).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }

    /// Asserts no Rust panic or backtrace reached the user.
    pub fn no_panic(&self) -> &Finished {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "{}",
            self.stderr
        );
        self
    }
}

pub fn ferrio(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferrio"));
    command.args(args);
    command
}

/// Starts `ferrio args…`, with `stdin` as its input.
pub fn start(args: &[&str], stdin: Option<&str>) -> Running {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let scratch = Scratch::new(&format!("child-{n}"));
    let (out, err) = (scratch.path("stdout"), scratch.path("stderr"));
    let mut command = ferrio(args);
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap());
    let mut child = command.spawn().expect("the ferrio binary runs");
    // Some("") keeps stdin open for `feed`; other text is written and closed.
    match stdin {
        Some("") | None => {}
        Some(text) => {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(text.as_bytes()).unwrap();
        }
    }
    Running {
        child,
        out,
        err,
        _scratch: scratch,
    }
}

impl Running {
    /// Waits (bounded) for the child to exit.
    pub fn finish(mut self) -> Finished {
        let status = wait_bounded(&mut self.child);
        Finished {
            code: status.code(),
            stdout: fs::read_to_string(&self.out).unwrap(),
            stderr: fs::read_to_string(&self.err).unwrap(),
        }
    }

    /// What the child wrote to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// Sends SIGINT (through kill(1), so the tests need no unsafe).
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes to the child's stdin (started with `Some("")` to keep it).
    pub fn feed(&mut self, text: &str) {
        self.child
            .stdin
            .as_mut()
            .expect("stdin kept open")
            .write_all(text.as_bytes())
            .unwrap();
    }

    /// Closes the child's stdin: its end of input.
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    pub fn has_exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }
}

fn wait_bounded(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + CHILD_LIMIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child ran longer than {CHILD_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `ferrio args…` to the end.
pub fn run(args: &[&str]) -> Finished {
    start(args, None).finish()
}

/// Polls `condition` until it holds (bounded), between short naps.
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + CHILD_LIMIT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The JSON lines of `path`.
pub fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}
