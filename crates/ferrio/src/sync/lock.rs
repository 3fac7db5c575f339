//! [`Lock`] and its RAII [`LockGuard`]: asyncio's `Lock`.
//!
//! A lock is a [`Semaphore`] of one permit: ownership passes from the
//! releasing guard straight to the longest waiter, through the shared wait
//! list, so the FIFO and cancellation rules are the semaphore's.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::semaphore::{AcquireState, Semaphore};
use crate::debug::deadlock::{Hold, Kind, ResourceTag};
use crate::task::Cancelled;

/// A mutual-exclusion lock for tasks: asyncio's `Lock`.
///
/// [`acquire`](Self::acquire) waits until the lock is free and returns a
/// [`LockGuard`] that releases it when dropped — asyncio's
/// `async with lock:`. Like asyncio's, the lock guards no data of its own
/// (pair it with a `RefCell` for that); unlike a thread mutex it may be
/// held across `.await`.
///
/// Fairness: tasks get the lock in the order they asked for it. A release
/// hands the lock to the longest waiter before that waiter even runs, so a
/// task arriving in between — or the releasing task asking again — queues
/// behind it.
///
/// Debug mode watches for deadlocks: a task waiting for a lock it holds,
/// or tasks waiting for each other's locks in a cycle, is reported at once
/// (see [`debug::deadlocks`](crate::debug::deadlocks) and
/// [`DeadlockAction`](crate::event_loop::DeadlockAction)); name the lock
/// with [`named`](Self::named) to find it in the report. Guards held
/// through an `Rc` ([`acquire_owned`](Self::acquire_owned)) can move to
/// another task, so a cycle through one is not reported.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use ferrio::sync::Lock;
///
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let lock = Rc::new(Lock::new());
///         let log = Rc::new(RefCell::new(Vec::new()));
///         let tasks: Vec<_> = (0..3).map(|i| {
///             let (lock, log) = (lock.clone(), log.clone());
///             ferrio::spawn(async move {
///                 let _guard = lock.acquire().await?;
///                 log.borrow_mut().push(format!("{i} in"));
///                 ferrio::yield_now().await?; // still held across the await
///                 log.borrow_mut().push(format!("{i} out"));
///                 Ok::<_, ferrio::Cancelled>(())
///             })
///         }).collect();
///         for task in tasks {
///             task.await.unwrap().unwrap();
///         }
///         assert_eq!(*log.borrow(), ["0 in", "0 out", "1 in", "1 out", "2 in", "2 out"]);
///     })
///     .unwrap();
/// ```
pub struct Lock {
    semaphore: Semaphore,
}

/// A snapshot of a [`Lock`]'s state, from [`Lock::statistics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockStats {
    /// Whether the lock is held (see [`Lock::locked`]).
    pub locked: bool,
    /// Tasks waiting for the lock.
    pub waiters: usize,
}

impl Lock {
    /// An unlocked lock.
    pub const fn new() -> Lock {
        Lock {
            semaphore: Semaphore::with_tag(1, ResourceTag::new(Kind::Lock, None, 1)),
        }
    }

    /// An unlocked lock, named for diagnostics: debug mode's deadlock
    /// reports call it `Lock 'name'` rather than `Lock #<id>`.
    ///
    /// ```
    /// let accounts = ferrio::sync::Lock::named("accounts");
    /// assert_eq!(accounts.name(), Some("accounts"));
    /// ```
    pub const fn named(name: &'static str) -> Lock {
        Lock {
            semaphore: Semaphore::with_tag(1, ResourceTag::new(Kind::Lock, Some(name), 1)),
        }
    }

