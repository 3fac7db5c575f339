//! Cancel scopes: cancellation of a *part* of a task.
//!
//! `task.cancel()` cancels a whole task. A timeout, or a task group whose
//! child failed, must cancel only the code it wraps, and afterwards know
//! whether what came out was *its* cancellation. A [`CancelScope`] does
//! that, in trio's shape:
//!
//! - while a wrapper (`Timeout`, `TaskGroup`) polls its inner future it
//!   pushes its scope on the running task's scope stack ([`CancelScope::enter`]);
//! - cancelling the scope marks it pending and wakes the task; the next
//!   ferrio awaitable polled inside it completes with a `Cancelled` that
//!   belongs to the scope (delivered once, like a task cancellation);
//! - when the inner future returns, the scope is *held* if one of its
//!   `Cancelled` values is still alive — the inner code propagated it — and
//!   the wrapper turns that into its own outcome (`TimeoutError`, the task
//!   group's errors). If the inner code swallowed it, its value wins.
//!
//! When several cancellations are pending at one checkpoint — the task's
//! own and those of scopes it is inside — one `Cancelled` is delivered, for
//! the outermost of them: unwinding to it passes through the inner scopes,
//! which see it is not theirs and let it through.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Waker};

use super::Cancelled;
use crate::event_loop::context;
use crate::task::engine::header::{Meta, MUST_CANCEL, REARMED, SCOPED};
use crate::task::engine::raw::RawTask;

/// A region of a task that can be cancelled on its own.
pub(crate) struct CancelScope {
    pending: Cell<bool>,
    cancel_called: Cell<bool>,
    message: RefCell<Option<Arc<str>>>,
    /// Live `Cancelled` values this scope delivered.
    tracker: Arc<AtomicUsize>,
    /// The task that last entered the scope, to wake when it is cancelled.
    waker: RefCell<Option<Waker>>,
}

impl CancelScope {
    pub(crate) fn new() -> Rc<CancelScope> {
        Rc::new(CancelScope {
            pending: Cell::new(false),
            cancel_called: Cell::new(false),
            message: RefCell::new(None),
            tracker: Arc::default(),
            waker: RefCell::new(None),
        })
    }

    /// Requests cancellation of the code inside the scope and wakes its
    /// task. Only the first call has an effect.
    pub(crate) fn cancel(&self, message: Option<Arc<str>>) {
        if self.cancel_called.replace(true) {
            return;
        }
        *self.message.borrow_mut() = message;
        self.pending.set(true);
        self.wake();
    }

    /// Wakes the task that last entered the scope.
    pub(crate) fn wake(&self) {
        if let Some(waker) = self.waker.borrow().as_ref() {
            waker.wake_by_ref();
        }
    }

    /// Whether the scope was cancelled and the cancellation not delivered
    /// yet: after polling the inner code, it means that code reached no
    /// ferrio awaitable to deliver it at.
    pub(crate) fn is_pending(&self) -> bool {
        self.pending.get()
    }

    /// Whether a `Cancelled` this scope delivered is still alive: after the
    /// inner future returned, it means the future ended by this scope's
    /// cancellation.
    pub(crate) fn is_held(&self) -> bool {
        self.tracker.load(Ordering::Relaxed) > 0
    }

    /// Pushes the scope on the running task's scope stack until the guard
    /// drops, and remembers the task's waker.
    ///
    /// # Panics
    ///
    /// Outside a ferrio task.
    pub(crate) fn enter(self: &Rc<Self>, cx: &Context<'_>) -> ScopeGuard {
        self.remember_waker(cx);
        let task = context::with_current(|inner| RawTask::current(&inner?.current_task))
            .expect("ferrio timeouts and task groups must be awaited inside a ferrio task");
        let meta = task.meta();
        meta.cold_mut(|c| c.scopes.push(self.clone()));
        meta.set(SCOPED);
        ScopeGuard {
            task,
            scope: self.clone(),
        }
    }

    /// Remembers the task to wake on [`cancel`](Self::cancel) and
    /// [`wake`](Self::wake).
    pub(crate) fn remember_waker(&self, cx: &Context<'_>) {
        let mut waker = self.waker.borrow_mut();
        match waker.as_ref() {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *waker = Some(cx.waker().clone()),
        }
    }

    fn deliver(&self) -> Cancelled {
        Cancelled::tracked(self.message.borrow().clone(), &self.tracker)
    }
}

