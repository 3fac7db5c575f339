//! The scheduler family: spawn, wake, yield, timers, structured
//! concurrency, semaphores, queues and the memory of idle tasks, written
//! once for the Rust runtimes ([`rust`]) and once in Python
//! (`bench/py/scheduler.py`) for asyncio and uvloop.
//!
//! Every measurement runs in a fresh child process (this binary's hidden
//! `child scheduler` subcommand, or the Python script), on a fresh runtime,
//! and prints one JSON object `{"value": <f64>}`; every workload checks its
//! result (sums, counts, bounds) and fails loudly otherwise.

pub mod family;
pub mod rust;

/// A scheduler workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workload {
    /// Spawn `n` trivial tasks, then await every handle in order.
    SpawnJoin,
    /// Two tasks pass a counter `n` times each way over two async-channel
    /// `bounded(1)` channels (asyncio: two `Queue(maxsize=1)`).
    Pingpong,
    /// `n` tasks each yield `m` times.
    Yield,
    /// `n` tasks, task `i` sleeping `1 + i % m` ms; the time above the
    /// `m` ms floor is reported.
    Timers,
    /// The runtime's gather of `n` trivial futures.
    Gather,
    /// A structured task group of `n` trivial children.
    TaskGroup,
    /// `n` tasks through a semaphore of `m` permits, each holding its
    /// permit across one yield.
    Semaphore,
    /// One producer sends `n` integers through a bounded queue of `m`.
    Queue,
    /// `n` tasks sleeping (one hour); the RSS growth per task.
    IdleMemory,
}

/// A workload's size: the meaning of `n` and `m` is the workload's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The main count (tasks, round trips, items).
    pub n: u64,
    /// The second parameter (yields per task, ms, permits, capacity), or 0.
    pub m: u64,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 9] = [
        Workload::SpawnJoin,
        Workload::Pingpong,
        Workload::Yield,
        Workload::Timers,
        Workload::Gather,
        Workload::TaskGroup,
        Workload::Semaphore,
        Workload::Queue,
        Workload::IdleMemory,
    ];

    /// The name used on the command line, in JSON and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Workload::SpawnJoin => "spawn_join",
            Workload::Pingpong => "pingpong",
            Workload::Yield => "yield",
            Workload::Timers => "timers",
            Workload::Gather => "gather",
            Workload::TaskGroup => "task_group",
            Workload::Semaphore => "semaphore",
            Workload::Queue => "queue",
            Workload::IdleMemory => "idle_memory",
        }
    }

    /// The workload named `name`.
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The size of the full report, or the small `--quick` size.
    pub fn params(self, quick: bool) -> Params {
        let (n, m) = match self {
            Workload::SpawnJoin => (100_000, 0),
            Workload::Pingpong => (100_000, 0),
            Workload::Yield => (1_000, 100),
            Workload::Timers => (10_000, 10),
            Workload::Gather => (100_000, 0),
            Workload::TaskGroup => (100_000, 0),
            Workload::Semaphore => (100_000, 100),
            Workload::Queue => (200_000, 1_024),
            Workload::IdleMemory => (100_000, 0),
        };
        if quick {
            let n = match self {
                Workload::Yield => 100,
                Workload::IdleMemory => 10_000,
                _ => n / 20,
            };
            Params { n, m }
        } else {
            Params { n, m }
        }
    }

    /// The unit of the reported value.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::Timers => "ms over floor",
            Workload::IdleMemory => "B/task",
            _ => "ms",
        }
    }

    /// What the row compares, for the report.
    pub fn describe(self, p: Params) -> String {
        let (n, m) = (p.n, p.m);
        match self {
            Workload::SpawnJoin => format!(
                "`spawn_join`: spawn {n} trivial tasks, await each handle in order, check the sum \
                 (asyncio: `create_task` + `await`)"
            ),
            Workload::Pingpong => format!(
                "`pingpong`: {n} round trips between two tasks over two bounded(1) channels — \
                 the same `async-channel` for every Rust runtime, `asyncio.Queue(1)` in Python; \
                 checks the sum"
            ),
            Workload::Yield => format!(
                "`yield`: {n} tasks × {m} `yield_now()` each (asyncio: `sleep(0)`), counted"
            ),
            Workload::Timers => format!(
                "`timers`: {n} tasks, task i sleeps 1 + i mod {m} ms; reported: wall time minus \
                 the {m} ms floor (timer overhead), sum of slept ms checked"
            ),
            Workload::Gather => format!(
                "`gather`: {n} trivial futures: ferrio `gather`, asyncio `gather`; tokio and smol \
                 have none, so spawn each and await in order; checks the sum"
            ),
            Workload::TaskGroup => format!(
                "`task_group`: {n} trivial children: ferrio `TaskGroup`, asyncio `TaskGroup`, \
                 tokio `JoinSet` + `join_all`, smol a `Vec` of tasks; checks the sum"
            ),
            Workload::Semaphore => format!(
                "`semaphore`: {n} tasks through a semaphore of {m} permits, each holding its permit \
                 across one yield (tokio `sync::Semaphore`, smol `async-lock`); the bound is checked"
            ),
            Workload::Queue => format!(
                "`queue`: one producer task sends {n} integers through a bounded queue of {m} \
                 (ferrio `queue::Queue`, tokio `mpsc`, smol `async-channel`, asyncio `Queue`); sum checked"
            ),
            Workload::IdleMemory => format!(
                "`idle_memory`: {n} tasks sleeping one hour (spawned 1,000 at a time); RSS growth \
                 ÷ {n} (each task counted as started)"
            ),
        }
    }
}

/// The Rust runtimes of the scheduler family.
pub const RUST_RUNTIMES: [&str; 4] = ["ferrio", "tokio-ct", "tokio-mt2", "smol"];

/// Runs `workload` on the Rust runtime `runtime` (one of
/// [`RUST_RUNTIMES`]) in this process and returns the value to report.
pub fn run_rust(runtime: &str, workload: Workload, p: Params) -> Result<f64, String> {
    match runtime {
        "ferrio" => Ok(rust::ferrio_rt::run(workload, p)),
        "tokio-ct" => Ok(rust::tokio_rt::run(false, workload, p)),
        "tokio-mt2" => Ok(rust::tokio_rt::run(true, workload, p)),
        "smol" => Ok(rust::smol_rt::run(workload, p)),
        other => Err(format!("unknown runtime {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for w in Workload::ALL {
            assert_eq!(Workload::from_name(w.name()), Some(w));
        }
        assert_eq!(Workload::from_name("nope"), None);
    }

    #[test]
    fn quick_sizes_are_smaller() {
        for w in Workload::ALL {
            assert!(w.params(true).n < w.params(false).n, "{}", w.name());
        }
    }

    #[test]
    fn every_rust_runtime_runs_every_workload_at_a_tiny_size() {
        let p = |w: Workload| match w {
            Workload::Yield => Params { n: 10, m: 3 },
            Workload::Timers => Params { n: 20, m: 2 },
            Workload::Semaphore => Params { n: 50, m: 4 },
            Workload::Queue => Params { n: 100, m: 8 },
            _ => Params { n: 100, m: 0 },
        };
        for rt in RUST_RUNTIMES {
            for w in Workload::ALL {
                let v = run_rust(rt, w, p(w)).unwrap();
                assert!(v.is_finite(), "{rt} {}", w.name());
            }
        }
    }
}
