//! [`dump()`]: every live task of the loop as a tree, as text or JSON.

use std::collections::HashMap;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::{Human, TaskActivity};
use crate::task::header::RUNNING;
use crate::task::{self, TaskId};
use crate::{Handle, TaskRef};

/// A snapshot of the running loop's live tasks as a tree: each task below
/// the task that spawned it; tasks spawned outside any task, or whose
/// parent has finished, are roots. Empty outside a running loop.
///
/// Activity (age, idle time, polls) and what a task waits on are known
/// while the loop tracks activity — in debug mode, or once a
/// [`Watchdog`](super::Watchdog) runs.
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).debug(true).build().unwrap()
///     .run_until_complete(async {
///         let fetch = ferrio::task::Builder::new()
///             .name("fetch-1")
///             .spawn(async { ferrio::sleep(Duration::from_secs(10)).await })
///             .unwrap();
///         ferrio::sleep(Duration::from_millis(1500)).await.unwrap();
///         let dump = ferrio::debug::dump();
///         // - [1] main (running, age 1.5s, 1 poll) at …
///         //   - [2] fetch-1 (pending, waiting on sleep, age 1.5s, idle 1.5s, 1 poll) at …
///         let text = dump.to_string();
///         assert!(text.contains("[2] fetch-1 (pending, waiting on sleep, age 1.5s"), "{text}");
///         let json: serde_json::Value = serde_json::from_str(&dump.to_json()).unwrap();
///         assert_eq!(json["tasks"][0]["children"][0]["name"], "fetch-1");
///         fetch.abort();
///         assert!(fetch.await.unwrap_err().is_cancelled());
///     })
///     .unwrap();
/// ```
pub fn dump() -> TaskDump {
    let Ok(handle) = Handle::try_current() else {
        return TaskDump::default();
    };
    let now = handle.time();
    let mut tasks = task::all();
    tasks.sort_by_key(TaskRef::id);
    let len = tasks.len();
    let index: HashMap<TaskId, usize> =
        tasks.iter().enumerate().map(|(i, t)| (t.id(), i)).collect();
    let mut nodes: Vec<Option<TaskNode>> =
        tasks.iter().map(|t| Some(TaskNode::of(t, now))).collect();
    // A parent is older than its children (ids grow with spawns), so going
    // from the newest task back, each task's children are complete before
    // it moves under its own parent.
    for i in (0..len).rev() {
        let Some(mut node) = nodes[i].take() else {
            continue;
        };
        node.children.reverse();
        match node.parent.and_then(|p| index.get(&p).copied()) {
            Some(p) if p < i => match nodes[p].as_mut() {
                Some(parent) => parent.children.push(node),
                None => nodes[i] = Some(node),
            },
            _ => nodes[i] = Some(node),
        }
    }
    TaskDump {
        roots: nodes.into_iter().flatten().collect(),
        len,
    }
}

/// The live tasks of a loop as a tree: see [`dump()`].
///
/// `Display` prints an indented tree, one task a line:
///
/// ```text
/// - [1] main (running, age 2s, 3 polls) at src/main.rs:4:5
///   - [3] fetch-1 (pending, waiting on sleep, age 1.5s, idle 1.5s, 1 poll) at src/main.rs:10:5
/// ```
///
/// [`to_json`](Self::to_json) gives the same tree as JSON, and
/// [`roots`](Self::roots), [`iter`](Self::iter) and [`get`](Self::get) give
/// it to programs.
#[derive(Debug, Clone, Default)]
pub struct TaskDump {
    roots: Vec<TaskNode>,
    len: usize,
}

impl TaskDump {
    /// The tasks that have no live parent, oldest first.
    pub fn roots(&self) -> &[TaskNode] {
        &self.roots
    }

    /// Every task, depth first: each task before its children, children
    /// oldest first.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            stack: self.roots.iter().rev().map(|n| (0, n)).collect(),
        }
    }

    /// The task `id`, if it was live.
    pub fn get(&self, id: TaskId) -> Option<&TaskNode> {
        self.iter().find(|n| n.id == id)
    }

    /// How many tasks the dump holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the dump holds no task (as outside a running loop).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The tree as JSON: `{"task_count": n, "tasks": [node, …]}` where each
    /// node is
    ///
    /// ```text
    /// {"id": 3, "name": "fetch-1", "state": "pending",
    ///  "location": {"file": "src/main.rs", "line": 10, "column": 5},
    ///  "parent": 1, "age_secs": 1.5, "waiting_on": "sleep",
    ///  "activity": {"polls": 1, "busy_secs": 0.00001, "idle_secs": 1.5},
    ///  "children": [node, …]}
    /// ```
    ///
    /// `parent`, `age_secs`, `waiting_on` and `activity` are `null` when
    /// unknown.
    pub fn to_json(&self) -> String {
        let json = JsonDump {
            task_count: self.len,
            tasks: self.roots.iter().map(JsonNode::of).collect(),
        };
        serde_json::to_string(&json).expect("a task dump always serializes")
    }
}

impl<'a> IntoIterator for &'a TaskDump {
    type Item = &'a TaskNode;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.roots.is_empty() {
            return f.write_str("(no live tasks)");
        }
        let mut first = true;
        for (depth, node) in self.iter().with_depth() {
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            write!(f, "{:width$}- {node}", "", width = depth * 2)?;
        }
        Ok(())
    }
}

/// Depth-first iterator over a [`TaskDump`], from [`TaskDump::iter`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    stack: Vec<(usize, &'a TaskNode)>,
}

