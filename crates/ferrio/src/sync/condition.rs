//! [`Condition`]: asyncio's `Condition`, a wait queue tied to a [`Lock`].
//!
//! `wait` runs in three phases: it queues on the condition and releases the
//! lock; it waits to be notified (or cancelled); then it re-acquires the
//! lock, queueing behind the lock's other waiters, and returns only once it
//! holds the lock again — even when cancelled, as asyncio's does, so code
//! after a cancelled wait still runs under the lock. A wait that ends by a
//! cancellation after it was queued wakes another waiter in its place, as
//! asyncio's `wait()` re-notifies on any error: a notification it received
//! passes on (the shared wait list does that), or, if it was notified and
//! then cancelled while re-acquiring the lock, a new one is given (a
//! spurious wake-up at worst, which the condition-variable contract allows).

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::engine::AcquireState;
use super::lock::{Lock, LockAcquire, LockGuard, LockStats};
use super::permit::{Permit, PermitSource};
use super::wait_list::{Left, WaitKey, WaitList};
use super::waiter::{Wait, Waiter};
use crate::task::Cancelled;

/// A condition variable for tasks: asyncio's `Condition`.
///
/// Hold the condition's lock (from [`acquire`](Self::acquire)), then
/// [`wait`](Self::wait) with the guard: the lock is released while waiting
/// and held again when `wait` returns. [`notify`](Self::notify) wakes the
/// longest-waiting tasks, [`notify_all`](Self::notify_all) every one.
/// Several conditions may share one lock ([`with_lock`](Self::with_lock)).
/// A `Condition` is a cheap-clone handle; `wait` takes the lock's borrowed
/// guard ([`LockGuard`]) or an owned one ([`OwnedLockGuard`](super::OwnedLockGuard))
/// and gives back the same kind.
///
/// asyncio requires the lock to be held around `notify`; ferrio does not
/// check it (on one thread no task can slip in between), but holding it
/// keeps the code portable and clear.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use ferrio::sync::Condition;
///
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let cond = Condition::new();
///         let items = Rc::new(RefCell::new(Vec::new()));
///         let (c, i) = (cond.clone(), items.clone());
///         let consumer = ferrio::spawn(async move {
///             let guard = c.acquire().await?;
///             let _guard = c.wait_for(guard, || !i.borrow().is_empty()).await?;
///             Ok::<_, ferrio::Cancelled>(i.borrow_mut().pop())
///         });
///         ferrio::yield_now().await.unwrap();
///         {
///             let _guard = cond.acquire().await.unwrap();
///             items.borrow_mut().push("job");
///             cond.notify(1);
///         }
///         assert_eq!(consumer.await.unwrap().unwrap(), Some("job"));
///     })
///     .unwrap();
/// ```
#[derive(Clone)]
pub struct Condition {
    inner: Rc<Inner>,
}

struct Inner {
    lock: Lock,
    waiters: RefCell<WaitList<()>>,
}

/// A snapshot of a [`Condition`]'s state, from [`Condition::statistics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConditionStats {
    /// Tasks waiting to be notified.
    pub waiters: usize,
    /// The state of the condition's lock.
    pub lock: LockStats,
}

impl Condition {
    /// A condition with a lock of its own.
    pub fn new() -> Condition {
        Condition::with_lock(Lock::new())
    }

    /// A condition over `lock`, which other conditions may share.
    pub fn with_lock(lock: Lock) -> Condition {
        Condition {
            inner: Rc::new(Inner {
                lock,
                waiters: RefCell::new(WaitList::new()),
            }),
        }
    }

    /// The condition's lock.
    pub fn lock(&self) -> &Lock {
        &self.inner.lock
    }

