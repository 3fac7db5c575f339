//! [`Sleep`]: wait until a deadline on the loop clock.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::timer_entry::TimerEntry;
use crate::event_loop::clock::deadline_after;
use crate::task::{take_pending_cancel, Cancelled};

/// Waits for `duration` on the loop clock: asyncio's `sleep(delay)`.
///
/// A sleep always suspends: a zero or elapsed duration yields exactly once,
/// as asyncio's `sleep(0)` ([`yield_now`](crate::yield_now) is the same):
/// everything that was ready before it (tasks, callbacks) runs before it
/// returns. A duration of 30 years or more (`Duration::MAX`) means never:
/// no timer is registered, a virtual clock does not jump for it, and the
/// sleep ends only when its task is cancelled.
///
/// # Cancel safety
///
/// A cancellation point, always (it always suspends): if the task is
/// cancelled before or while sleeping, the sleep completes with
/// `Err(Cancelled)` and its timer is removed.
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let start = ferrio::now();
///         ferrio::sleep(Duration::from_secs(30)).await.unwrap();
///         assert_eq!(ferrio::now() - start, Duration::from_secs(30));
///     })
///     .unwrap();
/// ```
///
/// # Panics
///
/// When polled outside a running ferrio loop.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Deadline::After(duration),
        timer: TimerEntry::default(),
        suspended: false,
    }
}

/// Waits until loop time `deadline` (see [`now()`](crate::now())).
///
/// # Cancel safety
///
/// As [`sleep`].
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline: Deadline::At(deadline),
        timer: TimerEntry::default(),
        suspended: false,
    }
}

#[derive(Debug, Clone, Copy)]
enum Deadline {
    /// Relative: resolved against the loop clock at the first poll.
    After(Duration),
    At(Instant),
}

/// The future returned by [`sleep`] and [`sleep_until`].
///
/// `Send`, so that `Send` futures can sleep. Its timer lives on the loop
/// that first polled it; dropped on that loop's thread while the loop runs,
/// the timer is removed at once, otherwise it is left to expire harmlessly.
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Deadline,
    timer: TimerEntry,
    /// Whether the first poll returned `Pending` (a sleep always does).
    suspended: bool,
}

impl Sleep {
    /// The deadline, once known (relative sleeps resolve it at first poll).
    pub fn deadline(&self) -> Option<Instant> {
        match self.deadline {
            Deadline::At(when) => Some(when),
            Deadline::After(_) => None,
        }
    }
}

impl Future for Sleep {
    type Output = Result<(), Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(c) = take_pending_cancel() {
            this.timer.clear();
            return Poll::Ready(Err(c));
        }
        let inner = this.timer.running_loop();
        let deadline = match this.deadline {
            Deadline::At(when) => when,
            Deadline::After(d) => deadline_after(inner.clock.now(), d),
        };
        this.deadline = Deadline::At(deadline);
        if !this.suspended {
            this.suspended = true;
            if inner.clock.now() >= deadline {
                // Due already: yield once, as asyncio's `sleep(0)`.
                cx.waker().wake_by_ref();
                crate::task::note_wait("sleep");
                return Poll::Pending;
            }
        }
        let polled = this.timer.poll_until(&inner, deadline, cx);
        if polled.is_pending() {
            crate::task::note_wait("sleep");
        }
        polled.map(Ok)
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("timer", &self.timer)
            .finish()
    }
}
