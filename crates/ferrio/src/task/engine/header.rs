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
//! | `JOIN_WAITING` | awaiting the `Task` handle suspended on this task | that await completes, or the handle is dropped |
//! | `REARMED` | a task group re-arms an outside request its errors won over | the request is delivered or withdrawn, or a fresh one is made |
//! | `HARD_CANCEL` | a task group or shutdown cancels the task | the request is delivered; if a poll ends with it undelivered, the task is aborted |
//!
//! Cancellation requests move a task from *running* through *cancel
//! requested* (`MUST_CANCEL`, `cancel_requests > 0`) to *cancelling* (the
//! `Cancelled` value was delivered and is alive in the task) and, if the task
//! returns that value, to *cancelled* (`COMPLETE | CANCELLED`). A task that
//! drops the value instead has swallowed the cancellation; `cancel_requests`
//! still counts it until `uncancel()`. A task that returns while a request
//! is still undelivered (`MUST_CANCEL`: it cancelled itself, say, and never
//! suspended again) also ends cancelled, as in asyncio.
//!
//! Cancellation follows the await chain: a task cancelled while awaiting a
//! `Task` handle forwards the request to the awaited task and keeps waiting
//! for it. The awaiter's delivered `Cancelled` is parked in the awaited
//! task's `Cold::join_cancel` (its join slot, next to `join_waker`) and
//! handed back to the awaiter if the awaited task ends cancelled.

//!
//! # Diagnostics
//!
//! The header records what a task dump needs that must be captured at
//! spawn: the id, the spawn location and the parent task. Per-task activity
//! (poll count, busy time, last-active instant, what it waits on) is
//! recorded only while the loop tracks activity (debug mode, a watchdog),
//! so that a task without diagnostics stays at its size and the poll path
//! pays one branch. A task spawned while the loop tracks activity keeps it
//! in a [`Tracked`] trailer of its own cell (no second allocation); one
//! spawned before tracking began keeps it in [`Cold`], allocated on its
//! first tracked poll.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::task::Waker;

use super::raw::Header;
use crate::event_loop::LoopId;
use crate::task::{TaskId, TaskRef};

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
/// Awaiting the typed handle suspended on this task: when the await
/// resumes, a pending cancellation of the awaiter wins over the outcome.
pub(crate) const JOIN_WAITING: u16 = 1 << 13;
/// The pending cancellation request must end the task: if a poll ends
/// without delivering it (the task is parked on a future that is not a
/// ferrio awaitable), the task is aborted.
pub(crate) const HARD_CANCEL: u16 = 1 << 14;
/// The pending request (`MUST_CANCEL`) was re-armed by a wrapper whose own
/// outcome won over it (`task::scope::rearm`): delivered at the next
/// suspension, but a task that returns first is not cancelled by it.
pub(crate) const REARMED: u16 = 1 << 15;

/// A done callback, run through `call_soon` once the task completes.
pub(crate) type DoneCallback = Box<dyn FnOnce(&TaskRef)>;

/// Identifies a done callback of a task, to remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DoneCallbackId(u64);

