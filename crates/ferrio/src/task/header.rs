//! Per-task metadata kept in the task's header, touched on the loop thread
//! only.
//!
//! # State flags
//!
//! | flag | set when | cleared when |
//! |---|---|---|
//! | `SCHEDULED` | the task is put in the run queue | the loop takes it out to poll it |
//! | `RUNNING` | its future is being polled | the poll returns |
//! | `STARTED` | the first poll begins | never |
//! | `MUST_CANCEL` | `cancel()` is called | the request is delivered at a ferrio awaitable, or `uncancel()` brings the count to 0 |
//! | `ABORT` | `abort()` is called while the task polls itself | the poll returns and the future is dropped |
//! | `COMPLETE` | the future finished, panicked, or was dropped | never |
//! | `CANCELLED` | it completed by cancellation (a delivered `Cancelled` was returned, an abort, a cancel before start, loop close) | never |
//! | `PANICKED` | it completed by a panic | never |
//! | `HANDLE` | a typed `Task<T>` exists that can still take the result | that handle is dropped or detached |
//! | `RETRIEVED` | someone looked at the outcome (awaited it, took it, asked for the panic) | never |
//! | `REPORTED` | a never-retrieved failure was reported | never |
//! | `SCOPED` | a cancel scope is entered while the task polls | the last one is left |
//! | `DETACHED` | `Task::detach()` | never |
//!
//! Cancellation requests move a task from *running* through *cancel
//! requested* (`MUST_CANCEL`, `cancel_requests > 0`) to *cancelling* (the
//! `Cancelled` value was delivered and is alive in the task) and, if the task
//! returns that value, to *cancelled* (`COMPLETE | CANCELLED`). A task that
//! drops the value instead has swallowed the cancellation; `cancel_requests`
//! still counts it until `uncancel()`.

//!
//! # Diagnostics
//!
//! The header records what a task dump needs that must be captured at
//! spawn: the id, the spawn location and the parent task. Per-task activity
//! (poll count, busy time, last-active instant) lives in [`Cold`], recorded
//! only while the loop tracks activity (debug mode, a watchdog), so that a
//! task without diagnostics stays at its size and the poll path pays one
//! branch.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::task::Waker;

use super::raw::Header;
use super::{TaskId, TaskRef};
use crate::event_loop::LoopId;

pub(crate) const SCHEDULED: u16 = 1 << 0;
pub(crate) const RUNNING: u16 = 1 << 1;
pub(crate) const STARTED: u16 = 1 << 2;
pub(crate) const MUST_CANCEL: u16 = 1 << 3;
pub(crate) const ABORT: u16 = 1 << 4;
pub(crate) const COMPLETE: u16 = 1 << 5;
pub(crate) const CANCELLED: u16 = 1 << 6;
pub(crate) const PANICKED: u16 = 1 << 7;
pub(crate) const HANDLE: u16 = 1 << 8;
pub(crate) const RETRIEVED: u16 = 1 << 9;
pub(crate) const REPORTED: u16 = 1 << 10;
/// The task is inside at least one cancel scope (see `task::scope`).
pub(crate) const SCOPED: u16 = 1 << 11;
/// The handle was detached on purpose (`Task::detach`).
pub(crate) const DETACHED: u16 = 1 << 12;

/// A done callback, run through `call_soon` once the task completes.
pub(crate) type DoneCallback = Box<dyn FnOnce(&TaskRef)>;

/// Loop-thread metadata of one task.
pub(crate) struct Meta {
    pub(crate) id: TaskId,
    pub(crate) loop_id: LoopId,
    pub(crate) location: &'static Location<'static>,
    /// The task that was running when this one was spawned.
    pub(crate) parent: Option<TaskId>,
    flags: Cell<u16>,
    cancel_requests: Cell<u32>,
    pub(crate) join_waker: Cell<Option<Waker>>,
    /// Links of the loop's list of live tasks.
    pub(crate) prev: Cell<Option<NonNull<Header>>>,
    pub(crate) next: Cell<Option<NonNull<Header>>>,
    /// Rarely used data, allocated on first use so that the common task stays
    /// small.
    cold: RefCell<Option<Box<Cold>>>,
}

