//! # ferrio — Python's asyncio, rebuilt as a Rust async runtime
//!
//! One event loop per thread, cooperative tasks, and cancellation delivered
//! at await points as a value (`Err(Cancelled)`) so that cleanup code can run
//! and await — the asyncio model, with Rust's types.
//!
//! ```
//! use std::time::Duration;
//!
//! let total = ferrio::run(async {
//!     let tasks: Vec<_> = (1..=3)
//!         .map(|i| ferrio::spawn(async move {
//!             ferrio::sleep(Duration::from_millis(i)).await?;
//!             Ok::<u64, ferrio::Cancelled>(i)
//!         }))
//!         .collect();
//!     let mut total = 0;
//!     for task in tasks {
//!         total += task.await.unwrap().unwrap();
//!     }
//!     total
//! })
//! .unwrap();
//! assert_eq!(total, 6);
//! ```
//!
//! The layers, each depending only on those above it:
//! `reactor` (OS readiness through mio) → [`event_loop`] (run queue, timers,
//! callbacks, clock) → [`task`] (spawn, cancellation, join) → [`time`](mod@time)
//! (sleep, yield) → [`Runner`]/[`run`].

#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    unreachable_pub,
    clippy::undocumented_unsafe_blocks
)]
#![doc(test(attr(deny(warnings))))]

pub mod blocking;
pub mod combinators;
#[cfg(feature = "hyper")]
pub mod compat;
pub mod cores;
pub mod debug;
pub mod event_loop;
pub mod future;
mod loom;
pub mod net;
pub mod process;
pub mod queue;
mod reactor;
mod runner;
pub mod signal;
pub mod stream;
pub mod submit;
pub mod sync;
pub mod task;
pub mod task_group;
pub mod time;

pub use blocking::{run_in_executor, to_thread};
pub use combinators::{as_completed, gather, gather_settled, wait, ReturnWhen};
pub use cores::run_on_cores;
pub use event_loop::{
    CallbackHandle, EventLoop, Handle, RunError, SpawnError, ThreadsafeHandle, TimerHandle,
};
pub use ferrio_macros::{main, test};
pub use runner::{run, Runner, RunnerBuilder, DEFAULT_SHUTDOWN_GRACE};
pub use task::{shield, spawn, Cancelled, JoinError, Task, TaskRef};
pub use task_group::TaskGroup;
pub use time::{now, sleep, sleep_until, timeout, timeout_at, wait_for, yield_now, TimeoutError};

/// The crate's composition root binds the sync layer's permit hooks to
/// debug mode's deadlock detector, so that `sync` never imports `debug`.
pub(crate) static SYNC_HOOKS: &sync::hook::PermitHooks = &debug::deadlock::HOOKS;

#[doc(hidden)]
pub mod __private {
    //! Entry points for `#[ferrio::main]` and `#[ferrio::test]`.

    use std::future::Future;

    /// Runs the body of `#[ferrio::main]`.
    #[track_caller]
    pub fn block_on_main<F: Future>(future: F) -> F::Output {
        match crate::run(future) {
            Ok(output) => output,
            Err(crate::RunError::Interrupted) => std::process::exit(130),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
    }

    /// Runs the body of `#[ferrio::test]`.
    #[track_caller]
    pub fn block_on_test<F: Future>(future: F, virtual_clock: bool) -> F::Output {
        let event_loop = crate::EventLoop::builder()
            .virtual_clock(virtual_clock)
            .build()
            .expect("ferrio test: cannot create the event loop");
        let runner = crate::Runner::with_loop(event_loop);
        let output = runner
            .run(future)
            .unwrap_or_else(|e| panic!("ferrio test: {e}"));
        runner
            .close()
            .unwrap_or_else(|e| panic!("ferrio test: {e}"));
        output
    }
}
