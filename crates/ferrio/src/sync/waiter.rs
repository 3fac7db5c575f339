//! [`Waiter`]: the one poll protocol of every future that waits in a
//! [`WaitList`](super::wait_list::WaitList) — acquiring a lock or a
//! semaphore, waiting for an event or a barrier, putting into and getting
//! from a queue, joining a queue.
//!
//! The rules it keeps, so that no primitive writes them again:
//!
//! 1. **No suspension, no cancellation.** The first poll tries to complete
//!    at once ([`Wait::try_now`]: a free lock, a set event, a non-empty
//!    queue); if it can, it returns the value even while a cancellation is
//!    pending — the request is delivered at the next await that suspends.
//! 2. Otherwise a pending cancellation is delivered before queueing, so the
//!    waiter takes nothing; else the waiter queues ([`Wait::enqueue`]) and
//!    the future suspends.
//! 3. **Once suspended, a pending cancellation wins** over whatever was
//!    granted meanwhile, as asyncio throws `CancelledError` in at the
//!    await: the waiter leaves ([`Wait::leave`]), passing a grant it held on
//!    to the next waiter, and the future completes with the cancellation.
//! 4. Dropping the future leaves the queue the same way
//!    ([`Waiter::abandon`]).

use std::task::{Context, Poll, Waker};

use super::wait_list::WaitKey;
use crate::task::{take_pending_cancel, Cancelled};

/// One kind of wait, as its future sees it: the primitive-specific steps
/// that [`Waiter::poll`] sequences.
pub(crate) trait Wait {
    /// What the waiter is handed when its turn comes.
    type Grant;
    /// What the future completes with (including the cancelled case).
    type Output;

    /// Completes without waiting, if possible (first poll only).
    fn try_now(&mut self) -> Option<Self::Output>;

    /// Queues the waiter, to be woken with `waker`.
    fn enqueue(&mut self, waker: &Waker) -> WaitKey;

    /// Whether the queued waiter `key` has been granted its turn; if not,
    /// stores `waker`.
    fn poll_grant(&mut self, key: WaitKey, waker: &Waker) -> Poll<Self::Grant>;

    /// The output for a grant.
    fn granted(&mut self, grant: Self::Grant) -> Self::Output;

    /// Takes the queued waiter `key` out (cancelled or dropped), passing on
    /// anything granted to it alone.
    fn leave(&mut self, key: WaitKey);

    /// The output for a delivered cancellation.
    fn cancelled(&mut self, cancelled: Cancelled) -> Self::Output;

    /// What the task waits on, for task dumps.
    fn label(&self) -> &'static str;

    /// Called each time the future is about to return `Pending` while
    /// queued as `key` (debug hooks).
    fn on_pending(&mut self, _key: WaitKey, _cx: &Context<'_>) {}
}

/// Where a waiting future is in the protocol.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Waiter {
    /// Not polled yet.
    #[default]
    Idle,
    /// Queued, and so suspended at least once.
    Waiting(WaitKey),
    /// Completed (or abandoned).
    Done,
}

impl Waiter {
    pub(crate) const fn new() -> Waiter {
        Waiter::Idle
    }

    /// Polls the wait `w` by the rules in the module docs.
    ///
    /// # Panics
    ///
    /// If polled after it completed.
    #[inline]
    pub(crate) fn poll<W: Wait>(&mut self, w: &mut W, cx: &Context<'_>) -> Poll<W::Output> {
        self.poll_with(w, cx, |w, c| Some(w.cancelled(c)))
    }

    /// Polls a wait that a cancellation does not end (a `Condition`
    /// re-acquiring its lock): the same protocol, except that a delivered
    /// cancellation is recorded in `deferred` (the outermost is kept) and
    /// the wait goes on, in its place in the queue.
    pub(crate) fn poll_deferring<W: Wait>(
        &mut self,
        w: &mut W,
        cx: &Context<'_>,
        deferred: &mut Option<Cancelled>,
    ) -> Poll<W::Output> {
        self.poll_with(w, cx, |_, c| {
            crate::task::scope::absorb(deferred, c);
            None
        })
    }

    /// The protocol, with what a delivered cancellation does: `Some` ends
    /// the wait with that output (the waiter leaves, or never queued),
    /// `None` keeps waiting.
    #[inline]
    fn poll_with<W: Wait>(
        &mut self,
        w: &mut W,
        cx: &Context<'_>,
        on_cancel: impl FnOnce(&mut W, Cancelled) -> Option<W::Output>,
    ) -> Poll<W::Output> {
        let key = match *self {
            Waiter::Idle => {
                if let Some(output) = w.try_now() {
                    *self = Waiter::Done;
                    return Poll::Ready(output);
                }
                if let Some(c) = take_pending_cancel() {
                    if let Some(output) = on_cancel(w, c) {
                        *self = Waiter::Done;
                        return Poll::Ready(output);
                    }
                }
                let key = w.enqueue(cx.waker());
                *self = Waiter::Waiting(key);
                key
            }
            Waiter::Waiting(key) => {
                if let Some(c) = take_pending_cancel() {
                    // It ends the wait (the waiter leaves, passing on a
                    // grant), or is only recorded.
                    if let Some(output) = on_cancel(w, c) {
                        *self = Waiter::Done;
                        w.leave(key);
                        return Poll::Ready(output);
                    }
                }
                match w.poll_grant(key, cx.waker()) {
                    Poll::Ready(grant) => {
                        *self = Waiter::Done;
                        return Poll::Ready(w.granted(grant));
                    }
                    Poll::Pending => key,
                }
            }
            Waiter::Done => panic!("a ferrio wait was polled after it completed"),
        };
        w.on_pending(key, cx);
        crate::task::note_wait(w.label());
        Poll::Pending
    }

    /// Leaves the queue if still in it: for the future's `Drop`.
    pub(crate) fn abandon<W: Wait>(&mut self, w: &mut W) {
        if let Some(key) = self.take_waiting() {
            w.leave(key);
        }
    }

    /// Ends the wait; the key to leave the queue with, if it was queued
    /// (for a `Drop` that cannot name its [`Wait`]).
    pub(crate) fn take_waiting(&mut self) -> Option<WaitKey> {
        match std::mem::replace(self, Waiter::Done) {
            Waiter::Waiting(key) => Some(key),
            _ => None,
        }
    }

    /// Whether the wait is queued (it has suspended and not completed).
    pub(crate) fn is_waiting(&self) -> bool {
        matches!(self, Waiter::Waiting(_))
    }
}
