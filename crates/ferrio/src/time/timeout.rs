//! Timeouts: `wait_for`, `timeout`, `timeout_at` and the reschedulable
//! deadline scope (asyncio's `asyncio.timeout()` context manager).
//!
//! A timeout is a cancel scope (see `task::scope`) with a deadline. When the
//! deadline passes, the code inside is cancelled — the ferrio awaitable it
//! is suspended on completes with `Cancelled` — and the timeout *waits for
//! that code to finish*, cleanup included. Then:
//!
//! - if the code propagated the timeout's `Cancelled`, the result is
//!   [`TimeoutError`];
//! - if it finished first, or swallowed the cancellation and returned a
//!   value, or failed with another error during its cleanup, that outcome is
//!   returned as `Ok(..)`;
//! - a cancellation from outside (the task's, or an enclosing timeout's)
//!   passes through untouched: it is not this timeout's.
//!
//! Cancellation always ends: if the code is polled after the deadline and
//! reaches no ferrio awaitable — it is parked on `std::future::pending()`,
//! another runtime's channel, a hand-written leaf — the cancellation cannot
//! be delivered, so the timeout drops the code's future there (no cleanup
//! runs), as tokio does, and returns [`TimeoutError`]. Debug mode reports
//! it with the task's name and where the timeout was created.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::timer_entry::TimerEntry;
use crate::event_loop::clock::deadline_after;
use crate::event_loop::{ExceptionContext, ExceptionKind};
use crate::task::scope::CancelScope;
use crate::Cancelled;

/// Runs `future` with a time limit: asyncio's `wait_for(aw, timeout)`.
///
/// Identical to [`timeout`]: on expiry the future is cancelled and awaited
/// until it has really finished, then `Err(TimeoutError)` is returned —
/// unless it produced a value (or another error) after all, which wins.
///
/// A [`Task`](crate::Task) awaited here (directly, or through `gather` or
/// anything else that awaits tasks) is cancelled on expiry, since
/// cancellation follows the await chain, and `wait_for` returns only once
/// that task has finished, its cleanup included: `TimeoutError` if it ended
/// cancelled, or whatever it returned instead. Wrap it in
/// [`shield`](crate::shield) to stop waiting without cancelling it.
///
/// Code that never reaches a ferrio awaitable cannot be cancelled: on
/// expiry its future is dropped (see the module docs).
///
/// # Cancel safety
///
/// Cancelling the awaiting task cancels the inner future the same way;
/// its `Cancelled` passes through as the inner future's output.
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let slow = async {
///             ferrio::sleep(Duration::from_secs(10)).await?;
///             Ok::<_, ferrio::Cancelled>("done")
///         };
///         let err = ferrio::wait_for(Duration::from_secs(1), slow).await.unwrap_err();
///         assert_eq!(err.after(), Some(Duration::from_secs(1)));
///     })
///     .unwrap();
/// ```
#[track_caller]
pub fn wait_for<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout::new(Limit::After(duration), future)
}

/// Runs `future` for at most `duration` on the loop clock: asyncio's
/// `async with timeout(delay)`. See [`wait_for`] (same semantics) and
/// [`Timeout::handle`] to move or inspect the deadline.
///
/// # Cancel safety
///
/// As [`wait_for`].
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         // A task awaited under a timeout is cancelled on expiry, and the
///         // timeout returns once its cleanup has run.
///         let task = ferrio::spawn(async {
///             if let Err(c) = ferrio::sleep(Duration::from_secs(60)).await {
///                 ferrio::sleep(Duration::from_millis(5)).await.unwrap(); // cleanup
///                 return Err(c);
///             }
///             Ok(())
///         });
///         let t0 = ferrio::now();
///         assert!(ferrio::timeout(Duration::from_secs(1), task).await.is_err());
///         assert_eq!(ferrio::now() - t0, Duration::from_millis(1005));
///     })
///     .unwrap();
/// ```
#[track_caller]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout::new(Limit::After(duration), future)
}

