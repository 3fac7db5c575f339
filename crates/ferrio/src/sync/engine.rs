//! [`Engine`]: the permit-counting engine under [`Semaphore`](super::Semaphore),
//! [`Lock`](super::Lock) (one permit), [`BoundedSemaphore`](super::BoundedSemaphore)
//! and a [`Condition`](super::Condition)'s re-acquire, and [`AcquireState`],
//! the state of one acquire on it.
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
//! Diagnostics hook in through [`hook`](super::hook): permits taken, handed
//! over and given back, and waits, are reported for an engine that debug
//! mode's deadlock detector tracks. Off, an acquire pays one thread-local
//! read ([`hook::tracking`]) and a release one read of the engine's
//! [`ResourceTag`]; guards carry nothing for it.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::task::{Context, Poll, Waker};

use super::hook::{self, Hold, ResourceTag};
use super::wait_list::{Left, WaitKey, WaitList};
use super::waiter::{Wait, Waiter};
use crate::task::Cancelled;

/// Permits, the queue of tasks waiting for one, and the engine's identity
/// for diagnostics.
// `pub` only because the sealed `PermitSource` names it; unreachable from
// outside the crate.
#[allow(unreachable_pub)]
pub struct Engine {
    permits: Cell<usize>,
    waiters: RefCell<WaitList<()>>,
    tag: ResourceTag,
}

impl Engine {
    pub(crate) fn new(permits: usize, tag: ResourceTag) -> Engine {
        Engine {
            permits: Cell::new(permits),
            waiters: RefCell::new(WaitList::new()),
            tag,
        }
    }

    pub(crate) fn tag(&self) -> &ResourceTag {
        &self.tag
    }

    /// Permits free right now.
    pub(crate) fn available(&self) -> usize {
        self.permits.get()
    }

    /// Tasks queued for a permit (woken ones not counted).
    pub(crate) fn waiting(&self) -> usize {
        self.waiters.borrow().waiting()
    }

    /// Whether an acquire would wait: no permit spare, or tasks queued or
    /// woken ahead (asyncio's `Semaphore.locked()`).
    pub(crate) fn locked(&self) -> bool {
        self.permits.get() == 0 || !self.waiters.borrow().is_idle()
    }

    /// Whether a permit is handed to a woken waiter that has not run yet.
    pub(crate) fn handoff_in_flight(&self) -> bool {
        self.waiters.borrow().handoffs() > 0
    }

    /// Adds `n` permits by hand, handing them to waiters first, in order.
    ///
    /// # Panics
    ///
    /// If the count would overflow `usize`.
    pub(crate) fn add_permits(&self, n: usize) {
        self.hand_released(n);
        let mut left = n;
        while left > 0 {
            let granted = self.waiters.borrow_mut().grant_front(());
            match granted {
                Ok((key, waker)) => {
                    if self.tag.is_tracked() {
                        (hook::hooks().granted)(&self.tag, key);
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

    /// Notes that `n` permits were released by hand: a tracked engine tells
    /// the listener; an untracked plain semaphore remembers that its count
    /// of permits out is unknown from now on.
    fn hand_released(&self, n: usize) {
        if self.tag.is_tracked() {
            (hook::hooks().hand_released)(&self.tag, n);
        } else if self.tag.kind() == super::hook::Kind::Semaphore {
            self.tag.hand_released.set(true);
        }
    }

    /// Takes a permit if one is free and nobody is ahead (strict FIFO).
    #[inline]
    pub(crate) fn try_take(&self) -> bool {
        let permits = self.permits.get();
        if permits == 0 || !self.waiters.borrow().is_idle() {
            return false;
        }
        self.permits.set(permits - 1);
        true
    }

    /// [`try_take`](Self::try_take), recording the holder in debug mode.
    #[inline]
    pub(crate) fn try_take_held(&self, hold: Hold) -> bool {
        let taken = self.try_take();
        if taken && hook::tracking() {
            (hook::hooks().acquired)(&self.tag, self.permits.get(), hold);
        }
        taken
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
                        (hook::hooks().granted)(&self.tag, key);
                    }
                    waker.wake();
                }
                Err(()) => break,
            }
        }
    }

    /// A guard gives its permit back: to the front waiter, or to the count.
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
        (hook::hooks().released)(&self.tag, hold);
        self.return_permit();
    }

    /// Gives back a permit detached from its guard (`forget`, then a hand
    /// `release` of a bounded semaphore).
    pub(crate) fn give_back_detached(&self) {
        self.hand_released(1);
        self.return_permit();
    }

