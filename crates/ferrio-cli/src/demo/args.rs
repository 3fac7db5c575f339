//! The raw arguments of `ferrio demo`, and their validation.

use std::time::Duration;

use super::DemoConfig;
use crate::error::CliError;
use crate::units::{parse_duration, parse_duration_range, parse_fraction, DurationRange};

/// Raw arguments of `ferrio demo`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  ferrio demo                      # 200 calls at 50 ms each: ~10 s, then ~0.5 s
  ferrio demo --latency 200ms      # the article's numbers: ~40 s, then ~2 s
  ferrio demo --fail-rate 0.2      # a harsher failure lesson
  ferrio demo --blocking           # add the blocking-call lesson (debug mode)
  ferrio demo --count 50 --concurrency 50")]
pub struct DemoArgs {
    /// API calls in each run.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub count: u32,
    /// Latency of each call on the mock API: a duration or a range
    /// (`50..300ms`).
    #[arg(long, default_value = "50ms", value_parser = parse_duration_range, value_name = "DURATION")]
    pub latency: DurationRange,
    /// Calls in flight in the concurrent run.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub concurrency: usize,
    /// Fraction of calls that fail in the failure lesson (`0.05` or `5%`).
    #[arg(long, default_value = "0.05", value_parser = parse_fraction, value_name = "FRACTION")]
    pub fail_rate: f64,
    /// Also show the blocking-call lesson: one handler blocks the loop, and
    /// debug mode names it.
    #[arg(long)]
    pub blocking: bool,
    /// How long the blocking handler blocks the loop.
    #[arg(long, default_value = "300ms", value_parser = parse_duration, value_name = "DURATION")]
    pub blocking_for: Duration,
    /// Seed of the mock's failures.
    #[arg(long, default_value_t = 7, value_name = "N")]
    pub seed: u64,
}

impl DemoArgs {
    /// Validates the arguments into a [`DemoConfig`].
    ///
    /// # Errors
    ///
    /// [`CliError::Usage`] for a zero count or concurrency, or a blocking
    /// time too short for debug mode to call it slow.
    pub fn validate(self) -> Result<DemoConfig, CliError> {
        if self.count == 0 || self.count > 100_000 {
            return Err(CliError::Usage(format!(
                "--count {} is out of range: give 1 to 100000 calls",
                self.count
            )));
        }
        if self.concurrency == 0 || self.concurrency > 10_000 {
            return Err(CliError::Usage(format!(
                "--concurrency {} is out of range: give 1 to 10000",
                self.concurrency
            )));
        }
        if self.blocking_for < Duration::from_millis(100)
            || self.blocking_for > Duration::from_secs(10)
        {
            return Err(CliError::Usage(format!(
                "--blocking-for {:?} is out of range: debug mode reports polls of 100 ms or more; give 100ms to 10s",
                self.blocking_for
            )));
        }
        Ok(DemoConfig {
            count: self.count,
            latency: self.latency,
            concurrency: self.concurrency,
            fail_rate: self.fail_rate,
            blocking: self.blocking,
            blocking_for: self.blocking_for,
            seed: self.seed,
        })
    }
}