/// Rarely used per-task data.
#[derive(Default)]
pub(crate) struct Cold {
    pub(crate) name: Option<Arc<str>>,
    pub(crate) cancel_message: Option<Arc<str>>,
    /// Counts the live `Cancelled` values delivered to this task; a task
    /// whose future returns one of them completes as cancelled.
    pub(crate) cancel_tracker: Option<Arc<AtomicUsize>>,
    pub(crate) done_callbacks: Vec<DoneCallback>,
    pub(crate) panic: Option<Box<dyn Any + Send>>,
    pub(crate) panic_message: Option<Arc<str>>,
    /// What the task did, when the loop tracks activity (debug mode, a
    /// watchdog).
    pub(crate) activity: Activity,
    /// What the task last suspended on (`"sleep"`, `"lock"`, …), noted by
    /// leaf futures through `task::note_wait` while the loop tracks
    /// activity; cleared when the task is polled.
    pub(crate) waiting_on: Option<&'static str>,
    /// The cancel scopes the task is inside while it polls, outermost first.
    pub(crate) scopes: Vec<std::rc::Rc<super::scope::CancelScope>>,
}

/// A task's activity, recorded while the loop tracks it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Activity {
    /// Loop time of the spawn.
    pub(crate) spawned_at: Option<std::time::Instant>,
    /// Loop time at the end of the last poll.
    pub(crate) last_active: Option<std::time::Instant>,
    pub(crate) polls: u64,
    /// Wall-clock time spent in polls.
    pub(crate) busy: std::time::Duration,
}

impl Drop for Cold {
    fn drop(&mut self) {
        // Done callbacks are drained on the loop thread when the task
        // completes. If any were left (they cannot be, but a `!Send` closure
        // must never be dropped on another thread), leak them.
        let callbacks = std::mem::take(&mut self.done_callbacks);
        if callbacks.is_empty() {
            drop(callbacks);
        } else {
            std::mem::forget(callbacks);
        }
        // Scopes are popped when the poll that pushed them returns, so the
        // stack is empty whenever a task is at rest, and the cold data may
        // be freed on another thread (a waker dropped last): never drop an
        // `Rc` here. An empty stack holds no `Rc`, only its buffer, which
        // goes back to the allocator.
        let scopes = std::mem::take(&mut self.scopes);
        debug_assert!(scopes.is_empty(), "a task freed inside a cancel scope");
        if scopes.is_empty() {
            drop(scopes);
        } else {
            std::mem::forget(scopes);
        }
    }
}

impl Meta {
    #[inline]
    pub(crate) fn new(
        id: TaskId,
        loop_id: LoopId,
        location: &'static Location<'static>,
        parent: Option<TaskId>,
        name: Option<Arc<str>>,
        flags: u16,
    ) -> Meta {
        let cold = name.map(|name| {
            let mut cold = Box::<Cold>::default();
            cold.name = Some(name);
            cold
        });
        Meta {
            id,
            loop_id,
            location,
            parent,
            flags: Cell::new(flags),
            cancel_requests: Cell::new(0),
            join_waker: Cell::new(None),
            prev: Cell::new(None),
            next: Cell::new(None),
            cold: RefCell::new(cold),
        }
    }

    #[cfg(test)]
    pub(crate) fn for_tests() -> Meta {
        Meta::new(
            TaskId::from_raw(1),
            LoopId::for_tests(),
            Location::caller(),
            None,
            None,
            0,
        )
    }

    #[inline]
    pub(crate) fn has(&self, flag: u16) -> bool {
        self.flags.get() & flag != 0
    }

    #[inline]
    pub(crate) fn set(&self, flag: u16) {
        self.flags.set(self.flags.get() | flag);
    }

    #[inline]
    pub(crate) fn clear(&self, flag: u16) {
        self.flags.set(self.flags.get() & !flag);
    }

    pub(crate) fn cancel_requests(&self) -> u32 {
        self.cancel_requests.get()
    }

    pub(crate) fn set_cancel_requests(&self, n: u32) {
        self.cancel_requests.set(n);
    }

    /// Runs `f` on the cold data if it has been allocated.
    pub(crate) fn cold<R>(&self, f: impl FnOnce(&Cold) -> R) -> Option<R> {
        self.cold.borrow().as_deref().map(f)
    }

    /// Runs `f` on the cold data, allocating it first if needed.
    pub(crate) fn cold_mut<R>(&self, f: impl FnOnce(&mut Cold) -> R) -> R {
        let mut cold = self.cold.borrow_mut();
        f(cold.get_or_insert_with(Box::default))
    }

    /// Takes the done callbacks (none were registered if the cold data was
    /// never allocated).
    pub(crate) fn take_done_callbacks(&self) -> Vec<DoneCallback> {
        match self.cold.borrow_mut().as_deref_mut() {
            Some(cold) => std::mem::take(&mut cold.done_callbacks),
            None => Vec::new(),
        }
    }

    /// The task's name: the one given at spawn, or `Task-<id>`.
    pub(crate) fn name(&self) -> Arc<str> {
        self.cold(|c| c.name.clone())
            .flatten()
            .unwrap_or_else(|| Arc::from(format!("Task-{}", self.id)))
    }
}
