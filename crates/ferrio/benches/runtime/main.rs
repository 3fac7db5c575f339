//! ferrio against its single-threaded peers: tokio's current-thread
//! `LocalRuntime` and smol's `LocalExecutor`, the same workloads on all three
//! in one process, printed as a table with the issue's targets.
//!
//! # Running
//!
//! ```text
//! cargo bench -p ferrio                       # everything (about 20 s)
//! cargo bench -p ferrio -- spawn_join         # only workloads whose name contains an argument
//! FERRIO_BENCH_RUNS=11 cargo bench -p ferrio  # median of 11 runs instead of 5
//! FERRIO_BENCH_HEAP=cold cargo bench -p ferrio
//! ```
//!
//! Arguments starting with `--` (cargo passes `--bench`) are ignored. The
//! process pins itself to CPU 0 first: on these machines waking a thread on
//! the other core costs ~50 µs against ~4 µs on the same core, which would
//! swamp any helper thread a runtime keeps (smol's `async-io` thread).
//!
//! Each timing is one warm-up run per runtime, then `FERRIO_BENCH_RUNS`
//! rounds (default 5) in which ferrio, tokio and smol run once each, in turn,
//! so that drift and noisy neighbours hit all three alike; the median per
//! runtime is printed. Every run gets a fresh runtime instance and only the
//! run itself (`block_on` of the workload) is timed, not building or
//! dropping the runtime. The ratio column is *best peer time / ferrio time*:
//! above 1 ferrio is faster.
//!
//! By default the heap is kept warm: glibc malloc is told (`mallopt`) not to
//! give freed memory back to the OS, so after the warm-up the runs reuse
//! resident pages. With glibc's defaults (`FERRIO_BENCH_HEAP=cold`) a run of
//! `spawn_join` spends over half its time in the kernel faulting in the
//! ~150–300 MB its million tasks touch, and how much depends on which
//! runtime ran before (glibc's trim and mmap thresholds adapt to history),
//! which measures the allocator and the kernel rather than the runtimes.
//!
//! # Workloads
//!
//! Every workload checks its result (sums, counts) so none can be optimised
//! away.
//!
//! - `spawn_join`: spawn 1,000,000 trivial tasks (each returns its index),
//!   then await every handle in spawn order and check the sum. Measures task
//!   allocation, scheduling, completion and join. Target: ≥ 2× the faster
//!   peer.
//! - `pingpong`: two tasks pass a counter back and forth 1,000,000 round
//!   trips (2,000,000 hand-offs) over two bounded-1 channels. The channel is
//!   one small runtime-neutral hand-off (`Rc<RefCell<slot + Waker>>`, see
//!   `handoff.rs`) that runs unchanged on all three runtimes, so this row
//!   measures each executor's wake → schedule → poll path. Target: ≥ 1.5×.
//! - `pingpong_native`: the same, but each peer uses its own channel
//!   (`tokio::sync::mpsc::channel(1)`, smol's `async_channel::bounded(1)`);
//!   ferrio has no channel yet and still uses the generic hand-off.
//!   Informational.
//! - `timers`: 100,000 tasks, task `i` sleeping `i % 100` ms on the real
//!   clock; await all. At least ~99 ms of it is the clock itself; the rest
//!   is timer insertion, firing and wake-up cost. Target: no slower (≥ 1×).
//! - `yield`: 1,000 tasks each yielding 1,000 times (1,000,000 yields).
//!   Measures the cost of a self-wake and a round through the run queue.
//!   Target: ≥ 1.5×.
//! - `gather`: collect 100,000 trivial tasks with each runtime's own tool
//!   (`benches/runtime/structured.rs`): ferrio's `combinators::gather`,
//!   tokio's `JoinSet::join_all`, smol spawn + await every handle.
//!   Informational.
//! - `task_group`: a `TaskGroup` of 100,000 trivial children against tokio's
//!   `JoinSet` (smol: spawn + await). Target: at least as fast (≥ 1×).
//! - `memory`: RSS growth while 1,000,000 tasks each await
//!   `std::future::pending()`, divided by 1,000,000. Each runtime is measured
//!   in a fresh child process (this binary re-executed with
//!   `FERRIO_BENCH_CHILD=mem:<runtime>:<mode>`), RSS read from
//!   `/proc/self/statm`. The `memory` row spawns in batches of 1,000, each
//!   polled before the next, to get the steady-state footprint of a parked
//!   task; target: ≤ tokio's. The `memory_burst` row spawns all at once, so
//!   it also counts the run-queue capacity left behind; informational.

