//! `debug::dump()`: the live tasks as a tree, as text and JSON; what each
//! waits on; `TaskRef::activity()`.

mod common;

use std::panic::Location;
use std::time::Duration;

use common::*;
use ferrio::debug::{self, TaskDump, TaskNode, TaskState};
use ferrio::task_group::TaskGroup;
use ferrio::{task, Cancelled, EventLoop};

const SEC: Duration = Duration::from_secs(1);

/// A virtual-clock loop in debug mode (so tasks record their activity),
/// whose reports (handles dropped by the tests' clean-up) are ignored.
fn debug_loop() -> EventLoop {
    EventLoop::builder()
        .virtual_clock(true)
        .debug(true)
        .exception_handler(|_| {})
        .build()
        .unwrap()
}

fn names(nodes: &[TaskNode]) -> Vec<&str> {
    nodes.iter().map(|n| n.name()).collect()
}

fn find<'a>(dump: &'a TaskDump, name: &str) -> &'a TaskNode {
    dump.iter()
        .find(|n| n.name() == name)
        .unwrap_or_else(|| panic!("no task {name} in\n{dump}"))
}

/// A supervisor task running a group of three named children, each asleep
/// for a minute; returns the dump taken a second in, and where the
/// children were spawned.
fn group_dump() -> (TaskDump, &'static Location<'static>) {
    debug_loop()
        .run_until_complete(async {
            let (tx, rx) = std::sync::mpsc::channel();
            let supervisor = task::Builder::new()
                .name("supervisor")
                .spawn(TaskGroup::run(move |group| async move {
                    for i in 1..=3 {
                        let tx = tx.clone();
                        let child = async move {
                            // Where this child was spawned, as the task sees it.
                            let _ = tx.send(task::current().unwrap().location());
                            ferrio::sleep(60 * SEC).await?;
                            Ok::<_, Cancelled>(())
                        };
                        group.spawn_named(format!("child-{i}"), child).unwrap();
                    }
                    Ok::<_, Cancelled>(())
                }))
                .unwrap();
            ferrio::sleep(SEC).await.unwrap();
            let dump = debug::dump();
            supervisor.cancel();
            assert!(supervisor.await.is_err());
            (dump, rx.recv().unwrap())
        })
        .unwrap()
}

#[test]
fn a_task_group_dumps_as_its_parent_with_three_named_children() {
    let (dump, _) = group_dump();
    assert_eq!(dump.len(), 5);
    assert_eq!(names(dump.roots()), ["main"]);
    let main = &dump.roots()[0];
    assert_eq!(main.state(), TaskState::Running);
    assert_eq!(names(main.children()), ["supervisor"]);
    let supervisor = &main.children()[0];
    assert_eq!(supervisor.parent_id(), Some(main.id()));
    assert_eq!(supervisor.state(), TaskState::Pending);
    assert_eq!(supervisor.waiting_on(), Some("task group"));
    assert_eq!(
        names(supervisor.children()),
        ["child-1", "child-2", "child-3"]
    );
    for child in supervisor.children() {
        assert_eq!(child.parent_id(), Some(supervisor.id()));
        assert_eq!(child.state(), TaskState::Pending);
        assert_eq!(child.waiting_on(), Some("sleep"));
        assert_eq!(child.age(), Some(SEC));
        assert_eq!(child.idle(), Some(SEC));
        assert_eq!(child.activity().unwrap().polls, 1);
        assert!(child.children().is_empty());
    }
    // Depth first, children oldest first.
    let order: Vec<&str> = dump.iter().map(|n| n.name()).collect();
    assert_eq!(
        order,
        ["main", "supervisor", "child-1", "child-2", "child-3"]
    );
    assert_eq!(
        dump.get(supervisor.id()).map(|n| n.name()),
        Some("supervisor")
    );
    assert_eq!((&dump).into_iter().count(), 5);
}

