//! [`RetryEvent`]: what the retry hook is told before each retry.

use std::time::Duration;

use super::AttemptError;

/// Passed to the [`on_retry`](super::Retry::on_retry) hook after a failed
/// attempt, before the backoff sleep: for logging and metrics.
#[derive(Debug)]
#[non_exhaustive]
pub struct RetryEvent<'a, E> {
    /// The attempt that failed, counting from 1.
    pub attempt: u32,
    /// Why it failed.
    pub error: &'a AttemptError<E>,
    /// How long the loop sleeps before the next attempt.
    pub delay: Duration,
    /// Whether `delay` came from the error's server hint (`Retry-After`)
    /// rather than the backoff schedule.
    pub hinted: bool,
}