/// Runs `future` until loop time `deadline` at most: asyncio's
/// `timeout_at(when)`. `None` means no deadline (until rescheduled).
///
/// # Cancel safety
///
/// As [`wait_for`].
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let deadline = ferrio::now() + Duration::from_secs(2);
///         let quick = ferrio::timeout_at(Some(deadline), ferrio::sleep(Duration::from_secs(1)));
///         assert!(quick.await.unwrap().is_ok());
///         let late = ferrio::timeout_at(Some(deadline), ferrio::sleep(Duration::from_secs(5)));
///         assert!(late.await.is_err(), "one second left of the same deadline");
///     })
///     .unwrap();
/// ```
#[track_caller]
pub fn timeout_at<F: Future>(deadline: Option<Instant>, future: F) -> Timeout<F> {
    Timeout::new(deadline.map_or(Limit::Never, Limit::At), future)
}

/// Runs the future `body` builds, under a deadline it can move: asyncio's
/// `async with timeout(delay) as cm: ... cm.reschedule(..)`. `None` starts
/// with no deadline.
///
/// # Cancel safety
///
/// As [`wait_for`]: on expiry the body is cancelled and awaited until it
/// has finished; a cancellation of the awaiting task passes through as the
/// body's output.
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let start = ferrio::now();
///         let outcome = ferrio::time::timeout_scope(Some(Duration::from_secs(1)), |scope| async move {
///             // Needs longer than planned: push the deadline back.
///             scope.reschedule(Some(ferrio::now() + Duration::from_secs(5))).unwrap();
///             ferrio::sleep(Duration::from_secs(3)).await
///         })
///         .await;
///         assert!(outcome.unwrap().is_ok());
///         assert_eq!(ferrio::now() - start, Duration::from_secs(3));
///     })
///     .unwrap();
/// ```
#[track_caller]
pub fn timeout_scope<B, F>(delay: Option<Duration>, body: B) -> Timeout<F>
where
    B: FnOnce(TimeoutHandle) -> F,
    F: Future,
{
    let state = TimeoutState::new(delay.map_or(Limit::Never, Limit::After));
    let handle = TimeoutHandle {
        state: state.clone(),
    };
    Timeout {
        future: Some(body(handle)),
        state,
        timer: TimerEntry::default(),
    }
}

/// The future's time ran out (and it ended by the resulting cancellation):
/// asyncio's `TimeoutError`. Its [`source`](std::error::Error::source) is
/// the [`Cancelled`] the timeout delivered (asyncio's `__context__`).
#[derive(Debug, Clone)]
pub struct TimeoutError {
    after: Option<Duration>,
    /// The cancellation a timeout delivered; `None` for a blocking wait
    /// that ran out (`Submitted::wait_timeout`), which cancels nothing.
    cancelled: Option<Cancelled>,
}

impl TimeoutError {
    /// A timeout that cancelled the code it wrapped.
    pub(crate) fn new(after: Option<Duration>) -> TimeoutError {
        TimeoutError {
            after,
            cancelled: Some(Cancelled::untracked(Some(TIMEOUT_MESSAGE.into()))),
        }
    }

    /// A wait that ran out after `after`, cancelling nothing.
    pub(crate) fn waited(after: Duration) -> TimeoutError {
        TimeoutError {
            after: Some(after),
            cancelled: None,
        }
    }

    /// The time limit, if the timeout was given as a duration.
    pub fn after(&self) -> Option<Duration> {
        self.after
    }
}

/// The message of the `Cancelled` a timeout delivers.
const TIMEOUT_MESSAGE: &str = "timeout";

/// Two timeouts are equal if they had the same limit.
impl PartialEq for TimeoutError {
    fn eq(&self, other: &TimeoutError) -> bool {
        self.after == other.after
    }
}