#[test]
fn display_is_an_indented_tree_with_names_states_and_locations() {
    let (dump, location) = group_dump();
    let text = dump.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[0].starts_with("- [1] main (running, age 1s, "),
        "{text}"
    );
    assert!(
        lines[1].starts_with("  - [2] supervisor (pending, waiting on task group, age 1s, idle 1s"),
        "{text}"
    );
    let child = format!(
        "    - [3] child-1 (pending, waiting on sleep, age 1s, idle 1s, 1 poll) at {}:{}:{}",
        location.file(),
        location.line(),
        location.column()
    );
    assert_eq!(lines[2], child, "{text}");
    assert_eq!(location.file(), file!());
    assert!(lines[4].contains("child-3"), "{text}");
}

/// The nodes of a flat JSON dump whose `parent` is `id`.
fn json_children(json: &serde_json::Value, id: &serde_json::Value) -> Vec<serde_json::Value> {
    json["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| &n["parent"] == id)
        .cloned()
        .collect()
}

#[test]
fn json_is_a_flat_list_with_parent_ids_and_the_expected_fields() {
    let (dump, location) = group_dump();
    let json: serde_json::Value = serde_json::from_str(&dump.to_json()).unwrap();
    assert_eq!(json["task_count"], 5);
    let tasks = json["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 5, "every task, flat");
    // Depth first, each task before its children.
    let order: Vec<&str> = tasks.iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(
        order,
        ["main", "supervisor", "child-1", "child-2", "child-3"]
    );
    let depths: Vec<u64> = tasks.iter().map(|n| n["depth"].as_u64().unwrap()).collect();
    assert_eq!(depths, [0, 1, 2, 2, 2]);
    assert!(tasks.iter().all(|n| n.get("children").is_none()));
    let main = &tasks[0];
    assert_eq!(main["id"], 1);
    assert_eq!(main["name"], "main");
    assert_eq!(main["state"], "running");
    assert!(main["parent"].is_null());
    let below_main = json_children(&json, &main["id"]);
    assert_eq!(below_main.len(), 1);
    let supervisor = &below_main[0];
    assert_eq!(supervisor["name"], "supervisor");
    assert_eq!(supervisor["parent"], 1);
    assert_eq!(supervisor["waiting_on"], "task group");
    let children = json_children(&json, &supervisor["id"]);
    assert_eq!(children.len(), 3);
    let child = &children[0];
    assert_eq!(child["id"], 3);
    assert_eq!(child["name"], "child-1");
    assert_eq!(child["state"], "pending");
    assert_eq!(child["parent"], 2);
    assert_eq!(child["waiting_on"], "sleep");
    assert_eq!(child["age_secs"], 1.0);
    assert_eq!(child["location"]["file"], location.file());
    assert_eq!(child["location"]["line"], location.line());
    assert_eq!(child["location"]["column"], location.column());
    assert_eq!(child["activity"]["polls"], 1);
    assert_eq!(child["activity"]["idle_secs"], 1.0);
    assert!(child["activity"]["busy_secs"].as_f64().unwrap() >= 0.0);
    assert!(json_children(&json, &child["id"]).is_empty());
}

#[test]
fn leaf_futures_say_what_a_task_waits_on() {
    debug_loop()
        .run_until_complete(async {
            let sleeper = task::Builder::new()
                .name("sleeper")
                .spawn(ferrio::sleep(60 * SEC))
                .unwrap();
            let joiner = task::Builder::new()
                .name("joiner")
                .spawn(async { ferrio::spawn(ferrio::sleep(60 * SEC)).await })
                .unwrap();
            let timed_out = task::Builder::new()
                .name("timed")
                .spawn(ferrio::timeout(60 * SEC, std::future::pending::<()>()))
                .unwrap();
            let timed_sleep = task::Builder::new()
                .name("timed-sleep")
                .spawn(ferrio::timeout(60 * SEC, ferrio::sleep(30 * SEC)))
                .unwrap();
            let unknown = task::Builder::new()
                .name("unknown")
                .spawn(std::future::pending::<()>())
                .unwrap();
            ferrio::sleep(SEC).await.unwrap();
            let dump = debug::dump();
            assert_eq!(find(&dump, "sleeper").waiting_on(), Some("sleep"));
            assert_eq!(find(&dump, "joiner").waiting_on(), Some("task join"));
            assert_eq!(find(&dump, "timed").waiting_on(), Some("timeout"));
            // The innermost awaitable names the wait.
            assert_eq!(find(&dump, "timed-sleep").waiting_on(), Some("sleep"));
            assert_eq!(find(&dump, "unknown").waiting_on(), None);
            // A task that is woken and polled again forgets its last wait.
            assert_eq!(find(&dump, "main").waiting_on(), None);
            for t in [&*sleeper, &*joiner, &*timed_out, &*timed_sleep, &*unknown] {
                t.abort();
            }
            ferrio::yield_now().await.unwrap();
            drop((sleeper, joiner, timed_out, timed_sleep, unknown));
        })
        .unwrap();
}

#[test]
fn the_sync_primitives_and_queues_say_what_a_task_waits_on() {
    debug_loop()
        .run_until_complete(async {
            let lock = std::rc::Rc::new(ferrio::sync::Lock::new());
            let event = std::rc::Rc::new(ferrio::sync::Event::new());
            let queue = std::rc::Rc::new(ferrio::queue::Queue::<u32>::new(0));
            let held = lock.acquire().await.unwrap();
            let l = lock.clone();
            let locker = task::Builder::new()
                .name("locker")
                .spawn(async move { l.acquire().await.map(drop) })
                .unwrap();
            let e = event.clone();
            let waiter = task::Builder::new()
                .name("waiter")
                .spawn(async move { e.wait().await })
                .unwrap();
            let q = queue.clone();
            let getter = task::Builder::new()
                .name("getter")
                .spawn(async move { q.get().await.map(drop) })
                .unwrap();
            ferrio::sleep(SEC).await.unwrap();
            let dump = debug::dump();
            assert_eq!(find(&dump, "locker").waiting_on(), Some("lock"));
            assert_eq!(find(&dump, "waiter").waiting_on(), Some("event"));
            assert_eq!(find(&dump, "getter").waiting_on(), Some("queue get"));
            assert!(dump
                .to_string()
                .contains("locker (pending, waiting on lock"));
            drop(held);
            event.set();
            queue.put_nowait(1).unwrap();
            locker.await.unwrap().unwrap();
            waiter.await.unwrap().unwrap();
            getter.await.unwrap().unwrap();
        })
        .unwrap();
}

#[test]
fn states_pending_cancelling_and_running() {
    run_virtual(async {
        let victim = task::Builder::new()
            .name("victim")
            .spawn(ferrio::sleep(60 * SEC))
            .unwrap();
        let bystander = ferrio::spawn(ferrio::sleep(60 * SEC));
        ferrio::yield_now().await.unwrap();
        victim.cancel();
        let dump = debug::dump();
        assert_eq!(find(&dump, "victim").state(), TaskState::Cancelling);
        assert_eq!(find(&dump, &bystander.name()).state(), TaskState::Pending);
        assert_eq!(find(&dump, "main").state(), TaskState::Running);
        assert_eq!(TaskState::Cancelling.to_string(), "cancelling");
        assert!(victim.await.unwrap_err().is_cancelled());
        bystander.abort();
    });
}

#[test]
fn a_task_whose_parent_finished_is_a_root() {
    run_virtual(async {
        let parent = task::Builder::new()
            .name("parent")
            .spawn(async {
                // Hand back a reference: the parent ends, the orphan lives on.
                let orphan = task::Builder::new()
                    .name("orphan")
                    .spawn(ferrio::sleep(60 * SEC))
                    .unwrap();
                let reference = (*orphan).clone();
                orphan.detach();
                reference
            })
            .unwrap();
        let orphan = parent.await.unwrap();
        let dump = debug::dump();
        assert_eq!(names(dump.roots()), ["main", "orphan"]);
        assert!(dump.roots()[0].children().is_empty());
        let node = &dump.roots()[1];
        assert!(node.parent_id().is_some(), "it had a parent");
        orphan.abort();
    });
}

#[test]
fn without_activity_tracking_only_the_structure_is_known() {
    run_virtual(async {
        let worker = task::Builder::new()
            .name("worker")
            .spawn(ferrio::sleep(60 * SEC))
            .unwrap();
        ferrio::sleep(SEC).await.unwrap();
        assert_eq!(worker.activity(), None);
        let dump = debug::dump();
        let node = find(&dump, "worker");
        assert_eq!(
            (node.age(), node.idle(), node.activity(), node.waiting_on()),
            (None, None, None, None)
        );
        let line = dump.to_string().lines().nth(1).unwrap().to_string();
        assert!(line.starts_with("  - [2] worker (pending) at "), "{line}");
        let json: serde_json::Value = serde_json::from_str(&dump.to_json()).unwrap();
        let worker_json = &json["tasks"][1];
        assert_eq!(worker_json["name"], "worker");
        assert_eq!(worker_json["parent"], json["tasks"][0]["id"]);
        assert!(worker_json["age_secs"].is_null());
        assert!(worker_json["activity"].is_null());
        assert!(worker_json["waiting_on"].is_null());
        worker.abort();
    });
}

#[test]
fn activity_counts_polls_and_last_activity() {
    debug_loop()
        .run_until_complete(async {
            let t0 = ferrio::now();
            let worker = ferrio::spawn(async {
                for _ in 0..3 {
                    ferrio::sleep(SEC).await?;
                }
                ferrio::sleep(60 * SEC).await
            });
            ferrio::sleep(10 * SEC).await.unwrap();
            let activity = worker.activity().unwrap();
            assert_eq!(activity.polls, 4);
            assert_eq!(activity.spawned_at, Some(t0));
            assert_eq!(activity.last_active, Some(t0 + 3 * SEC));
            assert_eq!(activity.idle_for(ferrio::now()), Some(7 * SEC));
            assert_eq!(activity.age(ferrio::now()), Some(10 * SEC));
            worker.abort();
            assert!(worker.await.unwrap_err().is_cancelled());
        })
        .unwrap();
}

#[test]
fn outside_a_loop_the_dump_is_empty() {
    let dump = debug::dump();
    assert!(dump.is_empty());
    assert_eq!(dump.len(), 0);
    assert!(dump.roots().is_empty());
    assert_eq!(dump.to_string(), "(no live tasks)");
    let json: serde_json::Value = serde_json::from_str(&dump.to_json()).unwrap();
    assert_eq!(json, serde_json::json!({"task_count": 0, "tasks": []}));
}

/// A chain of tasks each awaiting the one it spawned: `depth` tasks below
/// the main task. The innermost takes a dump and hands it out.
async fn chain(depth: usize) -> TaskDump {
    fn link(
        left: usize,
        out: std::rc::Rc<std::cell::RefCell<Option<TaskDump>>>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
        Box::pin(async move {
            if left == 0 {
                *out.borrow_mut() = Some(debug::dump());
            } else {
                ferrio::spawn(link(left - 1, out)).await.unwrap();
            }
        })
    }
    let out = std::rc::Rc::new(std::cell::RefCell::new(None));
    ferrio::spawn(link(depth - 1, out.clone())).await.unwrap();
    let dump = out.borrow_mut().take().unwrap();
    dump
}

/// Deep enough for what used to break: `to_json` overflowed the stack at
/// depth ~20,000, `to_string` panicked past 32,767, `clone` and drop
/// overflowed at ~100,000. (`tests/stress_dump.rs` goes to 1,000,000.)
#[test]
fn a_deep_chain_dumps_clones_formats_and_serialises_in_linear_space() {
    const DEPTH: usize = 100_000;
    let dump = run_virtual(chain(DEPTH));
    assert_eq!(dump.len(), DEPTH + 1);
    let copy = dump.clone();
    assert_eq!(copy.iter().count(), DEPTH + 1);
    drop(copy);
    let text = dump.to_string();
    assert_eq!(text.lines().count(), DEPTH + 1);
    let longest = text.lines().map(str::len).max().unwrap();
    assert!(longest < 200, "a line of {longest} bytes");
    let last = text.lines().last().unwrap();
    assert!(last.contains(&format!("(depth {DEPTH}) [")), "{last}");
    let json = dump.to_json();
    assert!(
        json.len() < 400 * (DEPTH + 1),
        "{} bytes of JSON",
        json.len()
    );
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let tasks = parsed["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), DEPTH + 1);
    assert_eq!(tasks[DEPTH]["depth"], DEPTH);
    assert_eq!(tasks[DEPTH]["parent"], tasks[DEPTH - 1]["id"]);
    drop(dump);
}