    /// The name given to [`named`](Self::named), if any.
    pub fn name(&self) -> Option<&'static str> {
        self.semaphore.name()
    }

    /// Waits until the lock is free and takes it: asyncio's `acquire()`
    /// (and `async with`). Dropping the [`LockGuard`] releases it.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point. Cancelling `acquire` (or dropping the future)
    /// leaves the queue without taking the lock; if the lock had already
    /// been handed to this task, it passes on to the next waiter.
    pub fn acquire(&self) -> LockAcquire<'_> {
        LockAcquire {
            lock: self,
            state: AcquireState::new(),
        }
    }

    /// [`acquire`](Self::acquire) for a lock in an `Rc`: the guard holds its
    /// own reference, so it can be stored or moved into another task.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_owned(self: &Rc<Self>) -> LockAcquireOwned {
        LockAcquireOwned {
            lock: self.clone(),
            state: AcquireState::new(),
        }
    }

    /// Takes the lock if it is free now, without waiting.
    pub fn try_acquire(&self) -> Option<LockGuard<'_>> {
        self.semaphore
            .try_take_held(Hold::Task)
            .then(|| LockGuard { lock: self })
    }

    /// [`try_acquire`](Self::try_acquire), holding an `Rc` to the lock.
    pub fn try_acquire_owned(self: &Rc<Self>) -> Option<OwnedLockGuard> {
        self.semaphore
            .try_take_held(Hold::Owned)
            .then(|| OwnedLockGuard { lock: self.clone() })
    }

    /// Whether the lock is held: asyncio's `locked()`. Between a release
    /// and the moment the waiter it was handed to runs, the lock is not
    /// held (as in asyncio), yet nobody else can take it: the waiter has it
    /// reserved, and newcomers queue behind.
    pub fn locked(&self) -> bool {
        self.semaphore.available_permits() == 0 && !self.semaphore.handoff_in_flight()
    }

    /// Whether it is held, and how many tasks wait, for diagnostics.
    pub fn statistics(&self) -> LockStats {
        let stats = self.semaphore.statistics();
        LockStats {
            locked: self.locked(),
            waiters: stats.waiters,
        }
    }

    /// The semaphore behind the lock (for `Condition`).
    pub(crate) fn semaphore(&self) -> &Semaphore {
        &self.semaphore
    }
}

impl Default for Lock {
    fn default() -> Lock {
        Lock::new()
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.statistics();
        let mut d = f.debug_struct("Lock");
        if let Some(name) = self.name() {
            d.field("name", &name);
        }
        d.field("locked", &stats.locked)
            .field("waiters", &stats.waiters)
            .finish()
    }
}

/// Holds a [`Lock`]; releases it when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
}

impl<'a> LockGuard<'a> {
    /// A guard for a lock just acquired.
    pub(crate) fn new(lock: &'a Lock) -> LockGuard<'a> {
        LockGuard { lock }
    }

    /// The lock this guard holds.
    pub fn lock(&self) -> &'a Lock {
        self.lock
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        self.lock.semaphore.give_back(Hold::Task);
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard")
            .field("lock", self.lock)
            .finish()
    }
}

/// Holds a [`Lock`] through an `Rc`; releases it when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct OwnedLockGuard {
    lock: Rc<Lock>,
}

impl OwnedLockGuard {
    /// The lock this guard holds.
    pub fn lock(&self) -> &Rc<Lock> {
        &self.lock
    }
}

impl Drop for OwnedLockGuard {
    fn drop(&mut self) {
        self.lock.semaphore.give_back(Hold::Owned);
    }
}

impl fmt::Debug for OwnedLockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedLockGuard")
            .field("lock", &*self.lock)
            .finish()
    }
}

/// The future returned by [`Lock::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct LockAcquire<'a> {
    lock: &'a Lock,
    state: AcquireState,
}

impl<'a> Future for LockAcquire<'a> {
    type Output = Result<LockGuard<'a>, Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let lock = this.lock;
        this.state
            .poll(&lock.semaphore, cx, Hold::Task)
            .map_ok(|()| LockGuard { lock })
    }
}

impl Drop for LockAcquire<'_> {
    fn drop(&mut self) {
        self.state.abandon(&self.lock.semaphore);
    }
}

impl fmt::Debug for LockAcquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockAcquire")
            .field("lock", self.lock)
            .field("state", &self.state)
            .finish()
    }
}

/// The future returned by [`Lock::acquire_owned`].
#[must_use = "futures do nothing unless awaited"]
pub struct LockAcquireOwned {
    lock: Rc<Lock>,
    state: AcquireState,
}

impl Future for LockAcquireOwned {
    type Output = Result<OwnedLockGuard, Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let lock = &this.lock;
        this.state
            .poll(&lock.semaphore, cx, Hold::Owned)
            .map_ok(|()| OwnedLockGuard { lock: lock.clone() })
    }
}

impl Drop for LockAcquireOwned {
    fn drop(&mut self) {
        self.state.abandon(&self.lock.semaphore);
    }
}

impl fmt::Debug for LockAcquireOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockAcquireOwned")
            .field("lock", &*self.lock)
            .field("state", &self.state)
            .finish()
    }
}
