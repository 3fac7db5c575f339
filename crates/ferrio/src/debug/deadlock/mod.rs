//! The lock deadlock detector (debug mode): a wait-for graph of the tasks
//! that hold and wait for [`Lock`](crate::sync::Lock)s and
//! [`Semaphore`](crate::sync::Semaphore)s, searched each time a task
//! starts waiting; a cycle is reported at once as
//! [`ExceptionKind::Deadlock`], and [`deadlocks()`] keeps it.
//!
//! # What is recorded
//!
//! The graph is per thread (one loop runs per thread at a time; tasks are
//! keyed by loop and task id, and held by reference while they hold or wait
//! for a permit) and is built by the permit engine
//! (`sync/semaphore.rs`), which `Lock`, `Semaphore`, `BoundedSemaphore` and
//! `Condition`'s re-acquire share:
//!
//! - a **resource** is a semaphore engine, identified lazily the first time
//!   it is involved while a loop is in debug mode (its [`ResourceTag`]'s id,
//!   process-wide unique, 0 until then); from then on every permit taken or
//!   given back is recorded, whatever the mode, so that its record stays
//!   exact;
//! - a **holding** is a permit out. A permit taken through a borrowed guard
//!   (`acquire`, `try_acquire`, a condition re-acquire; see [`Hold`]) is
//!   held by the task that took it: such a guard cannot leave its task, so
//!   its drop, run by that task (or while that task's future is dropped,
//!   when the task is marked running without being polled), removes that
//!   task's holding. Guards carry nothing for the detector and stay the
//!   size of a reference. A permit behind an `Rc` guard (`acquire_owned`)
//!   can move to another task, so its holder is unknown; so is a permit
//!   detached with `forget`, or taken before the resource was tracked
//!   (counted as *anonymous*); and a plain `Semaphore` released by hand
//!   before it was tracked has an unknown number of permits out (*opaque*).
//!   A `Lock` has one permit: any release ends every holding;
//! - a **wait** is an acquire queued in the resource's wait list, keyed by
//!   its `WaitKey`. A permit handed to a waiter through the wait list
//!   (*granted*) makes the waiter a holder at once: it is woken, and no
//!   longer waits.
//!
//! # When it reports
//!
//! A resource blocks its waiters for good only if every permit out is held
//! by a known task and every one of those tasks is blocked for good (one
//! holder that can still run may release). A task is blocked for good if
//! every resource it waits for is (a task waiting on two acquires at once
//! needs both, so this is the cautious reading), unless it is ready to run:
//! scheduled, or with a cancellation request pending. When task `T` starts
//! waiting for `R` (and at each later poll of that wait until reported),
//! the detector computes, over the part of the graph reachable from `R`,
//! the greatest such set — once with `T` blocked, once with `T` free — and
//! reports if `R` is blocked only in the first case: `T`'s wait closed the
//! cycle. A task waiting for a lock it holds itself is the one-task cycle.
//! Each wait in a reported cycle is reported once. A task that holds
//! nothing closes no cycle, so ordinary contention costs the search
//! nothing; a task that takes a permit handed to it while it still waits
//! for another (two acquires joined in one task) is searched from its
//! other waits, as taking may close the cycle too.
//!
//! A resource's record lives as long as its semaphore (its `Drop` removes
//! it); the graph holds references to the tasks it records, released as
//! they give back or stop waiting.
//!
//! Not seen: waits on anything but these primitives (events, queues, task
//! joins), and cycles through guards held behind an `Rc`. Reported all the
//! same: a cycle that a timeout around one of its waits would end later.

use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;
use std::task::Waker;

use crate::event_loop::inner::Inner;
use crate::event_loop::{context, LoopId, TaskInfo};
#[cfg(doc)]
use crate::event_loop::{DeadlockAction, ExceptionKind};
use crate::sync::wait_list::WaitKey;
use crate::task::raw::RawTask;

mod detect;
mod graph;
#[cfg(test)]
mod tests;

pub(crate) use crate::sync::hook::{Hold, Kind, PermitHooks, ResourceTag};
use detect::{detect, report};
use graph::{key_of, Graph, Waiter};

/// The detector, as the permit engine's listener (bound at the crate root).
pub(crate) static HOOKS: PermitHooks = PermitHooks {
    acquired,
    taken,
    released,
    forgotten,
    hand_released,
    granted,
    left,
    dropped,
    waiting,
};

/// Reports kept for [`deadlocks()`], oldest dropped first.
const KEPT_REPORTS: usize = 64;

/// The message a cancelled victim's `Cancelled` carries.
const VICTIM_MESSAGE: &str = "deadlock victim (DeadlockAction::CancelVictim)";

thread_local! {
    static GRAPH: RefCell<Graph> = RefCell::new(Graph::default());
    static FOUND: RefCell<VecDeque<(LoopId, Deadlock)>> = const { RefCell::new(VecDeque::new()) };
}

