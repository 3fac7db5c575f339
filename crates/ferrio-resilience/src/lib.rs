//! # ferrio-resilience — the patterns every async service writes by hand
//!
//! Retry with backoff and jitter, a circuit breaker, rate limiters, bounded
//! concurrency with backpressure, race and hedging: for the
//! [ferrio](ferrio) runtime, cancellation-aware and testable on its virtual
//! clock.

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