impl<'a> Iter<'a> {
    /// The same walk, with each task's depth in the tree (roots at 0).
    pub fn with_depth(self) -> impl Iterator<Item = (usize, &'a TaskNode)> {
        let mut stack = self.stack;
        std::iter::from_fn(move || {
            let (depth, node) = stack.pop()?;
            stack.extend(node.children.iter().rev().map(|c| (depth + 1, c)));
            Some((depth, node))
        })
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a TaskNode;

    fn next(&mut self) -> Option<&'a TaskNode> {
        let (depth, node) = self.stack.pop()?;
        self.stack
            .extend(node.children.iter().rev().map(|c| (depth + 1, c)));
        Some(node)
    }
}

/// The state of a live task in a [`TaskDump`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Waiting, or ready to run.
    Pending,
    /// Cancellation was requested (`cancelling() > 0`): it is on its way
    /// to the task, or the task is running its cleanup.
    Cancelling,
    /// Being polled right now: the task that took the dump.
    Running,
}

impl TaskState {
    /// `"pending"`, `"cancelling"` or `"running"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Pending => "pending",
            TaskState::Cancelling => "cancelling",
            TaskState::Running => "running",
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One task of a [`TaskDump`], with the tasks it spawned below it.
#[derive(Debug, Clone)]
pub struct TaskNode {
    id: TaskId,
    name: Arc<str>,
    state: TaskState,
    location: &'static Location<'static>,
    parent: Option<TaskId>,
    age: Option<Duration>,
    idle: Option<Duration>,
    activity: Option<TaskActivity>,
    waiting_on: Option<&'static str>,
    children: Vec<TaskNode>,
}

impl TaskNode {
    fn of(task: &TaskRef, now: std::time::Instant) -> TaskNode {
        let meta = task.raw().meta();
        let state = if meta.has(RUNNING) {
            TaskState::Running
        } else if task.cancelling() > 0 {
            TaskState::Cancelling
        } else {
            TaskState::Pending
        };
        let activity = task.activity();
        TaskNode {
            id: task.id(),
            name: task.name(),
            state,
            location: task.location(),
            parent: task.parent_id(),
            age: activity.and_then(|a| a.age(now)),
            idle: activity.and_then(|a| a.idle_for(now)),
            activity,
            waiting_on: meta.cold(|c| c.waiting_on).flatten(),
            children: Vec::new(),
        }
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// The task's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its state when the dump was taken.
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// Where it was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// The task that spawned it (which may have finished since).
    pub fn parent_id(&self) -> Option<TaskId> {
        self.parent
    }

    /// Loop time since its spawn, if the loop tracked activity then.
    pub fn age(&self) -> Option<Duration> {
        self.age
    }

    /// Loop time since it was last active, if known.
    pub fn idle(&self) -> Option<Duration> {
        self.idle
    }

    /// Its recorded activity, if the loop tracks it.
    pub fn activity(&self) -> Option<TaskActivity> {
        self.activity
    }

    /// What it last suspended on — `"sleep"`, `"timeout"`, `"task join"`,
    /// `"task group"`, `"lock"`, … — if the loop tracks activity and the
    /// awaitable says.
    pub fn waiting_on(&self) -> Option<&'static str> {
        self.waiting_on
    }

    /// The live tasks it spawned, oldest first.
    pub fn children(&self) -> &[TaskNode] {
        &self.children
    }
}

/// One line: `[3] fetch-1 (pending, waiting on sleep, age 1.5s, idle 1.5s,
/// 1 poll) at src/main.rs:10:5`.
impl fmt::Display for TaskNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {} ({}", self.id, self.name, self.state)?;
        if let Some(what) = self.waiting_on {
            write!(f, ", waiting on {what}")?;
        }
        if let Some(age) = self.age {
            write!(f, ", age {}", Human(age))?;
        }
        if let Some(idle) = self.idle.filter(|_| self.state != TaskState::Running) {
            write!(f, ", idle {}", Human(idle))?;
        }
        if let Some(activity) = self.activity {
            let s = if activity.polls == 1 { "" } else { "s" };
            write!(f, ", {} poll{s}", activity.polls)?;
        }
        write!(f, ") at {}", self.location)
    }
}

#[derive(Serialize)]
struct JsonDump<'a> {
    task_count: usize,
    tasks: Vec<JsonNode<'a>>,
}

#[derive(Serialize)]
struct JsonNode<'a> {
    id: u64,
    name: &'a str,
    state: &'static str,
    location: JsonLocation,
    parent: Option<u64>,
    age_secs: Option<f64>,
    waiting_on: Option<&'static str>,
    activity: Option<JsonActivity>,
    children: Vec<JsonNode<'a>>,
}

#[derive(Serialize)]
struct JsonLocation {
    file: &'static str,
    line: u32,
    column: u32,
}

#[derive(Serialize)]
struct JsonActivity {
    polls: u64,
    busy_secs: f64,
    idle_secs: Option<f64>,
}

impl<'a> JsonNode<'a> {
    fn of(node: &'a TaskNode) -> JsonNode<'a> {
        JsonNode {
            id: node.id.as_u64(),
            name: &node.name,
            state: node.state.as_str(),
            location: JsonLocation {
                file: node.location.file(),
                line: node.location.line(),
                column: node.location.column(),
            },
            parent: node.parent.map(TaskId::as_u64),
            age_secs: node.age.map(|d| d.as_secs_f64()),
            waiting_on: node.waiting_on,
            activity: node.activity.map(|a| JsonActivity {
                polls: a.polls,
                busy_secs: a.busy.as_secs_f64(),
                idle_secs: node.idle.map(|d| d.as_secs_f64()),
            }),
            children: node.children.iter().map(JsonNode::of).collect(),
        }
    }
}
