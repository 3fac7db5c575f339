//! [`Event`]: asyncio's `Event`, a flag tasks can wait for.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::wait_list::{WaitKey, WaitList};
use super::waiter::{Wait, Waiter};
use crate::task::Cancelled;

/// A flag that tasks can wait for: asyncio's `Event`.
///
/// [`set`](Self::set) wakes every waiting task; until [`clear`](Self::clear)
/// further [`wait`](Self::wait)s return at once. A task woken by `set`
/// returns even if the event is cleared again before it runs. An `Event` is
/// a cheap-clone handle: clones are the same event.
///
/// ```
/// use std::time::Duration;
/// use ferrio::sync::Event;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let ready = Event::new();
///         let r = ready.clone();
///         let waiter = ferrio::spawn(async move {
///             r.wait().await?;
///             Ok::<_, ferrio::Cancelled>(ferrio::now())
///         });
///         let t0 = ferrio::now();
///         ferrio::sleep(Duration::from_secs(5)).await.unwrap();
///         ready.set();
///         let woke_at = waiter.await.unwrap().unwrap();
///         assert_eq!(woke_at - t0, Duration::from_secs(5));
///     })
///     .unwrap();
/// ```
#[derive(Clone)]
pub struct Event {
    inner: Rc<EventInner>,
}

struct EventInner {
    set: Cell<bool>,
    waiters: RefCell<WaitList<()>>,
}

/// A snapshot of an [`Event`]'s state, from [`Event::statistics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventStats {
    /// Whether the flag is set.
    pub set: bool,
    /// Tasks waiting for it.
    pub waiters: usize,
}

impl Event {
    /// An event that is not set.
    pub fn new() -> Event {
        Event {
            inner: Rc::new(EventInner {
                set: Cell::new(false),
                waiters: RefCell::new(WaitList::new()),
            }),
        }
    }

    /// Sets the flag and wakes every waiting task: asyncio's `set()`.
    /// Setting a set event does nothing.
    pub fn set(&self) {
        if self.inner.set.replace(true) {
            return;
        }
        let wakers = self.inner.waiters.borrow_mut().grant_all(|| ());
        wakers.into_iter().for_each(|w| w.wake());
    }

    /// Clears the flag: asyncio's `clear()`. Tasks already woken by
    /// [`set`](Self::set) still return.
    pub fn clear(&self) {
        self.inner.set.set(false);
    }

    /// Whether the flag is set: asyncio's `is_set()`.
    pub fn is_set(&self) -> bool {
        self.inner.set.get()
    }

    /// Waits until the flag is set: asyncio's `wait()`. Returns at once if
    /// it is set already.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point. Cancelling `wait` leaves the queue; it takes
    /// nothing from the other waiters, which are all woken by `set` alike.
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            state: Waiter::new(),
        }
    }

    /// Flag and waiters, for diagnostics.
    pub fn statistics(&self) -> EventStats {
        EventStats {
            set: self.inner.set.get(),
            waiters: self.inner.waiters.borrow().waiting(),
        }
    }
}

impl Default for Event {
    fn default() -> Event {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.statistics();
        f.debug_struct("Event")
            .field("set", &stats.set)
            .field("waiters", &stats.waiters)
            .finish()
    }
}

/// One wait on an [`Event`], as the shared waiter protocol
/// (`sync::waiter`) sees it.
struct EventWaitFor<'a> {
    event: &'a Event,
}

impl Wait for EventWaitFor<'_> {
    type Grant = ();
    type Output = Result<(), Cancelled>;

    fn try_now(&mut self) -> Option<Self::Output> {
        self.event.inner.set.get().then_some(Ok(()))
    }

    fn enqueue(&mut self, waker: &Waker) -> WaitKey {
        self.event.inner.waiters.borrow_mut().push(waker.clone())
    }

    fn poll_grant(&mut self, key: WaitKey, waker: &Waker) -> Poll<()> {
        self.event.inner.waiters.borrow_mut().poll(key, waker)
    }

    fn granted(&mut self, (): ()) -> Self::Output {
        Ok(())
    }

    fn leave(&mut self, key: WaitKey) {
        // Broadcast wake-ups do not pass on: nothing to hand over.
        let _ = self.event.inner.waiters.borrow_mut().leave(key);
    }

    fn cancelled(&mut self, cancelled: Cancelled) -> Self::Output {
        Err(cancelled)
    }

    fn label(&self) -> &'static str {
        "event"
    }
}

/// The future returned by [`Event::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait<'a> {
    event: &'a Event,
    state: Waiter,
}

impl Future for EventWait<'_> {
    type Output = Result<(), Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.state.poll(&mut EventWaitFor { event: this.event }, cx)
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        self.state.abandon(&mut EventWaitFor { event: self.event });
    }
}

impl fmt::Debug for EventWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventWait")
            .field("event", self.event)
            .field("state", &self.state)
            .finish()
    }
}