/// Pops a scope off its task's stack on drop (also when unwinding).
pub(crate) struct ScopeGuard {
    task: RawTask,
    scope: Rc<CancelScope>,
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let meta = self.task.meta();
        let empty = meta.cold_mut(|c| {
            if let Some(i) = c.scopes.iter().rposition(|s| Rc::ptr_eq(s, &self.scope)) {
                c.scopes.remove(i);
            }
            c.scopes.is_empty()
        });
        if empty {
            meta.clear(SCOPED);
        }
    }
}

/// The cancellation point for a task inside scopes: delivers the outermost
/// pending cancellation (see the module docs), consuming every pending
/// request it subsumes.
pub(crate) fn take_pending_scoped(meta: &Meta) -> Option<Cancelled> {
    let winner = meta.cold(|c| {
        let mut winner: Option<Rc<CancelScope>> = None;
        for scope in c.scopes.iter().rev() {
            if scope.pending.replace(false) {
                winner = Some(scope.clone());
            }
        }
        winner
    });
    if meta.has(MUST_CANCEL) {
        meta.clear(MUST_CANCEL | REARMED);
        return Some(Cancelled::deliver(meta));
    }
    winner.flatten().map(|scope| scope.deliver())
}

/// If what the running code is returning carries a cancellation that is
/// not the caller's to handle — one delivered to the running task, or to a
/// scope it is inside — a new `Cancelled` for the same origin, so that a
/// wrapper that drops the inner output can pass the cancellation on.
pub(crate) fn held_cancellation() -> Option<Cancelled> {
    context::with_current(|inner| {
        RawTask::with_current_meta(&inner?.current_task, |meta| {
            let scoped = meta
                .cold(|c| {
                    c.scopes
                        .iter()
                        .rev()
                        .find(|s| s.is_held())
                        .map(|s| s.deliver())
                })
                .flatten();
            scoped.or_else(|| super::cancelled::is_held(meta).then(|| Cancelled::deliver(meta)))
        })
        .flatten()
    })
}

/// Where `cancelled` came from, for the running task whose metadata is
/// `meta`: `Some(0)` for the task's own cancellation, `Some(i + 1)` for the
/// scope at depth `i` of its stack (outermost first), `None` if it is not
/// this task's.
fn rank(meta: &Meta, cancelled: &Cancelled) -> Option<usize> {
    meta.cold(|c| {
        if c.cancel_tracker
            .as_ref()
            .is_some_and(|t| cancelled.counted_in(t))
        {
            return Some(0);
        }
        c.scopes
            .iter()
            .position(|s| cancelled.counted_in(&s.tracker))
            .map(|i| i + 1)
    })
    .flatten()
}

/// Keeps in `slot` the outer of the cancellation already there and `new`,
/// and drops the other — as [`take_pending_scoped`] picks the outermost of
/// cancellations pending together: unwinding to the outer one passes
/// through the inner scope anyway.
///
/// For waits that forward each cancellation request they receive (awaiting
/// a task, `gather`) and must end with one `Cancelled`.
pub(crate) fn absorb(slot: &mut Option<Cancelled>, new: Cancelled) {
    let Some(kept) = slot else {
        *slot = Some(new);
        return;
    };
    let outer = context::with_current(|inner| {
        RawTask::with_current_meta(&inner?.current_task, |meta| {
            let new_rank = rank(meta, &new).unwrap_or(usize::MAX);
            let kept_rank = rank(meta, kept).unwrap_or(usize::MAX);
            new_rank < kept_rank
        })
    })
    .unwrap_or(false);
    if outer {
        *slot = Some(new);
    }
}

/// Makes a cancellation that was taken from the running task pending
/// again, to be delivered at its next suspension: for a wrapper that took
/// it but returns something that wins over it (a task group's errors),
/// so that the cancellation is not lost. Its request count is unchanged.
///
/// A task that returns with a re-armed request still pending is not made
/// cancelled by it: it returns what won (asyncio raises the task group's
/// errors, and a task that raises ends with its exception even with a
/// cancellation pending).
pub(crate) fn rearm(cancelled: &Cancelled) {
    context::with_current(|inner| {
        RawTask::with_current_meta(&inner?.current_task, |meta| match rank(meta, cancelled) {
            Some(0) => meta.set(MUST_CANCEL | REARMED),
            Some(depth) => {
                if let Some(scope) = meta.cold(|c| c.scopes[depth - 1].clone()) {
                    scope.pending.set(true);
                }
            }
            None => {}
        })
    });
}
