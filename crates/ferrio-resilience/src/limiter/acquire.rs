//! [`Acquire`] and [`AcquireOwned`]: waiting for permits in arrival order.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferrio::sync::{LockAcquire, LockAcquireOwned, LockGuard, OwnedLockGuard};
use ferrio::time::Sleep;
use ferrio::Cancelled;

use super::{AcquireError, RateLimiter};

/// The future returned by [`RateLimiter::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    pub(crate) limiter: &'a RateLimiter,
    pub(crate) permits: u32,
    pub(crate) wait: Wait<LockAcquire<'a>, LockGuard<'a>>,
}

/// The future returned by [`RateLimiter::acquire_owned`]: [`Acquire`]
/// holding its own handle on the limiter, so it can be stored and moved.
#[must_use = "futures do nothing unless awaited"]
pub struct AcquireOwned {
    pub(crate) limiter: RateLimiter,
    pub(crate) permits: u32,
    pub(crate) wait: Wait<LockAcquireOwned, OwnedLockGuard>,
}

/// The waiting itself, over a borrowed or an owned lock.
pub(crate) enum Wait<L, G> {
    Start,
    /// In the queue for the head position.
    Queued(L),
    /// At the head: waits until the permits are there, then takes them.
    Head(G, Option<Sleep>),
    Done,
}

impl<L, G> Wait<L, G>
where
    L: Future<Output = Result<G, Cancelled>> + Unpin,
{
    fn poll(
        &mut self,
        limiter: &RateLimiter,
        permits: u32,
        queue: impl FnOnce() -> L,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), AcquireError>> {
        let mut queue = Some(queue);
        loop {
            match std::mem::replace(self, Wait::Done) {
                Wait::Start => {
                    let capacity = limiter.capacity();
                    if permits > capacity {
                        return Poll::Ready(Err(AcquireError::ExceedsCapacity {
                            requested: permits,
                            capacity,
                        }));
                    }
                    // No one waiting and enough permits: take them without
                    // suspending (so no cancellation point either).
                    if !limiter.gate().locked() && limiter.take(permits).is_ok() {
                        return Poll::Ready(Ok(()));
                    }
                    let queue = queue.take().expect("the queue is joined once");
                    *self = Wait::Queued(queue());
                }
                Wait::Queued(mut acquire) => match Pin::new(&mut acquire).poll(cx) {
                    Poll::Pending => {
                        *self = Wait::Queued(acquire);
                        return Poll::Pending;
                    }
                    Poll::Ready(Err(c)) => return Poll::Ready(Err(AcquireError::Cancelled(c))),
                    Poll::Ready(Ok(guard)) => *self = Wait::Head(guard, None),
                },
                Wait::Head(guard, sleep) => {
                    if let Some(mut sleep) = sleep {
                        match Pin::new(&mut sleep).poll(cx) {
                            Poll::Pending => {
                                *self = Wait::Head(guard, Some(sleep));
                                return Poll::Pending;
                            }
                            // Dropping the guard hands the head to the next waiter.
                            Poll::Ready(Err(c)) => {
                                return Poll::Ready(Err(AcquireError::Cancelled(c)))
                            }
                            Poll::Ready(Ok(())) => {}
                        }
                    }
                    match limiter.take(permits) {
                        Ok(()) => return Poll::Ready(Ok(())),
                        Err(at) => *self = Wait::Head(guard, Some(ferrio::sleep_until(at))),
                    }
                }
                Wait::Done => panic!("a rate limiter acquire polled after it completed"),
            }
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Wait::Start => "start",
            Wait::Queued(_) => "queued",
            Wait::Head(..) => "waiting for permits",
            Wait::Done => "done",
        }
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let limiter = this.limiter;
        this.wait
            .poll(limiter, this.permits, || limiter.gate().acquire(), cx)
    }
}

impl Future for AcquireOwned {
    type Output = Result<(), AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let limiter = &this.limiter;
        this.wait.poll(
            limiter,
            this.permits,
            || limiter.gate_owned().acquire_owned(),
            cx,
        )
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("permits", &self.permits)
            .field("state", &self.wait.describe())
            .finish()
    }
}

impl fmt::Debug for AcquireOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireOwned")
            .field("permits", &self.permits)
            .field("state", &self.wait.describe())
            .finish()
    }
}