mod handoff;
mod memory;
mod runtimes;
mod structured;
mod sync;
mod workloads;

use std::time::{Duration, Instant};

use memory::Mode;
use runtimes::{Ferrio, Rt, Smol, Tokio};

const DEFAULT_RUNS: usize = 5;

/// Every workload, in the order they run; filter arguments match substrings.
const WORKLOADS: &[&str] = &[
    "spawn_join",
    "pingpong",
    "pingpong_native",
    "pingpong_queue",
    "timers",
    "yield",
    "gather",
    "task_group",
    "semaphore_fanout",
    "queue_throughput",
    "lock_contention",
    "memory",
    "memory_burst",
];

/// What a row is compared against.
#[derive(Clone, Copy)]
enum Target {
    /// Best peer / ferrio must be at least this.
    AtLeast(f64),
    /// Bytes per task must not exceed tokio's.
    NoMoreThanTokio,
    /// Printed for information only.
    Info,
}

/// A measured row: one value per runtime, in the order ferrio, tokio, smol.
struct Row {
    name: &'static str,
    values: [f64; 3],
    unit: Unit,
    target: Target,
}

#[derive(Clone, Copy)]
enum Unit {
    Seconds,
    Bytes,
}

const PEERS: [&str; 3] = [Ferrio::NAME, Tokio::NAME, Smol::NAME];

/// `[fn() -> Duration; 3]` timing `$work` once on ferrio, tokio and smol.
macro_rules! on_each_runtime {
    ($work:path) => {
        [
            || time_once::<Ferrio>($work),
            || time_once::<Tokio>($work),
            || time_once::<Smol>($work),
        ]
    };
}

fn main() {
    if let Ok(spec) = std::env::var(memory::CHILD_ENV) {
        memory::child_main(&spec);
    }

    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let selected =
        |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let runs = match std::env::var("FERRIO_BENCH_RUNS") {
        Ok(v) => v
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or_else(|| panic!("FERRIO_BENCH_RUNS must be a positive integer, got {v:?}")),
        Err(_) => DEFAULT_RUNS,
    };

    if !WORKLOADS.iter().any(|w| selected(w)) {
        println!(
            "no workload matches {filters:?}; workloads: {}",
            WORKLOADS.join(" ")
        );
        return;
    }

    let warm_heap = match std::env::var("FERRIO_BENCH_HEAP").as_deref() {
        Err(_) | Ok("warm") => true,
        Ok("cold") => false,
        Ok(other) => panic!("FERRIO_BENCH_HEAP must be `warm` or `cold`, got {other:?}"),
    };
    if warm_heap {
        keep_freed_memory();
    }
    print_header(runs, warm_heap);
    print_table_header();

    let started = Instant::now();
    let mut rows = Vec::new();
    let mut timed = |name: &'static str, target: Target, f: [fn() -> Duration; 3]| {
        if selected(name) {
            let values = medians(runs, f).map(|d| d.as_secs_f64());
            let row = Row {
                name,
                values,
                unit: Unit::Seconds,
                target,
            };
            print_row(&row);
            rows.push(row);
        }
    };
    timed(
        "spawn_join",
        Target::AtLeast(2.0),
        on_each_runtime!(workloads::spawn_join),
    );
    timed(
        "pingpong",
        Target::AtLeast(1.5),
        on_each_runtime!(workloads::pingpong),
    );
    timed(
        "pingpong_native",
        Target::Info,
        on_each_runtime!(workloads::pingpong_native),
    );
    timed(
        "timers",
        Target::AtLeast(1.0),
        on_each_runtime!(workloads::timers),
    );
    timed(
        "yield",
        Target::AtLeast(1.5),
        on_each_runtime!(workloads::yield_many),
    );
    timed("gather", Target::Info, on_each_runtime!(structured::gather));
    timed(
        "task_group",
        Target::AtLeast(1.0),
        on_each_runtime!(structured::task_group),
    );
    timed(
        "pingpong_queue",
        Target::Info,
        on_each_runtime!(sync::pingpong_queue),
    );
    timed(
        "semaphore_fanout",
        Target::AtLeast(1.0),
        on_each_runtime!(sync::semaphore_fanout),
    );
    timed(
        "queue_throughput",
        Target::AtLeast(1.0),
        on_each_runtime!(sync::queue_throughput),
    );
    timed(
        "lock_contention",
        Target::AtLeast(1.0),
        on_each_runtime!(sync::lock_contention),
    );
    for (name, mode, target) in [
        ("memory", Mode::Batched, Target::NoMoreThanTokio),
        ("memory_burst", Mode::Burst, Target::Info),
    ] {
        if selected(name) {
            let values = PEERS.map(|rt| memory::bytes_per_task(rt, mode));
            let row = Row {
                name,
                values,
                unit: Unit::Bytes,
                target,
            };
            print_row(&row);
            rows.push(row);
        }
    }

    let missed: Vec<&str> = rows
        .iter()
        .filter(|r| status(r) == Some(false))
        .map(|r| r.name)
        .collect();
    println!();
    println!(
        "{} of {} targets met{}; ratio = best peer / ferrio (>1: ferrio better); total {:.1} s",
        rows.iter().filter(|r| status(r) == Some(true)).count(),
        rows.iter().filter(|r| status(r).is_some()).count(),
        if missed.is_empty() {
            String::new()
        } else {
            format!(" (MISS: {})", missed.join(", "))
        },
        started.elapsed().as_secs_f64()
    );
}

