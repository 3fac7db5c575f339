//! [`Semaphore`] and its RAII [`SemaphorePermit`]: asyncio's `Semaphore`.
//!
//! The engine of the permit-counting primitives: [`Lock`](super::Lock) is a
//! semaphore of one permit and [`BoundedSemaphore`](super::BoundedSemaphore)
//! wraps one, all through [`AcquireState`].
//!
//! Strict FIFO, as asyncio's: a released permit goes straight to the front
//! waiter (granted through the wait list) rather than back into the count,
//! and while anybody is queued or a hand-off is in flight (a waiter granted
//! a permit whose task has not run yet), a newcomer queues even if permits
//! are spare. So `permits > 0` only with nobody queued, or with hand-offs
//! in flight; when a woken waiter takes its permit, it passes the spare
//! ones on to the waiters queued behind it (asyncio's `acquire` wakes the
//! next waiters "while value > 0").
//!
//! Debug mode's deadlock detector (`debug/deadlock.rs`) hooks in here:
//! permits taken, handed over and given back, and waits, are recorded for
//! a semaphore it tracks. Off, an acquire pays one thread-local read
//! ([`deadlock::tracking`]) and a release one read of the semaphore's
//! [`ResourceTag`]; guards carry nothing for it.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::wait_list::{Left, WaitKey, WaitList};
use super::waiter::{Wait, Waiter};
use crate::debug::deadlock::{self, Hold, Kind, ResourceTag};
use crate::task::Cancelled;

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
/// In debug mode, tasks holding permits through [`SemaphorePermit`]s take
/// part in the deadlock detector's wait-for graph (see
/// [`debug::deadlocks`](crate::debug::deadlocks)): a semaphore blocks its
/// waiters for good when every permit is held by a task that is itself
/// blocked for good. Permits held through an `Rc`
/// ([`acquire_owned`](Self::acquire_owned)) or detached with
/// [`forget`](SemaphorePermit::forget) can change hands, and a semaphore
/// released by hand before debug mode saw it may have any number of
/// permits out, so such semaphores never count as blocking.
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
    /// Who it is for the deadlock detector.
    tag: ResourceTag,
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
    pub const fn named(name: &'static str, permits: usize) -> Semaphore {
        Semaphore::with_tag(
            permits,
            ResourceTag::new(Kind::Semaphore, Some(name), permits),
        )
    }

    /// The engine of a `Lock` or a `BoundedSemaphore`.
    pub(crate) const fn with_tag(permits: usize, tag: ResourceTag) -> Semaphore {
        Semaphore {
            permits: Cell::new(permits),
            waiters: RefCell::new(WaitList::new()),
            tag,
        }
    }

    /// The name given to [`named`](Self::named), if any.
    pub fn name(&self) -> Option<&'static str> {
        self.tag.name()
    }

    /// Who it is for the deadlock detector.
    #[cfg(test)]
    pub(crate) fn tag(&self) -> &ResourceTag {
        &self.tag
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
        self.try_take_held(Hold::Task)
            .then(|| SemaphorePermit { semaphore: self })
    }

    /// [`try_acquire`](Self::try_acquire), holding an `Rc` to the semaphore.
    pub fn try_acquire_owned(self: &Rc<Self>) -> Option<OwnedSemaphorePermit> {
        self.try_take_held(Hold::Owned)
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
        deadlock::hand_released(&self.tag, n);
        let mut left = n;
        while left > 0 {
            let granted = self.waiters.borrow_mut().grant_front(());
            match granted {
                Ok((key, waker)) => {
                    if self.tag.is_tracked() {
                        deadlock::granted(&self.tag, key);
                    }
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

    /// Whether an `acquire` would wait: asyncio's `locked()`. True while
    /// no permit is spare, and also while tasks are queued or a woken
    /// waiter has not taken its permit yet (strict FIFO: a newcomer queues
    /// behind them).
    pub fn locked(&self) -> bool {
        self.permits.get() == 0 || !self.waiters.borrow().is_idle()
    }

    /// Whether a permit is handed to a woken waiter that has not run yet.
    pub(crate) fn handoff_in_flight(&self) -> bool {
        self.waiters.borrow().handoffs() > 0
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
        if permits == 0 || !self.waiters.borrow().is_idle() {
            return false;
        }
        self.permits.set(permits - 1);
        true
    }

    /// Hands spare permits to the waiters queued behind a hand-off that just
    /// completed (see the module docs).
    fn pass_spare_permits(&self) {
        while self.permits.get() > 0 {
            let granted = self.waiters.borrow_mut().grant_front(());
            match granted {
                Ok((key, waker)) => {
                    self.permits.set(self.permits.get() - 1);
                    if self.tag.is_tracked() {
                        deadlock::granted(&self.tag, key);
                    }
                    waker.wake();
                }
                Err(()) => break,
            }
        }
    }

    #[inline]
    pub(crate) fn try_take_held(&self, hold: Hold) -> bool {
        let taken = self.try_take();
        if taken && deadlock::tracking() {
            deadlock::acquired(&self.tag, self.permits.get(), hold);
        }
        taken
    }

    /// Gives back one permit held by a guard of kind `hold`.
    #[inline]
    pub(crate) fn give_back(&self, hold: Hold) {
        if self.tag.is_tracked() {
            return self.give_back_tracked(hold);
        }
        let granted = self.waiters.borrow_mut().grant_one(());
        match granted {
            Ok(waker) => waker.wake(),
            Err(()) => self.permits.set(self.permits.get() + 1),
        }
    }

    #[cold]
    #[inline(never)]
    fn give_back_tracked(&self, hold: Hold) {
        deadlock::released(&self.tag, hold);
        self.return_permit();
    }

    /// Gives back a permit detached from its guard
    /// (`BoundedSemaphore::release`).
    pub(crate) fn give_back_detached(&self) {
        deadlock::hand_released(&self.tag, 1);
        self.return_permit();
    }

    /// Hands a permit to the front waiter, or back to the count, telling
    /// the deadlock detector.
    fn return_permit(&self) {
        let granted = self.waiters.borrow_mut().grant_front(());
        match granted {
            Ok((key, waker)) => {
                if self.tag.is_tracked() {
                    deadlock::granted(&self.tag, key);
                }
                waker.wake();
            }
            Err(()) => self.permits.set(self.permits.get() + 1),
        }
    }

    /// A permit held by a guard of kind `hold` is detached with `forget`.
    pub(crate) fn forget_permit(&self, hold: Hold) {
        if self.tag.is_tracked() {
            deadlock::forgotten(&self.tag, hold);
        }
    }
}

impl Drop for Semaphore {
    fn drop(&mut self) {
        if self.tag.is_tracked() {
            deadlock::dropped(&self.tag);
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
        let mut d = f.debug_struct("Semaphore");
        if let Some(name) = self.name() {
            d.field("name", &name);
        }
        d.field("permits", &stats.permits)
            .field("waiters", &stats.waiters)
            .finish()
    }
}

/// One acquire of a [`Semaphore`], as the shared waiter protocol
/// (`sync::waiter`) sees it.
struct SemaphoreWait<'s> {
    semaphore: &'s Semaphore,
    hold: Hold,
    /// Whether a cancellation ends the wait (not for a `Condition`
    /// re-acquiring its lock): told to the deadlock detector.
    cancellable: bool,
}

impl Wait for SemaphoreWait<'_> {
    type Grant = ();
    type Output = Result<(), Cancelled>;

    #[inline]
    fn try_now(&mut self) -> Option<Self::Output> {
        self.semaphore.try_take_held(self.hold).then_some(Ok(()))
    }

    fn enqueue(&mut self, waker: &Waker) -> WaitKey {
        self.semaphore.waiters.borrow_mut().push(waker.clone())
    }

    fn poll_grant(&mut self, key: WaitKey, waker: &Waker) -> Poll<()> {
        let semaphore = self.semaphore;
        let polled = semaphore.waiters.borrow_mut().poll(key, waker);
        if polled.is_ready() {
            // Untracked, the wait was not recorded either: `on_pending`
            // tracks the semaphore in debug mode.
            if semaphore.tag.is_tracked() {
                let permits = semaphore.permits.get();
                deadlock::taken(&semaphore.tag, key, permits, self.hold, waker);
            }
            semaphore.pass_spare_permits();
        }
        polled
    }

    fn granted(&mut self, (): ()) -> Self::Output {
        Ok(())
    }

    fn leave(&mut self, key: WaitKey) {
        let semaphore = self.semaphore;
        let tracked = semaphore.tag.is_tracked();
        let mut waiters = semaphore.waiters.borrow_mut();
        // Who a permit handed to this waiter passes on to.
        let front = if tracked { waiters.front() } else { None };
        let left = waiters.leave(key);
        drop(waiters);
        if tracked {
            let passed_to = front.filter(|_| matches!(left, Left::PassedOn(_)));
            deadlock::left(&semaphore.tag, key, passed_to);
        }
        match left {
            Left::PassedOn(waker) => waker.wake(),
            Left::Returned(()) => semaphore.permits.set(semaphore.permits.get() + 1),
            Left::Unqueued | Left::Discarded(()) => {}
        }
    }

    fn cancelled(&mut self, cancelled: Cancelled) -> Self::Output {
        Err(cancelled)
    }

    fn label(&self) -> &'static str {
        self.semaphore.tag.kind().wait_label()
    }

    fn on_pending(&mut self, key: WaitKey, cx: &Context<'_>) {
        if deadlock::tracking() {
            let semaphore = self.semaphore;
            deadlock::waiting(
                &semaphore.tag,
                semaphore.permits.get(),
                key,
                self.cancellable,
                cx.waker(),
            );
        }
    }
}

/// The state of an acquire future, shared by every permit-counting
/// primitive's acquire (`Semaphore`, `Lock`, `BoundedSemaphore`, a
/// `Condition` re-acquiring its lock).
#[derive(Debug)]
pub(crate) struct AcquireState(Waiter);

impl AcquireState {
    pub(crate) const fn new() -> AcquireState {
        AcquireState(Waiter::new())
    }

    /// Polls the acquire; `Ready(Ok(()))` once the caller holds a permit.
    #[inline]
    pub(crate) fn poll(
        &mut self,
        semaphore: &Semaphore,
        cx: &mut Context<'_>,
        hold: Hold,
    ) -> Poll<Result<(), Cancelled>> {
        let mut wait = SemaphoreWait {
            semaphore,
            hold,
            cancellable: true,
        };
        self.0.poll(&mut wait, cx)
    }

    /// Polls an acquire that a cancellation does not end: a delivered
    /// cancellation is recorded in `deferred` and the wait goes on.
    pub(crate) fn poll_deferring(
        &mut self,
        semaphore: &Semaphore,
        cx: &mut Context<'_>,
        deferred: &mut Option<Cancelled>,
    ) -> Poll<()> {
        let mut wait = SemaphoreWait {
            semaphore,
            hold: Hold::Task,
            cancellable: false,
        };
        self.0.poll_deferring(&mut wait, cx, deferred).map(|_| ())
    }

    /// Leaves the queue if still in it, passing on a permit handed to it.
    pub(crate) fn abandon(&mut self, semaphore: &Semaphore) {
        let mut wait = SemaphoreWait {
            semaphore,
            hold: Hold::Task,
            cancellable: true,
        };
        self.0.abandon(&mut wait);
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
            .poll(semaphore, cx, Hold::Task)
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
            .poll(semaphore, cx, Hold::Owned)
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
        self.semaphore.forget_permit(Hold::Task);
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.give_back(Hold::Task);
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
        self.semaphore.forget_permit(Hold::Owned);
        self.armed = false;
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if self.armed {
            self.semaphore.give_back(Hold::Owned);
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
