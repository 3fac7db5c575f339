//! The thread's running loop.
//!
//! While `run_until_complete` runs, the loop's `Inner` is installed here so
//! that `spawn`, `sleep` and wakers find it without being handed a handle.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use super::inner::Inner;
use super::LoopId;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Inner>>> = const { RefCell::new(None) };
    /// Every open loop of this thread, running or not.
    static LOOPS: RefCell<Vec<(LoopId, Weak<Inner>)>> = const { RefCell::new(Vec::new()) };
}

thread_local! {
    /// Set once a loop of this thread enters debug mode, never cleared.
    static DEBUG_SEEN: Cell<bool> = const { Cell::new(false) };
    /// Set once a loop of this thread tracks task activity, never cleared.
    static TRACKING_SEEN: Cell<bool> = const { Cell::new(false) };
}

/// Whether a loop of this thread has ever been in debug mode: lets the
/// sync primitives skip their debug bookkeeping (the deadlock detector's)
/// with one thread-local read. Always `false` with
/// `--cfg ferrio_no_diagnostics`.
#[inline]
pub(crate) fn debug_seen() -> bool {
    !cfg!(ferrio_no_diagnostics) && DEBUG_SEEN.with(Cell::get)
}

/// Whether a loop of this thread has ever tracked task activity: lets the
/// wait notes of task dumps cost one thread-local read otherwise.
#[inline]
pub(crate) fn tracking_seen() -> bool {
    !cfg!(ferrio_no_diagnostics) && TRACKING_SEEN.with(Cell::get)
}

pub(crate) fn mark_debug_seen() {
    DEBUG_SEEN.with(|seen| seen.set(true));
}

pub(crate) fn mark_tracking_seen() {
    TRACKING_SEEN.with(|seen| seen.set(true));
}

/// Records an open loop of this thread.
pub(crate) fn register(inner: &Rc<Inner>) {
    LOOPS.with(|l| l.borrow_mut().push((inner.id, Rc::downgrade(inner))));
}

/// Forgets a closed loop.
pub(crate) fn unregister(id: LoopId) {
    let _ = LOOPS.try_with(|l| l.borrow_mut().retain(|(i, _)| *i != id));
}

/// The open loop `id` of this thread, running or not.
pub(crate) fn loop_by_id(id: LoopId) -> Option<Rc<Inner>> {
    current_if(id).or_else(|| {
        LOOPS
            .try_with(|l| {
                l.borrow()
                    .iter()
                    .find(|(i, _)| *i == id)
                    .and_then(|(_, w)| w.upgrade())
            })
            .ok()
            .flatten()
    })
}

/// Runs `f` with the running loop of this thread, if any.
///
/// `f` runs outside the thread-local's borrow, on a clone of the `Rc`: the
/// thread-local access is then one small function shared by every caller,
/// which the compiler inlines into the awaitables' hot paths, whatever `f`
/// is.
#[inline(always)]
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Rc<Inner>>) -> R) -> R {
    f(current().as_ref())
}

/// The running loop of this thread, if any.
#[inline]
pub(crate) fn current() -> Option<Rc<Inner>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// The running loop if it is the loop `id`. Safe to call while this thread's
/// locals are being destroyed (then there is no running loop).
#[inline]
pub(crate) fn current_if(id: LoopId) -> Option<Rc<Inner>> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().filter(|inner| inner.id == id).cloned())
        .ok()
        .flatten()
}

/// Whether some loop is running on this thread.
pub(crate) fn is_running() -> bool {
    with_current(|c| c.is_some())
}

/// Installs `inner` as the running loop until the guard is dropped.
pub(crate) fn enter(inner: Rc<Inner>) -> EnterGuard {
    let previous = CURRENT.with(|c| c.replace(Some(inner)));
    EnterGuard { previous }
}

/// Restores the previously installed loop on drop.
pub(crate) struct EnterGuard {
    previous: Option<Rc<Inner>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| c.replace(previous));
    }
}