    fn return_permit(&self) {
        let granted = self.waiters.borrow_mut().grant_front(());
        match granted {
            Ok((key, waker)) => {
                if self.tag.is_tracked() {
                    (hook::hooks().granted)(&self.tag, key);
                }
                waker.wake();
            }
            Err(()) => self.permits.set(self.permits.get() + 1),
        }
    }

    /// A guard was forgotten: its permit is out for good.
    pub(crate) fn forget_permit(&self, hold: Hold) {
        if self.tag.is_tracked() {
            (hook::hooks().forgotten)(&self.tag, hold);
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if self.tag.is_tracked() {
            (hook::hooks().dropped)(&self.tag);
        }
    }
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct(self.tag.kind().type_name());
        if let Some(name) = self.tag.name() {
            d.field("name", &name);
        }
        d.field("permits", &self.permits.get())
            .field("waiters", &self.waiting())
            .finish()
    }
}

/// One acquire, as the shared waiter protocol (`sync::waiter`) sees it.
struct EngineWait<'e> {
    engine: &'e Engine,
    hold: Hold,
    /// Whether a cancellation ends the wait (not for a `Condition`
    /// re-acquiring its lock): told to the deadlock detector.
    cancellable: bool,
}

impl Wait for EngineWait<'_> {
    type Grant = ();
    type Output = Result<(), Cancelled>;

    #[inline]
    fn try_now(&mut self) -> Option<Self::Output> {
        self.engine.try_take_held(self.hold).then_some(Ok(()))
    }

    fn enqueue(&mut self, waker: &Waker) -> WaitKey {
        self.engine.waiters.borrow_mut().push(waker.clone())
    }

    fn poll_grant(&mut self, key: WaitKey, waker: &Waker) -> Poll<()> {
        let engine = self.engine;
        let polled = engine.waiters.borrow_mut().poll(key, waker);
        if polled.is_ready() {
            // Untracked, the wait was not recorded either: `on_pending`
            // tracks the engine in debug mode.
            if engine.tag.is_tracked() {
                let permits = engine.permits.get();
                (hook::hooks().taken)(&engine.tag, key, permits, self.hold, waker);
            }
            engine.pass_spare_permits();
        }
        polled
    }

    fn granted(&mut self, (): ()) -> Self::Output {
        Ok(())
    }

    fn leave(&mut self, key: WaitKey) {
        let engine = self.engine;
        let tracked = engine.tag.is_tracked();
        let mut waiters = engine.waiters.borrow_mut();
        // Who a permit handed to this waiter passes on to.
        let front = if tracked { waiters.front() } else { None };
        let left = waiters.leave(key);
        drop(waiters);
        if tracked {
            let passed_to = front.filter(|_| matches!(left, Left::PassedOn(_)));
            (hook::hooks().left)(&engine.tag, key, passed_to);
        }
        match left {
            Left::PassedOn(waker) => waker.wake(),
            Left::Returned(()) => engine.permits.set(engine.permits.get() + 1),
            Left::Unqueued | Left::Discarded(()) => {}
        }
    }

    fn cancelled(&mut self, cancelled: Cancelled) -> Self::Output {
        Err(cancelled)
    }

    fn label(&self) -> &'static str {
        self.engine.tag.kind().wait_label()
    }

    fn on_pending(&mut self, key: WaitKey, cx: &Context<'_>) {
        if hook::tracking() {
            let engine = self.engine;
            (hook::hooks().waiting)(
                &engine.tag,
                engine.permits.get(),
                key,
                self.cancellable,
                cx.waker(),
            );
        }
    }
}

/// The state of one acquire on an [`Engine`].
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
        engine: &Engine,
        cx: &mut Context<'_>,
        hold: Hold,
    ) -> Poll<Result<(), Cancelled>> {
        let mut wait = EngineWait {
            engine,
            hold,
            cancellable: true,
        };
        self.0.poll(&mut wait, cx)
    }

    /// Polls an acquire that a cancellation does not end: a delivered
    /// cancellation is recorded in `deferred` and the wait goes on.
    pub(crate) fn poll_deferring(
        &mut self,
        engine: &Engine,
        cx: &mut Context<'_>,
        hold: Hold,
        deferred: &mut Option<Cancelled>,
    ) -> Poll<()> {
        let mut wait = EngineWait {
            engine,
            hold,
            cancellable: false,
        };
        self.0.poll_deferring(&mut wait, cx, deferred).map(|_| ())
    }

    /// Leaves the queue if still in it, passing on a permit handed to it.
    pub(crate) fn abandon(&mut self, engine: &Engine) {
        let mut wait = EngineWait {
            engine,
            hold: Hold::Task,
            cancellable: true,
        };
        self.0.abandon(&mut wait);
    }
}
