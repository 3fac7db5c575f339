//! [`Semaphore`] and its RAII [`SemaphorePermit`]: asyncio's `Semaphore`.
//!
//! The engine of the permit-counting primitives: [`Lock`](super::Lock) is a
//! semaphore of one permit and [`BoundedSemaphore`](super::BoundedSemaphore)
//! wraps one, all through [`AcquireState`].
//!
//! Invariant: while anybody waits, no permit is available (`permits == 0`).
//! A released permit goes straight to the front waiter (granted through the
//! wait list) rather than back into the count, so nobody arriving later can
//! take it first.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::wait_list::{Left, WaitKey, WaitList};
use crate::task::{take_pending_cancel, Cancelled};

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
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use ferrio::sync::Semaphore;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let limit = Rc::new(Semaphore::new(2));
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
pub struct Semaphore {
    permits: Cell<usize>,
    waiters: RefCell<WaitList<()>>,
}

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
    pub const fn new(permits: usize) -> Semaphore {
        Semaphore {
            permits: Cell::new(permits),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    /// Waits for a permit and takes it: asyncio's `acquire()` (and
    /// `async with`). The permit returns to the semaphore when the
    /// [`SemaphorePermit`] is dropped.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point. Cancelling `acquire` (or dropping the future)
    /// takes no permit and gives up the task's place in the queue; a permit
    /// that had already been handed to it passes on to the next waiter.
    pub fn acquire(&self) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            state: AcquireState::new(),
        }
    }

    /// [`acquire`](Self::acquire) for a semaphore in an `Rc`: the permit
    /// holds its own reference, so it can move into another task or
    /// struct.
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Self::acquire).
    pub fn acquire_owned(self: &Rc<Self>) -> AcquireOwned {
        AcquireOwned {
            semaphore: self.clone(),
            state: AcquireState::new(),
        }
    }

    /// Takes a permit if one is available now, without waiting.
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.try_take().then(|| SemaphorePermit { semaphore: self })
    }

    /// [`try_acquire`](Self::try_acquire), holding an `Rc` to the semaphore.
    pub fn try_acquire_owned(self: &Rc<Self>) -> Option<OwnedSemaphorePermit> {
        self.try_take()
            .then(|| OwnedSemaphorePermit::new(self.clone()))
    }

    /// Adds one permit: asyncio's `release()`. The longest waiter, if any,
    /// gets it at once. Pairs with [`SemaphorePermit::forget`] for
    /// acquire/release by hand.
    pub fn release(&self) {
        self.add_permits(1);
    }

    /// Adds `n` permits, handing them to waiters first, in order.
    ///
    /// # Panics
    ///
    /// If the count would overflow `usize`.
    pub fn add_permits(&self, n: usize) {
        let mut left = n;
        while left > 0 {
            let granted = self.waiters.borrow_mut().grant_one(());
            match granted {
                Ok(waker) => {
                    waker.wake();
                    left -= 1;
                }
                Err(()) => break,
            }
        }
        if left > 0 {
            let permits = self
                .permits
                .get()
                .checked_add(left)
                .expect("Semaphore::add_permits: the permit count overflowed usize");
            self.permits.set(permits);
        }
    }

    /// Permits available right now.
    pub fn available_permits(&self) -> usize {
        self.permits.get()
    }

    /// Whether an `acquire` would wait: asyncio's `locked()`.
    pub fn locked(&self) -> bool {
        self.permits.get() == 0
    }

    /// Permits and waiters, for diagnostics.
    pub fn statistics(&self) -> SemaphoreStats {
        SemaphoreStats {
            permits: self.permits.get(),
            waiters: self.waiters.borrow().waiting(),
        }
    }

    /// Takes a permit if one is free. Nobody waits while one is free (see
    /// the module invariant), so taking it overtakes nobody.
    #[inline]
    pub(crate) fn try_take(&self) -> bool {
        let permits = self.permits.get();
        if permits == 0 {
            return false;
        }
        self.permits.set(permits - 1);
        true
    }

    /// Gives back one permit held by a guard.
    #[inline]
    pub(crate) fn give_back(&self) {
        let granted = self.waiters.borrow_mut().grant_one(());
        match granted {
            Ok(waker) => waker.wake(),
            Err(()) => self.permits.set(self.permits.get() + 1),
        }
    }
}

impl Default for Semaphore {
    /// A semaphore with one permit, as asyncio's `Semaphore()`.
    fn default() -> Semaphore {
        Semaphore::new(1)
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.statistics();
        f.debug_struct("Semaphore")
            .field("permits", &stats.permits)
            .field("waiters", &stats.waiters)
            .finish()
    }
}

