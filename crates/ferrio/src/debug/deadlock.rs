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

use std::cell::{Cell, RefCell};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Waker;

use crate::event_loop::inner::Inner;
use crate::event_loop::{
    context, DeadlockAction, ExceptionContext, ExceptionKind, LoopId, TaskInfo,
};
use crate::sync::wait_list::WaitKey;
use crate::task::header::{COMPLETE, MUST_CANCEL, RUNNING, SCHEDULED};
use crate::task::raw::RawTask;
use crate::task::schedule::task_info;
use crate::task::{TaskId, TaskRef};

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
/// use std::rc::Rc;
/// use ferrio::sync::Lock;
///
/// ferrio::EventLoop::builder()
///     .debug(true)
///     .exception_handler(|report| println!("{report}"))
///     .build()
///     .unwrap()
///     .run_until_complete(async {
///         let lock = Rc::new(Lock::named("config"));
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

/// Which primitive a semaphore engine serves, for messages and dumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Lock,
    Semaphore,
    BoundedSemaphore,
}

impl Kind {
    fn type_name(self) -> &'static str {
        match self {
            Kind::Lock => "Lock",
            Kind::Semaphore => "Semaphore",
            Kind::BoundedSemaphore => "BoundedSemaphore",
        }
    }

    /// What a task waiting on it waits on, for task dumps.
    pub(crate) fn wait_label(self) -> &'static str {
        match self {
            Kind::Lock => "lock",
            Kind::Semaphore | Kind::BoundedSemaphore => "semaphore",
        }
    }
}

/// A semaphore engine's identity for the detector; lives in the engine.
pub(crate) struct ResourceTag {
    kind: Kind,
    name: Option<&'static str>,
    /// Permits at creation (a `Lock`'s 1, a `BoundedSemaphore`'s bound).
    capacity: usize,
    /// 0 until the detector first tracks the engine.
    id: Cell<u64>,
    /// A plain `Semaphore` was released by hand before it was tracked, so
    /// how many permits are out is unknown.
    hand_released: Cell<bool>,
}

impl ResourceTag {
    pub(crate) const fn new(
        kind: Kind,
        name: Option<&'static str>,
        capacity: usize,
    ) -> ResourceTag {
        ResourceTag {
            kind,
            name,
            capacity,
            id: Cell::new(0),
            hand_released: Cell::new(false),
        }
    }

    /// Whether the detector records this engine's permits.
    #[inline]
    pub(crate) fn is_tracked(&self) -> bool {
        self.id.get() != 0
    }

    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    pub(crate) fn name(&self) -> Option<&'static str> {
        self.name
    }
}

impl fmt::Debug for ResourceTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceTag")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("id", &self.id.get())
            .finish()
    }
}

/// Who a permit taken through a guard is held by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hold {
    /// A borrowed guard (`acquire`, `try_acquire`, a condition re-acquire):
    /// held by the task that took it, which it cannot leave.
    Task,
    /// A guard behind an `Rc` (`acquire_owned`): it can move to another
    /// task, so its holder is unknown.
    Owned,
}

/// Whether the detector may have anything to do on this thread: one
/// thread-local read, `false` until a loop of the thread enters debug mode.
#[inline]
pub(crate) fn tracking() -> bool {
    crate::event_loop::debug_seen()
}

type TaskKey = (LoopId, TaskId);

/// A fast hasher for the graph's keys, which are small integers of its
/// own (resource ids, task ids, wait keys): FxHash's multiply-rotate, not
/// DoS-resistant, which such keys need not be.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl IdHasher {
    #[inline]
    fn add(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;
type IdSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;

fn key_of(task: &RawTask) -> TaskKey {
    let meta = task.meta();
    (meta.loop_id, meta.id)
}

#[derive(Debug, Clone, Copy)]
struct Label {
    kind: Kind,
    name: Option<&'static str>,
    id: u64,
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name {
            Some(name) => write!(f, "{} '{name}'", self.kind.type_name()),
            None => write!(f, "{} #{}", self.kind.type_name(), self.id),
        }
    }
}

