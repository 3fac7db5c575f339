//! `ferrio demo`: asyncio's classic "200 API calls: 41 s one after
//! another, 2 s concurrently", reproduced live against the embedded mock
//! API on 127.0.0.1 — no network needed — followed by the lessons that come
//! next, one line each: a failure must not throw away the other results,
//! and a blocking call hidden in a handler stalls everything (debug mode
//! names it).
//!
//! Everything runs on one ferrio loop: the mock server's handlers and the
//! client's requests are tasks side by side, so the library form
//! ([`run_demo`]) also runs on the virtual clock, where the tests check the
//! story's numbers exactly.

mod args;
mod lessons;
mod show;

use std::io::Write;
use std::time::Duration;

pub use args::DemoArgs;
pub use lessons::{blocking_lesson, failure_lesson, BlockingLesson, FailureLesson};
pub use show::render;

use crate::error::CliError;
use crate::fetch::{Discard, FetchConfig, Fetcher, StopHandle, Summary, UrlSource};
use crate::mock::{MockConfig, MockServer};
use crate::units::DurationRange;

/// What the demo does, validated from [`DemoArgs`].
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// API calls per run (default 200).
    pub count: u32,
    /// The mock's latency per call (default 50 ms; 200 ms reproduces the
    /// article's 41 s).
    pub latency: DurationRange,
    /// Calls in flight in the concurrent run (default 20).
    pub concurrency: usize,
    /// Fraction of calls that fail in the failure lesson (default 0.05).
    pub fail_rate: f64,
    /// Run the blocking-call lesson too (a handler that blocks the loop for
    /// `blocking_for`, under debug mode).
    pub blocking: bool,
    /// How long the blocking handler blocks (default 300 ms).
    pub blocking_for: Duration,
    /// Seed of the mock's failures (the same failures on every run).
    pub seed: u64,
}

impl Default for DemoConfig {
    fn default() -> DemoConfig {
        let latency = Duration::from_millis(50);
        DemoConfig {
            count: 200,
            latency: DurationRange {
                low: latency,
                high: latency,
            },
            concurrency: 20,
            fail_rate: 0.05,
            blocking: false,
            blocking_for: Duration::from_millis(300),
            seed: 7,
        }
    }
}

/// The demo's results: the two runs and the lessons.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// Where the mock listened.
    pub server: String,
    /// The configuration the demo ran with.
    pub config: DemoConfig,
    /// The sequential run (concurrency 1).
    pub sequential: Summary,
    /// The concurrent run.
    pub concurrent: Summary,
    /// The failure lesson.
    pub failures: FailureLesson,
    /// The blocking lesson, if it ran.
    pub blocking: Option<BlockingLesson>,
}

impl DemoReport {
    /// How many times faster the concurrent run was.
    pub fn speedup(&self) -> f64 {
        self.sequential.elapsed_ms / self.concurrent.elapsed_ms.max(1e-3)
    }
}

/// Starts the demo's mock API on 127.0.0.1 (a free port) with the demo's
/// latency and seed, failing `fail_rate` of the item calls.
pub(crate) async fn start_mock(
    config: &DemoConfig,
    fail_rate: f64,
) -> Result<MockServer, CliError> {
    MockServer::start(MockConfig {
        port: 0,
        latency: config.latency,
        fail_rate,
        seed: Some(config.seed),
        ..MockConfig::default()
    })
    .await
    .map_err(|e| CliError::io("starting the mock API on 127.0.0.1", e))
}

/// Fetches `/item/1..=count` from `server` with `concurrency` in flight.
pub(crate) async fn fetch_items(
    server: &MockServer,
    count: u32,
    concurrency: usize,
) -> Result<Summary, CliError> {
    let config = FetchConfig {
        concurrency,
        ..FetchConfig::default()
    };
    let urls = UrlSource::urls((1..=count).map(|i| server.url(&format!("/item/{i}"))));
    Fetcher::new(config)?
        .run(urls, &mut Discard, &StopHandle::new())
        .await
}

/// Runs the demo on the current ferrio loop: the mock on 127.0.0.1 (a
/// random port), 200 calls one after another, then concurrently, then the
/// lessons. `progress` is told when each step starts.
///
/// # Errors
///
/// [`CliError::Io`] if the mock cannot listen; a fetch configuration error.
pub async fn run_demo(
    config: &DemoConfig,
    mut progress: impl FnMut(&str),
) -> Result<DemoReport, CliError> {
    let server = start_mock(config, 0.0).await?;
    let address = server.url("");
    progress(&format!(
        "{} calls, one after another (each waits for the previous one)...",
        config.count
    ));
    let sequential = fetch_items(&server, config.count, 1).await?;
    progress(&format!(
        "{} calls, concurrently ({} in flight)...",
        config.count, config.concurrency
    ));
    let concurrent = fetch_items(&server, config.count, config.concurrency).await?;
    let _ = server.shutdown().await;

    progress("lesson: one failure must not throw away the other results...");
    let failures = failure_lesson(config).await?;
    let blocking = if config.blocking {
        progress("lesson: a blocking call hidden in a handler (debug mode on)...");
        Some(blocking_lesson(config).await?)
    } else {
        None
    };
    Ok(DemoReport {
        server: address,
        config: config.clone(),
        sequential,
        concurrent,
        failures,
        blocking,
    })
}

/// Runs `ferrio demo`; returns the exit code (0 when the story held: every
/// call of both runs succeeded).
pub fn run(args: DemoArgs) -> Result<u8, CliError> {
    let config = args.validate()?;
    let report = match ferrio::run(run_demo(&config, |step| {
        eprintln!("{step}");
        let _ = std::io::stderr().flush();
    })) {
        Ok(report) => report?,
        // Ctrl-C: the run was cancelled and its cleanup ran (the mock shut
        // down with the loop); nothing to report.
        Err(ferrio::event_loop::RunError::Interrupted) => {
            eprintln!("interrupted");
            return Ok(crate::error::EXIT_INTERRUPTED);
        }
        Err(e) => return Err(e.into()),
    };
    print!("{}", render(&report));
    let clean = report.sequential.failed + report.concurrent.failed == 0;
    Ok(if clean {
        crate::error::EXIT_OK
    } else {
        crate::error::EXIT_SOME_FAILED
    })
}
