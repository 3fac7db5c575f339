//! # ferrio-resilience — the patterns every async service writes by hand
//!
//! Retry with backoff and jitter, a circuit breaker, rate limiters, bounded
//! concurrency with backpressure, race and hedging, for the
//! [ferrio] runtime: cancellation-aware, and testable to the
//! nanosecond on its virtual clock. In asyncio, JavaScript and .NET these
//! live in separate libraries (or in every codebase, by hand); here they
//! share one model of cancellation and compose.
//!
//! | need | here | replaces |
//! |---|---|---|
//! | retry a flaky call | [`retry::retry`] with a [`retry::RetryPolicy`] | a `for` loop with `asyncio.sleep(base * 2**i * random())`; Polly retry |
//! | stop calling a failing service | [`breaker::CircuitBreaker`], [`breaker::BreakerRegistry`] | a failure counter and an `open_until`; Polly circuit breaker |
//! | stay under a rate | [`limiter::RateLimiter`] (token bucket, sliding window) | `aiolimiter`; Polly rate limiter |
//! | fan out without flooding | [`concurrent::map_concurrent`], [`concurrent::gather_limited`], [`concurrent::try_gather_limited`], [`concurrent::KeyedSemaphore`] | `Semaphore` + `gather`; `p-map`, `p-limit` |
//! | take the first answer | [`race::race`], [`race::first_ok`] | `Promise.race`, `Promise.any`, `asyncio.wait(FIRST_COMPLETED)` |
//! | cut tail latency | [`hedge::hedge`] | hand-written hedging; Polly hedging |
//! | all of it around one call | [`Pipeline`] | a Polly resilience pipeline |
//!
//! ```
//! use std::time::Duration;
//! use ferrio_resilience::breaker::{BreakerConfig, CircuitBreaker};
//! use ferrio_resilience::limiter::RateLimiter;
//! use ferrio_resilience::retry::RetryPolicy;
//! use ferrio_resilience::Pipeline;
//!
//! ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
//!     .run_until_complete(async {
//!         // Retrying, circuit-broken, rate-limited, time-limited: one expression.
//!         let api = Pipeline::new()
//!             .retry(RetryPolicy::exponential(Duration::from_millis(100)).max_attempts(4))
//!             .circuit_breaker(CircuitBreaker::new(BreakerConfig::default()))
//!             .rate_limit(RateLimiter::per_second(100, 10))
//!             .timeout(Duration::from_secs(1));
//!         let mut attempts = 0;
//!         let value = api
//!             .call(|| {
//!                 attempts += 1;
//!                 let n = attempts;
//!                 async move { if n < 3 { Err("503") } else { Ok(n) } }
//!             })
//!             .await
//!             .unwrap();
//!         assert_eq!(value, 3);
//!     })
//!     .unwrap();
//! ```
//!
//! # Cancellation
//!
//! Everything here follows ferrio's rules (see [`ferrio::Cancelled`]):
//!
//! - Every awaitable is a cancellation point, and each documents what
//!   cancelling it does (`# Cancel safety`). A cancelled wait consumes
//!   nothing: no rate permit, no breaker trial slot, no result of a
//!   concurrent map.
//! - Work the toolkit runs for you is cancelled *and waited for*: a retry's
//!   running attempt, a breaker's call, the losers of a race or a hedge,
//!   the children of a stopped map. Their cleanup runs (and may await)
//!   before the combinator returns.
//! - The caller's own `Cancelled` comes back inside the error
//!   ([`retry::StopReason::Cancelled`], [`breaker::BreakerError::Cancelled`],
//!   …), alive, so that propagating it ends the caller cancelled and an
//!   enclosing `ferrio::timeout` recognises its own expiry.
//! - Combinators that run your future inline (retry, the breaker's `call`,
//!   the pipeline) notice their caller's cancellation at their own
//!   checkpoint before polling your future, so they can tell "the attempt
//!   failed" from "we are being cancelled" without a trait on your error
//!   type. The children of the concurrent map, races and hedges are tasks.
//!
//! # Testing
//!
//! All timing is on the loop clock: under `#[ferrio::test]` (or
//! `EventLoop::builder().virtual_clock(true)`) a one-minute backoff, a
//! 30-second cool-down or a simulated minute of rate limiting runs in
//! microseconds with exact times. Seed the jitter with
//! [`retry::RetryPolicy::seed`].

#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub
)]
#![doc(test(attr(deny(warnings))))]

pub mod breaker;
mod cancel;
pub mod concurrent;
pub mod hedge;
pub mod limiter;
pub mod pipeline;
pub mod race;
pub mod retry;

pub use pipeline::Pipeline;