/// The permits a task holds through borrowed guards.
struct Holding {
    key: TaskKey,
    task: RawTask,
    count: usize,
}

struct Waiter {
    task: RawTask,
    /// `false` for a `Condition` re-acquiring its lock, which a
    /// cancellation does not end.
    cancellable: bool,
    /// A permit was handed to it: it is runnable, and counts as a holder.
    granted: bool,
    reported: bool,
}

struct Resource {
    label: Label,
    /// By task, in the order they took their first permit (reports name
    /// holders in that order). Few: at most one per permit.
    holders: Vec<Holding>,
    /// Permits held through `Rc` guards, or taken outside any task.
    movable: usize,
    /// Permits out that no known guard holds: taken before the resource
    /// was tracked, or detached with `forget`.
    anonymous: usize,
    /// How many permits are out is unknown.
    opaque: bool,
    waiters: IdMap<WaitKey, Waiter>,
    /// Waiters handed a permit that they have not taken yet.
    granted: usize,
}

impl Resource {
    /// Whether the holders alone can keep the waiters out: every permit out
    /// is held by a known task, none handed to a waiter.
    fn could_block(&self) -> bool {
        !self.opaque
            && self.anonymous == 0
            && self.movable == 0
            && self.granted == 0
            && !self.holders.is_empty()
    }

    fn holder_tasks(&self) -> impl Iterator<Item = TaskKey> + '_ {
        self.holders.iter().map(|h| h.key)
    }

    fn holding(&self, task: TaskKey) -> Option<usize> {
        self.holders.iter().position(|h| h.key == task)
    }
}

#[derive(Default)]
struct Graph {
    resources: IdMap<u64, Resource>,
    /// The resources each task waits for (not granted yet).
    waits: IdMap<TaskKey, Vec<u64>>,
    /// How many permits each task holds, all resources together: a task
    /// holding nothing closes no cycle.
    held: IdMap<TaskKey, usize>,
    /// Task references removed, dropped once the graph is released.
    trash: Vec<RawTask>,
}

impl Graph {
    /// The record of `tag`, tracking it first if needed; `out` is how many
    /// permits are out, not counting the one being recorded now.
    fn resource(&mut self, tag: &ResourceTag, out: usize) -> u64 {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let mut first = false;
        let id = match tag.id.get() {
            0 => {
                let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
                tag.id.set(id);
                first = true;
                id
            }
            id => id,
        };
        let resource = self.resources.entry(id).or_insert_with(|| Resource {
            label: Label {
                kind: tag.kind,
                name: tag.name,
                id,
            },
            holders: Vec::new(),
            movable: 0,
            anonymous: 0,
            opaque: false,
            waiters: IdMap::default(),
            granted: 0,
        });
        if first {
            resource.opaque = tag.kind == Kind::Semaphore && tag.hand_released.get();
            resource.anonymous = out;
        }
        id
    }

    /// Records a permit of `id` held by `task` (`None`: movable).
    fn hold(&mut self, id: u64, task: Option<RawTask>) {
        let Some(r) = self.resources.get_mut(&id) else {
            self.trash.extend(task);
            return;
        };
        let Some(task) = task else {
            r.movable += 1;
            return;
        };
        let key = key_of(&task);
        match r.holding(key) {
            Some(i) => {
                r.holders[i].count += 1;
                self.trash.push(task);
            }
            None => r.holders.push(Holding {
                key,
                task,
                count: 1,
            }),
        }
        *self.held.entry(key).or_default() += 1;
    }

    /// Forgets `n` permits held by `task` in the count of every resource.
    fn unheld(&mut self, task: TaskKey, n: usize) {
        if let Some(held) = self.held.get_mut(&task) {
            *held -= n;
            if *held == 0 {
                self.held.remove(&task);
            }
        }
    }

