//! [`Lock`] and its RAII [`LockGuard`]: asyncio's `Lock`.
//!
//! A lock is the permit [`Engine`] with one permit: ownership passes from
//! the releasing guard straight to the longest waiter, through the shared
//! wait list, so the FIFO and cancellation rules are the semaphore's.

use std::fmt;
use std::rc::Rc;

use super::engine::Engine;
use super::hook::{Hold, Kind, ResourceTag};
use super::permit::{sealed, Acquire, Permit};

/// A mutual-exclusion lock for tasks: asyncio's `Lock`.
///
/// [`acquire`](Self::acquire) waits until the lock is free and returns a
/// [`LockGuard`] that releases it when dropped — asyncio's
/// `async with lock:`. Like asyncio's, the lock guards no data of its own
/// (pair it with a `RefCell` for that); unlike a thread mutex it may be
/// held across `.await`. A `Lock` is a cheap-clone handle: clones are the
/// same lock, as asyncio tasks share one lock object.
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
/// with [`named`](Self::named) to find it in the report. Owned guards
/// ([`acquire_owned`](Self::acquire_owned)) can move to another task, so a
/// cycle through one is not reported.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use ferrio::sync::Lock;
///
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let lock = Lock::new();
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
#[derive(Clone)]
pub struct Lock {
    engine: Rc<Engine>,
}

/// The future of [`Lock::acquire`].
pub type LockAcquire<'a> = Acquire<&'a Lock>;
/// The future of [`Lock::acquire_owned`].
pub type LockAcquireOwned = Acquire<Lock>;
/// Holds a [`Lock`], borrowing it; releases it when dropped.
pub type LockGuard<'a> = Permit<&'a Lock>;
/// Holds a [`Lock`] through its own handle, to store or move into another
/// task; releases it when dropped.
pub type OwnedLockGuard = Permit<Lock>;

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
    pub fn new() -> Lock {
        Lock::with_tag(ResourceTag::new(Kind::Lock, None, 1))
    }

    /// An unlocked lock, named for diagnostics: debug mode's deadlock
    /// reports call it `Lock 'name'` rather than `Lock #<id>`.
    ///
    /// ```
    /// let accounts = ferrio::sync::Lock::named("accounts");
    /// assert_eq!(accounts.name(), Some("accounts"));
    /// ```
    pub fn named(name: &'static str) -> Lock {
        Lock::with_tag(ResourceTag::new(Kind::Lock, Some(name), 1))
    }

    fn with_tag(tag: ResourceTag) -> Lock {
        Lock {
            engine: Rc::new(Engine::new(1, tag)),
        }
    }

    /// The name given to [`named`](Self::named), if any.
    pub fn name(&self) -> Option<&'static str> {
        self.engine.tag().name()
    }

    /// Waits until the lock is free and takes it: asyncio's `acquire()`
    /// (and `async with`). Dropping the [`LockGuard`] releases it.
    ///
    /// # Cancel safety
    ///
    /// A free lock is taken at once, even with a cancellation pending.
    /// Otherwise a cancellation point: cancelling `acquire` (or dropping the
    /// future) leaves the queue without taking the lock; if the lock had
    /// already been handed to this task, it passes on to the next waiter.
    pub fn acquire(&self) -> LockAcquire<'_> {
        Acquire::new(self)
    }

    /// [`acquire`](Self::acquire) giving an [`OwnedLockGuard`], which holds
    /// its own handle to the lock, so it can be stored or moved into
    /// another task.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_owned(&self) -> LockAcquireOwned {
        Acquire::new(self.clone())
    }

    /// Takes the lock if it is free now (and nobody is ahead), without
    /// waiting.
    pub fn try_acquire(&self) -> Option<LockGuard<'_>> {
        Permit::try_take(self)
    }

    /// [`try_acquire`](Self::try_acquire), giving an owned guard.
    pub fn try_acquire_owned(&self) -> Option<OwnedLockGuard> {
        Permit::try_take(self.clone())
    }

    /// Whether the lock is held: asyncio's `locked()`. Between a release
    /// and the moment the waiter it was handed to runs, the lock is not
    /// held (as in asyncio), yet nobody else can take it: the waiter has it
    /// reserved, and newcomers queue behind.
    pub fn locked(&self) -> bool {
        self.engine.available() == 0 && !self.engine.handoff_in_flight()
    }

    /// Whether it is held, and how many tasks wait, for diagnostics.
    pub fn statistics(&self) -> LockStats {
        LockStats {
            locked: self.locked(),
            waiters: self.engine.waiting(),
        }
    }

    /// Whether `self` and `other` are handles to the same lock.
    pub fn ptr_eq(&self, other: &Lock) -> bool {
        Rc::ptr_eq(&self.engine, &other.engine)
    }

    /// The permit engine behind the lock (for `Condition`).
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
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

impl sealed::Source for &Lock {
    fn engine(&self) -> &Engine {
        &self.engine
    }
    const HOLD: Hold = Hold::Task;
}

impl sealed::Source for Lock {
    fn engine(&self) -> &Engine {
        &self.engine
    }
    const HOLD: Hold = Hold::Owned;
}

impl<'a> Permit<&'a Lock> {
    /// The lock this guard holds.
    pub fn lock(&self) -> &'a Lock {
        self.source()
    }
}

impl Permit<Lock> {
    /// The lock this guard holds.
    pub fn lock(&self) -> &Lock {
        self.source()
    }
}
