//! [`BoundedSemaphore`]: asyncio's `BoundedSemaphore`, a [`Semaphore`]
//! that refuses to be released above its initial value.
//!
//! Permits taken through [`BoundedSemaphorePermit`] go back when the guard
//! drops and can never overflow the bound. Only a hand release can, so the
//! bound is checked there: a hand release must match a permit detached
//! from its guard with [`BoundedSemaphorePermit::forget`], and `detached`
//! counts those.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::semaphore::{AcquireState, Semaphore};
use crate::debug::deadlock::{Hold, Kind, ResourceTag};
use crate::task::Cancelled;

/// A semaphore that cannot be released more often than acquired: asyncio's
/// `BoundedSemaphore`. [`release`](Self::release) past the initial value
/// is a [`TooManyReleases`] error instead of a silent extra permit.
///
/// Fairness and cancellation are [`Semaphore`]'s.
///
/// ```
/// use ferrio::sync::BoundedSemaphore;
///
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let sem = BoundedSemaphore::new(1);
///         // Acquire and release by hand, as asyncio code does.
///         sem.acquire().await.unwrap().forget();
///         assert_eq!(sem.available_permits(), 0);
///         sem.release().unwrap();
///         // A second release would go past the bound.
///         let err = sem.release().unwrap_err();
///         println!("{err}");
///         assert_eq!(sem.available_permits(), 1);
///     })
///     .unwrap();
/// ```
pub struct BoundedSemaphore {
    semaphore: Semaphore,
    bound: usize,
    /// Permits taken whose guard was forgotten: what `release` may return.
    detached: Cell<usize>,
}

/// A snapshot of a [`BoundedSemaphore`]'s state, from
/// [`BoundedSemaphore::statistics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundedSemaphoreStats {
    /// Permits available right now.
    pub permits: usize,
    /// Tasks waiting for a permit.
    pub waiters: usize,
    /// The initial (and largest) number of permits.
    pub bound: usize,
}

/// [`BoundedSemaphore::release`] was called more often than permits were
/// taken: asyncio's `ValueError("BoundedSemaphore released too many
/// times")`. Nothing was released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyReleases {
    /// The semaphore's bound.
    pub bound: usize,
}

impl fmt::Display for TooManyReleases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BoundedSemaphore released too many times (bound {}): call `release` only for a \
             permit detached with `forget`; dropping a permit already releases it",
            self.bound
        )
    }
}

impl std::error::Error for TooManyReleases {}

impl BoundedSemaphore {
    /// A semaphore with `bound` permits, never more.
    pub const fn new(bound: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            semaphore: Semaphore::with_tag(
                bound,
                ResourceTag::new(Kind::BoundedSemaphore, None, bound),
            ),
            bound,
            detached: Cell::new(0),
        }
    }

    /// Waits for a permit and takes it, as [`Semaphore::acquire`].
    ///
    /// # Cancel safety
    ///
    /// A cancellation point; cancelling takes no permit, and a permit
    /// already handed to this task passes on to the next waiter.
    pub fn acquire(&self) -> BoundedAcquire<'_> {
        BoundedAcquire {
            semaphore: self,
            state: AcquireState::new(),
        }
    }

    /// Takes a permit if one is available now.
    pub fn try_acquire(&self) -> Option<BoundedSemaphorePermit<'_>> {
        self.semaphore
            .try_take_held(Hold::Task)
            .then(|| BoundedSemaphorePermit { semaphore: self })
    }

    /// Gives back a permit taken by hand (one whose guard was
    /// [`forget`](BoundedSemaphorePermit::forget)-ed): asyncio's `release()`.
    ///
    /// # Errors
    ///
    /// [`TooManyReleases`] if no permit is held by hand, which is when the
    /// release would lift the count above the bound; nothing changes.
    pub fn release(&self) -> Result<(), TooManyReleases> {
        let detached = self.detached.get();
        if detached == 0 {
            return Err(TooManyReleases { bound: self.bound });
        }
        self.detached.set(detached - 1);
        self.semaphore.give_back_detached();
        Ok(())
    }

    /// Permits available right now.
    pub fn available_permits(&self) -> usize {
        self.semaphore.available_permits()
    }

    /// The initial (and largest) number of permits.
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Whether an `acquire` would wait: asyncio's `locked()`.
    pub fn locked(&self) -> bool {
        self.semaphore.locked()
    }

    /// Permits, waiters and bound, for diagnostics.
    pub fn statistics(&self) -> BoundedSemaphoreStats {
        let stats = self.semaphore.statistics();
        BoundedSemaphoreStats {
            permits: stats.permits,
            waiters: stats.waiters,
            bound: self.bound,
        }
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.statistics();
        f.debug_struct("BoundedSemaphore")
            .field("permits", &stats.permits)
            .field("waiters", &stats.waiters)
            .field("bound", &stats.bound)
            .finish()
    }
}

/// One permit of a [`BoundedSemaphore`], given back when dropped.
#[must_use = "dropping a permit releases it at once"]
pub struct BoundedSemaphorePermit<'a> {
    semaphore: &'a BoundedSemaphore,
}

impl BoundedSemaphorePermit<'_> {
    /// Keeps the permit taken without a guard; give it back with
    /// [`BoundedSemaphore::release`].
    pub fn forget(self) {
        let semaphore = self.semaphore;
        semaphore.semaphore.forget_permit(Hold::Task);
        std::mem::forget(self);
        semaphore.detached.set(semaphore.detached.get() + 1);
    }
}

impl Drop for BoundedSemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.semaphore.give_back(Hold::Task);
    }
}

impl fmt::Debug for BoundedSemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphorePermit")
            .field("semaphore", self.semaphore)
            .finish()
    }
}

/// The future returned by [`BoundedSemaphore::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct BoundedAcquire<'a> {
    semaphore: &'a BoundedSemaphore,
    state: AcquireState,
}

impl<'a> Future for BoundedAcquire<'a> {
    type Output = Result<BoundedSemaphorePermit<'a>, Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let semaphore = this.semaphore;
        this.state
            .poll(&semaphore.semaphore, cx, Hold::Task)
            .map_ok(|()| BoundedSemaphorePermit { semaphore })
    }
}

impl Drop for BoundedAcquire<'_> {
    fn drop(&mut self) {
        self.state.abandon(&self.semaphore.semaphore);
    }
}

impl fmt::Debug for BoundedAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedAcquire")
            .field("semaphore", self.semaphore)
            .field("state", &self.state)
            .finish()
    }
}
