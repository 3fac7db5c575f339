//! Bounded concurrency with backpressure: a concurrent map as a `Stream`,
//! limited gathers, and a per-key limit.
//!
//! | asyncio / JavaScript | ferrio-resilience |
//! |---|---|
//! | `sem = Semaphore(n)`; `async def one(x): async with sem: return await f(x)`; `gather(*(one(x) for x in xs))` | [`gather_limited(xs, n, f)`](gather_limited) |
//! | the same, but a task per item up front and every result held | [`map_concurrent`]: items started as results are read, at most `n` held |
//! | `for fut in as_completed(...)` over that | [`map_concurrent`] with [`Order::Completion`] |
//! | `Promise.all` with `p-limit`, cancelling the rest with an `AbortController` on the first rejection | [`try_gather_limited`] |
//! | a dict of semaphores, one per host | [`KeyedSemaphore`] |
//!
//! What the hand-written fan-out gets wrong and these do not: a task per
//! item created up front (a million tasks and a million results in memory);
//! the first error leaving the rest running; and the caller's cancellation
//! leaving its children behind. Here the children are tasks (they run while
//! the reader is busy), at most `limit` items are running or waiting to be
//! read, and a stop or a cancellation cancels the children and waits for
//! their cleanup.

mod gather;
mod keyed;
mod map;
pub(crate) mod task_set;

pub use gather::{
    gather_limited, try_gather_limited, GatherLimited, TryGatherError, TryGatherLimited,
};
pub use keyed::{KeyedAcquire, KeyedPermit, KeyedSemaphore};
pub use map::{map_concurrent, MapConcurrent, Order};
