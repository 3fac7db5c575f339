//! The top level: run the planned families, then write the report and
//! its charts; and the hidden `child` subcommand's dispatch.

use std::path::Path;
use std::time::Instant;

use crate::cli::{ChildArgs, FamilyKind, Plan};
use crate::report::{Family, Report};
use crate::scheduler::{self, Params, Workload};
use crate::{chart, fetch, machine, network, python, Ctx};

/// Runs `plan` and writes the report; returns the process exit code.
pub fn main(plan: Plan) -> i32 {
    let started = Instant::now();
    let repo = crate::repo_root();
    let load_before = machine::load_average();
    let python = python::setup(&repo);
    if let Err(e) = &python {
        eprintln!("ferrio-bench: Python peers skipped: {e}");
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("ferrio-bench: cannot find this executable: {e}");
            return 1;
        }
    };
    let ctx = Ctx {
        plan: plan.clone(),
        repo: repo.clone(),
        exe,
        python,
    };
    let mut families: Vec<Family> = Vec::new();
    for kind in &plan.families {
        let t = Instant::now();
        let family = match kind {
            FamilyKind::Scheduler => scheduler::family::run(&ctx),
            FamilyKind::Network => network::run(&ctx),
            FamilyKind::Fetch => fetch::run(&ctx),
        };
        eprintln!(
            "ferrio-bench: {} done in {:.1} s",
            family.name,
            t.elapsed().as_secs_f64()
        );
        families.push(family);
    }
    let date = machine::today();
    let header = header(&ctx, load_before, started.elapsed().as_secs_f64());
    let report = Report {
        date: date.clone(),
        header,
        families,
    };
    match write(&report, &plan.out, &date) {
        Ok(path) => {
            println!("{}", path.display());
            let failures = report.failures();
            for f in &failures {
                eprintln!("ferrio-bench: FAILED {f}");
            }
            i32::from(!failures.is_empty())
        }
        Err(e) => {
            eprintln!("ferrio-bench: cannot write the report: {e}");
            1
        }
    }
}

fn header(ctx: &Ctx, load_before: Option<f64>, seconds: f64) -> Vec<String> {
    let plan = &ctx.plan;
    let mut h = vec![
        format!("commit: `{}`", machine::commit(&ctx.repo)),
        format!("date: {} {}", machine::today(), machine::time_of_day()),
        format!("CPU: {}", machine::cpu_model()),
        format!(
            "load average (1 min) before / after the run: {} / {}",
            load_before.map_or("?".into(), |l| format!("{l:.2}")),
            machine::load_average().map_or("?".into(), |l| format!("{l:.2}"))
        ),
        format!(
            "mode: {}, {} run(s) per workload and runtime, interleaved (every run visits every \
             runtime once, the starting runtime rotating from run to run), a fresh process per \
             measurement; whole run {seconds:.0} s",
            if plan.quick {
                "--quick (small sizes; numbers not for comparison)"
            } else {
                "full"
            },
            plan.runs
        ),
        format!(
            "pinning: {}",
            if !plan.pin {
                "none (--no-pin)".to_string()
            } else if crate::child::taskset_available() {
                "single-loop runtimes and clients on CPU 1 (`taskset -c 1`), servers and the mock \
                 on CPU 0; tokio multi_thread and ferrio's two-loop server unpinned / one loop per CPU"
                    .to_string()
            } else {
                "threads of this process pinned with sched_setaffinity; `taskset` missing, so child \
                 processes are not pinned"
                    .to_string()
            }
        ),
        format!("peers: {}", machine::peer_versions(&ctx.repo)),
        format!(
            "build: {}; {}",
            if cfg!(debug_assertions) {
                "**debug** (numbers meaningless)"
            } else {
                "release"
            },
            rustc_version()
        ),
    ];
    match &ctx.python {
        Ok(py) => h.push(format!(
            "Python: {} in bench/.venv; {}; {}",
            py.version,
            py.uvloop
                .clone()
                .unwrap_or_else(|e| format!("uvloop skipped ({e})")),
            py.aiohttp
                .clone()
                .unwrap_or_else(|e| format!("aiohttp skipped ({e})"))
        )),
        Err(e) => h.push(format!("Python: skipped ({e})")),
    }
    h
}

fn rustc_version() -> String {
    std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Writes `<out>/<date>.md` and `<out>/<date>-<family>.{svg,png}`.
fn write(report: &Report, out: &Path, date: &str) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(out)?;
    let mut charts = Vec::new();
    for family in &report.families {
        let stem = format!("{date}-{}", family.name);
        match chart::write(family, out, &stem) {
            Ok(files) => charts.push((family.name.clone(), files)),
            Err(e) => eprintln!("ferrio-bench: chart {stem} not written: {e}"),
        }
    }
    let path = out.join(format!("{date}.md"));
    std::fs::write(&path, report.to_markdown(&charts))?;
    Ok(path)
}

/// The hidden `child` subcommand: one measurement, or a server.
pub fn child(args: &ChildArgs) -> i32 {
    match args.kind.as_str() {
        "scheduler" => {
            let Some(workload) = Workload::from_name(&args.workload) else {
                eprintln!("unknown workload {:?}", args.workload);
                return 2;
            };
            let p = Params {
                n: args.n,
                m: args.m,
            };
            match scheduler::run_rust(&args.runtime, workload, p) {
                Ok(v) => {
                    println!("{{\"value\": {v}}}");
                    0
                }
                Err(e) => {
                    eprintln!("{e}");
                    2
                }
            }
        }
        "echo-server" => network::serve(&args.runtime),
        other => {
            eprintln!("unknown child kind {other:?}");
            2
        }
    }
}
