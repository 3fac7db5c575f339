//! Synchronisation between tasks: asyncio's `Lock`, `Event`, `Condition`,
//! `Semaphore`, `BoundedSemaphore` and `Barrier`.
//!
//! | asyncio | ferrio |
//! |---|---|
//! | `async with lock:` / `await lock.acquire()`, `lock.release()` | `let _guard = lock.acquire().await?;` ([`LockGuard`] releases on drop) |
//! | `lock.locked()` | [`Lock::locked`], [`Lock::try_acquire`] |
//! | `event.set()`, `clear()`, `is_set()`, `await event.wait()` | [`Event`]: same names |
//! | `async with cond: await cond.wait()` | `let guard = cond.acquire().await?; let guard = cond.wait(guard).await?;` |
//! | `await cond.wait_for(pred)`, `notify(n)`, `notify_all()` | [`Condition::wait_for`], [`Condition::notify`], [`Condition::notify_all`] |
//! | `async with sem:` / `acquire()`, `release()` | [`Semaphore::acquire`] ([`SemaphorePermit`]), [`Semaphore::release`] |
//! | `BoundedSemaphore`, `ValueError` on over-release | [`BoundedSemaphore`], [`TooManyReleases`] |
//! | `Barrier(n)`, `await barrier.wait()`, `abort()`, `reset()`, `BrokenBarrierError` | [`Barrier`], [`BrokenBarrier`] |
//!
//! Every primitive is a single-threaded (`!Send`) cheap-clone handle —
//! share it between the tasks of a loop by cloning it, as asyncio tasks
//! share the object — and built on one FIFO wait queue, so they share two
//! guarantees:
//!
//! - **First come, first served, without barging.** Waiters are served in
//!   arrival order. A release hands the lock, permit or notification to the
//!   longest waiter *before* that waiter runs, so a task arriving in
//!   between — or the releasing task asking again — cannot take it first.
//! - **A cancelled waiter consumes nothing.** Every wait is a cancellation
//!   point returning `Err(Cancelled)` (see [`Cancelled`](crate::Cancelled)).
//!   A cancelled or dropped waiter leaves the queue; a lock, permit or
//!   notification already handed to it passes on to the next waiter.
//!
//! Each primitive has `statistics()` for diagnostics, and every type
//! implements `Debug`.

mod barrier;
mod bounded_semaphore;
mod condition;
mod engine;
mod event;
pub(crate) mod hook;
mod lock;
mod permit;
mod semaphore;
pub(crate) mod wait_list;
pub(crate) mod waiter;

pub use barrier::{Barrier, BarrierStats, BarrierWait, BarrierWaitError, BrokenBarrier};
pub use bounded_semaphore::{
    BoundedAcquire, BoundedAcquireOwned, BoundedSemaphore, BoundedSemaphorePermit,
    BoundedSemaphoreStats, OwnedBoundedSemaphorePermit, TooManyReleases,
};
pub use condition::{
    Condition, ConditionCancelled, ConditionStats, ConditionWait, ConditionWaitFor,
};
pub use event::{Event, EventStats, EventWait};
pub use lock::{Lock, LockAcquire, LockAcquireOwned, LockGuard, LockStats, OwnedLockGuard};
pub use permit::{Acquire, Permit, PermitSource};
pub use semaphore::{
    OwnedSemaphorePermit, Semaphore, SemaphoreAcquire, SemaphoreAcquireOwned, SemaphorePermit,
    SemaphoreStats,
};