    /// Acquires the condition's lock: asyncio's `acquire()` and
    /// `async with cond:`.
    ///
    /// # Cancel safety
    ///
    /// As [`Lock::acquire`].
    pub fn acquire(&self) -> LockAcquire<'_> {
        self.inner.lock.acquire()
    }

    /// Takes the condition's lock if it is free now.
    pub fn try_acquire(&self) -> Option<LockGuard<'_>> {
        self.inner.lock.try_acquire()
    }

    /// Whether the condition's lock is held: asyncio's `locked()`.
    pub fn locked(&self) -> bool {
        self.inner.lock.locked()
    }

    /// Releases the lock held by `guard`, waits until notified, then
    /// re-acquires the lock and returns it as a guard of the same kind:
    /// asyncio's `wait()`.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point (a wait always suspends), and as in asyncio the
    /// lock is held again before the cancellation is reported: the error,
    /// [`ConditionCancelled`], carries the re-acquired guard (`?` drops it,
    /// which releases the lock, as leaving asyncio's `async with` would).
    /// Cancellations that arrive while re-acquiring are collected and the
    /// outermost is reported. A wait cancelled after it was queued wakes
    /// another waiter in its place (see the module docs), so no
    /// notification is lost. Dropping the future instead gives up its place
    /// in both queues and holds nothing.
    ///
    /// # Panics
    ///
    /// If `guard` holds another lock than this condition's.
    pub fn wait<S: PermitSource>(&self, guard: Permit<S>) -> ConditionWait<'_, S> {
        self.check_guard(&guard, "wait");
        ConditionWait {
            condition: self,
            source: guard.source().clone(),
            guard: Some(guard),
            notify: Waiter::new(),
            relock: None,
            cancelled: None,
            passed_on: false,
            done: false,
        }
    }

    /// Waits until `predicate` returns `true`, checking it first and after
    /// each wake-up, with the lock held: asyncio's `wait_for(predicate)`.
    /// If it holds at once, no suspension, so no cancellation either.
    ///
    /// # Cancel safety
    ///
    /// As [`wait`](Self::wait): a cancelled `wait_for` returns the
    /// re-acquired guard in [`ConditionCancelled`].
    ///
    /// # Panics
    ///
    /// If `guard` holds another lock than this condition's.
    pub fn wait_for<S, P>(&self, guard: Permit<S>, predicate: P) -> ConditionWaitFor<'_, S, P>
    where
        S: PermitSource,
        P: FnMut() -> bool,
    {
        self.check_guard(&guard, "wait_for");
        ConditionWaitFor {
            condition: self,
            guard: Some(guard),
            wait: None,
            predicate,
        }
    }

    fn check_guard<S: PermitSource>(&self, guard: &Permit<S>, what: &str) {
        assert!(
            std::ptr::eq(guard.source().engine(), self.inner.lock.engine()),
            "Condition::{what}: the guard holds another lock than the condition's"
        );
    }

    /// Wakes up to `n` of the longest-waiting tasks: asyncio's `notify(n)`.
    /// Returns how many were woken. Each still has to re-acquire the lock.
    pub fn notify(&self, n: usize) -> usize {
        let mut woken = 0;
        while woken < n {
            let granted = self.inner.waiters.borrow_mut().grant_one(());
            match granted {
                Ok(waker) => {
                    waker.wake();
                    woken += 1;
                }
                Err(()) => break,
            }
        }
        woken
    }

    /// Wakes every waiting task: asyncio's `notify_all()`. Returns how many
    /// were woken.
    pub fn notify_all(&self) -> usize {
        let wakers = self.inner.waiters.borrow_mut().grant_all(|| ());
        let woken = wakers.len();
        wakers.into_iter().for_each(|w| w.wake());
        woken
    }

    /// Waiters and lock state, for diagnostics.
    pub fn statistics(&self) -> ConditionStats {
        ConditionStats {
            waiters: self.inner.waiters.borrow().waiting(),
            lock: self.inner.lock.statistics(),
        }
    }
}

impl Default for Condition {
    fn default() -> Condition {
        Condition::new()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.statistics();
        f.debug_struct("Condition")
            .field("waiters", &stats.waiters)
            .field("lock", &self.inner.lock)
            .finish()
    }
}

/// A [`Condition`] wait was cancelled; the lock is held again, by `guard`
/// (a borrowed [`LockGuard`] or an owned guard, as given to `wait`).
///
/// Converts into [`Cancelled`] (dropping the guard, so releasing the lock)
/// for `?`.
pub struct ConditionCancelled<S: PermitSource> {
    /// The condition's lock, re-acquired before the cancellation was
    /// reported.
    pub guard: Permit<S>,
    /// The task's cancellation: propagate it to end the task cancelled.
    pub cancelled: Cancelled,
}

impl<S: PermitSource> From<ConditionCancelled<S>> for Cancelled {
    fn from(e: ConditionCancelled<S>) -> Cancelled {
        e.cancelled
    }
}

impl<S: PermitSource> fmt::Debug for ConditionCancelled<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionCancelled")
            .field("cancelled", &self.cancelled)
            .finish_non_exhaustive()
    }
}

impl<S: PermitSource> fmt::Display for ConditionCancelled<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} while waiting on a Condition (the lock is held again; propagate the \
             cancellation with `?` or drop the guard to release it)",
            self.cancelled
        )
    }
}

impl<S: PermitSource> std::error::Error for ConditionCancelled<S> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cancelled)
    }
}

/// Waiting on the condition's own queue, as the shared waiter protocol
/// (`sync::waiter`) sees it. The guard is released once queued.
struct NotifyWait<'c, 'a, S: PermitSource> {
    condition: &'a Condition,
    guard: &'c mut Option<Permit<S>>,
    /// Leaving because of a cancellation (not a drop): wake another waiter
    /// in this one's place even if it was not notified, as asyncio does.
    renotify: bool,
}

impl<S: PermitSource> Wait for NotifyWait<'_, '_, S> {
    type Grant = ();
    type Output = Result<(), Cancelled>;

    fn try_now(&mut self) -> Option<Self::Output> {
        None
    }

    fn enqueue(&mut self, waker: &Waker) -> WaitKey {
        let key = self
            .condition
            .inner
            .waiters
            .borrow_mut()
            .push(waker.clone());
        // Releasing the lock may hand it to its next waiter.
        drop(self.guard.take());
        key
    }

