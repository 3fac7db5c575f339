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

/// The running loop's clock: asyncio's `loop.time()` (also
/// [`Handle::time`](crate::Handle::time)). Real or virtual, as the loop was
/// built; deadlines of `sleep_until` and `timeout_at` are on this clock.
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let t0 = ferrio::now();
///         ferrio::sleep(Duration::from_secs(3600)).await.unwrap();
///         assert_eq!(ferrio::now() - t0, Duration::from_secs(3600)); // at once
///     })
///     .unwrap();
/// ```
///
/// # Panics
///
/// If no loop is running on this thread.
#[track_caller]
pub fn now() -> Instant {
    crate::EventLoop::current().time()
}