    /// Forgets one permit of `id` held by its holder `i`.
    fn unhold(&mut self, id: u64, i: usize) {
        let Some(r) = self.resources.get_mut(&id) else {
            return;
        };
        let holding = &mut r.holders[i];
        let key = holding.key;
        holding.count -= 1;
        if holding.count == 0 {
            // `remove`, not `swap_remove`: keep the order of the rest.
            self.trash.push(r.holders.remove(i).task);
        }
        self.unheld(key, 1);
    }

    /// Forgets every permit of `id` (a `Lock`'s one permit changes hands).
    fn clear_holdings(&mut self, id: u64) {
        let Graph {
            resources,
            held,
            trash,
            ..
        } = self;
        let Some(r) = resources.get_mut(&id) else {
            return;
        };
        r.movable = 0;
        r.anonymous = 0;
        for h in r.holders.drain(..) {
            if let Some(n) = held.get_mut(&h.key) {
                *n -= h.count;
                if *n == 0 {
                    held.remove(&h.key);
                }
            }
            trash.push(h.task);
        }
    }

    /// Forgets the permit of `id` given back through a guard of kind
    /// `hold`, while `me` runs (`None`: a task's future being dropped).
    fn release(&mut self, id: u64, hold: Hold, me: Option<&RawTask>) {
        let Some(r) = self.resources.get(&id) else {
            return;
        };
        if r.label.kind == Kind::Lock {
            // One permit: whoever was recorded holds nothing now.
            return self.clear_holdings(id);
        }
        // A task whose future is being dropped (running, yet not the task
        // polled) gives back its permits with it; a task done holds
        // nothing any more. A scan, but only for permits given back by
        // another task than their holder, or during a loop's close. When a
        // holder aborts another holder, the running task's holding goes
        // first: wrong, but only until it gives its own back (then the
        // other, done, goes), and only ever hiding a deadlock.
        let dying = || {
            r.holders.iter().position(|h| {
                let meta = h.task.meta();
                meta.has(COMPLETE) || (meta.has(RUNNING) && !me.is_some_and(|me| me.same(&h.task)))
            })
        };
        let mine = me.and_then(|me| r.holding(key_of(me)));
        let owner = match hold {
            Hold::Task => mine.or_else(dying),
            Hold::Owned => None,
        };
        if let Some(i) = owner {
            return self.unhold(id, i);
        }
        let dying = dying();
        let r = self.resources.get_mut(&id).expect("just found");
        if hold == Hold::Owned && r.movable > 0 {
            r.movable -= 1;
        } else if r.anonymous > 0 {
            // Taken before the resource was tracked.
            r.anonymous -= 1;
        } else if r.movable > 0 {
            r.movable -= 1;
        } else if let Some(i) = dying {
            self.unhold(id, i);
        }
    }

    fn unwait(&mut self, task: TaskKey, id: u64) {
        if let Some(list) = self.waits.get_mut(&task) {
            if let Some(i) = list.iter().position(|&r| r == id) {
                list.swap_remove(i);
            }
            if list.is_empty() {
                self.waits.remove(&task);
            }
        }
    }

    /// Marks the waiter `key` of `id` as handed a permit.
    fn grant(&mut self, id: u64, key: WaitKey) {
        let Some(r) = self.resources.get_mut(&id) else {
            return;
        };
        let Some(w) = r.waiters.get_mut(&key) else {
            return;
        };
        if !w.granted {
            w.granted = true;
            r.granted += 1;
            let task = key_of(&w.task);
            self.unwait(task, id);
        }
    }

    /// Removes the waiter `key` of `id`, if recorded.
    fn take_waiter(&mut self, id: u64, key: WaitKey) -> Option<RawTask> {
        let r = self.resources.get_mut(&id)?;
        let w = r.waiters.remove(&key)?;
        if w.granted {
            r.granted -= 1;
        } else {
            self.unwait(key_of(&w.task), id);
        }
        Some(w.task)
    }

