//! The futures of [`BaseQueue::put`], [`BaseQueue::get`] and
//! [`BaseQueue::join`], on the shared waiter protocol (`sync::waiter`): a
//! put into a queue with room, a get from a non-empty queue and a join of a
//! finished queue complete at once, even with a cancellation pending; once
//! queued, a cancellation wins, and a waiter that leaves (cancelled or
//! dropped) does so through the queue core, which passes on a reservation
//! it held.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::base::BaseQueue;
use super::engine::Grant;
use super::error::{GetError, PutError, QueueShutDown, TryGetError};
use super::storage::Storage;
use crate::sync::wait_list::WaitKey;
use crate::sync::waiter::{Wait, Waiter};
use crate::task::Cancelled;

fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

/// Takes putter `key` out of `queue`'s wait list, passing on a reserved
/// slot it held.
fn leave_putters<T, S>(queue: &BaseQueue<T, S>, key: WaitKey) {
    let mut core = queue.core().borrow_mut();
    let left = core.putters.leave(key);
    let waker = core.putter_left(left);
    drop(core);
    wake(waker);
}

/// Takes getter `key` out of `queue`'s wait list, passing on a reserved
/// item it held.
fn leave_getters<T, S>(queue: &BaseQueue<T, S>, key: WaitKey) {
    let mut core = queue.core().borrow_mut();
    let left = core.getters.leave(key);
    let waker = core.getter_left(left);
    drop(core);
    wake(waker);
}

/// Takes joiner `key` out of `queue`'s wait list (joiners are woken all at
/// once: nothing to pass on).
fn leave_joiners<T, S>(queue: &BaseQueue<T, S>, key: WaitKey) {
    let _ = queue.core().borrow_mut().joiners.leave(key);
}

/// One put, as the shared waiter protocol sees it.
struct PutWait<'q, 'a, T, S> {
    queue: &'a BaseQueue<T, S>,
    item: &'q mut Option<T>,
}

impl<T, S> PutWait<'_, '_, T, S> {
    fn item(&mut self) -> T {
        self.item.take().expect("Put polled after it completed")
    }
}

impl<T, S: Storage<T>> Wait for PutWait<'_, '_, T, S> {
    type Grant = Grant;
    type Output = Result<(), PutError<T>>;

    fn try_now(&mut self) -> Option<Self::Output> {
        let mut core = self.queue.core().borrow_mut();
        if core.shut_down {
            drop(core);
            let item = self.item();
            return Some(Err(PutError::ShutDown(QueueShutDown(item))));
        }
        if core.is_full() {
            return None;
        }
        let waker = core.store(self.item());
        drop(core);
        wake(waker);
        Some(Ok(()))
    }

    fn enqueue(&mut self, waker: &Waker) -> WaitKey {
        self.queue.core().borrow_mut().putters.push(waker.clone())
    }

    fn poll_grant(&mut self, key: WaitKey, waker: &Waker) -> Poll<Grant> {
        self.queue.core().borrow_mut().putters.poll(key, waker)
    }

    fn granted(&mut self, grant: Grant) -> Self::Output {
        let item = self.item();
        let stored = self.queue.core().borrow_mut().put_granted(grant, item);
        match stored {
            Ok(waker) => {
                wake(waker);
                Ok(())
            }
            Err(item) => Err(PutError::ShutDown(QueueShutDown(item))),
        }
    }

    fn leave(&mut self, key: WaitKey) {
        leave_putters(self.queue, key);
    }

    fn cancelled(&mut self, cancelled: Cancelled) -> Self::Output {
        let item = self.item();
        Err(PutError::Cancelled { item, cancelled })
    }

    fn label(&self) -> &'static str {
        "queue put"
    }
}

/// The future returned by [`BaseQueue::put`].
#[must_use = "futures do nothing unless awaited"]
pub struct Put<'a, T, S> {
    queue: &'a BaseQueue<T, S>,
    item: Option<T>,
    state: Waiter,
}

// Neither the item nor the queue is ever pinned.
impl<T, S> Unpin for Put<'_, T, S> {}

impl<'a, T, S> Put<'a, T, S> {
    pub(crate) fn new(queue: &'a BaseQueue<T, S>, item: T) -> Put<'a, T, S> {
        Put {
            queue,
            item: Some(item),
            state: Waiter::new(),
        }
    }
}

impl<T, S: Storage<T>> Future for Put<'_, T, S> {
    type Output = Result<(), PutError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut wait = PutWait {
            queue: this.queue,
            item: &mut this.item,
        };
        this.state.poll(&mut wait, cx)
    }
}

impl<T, S> Drop for Put<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.state.take_waiting() {
            leave_putters(self.queue, key);
        }
    }
}