impl DoneCallbackId {
    pub(crate) fn next() -> DoneCallbackId {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        DoneCallbackId(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

/// Loop-thread metadata of one task.
pub(crate) struct Meta {
    pub(crate) id: TaskId,
    pub(crate) loop_id: LoopId,
    pub(crate) location: &'static Location<'static>,
    /// The task that was running when this one was spawned.
    pub(crate) parent: Option<TaskId>,
    flags: Cell<u16>,
    /// Which of the future or its output the cell's stage holds (see
    /// `raw`'s "Stage transitions"); touched by `raw` only.
    pub(crate) stage: Cell<u8>,
    pub(crate) join_waker: Cell<Option<Waker>>,
    /// Links of the loop's list of live tasks.
    pub(crate) prev: Cell<Option<NonNull<Header>>>,
    pub(crate) next: Cell<Option<NonNull<Header>>>,
    /// Rarely used data, allocated on first use so that the common task stays
    /// small. One word: the borrow flag lives with the data, in the `Rc`'s
    /// block. The header holds the only strong reference while no accessor
    /// runs (accessors clone it for their call, on the loop thread), so the
    /// last drop, which may happen on another thread with the cell (see
    /// `raw`), touches no count another thread could.
    cold: Cell<Option<Rc<RefCell<Cold>>>>,
}

// The hot header: 72 bytes of `Meta` (88 with `raw::Header`'s counts and
// vtable), so that a task parked on a small future fits a 112-byte malloc
// chunk.
#[cfg(all(target_pointer_width = "64", not(ferrio_loom)))]
const _: () = assert!(std::mem::size_of::<Meta>() == 72);

/// Rarely used per-task data.
#[derive(Default)]
pub(crate) struct Cold {
    pub(crate) name: Option<Arc<str>>,
    /// Pending cancellation requests (asyncio's `cancelling()`); kept here
    /// because a requested cancellation allocates the cold data anyway
    /// when it is delivered.
    pub(crate) cancel_requests: u32,
    pub(crate) cancel_message: Option<Arc<str>>,
    /// Counts the live `Cancelled` values delivered to this task; a task
    /// whose future returns one of them completes as cancelled.
    pub(crate) cancel_tracker: Option<Arc<AtomicUsize>>,
    pub(crate) done_callbacks: Vec<(DoneCallbackId, DoneCallback)>,
    /// The cancellation the awaiter of this task forwarded to it (see the
    /// module docs): given back to the awaiter if this task ends cancelled.
    pub(crate) join_cancel: Option<crate::task::Cancelled>,
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
    pub(crate) scopes: Vec<std::rc::Rc<crate::task::cancel::scope::CancelScope>>,
}

/// The activity record a task spawned while its loop tracks activity
/// carries after its cell (see `raw`'s module docs): 32 bytes, so that the
/// cell of a small future stays in a small malloc chunk (144 bytes for
/// `spawn_join`'s task, against 192 with `Activity` and an
/// `Option<&str>`). Loop times are `u64` nanoseconds since the clock
/// epoch (`event_loop::clock::nanos_since_epoch`), busy time `u64`
/// nanoseconds, and what the task waits on an index into this thread's
/// table of wait names. Only `Copy` data in `Cell`s: it is never dropped,
/// and touched on the loop thread only.
pub(crate) struct Tracked {
    /// Loop time of the spawn.
    spawned_at: Cell<u64>,
    /// Loop time at the end of the last poll (of the spawn before one).
    last_active: Cell<u64>,
    /// Wall-clock nanoseconds spent in polls.
    busy: Cell<u64>,
    /// The poll count above [`WAIT_BITS`] bits, and below them what the
    /// task last suspended on (as [`Cold::waiting_on`]): 0 for nothing,
    /// else 1 + its index in [`WAIT_NAMES`]. One word, so that a poll's
    /// start (clear the wait) and end (count it) touch one field.
    polls_wait: Cell<u64>,
}

const _: () = assert!(!std::mem::needs_drop::<Tracked>());
const _: () = assert!(std::mem::size_of::<Tracked>() == 32);

/// Bits of [`Tracked::polls_wait`] that hold the wait name; the poll count
/// keeps the other 48 (2.8·10¹⁴ polls, then it saturates).
const WAIT_BITS: u32 = 16;
const WAIT_MASK: u64 = (1 << WAIT_BITS) - 1;

thread_local! {
    /// The wait names noted on this thread, for [`Tracked::polls_wait`]: a
    /// handful of literals (`"sleep"`, `"lock"`, …), so a short scan finds
    /// one. A task is polled and looked at on its loop's thread only.
    static WAIT_NAMES: std::cell::RefCell<Vec<&'static str>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The code of `what` in [`WAIT_NAMES`] (1-based), adding it if needed;
/// 0 if the table is full.
fn wait_code(what: &'static str) -> u64 {
    WAIT_NAMES.with(|names| {
        let mut names = names.borrow_mut();
        let found = names
            .iter()
            .position(|n| std::ptr::eq(*n, what))
            .or_else(|| names.iter().position(|n| *n == what));
        let index = match found {
            Some(index) => index,
            None if (names.len() as u64) < WAIT_MASK => {
                names.push(what);
                names.len() - 1
            }
            None => return 0,
        };
        index as u64 + 1
    })
}

/// The wait name of `code` (see [`wait_code`]).
fn wait_name(code: u64) -> Option<&'static str> {
    let index = usize::try_from(code.checked_sub(1)?).ok()?;
    WAIT_NAMES.with(|names| names.borrow().get(index).copied())
}

impl Tracked {
    /// The record of a task spawned at loop time `now` (in
    /// `clock::nanos_since_epoch`).
    #[inline]
    pub(crate) fn spawned_at(now: u64) -> Tracked {
        Tracked {
            spawned_at: Cell::new(now),
            last_active: Cell::new(now),
            busy: Cell::new(0),
            polls_wait: Cell::new(0),
        }
    }

    /// What the task did, with loop times as instants.
    pub(crate) fn activity(&self) -> Activity {
        use crate::event_loop::clock::instant_at;
        Activity {
            spawned_at: Some(instant_at(self.spawned_at.get())),
            last_active: Some(instant_at(self.last_active.get())),
            polls: self.polls_wait.get() >> WAIT_BITS,
            busy: std::time::Duration::from_nanos(self.busy.get()),
        }
    }

    /// Forgets what the task waited on: a poll begins.
    #[inline]
    pub(crate) fn clear_wait(&self) {
        self.polls_wait.set(self.polls_wait.get() & !WAIT_MASK);
    }

    /// Notes what the task suspends on, unless something was noted already
    /// in this poll (the innermost awaitable, polled first, names it).
    pub(crate) fn note_wait(&self, what: &'static str) {
        let word = self.polls_wait.get();
        if word & WAIT_MASK == 0 {
            self.polls_wait.set(word | wait_code(what));
        }
    }

    /// What the task last suspended on.
    pub(crate) fn waiting_on(&self) -> Option<&'static str> {
        wait_name(self.polls_wait.get() & WAIT_MASK)
    }

    /// Records a poll that took `took` nanoseconds and ended at loop time
    /// `now`.
    #[inline]
    pub(crate) fn record_poll(&self, took: u64, now: u64) {
        let word = self.polls_wait.get();
        if word < !WAIT_MASK {
            self.polls_wait.set(word + (1 << WAIT_BITS));
        }
        self.busy.set(self.busy.get().saturating_add(took));
        self.last_active.set(now);
    }
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
            let mut cold = Cold::default();
            cold.name = Some(name);
            Rc::new(RefCell::new(cold))
        });
        Meta {
            id,
            loop_id,
            location,
            parent,
            flags: Cell::new(flags),
            stage: Cell::new(0),
            join_waker: Cell::new(None),
            prev: Cell::new(None),
            next: Cell::new(None),
            cold: Cell::new(cold),
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

    /// All the flags at once, to test several with one load.
    #[inline]
    pub(crate) fn flags(&self) -> u16 {
        self.flags.get()
    }

    /// Replaces all the flags at once.
    #[inline]
    pub(crate) fn set_flags(&self, flags: u16) {
        self.flags.set(flags);
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

    /// Pending cancellation requests (0 without cold data).
    pub(crate) fn cancel_requests(&self) -> u32 {
        self.cold(|c| c.cancel_requests).unwrap_or(0)
    }

    /// Sets the count of pending requests (allocating the cold data only
    /// for a nonzero count).
    pub(crate) fn set_cancel_requests(&self, n: u32) {
        if n == 0 {
            self.cold_existing_mut(|c| c.cancel_requests = 0);
        } else {
            self.cold_mut(|c| c.cancel_requests = n);
        }
    }

    /// A new strong reference to the cold data, if it has been allocated
    /// (the header keeps its own). Accessors borrow through it, so nested
    /// accesses behave as nested `RefCell` borrows.
    fn cold_ref(&self) -> Option<Rc<RefCell<Cold>>> {
        let cold = self.cold.take();
        let copy = cold.clone();
        self.cold.set(cold);
        copy
    }

    /// Runs `f` on the cold data if it has been allocated.
    pub(crate) fn cold<R>(&self, f: impl FnOnce(&Cold) -> R) -> Option<R> {
        self.cold_ref().map(|cold| f(&cold.borrow()))
    }

    /// Runs `f` on the cold data, allocating it first if needed.
    pub(crate) fn cold_mut<R>(&self, f: impl FnOnce(&mut Cold) -> R) -> R {
        let cold = match self.cold_ref() {
            Some(cold) => cold,
            None => {
                let cold = Rc::new(RefCell::new(Cold::default()));
                self.cold.set(Some(cold.clone()));
                cold
            }
        };
        let mut cold = cold.borrow_mut();
        f(&mut cold)
    }

    /// Runs `f` on the cold data only if it has been allocated.
    pub(crate) fn cold_existing_mut<R>(&self, f: impl FnOnce(&mut Cold) -> R) -> Option<R> {
        self.cold_ref().map(|cold| f(&mut cold.borrow_mut()))
    }

    /// Takes the done callbacks (none were registered if the cold data was
    /// never allocated).
    pub(crate) fn take_done_callbacks(&self) -> Vec<(DoneCallbackId, DoneCallback)> {
        self.cold_existing_mut(|cold| std::mem::take(&mut cold.done_callbacks))
            .unwrap_or_default()
    }

    /// Takes the cancellation an awaiter forwarded to this task, if any
    /// (without allocating the cold data).
    pub(crate) fn take_join_cancel(&self) -> Option<crate::task::Cancelled> {
        self.cold_existing_mut(|c| c.join_cancel.take()).flatten()
    }

    /// The task's name: the one given at spawn, or `Task-<id>`.
    pub(crate) fn name(&self) -> Arc<str> {
        self.cold(|c| c.name.clone())
            .flatten()
            .unwrap_or_else(|| Arc::from(format!("Task-{}", self.id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_loop::clock::instant_at;
    use std::time::Duration;

    #[test]
    fn a_tracked_record_starts_at_its_spawn() {
        let tracked = Tracked::spawned_at(5_000);
        let activity = tracked.activity();
        assert_eq!(activity.spawned_at, Some(instant_at(5_000)));
        assert_eq!(activity.last_active, Some(instant_at(5_000)));
        assert_eq!((activity.polls, activity.busy), (0, Duration::ZERO));
        assert_eq!(tracked.waiting_on(), None);
    }

    #[test]
    fn polls_and_the_wait_share_a_word_without_mixing() {
        let tracked = Tracked::spawned_at(0);
        tracked.note_wait("sleep");
        // The first note of a poll wins.
        tracked.note_wait("lock");
        assert_eq!(tracked.waiting_on(), Some("sleep"));
        tracked.record_poll(7, 100);
        tracked.record_poll(3, 250);
        assert_eq!(tracked.waiting_on(), Some("sleep"));
        let activity = tracked.activity();
        assert_eq!(activity.polls, 2);
        assert_eq!(activity.busy, Duration::from_nanos(10));
        assert_eq!(activity.last_active, Some(instant_at(250)));
        assert_eq!(activity.spawned_at, Some(instant_at(0)));
        // A new poll forgets the wait, not the count.
        tracked.clear_wait();
        assert_eq!(tracked.waiting_on(), None);
        assert_eq!(tracked.activity().polls, 2);
        tracked.note_wait("lock");
        assert_eq!(tracked.waiting_on(), Some("lock"));
    }

    #[test]
    fn the_poll_count_saturates_and_keeps_the_wait() {
        let tracked = Tracked::spawned_at(0);
        tracked.note_wait("sleep");
        tracked
            .polls_wait
            .set(tracked.polls_wait.get() | (((u64::MAX >> WAIT_BITS) - 1) << WAIT_BITS));
        tracked.record_poll(1, 1);
        tracked.record_poll(1, 2);
        assert_eq!(tracked.activity().polls, u64::MAX >> WAIT_BITS);
        assert_eq!(tracked.waiting_on(), Some("sleep"));
    }

    #[test]
    fn wait_names_are_found_by_value_too() {
        // Equal text at another address.
        let owned: &'static str = &"+wait-by-value"[1..];
        let code = wait_code("wait-by-value");
        assert_ne!(code, 0);
        assert_eq!(wait_code(owned), code);
        assert_eq!(wait_name(code), Some("wait-by-value"));
        assert_eq!(wait_name(0), None);
    }
}