    fn waits_of(&self, task: TaskKey) -> &[u64] {
        self.waits.get(&task).map_or(&[], Vec::as_slice)
    }
}

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
pub(crate) fn acquired(tag: &ResourceTag, permits: usize, hold: Hold) {
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
pub(crate) fn taken(tag: &ResourceTag, key: WaitKey, permits: usize, hold: Hold, waker: &Waker) {
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
pub(crate) fn released(tag: &ResourceTag, hold: Hold) {
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
pub(crate) fn forgotten(tag: &ResourceTag, hold: Hold) {
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
pub(crate) fn hand_released(tag: &ResourceTag, n: usize) {
    if !tag.is_tracked() {
        if tag.kind == Kind::Semaphore {
            tag.hand_released.set(true);
        }
        return;
    }
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
pub(crate) fn granted(tag: &ResourceTag, key: WaitKey) {
    let id = tag.id.get();
    with_graph(|g| g.grant(id, key));
}

/// The wait `key` on the tracked `tag` was cancelled or dropped; a permit
/// it had been handed went on to the waiter `passed_to`, if any.
#[cold]
#[inline(never)]
pub(crate) fn left(tag: &ResourceTag, key: WaitKey, passed_to: Option<WaitKey>) {
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
pub(crate) fn dropped(tag: &ResourceTag) {
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
pub(crate) fn waiting(
    tag: &ResourceTag,
    permits: usize,
    key: WaitKey,
    cancellable: bool,
    waker: &Waker,
) {
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

/// The cycle `me`'s wait for `start` closes, if any (and not reported
/// yet), marked reported.
fn detect(
    g: &mut Graph,
    me: TaskKey,
    start: u64,
    loop_id: LoopId,
    action: DeadlockAction,
) -> Option<Found> {
    if !g.held.contains_key(&me) {
        // Holding nothing, it closes no cycle: ordinary contention.
        return None;
    }
    let (resources, tasks) = explore(g, start, loop_id);
    if !tasks.contains_key(&me) {
        // Not held by `me`, directly or through other waiting tasks.
        return None;
    }
    let cycle = find_cycle(g, me, start, &resources, &tasks)?;
    mark_reported(g, cycle, action)
}

/// The resources and holding tasks reachable from `start` through
/// "held by" and "waits for" edges; each task with whether it can run
/// anyway: scheduled, with a cancellation pending, done, or of another
/// loop than `loop_id`.
fn explore(g: &Graph, start: u64, loop_id: LoopId) -> (IdSet<u64>, IdMap<TaskKey, bool>) {
    let mut resources = IdSet::default();
    resources.insert(start);
    let mut tasks = IdMap::default();
    let mut stack = vec![start];
    while let Some(r) = stack.pop() {
        let Some(entry) = g.resources.get(&r) else {
            continue;
        };
        for holding in &entry.holders {
            let key = holding.key;
            if tasks.contains_key(&key) {
                continue;
            }
            let flags = SCHEDULED | MUST_CANCEL | COMPLETE;
            let free = key.0 != loop_id || holding.task.meta().has(flags);
            tasks.insert(key, free);
            for &w in g.waits_of(key) {
                if resources.insert(w) {
                    stack.push(w);
                }
            }
        }
    }
    (resources, tasks)
}

/// The resources blocked for good, and the tasks, if `me` is blocked
/// (`me_blocked`) or free: the greatest set where each blocked resource's
/// holders are all blocked tasks, and each blocked task waits only for
/// blocked resources.
fn blocked(
    g: &Graph,
    me: TaskKey,
    me_blocked: bool,
    resources: &IdSet<u64>,
    tasks: &IdMap<TaskKey, bool>,
) -> (IdSet<u64>, IdSet<TaskKey>) {
    let mut stuck_tasks: IdSet<TaskKey> = tasks
        .iter()
        .filter(|&(&t, &free)| t != me && !free && !g.waits_of(t).is_empty())
        .map(|(&t, _)| t)
        .collect();
    if me_blocked {
        stuck_tasks.insert(me);
    }
    let mut stuck: IdSet<u64> = resources
        .iter()
        .copied()
        .filter(|r| g.resources.get(r).is_some_and(Resource::could_block))
        .collect();
    loop {
        let before = (stuck.len(), stuck_tasks.len());
        stuck.retain(|r| {
            g.resources[r]
                .holder_tasks()
                .all(|t| stuck_tasks.contains(&t))
        });
        stuck_tasks.retain(|&t| t == me || g.waits_of(t).iter().all(|w| stuck.contains(w)));
        if (stuck.len(), stuck_tasks.len()) == before {
            return (stuck, stuck_tasks);
        }
    }
}

/// A cycle closed by `me`'s wait for `start`: tasks, and what each waits
/// for.
struct Cycle {
    tasks: Vec<TaskKey>,
    resources: Vec<u64>,
}

fn find_cycle(
    g: &Graph,
    me: TaskKey,
    start: u64,
    resources: &IdSet<u64>,
    tasks: &IdMap<TaskKey, bool>,
) -> Option<Cycle> {
    let (stuck, stuck_tasks) = blocked(g, me, true, resources, tasks);
    if !stuck.contains(&start) {
        return None;
    }
    if blocked(g, me, false, resources, tasks).0.contains(&start) {
        // Blocked already without `me`: an older deadlock, not closed here.
        return None;
    }
    // The shortest way back to `me`: through resources, each reached from
    // the previous one through a blocked holder that waits for it.
    let mut via: IdMap<u64, (u64, TaskKey)> = IdMap::default();
    let mut queue = VecDeque::from([start]);
    while let Some(r) = queue.pop_front() {
        for holder in g.resources[&r].holder_tasks() {
            if holder == me {
                let mut resources = vec![r];
                let mut holders = Vec::new();
                let mut at = r;
                while at != start {
                    let (previous, holder) = via[&at];
                    holders.push(holder);
                    resources.push(previous);
                    at = previous;
                }
                resources.reverse();
                holders.reverse();
                let mut tasks = vec![me];
                tasks.extend(holders);
                return Some(Cycle { tasks, resources });
            }
            if !stuck_tasks.contains(&holder) {
                continue;
            }
            for &w in g.waits_of(holder) {
                if stuck.contains(&w) && w != start && !via.contains_key(&w) {
                    via.insert(w, (r, holder));
                    queue.push_back(w);
                }
            }
        }
    }
    None
}

/// A cycle to report: each task with what it waits for, and the victim.
struct Found {
    tasks: Vec<RawTask>,
    labels: Vec<Label>,
    victim: Option<usize>,
}

/// Marks each wait of `cycle` reported, and picks the victim: the task
/// that closed the cycle, or else the first whose wait a cancellation ends.
fn mark_reported(g: &mut Graph, cycle: Cycle, action: DeadlockAction) -> Option<Found> {
    let mut tasks = Vec::with_capacity(cycle.tasks.len());
    let mut labels = Vec::with_capacity(cycle.tasks.len());
    let mut cancellable = Vec::with_capacity(cycle.tasks.len());
    for (&task, &id) in cycle.tasks.iter().zip(&cycle.resources) {
        let r = g.resources.get_mut(&id)?;
        labels.push(r.label);
        let w = r
            .waiters
            .values_mut()
            .find(|w| !w.granted && key_of(&w.task) == task)?;
        if w.reported && task == cycle.tasks[0] {
            return None;
        }
        w.reported = true;
        cancellable.push(w.cancellable);
        tasks.push(w.task.clone());
    }
    let victim = match action {
        DeadlockAction::CancelVictim => cancellable.iter().position(|&c| c),
        DeadlockAction::Report => None,
    };
    Some(Found {
        tasks,
        labels,
        victim,
    })
}

/// Cancels the victim, keeps the record and reports it.
fn report(inner: &Inner, found: Found, me: &RawTask, waker: &Waker) {
    let infos: Vec<TaskInfo> = found.tasks.iter().map(|t| task_info(t.meta())).collect();
    let resources: Vec<String> = found.labels.iter().map(Label::to_string).collect();
    let mut message = format!(
        "deadlock: task '{}' waits for {}",
        infos[0].name, resources[0]
    );
    if infos.len() == 1 {
        message.push_str(", which it holds itself (drop the guard before acquiring again)");
    } else {
        for i in 1..infos.len() {
            message.push_str(&format!(
                " held by task '{}', which waits for {}",
                infos[i].name, resources[i]
            ));
        }
        message.push_str(&format!(
            " held by task '{}' (take the locks in the same order in every task)",
            infos[0].name
        ));
    }
    let victim = found.victim.map(|i| {
        let task = &found.tasks[i];
        TaskRef::new(task.clone()).cancel_with(VICTIM_MESSAGE);
        if task.same(me) {
            // It is being polled, so `cancel` did not schedule it.
            waker.wake_by_ref();
        }
        message.push_str(&format!("; cancelled task '{}' to break it", infos[i].name));
        infos[i].clone()
    });
    let deadlock = Deadlock {
        tasks: infos.clone(),
        resources,
        victim,
        message: message.clone(),
    };
    let _ = FOUND.try_with(|f| {
        let mut f = f.borrow_mut();
        if f.len() == KEPT_REPORTS {
            f.pop_front();
        }
        f.push_back((inner.id, deadlock));
    });
    inner.call_exception_handler(&ExceptionContext::new(
        ExceptionKind::Deadlock,
        message,
        infos.into_iter().next(),
    ));
}

#[cfg(test)]
mod tests {
    //! The graph's bookkeeping: whatever happens to the guards and waits,
    //! nothing is left once the primitives are gone.

    use std::rc::Rc;
    use std::time::Duration;

    use super::GRAPH;
    use crate::event_loop::DeadlockAction;
    use crate::sync::{BoundedSemaphore, Condition, Lock, Semaphore};
    use crate::{Cancelled, EventLoop};

    const SEC: Duration = Duration::from_secs(1);

    fn graph_is_empty() -> bool {
        GRAPH.with(|g| {
            let g = g.borrow();
            g.resources.is_empty() && g.waits.is_empty() && g.held.is_empty()
        })
    }

    /// Nothing held or waited for: each resource alive is idle.
    fn graph_is_idle() -> bool {
        GRAPH.with(|g| {
            let g = g.borrow();
            g.waits.is_empty()
                && g.held.is_empty()
                && g.resources.values().all(|r| {
                    r.holders.is_empty()
                        && r.waiters.is_empty()
                        && r.movable == 0
                        && r.anonymous == 0
                        && r.granted == 0
                })
        })
    }

    fn anonymous(sem: &Semaphore) -> usize {
        let id = sem.tag().id.get();
        GRAPH.with(|g| g.borrow().resources[&id].anonymous)
    }

    fn holders(sem: &Semaphore) -> usize {
        let id = sem.tag().id.get();
        GRAPH.with(|g| {
            let g = g.borrow();
            g.resources
                .get(&id)
                .map_or(0, |r| r.holders.iter().map(|h| h.count).sum())
        })
    }

    fn holder_ids(sem: &Semaphore) -> Vec<crate::task::TaskId> {
        let id = sem.tag().id.get();
        GRAPH.with(|g| {
            let g = g.borrow();
            let mut ids: Vec<_> = g.resources[&id].holder_tasks().map(|t| t.1).collect();
            ids.sort();
            ids
        })
    }

    #[test]
    fn tasks_dropped_while_holding_permits_hold_them_no_more() {
        let event_loop = EventLoop::builder()
            .virtual_clock(true)
            .debug(true)
            .exception_handler(|_| {})
            .build()
            .unwrap();
        let sem = Rc::new(Semaphore::new(3));
        let lock = Rc::new(Lock::new());
        let (s, l) = (sem.clone(), lock.clone());
        event_loop
            .run_until_complete(async move {
                let hold = |s: Rc<Semaphore>| {
                    crate::spawn(async move {
                        let _p = s.acquire().await?;
                        std::future::pending::<Result<(), Cancelled>>().await
                    })
                };
                let (a, b) = (hold(s.clone()), hold(s.clone()));
                let l2 = l.clone();
                let c = crate::spawn(async move {
                    let _l = l2.acquire().await?;
                    std::future::pending::<Result<(), Cancelled>>().await
                });
                crate::yield_now().await.unwrap();
                assert_eq!(holders(&s), 2);
                // Aborting drops the future at once, while this task (a
                // holder too) runs: this task's holding goes for `a`'s…
                let mine = s.acquire().await.unwrap();
                let a_id = a.id();
                a.abort();
                assert!(a.await.unwrap_err().is_cancelled());
                assert_eq!(holder_ids(&s), [a_id, b.id()]);
                // …until this task gives its own back: `a`, done, goes.
                drop(mine);
                assert_eq!(holder_ids(&s), [b.id()]);
                b.detach();
                c.detach();
            })
            .unwrap();
        // Closing the loop drops the others.
        drop(event_loop);
        assert_eq!(sem.available_permits(), 3);
        assert!(!lock.locked());
        assert!(graph_is_idle());
        drop((sem, lock));
        assert!(graph_is_empty());
    }

    #[test]
    fn everything_recorded_is_forgotten_by_the_end() {
        let event_loop = EventLoop::builder()
            .virtual_clock(true)
            .debug(true)
            .deadlock_action(DeadlockAction::CancelVictim)
            .exception_handler(|_| {})
            .build()
            .unwrap();
        event_loop
            .run_until_complete(async {
                // A deadlock broken by cancelling a victim.
                let (x, y) = (Rc::new(Lock::new()), Rc::new(Lock::new()));
                let tasks: Vec<_> = [(&x, &y), (&y, &x)]
                    .into_iter()
                    .map(|(first, second)| {
                        let (first, second) = (first.clone(), second.clone());
                        crate::spawn(async move {
                            let _first = first.acquire().await?;
                            crate::sleep(SEC).await?;
                            let _second = second.acquire_owned().await?;
                            Ok::<_, Cancelled>(())
                        })
                    })
                    .collect();
                for t in tasks {
                    let _ = t.await;
                }
                assert_eq!(super::deadlocks().len(), 1);
                // Contention, try_acquire, owned guards, hand releases.
                let sem = Rc::new(Semaphore::new(2));
                let bounded = Rc::new(BoundedSemaphore::new(1));
                let workers: Vec<_> = (0..5)
                    .map(|_| {
                        let (sem, bounded) = (sem.clone(), bounded.clone());
                        crate::spawn(async move {
                            let _p = sem.acquire_owned().await?;
                            bounded.acquire().await?.forget();
                            crate::sleep(SEC).await?;
                            bounded.release().unwrap();
                            let _t = sem.try_acquire();
                            Ok::<_, Cancelled>(())
                        })
                    })
                    .collect();
                // A waiter that gives up.
                let s = sem.clone();
                let quitter = crate::spawn(async move { s.acquire().await.map(drop) });
                crate::yield_now().await.unwrap();
                quitter.cancel();
                assert!(quitter.await.unwrap_err().is_cancelled());
                for w in workers {
                    w.await.unwrap().unwrap();
                }
                // Forgotten permits stay out, anonymous, until released.
                sem.acquire().await.unwrap().forget();
                assert_eq!(anonymous(&sem), 1, "the forgotten permit is out");
                sem.release();
                assert!(graph_is_idle());
                drop((x, y));
                // A condition wait.
                let cond = Rc::new(Condition::new());
                let c = cond.clone();
                let waiter = crate::spawn(async move {
                    let guard = c.acquire().await?;
                    let _guard = c.wait(guard).await?;
                    Ok::<_, Cancelled>(())
                });
                crate::yield_now().await.unwrap();
                let _g = cond.acquire().await.unwrap();
                cond.notify_all();
                drop(_g);
                waiter.await.unwrap().unwrap();
                drop((sem, bounded, cond));
                assert!(graph_is_empty());
            })
            .unwrap();
        assert!(graph_is_empty());
    }
}
