//! [`Barrier`]: asyncio's `Barrier`, a meeting point for a fixed number of
//! tasks.
//!
//! The waiters of the current round sit in the shared wait list, so the
//! number that have arrived is its length; a cancelled waiter leaves it and
//! no longer counts. When the last party arrives, every waiter is granted
//! its arrival index at once (a broadcast, in FIFO order) and the next round
//! starts empty: a task arriving while the released ones have not run yet
//! already counts for the next round. Each round's indices are therefore
//! exactly `0..parties`, one per task.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::wait_list::{WaitKey, WaitList};
use super::waiter::{Wait, Waiter};
use crate::task::Cancelled;

/// A meeting point for `parties` tasks: asyncio's `Barrier`.
///
/// Each task calls [`wait`](Self::wait); all wait until the last of the
/// `parties` arrives, then all return at once, each with a different
/// arrival index in `0..parties` (the last to arrive gets `parties - 1`).
/// The barrier then starts over. [`abort`](Self::abort) breaks it: the
/// waiting tasks and all later ones get [`BrokenBarrier`] until
/// [`reset`](Self::reset). A `Barrier` is a cheap-clone handle: clones are
/// the same barrier.
///
/// ```
/// use ferrio::sync::Barrier;
///
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let barrier = Barrier::new(3);
///         let tasks: Vec<_> = (0..3).map(|_| {
///             let barrier = barrier.clone();
///             ferrio::spawn(async move { barrier.wait().await })
///         }).collect();
///         let mut indices = Vec::new();
///         for task in tasks {
///             indices.push(task.await.unwrap().unwrap());
///         }
///         assert_eq!(indices, [0, 1, 2]);
///     })
///     .unwrap();
/// ```
#[derive(Clone)]
pub struct Barrier {
    inner: Rc<BarrierInner>,
}

struct BarrierInner {
    parties: usize,
    broken: Cell<bool>,
    /// This round's waiters; each is granted its index, or `BrokenBarrier`.
    waiters: RefCell<WaitList<Result<usize, BrokenBarrier>>>,
}

/// A snapshot of a [`Barrier`]'s state, from [`Barrier::statistics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierStats {
    /// The number of tasks that meet at the barrier.
    pub parties: usize,
    /// Tasks waiting in the current round.
    pub waiting: usize,
    /// Whether the barrier is broken.
    pub broken: bool,
}

/// The barrier was aborted or reset while the task waited, or is broken:
/// asyncio's `BrokenBarrierError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenBarrier;

impl fmt::Display for BrokenBarrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the barrier is broken (aborted or reset while waiting); \
             call `Barrier::reset` before using it again",
        )
    }
}

impl std::error::Error for BrokenBarrier {}

/// Why [`Barrier::wait`] failed.
#[derive(Debug, Clone)]
pub enum BarrierWaitError {
    /// The barrier is broken, or was aborted or reset while waiting.
    Broken(BrokenBarrier),
    /// The waiting task was cancelled; it left the barrier, which no longer
    /// counts it.
    Cancelled(Cancelled),
}

impl BarrierWaitError {
    /// Whether the barrier was broken.
    pub fn is_broken(&self) -> bool {
        matches!(self, BarrierWaitError::Broken(_))
    }

    /// Whether the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, BarrierWaitError::Cancelled(_))
    }
}

impl From<Cancelled> for BarrierWaitError {
    fn from(c: Cancelled) -> BarrierWaitError {
        BarrierWaitError::Cancelled(c)
    }
}

impl From<BrokenBarrier> for BarrierWaitError {
    fn from(b: BrokenBarrier) -> BarrierWaitError {
        BarrierWaitError::Broken(b)
    }
}

impl fmt::Display for BarrierWaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BarrierWaitError::Broken(b) => b.fmt(f),
            BarrierWaitError::Cancelled(c) => write!(f, "{c} while waiting at a barrier"),
        }
    }
}

impl std::error::Error for BarrierWaitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BarrierWaitError::Broken(b) => Some(b),
            BarrierWaitError::Cancelled(c) => Some(c),
        }
    }
}

impl Barrier {
    /// A barrier for `parties` tasks.
    ///
    /// # Panics
    ///
    /// If `parties` is 0 (asyncio raises `ValueError`).
    pub fn new(parties: usize) -> Barrier {
        assert!(parties > 0, "Barrier::new: parties must be at least 1");
        Barrier {
            inner: Rc::new(BarrierInner {
                parties,
                broken: Cell::new(false),
                waiters: RefCell::new(WaitList::new()),
            }),
        }
    }

