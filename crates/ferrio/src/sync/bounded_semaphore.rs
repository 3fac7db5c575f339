//! [`BoundedSemaphore`]: asyncio's `BoundedSemaphore`, a semaphore that
//! refuses to be released above its initial value.
//!
//! Permits taken through [`BoundedSemaphorePermit`] go back when the guard
//! drops and can never overflow the bound. Only a hand release can, so the
//! bound is checked there: a hand release must match a permit detached
//! from its guard with [`forget`](super::Permit::forget), and `detached`
//! counts those.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use super::engine::Engine;
use super::hook::{Hold, Kind, ResourceTag};
use super::permit::{sealed, Acquire, Permit};

/// A semaphore that cannot be released more often than acquired: asyncio's
/// `BoundedSemaphore`. [`release`](Self::release) past the initial value
/// is a [`TooManyReleases`] error instead of a silent extra permit.
///
/// Fairness and cancellation are [`Semaphore`](super::Semaphore)'s; like
/// it, a `BoundedSemaphore` is a cheap-clone handle.
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
#[derive(Clone)]
pub struct BoundedSemaphore {
    inner: Rc<Bounded>,
}

struct Bounded {
    engine: Engine,
    bound: usize,
    /// Permits taken whose guard was forgotten: what `release` may return.
    detached: Cell<usize>,
}

/// The future of [`BoundedSemaphore::acquire`].
pub type BoundedAcquire<'a> = Acquire<&'a BoundedSemaphore>;
/// The future of [`BoundedSemaphore::acquire_owned`].
pub type BoundedAcquireOwned = Acquire<BoundedSemaphore>;
/// A permit of a [`BoundedSemaphore`], borrowing it: given back when
/// dropped.
pub type BoundedSemaphorePermit<'a> = Permit<&'a BoundedSemaphore>;
/// A permit of a [`BoundedSemaphore`] that owns a handle to it: given back
/// when dropped.
pub type OwnedBoundedSemaphorePermit = Permit<BoundedSemaphore>;

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
    pub fn new(bound: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            inner: Rc::new(Bounded {
                engine: Engine::new(bound, ResourceTag::new(Kind::BoundedSemaphore, None, bound)),
                bound,
                detached: Cell::new(0),
            }),
        }
    }

    /// Waits for a permit and takes it, as [`Semaphore::acquire`](super::Semaphore::acquire).
    ///
    /// # Cancel safety
    ///
    /// A free permit is taken at once, even with a cancellation pending.
    /// Otherwise a cancellation point; cancelling takes no permit, and a
    /// permit already handed to this task passes on to the next waiter.
    pub fn acquire(&self) -> BoundedAcquire<'_> {
        Acquire::new(self)
    }

    /// [`acquire`](Self::acquire) giving an owned permit, to store or move
    /// into another task.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_owned(&self) -> BoundedAcquireOwned {
        Acquire::new(self.clone())
    }

    /// Takes a permit if one is available now (and nobody is ahead).
    pub fn try_acquire(&self) -> Option<BoundedSemaphorePermit<'_>> {
        Permit::try_take(self)
    }

    /// [`try_acquire`](Self::try_acquire), giving an owned permit.
    pub fn try_acquire_owned(&self) -> Option<OwnedBoundedSemaphorePermit> {
        Permit::try_take(self.clone())
    }

    /// Gives back a permit taken by hand (one whose guard was
    /// [`forget`](super::Permit::forget)-ed): asyncio's `release()`.
    ///
    /// # Errors
    ///
    /// [`TooManyReleases`] if no permit is held by hand, which is when the
    /// release would lift the count above the bound; nothing changes.
    pub fn release(&self) -> Result<(), TooManyReleases> {
        let detached = self.inner.detached.get();
        if detached == 0 {
            return Err(TooManyReleases {
                bound: self.inner.bound,
            });
        }
        self.inner.detached.set(detached - 1);
        self.inner.engine.give_back_detached();
        Ok(())
    }

    /// Permits available right now.
    pub fn available_permits(&self) -> usize {
        self.inner.engine.available()
    }

    /// The initial (and largest) number of permits.
    pub fn bound(&self) -> usize {
        self.inner.bound
    }

    /// Whether an `acquire` would wait: asyncio's `locked()`.
    pub fn locked(&self) -> bool {
        self.inner.engine.locked()
    }

    /// Permits, waiters and the bound, for diagnostics.
    pub fn statistics(&self) -> BoundedSemaphoreStats {
        BoundedSemaphoreStats {
            permits: self.inner.engine.available(),
            waiters: self.inner.engine.waiting(),
            bound: self.inner.bound,
        }
    }

    /// Whether `self` and `other` are handles to the same semaphore.
    pub fn ptr_eq(&self, other: &BoundedSemaphore) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
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

impl sealed::Source for &BoundedSemaphore {
    fn engine(&self) -> &Engine {
        &self.inner.engine
    }
    const HOLD: Hold = Hold::Task;
    fn forgotten(&self) {
        let detached = &self.inner.detached;
        detached.set(detached.get() + 1);
    }
}

impl sealed::Source for BoundedSemaphore {
    fn engine(&self) -> &Engine {
        &self.inner.engine
    }
    const HOLD: Hold = Hold::Owned;
    fn forgotten(&self) {
        (&self).forgotten();
    }
}