/// A deadlock found by the detector: a cycle of tasks, each waiting for a
/// lock or semaphore held by the next. From [`deadlocks()`]; its `Display`
/// is the report's message.
///
/// `tasks[i]` waits for `resources[i]`, which is held by `tasks[i + 1]`
/// (the last resource by `tasks[0]`). `tasks[0]` is the task whose wait
/// closed the cycle; a self-deadlock has one task and one resource.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Deadlock {
    /// The tasks of the cycle, the one that closed it first.
    pub tasks: Vec<TaskInfo>,
    /// What each task waits for: `Lock 'name'`, `Lock #3`, `Semaphore #5`,
    /// `BoundedSemaphore #7` (ids are unique in the process).
    pub resources: Vec<String>,
    /// The task cancelled to break the cycle
    /// ([`DeadlockAction::CancelVictim`]), if any.
    pub victim: Option<TaskInfo>,
    message: String,
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The deadlocks the detector found on the running loop, oldest first
/// (the last 64 of the thread are kept). Empty outside a running loop, or
/// if the loop never ran in debug mode.
///
/// Each was reported to the loop's exception handler as
/// [`ExceptionKind::Deadlock`] when it formed; the detector runs in debug
/// mode only ([`Builder::debug`](crate::event_loop::Builder::debug)).
///
/// ```
/// use ferrio::sync::Lock;
///
/// ferrio::EventLoop::builder()
///     .debug(true)
///     .exception_handler(|report| println!("{report}"))
///     .build()
///     .unwrap()
///     .run_until_complete(async {
///         let lock = Lock::named("config");
///         let l = lock.clone();
///         let task = ferrio::task::Builder::new()
///             .name("reloader")
///             .spawn(async move {
///                 let _held = l.acquire().await?;
///                 let _again = l.acquire().await?; // waits for itself
///                 Ok::<_, ferrio::Cancelled>(())
///             })
///             .unwrap();
///         ferrio::yield_now().await.unwrap();
///         let found = ferrio::debug::deadlocks();
///         assert_eq!(found.len(), 1);
///         assert!(found[0].to_string().starts_with(
///             "deadlock: task 'reloader' waits for Lock 'config', which it holds itself"
///         ));
///         task.cancel();
///         assert!(task.await.unwrap_err().is_cancelled());
///     })
///     .unwrap();
/// ```
pub fn deadlocks() -> Vec<Deadlock> {
    let Some(id) = context::with_current(|inner| inner.map(|i| i.id)) else {
        return Vec::new();
    };
    FOUND
        .try_with(|found| {
            found
                .borrow()
                .iter()
                .filter(|(l, _)| *l == id)
                .map(|(_, d)| d.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the detector may have anything to do on this thread: one
/// thread-local read, `false` until a loop of the thread enters debug mode.
/// Runs `f` on this thread's graph; task references it removed are dropped
/// after the graph is released.
fn with_graph<R>(f: impl FnOnce(&mut Graph) -> R) -> Option<R> {
    GRAPH
        .try_with(|cell| {
            let (result, trash) = {
                let mut g = cell.borrow_mut();
                let result = f(&mut g);
                let trash = (!g.trash.is_empty()).then(|| std::mem::take(&mut g.trash));
                (result, trash)
            };
            if let Some(mut trash) = trash {
                trash.clear();
                // Keep the allocation for next time.
                if let Ok(mut g) = cell.try_borrow_mut() {
                    if g.trash.capacity() == 0 {
                        g.trash = trash;
                    }
                }
            }
            result
        })
        .ok()
}

/// The running loop, whether it is in debug mode, and the task it polls.
fn current() -> Option<(Rc<Inner>, bool, Option<RawTask>)> {
    let inner = context::current()?;
    let debugging = inner.debugging();
    let task = RawTask::current(&inner.current_task);
    Some((inner, debugging, task))
}

/// A permit of `tag` was just taken without waiting (`permits` are left).
/// Call only when [`tracking()`].
#[cold]
#[inline(never)]
fn acquired(tag: &ResourceTag, permits: usize, hold: Hold) {
    // Free permits: nobody waits for this one, so taking it closes no
    // cycle.
    record_holding(tag, None, tag.capacity.saturating_sub(permits + 1), hold);
}

/// The current task took the permit handed to its wait `key` on the
/// tracked `tag`. In debug mode, if the task still waits for something
/// else (two acquires joined in one task), taking this permit may close a
/// cycle: reported as in [`waiting`].
#[cold]
#[inline(never)]
fn taken(tag: &ResourceTag, key: WaitKey, permits: usize, hold: Hold, waker: &Waker) {
    let out = tag.capacity.saturating_sub(permits + 1);
    let Some((inner, me)) = record_holding(tag, Some(key), out, hold) else {
        return;
    };
    let action = inner.deadlock_action.get();
    let me_key = key_of(&me);
    let found = with_graph(|g| {
        let waits = g.waits_of(me_key).to_vec();
        waits
            .into_iter()
            .find_map(|id| detect(g, me_key, id, inner.id, action))
    })
    .flatten();
    if let Some(found) = found {
        report(&inner, found, &me, waker);
    }
}

/// Records a permit of `tag` taken by the current task (through its wait
/// `key`, if any). Returns the loop and the task if in debug mode with
/// the task holding the permit.
fn record_holding(
    tag: &ResourceTag,
    key: Option<WaitKey>,
    out: usize,
    hold: Hold,
) -> Option<(Rc<Inner>, RawTask)> {
    let (inner, debugging, me) = match current() {
        Some((inner, debugging, me)) => (Some(inner), debugging, me),
        None => (None, false, None),
    };
    if !tag.is_tracked() && !debugging {
        return None;
    }
    let me = with_graph(|g| {
        let id = g.resource(tag, out);
        let waiter = key.and_then(|key| g.take_waiter(id, key));
        g.trash.extend(waiter);
        if g.resources[&id].label.kind == Kind::Lock {
            // One permit: any holding recorded before is gone.
            g.clear_holdings(id);
        }
        match hold {
            Hold::Task => {
                g.hold(id, me.clone());
                me
            }
            Hold::Owned => {
                g.hold(id, None);
                None
            }
        }
    })
    .flatten()?;
    Some((inner?, me)).filter(|_| debugging)
}

/// A guard of kind `hold` holding a permit of the tracked `tag` was
/// dropped.
#[cold]
#[inline(never)]
fn released(tag: &ResourceTag, hold: Hold) {
    let me = current().and_then(|(_, _, me)| me);
    let id = tag.id.get();
    with_graph(|g| {
        g.release(id, hold, me.as_ref());
    });
}

/// A guard of kind `hold` of the tracked `tag` was detached with `forget`:
/// the permit stays out, held by nobody known.
#[cold]
#[inline(never)]
fn forgotten(tag: &ResourceTag, hold: Hold) {
    let me = current().and_then(|(_, _, me)| me);
    let id = tag.id.get();
    with_graph(|g| {
        g.release(id, hold, me.as_ref());
        if let Some(r) = g.resources.get_mut(&id) {
            r.anonymous += 1;
        }
    });
}

/// `n` permits were released by hand (`release`, `add_permits`): they end
/// anonymous holdings first.
fn hand_released(tag: &ResourceTag, n: usize) {
    let id = tag.id.get();
    with_graph(|g| {
        if let Some(r) = g.resources.get_mut(&id) {
            r.anonymous = r.anonymous.saturating_sub(n);
        }
    });
}

/// A permit of the tracked `tag` was handed to its waiter `key`.
#[cold]
#[inline(never)]
fn granted(tag: &ResourceTag, key: WaitKey) {
    let id = tag.id.get();
    with_graph(|g| g.grant(id, key));
}

/// The wait `key` on the tracked `tag` was cancelled or dropped; a permit
/// it had been handed went on to the waiter `passed_to`, if any.
#[cold]
#[inline(never)]
fn left(tag: &ResourceTag, key: WaitKey, passed_to: Option<WaitKey>) {
    let id = tag.id.get();
    with_graph(|g| {
        let waiter = g.take_waiter(id, key);
        g.trash.extend(waiter);
        if let Some(next) = passed_to {
            g.grant(id, next);
        }
    });
}

/// The tracked engine `tag` is dropped.
#[cold]
#[inline(never)]
fn dropped(tag: &ResourceTag) {
    let id = tag.id.get();
    with_graph(|g| {
        if g.resources.contains_key(&id) {
            g.clear_holdings(id);
            if let Some(r) = g.resources.remove(&id) {
                g.trash.extend(r.waiters.into_values().map(|w| w.task));
            }
        }
    });
}

/// The current task waits (still) for a permit of `tag` through its wait
/// `key`; `permits` are available (0 while anybody waits). In debug mode,
/// records the wait and reports the deadlock it closes, if any. Call when
/// [`tracking()`].
#[cold]
#[inline(never)]
fn waiting(tag: &ResourceTag, permits: usize, key: WaitKey, cancellable: bool, waker: &Waker) {
    let Some((inner, true, Some(me_task))) = current() else {
        return;
    };
    let me = key_of(&me_task);
    let action = inner.deadlock_action.get();
    let found = with_graph(|g| {
        let id = g.resource(tag, tag.capacity.saturating_sub(permits));
        let r = g.resources.get_mut(&id).expect("just recorded");
        match r.waiters.entry(key) {
            Entry::Occupied(w) if w.get().reported || w.get().granted => return None,
            Entry::Occupied(_) => {}
            Entry::Vacant(e) => {
                e.insert(Waiter {
                    task: me_task.clone(),
                    cancellable,
                    granted: false,
                    reported: false,
                });
                g.waits.entry(me).or_default().push(id);
            }
        }
        detect(g, me, id, inner.id, action)
    })
    .flatten();
    if let Some(found) = found {
        report(&inner, found, &me_task, waker);
    }
}