    /// Waits until `parties` tasks are waiting, then returns this task's
    /// arrival index in `0..parties`: asyncio's `wait()`.
    ///
    /// # Errors
    ///
    /// [`BarrierWaitError::Broken`] if the barrier is broken, or is aborted
    /// or reset while waiting.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point. A task cancelled while waiting leaves the
    /// round: it no longer counts toward `parties`, and the others keep
    /// waiting for a replacement. A task cancelled after the barrier
    /// released it (before it ran) gets the cancellation instead of its
    /// index; the others are released all the same.
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            state: Waiter::new(),
        }
    }

    /// Breaks the barrier: every waiting task and every later `wait` gets
    /// [`BrokenBarrier`], until [`reset`](Self::reset). asyncio's `abort()`.
    pub fn abort(&self) {
        self.inner.broken.set(true);
        self.release_all_broken();
    }

    /// Returns the barrier to its empty, unbroken state: asyncio's
    /// `reset()`. Tasks waiting in the current round get [`BrokenBarrier`].
    pub fn reset(&self) {
        self.release_all_broken();
        self.inner.broken.set(false);
    }

    /// The number of tasks that meet at the barrier.
    pub fn parties(&self) -> usize {
        self.inner.parties
    }

    /// Tasks waiting in the current round: asyncio's `n_waiting`.
    pub fn n_waiting(&self) -> usize {
        self.inner.waiters.borrow().waiting()
    }

    /// Whether the barrier is broken: asyncio's `broken`.
    pub fn is_broken(&self) -> bool {
        self.inner.broken.get()
    }

    /// Parties, waiters and state, for diagnostics.
    pub fn statistics(&self) -> BarrierStats {
        BarrierStats {
            parties: self.inner.parties,
            waiting: self.n_waiting(),
            broken: self.inner.broken.get(),
        }
    }

    fn release_all_broken(&self) {
        let wakers = self
            .inner
            .waiters
            .borrow_mut()
            .grant_all(|| Err(BrokenBarrier));
        wakers.into_iter().for_each(|w| w.wake());
    }

    /// The last party arrived: release this round, indices in arrival order.
    fn trip(&self) {
        let mut index = 0;
        let wakers = self.inner.waiters.borrow_mut().grant_all(|| {
            index += 1;
            Ok(index - 1)
        });
        wakers.into_iter().for_each(|w| w.wake());
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.statistics();
        f.debug_struct("Barrier")
            .field("parties", &stats.parties)
            .field("waiting", &stats.waiting)
            .field("broken", &stats.broken)
            .finish()
    }
}

/// One wait at a [`Barrier`], as the shared waiter protocol
/// (`sync::waiter`) sees it.
struct BarrierWaitFor<'a> {
    barrier: &'a Barrier,
}

impl Wait for BarrierWaitFor<'_> {
    type Grant = Result<usize, BrokenBarrier>;
    type Output = Result<usize, BarrierWaitError>;

    fn try_now(&mut self) -> Option<Self::Output> {
        let barrier = self.barrier;
        if barrier.inner.broken.get() {
            return Some(Err(BarrierWaitError::Broken(BrokenBarrier)));
        }
        let arrived = barrier.inner.waiters.borrow().waiting();
        if arrived + 1 == barrier.inner.parties {
            // The last party releases the round without waiting.
            barrier.trip();
            return Some(Ok(arrived));
        }
        None
    }

    fn enqueue(&mut self, waker: &Waker) -> WaitKey {
        self.barrier.inner.waiters.borrow_mut().push(waker.clone())
    }

    fn poll_grant(&mut self, key: WaitKey, waker: &Waker) -> Poll<Self::Grant> {
        self.barrier.inner.waiters.borrow_mut().poll(key, waker)
    }

    fn granted(&mut self, grant: Self::Grant) -> Self::Output {
        grant.map_err(BarrierWaitError::Broken)
    }

    fn leave(&mut self, key: WaitKey) {
        // Still waiting: leaving the list un-counts the task. Released
        // already: the index is simply dropped.
        let _ = self.barrier.inner.waiters.borrow_mut().leave(key);
    }

    fn cancelled(&mut self, cancelled: Cancelled) -> Self::Output {
        Err(BarrierWaitError::Cancelled(cancelled))
    }

    fn label(&self) -> &'static str {
        "barrier"
    }
}

/// The future returned by [`Barrier::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    state: Waiter,
}

impl Future for BarrierWait<'_> {
    type Output = Result<usize, BarrierWaitError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.state.poll(
            &mut BarrierWaitFor {
                barrier: this.barrier,
            },
            cx,
        )
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        self.state.abandon(&mut BarrierWaitFor {
            barrier: self.barrier,
        });
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("barrier", self.barrier)
            .field("state", &self.state)
            .finish()
    }
}
