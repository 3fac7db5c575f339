//! The futures of [`BaseQueue::put`], [`BaseQueue::get`] and
//! [`BaseQueue::join`]. Each checks for a pending cancellation at the start
//! of every poll and, when cancelled or dropped, leaves its wait queue
//! through the queue core, which passes on a reservation it held.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::base::BaseQueue;
use super::error::{GetError, PutError, QueueShutDown, TryGetError};
use super::storage::Storage;
use crate::sync::wait_list::WaitKey;
use crate::task::{take_pending_cancel, Cancelled};

#[derive(Debug, Clone, Copy)]
enum State {
    Idle,
    Waiting(WaitKey),
    Done,
}

fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

/// The future returned by [`BaseQueue::put`].
#[must_use = "futures do nothing unless awaited"]
pub struct Put<'a, T, S> {
    queue: &'a BaseQueue<T, S>,
    item: Option<T>,
    state: State,
}

// Neither the item nor the queue is ever pinned.
impl<T, S> Unpin for Put<'_, T, S> {}

impl<'a, T, S> Put<'a, T, S> {
    pub(crate) fn new(queue: &'a BaseQueue<T, S>, item: T) -> Put<'a, T, S> {
        Put {
            queue,
            item: Some(item),
            state: State::Idle,
        }
    }

    fn leave(&mut self) {
        if let State::Waiting(key) = std::mem::replace(&mut self.state, State::Done) {
            let mut core = self.queue.core().borrow_mut();
            let left = core.putters.leave(key);
            let waker = core.putter_left(left);
            drop(core);
            wake(waker);
        }
    }

    fn item(&mut self) -> T {
        self.item.take().expect("Put polled after it completed")
    }
}

impl<T, S: Storage<T>> Future for Put<'_, T, S> {
    type Output = Result<(), PutError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(cancelled) = take_pending_cancel() {
            this.leave();
            let item = this.item();
            return Poll::Ready(Err(PutError::Cancelled { item, cancelled }));
        }
        let mut core = this.queue.core().borrow_mut();
        let stored = match this.state {
            State::Idle => {
                if core.shut_down {
                    Err(this.item())
                } else if core.is_full() {
                    let key = core.putters.push(cx.waker().clone());
                    this.state = State::Waiting(key);
                    drop(core);
                    crate::task::note_wait("queue put");
                    return Poll::Pending;
                } else {
                    Ok(core.store(this.item()))
                }
            }
            State::Waiting(key) => match core.putters.poll(key, cx.waker()) {
                Poll::Pending => {
                    drop(core);
                    crate::task::note_wait("queue put");
                    return Poll::Pending;
                }
                Poll::Ready(grant) => core.put_granted(grant, this.item()),
            },
            State::Done => panic!("Put polled after it completed"),
        };
        drop(core);
        this.state = State::Done;
        Poll::Ready(match stored {
            Ok(waker) => {
                wake(waker);
                Ok(())
            }
            Err(item) => Err(PutError::ShutDown(QueueShutDown(item))),
        })
    }
}

impl<T, S> Drop for Put<'_, T, S> {
    fn drop(&mut self) {
        self.leave();
    }
}

impl<T, S> fmt::Debug for Put<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// The future returned by [`BaseQueue::get`].
#[must_use = "futures do nothing unless awaited"]
pub struct Get<'a, T, S> {
    queue: &'a BaseQueue<T, S>,
    state: State,
}

impl<'a, T, S> Get<'a, T, S> {
    pub(crate) fn new(queue: &'a BaseQueue<T, S>) -> Get<'a, T, S> {
        Get {
            queue,
            state: State::Idle,
        }
    }

    fn leave(&mut self) {
        if let State::Waiting(key) = std::mem::replace(&mut self.state, State::Done) {
            let mut core = self.queue.core().borrow_mut();
            let left = core.getters.leave(key);
            let waker = core.getter_left(left);
            drop(core);
            wake(waker);
        }
    }
}

impl<T, S: Storage<T>> Future for Get<'_, T, S> {
    type Output = Result<T, GetError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(cancelled) = take_pending_cancel() {
            this.leave();
            return Poll::Ready(Err(GetError::Cancelled(cancelled)));
        }
        let mut core = this.queue.core().borrow_mut();
        let taken = match this.state {
            State::Idle => match core.try_get() {
                Err(TryGetError::Empty(_)) => {
                    let key = core.getters.push(cx.waker().clone());
                    this.state = State::Waiting(key);
                    drop(core);
                    crate::task::note_wait("queue get");
                    return Poll::Pending;
                }
                taken => taken,
            },
            State::Waiting(key) => match core.getters.poll(key, cx.waker()) {
                Poll::Pending => {
                    drop(core);
                    crate::task::note_wait("queue get");
                    return Poll::Pending;
                }
                Poll::Ready(grant) => core.take_granted(grant),
            },
            State::Done => panic!("Get polled after it completed"),
        };
        drop(core);
        this.state = State::Done;
        Poll::Ready(match taken {
            Ok((item, waker)) => {
                wake(waker);
                Ok(item)
            }
            Err(TryGetError::ShutDown(e)) => Err(GetError::ShutDown(e)),
            Err(TryGetError::Empty(_)) => {
                unreachable!("a getter was woken with no item reserved and the queue open")
            }
        })
    }
}

impl<T, S> Drop for Get<'_, T, S> {
    fn drop(&mut self) {
        self.leave();
    }
}

impl<T, S> fmt::Debug for Get<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// The future returned by [`BaseQueue::join`].
#[must_use = "futures do nothing unless awaited"]
pub struct Join<'a, T, S> {
    queue: &'a BaseQueue<T, S>,
    state: State,
}

impl<'a, T, S> Join<'a, T, S> {
    pub(crate) fn new(queue: &'a BaseQueue<T, S>) -> Join<'a, T, S> {
        Join {
            queue,
            state: State::Idle,
        }
    }

    fn leave(&mut self) {
        if let State::Waiting(key) = std::mem::replace(&mut self.state, State::Done) {
            // Joiners are woken all at once: nothing to pass on.
            let _ = self.queue.core().borrow_mut().joiners.leave(key);
        }
    }
}

impl<T, S> Future for Join<'_, T, S> {
    type Output = Result<(), Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(cancelled) = take_pending_cancel() {
            this.leave();
            return Poll::Ready(Err(cancelled));
        }
        let mut core = this.queue.core().borrow_mut();
        match this.state {
            State::Idle => {
                if core.unfinished == 0 {
                    this.state = State::Done;
                    return Poll::Ready(Ok(()));
                }
                let key = core.joiners.push(cx.waker().clone());
                this.state = State::Waiting(key);
                drop(core);
                crate::task::note_wait("queue join");
                Poll::Pending
            }
            State::Waiting(key) => {
                let polled = core.joiners.poll(key, cx.waker());
                if polled.is_ready() {
                    this.state = State::Done;
                } else {
                    drop(core);
                    crate::task::note_wait("queue join");
                }
                polled.map(Ok)
            }
            State::Done => panic!("Join polled after it completed"),
        }
    }
}

impl<T, S> Drop for Join<'_, T, S> {
    fn drop(&mut self) {
        self.leave();
    }
}

impl<T, S> fmt::Debug for Join<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
