//! [`Acquire`]: waiting for permits in arrival order.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferrio::sync::{LockAcquire, LockGuard};
use ferrio::time::Sleep;

use super::{AcquireError, RateLimiter};

/// The future returned by [`RateLimiter::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    pub(crate) limiter: &'a RateLimiter,
    pub(crate) permits: u32,
    pub(crate) state: State<'a>,
}

pub(crate) enum State<'a> {
    Start,
    /// In the queue for the head position.
    Queued(LockAcquire<'a>),
    /// At the head: waits until the permits are there, then takes them.
    Head(LockGuard<'a>, Option<Sleep>),
    Done,
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let limiter = this.limiter;
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Start => {
                    let capacity = limiter.capacity();
                    if this.permits > capacity {
                        return Poll::Ready(Err(AcquireError::ExceedsCapacity {
                            requested: this.permits,
                            capacity,
                        }));
                    }
                    // No one waiting and enough permits: take them without
                    // suspending (so no cancellation point either).
                    if !limiter.gate().locked() && limiter.take(this.permits).is_ok() {
                        return Poll::Ready(Ok(()));
                    }
                    this.state = State::Queued(limiter.gate().acquire());
                }
                State::Queued(mut acquire) => match Pin::new(&mut acquire).poll(cx) {
                    Poll::Pending => {
                        this.state = State::Queued(acquire);
                        return Poll::Pending;
                    }
                    Poll::Ready(Err(c)) => return Poll::Ready(Err(AcquireError::Cancelled(c))),
                    Poll::Ready(Ok(guard)) => this.state = State::Head(guard, None),
                },
                State::Head(guard, sleep) => {
                    if let Some(mut sleep) = sleep {
                        match Pin::new(&mut sleep).poll(cx) {
                            Poll::Pending => {
                                this.state = State::Head(guard, Some(sleep));
                                return Poll::Pending;
                            }
                            // Dropping the guard hands the head to the next waiter.
                            Poll::Ready(Err(c)) => {
                                return Poll::Ready(Err(AcquireError::Cancelled(c)))
                            }
                            Poll::Ready(Ok(())) => {}
                        }
                    }
                    match limiter.take(this.permits) {
                        Ok(()) => return Poll::Ready(Ok(())),
                        Err(at) => this.state = State::Head(guard, Some(ferrio::sleep_until(at))),
                    }
                }
                State::Done => panic!("`Acquire` polled after it completed"),
            }
        }
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Start => "start",
            State::Queued(_) => "queued",
            State::Head(..) => "waiting for permits",
            State::Done => "done",
        };
        f.debug_struct("Acquire")
            .field("permits", &self.permits)
            .field("state", &state)
            .finish()
    }
}
