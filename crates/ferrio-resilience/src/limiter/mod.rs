//! Rate limiting: a token bucket and a sliding window, with FIFO-fair
//! waiting.
//!
//! | by hand / elsewhere | ferrio-resilience |
//! |---|---|
//! | `aiolimiter.AsyncLimiter(rate, period)`; `async with limiter:` | [`RateLimiter::token_bucket`]; `limiter.acquire(1).await?` |
//! | a `time.monotonic()` token counter and `await asyncio.sleep(deficit / rate)` in a loop | [`RateLimiter::acquire`] (waits exactly as long as needed) |
//! | "at most 100 calls per rolling minute" | [`RateLimiter::sliding_window`] |
//! | Polly `RateLimiterStrategyOptions` / `RateLimiterRejectedException.RetryAfter` | [`RateLimiter::try_acquire`] / [`TryAcquireError::RateLimited`] |
//!
//! What the hand-written limiter gets wrong and this one does not:
//! waiters are served in arrival order (a large request is not starved by a
//! stream of small ones, and a newcomer cannot barge ahead of a waiter);
//! a cancelled waiter takes no permits; and the rate is exact on the loop
//! clock, with no drift from rounding.

mod acquire;
mod error;
mod sliding_window;
mod token_bucket;

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ferrio::sync::Lock;

pub use acquire::{Acquire, AcquireOwned};
pub use error::{AcquireError, TryAcquireError};

use sliding_window::SlidingWindow;
use token_bucket::TokenBucket;

/// A rate limiter: a token bucket or a sliding window, shared by cheap
/// clones (`!Send`, like everything on a ferrio loop).
///
/// Permits are not given back: each one is a use of the rate. Waiters are
/// served first come, first served — a newcomer gets permits at once only
/// if no one is waiting.
///
/// ```
/// use std::time::Duration;
/// use ferrio_resilience::limiter::RateLimiter;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         // 10 per second, in bursts of up to 5.
///         let limiter = RateLimiter::token_bucket(10, Duration::from_secs(1), 5);
///         let start = ferrio::now();
///         for _ in 0..15 {
///             limiter.acquire(1).await.unwrap();
///         }
///         // 5 at once, then one every 100 ms.
///         assert_eq!(ferrio::now() - start, Duration::from_millis(1000));
///     })
///     .unwrap();
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    inner: Rc<Inner>,
}

struct Inner {
    /// Serialises waiters: the holder is the head of the queue.
    gate: Rc<Lock>,
    budget: RefCell<Budget>,
}

#[derive(Debug)]
enum Budget {
    Bucket(TokenBucket),
    Window(SlidingWindow),
}

impl RateLimiter {
    /// A token bucket holding up to `burst` permits, refilled with `rate`
    /// permits every `per` (one every `per / rate`, exactly). It starts
    /// full. Over any interval of length `d` it grants at most
    /// `burst + rate × d / per` permits.
    ///
    /// # Panics
    ///
    /// If `rate` or `burst` is zero, or `per` is zero.
    #[track_caller]
    pub fn token_bucket(rate: u32, per: Duration, burst: u32) -> RateLimiter {
        assert!(
            rate > 0 && burst > 0 && !per.is_zero(),
            "RateLimiter::token_bucket: rate, per and burst must be non-zero \
             (got {rate} per {per:?}, burst {burst})"
        );
        RateLimiter::with(Budget::Bucket(TokenBucket::new(rate, per, burst)))
    }

    /// `rate` permits per second, in bursts of up to `burst`.
    ///
    /// # Panics
    ///
    /// If `rate` or `burst` is zero.
    #[track_caller]
    pub fn per_second(rate: u32, burst: u32) -> RateLimiter {
        RateLimiter::token_bucket(rate, Duration::from_secs(1), burst)
    }

    /// A sliding window: at most `limit` permits granted in any interval of
    /// length `window` (a permit granted at `t` counts until `t + window`).
    /// Memory: one entry per grant still in the window, at most `limit`.
    ///
    /// # Panics
    ///
    /// If `limit` is zero or `window` is zero.
    #[track_caller]
    pub fn sliding_window(limit: u32, window: Duration) -> RateLimiter {
        assert!(
            limit > 0 && !window.is_zero(),
            "RateLimiter::sliding_window: limit and window must be non-zero \
             (got {limit} per {window:?})"
        );
        RateLimiter::with(Budget::Window(SlidingWindow::new(limit, window)))
    }

