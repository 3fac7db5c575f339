//! [`PromiseWait`]: one awaiter of a [`Promise`](super::Promise).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::error::PromiseError;
use super::promise::{Promise, Shared};
use crate::task::{Cancelled, Checkpoint};

/// The future that awaits a [`Promise`](super::Promise): made by
/// [`Promise::wait`](super::Promise::wait) or by awaiting a promise (or a
/// reference to one). Gives a clone of the outcome.
///
/// # Cancel safety
///
/// Awaiting a settled promise gives its outcome at once, even with a
/// cancellation pending. Otherwise it is a cancellation point that follows
/// the await chain: if the awaiting task is cancelled while the promise is
/// pending, **the promise is cancelled** (with the same message; every
/// other awaiter sees it cancelled, as in asyncio) and this await completes
/// with [`PromiseError::Cancelled`] carrying the awaiting task's own
/// `Cancelled`. Cancelled after the promise was settled but before it
/// resumed, the await gives the `Cancelled` and the promise keeps its
/// outcome. Dropping the future only leaves the waiting list.
#[must_use = "futures do nothing unless awaited"]
pub struct PromiseWait<T, E> {
    shared: Rc<Shared<T, E>>,
    /// The slab key of this awaiter's waker while the promise is pending.
    key: Option<usize>,
    checkpoint: Checkpoint,
}

impl<T, E> PromiseWait<T, E> {
    pub(super) fn new(shared: Rc<Shared<T, E>>) -> PromiseWait<T, E> {
        PromiseWait {
            shared,
            key: None,
            checkpoint: Checkpoint::new(),
        }
    }

    fn deregister(&mut self) {
        if let Some(key) = self.key.take() {
            let mut state = self.shared.state.borrow_mut();
            // Settling drains every key; after that, ours is gone already.
            if state.outcome.is_none() {
                state.waiters.remove(key);
            }
        }
    }
}

impl<T, E> PromiseWait<T, E>
where
    T: Clone + 'static,
    E: Clone + 'static,
{
    /// The awaiting task was cancelled: the pending promise is cancelled
    /// with it (it follows the await chain).
    fn cancelled(&mut self, c: Cancelled) -> Poll<Result<T, PromiseError<E>>> {
        self.deregister();
        Promise::from_shared(self.shared.clone()).cancel_inner(c.message_arc());
        Poll::Ready(Err(PromiseError::Cancelled(c)))
    }
}

impl<T, E> Future for PromiseWait<T, E>
where
    T: Clone + 'static,
    E: Clone + 'static,
{
    type Output = Result<T, PromiseError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(c) = this.checkpoint.resumed() {
            return this.cancelled(c);
        }
        if let Some(outcome) = &this.shared.state.borrow().outcome {
            this.key = None;
            return Poll::Ready(outcome.to_result());
        }
        if let Some(c) = this.checkpoint.suspend() {
            return this.cancelled(c);
        }
        let mut state = this.shared.state.borrow_mut();
        match this.key {
            Some(key) => {
                let slot = &mut state.waiters[key];
                if !slot.will_wake(cx.waker()) {
                    *slot = cx.waker().clone();
                }
            }
            None => this.key = Some(state.waiters.insert(cx.waker().clone())),
        }
        drop(state);
        crate::task::note_wait("future");
        Poll::Pending
    }
}

impl<T, E> Drop for PromiseWait<T, E> {
    fn drop(&mut self) {
        self.deregister();
    }
}

impl<T, E> fmt::Debug for PromiseWait<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PromiseWait")
            .field("registered", &self.key.is_some())
            .finish()
    }
}