impl<T, S> fmt::Debug for Put<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// One get, as the shared waiter protocol sees it.
struct GetWait<'a, T, S> {
    queue: &'a BaseQueue<T, S>,
}

impl<T, S: Storage<T>> GetWait<'_, T, S> {
    fn deliver(taken: Result<(T, Option<Waker>), TryGetError>) -> Result<T, GetError> {
        match taken {
            Ok((item, waker)) => {
                wake(waker);
                Ok(item)
            }
            Err(TryGetError::ShutDown(e)) => Err(GetError::ShutDown(e)),
            Err(TryGetError::Empty(_)) => {
                unreachable!("a getter was woken with no item reserved and the queue open")
            }
        }
    }
}

impl<T, S: Storage<T>> Wait for GetWait<'_, T, S> {
    type Grant = Grant;
    type Output = Result<T, GetError>;

    fn try_now(&mut self) -> Option<Self::Output> {
        let taken = self.queue.core().borrow_mut().try_get();
        match taken {
            Err(TryGetError::Empty(_)) => None,
            taken => Some(Self::deliver(taken)),
        }
    }

    fn enqueue(&mut self, waker: &Waker) -> WaitKey {
        self.queue.core().borrow_mut().getters.push(waker.clone())
    }

    fn poll_grant(&mut self, key: WaitKey, waker: &Waker) -> Poll<Grant> {
        self.queue.core().borrow_mut().getters.poll(key, waker)
    }

    fn granted(&mut self, grant: Grant) -> Self::Output {
        let taken = self.queue.core().borrow_mut().take_granted(grant);
        Self::deliver(taken)
    }

    fn leave(&mut self, key: WaitKey) {
        leave_getters(self.queue, key);
    }

    fn cancelled(&mut self, cancelled: Cancelled) -> Self::Output {
        Err(GetError::Cancelled(cancelled))
    }

    fn label(&self) -> &'static str {
        "queue get"
    }
}

/// The future returned by [`BaseQueue::get`].
#[must_use = "futures do nothing unless awaited"]
pub struct Get<'a, T, S> {
    queue: &'a BaseQueue<T, S>,
    state: Waiter,
}

impl<'a, T, S> Get<'a, T, S> {
    pub(crate) fn new(queue: &'a BaseQueue<T, S>) -> Get<'a, T, S> {
        Get {
            queue,
            state: Waiter::new(),
        }
    }
}

impl<T, S: Storage<T>> Future for Get<'_, T, S> {
    type Output = Result<T, GetError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.state.poll(&mut GetWait { queue: this.queue }, cx)
    }
}

impl<T, S> Drop for Get<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.state.take_waiting() {
            leave_getters(self.queue, key);
        }
    }
}

impl<T, S> fmt::Debug for Get<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// One join, as the shared waiter protocol sees it.
struct JoinWait<'a, T, S> {
    queue: &'a BaseQueue<T, S>,
}

impl<T, S> Wait for JoinWait<'_, T, S> {
    type Grant = ();
    type Output = Result<(), Cancelled>;

    fn try_now(&mut self) -> Option<Self::Output> {
        (self.queue.core().borrow().unfinished == 0).then_some(Ok(()))
    }

    fn enqueue(&mut self, waker: &Waker) -> WaitKey {
        self.queue.core().borrow_mut().joiners.push(waker.clone())
    }

    fn poll_grant(&mut self, key: WaitKey, waker: &Waker) -> Poll<()> {
        self.queue.core().borrow_mut().joiners.poll(key, waker)
    }

    fn granted(&mut self, (): ()) -> Self::Output {
        Ok(())
    }

    fn leave(&mut self, key: WaitKey) {
        leave_joiners(self.queue, key);
    }

    fn cancelled(&mut self, cancelled: Cancelled) -> Self::Output {
        Err(cancelled)
    }

    fn label(&self) -> &'static str {
        "queue join"
    }
}

/// The future returned by [`BaseQueue::join`].
#[must_use = "futures do nothing unless awaited"]
pub struct Join<'a, T, S> {
    queue: &'a BaseQueue<T, S>,
    state: Waiter,
}

impl<'a, T, S> Join<'a, T, S> {
    pub(crate) fn new(queue: &'a BaseQueue<T, S>) -> Join<'a, T, S> {
        Join {
            queue,
            state: Waiter::new(),
        }
    }
}

impl<T, S> Future for Join<'_, T, S> {
    type Output = Result<(), Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.state.poll(&mut JoinWait { queue: this.queue }, cx)
    }
}

impl<T, S> Drop for Join<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.state.take_waiting() {
            leave_joiners(self.queue, key);
        }
    }
}

impl<T, S> fmt::Debug for Join<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
