//! The search for the cycle a wait closes, and its report.

use std::collections::VecDeque;
use std::task::Waker;

use super::graph::{key_of, Graph, IdMap, IdSet, Label, Resource, TaskKey};
use super::{Deadlock, FOUND, KEPT_REPORTS, VICTIM_MESSAGE};
use crate::event_loop::inner::Inner;
use crate::event_loop::{DeadlockAction, ExceptionContext, ExceptionKind, LoopId, TaskInfo};
use crate::task::header::{COMPLETE, MUST_CANCEL, SCHEDULED};
use crate::task::raw::RawTask;
use crate::task::schedule::task_info;
use crate::task::TaskRef;

/// The cycle `me`'s wait for `start` closes, if any (and not reported
/// yet), marked reported.
pub(super) fn detect(
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
pub(super) struct Found {
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
pub(super) fn report(inner: &Inner, found: Found, me: &RawTask, waker: &Waker) {
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
