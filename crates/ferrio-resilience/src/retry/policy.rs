//! [`RetryPolicy`]: how often, how long, and how far apart to retry.

use std::time::Duration;

use super::{Backoff, Jitter};

/// How [`retry`](super::retry) spaces and bounds its attempts: exponential
/// backoff with jitter, a maximum number of attempts, a total time budget
/// and an optional time limit per attempt.
///
/// Plain data (`Copy`): build one per kind of call and pass it by value.
/// The defaults are 3 attempts, 100 ms base delay doubling up to 10 s,
/// [full jitter](Jitter::Full), no time budget, no per-attempt limit, and the
/// 16 most recent errors kept in [`RetryError`](super::RetryError).
///
/// ```
/// use std::time::Duration;
/// use ferrio_resilience::retry::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::exponential(Duration::from_millis(200))
///     .factor(3.0)
///     .max_delay(Duration::from_secs(5))
///     .max_attempts(6)
///     .max_elapsed(Duration::from_secs(20))
///     .attempt_timeout(Duration::from_secs(2))
///     .jitter(Jitter::Decorrelated)
///     .seed(7);
/// assert!(policy.backoff().take(6).all(|d| d <= Duration::from_secs(5)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub(crate) max_attempts: Option<u32>,
    pub(crate) base: Duration,
    pub(crate) factor: f64,
    pub(crate) max_delay: Duration,
    pub(crate) max_elapsed: Option<Duration>,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) jitter: Jitter,
    pub(crate) seed: Option<u64>,
    pub(crate) keep_errors: usize,
    pub(crate) retry_timeouts: bool,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy::exponential(Duration::from_millis(100))
    }
}

impl RetryPolicy {
    /// Exponential backoff from `base`: retry `k` waits about
    /// `base × 2^(k-1)` (see [`factor`](Self::factor),
    /// [`max_delay`](Self::max_delay), [`jitter`](Self::jitter)).
    pub fn exponential(base: Duration) -> RetryPolicy {
        RetryPolicy {
            max_attempts: Some(3),
            base,
            factor: 2.0,
            max_delay: Duration::from_secs(10),
            max_elapsed: None,
            attempt_timeout: None,
            jitter: Jitter::Full,
            seed: None,
            keep_errors: 16,
            retry_timeouts: true,
        }
    }

    /// The same delay before every retry, without jitter (set one with
    /// [`jitter`](Self::jitter) if many clients share the schedule).
    pub fn fixed(delay: Duration) -> RetryPolicy {
        RetryPolicy::exponential(delay)
            .factor(1.0)
            .max_delay(delay)
            .jitter(Jitter::None)
    }

    /// Runs at most `n` attempts in all (the first one included).
    ///
    /// # Panics
    ///
    /// If `n` is zero: a call needs at least one attempt.
    #[track_caller]
    pub fn max_attempts(mut self, n: u32) -> RetryPolicy {
        assert!(
            n > 0,
            "RetryPolicy::max_attempts: at least one attempt is needed, got 0"
        );
        self.max_attempts = Some(n);
        self
    }

    /// No limit on the number of attempts: retry until success, a
    /// non-retryable error, the [time budget](Self::max_elapsed), or
    /// cancellation.
    pub fn unlimited_attempts(mut self) -> RetryPolicy {
        self.max_attempts = None;
        self
    }

    /// The delay before the first retry (before jitter).
    pub fn base_delay(mut self, base: Duration) -> RetryPolicy {
        self.base = base;
        self
    }

    /// How much each delay grows over the previous one (default 2).
    ///
    /// # Panics
    ///
    /// If `factor` is not a finite number of at least 1.
    #[track_caller]
    pub fn factor(mut self, factor: f64) -> RetryPolicy {
        assert!(
            factor.is_finite() && factor >= 1.0,
            "RetryPolicy::factor: the growth factor must be a finite number >= 1, got {factor}"
        );
        self.factor = factor;
        self
    }

    /// The longest delay between two attempts (default 10 s).
    pub fn max_delay(mut self, max_delay: Duration) -> RetryPolicy {
        self.max_delay = max_delay;
        self
    }

    /// The total time budget, from the start of the first attempt: an
    /// attempt still running when it runs out is cancelled (and counts as
    /// timed out), and a retry whose delay would end past it is not made.
    pub fn max_elapsed(mut self, budget: Duration) -> RetryPolicy {
        self.max_elapsed = Some(budget);
        self
    }

    /// A time limit for each attempt: an attempt running longer is
    /// cancelled, waited for (its cleanup runs), and counts as a failed
    /// attempt with [`AttemptError::TimedOut`](super::AttemptError::TimedOut).
    pub fn attempt_timeout(mut self, limit: Duration) -> RetryPolicy {
        self.attempt_timeout = Some(limit);
        self
    }

    /// Whether an attempt that timed out is retried (default `true`).
    pub fn retry_timeouts(mut self, retry: bool) -> RetryPolicy {
        self.retry_timeouts = retry;
        self
    }

    /// How delays are randomised (default [`Jitter::Full`]).
    pub fn jitter(mut self, jitter: Jitter) -> RetryPolicy {
        self.jitter = jitter;
        self
    }

    /// Seeds the jitter's random generator, so that the schedule is
    /// reproducible: for tests. Unseeded, each retry loop draws a fresh
    /// seed, so that clients sharing a policy do not share a schedule.
    pub fn seed(mut self, seed: u64) -> RetryPolicy {
        self.seed = Some(seed);
        self
    }

    /// How many attempt errors [`RetryError`](super::RetryError) keeps: the
    /// `n` most recent (default 16). Older ones are counted, not kept, so a
    /// long retry loop holds bounded memory.
    pub fn keep_errors(mut self, n: usize) -> RetryPolicy {
        self.keep_errors = n;
        self
    }

    /// The delays this policy sleeps between attempts, jittered with its
    /// seed (or a fresh one), as an endless iterator.
    pub fn backoff(&self) -> Backoff {
        Backoff::new(self)
    }
}
