//! # ferrio-bench — ferrio against tokio, smol, asyncio and uvloop
//!
//! One command runs every workload on every runtime, repeats each
//! (interleaved, rotating order, a fresh process and runtime per run) and
//! writes `bench/results/<date>.md` with SVG and PNG charts:
//!
//! ```text
//! cargo run --release -p ferrio-bench -- all            # the full report
//! cargo run --release -p ferrio-bench -- all --quick    # CI: small, once
//! cargo run --release -p ferrio-bench -- scheduler --runs 3 --out /tmp/r
//! ```
//!
//! Families: [`scheduler`] (spawn, wake, yield, timers, gather, task
//! groups, semaphores, queues, idle memory), [`network`] (TCP echo, the
//! same client against every server) and [`fetch`] (the seeds' job against
//! `ferrio serve-mock`). Every workload checks its result, so no runtime
//! can skip work. The Python peers run in `bench/.venv`, which the bench
//! makes itself ([`python`]); when it cannot, their columns say why.
//!
//! All `unsafe` code (`wait4`, `sysconf`, `sched_setaffinity`) is in [`sys`].

#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    clippy::undocumented_unsafe_blocks
)]
#![doc(test(attr(deny(warnings))))]

pub mod chart;
pub mod child;
pub mod cli;
pub mod fetch;
pub mod machine;
pub mod network;
pub mod python;
pub mod report;
pub mod rotation;
pub mod run;
pub mod scheduler;
pub mod stats;
pub mod sys;
pub mod targets;

use std::path::PathBuf;

/// What every family needs: the plan, the repository, this executable and
/// the Python environment (or why there is none).
#[derive(Debug)]
pub struct Ctx {
    /// The resolved command line.
    pub plan: cli::Plan,
    /// The repository root.
    pub repo: PathBuf,
    /// This executable, re-run for child measurements.
    pub exe: PathBuf,
    /// The venv, or why the Python columns are skipped.
    pub python: Result<python::PythonEnv, String>,
}

/// The repository root: two levels above this crate's manifest.
pub fn repo_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(|p| p.parent())
        .map(PathBuf::from)
        .unwrap_or(manifest)
}