/// One run of `work` on a fresh `R`; only the work itself is timed.
fn time_once<R: Rt>(work: fn(&R)) -> Duration {
    let rt = R::new();
    let start = Instant::now();
    work(&rt);
    let elapsed = start.elapsed();
    drop(rt);
    elapsed
}

/// A warm-up run of each runtime, then `runs` rounds in which each runtime
/// runs once (interleaved, so that drift or a noisy neighbour hits all three
/// alike); returns each runtime's median.
fn medians(runs: usize, run: [fn() -> Duration; 3]) -> [Duration; 3] {
    for r in run {
        r();
    }
    let mut samples: [Vec<Duration>; 3] = Default::default();
    for _ in 0..runs {
        for (r, s) in run.iter().zip(samples.iter_mut()) {
            s.push(r());
        }
    }
    samples.map(|mut s| {
        s.sort();
        let mid = s.len() / 2;
        if s.len() % 2 == 1 {
            s[mid]
        } else {
            (s[mid - 1] + s[mid]) / 2
        }
    })
}

/// Index of the best peer (tokio or smol) for `row`, and its value.
fn best_peer(row: &Row) -> (usize, f64) {
    if row.values[1] <= row.values[2] {
        (1, row.values[1])
    } else {
        (2, row.values[2])
    }
}

/// Best peer / ferrio: above 1 ferrio is faster (or smaller).
fn ratio(row: &Row) -> f64 {
    best_peer(row).1 / row.values[0]
}

/// Whether the row meets its target; `None` for informational rows.
fn status(row: &Row) -> Option<bool> {
    match row.target {
        Target::AtLeast(min) => Some(ratio(row) >= min),
        Target::NoMoreThanTokio => Some(row.values[0] <= row.values[1]),
        Target::Info => None,
    }
}

fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Seconds => format!("{:.1} ms", value * 1e3),
        Unit::Bytes => format!("{value:.0} B/task"),
    }
}

fn format_ratio(row: &Row) -> String {
    let r = ratio(row);
    let (better, worse) = match row.unit {
        Unit::Seconds => ("faster", "slower"),
        Unit::Bytes => ("smaller", "larger"),
    };
    let peer = PEERS[best_peer(row).0];
    if r >= 1.0 {
        format!("×{r:.2} {better} (vs {peer})")
    } else {
        format!("×{:.2} {worse} (vs {peer})", 1.0 / r)
    }
}