    fn with(budget: Budget) -> RateLimiter {
        RateLimiter {
            inner: Rc::new(Inner {
                gate: Rc::new(Lock::new()),
                budget: RefCell::new(budget),
            }),
        }
    }

    /// Waits until `permits` permits can be granted, in arrival order, and
    /// takes them. Returns at once, without suspending, if no one is
    /// waiting and they are there.
    ///
    /// # Errors
    ///
    /// [`AcquireError::ExceedsCapacity`] at once if `permits` is more than
    /// the limiter ever grants together; [`AcquireError::Cancelled`] if the
    /// caller is cancelled while waiting.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point when it has to wait. A cancelled (or dropped)
    /// `acquire` takes no permits and leaves the queue; if it was at the
    /// head, the next waiter moves up.
    ///
    /// # Panics
    ///
    /// When polled outside a running ferrio loop.
    pub fn acquire(&self, permits: u32) -> Acquire<'_> {
        Acquire {
            limiter: self,
            permits,
            wait: acquire::Wait::Start,
        }
    }

    /// [`acquire`](Self::acquire) holding its own handle on the limiter, so
    /// that the future can be stored or moved into a task.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_owned(&self, permits: u32) -> AcquireOwned {
        AcquireOwned {
            limiter: self.clone(),
            permits,
            wait: acquire::Wait::Start,
        }
    }

    /// Takes `permits` permits if they are there now and no one is waiting.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::RateLimited`] (with when to come back, if known)
    /// or [`TryAcquireError::ExceedsCapacity`].
    ///
    /// # Panics
    ///
    /// Outside a running ferrio loop.
    pub fn try_acquire(&self, permits: u32) -> Result<(), TryAcquireError> {
        let capacity = self.capacity();
        if permits > capacity {
            return Err(TryAcquireError::ExceedsCapacity {
                requested: permits,
                capacity,
            });
        }
        if self.gate().locked() {
            return Err(TryAcquireError::RateLimited {
                retry_at: None,
                retry_after: None,
            });
        }
        let now = ferrio::now();
        self.take_at(permits, now)
            .map_err(|at| TryAcquireError::RateLimited {
                retry_at: Some(at),
                retry_after: Some(at.saturating_duration_since(now)),
            })
    }

    /// Permits that could be taken now (ignoring anyone waiting).
    ///
    /// # Panics
    ///
    /// Outside a running ferrio loop.
    pub fn available(&self) -> u32 {
        let now = ferrio::now();
        match &mut *self.inner.budget.borrow_mut() {
            Budget::Bucket(b) => b.available(now),
            Budget::Window(w) => w.available(now),
        }
    }

    /// The most permits granted at once: the burst, or the window's limit.
    pub fn capacity(&self) -> u32 {
        match &*self.inner.budget.borrow() {
            Budget::Bucket(b) => b.capacity(),
            Budget::Window(w) => w.capacity(),
        }
    }

    /// How many callers are waiting (the head included).
    pub fn waiting(&self) -> usize {
        let stats = self.gate().statistics();
        stats.waiters + usize::from(stats.locked)
    }

    pub(crate) fn gate(&self) -> &Lock {
        &self.inner.gate
    }

    pub(crate) fn gate_owned(&self) -> &Rc<Lock> {
        &self.inner.gate
    }

    /// Takes `permits` now if no one is waiting and they are there: the
    /// fast path of `try_acquire`, without the error.
    #[inline]
    pub(crate) fn take_now(&self, permits: u32) -> bool {
        !self.gate().locked() && self.take(permits).is_ok()
    }

    /// Takes the permits now, or says when they will be there.
    pub(crate) fn take(&self, permits: u32) -> Result<(), Instant> {
        self.take_at(permits, ferrio::now())
    }

    fn take_at(&self, permits: u32, now: Instant) -> Result<(), Instant> {
        match &mut *self.inner.budget.borrow_mut() {
            Budget::Bucket(b) => b.try_take(permits, now),
            Budget::Window(w) => w.try_take(permits, now),
        }
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("budget", &*self.inner.budget.borrow())
            .field("gate", &self.inner.gate)
            .finish()
    }
}
