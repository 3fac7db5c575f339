//! Composition: a retrying, rate-limited, circuit-broken, time-limited call
//! as one expression.
//!
//! ```text
//! retry (backoff, budget, hints)           ← outermost: one loop
//! └─ per attempt: circuit breaker admits?  ← refused: a failed attempt, retried after its cool-down
//!    └─ rate limiter: one permit           ← waits in FIFO order (within the budget)
//!       └─ timeout                         ← a timeout counts as a breaker failure
//!          └─ your call
//! ```
//!
//! The order is Polly's recommended one (retry outside the breaker, the
//! breaker outside the timeout), fixed so that the combination is always
//! the sensible one: a refused attempt takes no rate permit, a timed-out
//! attempt counts against the breaker, and the retry loop sees every
//! failure.
//!
//! | asyncio (by hand) | JavaScript (by hand) | ferrio-resilience |
//! |---|---|---|
//! | `for attempt in range(n): if breaker.open: ...; async with limiter: try: return await wait_for(call(), t) except ...: await sleep(backoff(attempt))` | `for (...) { if (breaker.isOpen()) ...; await limiter.removeTokens(1); const ac = new AbortController(); setTimeout(() => ac.abort(), t); try { return await call(ac.signal) } catch { await sleep(...) } }` | `pipeline.call(call).await` |
//!
//! The whole call is one future: one cancellation point for the caller,
//! one allocation per attempt, and the clock read only where a component
//! needs it.

mod call;
mod error;

use std::future::Future;
use std::time::Duration;

pub use call::{ByResult, NoHint, NoHook, PipelineCall, PlainCall, RetryAll};
pub use error::{CallError, PipelineError};

use crate::breaker::CircuitBreaker;
use crate::limiter::RateLimiter;
use crate::retry::RetryPolicy;

/// A reusable stack of resilience layers: retry, circuit breaker, rate
/// limiter, timeout. Each is optional; without a retry policy a call makes
/// one attempt. Cheap to clone (the breaker and limiter are shared
/// handles), so one pipeline per downstream service is the usual shape.
///
/// ```
/// use std::time::Duration;
/// use ferrio_resilience::breaker::{BreakerConfig, CircuitBreaker};
/// use ferrio_resilience::limiter::RateLimiter;
/// use ferrio_resilience::retry::{Jitter, RetryPolicy};
/// use ferrio_resilience::Pipeline;
///
/// #[derive(Debug)]
/// enum HttpError { Status(u16), Cancelled(ferrio::Cancelled) }
///
/// impl std::fmt::Display for HttpError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         match self {
///             HttpError::Status(code) => write!(f, "HTTP {code}"),
///             HttpError::Cancelled(c) => write!(f, "{c}"),
///         }
///     }
/// }
///
/// async fn fetch(attempt: u32) -> Result<&'static str, HttpError> {
///     ferrio::sleep(Duration::from_millis(20)).await.map_err(HttpError::Cancelled)?;
///     if attempt < 3 { Err(HttpError::Status(503)) } else { Ok("<html>") }
/// }
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let api = Pipeline::new()
///             .retry(RetryPolicy::exponential(Duration::from_millis(100)).max_attempts(5).jitter(Jitter::None))
///             .circuit_breaker(CircuitBreaker::new(BreakerConfig::default().consecutive_failures(10)))
///             .rate_limit(RateLimiter::per_second(50, 10))
///             .timeout(Duration::from_secs(2));
///
///         let mut attempt = 0;
///         let body = api
///             .call(|| { attempt += 1; fetch(attempt) })
///             .retry_if(|e| matches!(e, HttpError::Status(500..)))
///             .await
///             .unwrap();
///         assert_eq!(body, "<html>");
///         assert_eq!(attempt, 3);
///     })
///     .unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Pipeline {
    retry: RetryPolicy,
    timeout: Option<Duration>,
    limiter: Option<RateLimiter>,
    breaker: Option<CircuitBreaker>,
    retry_open: bool,
}

impl Default for Pipeline {
    fn default() -> Pipeline {
        Pipeline::new()
    }
}

impl Pipeline {
    /// No layers: one attempt, no limits.
    pub fn new() -> Pipeline {
        Pipeline {
            retry: RetryPolicy::fixed(Duration::ZERO).max_attempts(1),
            timeout: None,
            limiter: None,
            breaker: None,
            retry_open: true,
        }
    }

    /// Retries as `policy` says (its attempt timeout, if any, is replaced
    /// by [`timeout`](Self::timeout) when that is set).
    pub fn retry(mut self, policy: RetryPolicy) -> Pipeline {
        self.retry = match self.timeout {
            Some(limit) => policy.attempt_timeout(limit),
            None => policy,
        };
        self
    }

    /// Limits each attempt to `limit`: past it, the call is cancelled,
    /// waited for, counted as a breaker failure, and retried like any
    /// failure (see [`RetryPolicy::retry_timeouts`]).
    pub fn timeout(mut self, limit: Duration) -> Pipeline {
        self.timeout = Some(limit);
        self.retry = self.retry.attempt_timeout(limit);
        self
    }

    /// Takes one permit from `limiter` before each attempt.
    pub fn rate_limit(mut self, limiter: RateLimiter) -> Pipeline {
        self.limiter = Some(limiter);
        self
    }

    /// Asks `breaker` before each attempt and records its outcome.
    pub fn circuit_breaker(mut self, breaker: CircuitBreaker) -> Pipeline {
        self.breaker = Some(breaker);
        self
    }

    /// Whether an attempt refused by an open breaker is retried, after the
    /// breaker's remaining cool-down (default `true`; the retry policy's
    /// attempt and time limits still apply).
    pub fn retry_open(mut self, retry: bool) -> Pipeline {
        self.retry_open = retry;
        self
    }

    /// Makes the call `make` builds through every layer (the future borrows
    /// the pipeline; clone the pipeline into a task to call from there).
    /// Refine it with
    /// [`PipelineCall::retry_if`], [`hint`](PipelineCall::hint),
    /// [`classify`](PipelineCall::classify) and
    /// [`on_retry`](PipelineCall::on_retry).
    ///
    /// # Cancel safety
    ///
    /// A cancellation point. If the caller is cancelled while the call
    /// runs, the call is cancelled in turn, waited for (its cleanup runs),
    /// and not recorded by the breaker; while waiting for the limiter, no
    /// permit is taken; during a backoff sleep, it returns at once. The
    /// output is then `Err` with [`StopReason::Cancelled`](crate::retry::StopReason::Cancelled)
    /// holding the caller's `Cancelled`. Dropping the future drops the call
    /// without cleanup.
    pub fn call<F, Fut, T, E>(&self, make: F) -> PlainCall<'_, F, Fut, T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        call::new(self, make)
    }
}
