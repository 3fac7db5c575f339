//! Time: the loop clock, `sleep`, `sleep_until`, `yield_now`, and timeouts
//! (`wait_for`, `timeout`, `timeout_at`, `timeout_scope`).

mod sleep;
mod timeout;
mod timer_entry;
mod yield_now;

use std::time::Instant;

pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{
    timeout, timeout_at, timeout_scope, wait_for, RescheduleError, Timeout, TimeoutError,
    TimeoutHandle,
};
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