impl Eq for TimeoutError {}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
        match self.after {
            Some(d) if d >= YEAR => f.write_str(
                "timed out after more than a year; allow more time or handle the timeout",
            ),
            Some(d) => write!(
                f,
                "timed out after {d:?}; allow more time or handle the timeout"
            ),
            None => f.write_str("timed out at its deadline; allow more time or handle the timeout"),
        }
    }
}

impl std::error::Error for TimeoutError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cancelled
            .as_ref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

/// Why [`TimeoutHandle::reschedule`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RescheduleError {
    /// The deadline already passed and the inner code was cancelled.
    Expired,
    /// The timeout has already completed.
    Finished,
}

impl fmt::Display for RescheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RescheduleError::Expired => {
                f.write_str("cannot reschedule a timeout that has already expired")
            }
            RescheduleError::Finished => {
                f.write_str("cannot reschedule a timeout that has finished")
            }
        }
    }
}

impl std::error::Error for RescheduleError {}

#[derive(Debug, Clone, Copy)]
enum Limit {
    /// Relative: resolved against the loop clock at the first poll.
    After(Duration),
    At(Instant),
    Never,
}

struct TimeoutState {
    limit: Cell<Limit>,
    /// The duration it was created with, for the error message.
    after: Option<Duration>,
    expired: Cell<bool>,
    finished: Cell<bool>,
    scope: Rc<CancelScope>,
    /// Where the timeout was created, for debug mode's reports.
    location: &'static Location<'static>,
}

impl TimeoutState {
    #[track_caller]
    fn new(limit: Limit) -> Rc<TimeoutState> {
        let after = match limit {
            Limit::After(d) => Some(d),
            _ => None,
        };
        Rc::new(TimeoutState {
            limit: Cell::new(limit),
            after,
            expired: Cell::new(false),
            finished: Cell::new(false),
            scope: CancelScope::new(),
            location: Location::caller(),
        })
    }
}

/// Inspects and moves the deadline of a running [`Timeout`]: asyncio's
/// `Timeout` context manager object. Cheap to clone.
#[derive(Clone)]
pub struct TimeoutHandle {
    state: Rc<TimeoutState>,
}

impl TimeoutHandle {
    /// The deadline on the loop clock; `None` if there is none, or if a
    /// relative timeout has not been polled yet.
    pub fn when(&self) -> Option<Instant> {
        match self.state.limit.get() {
            Limit::At(when) => Some(when),
            Limit::After(_) | Limit::Never => None,
        }
    }

    /// Moves the deadline (`None`: no deadline).
    ///
    /// # Errors
    ///
    /// [`RescheduleError::Expired`] once the deadline has passed,
    /// [`RescheduleError::Finished`] once the timeout completed.
    pub fn reschedule(&self, when: Option<Instant>) -> Result<(), RescheduleError> {
        if self.state.expired.get() {
            return Err(RescheduleError::Expired);
        }
        if self.state.finished.get() {
            return Err(RescheduleError::Finished);
        }
        self.state.limit.set(when.map_or(Limit::Never, Limit::At));
        // Re-arm the timer at the new deadline on the next poll.
        self.state.scope.wake();
        Ok(())
    }

    /// Whether the deadline passed and the inner code was cancelled for it.
    /// Stays `false` when the code was cancelled from outside.
    pub fn expired(&self) -> bool {
        self.state.expired.get()
    }
}

impl fmt::Debug for TimeoutHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutHandle")
            .field("when", &self.when())
            .field("expired", &self.expired())
            .finish()
    }
}

pin_project! {
    /// The future returned by [`wait_for`], [`timeout`], [`timeout_at`] and
    /// [`timeout_scope`]. Its output is `Ok(inner output)` or
    /// `Err(TimeoutError)`.
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        // `None` once dropped because its cancellation could not be
        // delivered.
        #[pin]
        future: Option<F>,
        state: Rc<TimeoutState>,
        timer: TimerEntry,
    }
}

