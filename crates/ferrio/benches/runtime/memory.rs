//! Memory per pending task, measured in a fresh child process per runtime
//! (the bench binary re-executed with `FERRIO_BENCH_CHILD=mem:<rt>:<mode>`),
//! so that allocator state left by other runtimes cannot pollute it.

use std::cell::Cell;
use std::io::Write;
use std::process::Command;
use std::rc::Rc;

use crate::runtimes::{Ferrio, Rt, Smol, Tokio};

pub const MEM_TASKS: u64 = 1_000_000;
/// Tasks spawned per batch in the `batched` mode.
pub const MEM_BATCH: u64 = 1_000;

/// The environment variable that turns the binary into a measuring child.
pub const CHILD_ENV: &str = "FERRIO_BENCH_CHILD";

/// How the pending tasks are spawned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `MEM_BATCH` at a time, each batch polled before the next is spawned:
    /// the steady-state footprint of a parked task, without the transient
    /// run-queue capacity that spawning a million tasks at once leaves.
    Batched,
    /// All `MEM_TASKS` at once, then polled: includes that run-queue capacity.
    Burst,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Batched => "batched",
            Mode::Burst => "burst",
        }
    }
}

/// Resident set size of this process, in bytes, from `/proc/self/statm`.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("cannot read /proc/self/statm");
    let resident: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("malformed /proc/self/statm");
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    resident * u64::try_from(page).expect("bad page size")
}

/// In the child: spawns `MEM_TASKS` tasks that each count themselves and
/// then await `std::future::pending()`, waits until all have been polled,
/// prints `bytes_per_task=<f64>` and exits without tearing the runtime down.
fn measure<R: Rt>(mode: Mode) -> ! {
    let rt = R::new();
    rt.block_on(async {
        let started = Rc::new(Cell::new(0u64));
        // Let the runtime set up whatever it lazily allocates.
        R::yield_now().await;
        let before = rss_bytes();
        let batch = match mode {
            Mode::Batched => MEM_BATCH,
            Mode::Burst => MEM_TASKS,
        };
        let mut spawned = 0;
        while spawned < MEM_TASKS {
            for _ in 0..batch {
                let started = started.clone();
                rt.spawn_detached(async move {
                    started.set(started.get() + 1);
                    std::future::pending::<()>().await
                });
            }
            spawned += batch;
            while started.get() < spawned {
                R::yield_now().await;
            }
        }
        assert_eq!(started.get(), MEM_TASKS);
        let after = rss_bytes();
        let per_task = after.saturating_sub(before) as f64 / MEM_TASKS as f64;
        let mut out = std::io::stdout().lock();
        writeln!(out, "bytes_per_task={per_task:.1}").unwrap();
        out.flush().unwrap();
        // A million pending tasks take a while to drop and prove nothing.
        std::process::exit(0)
    });
    unreachable!("the memory child exits from inside the runtime")
}

/// Runs the child side if `spec` (the value of [`CHILD_ENV`]) asks for it.
pub fn child_main(spec: &str) -> ! {
    let mut parts = spec.split(':');
    let (Some("mem"), Some(rt), Some(mode), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        panic!("bad {CHILD_ENV}={spec:?}; expected mem:<runtime>:<batched|burst>");
    };
    let mode = match mode {
        "batched" => Mode::Batched,
        "burst" => Mode::Burst,
        other => panic!("bad mode {other:?} in {CHILD_ENV}"),
    };
    match rt {
        "ferrio" => measure::<Ferrio>(mode),
        "tokio" => measure::<Tokio>(mode),
        "smol" => measure::<Smol>(mode),
        other => panic!("unknown runtime {other:?} in {CHILD_ENV}"),
    }
}

/// In the parent: re-executes this binary to measure runtime `rt`.
pub fn bytes_per_task(rt: &str, mode: Mode) -> f64 {
    let exe = std::env::current_exe().expect("cannot find the bench executable");
    let output = Command::new(exe)
        .env(CHILD_ENV, format!("mem:{rt}:{}", mode.as_str()))
        .output()
        .expect("cannot run the memory child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "memory child for {rt} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("bytes_per_task="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("memory child for {rt} printed no result:\n{stdout}"))
}
