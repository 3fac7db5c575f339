//! The task engine: the raw task cell and its waker (the unsafe part),
//! the per-task header, the loop's list of live tasks, running one step of
//! a task and finishing it, and the main task of `run_until_complete`.
//!
//! The public task API (`Task`, `TaskRef`, `Builder`, `shield`) sits in the
//! folder above and reaches the engine only through it.
//!
//! # The one cycle between layers
//!
//! The engine and the event loop (`event_loop/`) need each other, as in
//! every runtime: the loop's run queue holds [`raw::RawTask`]s and calls
//! [`schedule::run`] to poll them, and a task's waker calls back into its
//! loop to queue itself ([`schedule::schedule`], [`schedule::wake`]). The
//! loop sees a task only through this folder's narrow interface — queueing
//! ([`raw::RawTask::mark_scheduled`]), running, the live list, and the
//! current task — never through its flag bits. No other pair of layers
//! imports each other (`.ci/layers.py` checks it).

pub(crate) mod header;
#[allow(unsafe_code)]
pub(crate) mod list;
#[allow(unsafe_code)]
pub(crate) mod main_task;
#[allow(unsafe_code)]
pub(crate) mod raw;
pub(crate) mod schedule;