impl<F> Timeout<F> {
    #[track_caller]
    fn new(limit: Limit, future: F) -> Timeout<F> {
        Timeout {
            future: Some(future),
            state: TimeoutState::new(limit),
            timer: TimerEntry::default(),
        }
    }

    /// A handle to inspect or move the deadline, usable from inside the
    /// future too (see [`timeout_scope`] to hand it to the body).
    pub fn handle(&self) -> TimeoutHandle {
        TimeoutHandle {
            state: self.state.clone(),
        }
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let state = &**this.state;
        let inner = this.timer.running_loop();
        let now = inner.clock.now();
        let deadline = match state.limit.get() {
            Limit::After(d) => {
                let when = deadline_after(now, d);
                state.limit.set(Limit::At(when));
                Some(when)
            }
            Limit::At(when) => Some(when),
            Limit::Never => None,
        };
        if !state.expired.get() && deadline.is_some_and(|when| now >= when) {
            state.expired.set(true);
            this.timer.clear();
            state.scope.cancel(Some(TIMEOUT_MESSAGE.into()));
        }
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("`Timeout` polled after completion");
        };
        let guard = state.scope.enter(cx);
        let polled = future.poll(cx);
        drop(guard);
        match polled {
            Poll::Ready(output) => {
                state.finished.set(true);
                this.timer.clear();
                if state.expired.get() && state.scope.is_held() {
                    drop(output);
                    Poll::Ready(Err(TimeoutError::new(state.after)))
                } else {
                    Poll::Ready(Ok(output))
                }
            }
            Poll::Pending if state.expired.get() && state.scope.is_pending() => {
                // Polled after the deadline, the code reached no ferrio
                // awaitable: its cancellation cannot be delivered. Drop it.
                report_undeliverable(&inner, state);
                this.future.set(None);
                state.finished.set(true);
                Poll::Ready(Err(TimeoutError::new(state.after)))
            }
            Poll::Pending => {
                match deadline {
                    Some(when) if !state.expired.get() => {
                        if this.timer.poll_until(&inner, when, cx).is_ready() {
                            // The clock passed the deadline during this poll.
                            cx.waker().wake_by_ref();
                        }
                    }
                    _ => this.timer.clear(),
                }
                crate::task::note_wait("timeout");
                Poll::Pending
            }
        }
    }
}

/// Debug mode: reports the inner code of a timeout dropped because its
/// cancellation could not be delivered.
fn report_undeliverable(inner: &crate::event_loop::inner::Inner, state: &TimeoutState) {
    if !inner.debugging() {
        return;
    }
    let info = crate::task::current().map(|t| crate::event_loop::TaskInfo {
        id: t.id(),
        name: t.name(),
        location: t.location(),
    });
    let task = info.as_ref().map_or_else(
        || "<no task>".to_owned(),
        |i| format!("'{}' (spawned at {})", i.name, i.location),
    );
    let message = format!(
        "The timeout created at {} expired while task {task} was suspended on a future that \
         is not a ferrio awaitable; the cancellation could not be delivered, so that future \
         was dropped without running its cleanup",
        state.location
    );
    inner.call_exception_handler(&ExceptionContext::new(
        ExceptionKind::UndeliverableCancellation,
        message,
        info,
    ));
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("handle", &self.handle())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::time::Duration;

    use super::TimeoutError;

    #[test]
    fn a_huge_limit_prints_a_sane_message() {
        let huge = TimeoutError::new(Some(Duration::MAX)).to_string();
        assert_eq!(
            huge,
            "timed out after more than a year; allow more time or handle the timeout"
        );
        let small = TimeoutError::new(Some(Duration::from_millis(1500))).to_string();
        assert_eq!(
            small,
            "timed out after 1.5s; allow more time or handle the timeout"
        );
    }

    #[test]
    fn the_source_is_the_cancellation_only_when_one_was_delivered() {
        assert!(TimeoutError::new(None).source().is_some());
        assert!(TimeoutError::waited(Duration::from_secs(1))
            .source()
            .is_none());
    }
}
