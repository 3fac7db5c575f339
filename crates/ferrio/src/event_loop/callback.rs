//! Callbacks scheduled with `call_soon`, `call_later` and `call_at`, and the
//! handles that cancel them.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use std::time::Instant;

/// A scheduled callback, shared by the queue that will run it and the
/// user's handle.
pub(crate) struct CallbackEntry {
    cancelled: Cell<bool>,
    f: Cell<Option<Box<dyn FnOnce()>>>,
}

impl CallbackEntry {
    pub(crate) fn new(f: Box<dyn FnOnce()>) -> Rc<CallbackEntry> {
        Rc::new(CallbackEntry {
            cancelled: Cell::new(false),
            f: Cell::new(Some(f)),
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

    fn cancel(&self) {
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
}

impl TimerHandle {
    /// Cancels the callback if it has not run yet.
    pub fn cancel(&self) {
        self.entry.cancel();
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