    fn poll_grant(&mut self, key: WaitKey, waker: &Waker) -> Poll<()> {
        self.condition.inner.waiters.borrow_mut().poll(key, waker)
    }

    fn granted(&mut self, (): ()) -> Self::Output {
        Ok(())
    }

    fn leave(&mut self, key: WaitKey) {
        let left = self.condition.inner.waiters.borrow_mut().leave(key);
        match left {
            Left::PassedOn(waker) => waker.wake(),
            Left::Unqueued if self.renotify => {
                self.condition.notify(1);
            }
            _ => {}
        }
    }

    fn cancelled(&mut self, cancelled: Cancelled) -> Self::Output {
        Err(cancelled)
    }

    fn label(&self) -> &'static str {
        "condition"
    }
}

/// The future returned by [`Condition::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWait<'c, S: PermitSource> {
    condition: &'c Condition,
    /// What the guard was taken from: the re-acquired guard is made of it.
    source: S,
    /// The caller's guard, until the wait is queued.
    guard: Option<Permit<S>>,
    notify: Waiter,
    /// Re-acquiring the lock, once notified or cancelled while queued.
    relock: Option<AcquireState>,
    cancelled: Option<Cancelled>,
    /// Whether a cancelled wait already woke another waiter in its place.
    passed_on: bool,
    done: bool,
}

impl<S: PermitSource> Future for ConditionWait<'_, S> {
    type Output = Result<Permit<S>, ConditionCancelled<S>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(!this.done, "ConditionWait polled after it completed");
        if this.relock.is_none() {
            let mut wait = NotifyWait {
                condition: this.condition,
                guard: &mut this.guard,
                renotify: true,
            };
            match std::task::ready!(this.notify.poll(&mut wait, cx)) {
                Ok(()) => {}
                Err(cancelled) => match this.guard.take() {
                    // Cancelled before it released the lock: still held.
                    Some(guard) => {
                        this.done = true;
                        return Poll::Ready(Err(ConditionCancelled { guard, cancelled }));
                    }
                    None => {
                        // Leaving woke another waiter in its place.
                        this.passed_on = true;
                        this.cancelled = Some(cancelled);
                    }
                },
            }
            this.relock = Some(AcquireState::new());
        }
        let relock = this.relock.as_mut().expect("re-acquiring");
        let engine = this.condition.inner.lock.engine();
        std::task::ready!(relock.poll_deferring(engine, cx, S::HOLD, &mut this.cancelled));
        this.done = true;
        let guard = Permit::new(this.source.clone());
        Poll::Ready(match this.cancelled.take() {
            None => Ok(guard),
            Some(cancelled) => {
                if !this.passed_on {
                    // Notified, then cancelled while re-acquiring: the
                    // notification is not lost, another waiter gets one.
                    this.condition.notify(1);
                }
                Err(ConditionCancelled { guard, cancelled })
            }
        })
    }
}

impl<S: PermitSource> Drop for ConditionWait<'_, S> {
    fn drop(&mut self) {
        if let Some(relock) = &mut self.relock {
            if !self.done {
                relock.abandon(self.condition.inner.lock.engine());
            }
        } else {
            let mut wait = NotifyWait {
                condition: self.condition,
                guard: &mut self.guard,
                renotify: false,
            };
            self.notify.abandon(&mut wait);
        }
        // A guard never released drops here, releasing the lock.
    }
}

impl<S: PermitSource> fmt::Debug for ConditionWait<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = if self.done {
            "done"
        } else if self.relock.is_some() {
            "re-acquiring"
        } else if self.notify.is_waiting() {
            "waiting"
        } else {
            "start"
        };
        f.debug_struct("ConditionWait")
            .field("condition", self.condition)
            .field("phase", &phase)
            .finish()
    }
}

/// The future returned by [`Condition::wait_for`].
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWaitFor<'c, S: PermitSource, P> {
    condition: &'c Condition,
    /// The guard between waits (while the predicate is checked).
    guard: Option<Permit<S>>,
    /// The wait in progress, if any.
    wait: Option<ConditionWait<'c, S>>,
    predicate: P,
}

// The predicate is only ever called through `&mut`, never pinned.
impl<S: PermitSource, P> Unpin for ConditionWaitFor<'_, S, P> {}

impl<S, P> Future for ConditionWaitFor<'_, S, P>
where
    S: PermitSource,
    P: FnMut() -> bool,
{
    type Output = Result<Permit<S>, ConditionCancelled<S>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            if let Some(wait) = &mut this.wait {
                match Pin::new(wait).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(result) => {
                        this.wait = None;
                        this.guard = Some(result?);
                    }
                }
            }
            let guard = this
                .guard
                .take()
                .expect("ConditionWaitFor polled after it completed");
            // Checked first: if it holds already, no suspension and so no
            // cancellation, as asyncio's `wait_for`.
            if (this.predicate)() {
                return Poll::Ready(Ok(guard));
            }
            this.wait = Some(this.condition.wait(guard));
        }
    }
}

impl<S: PermitSource, P> fmt::Debug for ConditionWaitFor<'_, S, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConditionWaitFor")
            .field("condition", self.condition)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}
