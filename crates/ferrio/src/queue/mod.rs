//! Async queues between tasks: asyncio's `Queue`, `PriorityQueue` and
//! `LifoQueue`, with `task_done`/`join` and Python 3.13's `shutdown`.
//!
//! | asyncio | ferrio |
//! |---|---|
//! | `Queue(maxsize)`, `PriorityQueue`, `LifoQueue` | [`Queue::new(maxsize)`](BaseQueue::new) (0: unbounded), [`PriorityQueue`], [`LifoQueue`] |
//! | `await q.put(item)`, `await q.get()` | [`put(item).await`](BaseQueue::put), [`get().await`](BaseQueue::get) |
//! | `put_nowait`, `get_nowait`, `QueueFull`, `QueueEmpty` | [`put_nowait`](BaseQueue::put_nowait) → [`TryPutError::Full`]`(`[`QueueFull`]`(item))`, [`get_nowait`](BaseQueue::get_nowait) → [`TryGetError::Empty`] |
//! | `task_done()`, `await q.join()` | [`task_done`](BaseQueue::task_done) ([`TaskDoneError`] if called too often), [`join`](BaseQueue::join) |
//! | `qsize()`, `empty()`, `full()`, `maxsize` | same names |
//! | `shutdown()`, `shutdown(immediate=True)`, `QueueShutDown` | [`shutdown`](BaseQueue::shutdown), [`shutdown_immediate`](BaseQueue::shutdown_immediate) (returns the items), [`QueueShutDown`] |
//!
//! The three queues are one type, [`BaseQueue`], over three
//! [`Storage`]s; the queue logic — capacity, FIFO-fair waiting,
//! cancellation, work tracking, shutdown — exists once.
//!
//! Guarantees:
//!
//! - **Nothing is lost.** Every failed put gives its item back in the
//!   error; a cancelled `get` takes nothing; items put before a graceful
//!   shutdown stay gettable; an immediate shutdown hands the items left to
//!   its caller.
//! - **First come, first served.** Waiting getters get items in the order
//!   they asked, and waiting putters get room in the order they came; a
//!   task arriving later cannot barge in between (see [`BaseQueue`]).
//! - Queues are single-threaded (`Rc` inside, `!Send`) and cheap to clone.

mod base;
mod engine;
mod error;
mod fifo;
mod futures;
mod lifo;
mod priority;
mod storage;

pub use base::{BaseQueue, QueueStats};
pub use error::{
    GetError, PutError, QueueEmpty, QueueFull, QueueShutDown, TaskDoneError, TryGetError,
    TryPutError,
};
pub use fifo::{Fifo, Queue};
pub use futures::{Get, Join, Put};
pub use lifo::{Lifo, LifoQueue};
pub use priority::{Priority, PriorityQueue};
pub use storage::Storage;
