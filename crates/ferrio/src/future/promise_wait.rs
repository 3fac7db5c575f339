//! [`PromiseWait`]: one awaiter of a [`Promise`](super::Promise).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::error::PromiseError;
use super::promise::Shared;
use crate::task::take_pending_cancel;

/// The future that awaits a [`Promise`](super::Promise): made by
/// [`Promise::wait`](super::Promise::wait) or by awaiting a promise (or a
/// reference to one). Gives a clone of the outcome.
///
/// # Cancel safety
///
/// A cancellation point: if the awaiting task is cancelled, it completes
/// with [`PromiseError::Cancelled`] carrying that task's own `Cancelled`,
/// and leaves the waiting list. The promise, and every other awaiter, are
/// untouched: settling wakes all awaiters, so a cancelled one takes nothing
/// from the others.
#[must_use = "futures do nothing unless awaited"]
pub struct PromiseWait<T, E> {
    shared: Rc<Shared<T, E>>,
    /// The slab key of this awaiter's waker while the promise is pending.
    key: Option<usize>,
}

impl<T, E> PromiseWait<T, E> {
    pub(super) fn new(shared: Rc<Shared<T, E>>) -> PromiseWait<T, E> {
        PromiseWait { shared, key: None }
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

impl<T: Clone, E: Clone> Future for PromiseWait<T, E> {
    type Output = Result<T, PromiseError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(c) = take_pending_cancel() {
            this.deregister();
            return Poll::Ready(Err(PromiseError::Cancelled(c)));
        }
        let mut state = this.shared.state.borrow_mut();
        if let Some(outcome) = &state.outcome {
            this.key = None;
            return Poll::Ready(outcome.to_result());
        }
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
