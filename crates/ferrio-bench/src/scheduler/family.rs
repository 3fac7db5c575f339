//! Runs the scheduler family: every workload × runtime × run, each in a
//! fresh child process, interleaved with a rotating runtime order.

use std::collections::HashMap;

use crate::child;
use crate::report::{available, Better, Cell, Family, Miss, Row};
use crate::rotation::rotated;
use crate::scheduler::Workload;
use crate::stats::Summary;
use crate::Ctx;

/// The runtimes (columns) of the family, ferrio first.
pub const RUNTIMES: [&str; 6] = [
    "ferrio",
    "tokio-ct",
    "tokio-mt2",
    "smol",
    "asyncio",
    "uvloop",
];

/// Runs one measurement of `workload` on `runtime`.
fn measure(ctx: &Ctx, runtime: &str, workload: Workload) -> Result<f64, Miss> {
    let p = workload.params(ctx.plan.quick);
    // One loop on one thread: pin it to CPU 1 (away from CPU 0, where the
    // kernel tends to put interrupts); tokio's two workers stay unpinned.
    let cpu = (ctx.plan.pin && runtime != "tokio-mt2").then_some(1);
    let cmd = match runtime {
        "asyncio" | "uvloop" => {
            let py = available(&ctx.python)?;
            if runtime == "uvloop" {
                available(&py.uvloop)?;
            }
            let mut c = child::command(&py.python, cpu);
            c.arg(ctx.repo.join("bench/py/scheduler.py"));
            c.args(["--workload", workload.name()]);
            c.args(["--n", &p.n.to_string(), "--m", &p.m.to_string()]);
            if runtime == "uvloop" {
                c.arg("--uvloop");
            }
            c
        }
        _ => {
            let mut c = child::command(&ctx.exe, cpu);
            c.args(["child", "scheduler", "--runtime", runtime]);
            c.args(["--workload", workload.name()]);
            c.args(["--n", &p.n.to_string(), "--m", &p.m.to_string()]);
            c
        }
    };
    let finished = child::run_ok(cmd)?;
    Ok(child::json_value(&finished.stdout)?)
}

/// Runs the scheduler family and returns its section of the report.
pub fn run(ctx: &Ctx) -> Family {
    let mut values: HashMap<(Workload, &str), Vec<f64>> = HashMap::new();
    let mut failures: HashMap<(Workload, &str), Miss> = HashMap::new();
    for run in 0..ctx.plan.runs as usize {
        for (i, workload) in Workload::ALL.into_iter().enumerate() {
            for runtime in rotated(&RUNTIMES, run + i) {
                if failures.contains_key(&(workload, runtime)) {
                    continue;
                }
                match measure(ctx, runtime, workload) {
                    Ok(v) => values.entry((workload, runtime)).or_default().push(v),
                    Err(e) => {
                        if let Miss::Fail(why) = &e {
                            eprintln!("  {} on {runtime} FAILED: {why}", workload.name());
                        }
                        failures.insert((workload, runtime), e);
                    }
                }
            }
            eprint!(".");
        }
        eprintln!(" scheduler run {}/{}", run + 1, ctx.plan.runs);
    }
    let rows = Workload::ALL
        .into_iter()
        .map(|w| Row {
            workload: w.name().to_string(),
            unit: w.unit().to_string(),
            better: Better::Lower,
            cells: RUNTIMES
                .iter()
                .map(|&rt| {
                    let cell = match (failures.get(&(w, rt)), values.get(&(w, rt))) {
                        (Some(miss), _) => miss.to_cell(),
                        (None, Some(v)) => Cell::Measured {
                            summary: Summary::of(v).expect("at least one run"),
                            extras: vec![],
                        },
                        (None, None) => Cell::Skipped("not run".into()),
                    };
                    (rt.to_string(), cell)
                })
                .collect(),
        })
        .collect();
    let mut notes: Vec<String> = Workload::ALL
        .iter()
        .map(|w| w.describe(w.params(ctx.plan.quick)))
        .collect();
    notes.push(
        "Runtimes: `ferrio` (one `EventLoop`), `tokio-ct` (`current_thread`), `tokio-mt2` \
         (`multi_thread`, 2 workers), `smol` (`LocalExecutor` + `smol::block_on`), `asyncio` \
         (CPython's default loop), `uvloop`. Each measurement is a fresh process and a fresh \
         runtime; times are wall time of the workload inside the running loop (process and \
         runtime start-up excluded)."
            .into(),
    );
    Family {
        name: "scheduler".into(),
        title: "Scheduler".into(),
        notes,
        runtimes: RUNTIMES.iter().map(|s| s.to_string()).collect(),
        rows,
    }
}
