//! # ferrio-cli — the `ferrio` command
//!
//! Three subcommands on ferrio's sockets, hyper and ferrio-resilience:
//!
//! - `ferrio fetch` fetches many URLs concurrently, with limits (total,
//!   per host, rate), timeouts, retries with backoff and jitter, a per-host
//!   circuit breaker, a progress bar and a report of what failed;
//! - `ferrio serve-mock` is a mock JSON API with latency, failures and rate
//!   limits to order, on 127.0.0.1;
//! - `ferrio demo` starts the mock and fetches 200 items one after another,
//!   then concurrently: asyncio's "41 s → 2 s" story, live.
//!
//! The shape is ripgrep's: clap parses raw arguments (`*::args`), which are
//! validated into a configuration, which is then run. The library is what
//! the binary runs, so tests drive it directly on the virtual clock.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod demo;
pub mod error;
pub mod fetch;
pub mod mock;
pub mod units;

use clap::{Parser, Subcommand};

/// The `ferrio` command line.
#[derive(Debug, Parser)]
#[command(
    name = "ferrio",
    version,
    about = "Concurrent HTTP fetching with limits, retries and a failure report, on the ferrio runtime",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch many URLs concurrently and report what failed.
    Fetch(fetch::FetchArgs),
    /// Serve a mock JSON API on 127.0.0.1 (latency, failures, rate limits).
    ServeMock(mock::MockArgs),
    /// Fetch 200 items from the embedded mock, sequentially then concurrently.
    Demo(demo::DemoArgs),
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<u8, error::CliError> {
    match cli.command {
        Command::Fetch(args) => fetch::run(args),
        Command::ServeMock(args) => mock::run(args),
        Command::Demo(args) => demo::run(args),
    }
}
