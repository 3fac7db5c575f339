//! The wait-for graph: resources, the tasks holding and waiting for their
//! permits, and its bookkeeping.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Hold, Kind, ResourceTag};
use crate::event_loop::LoopId;
use crate::sync::wait_list::WaitKey;
use crate::task::header::{COMPLETE, RUNNING};
use crate::task::raw::RawTask;
use crate::task::TaskId;

pub(super) type TaskKey = (LoopId, TaskId);

/// A fast hasher for the graph's keys, which are small integers of its
/// own (resource ids, task ids, wait keys): FxHash's multiply-rotate, not
/// DoS-resistant, which such keys need not be.
#[derive(Default, Clone, Copy)]
pub(super) struct IdHasher(u64);

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

pub(super) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;
pub(super) type IdSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;

pub(super) fn key_of(task: &RawTask) -> TaskKey {
    let meta = task.meta();
    (meta.loop_id, meta.id)
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Label {
    pub(super) kind: Kind,
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
pub(super) struct Holding {
    pub(super) key: TaskKey,
    pub(super) task: RawTask,
    pub(super) count: usize,
}

pub(super) struct Waiter {
    pub(super) task: RawTask,
    /// `false` for a `Condition` re-acquiring its lock, which a
    /// cancellation does not end.
    pub(super) cancellable: bool,
    /// A permit was handed to it: it is runnable, and counts as a holder.
    pub(super) granted: bool,
    pub(super) reported: bool,
}

pub(super) struct Resource {
    pub(super) label: Label,
    /// By task, in the order they took their first permit (reports name
    /// holders in that order). Few: at most one per permit.
    pub(super) holders: Vec<Holding>,
    /// Permits held through `Rc` guards, or taken outside any task.
    pub(super) movable: usize,
    /// Permits out that no known guard holds: taken before the resource
    /// was tracked, or detached with `forget`.
    pub(super) anonymous: usize,
    /// How many permits are out is unknown.
    pub(super) opaque: bool,
    pub(super) waiters: IdMap<WaitKey, Waiter>,
    /// Waiters handed a permit that they have not taken yet.
    pub(super) granted: usize,
}

impl Resource {
    /// Whether the holders alone can keep the waiters out: every permit out
    /// is held by a known task, none handed to a waiter.
    pub(super) fn could_block(&self) -> bool {
        !self.opaque
            && self.anonymous == 0
            && self.movable == 0
            && self.granted == 0
            && !self.holders.is_empty()
    }

    pub(super) fn holder_tasks(&self) -> impl Iterator<Item = TaskKey> + '_ {
        self.holders.iter().map(|h| h.key)
    }

    fn holding(&self, task: TaskKey) -> Option<usize> {
        self.holders.iter().position(|h| h.key == task)
    }
}

#[derive(Default)]
pub(super) struct Graph {
    pub(super) resources: IdMap<u64, Resource>,
    /// The resources each task waits for (not granted yet).
    pub(super) waits: IdMap<TaskKey, Vec<u64>>,
    /// How many permits each task holds, all resources together: a task
    /// holding nothing closes no cycle.
    pub(super) held: IdMap<TaskKey, usize>,
    /// Task references removed, dropped once the graph is released.
    pub(super) trash: Vec<RawTask>,
}

impl Graph {
    /// The record of `tag`, tracking it first if needed; `out` is how many
    /// permits are out, not counting the one being recorded now.
    pub(super) fn resource(&mut self, tag: &ResourceTag, out: usize) -> u64 {
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
    pub(super) fn hold(&mut self, id: u64, task: Option<RawTask>) {
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
    pub(super) fn clear_holdings(&mut self, id: u64) {
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
    pub(super) fn release(&mut self, id: u64, hold: Hold, me: Option<&RawTask>) {
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
    pub(super) fn grant(&mut self, id: u64, key: WaitKey) {
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
    pub(super) fn take_waiter(&mut self, id: u64, key: WaitKey) -> Option<RawTask> {
        let r = self.resources.get_mut(&id)?;
        let w = r.waiters.remove(&key)?;
        if w.granted {
            r.granted -= 1;
        } else {
            self.unwait(key_of(&w.task), id);
        }
        Some(w.task)
    }

    pub(super) fn waits_of(&self, task: TaskKey) -> &[u64] {
        self.waits.get(&task).map_or(&[], Vec::as_slice)
    }
}
