//! Time: the loop clock, `sleep`, `sleep_until` and `yield_now`.

mod sleep;
mod yield_now;

use std::time::Instant;

pub use sleep::{sleep, sleep_until, Sleep};
pub use yield_now::{yield_now, YieldNow};

/// The running loop's clock: asyncio's `loop.time()`.
///
/// # Panics
///
/// If no loop is running on this thread.
#[track_caller]
pub fn time() -> Instant {
    crate::EventLoop::current().time()
}
