//! Callbacks scheduled with `call_soon`, `call_later` and `call_at`, and the
//! handles that cancel them.

use std::cell::Cell;
use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::time::Instant;

use super::timers::TimerKey;
use super::LoopId;

/// A scheduled callback, shared by the queue that will run it and the
/// user's handle.
pub(crate) struct CallbackEntry {
    cancelled: Cell<bool>,
    f: Cell<Option<Box<dyn FnOnce()>>>,
    /// Where it was registered (`call_soon`'s caller, …), for debug-mode
    /// reports.
    pub(crate) location: &'static Location<'static>,
}

impl CallbackEntry {
    /// An entry registered at the caller's location (`#[track_caller]`
    /// carries the user's call site through `call_soon` and friends).
    #[track_caller]
    pub(crate) fn new(f: Box<dyn FnOnce()>) -> Rc<CallbackEntry> {
        CallbackEntry::registered_at(f, Location::caller())
    }

    /// An entry registered at `location`.
    pub(crate) fn registered_at(
        f: Box<dyn FnOnce()>,
        location: &'static Location<'static>,
    ) -> Rc<CallbackEntry> {
        Rc::new(CallbackEntry {
            cancelled: Cell::new(false),
            f: Cell::new(Some(f)),
            location,
        })
    }

    /// The callback, unless it was cancelled or already taken.
    pub(crate) fn take(&self) -> Option<Box<dyn FnOnce()>> {
        if self.cancelled.get() {
            None
        } else {
            self.f.take()
        }
    }

    /// Whether the callback was cancelled.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }

    pub(crate) fn cancel(&self) {
        self.cancelled.set(true);
        // Drop the closure now: what it captured is released at once.
        drop(self.f.take());
    }
}

/// Cancels a callback scheduled with [`Handle::call_soon`](crate::Handle::call_soon).
///
/// Dropping the handle does not cancel the callback.
pub struct CallbackHandle {
    pub(crate) entry: Rc<CallbackEntry>,
}

impl CallbackHandle {
    /// Cancels the callback if it has not run yet. Cancelling twice, or after
    /// it ran, does nothing.
    pub fn cancel(&self) {
        self.entry.cancel();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn cancelled(&self) -> bool {
        self.entry.cancelled.get()
    }
}

impl fmt::Debug for CallbackHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackHandle")
            .field("cancelled", &self.cancelled())
            .finish()
    }
}

/// Cancels a callback scheduled with [`Handle::call_later`](crate::Handle::call_later)
/// or [`Handle::call_at`](crate::Handle::call_at): asyncio's `TimerHandle`.
///
/// Dropping the handle does not cancel the callback.
pub struct TimerHandle {
    pub(crate) entry: Rc<CallbackEntry>,
    pub(crate) when: Instant,
    /// Where the timer sits in its loop's table, if it was registered (a
    /// deadline too far to reach never is).
    pub(crate) timer: Option<(LoopId, TimerKey)>,
}

impl TimerHandle {
    /// Cancels the callback if it has not run yet. The timer leaves the
    /// loop's table at once: it no longer decides when the loop wakes, and
    /// its memory comes back.
    pub fn cancel(&self) {
        self.entry.cancel();
        let Some((loop_id, key)) = self.timer else {
            return;
        };
        if let Some(inner) = super::context::loop_by_id(loop_id) {
            // Cancelled from inside the timer table's own borrow (cannot
            // happen today): the cancelled flag is enough, the entry is
            // skipped and freed when it surfaces.
            let removed = match inner.timers.try_borrow_mut() {
                Ok(mut timers) => timers.remove(key),
                Err(_) => None,
            };
            drop(removed);
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn cancelled(&self) -> bool {
        self.entry.cancelled.get()
    }

    /// The loop time at which the callback is due.
    pub fn when(&self) -> Instant {
        self.when
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.when)
            .field("cancelled", &self.cancelled())
            .finish()
    }
}
