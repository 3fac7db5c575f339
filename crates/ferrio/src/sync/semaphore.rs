//! [`Semaphore`]: asyncio's `Semaphore`, a cheap-clone handle over the
//! permit [`Engine`]; [`SemaphorePermit`] and [`OwnedSemaphorePermit`] are
//! its guards.

use std::fmt;
use std::rc::Rc;

use super::engine::Engine;
use super::hook::{Hold, Kind, ResourceTag};
use super::permit::{sealed, Acquire, Permit};

/// A pool of permits: asyncio's `Semaphore`.
///
/// [`acquire`](Self::acquire) takes a permit, waiting while none is left;
/// the [`SemaphorePermit`] it returns gives the permit back when dropped
/// (asyncio's `async with sem:`). Waiters are served strictly first come,
/// first served: a released permit goes to the longest waiter, and a task
/// arriving later — even the one that just released — queues behind it.
///
/// [`release`](Self::release) adds a permit by hand, as asyncio's
/// `release()` does; on a `Semaphore` this may raise the count above its
/// initial value (use [`BoundedSemaphore`](super::BoundedSemaphore) to
/// catch that).
///
/// A `Semaphore` is a cheap-clone handle: clones share the same permits,
/// as asyncio tasks share one semaphore object.
///
/// In debug mode, tasks holding permits through [`SemaphorePermit`]s take
/// part in the deadlock detector's wait-for graph (see
/// [`debug::deadlocks`](crate::debug::deadlocks)): a semaphore blocks its
/// waiters for good when every permit is held by a task that is itself
/// blocked for good. Owned permits ([`acquire_owned`](Self::acquire_owned))
/// or ones detached with [`forget`](super::Permit::forget) can change
/// hands, and a semaphore released by hand before debug mode saw it may
/// have any number of permits out, so such semaphores never count as
/// blocking.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use ferrio::sync::Semaphore;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let limit = Semaphore::new(2);
///         let running = Rc::new(Cell::new(0));
///         let tasks: Vec<_> = (0..5).map(|_| {
///             let (limit, running) = (limit.clone(), running.clone());
///             ferrio::spawn(async move {
///                 let _permit = limit.acquire().await?;
///                 running.set(running.get() + 1);
///                 assert!(running.get() <= 2);
///                 ferrio::sleep(Duration::from_secs(1)).await?;
///                 running.set(running.get() - 1);
///                 Ok::<_, ferrio::Cancelled>(())
///             })
///         }).collect();
///         for task in tasks {
///             task.await.unwrap().unwrap();
///         }
///         assert_eq!(limit.available_permits(), 2);
///     })
///     .unwrap();
/// ```
#[derive(Clone)]
pub struct Semaphore {
    engine: Rc<Engine>,
}

/// The future of [`Semaphore::acquire`].
pub type SemaphoreAcquire<'a> = Acquire<&'a Semaphore>;
/// The future of [`Semaphore::acquire_owned`].
pub type SemaphoreAcquireOwned = Acquire<Semaphore>;
/// A permit of a [`Semaphore`], borrowing it: given back when dropped.
pub type SemaphorePermit<'a> = Permit<&'a Semaphore>;
/// A permit of a [`Semaphore`] that owns a handle to it, to store or move
/// into another task: given back when dropped.
pub type OwnedSemaphorePermit = Permit<Semaphore>;

/// A snapshot of a [`Semaphore`]'s state, from [`Semaphore::statistics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemaphoreStats {
    /// Permits available right now.
    pub permits: usize,
    /// Tasks waiting for a permit.
    pub waiters: usize,
}

impl Semaphore {
    /// A semaphore holding `permits` permits.
    pub fn new(permits: usize) -> Semaphore {
        Semaphore::with_tag(permits, ResourceTag::new(Kind::Semaphore, None, permits))
    }

    /// A semaphore holding `permits` permits, named for diagnostics: debug
    /// mode's deadlock reports call it `Semaphore 'name'` rather than
    /// `Semaphore #<id>`.
    ///
    /// ```
    /// let pool = ferrio::sync::Semaphore::named("db-pool", 10);
    /// assert_eq!(pool.name(), Some("db-pool"));
    /// ```
    pub fn named(name: &'static str, permits: usize) -> Semaphore {
        Semaphore::with_tag(
            permits,
            ResourceTag::new(Kind::Semaphore, Some(name), permits),
        )
    }

