//! Command-line arguments (clap), parsed first and resolved second into a
//! [`Plan`]: which families, how many runs, where the report goes.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// `ferrio-bench`: ferrio against tokio, smol, asyncio and uvloop.
#[derive(Debug, Parser)]
#[command(name = "ferrio-bench", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every family: scheduler, network, fetch.
    All(RunArgs),
    /// Spawn, wake, yield, timers, gather, task groups, semaphore, queue, idle memory.
    Scheduler(RunArgs),
    /// TCP echo on loopback, the same client against every server.
    Network(RunArgs),
    /// The seeds' job: fetch URLs from `ferrio serve-mock` with every client.
    Fetch(RunArgs),
    /// Internal: one measurement in a fresh process.
    #[command(hide = true)]
    Child(ChildArgs),
}

/// Options shared by the running subcommands.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Every workload once at a small size (CI); the report goes to a
    /// temporary directory unless --out is given.
    #[arg(long)]
    pub quick: bool,
    /// Repeats of each workload per runtime [default: 5, or 1 with --quick].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: Option<u32>,
    /// The directory of the report [default: bench/results, or a temporary
    /// directory with --quick].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Install oha with `cargo install oha` if it is missing (slow).
    #[arg(long)]
    pub with_oha: bool,
    /// Do not pin servers and single-loop runtimes to CPUs.
    #[arg(long)]
    pub no_pin: bool,
}

/// The internal child subcommand.
#[derive(Debug, Args)]
pub struct ChildArgs {
    /// `scheduler` or `echo-server`.
    pub kind: String,
    /// The runtime.
    #[arg(long)]
    pub runtime: String,
    /// The workload (scheduler only).
    #[arg(long, default_value = "")]
    pub workload: String,
    /// The workload's main count.
    #[arg(long, default_value_t = 0)]
    pub n: u64,
    /// The workload's second parameter.
    #[arg(long, default_value_t = 0)]
    pub m: u64,
}

/// The families of workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyKind {
    /// The scheduler family.
    Scheduler,
    /// The network family.
    Network,
    /// The fetch family.
    Fetch,
}

/// A resolved run: what to run, how often, where to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The families, in report order.
    pub families: Vec<FamilyKind>,
    /// Small sizes.
    pub quick: bool,
    /// Repeats per workload and runtime.
    pub runs: u32,
    /// The report's directory.
    pub out: PathBuf,
    /// Install oha if missing.
    pub with_oha: bool,
    /// Pin servers and single-loop runtimes.
    pub pin: bool,
}

impl Plan {
    /// Resolves `args` for `families`; `repo` is the repository root (the
    /// default report directory is `repo/bench/results`).
    pub fn resolve(families: Vec<FamilyKind>, args: &RunArgs, repo: &std::path::Path) -> Plan {
        let runs = args.runs.unwrap_or(if args.quick { 1 } else { 5 });
        let out = match (&args.out, args.quick) {
            (Some(dir), _) => dir.clone(),
            (None, true) => {
                std::env::temp_dir().join(format!("ferrio-bench-quick-{}", std::process::id()))
            }
            (None, false) => repo.join("bench").join("results"),
        };
        Plan {
            families,
            quick: args.quick,
            runs,
            out,
            with_oha: args.with_oha,
            pin: !args.no_pin,
        }
    }
}

impl Command {
    /// The families and arguments of a running subcommand; `None` for
    /// `child`.
    pub fn plan(&self, repo: &std::path::Path) -> Option<Plan> {
        use FamilyKind::*;
        let (families, args) = match self {
            Command::All(a) => (vec![Scheduler, Network, Fetch], a),
            Command::Scheduler(a) => (vec![Scheduler], a),
            Command::Network(a) => (vec![Network], a),
            Command::Fetch(a) => (vec![Fetch], a),
            Command::Child(_) => return None,
        };
        Some(Plan::resolve(families, args, repo))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan(argv: &[&str]) -> Plan {
        let cli = Cli::try_parse_from(argv).unwrap();
        cli.command.plan(Path::new("/repo")).unwrap()
    }

    #[test]
    fn quick_runs_once_into_a_temporary_directory() {
        let p = plan(&["ferrio-bench", "all", "--quick"]);
        assert!(p.quick);
        assert_eq!(p.runs, 1);
        assert_eq!(
            p.families,
            [
                FamilyKind::Scheduler,
                FamilyKind::Network,
                FamilyKind::Fetch
            ]
        );
        assert!(p.out.starts_with(std::env::temp_dir()));
        assert!(p.pin);
    }

    #[test]
    fn full_defaults_to_five_runs_into_bench_results() {
        let p = plan(&["ferrio-bench", "scheduler"]);
        assert!(!p.quick);
        assert_eq!(p.runs, 5);
        assert_eq!(p.out, Path::new("/repo/bench/results"));
        assert_eq!(p.families, [FamilyKind::Scheduler]);
    }

    #[test]
    fn runs_and_out_override_the_defaults() {
        let p = plan(&[
            "ferrio-bench",
            "fetch",
            "--quick",
            "--runs",
            "3",
            "--out",
            "/tmp/r",
            "--no-pin",
        ]);
        assert_eq!((p.runs, p.quick, p.pin), (3, true, false));
        assert_eq!(p.out, Path::new("/tmp/r"));
    }

    #[test]
    fn zero_runs_is_refused() {
        assert!(Cli::try_parse_from(["ferrio-bench", "all", "--runs", "0"]).is_err());
    }

    #[test]
    fn child_has_no_plan() {
        let cli = Cli::try_parse_from([
            "ferrio-bench",
            "child",
            "scheduler",
            "--runtime",
            "ferrio",
            "--workload",
            "yield",
            "--n",
            "3",
            "--m",
            "2",
        ])
        .unwrap();
        assert!(cli.command.plan(Path::new("/repo")).is_none());
    }
}