/// Where an acquire of one permit stands; shared by every future that
/// acquires from a [`Semaphore`] (its own, [`Lock`](super::Lock)'s, the
/// bounded one's, and [`Condition`](super::Condition)'s re-acquire).
#[derive(Debug)]
pub(crate) enum AcquireState {
    /// Not polled yet.
    Idle,
    /// Queued in the semaphore's wait list.
    Waiting(WaitKey),
    /// Acquired, cancelled or abandoned.
    Done,
}

impl AcquireState {
    pub(crate) const fn new() -> AcquireState {
        AcquireState::Idle
    }

    /// Polls the acquire: the task's pending cancellation first, then the
    /// permit.
    #[inline]
    pub(crate) fn poll(
        &mut self,
        semaphore: &Semaphore,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), Cancelled>> {
        if let Some(cancelled) = take_pending_cancel() {
            self.abandon(semaphore);
            return Poll::Ready(Err(cancelled));
        }
        self.poll_uncancellable(semaphore, cx).map(Ok)
    }

    /// Polls for the permit only (for callers that handle cancellation
    /// themselves, as `Condition::wait` re-acquiring its lock).
    #[inline]
    pub(crate) fn poll_uncancellable(
        &mut self,
        semaphore: &Semaphore,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        match *self {
            AcquireState::Idle => {
                if semaphore.try_take() {
                    *self = AcquireState::Done;
                    return Poll::Ready(());
                }
                let key = semaphore.waiters.borrow_mut().push(cx.waker().clone());
                *self = AcquireState::Waiting(key);
                Poll::Pending
            }
            AcquireState::Waiting(key) => {
                let polled = semaphore.waiters.borrow_mut().poll(key, cx.waker());
                if polled.is_ready() {
                    *self = AcquireState::Done;
                }
                polled
            }
            AcquireState::Done => panic!("a ferrio acquire future was polled after it completed"),
        }
    }

    /// Gives up the acquire: leaves the queue, passing on a permit granted
    /// meanwhile (or returning it to the count if nobody waits).
    pub(crate) fn abandon(&mut self, semaphore: &Semaphore) {
        if let AcquireState::Waiting(key) = std::mem::replace(self, AcquireState::Done) {
            let left = semaphore.waiters.borrow_mut().leave(key);
            match left {
                Left::PassedOn(waker) => waker.wake(),
                Left::Returned(()) => semaphore.permits.set(semaphore.permits.get() + 1),
                Left::Unqueued | Left::Discarded(()) => {}
            }
        }
    }
}

/// The future returned by [`Semaphore::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    state: AcquireState,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let semaphore = this.semaphore;
        this.state
            .poll(semaphore, cx)
            .map_ok(|()| SemaphorePermit { semaphore })
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.state.abandon(self.semaphore);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("semaphore", self.semaphore)
            .field("state", &self.state)
            .finish()
    }
}

/// The future returned by [`Semaphore::acquire_owned`].
#[must_use = "futures do nothing unless awaited"]
pub struct AcquireOwned {
    semaphore: Rc<Semaphore>,
    state: AcquireState,
}

impl Future for AcquireOwned {
    type Output = Result<OwnedSemaphorePermit, Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let semaphore = &this.semaphore;
        this.state
            .poll(semaphore, cx)
            .map_ok(|()| OwnedSemaphorePermit::new(semaphore.clone()))
    }
}

impl Drop for AcquireOwned {
    fn drop(&mut self) {
        self.state.abandon(&self.semaphore);
    }
}

impl fmt::Debug for AcquireOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireOwned")
            .field("semaphore", &*self.semaphore)
            .field("state", &self.state)
            .finish()
    }
}

/// One permit of a [`Semaphore`], given back when dropped.
#[must_use = "dropping a permit releases it at once"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit taken without a guard: the semaphore gets it back
    /// only through [`Semaphore::release`] (asyncio's manual
    /// `acquire()`/`release()` pairing).
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.give_back();
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("semaphore", self.semaphore)
            .finish()
    }
}

/// One permit of a [`Semaphore`] held through an `Rc`, given back when
/// dropped.
#[must_use = "dropping a permit releases it at once"]
pub struct OwnedSemaphorePermit {
    semaphore: Rc<Semaphore>,
    /// Cleared by `forget`: the drop then gives nothing back.
    armed: bool,
}

impl OwnedSemaphorePermit {
    pub(crate) fn new(semaphore: Rc<Semaphore>) -> OwnedSemaphorePermit {
        OwnedSemaphorePermit {
            semaphore,
            armed: true,
        }
    }

    /// The semaphore the permit belongs to.
    pub fn semaphore(&self) -> &Rc<Semaphore> {
        &self.semaphore
    }

    /// As [`SemaphorePermit::forget`].
    pub fn forget(mut self) {
        self.armed = false;
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if self.armed {
            self.semaphore.give_back();
        }
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("semaphore", &*self.semaphore)
            .finish()
    }
}