    fn with_tag(permits: usize, tag: ResourceTag) -> Semaphore {
        Semaphore {
            engine: Rc::new(Engine::new(permits, tag)),
        }
    }

    /// The name given to [`named`](Self::named), if any.
    pub fn name(&self) -> Option<&'static str> {
        self.engine.tag().name()
    }

    /// Who it is for the deadlock detector.
    #[cfg(test)]
    pub(crate) fn tag(&self) -> &ResourceTag {
        self.engine.tag()
    }

    /// Waits for a permit and takes it: asyncio's `acquire()` (and
    /// `async with`). The permit returns to the semaphore when the
    /// [`SemaphorePermit`] is dropped.
    ///
    /// # Cancel safety
    ///
    /// A free permit is taken at once, even with a cancellation pending.
    /// Otherwise a cancellation point: cancelling `acquire` (or dropping the
    /// future) takes no permit and gives up the task's place in the queue;
    /// a permit that had already been handed to it passes on to the next
    /// waiter.
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        Acquire::new(self)
    }

    /// [`acquire`](Self::acquire) giving an [`OwnedSemaphorePermit`], which
    /// holds its own handle to the semaphore, so it can be stored or moved
    /// into another task.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_owned(&self) -> SemaphoreAcquireOwned {
        Acquire::new(self.clone())
    }

    /// Takes a permit if one is available now (and nobody is ahead),
    /// without waiting.
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        Permit::try_take(self)
    }

    /// [`try_acquire`](Self::try_acquire), giving an owned permit.
    pub fn try_acquire_owned(&self) -> Option<OwnedSemaphorePermit> {
        Permit::try_take(self.clone())
    }

    /// Adds one permit: asyncio's `release()`. The longest waiter, if any,
    /// gets it at once. Pairs with [`forget`](super::Permit::forget) for
    /// acquire/release by hand.
    pub fn release(&self) {
        self.engine.add_permits(1);
    }

    /// Adds `n` permits, handing them to waiters first, in order.
    ///
    /// # Panics
    ///
    /// If the count would overflow `usize`.
    pub fn add_permits(&self, n: usize) {
        self.engine.add_permits(n);
    }

    /// Permits available right now.
    pub fn available_permits(&self) -> usize {
        self.engine.available()
    }

    /// Whether an `acquire` would wait: asyncio's `locked()`. True while
    /// no permit is spare, and also while tasks are queued or a woken
    /// waiter has not taken its permit yet (strict FIFO: a newcomer queues
    /// behind them).
    pub fn locked(&self) -> bool {
        self.engine.locked()
    }

    /// Permits and waiters, for diagnostics.
    pub fn statistics(&self) -> SemaphoreStats {
        SemaphoreStats {
            permits: self.engine.available(),
            waiters: self.engine.waiting(),
        }
    }

    /// Whether `self` and `other` are handles to the same semaphore.
    pub fn ptr_eq(&self, other: &Semaphore) -> bool {
        Rc::ptr_eq(&self.engine, &other.engine)
    }
}

impl Default for Semaphore {
    /// A semaphore of one permit, as asyncio's default.
    fn default() -> Semaphore {
        Semaphore::new(1)
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.engine, f)
    }
}

impl sealed::Source for &Semaphore {
    fn engine(&self) -> &Engine {
        &self.engine
    }
    const HOLD: Hold = Hold::Task;
}

impl sealed::Source for Semaphore {
    fn engine(&self) -> &Engine {
        &self.engine
    }
    const HOLD: Hold = Hold::Owned;
}

impl<'a> Permit<&'a Semaphore> {
    /// The semaphore this permit came from.
    pub fn semaphore(&self) -> &'a Semaphore {
        self.source()
    }
}

impl Permit<Semaphore> {
    /// The semaphore this permit came from.
    pub fn semaphore(&self) -> &Semaphore {
        self.source()
    }
}