fn format_target(row: &Row) -> String {
    let verdict = match status(row) {
        Some(true) => "PASS",
        Some(false) => "MISS",
        None => "info",
    };
    match row.target {
        Target::AtLeast(min) => format!("≥{min:.1}× {verdict}"),
        Target::NoMoreThanTokio => {
            format!("≤ tokio (×{:.2}) {verdict}", row.values[1] / row.values[0])
        }
        Target::Info => verdict.to_string(),
    }
}

const WIDTHS: [usize; 6] = [16, 13, 13, 13, 26, 22];

fn print_line(cells: [&str; 6]) {
    let mut line = String::new();
    for (i, (cell, width)) in cells.iter().zip(WIDTHS).enumerate() {
        // Left-align the names, right-align the numbers.
        let padded = if i == 0 || i >= 4 {
            format!("{cell:<width$}")
        } else {
            format!("{cell:>width$}")
        };
        line.push_str(&padded);
        line.push_str("  ");
    }
    println!("{}", line.trim_end());
}

fn print_table_header() {
    print_line([
        "workload",
        "ferrio",
        "tokio",
        "smol",
        "best peer / ferrio",
        "target",
    ]);
    let rule: Vec<String> = WIDTHS.iter().map(|&w| "-".repeat(w)).collect();
    print_line([&rule[0], &rule[1], &rule[2], &rule[3], &rule[4], &rule[5]]);
}

fn print_row(row: &Row) {
    let label = match row.name {
        "pingpong" => "pingpong*",
        "pingpong_native" => "pingpong_native†",
        other => other,
    };
    let [f, t, s] = row.values.map(|v| format_value(v, row.unit));
    print_line([label, &f, &t, &s, &format_ratio(row), &format_target(row)]);
}

/// Tells glibc malloc to keep freed memory instead of trimming the heap or
/// unmapping large blocks, so that after the warm-up run the workloads reuse
/// resident pages instead of faulting fresh ones in.
fn keep_freed_memory() {
    // SAFETY: mallopt only adjusts malloc's tuning parameters.
    let ok = unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX) == 1
            && libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30) == 1
    };
    assert!(ok, "mallopt refused the warm-heap settings");
}

/// Pins this thread (and the threads it later starts, which inherit the
/// mask) to CPU 0.
fn pin_to_cpu0() -> std::io::Result<()> {
    // SAFETY: `cpu_set_t` is a plain bit set, valid when zeroed; CPU_SET and
    // sched_setaffinity only read/write the set we pass, with its real size.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn print_header(runs: usize, warm_heap: bool) {
    // SAFETY: sysconf has no preconditions.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    let pinned = match pin_to_cpu0() {
        Ok(()) => "pinned to CPU 0 (sched_setaffinity)".to_string(),
        Err(e) => format!("NOT pinned to CPU 0: {e}"),
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let rustc =
        std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "rustc version unknown".to_string());
    println!("ferrio runtime bench: {pinned}; {online} CPUs online, {cpu}; {rustc}");
    println!(
        "each time: 1 warm-up + median of {runs} runs (FERRIO_BENCH_RUNS), fresh runtime per run; \
         peers: tokio current_thread LocalRuntime, smol LocalExecutor"
    );
    if warm_heap {
        println!(
            "heap: warm (malloc keeps freed memory, so runs reuse resident pages; \
             FERRIO_BENCH_HEAP=cold for glibc defaults)"
        );
    } else {
        println!(
            "heap: cold (glibc defaults: freed memory goes back to the OS and runs re-fault \
             their pages, depending on what ran before)"
        );
    }
    if cfg!(debug_assertions) {
        println!(
            "WARNING: built with debug assertions; numbers are meaningless (use `cargo bench`)"
        );
    }
    println!("* pingpong: the same generic Rc<RefCell> hand-off on all three runtimes (executor wake path)");
    println!("† pingpong_native: tokio mpsc(1), smol async-channel bounded(1); ferrio uses the generic hand-off");
    println!();
}
