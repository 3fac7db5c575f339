//! The `Cancelled` error, and how a pending cancellation request is
//! delivered at a ferrio awaitable.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::event_loop::context;
use crate::task::engine::header::{Meta, MUST_CANCEL, REARMED, SCOPED};
use crate::task::engine::raw::RawTask;

/// The task was cancelled: asyncio's `CancelledError`, delivered as a value.
///
/// Every ferrio awaitable that can be cancelled returns `Result<_, E>` where
/// `E` is or contains `Cancelled`. Propagate it with `?` and the task ends
/// *cancelled*; drop it and the task has swallowed the cancellation and goes
/// on, as asyncio allows.
///
/// **Keep the value**: an error type should carry the `Cancelled` it was
/// built from (`Error::Cancelled(Cancelled)`, thiserror's `#[from]`,
/// `anyhow::Error`), not turn it into a unit variant. Its being alive is what
/// ends the task cancelled, and what lets a timeout or a task group tell its
/// own cancellation coming back through your error type.
///
/// Precisely: a task ends in the cancelled state when its future returns
/// while a `Cancelled` *delivered to that task* is still alive — normally
/// because the output carries it (`Err(Cancelled)`, or an error type
/// wrapping it). Keep a delivered `Cancelled` somewhere outside the task and
/// the task counts as cancelled too; drop it and the task swallowed the
/// cancellation. The `Cancelled` inside [`JoinError::Cancelled`](crate::JoinError)
/// from awaiting a task that ended cancelled is that task's, not yours:
/// returning it does not make you cancelled.
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let task = ferrio::spawn(async {
///             ferrio::sleep(Duration::from_secs(60)).await?;
///             Ok::<_, ferrio::Cancelled>("finished")
///         });
///         ferrio::yield_now().await.unwrap();
///         task.cancel_with("shutting down");
///         let err = task.await.unwrap_err();
///         assert!(err.is_cancelled());
///     })
///     .unwrap();
/// ```
#[derive(Clone)]
pub struct Cancelled {
    message: Option<Arc<str>>,
    tracker: Option<Tracker>,
}

impl Cancelled {
    /// The message given to [`TaskRef::cancel_with`](crate::TaskRef::cancel_with), if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The message, shared (to forward the cancellation with it).
    pub(crate) fn message_arc(&self) -> Option<Arc<str>> {
        self.message.clone()
    }

    /// Whether this value is counted in `tracker`: whether it was delivered
    /// for the task or scope that owns that tracker.
    pub(crate) fn counted_in(&self, tracker: &Arc<AtomicUsize>) -> bool {
        self.tracker
            .as_ref()
            .is_some_and(|t| Arc::ptr_eq(&t.0, tracker))
    }

    /// A `Cancelled` delivered to the task `meta` belongs to.
    pub(crate) fn deliver(meta: &Meta) -> Cancelled {
        let (message, tracker) = meta.cold_mut(|cold| {
            let tracker = cold
                .cancel_tracker
                .get_or_insert_with(Default::default)
                .clone();
            (cold.cancel_message.clone(), tracker)
        });
        Cancelled {
            message,
            tracker: Some(Tracker::new(tracker)),
        }
    }

    /// A `Cancelled` counted in `tracker` (a cancel scope's).
    pub(crate) fn tracked(message: Option<Arc<str>>, tracker: &Arc<AtomicUsize>) -> Cancelled {
        Cancelled {
            message,
            tracker: Some(Tracker::new(tracker.clone())),
        }
    }

    /// A `Cancelled` that belongs to no task: how an awaited task's own
    /// cancellation reaches its awaiter. Returning it does not make the
    /// awaiter cancelled — only a cancellation delivered to a task does — so
    /// collecting children's outcomes (`return_exceptions=True` style) is
    /// not mistaken for being cancelled.
    pub(crate) fn untracked(message: Option<Arc<str>>) -> Cancelled {
        Cancelled {
            message,
            tracker: None,
        }
    }
}

impl fmt::Debug for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancelled")
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => write!(f, "cancelled: {m}"),
            None => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for Cancelled {}

/// Counts a live `Cancelled` in its task's tracker.
struct Tracker(Arc<AtomicUsize>);

impl Tracker {
    fn new(count: Arc<AtomicUsize>) -> Tracker {
        count.fetch_add(1, Ordering::Relaxed);
        Tracker(count)
    }
}

impl Clone for Tracker {
    fn clone(&self) -> Tracker {
        Tracker::new(self.0.clone())
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether a `Cancelled` delivered to this task is still alive.
pub(crate) fn is_held(meta: &Meta) -> bool {
    meta.cold(|c| {
        c.cancel_tracker
            .as_ref()
            .is_some_and(|t| t.load(Ordering::Relaxed) > 0)
    })
    .unwrap_or(false)
}

/// The cancellation point of every ferrio awaitable: if the running task has
/// a pending cancellation request, consumes it and returns the `Cancelled` to
/// complete with. Each request is delivered once.
#[inline]
pub(crate) fn take_pending() -> Option<Cancelled> {
    context::with_current(|inner| {
        RawTask::with_current_meta(&inner?.current_task, |meta| {
            if meta.has(SCOPED | MUST_CANCEL) {
                take_pending_slow(meta)
            } else {
                None
            }
        })
        .flatten()
    })
}

/// [`take_pending`] once there is something to look at: kept out of line so
/// that every awaitable's check stays one flag test.
#[cold]
#[inline(never)]
fn take_pending_slow(meta: &Meta) -> Option<Cancelled> {
    if meta.has(SCOPED) {
        return super::scope::take_pending_scoped(meta);
    }
    meta.clear(MUST_CANCEL | REARMED);
    Some(Cancelled::deliver(meta))
}

/// The cancellation point of a wait that may complete without suspending:
/// DESIGN's "no suspension, no cancellation".
///
/// An await that completes at once — a finished task, a set event, a free
/// lock — returns its value even while a cancellation is pending; the
/// request is delivered at the next await that really suspends. Once a wait
/// has suspended, a pending cancellation wins over whatever it waited for,
/// as asyncio throws `CancelledError` into the task at the await. So:
///
/// ```text
/// if let Some(c) = checkpoint.resumed() { cancelled path }   // first thing
/// ...try to complete; if done: checkpoint.reset(); Ready...
/// if let Some(c) = checkpoint.suspend() { cancelled path }   // before Pending
/// Pending
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Checkpoint {
    suspended: bool,
}

impl Checkpoint {
    pub(crate) const fn new() -> Checkpoint {
        Checkpoint { suspended: false }
    }

    /// At the start of a poll: the pending cancellation to deliver, if the
    /// wait has already suspended.
    #[inline]
    pub(crate) fn resumed(&self) -> Option<Cancelled> {
        if self.suspended {
            take_pending()
        } else {
            None
        }
    }

    /// About to return `Pending`: on the first suspension, the pending
    /// cancellation to deliver instead, if any; otherwise the wait counts as
    /// suspended from now on.
    #[inline]
    pub(crate) fn suspend(&mut self) -> Option<Cancelled> {
        if !self.suspended {
            if let Some(c) = take_pending() {
                return Some(c);
            }
            self.suspended = true;
        }
        None
    }

    /// The wait completed: the next one (a stream's next item) starts
    /// afresh.
    pub(crate) fn reset(&mut self) {
        self.suspended = false;
    }
}

/// Delivers the running task's pending cancellation — its own, or that of
/// a timeout or task group it runs inside — if there is one: the poll form
/// of [`until_cancelled`].
///
/// For wrappers that run their caller's code inside the caller's task (a
/// retry loop, a circuit breaker) and must tell "the work failed" from "I
/// was cancelled": check this before polling the work. `Pending` means "not
/// cancelled now"; nothing is registered, because a cancellation wakes its
/// task itself. Each request is delivered once, as at any ferrio awaitable.
///
/// # Panics
///
/// Never; outside a task it is always `Pending`.
///
/// ```
/// use std::future::poll_fn;
/// use std::task::Poll;
///
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let me = ferrio::task::current().unwrap();
///         let check = || poll_fn(|cx| Poll::Ready(ferrio::task::poll_cancelled(cx).is_ready()));
///         assert!(!check().await);
///         me.cancel();
///         assert!(check().await, "delivered here");
///         assert!(!check().await, "and only once");
///     })
///     .unwrap();
/// ```
pub fn poll_cancelled(_cx: &mut std::task::Context<'_>) -> std::task::Poll<Cancelled> {
    match take_pending() {
        Some(c) => std::task::Poll::Ready(c),
        None => std::task::Poll::Pending,
    }
}

/// Waits until the running task (or a timeout or task group around this
/// await) is cancelled, and gives the [`Cancelled`]: a ferrio awaitable that
/// completes only that way. Race it against work that is not a ferrio
/// awaitable, to make that work cancellable.
///
/// # Cancel safety
///
/// Its whole point: it completes with the cancellation it received.
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let out = ferrio::timeout(Duration::from_secs(1), ferrio::task::until_cancelled()).await;
///         assert!(out.is_err(), "the timeout's cancellation ended the wait");
///     })
///     .unwrap();
/// ```
pub fn until_cancelled() -> UntilCancelled {
    UntilCancelled { _private: () }
}

/// The future returned by [`until_cancelled`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct UntilCancelled {
    _private: (),
}

impl std::future::Future for UntilCancelled {
    type Output = Cancelled;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Cancelled> {
        let polled = poll_cancelled(cx);
        if polled.is_pending() {
            crate::task::note_wait("cancellation");
        }
        polled
    }
}
