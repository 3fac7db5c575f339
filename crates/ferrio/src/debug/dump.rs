//! [`dump()`]: every live task of the loop as a tree, as text or JSON.
//!
//! Trees can be as deep as the tasks are (a chain of a million tasks each
//! awaiting the next is a tree of depth a million), so nothing here
//! recurses: building, cloning, dropping, formatting and serialising walk
//! the tree with explicit stacks, and the output is linear in the number
//! of tasks — the text indents by at most `MAX_INDENT` (32) levels and gives
//! the depth in numbers below that; the JSON is a flat list with parent
//! ids.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

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
///         assert_eq!(json["tasks"][1]["name"], "fetch-1");
///         assert_eq!(json["tasks"][1]["parent"], json["tasks"][0]["id"]);
///         fetch.abort();
///         assert!(fetch.await.unwrap_err().is_cancelled());
///     })
///     .unwrap();
/// ```
pub fn dump() -> TaskDump {
    let Some(handle) = Handle::try_current() else {
        return TaskDump::default();
    };
    let now = handle.time();
    let mut tasks = task::all();
    tasks.sort_by_key(TaskRef::id);
    let len = tasks.len();
    let ids: Vec<TaskId> = tasks.iter().map(TaskRef::id).collect();
    let index = |id: TaskId| ids.binary_search(&id).ok();
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
        match node.parent.and_then(index) {
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
/// Below 32 levels the indentation stops growing and each line
/// says its depth instead (`- (depth 40) [41] …`), so that the text stays
/// linear in the number of tasks however deep the tree.
///
/// [`to_json`](Self::to_json) gives the same tree as JSON, and
/// [`roots`](Self::roots), [`iter`](Self::iter) and [`get`](Self::get) give
/// it to programs. Cloning and dropping a dump never recurse.
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

    /// The tree as JSON, flat: `{"task_count": n, "tasks": [node, …]}`
    /// with the tasks in [`iter`](Self::iter)'s order (depth first, each
    /// task before its children), where each node is
    ///
    /// ```text
    /// {"id": 3, "name": "fetch-1", "state": "pending",
    ///  "location": {"file": "src/main.rs", "line": 10, "column": 5},
    ///  "parent": 1, "depth": 1, "age_secs": 1.5, "waiting_on": "sleep",
    ///  "activity": {"polls": 1, "busy_secs": 0.00001, "idle_secs": 1.5}}
    /// ```
    ///
    /// The tree is in the ids: a node's children are the nodes whose
    /// `parent` is its `id`; a root (`depth` 0) has a `parent` that is
    /// `null` or not in the list (a task that has finished). `parent`,
    /// `age_secs`, `waiting_on` and `activity` are `null` when unknown.
    pub fn to_json(&self) -> String {
        // Written by hand, one node after the other: a generic serialiser
        // costs ~15 µs a node in a debug build, which a dump of a million
        // tasks cannot afford.
        let mut out = String::with_capacity(64 + 256 * self.len);
        out.push_str("{\"task_count\":");
        push_display(&mut out, self.len);
        out.push_str(",\"tasks\":[");
        for (i, (depth, node)) in self.iter().with_depth().enumerate() {
            if i > 0 {
                out.push(',');
            }
            node.push_json(&mut out, depth);
        }
        out.push_str("]}");
        out
    }
}

impl<'a> IntoIterator for &'a TaskDump {
    type Item = &'a TaskNode;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// How many levels [`TaskDump`]'s text indents at most (two spaces each);
/// deeper lines give their depth instead.
const MAX_INDENT: usize = 32;

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SPACES: &str = "                                                                ";
        const _: () = assert!(SPACES.len() == 2 * MAX_INDENT);
        if self.roots.is_empty() {
            return f.write_str("(no live tasks)");
        }
        let mut first = true;
        for (depth, node) in self.iter().with_depth() {
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            if depth <= MAX_INDENT {
                write!(f, "{}- {node}", &SPACES[..2 * depth])?;
            } else {
                write!(f, "{SPACES}- (depth {depth}) {node}")?;
            }
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
///
/// Cloning and dropping walk the subtree with an explicit stack, at any
/// depth.
#[derive(Debug)]
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

impl Clone for TaskNode {
    fn clone(&self) -> TaskNode {
        // Depth first with an explicit stack: each frame is a node being
        // copied and how many of its children are done.
        struct Frame<'a> {
            source: &'a TaskNode,
            copy: TaskNode,
        }
        let mut stack = vec![Frame {
            source: self,
            copy: self.without_children(),
        }];
        loop {
            let top = stack.last_mut().expect("the root frame is popped last");
            let done = top.copy.children.len();
            if let Some(child) = top.source.children.get(done) {
                stack.push(Frame {
                    source: child,
                    copy: child.without_children(),
                });
                continue;
            }
            let finished = stack.pop().expect("a frame is on the stack").copy;
            match stack.last_mut() {
                Some(parent) => parent.copy.children.push(finished),
                None => return finished,
            }
        }
    }
}

impl Drop for TaskNode {
    fn drop(&mut self) {
        // Move every descendant onto one flat stack before it is dropped,
        // so that dropping never recurses.
        let mut pending = std::mem::take(&mut self.children);
        while let Some(mut node) = pending.pop() {
            pending.append(&mut node.children);
        }
    }
}

impl TaskNode {
    /// A copy of this node alone, with room for its children.
    fn without_children(&self) -> TaskNode {
        TaskNode {
            id: self.id,
            name: self.name.clone(),
            state: self.state,
            location: self.location,
            parent: self.parent,
            age: self.age,
            idle: self.idle,
            activity: self.activity,
            waiting_on: self.waiting_on,
            children: Vec::with_capacity(self.children.len()),
        }
    }

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
            waiting_on: task.waiting_on(),
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

impl TaskNode {
    /// Appends this node as one flat JSON object (see [`TaskDump::to_json`]).
    fn push_json(&self, out: &mut String, depth: usize) {
        out.push_str("{\"id\":");
        push_display(out, self.id.as_u64());
        out.push_str(",\"name\":");
        push_json_str(out, &self.name);
        out.push_str(",\"state\":");
        push_json_str(out, self.state.as_str());
        out.push_str(",\"location\":{\"file\":");
        push_json_str(out, self.location.file());
        out.push_str(",\"line\":");
        push_display(out, self.location.line());
        out.push_str(",\"column\":");
        push_display(out, self.location.column());
        out.push_str("},\"parent\":");
        match self.parent {
            Some(p) => push_display(out, p.as_u64()),
            None => out.push_str("null"),
        }
        out.push_str(",\"depth\":");
        push_display(out, depth);
        out.push_str(",\"age_secs\":");
        push_secs(out, self.age);
        out.push_str(",\"waiting_on\":");
        match self.waiting_on {
            Some(what) => push_json_str(out, what),
            None => out.push_str("null"),
        }
        out.push_str(",\"activity\":");
        match self.activity {
            Some(a) => {
                out.push_str("{\"polls\":");
                push_display(out, a.polls);
                out.push_str(",\"busy_secs\":");
                push_secs(out, Some(a.busy));
                out.push_str(",\"idle_secs\":");
                push_secs(out, self.idle);
                out.push('}');
            }
            None => out.push_str("null"),
        }
        out.push('}');
    }
}

fn push_display(out: &mut String, value: impl fmt::Display) {
    use std::fmt::Write;
    // Writing to a `String` cannot fail.
    let _ = write!(out, "{value}");
}

/// A duration in seconds as a JSON number (always with a fraction, as a
/// float), or `null`.
fn push_secs(out: &mut String, duration: Option<Duration>) {
    match duration {
        Some(d) => {
            let start = out.len();
            push_display(out, d.as_secs_f64());
            if !out[start..].contains(['.', 'e']) {
                out.push_str(".0");
            }
        }
        None => out.push_str("null"),
    }
}

/// `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        // The common case: nothing to escape.
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                push_display(out, format_args!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        let mut out = String::new();
        push_json_str(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn seconds_are_floats() {
        let mut out = String::new();
        push_secs(&mut out, Some(Duration::from_secs(1)));
        out.push(' ');
        push_secs(&mut out, Some(Duration::from_millis(1500)));
        out.push(' ');
        push_secs(&mut out, None);
        assert_eq!(out, "1.0 1.5 null");
    }
}
