//! ferrio against its single-threaded peers: tokio's current-thread
//! `LocalRuntime` (also run under `tokio::task::unconstrained`, "tokio-u")
//! and smol's `LocalExecutor`, the same workloads on all of them in one
//! process, printed as a table with the issue's targets, then as a markdown
//! table (with commit, machine and date) that
//! `crates/ferrio/benches/update_readme.sh` puts into README.md.
//!
//! # Running
//!
//! ```text
//! cargo bench -p ferrio                       # everything (about a minute)
//! cargo bench -p ferrio -- spawn_join         # only workloads whose name contains an argument
//! cargo bench -p ferrio -- =pingpong          # only the workload of exactly that name
//! FERRIO_BENCH_RUNS=11 cargo bench -p ferrio  # median of 11 runs instead of 7
//! taskset -c 1 cargo bench -p ferrio          # on CPU 1 instead of the first allowed CPU
//! ```
//!
//! Arguments starting with `--` (cargo passes `--bench`) are ignored. The
//! process pins itself to the first CPU it may run on (so `taskset` picks
//! it): on these machines waking a thread on the other core costs ~50 µs
//! against ~4 µs on the same core, which would swamp any helper thread a
//! runtime keeps (smol's `async-io` thread).
//!
//! # Fairness
//!
//! - **The allocator is glibc's, with its default settings**, for every
//!   row but `spawn_join_warm_heap`, which runs in a child process whose
//!   malloc is told (`mallopt`) to keep freed memory resident: labelled,
//!   informational, and it shows how much of `spawn_join` is the kernel
//!   faulting pages in.
//! - **Every run gets a fresh runtime**, for every runtime; only the run
//!   itself (`block_on` of the workload) is timed, not building or dropping
//!   the runtime.
//! - **Rounds are interleaved and rotate the order**: one warm-up run per
//!   runtime, then `FERRIO_BENCH_RUNS` rounds (default 7) in which every
//!   runtime runs once, round `r` starting with runtime `r mod 4`, so that
//!   drift, noisy neighbours and the allocator state a predecessor leaves
//!   hit all of them alike. The median per runtime is printed.
//! - **The ratio is best peer / ferrio** (above 1 ferrio is faster or
//!   smaller), the best peer being the fastest of tokio, tokio-u and smol.
//! - **What a row compares is said in its label**: the sync rows pit
//!   ferrio's single-threaded primitives against thread-safe ones, and
//!   async-lock's are not FIFO-fair; `pingpong_native` uses each runtime's
//!   own channel, the `pingpong` headline the same channel on all.
//!
//! # Workloads
//!
//! Every workload checks its result (sums, counts) so none can be optimised
//! away.
//!
//! - `spawn_join`: spawn 1,000,000 trivial tasks (each returns its index),
//!   then await every handle in spawn order and check the sum. Measures task
//!   allocation, scheduling, completion and join. Target: ≥ 2×.
//! - `spawn_join_warm_heap`: the same with malloc keeping freed memory
//!   (child process, see above). Informational.
//! - `pingpong`: two tasks pass a counter back and forth 1,000,000 round
//!   trips (2,000,000 hand-offs) over two async-channel `bounded(1)`
//!   channels, the same channel code on every runtime: waker clone, wake
//!   and drop, and the schedule → poll path. Target: ≥ 1.5×.
//! - `pingpong_wake`: the same over a runtime-neutral `Rc<RefCell>` slot
//!   (`handoff.rs`) that keeps its waker: the bare wake path.
//!   Informational.
//! - `pingpong_native`: the same over each runtime's own channel (ferrio's
//!   `Queue::new(1)`, tokio's `mpsc::channel(1)`, async-channel for smol).
//!   Informational.
//! - `timers`: 100,000 tasks, task `i` sleeping `i % 100` ms on the real
//!   clock; await all. 99 ms of it is the sleep itself (the floor); the
//!   ratio is taken on the time above the floor: timer insertion, firing and
//!   wake-up. Target: ≥ 1.5× above the floor.
//! - `yield`: 1,000 tasks each yielding 1,000 times (1,000,000 yields).
//!   Measures a self-wake and a round through the run queue. Target: ≥ 1.5×.
//! - `gather`: collect 100,000 trivial tasks with each runtime's own tool
//!   (`structured.rs`): ferrio's `combinators::gather`, tokio's
//!   `JoinSet::join_all`, smol spawn + await every handle. Informational.
//! - `task_group`: a `TaskGroup` of 100,000 trivial children against a
//!   tokio `JoinSet` that aborts the rest on the first error; smol has no
//!   peer. Target: ≥ 1×.
//! - `semaphore_fanout`, `queue_throughput`, `lock_contention`: see
//!   `sync.rs`. Target: ≥ 1.5×.
//! - `memory`: RSS growth while 1,000,000 tasks each await
//!   `std::future::pending()`, divided by 1,000,000. Each runtime is measured
//!   in a fresh child process (this binary re-executed with
//!   `FERRIO_BENCH_CHILD=mem:<runtime>:<mode>`), RSS read from
//!   `/proc/self/statm`. The `memory` row spawns in batches of 1,000, each
//!   polled before the next, to get the steady-state footprint of a parked
//!   task; target: ≤ the best peer. `memory_burst` spawns all at once, so
//!   it also counts the run-queue capacity left behind; informational.
//!   (tokio-u is tokio's memory plus a wrapper: not measured.)

