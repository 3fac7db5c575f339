//! Running blocking and CPU-heavy work off the loop: asyncio's
//! `to_thread`, `run_in_executor` and `ThreadPoolExecutor`.
//!
//! The loop runs on one thread; a call that blocks it (a file read, a DNS
//! look-up, a blocking client library, a long computation) stalls every
//! task. Hand such calls to another thread and await the result instead:
//!
//! - [`to_thread(f)`](to_thread) runs `f` on the loop's default pool
//!   ([`default_pool`]), a bounded [`ThreadPool`] of `min(32, cpus + 4)`
//!   threads created on first use;
//! - [`run_in_executor(&pool, f)`](run_in_executor) / [`ThreadPool::spawn`]
//!   run it on a pool of your own;
//! - `spawn_cpu` / `run_cpu` run computations on a work-stealing pool
//!   sized to the cores (rayon's; the default-on `cpu` feature).
//!
//! All return an [`Offload`], which resolves to `Result<R, BlockingError>`:
//! a panic in `f` comes back as [`BlockingError::Panicked`] with its message
//! (the loop keeps running), and cancelling the awaiting task completes the
//! await at once with [`BlockingError::Cancelled`] while the thread finishes
//! on its own and its result is dropped there.
//!
//! When a [`Runner`](crate::Runner) (or [`ferrio::run`](crate::run)) closes
//! its loop, the loop's default pool stops taking jobs and the runner waits
//! for the running ones, up to the pool's shutdown timeout (300 s by
//! default, as asyncio); then it detaches them.
//!
//! ```
//! use std::sync::mpsc;
//!
//! ferrio::run(async {
//!     let (tx, rx) = mpsc::channel::<&str>();
//!     // A blocking receive runs on a pool thread ...
//!     let waiter = ferrio::spawn(ferrio::to_thread(move || rx.recv().unwrap()));
//!     // ... while the loop stays free to run this task.
//!     ferrio::yield_now().await.unwrap();
//!     tx.send("hello").unwrap();
//!     assert_eq!(waiter.await.unwrap().unwrap(), "hello");
//! })
//! .unwrap();
//! ```

mod builder;
mod completion;
#[cfg(feature = "cpu")]
mod cpu;
mod default_pool;
mod engine;
mod error;
mod offload;
mod pool;
mod to_thread;

pub use builder::{Builder, DEFAULT_IDLE_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT};
#[cfg(feature = "cpu")]
pub use cpu::{run_cpu, spawn_cpu};
pub use default_pool::{default_pool, set_default_pool};
pub use error::{BlockingError, ShutdownTimeout, WorkerPanic};
pub use offload::Offload;
pub use pool::{PoolStats, ThreadPool};
pub use to_thread::{run_in_executor, to_thread};

pub(crate) use default_pool::shutdown_default_pool;
