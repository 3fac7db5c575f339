//! Combinators over tasks: asyncio's `gather`, `wait` and `as_completed`,
//! plus [`join!`](crate::join) for futures awaited inside one task.
//!
//! | asyncio | ferrio |
//! |---|---|
//! | `gather(*aws)` | [`gather`]: every value in order, or the first failure (the other tasks run on) |
//! | `gather(*aws, return_exceptions=True)` | [`gather_settled`]: every outcome, in order |
//! | `wait(aws, timeout, return_when)` | [`wait`] with [`ReturnWhen`] → `(done, pending)` |
//! | `as_completed(aws, timeout)` | [`as_completed`] → a `Stream` in completion order; [`AsCompleted::timeout`] |
//! | `await a; await b` concurrently in one coroutine | [`join!`](crate::join) |
//!
//! # Inputs
//!
//! [`gather`], [`gather_settled`] and [`as_completed`] take any
//! `IntoIterator` of futures and spawn each as a task **at the call**, as
//! asyncio schedules them, so the work starts before the combinator is
//! awaited. Their `*_tasks` twins ([`gather_tasks`],
//! [`gather_settled_tasks`], [`as_completed_tasks`]) take tasks already
//! spawned, so cancelling the combinator reaches those very tasks. [`wait`]
//! takes tasks only, as asyncio's does, and hands them back.
//!
//! # Cancellation
//!
//! Each combinator is a cancellation point of the awaiting task. `gather`
//! and `gather_settled` cancel their unfinished tasks and wait for them to
//! finish, as asyncio's do; `wait` and `as_completed` leave them running and
//! give them back. None of them cancels siblings when one task fails: a
//! `TaskGroup` does that.
//!
//! # Cost
//!
//! A combinator first reports the tasks already done and gives the others
//! one loop turn; each task still running then gets a small waker that
//! queues its index when the task completes. A combinator over N tasks thus
//! looks at each one O(1) times: O(N) in all, never O(N²).

mod as_completed;
mod gather;
mod gather_settled;
mod gathering;
mod join;
mod ready;
mod spawn_all;
mod task_set;
mod wait;

pub use as_completed::{as_completed, as_completed_tasks, AsCompleted, AsCompletedTimeout};
pub use gather::{gather, gather_tasks, Gather, GatherMode, Values};
pub use gather_settled::{gather_settled, gather_settled_tasks, GatherSettled, Settled};
pub use wait::{wait, ReturnWhen, Wait, WaitCancelled, Waited};