mod handoff;
mod memory;
mod runtimes;
mod structured;
mod sync;
mod workloads;

use std::time::{Duration, Instant};

use memory::Mode;
use runtimes::{Ferrio, Rt, Smol, Tokio, TokioUnconstrained};

const DEFAULT_RUNS: usize = 7;

/// The runtimes, in column order; ferrio first, then its peers.
const RUNTIMES: [&str; 4] = [
    Ferrio::NAME,
    Tokio::<false>::NAME,
    TokioUnconstrained::NAME,
    Smol::NAME,
];

/// Every workload, in the order they run; filter arguments match substrings.
const WORKLOADS: &[&str] = &[
    "spawn_join",
    "spawn_join_warm_heap",
    "pingpong",
    "pingpong_wake",
    "pingpong_native",
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

/// The environment variable that runs the warm-heap `spawn_join` child.
const WARM_CHILD: &str = "warm:";

/// What a row is compared against.
#[derive(Clone, Copy)]
enum Target {
    /// Best peer / ferrio must be at least this.
    AtLeast(f64),
    /// ferrio's value must not exceed the best peer's (memory).
    NoMoreThanBestPeer,
    /// Printed for information only.
    Info,
}

/// A measured row: one value per runtime, in [`RUNTIMES`] order (`None`
/// where a runtime has no peer for the workload or is not measured).
struct Row {
    name: &'static str,
    /// What the row measures, for the markdown table.
    what: &'static str,
    values: [Option<f64>; 4],
    unit: Unit,
    target: Target,
    /// A part of every value that no runtime can save (the `timers` sleep
    /// itself): ratios are taken on the value above it.
    floor: f64,
}

#[derive(Clone, Copy)]
enum Unit {
    Seconds,
    Bytes,
}

/// One timed run of a workload on one runtime, if that runtime has it.
type Runner = Option<fn() -> Duration>;

/// `[Runner; 4]` timing `$work` once on each runtime of [`RUNTIMES`];
/// `without_smol` leaves smol out (it has no peer for the workload).
macro_rules! on_each_runtime {
    ($work:path) => {
        [
            Some((|| time_once::<Ferrio>($work)) as fn() -> Duration),
            Some((|| time_once::<Tokio>($work)) as fn() -> Duration),
            Some((|| time_once::<TokioUnconstrained>($work)) as fn() -> Duration),
            Some((|| time_once::<Smol>($work)) as fn() -> Duration),
        ]
    };
    ($work:path, without_smol) => {
        [
            Some((|| time_once::<Ferrio>($work)) as fn() -> Duration),
            Some((|| time_once::<Tokio>($work)) as fn() -> Duration),
            Some((|| time_once::<TokioUnconstrained>($work)) as fn() -> Duration),
            None,
        ]
    };
}

/// The `timers` floor: the longest sleep of the workload.
const TIMERS_FLOOR: f64 = 0.099;

fn main() {
    if let Ok(spec) = std::env::var(memory::CHILD_ENV) {
        match spec.strip_prefix(WARM_CHILD) {
            Some(runs) => warm_heap_child(runs),
            None => memory::child_main(&spec),
        }
    }

    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    // `name` matches a workload whose name contains it, `=name` only that one.
    let selected = |name: &str| {
        filters.is_empty()
            || filters.iter().any(|f| match f.strip_prefix('=') {
                Some(exact) => name == exact,
                None => name.contains(f.as_str()),
            })
    };
    let runs = match std::env::var("FERRIO_BENCH_RUNS") {
        Ok(v) => v
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or_else(|| panic!("FERRIO_BENCH_RUNS must be a positive integer, got {v:?}")),
        Err(_) => DEFAULT_RUNS,
    };
    if std::env::var_os("FERRIO_BENCH_HEAP").is_some() {
        panic!(
            "FERRIO_BENCH_HEAP is gone: every row runs on glibc's defaults, \
             and spawn_join_warm_heap shows the warm-heap setting"
        );
    }

    if !WORKLOADS.iter().any(|w| selected(w)) {
        println!(
            "no workload matches {filters:?}; workloads: {}",
            WORKLOADS.join(" ")
        );
        return;
    }

    let machine = Machine::probe(runs);
    machine.print();
    print_table_header();

    let started = Instant::now();
    let mut rows = Vec::new();
    let timed = |rows: &mut Vec<Row>,
                 name: &'static str,
                 what: &'static str,
                 target: Target,
                 floor: f64,
                 f: [Runner; 4]| {
        if selected(name) {
            let values = medians(runs, f).map(|d| d.map(|d| d.as_secs_f64()));
            let row = Row {
                name,
                what,
                values,
                unit: Unit::Seconds,
                target,
                floor,
            };
            print_row(&row);
            rows.push(row);
        }
    };
    timed(
        &mut rows,
        "spawn_join",
        "spawn 1,000,000 trivial tasks, await all in order",
        Target::AtLeast(2.0),
        0.0,
        on_each_runtime!(workloads::spawn_join),
    );
    if selected("spawn_join_warm_heap") {
        let values = warm_heap_spawn_join(runs).map(|d| d.map(|d| d.as_secs_f64()));
        let row = Row {
            name: "spawn_join_warm_heap",
            what: "the same, malloc keeping freed memory resident (`mallopt`, child process)",
            values,
            unit: Unit::Seconds,
            target: Target::Info,
            floor: 0.0,
        };
        print_row(&row);
        rows.push(row);
    }
    timed(
        &mut rows,
        "pingpong",
        "1,000,000 round trips over async-channel `bounded(1)`, the same channel on all",
        Target::AtLeast(1.5),
        0.0,
        on_each_runtime!(workloads::pingpong),
    );
    timed(
        &mut rows,
        "pingpong_wake",
        "1,000,000 round trips over a runtime-neutral `Rc<RefCell>` slot (bare wake path)",
        Target::Info,
        0.0,
        on_each_runtime!(workloads::pingpong_wake),
    );
    timed(
        &mut rows,
        "pingpong_native",
        "1,000,000 round trips over each runtime's own channel (ferrio `Queue(1)`, tokio `mpsc(1)`, async-channel)",
        Target::Info,
        0.0,
        on_each_runtime!(workloads::pingpong_native),
    );
    timed(
        &mut rows,
        "timers",
        "100,000 tasks sleeping `i % 100` ms (ratio on the time above the 99 ms floor)",
        Target::AtLeast(1.5),
        TIMERS_FLOOR,
        on_each_runtime!(workloads::timers),
    );
    timed(
        &mut rows,
        "yield",
        "1,000 tasks × 1,000 `yield_now`",
        Target::AtLeast(1.5),
        0.0,
        on_each_runtime!(workloads::yield_many),
    );
    timed(
        &mut rows,
        "gather",
        "gather 100,000 trivial tasks (tokio `JoinSet::join_all`, smol: await each)",
        Target::Info,
        0.0,
        on_each_runtime!(structured::gather),
    );
    timed(
        &mut rows,
        "task_group",
        "`TaskGroup` of 100,000 children vs a tokio `JoinSet` aborting the rest on the first error (smol: none)",
        Target::AtLeast(1.0),
        0.0,
        on_each_runtime!(structured::task_group, without_smol),
    );
    timed(
        &mut rows,
        "semaphore_fanout",
        "100,000 tasks through a 100-permit semaphore (single-threaded vs thread-safe primitives; async-lock not FIFO-fair)",
        Target::AtLeast(1.5),
        0.0,
        on_each_runtime!(sync::semaphore_fanout),
    );
    timed(
        &mut rows,
        "queue_throughput",
        "10,000,000 items through a bounded(1,024) queue (ferrio `Queue`, single-threaded, vs thread-safe channels)",
        Target::AtLeast(1.5),
        0.0,
        on_each_runtime!(sync::queue_throughput),
    );
    timed(
        &mut rows,
        "lock_contention",
        "1,000 tasks × 100 acquisitions of one lock (single-threaded vs thread-safe; async-lock not FIFO-fair)",
        Target::AtLeast(1.5),
        0.0,
        on_each_runtime!(sync::lock_contention),
    );
    for (name, what, mode, target) in [
        (
            "memory",
            "RSS per task parked on `pending()` (1,000,000, spawned in polled batches of 1,000)",
            Mode::Batched,
            Target::NoMoreThanBestPeer,
        ),
        (
            "memory_burst",
            "the same, all 1,000,000 spawned at once (counts run-queue capacity)",
            Mode::Burst,
            Target::Info,
        ),
    ] {
        if selected(name) {
            let values = [
                Some(memory::bytes_per_task(Ferrio::NAME, mode)),
                Some(memory::bytes_per_task(Tokio::<false>::NAME, mode)),
                None,
                Some(memory::bytes_per_task(Smol::NAME, mode)),
            ];
            let row = Row {
                name,
                what,
                values,
                unit: Unit::Bytes,
                target,
                floor: 0.0,
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
    println!();
    print_markdown(&machine, &rows);
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
/// runs once, round `r` starting with runtime `r mod 4` (interleaved and
/// rotated, so that drift, a noisy neighbour or the heap a predecessor left
/// hit all alike); returns each runtime's median.
fn medians(runs: usize, run: [Runner; 4]) -> [Option<Duration>; 4] {
    for r in run.iter().flatten() {
        r();
    }
    let mut samples: [Vec<Duration>; 4] = Default::default();
    for round in 0..runs {
        for k in 0..run.len() {
            let i = (round + k) % run.len();
            if let Some(r) = run[i] {
                samples[i].push(r());
            }
        }
    }
    samples.map(|mut s| {
        if s.is_empty() {
            return None;
        }
        s.sort();
        let mid = s.len() / 2;
        Some(if s.len() % 2 == 1 {
            s[mid]
        } else {
            (s[mid - 1] + s[mid]) / 2
        })
    })
}

/// `spawn_join` with the warm-heap malloc settings, in a child process so
/// that the settings cannot leak into the other rows.
fn warm_heap_spawn_join(runs: usize) -> [Option<Duration>; 4] {
    let exe = std::env::current_exe().expect("cannot find the bench executable");
    let output = std::process::Command::new(exe)
        .env(memory::CHILD_ENV, format!("{WARM_CHILD}{runs}"))
        .output()
        .expect("cannot run the warm-heap child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "warm-heap child failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("warm_heap="))
        .unwrap_or_else(|| panic!("warm-heap child printed no result:\n{stdout}"));
    let mut values = [None; 4];
    for (slot, v) in values.iter_mut().zip(line.split(',')) {
        *slot = v.trim().parse::<f64>().ok().map(Duration::from_secs_f64);
    }
    values
}

/// The warm-heap child: keeps freed memory, times `spawn_join` on every
/// runtime, prints `warm_heap=<s>,<s>,<s>,<s>` and exits.
fn warm_heap_child(runs: &str) -> ! {
    let runs: usize = runs.parse().expect("bad run count for the warm-heap child");
    pin_to_first_allowed_cpu().expect("cannot pin the warm-heap child");
    keep_freed_memory();
    let values = medians(runs, on_each_runtime!(workloads::spawn_join));
    let line: Vec<String> = values
        .iter()
        .map(|v| v.map_or_else(|| "-".to_string(), |d| d.as_secs_f64().to_string()))
        .collect();
    println!("warm_heap={}", line.join(","));
    std::process::exit(0)
}

/// Index (into [`RUNTIMES`]) of the best peer for `row`, and its value.
fn best_peer(row: &Row) -> (usize, f64) {
    row.values
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(i, v)| v.map(|v| (i, v)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("every row has a peer")
}

/// ferrio's value.
fn ferrio(row: &Row) -> f64 {
    row.values[0].expect("every row has a ferrio value")
}

/// Best peer / ferrio above the floor: above 1 ferrio is faster (or smaller).
fn ratio(row: &Row) -> f64 {
    (best_peer(row).1 - row.floor) / (ferrio(row) - row.floor)
}

/// Whether the row meets its target; `None` for informational rows.
fn status(row: &Row) -> Option<bool> {
    match row.target {
        Target::AtLeast(min) => Some(ratio(row) >= min),
        Target::NoMoreThanBestPeer => Some(ferrio(row) <= best_peer(row).1),
        Target::Info => None,
    }
}

fn format_value(value: Option<f64>, unit: Unit) -> String {
    match (value, unit) {
        (None, _) => "—".to_string(),
        (Some(v), Unit::Seconds) => format!("{:.1} ms", v * 1e3),
        (Some(v), Unit::Bytes) => format!("{v:.0} B/task"),
    }
}

fn format_ratio(row: &Row) -> String {
    let r = ratio(row);
    let (better, worse) = match row.unit {
        Unit::Seconds => ("faster", "slower"),
        Unit::Bytes => ("smaller", "larger"),
    };
    let peer = RUNTIMES[best_peer(row).0];
    let above = if row.floor > 0.0 { " above floor" } else { "" };
    if r >= 1.0 {
        format!("×{r:.2} {better}{above} (vs {peer})")
    } else {
        format!("×{:.2} {worse}{above} (vs {peer})", 1.0 / r)
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
        Target::NoMoreThanBestPeer => format!("≤ best peer {verdict}"),
        Target::Info => verdict.to_string(),
    }
}

const WIDTHS: [usize; 7] = [21, 12, 12, 12, 12, 38, 14];

fn print_line(cells: [&str; 7]) {
    let mut line = String::new();
    for (i, (cell, width)) in cells.iter().zip(WIDTHS).enumerate() {
        // Left-align the names, right-align the numbers.
        let padded = if i == 0 || i >= 5 {
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
        RUNTIMES[0],
        RUNTIMES[1],
        RUNTIMES[2],
        RUNTIMES[3],
        "best peer / ferrio",
        "target",
    ]);
    let rule: Vec<String> = WIDTHS.iter().map(|&w| "-".repeat(w)).collect();
    print_line([
        &rule[0], &rule[1], &rule[2], &rule[3], &rule[4], &rule[5], &rule[6],
    ]);
}

fn print_row(row: &Row) {
    let [f, t, u, s] = row.values.map(|v| format_value(v, row.unit));
    print_line([
        row.name,
        &f,
        &t,
        &u,
        &s,
        &format_ratio(row),
        &format_target(row),
    ]);
}

/// The table again, as markdown with the run's provenance, between markers
/// that `benches/update_readme.sh` looks for.
fn print_markdown(machine: &Machine, rows: &[Row]) {
    println!("<!-- ferrio-bench:begin -->");
    println!(
        "Measured by `cargo bench -p ferrio` at commit `{}` on {}: {} ({} CPUs online, \
         pinned to CPU {}), {}. glibc malloc with its default settings (only \
         `spawn_join_warm_heap` changes them); each value the median of {} rounds, \
         the runtimes' order rotating every round, a fresh runtime per run.",
        machine.commit,
        machine.date,
        machine.cpu,
        machine.online,
        machine
            .pinned
            .map_or_else(|| "none".to_string(), |c| c.to_string()),
        machine.rustc,
        machine.runs
    );
    println!();
    println!("| workload | ferrio | tokio | tokio-u | smol | best peer / ferrio | target |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    for row in rows {
        let [f, t, u, s] = row.values.map(|v| format_value(v, row.unit));
        let verdict = match status(row) {
            Some(true) => " ✔",
            Some(false) => " ✘",
            None => "",
        };
        let target = match row.target {
            Target::AtLeast(min) => format!("≥ {min}×{verdict}"),
            Target::NoMoreThanBestPeer => format!("≤ best peer{verdict}"),
            Target::Info => "—".to_string(),
        };
        println!(
            "| `{}`: {} | {f} | {t} | {u} | {s} | {} | {target} |",
            row.name,
            row.what,
            format_ratio(row)
        );
    }
    println!();
    println!(
        "tokio is 1.54's `current_thread` `LocalRuntime`; tokio-u the same with the main \
         future and every task under `tokio::task::unconstrained` (no cooperative budget, \
         so no forced yields); smol is 2.0's `LocalExecutor`. The best peer is the fastest \
         of the three. ferrio's `sync` and `queue` primitives are single-threaded, \
         tokio's and async-lock's thread-safe, and async-lock's are not FIFO-fair."
    );
    println!("<!-- ferrio-bench:end -->");
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
/// mask) to the first CPU of its current affinity mask, so that
/// `taskset -c N` chooses the CPU. Returns that CPU.
fn pin_to_first_allowed_cpu() -> std::io::Result<usize> {
    // SAFETY: `cpu_set_t` is a plain bit set, valid when zeroed;
    // sched_getaffinity, CPU_ISSET, CPU_SET and sched_setaffinity only
    // read/write the sets we pass, with their real size.
    unsafe {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, size, &mut allowed) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let cpu = (0..libc::CPU_SETSIZE as usize)
            .find(|&c| libc::CPU_ISSET(c, &allowed))
            .unwrap_or(0);
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, size, &set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(cpu)
    }
}

/// Where and how the bench runs, for both tables.
struct Machine {
    runs: usize,
    online: i64,
    pinned: Option<usize>,
    pin_error: Option<String>,
    cpu: String,
    rustc: String,
    commit: String,
    date: String,
}

/// The trimmed standard output of a command, if it ran and succeeded.
fn command_output(program: &str, args: &[&str]) -> Option<String> {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

impl Machine {
    fn probe(runs: usize) -> Machine {
        // SAFETY: sysconf has no preconditions.
        let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
        let (pinned, pin_error) = match pin_to_first_allowed_cpu() {
            Ok(cpu) => (Some(cpu), None),
            Err(e) => (None, Some(e.to_string())),
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
        let rustc_bin = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let rustc = command_output(&rustc_bin, &["--version"])
            .unwrap_or_else(|| "rustc version unknown".to_string());
        let dir = env!("CARGO_MANIFEST_DIR");
        let commit = match command_output("git", &["-C", dir, "rev-parse", "--short", "HEAD"]) {
            Some(hash) => {
                let dirty = command_output(
                    "git",
                    &["-C", dir, "status", "--porcelain", "--untracked-files=no"],
                )
                .is_some_and(|s| !s.is_empty());
                if dirty {
                    format!("{hash}+uncommitted changes")
                } else {
                    hash
                }
            }
            None => "unknown".to_string(),
        };
        let date = command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
            .unwrap_or_else(|| "unknown date".to_string());
        Machine {
            runs,
            online,
            pinned,
            pin_error,
            cpu,
            rustc,
            commit,
            date,
        }
    }

    fn print(&self) {
        let pinned = match (self.pinned, &self.pin_error) {
            (Some(cpu), _) => format!("pinned to CPU {cpu} (sched_setaffinity)"),
            (None, e) => format!("NOT pinned: {}", e.as_deref().unwrap_or("?")),
        };
        println!(
            "ferrio runtime bench at {} on {}: {pinned}; {} CPUs online, {}; {}",
            self.commit, self.date, self.online, self.cpu, self.rustc
        );
        println!(
            "each time: 1 warm-up + median of {} rounds (FERRIO_BENCH_RUNS), order rotating \
             every round, fresh runtime per run; heap: glibc defaults",
            self.runs
        );
        println!(
            "peers: tokio current_thread LocalRuntime, tokio-u (the same under \
             task::unconstrained), smol LocalExecutor"
        );
        if cfg!(debug_assertions) {
            println!(
                "WARNING: built with debug assertions; numbers are meaningless (use `cargo bench`)"
            );
        }
        println!();
    }
}
