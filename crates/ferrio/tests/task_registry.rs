//! `task::current()`, `task::all()`, names, ids, parents, spawn locations.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::task::{self, TaskId};
use ferrio::{EventLoop, TaskRef};

#[test]
fn outside_a_loop_there_is_no_current_task_and_no_tasks() {
    assert!(task::current().is_none());
    assert!(task::all().is_empty());
}

#[test]
fn the_main_task_is_current_in_run_until_complete() {
    let event_loop = virtual_loop();
    let (name, id, parent, loop_id, done) = event_loop
        .run_until_complete(async {
            let me = task::current().expect("the main future runs as a task");
            (me.name(), me.id(), me.parent_id(), me.loop_id(), me.done())
        })
        .unwrap();
    assert_eq!(&*name, "main");
    assert_eq!(id.as_u64(), 1, "task ids start at 1 in each loop");
    assert_eq!(parent, None);
    assert_eq!(loop_id, event_loop.handle().id());
    assert!(!done);
}

#[test]
fn callbacks_run_outside_any_task() {
    let seen = Rc::new(RefCell::new(Some(None)));
    let s = seen.clone();
    run_virtual(async move {
        EventLoop::current()
            .call_soon(move || *s.borrow_mut() = Some(task::current()))
            .unwrap();
        ferrio::yield_now().await.unwrap();
    });
    assert!(matches!(*seen.borrow(), Some(None)));
}

#[test]
fn default_names_are_task_n_and_ids_follow_spawn_order() {
    run_virtual(async {
        let main_id = task::current().unwrap().id();
        let tasks: Vec<_> = (0..3).map(|_| ferrio::spawn(async {})).collect();
        let ids: Vec<u64> = tasks.iter().map(|t| t.id().as_u64()).collect();
        let first = main_id.as_u64() + 1;
        assert_eq!(ids, [first, first + 1, first + 2]);
        for t in &tasks {
            assert_eq!(&*t.name(), format!("Task-{}", t.id()));
        }
        assert_eq!(&*tasks[0].name(), "Task-2");
        for t in tasks {
            t.await.unwrap();
        }
    });
}

#[test]
fn builder_names_a_task_and_current_sees_it() {
    run_virtual(async {
        let t = task::Builder::new()
            .name("fetch-1")
            .spawn(async {
                let me = task::current().unwrap();
                (me.name(), me.id())
            })
            .unwrap();
        assert_eq!(&*t.name(), "fetch-1");
        let id = t.id();
        let (name, seen_id) = t.await.unwrap();
        assert_eq!(&*name, "fetch-1");
        assert_eq!(seen_id, id);
        // A name given as a String works too.
        let owned = task::Builder::new()
            .name(format!("worker-{}", 7))
            .spawn(async {})
            .unwrap();
        assert_eq!(&*owned.name(), "worker-7");
        owned.await.unwrap();
    });
}

#[test]
fn current_inside_a_task_is_that_task() {
    run_virtual(async {
        let slot: Rc<RefCell<Option<TaskRef>>> = Rc::default();
        let s = slot.clone();
        let t = ferrio::spawn(async move {
            *s.borrow_mut() = task::current();
        });
        let handle_ref: TaskRef = (*t).clone();
        t.await.unwrap();
        let seen = slot.borrow_mut().take().unwrap();
        assert_eq!(seen, handle_ref);
        assert_ne!(seen, task::current().unwrap());
        assert!(seen.done());
    });
}

#[test]
fn parent_id_is_the_spawning_task() {
    let event_loop = virtual_loop();
    // Spawned through a handle while no task runs: no parent.
    let orphan = event_loop.handle().spawn(async {}).unwrap();
    assert_eq!(orphan.parent_id(), None);
    event_loop
        .run_until_complete(async {
            let main_id = task::current().unwrap().id();
            let child = ferrio::spawn(async {
                let me = task::current().unwrap();
                let grandchild = ferrio::spawn(async {});
                let grandchild_parent = grandchild.parent_id();
                grandchild.await.unwrap();
                (me.id(), grandchild_parent)
            });
            assert_eq!(child.parent_id(), Some(main_id));
            let (child_id, grandchild_parent) = child.await.unwrap();
            assert_eq!(grandchild_parent, Some(child_id));

            // Spawned from a callback: no task was running.
            let from_callback: Rc<RefCell<Option<Option<TaskId>>>> = Rc::default();
            let f = from_callback.clone();
            let handle = EventLoop::current();
            let h = handle.clone();
            handle
                .call_soon(move || {
                    let t = h.spawn(async {}).unwrap();
                    *f.borrow_mut() = Some(t.parent_id());
                })
                .unwrap();
            ferrio::yield_now().await.unwrap();
            assert_eq!(*from_callback.borrow(), Some(None));
            orphan.await.unwrap();
        })
        .unwrap();
}

#[test]
fn all_lists_only_live_tasks_oldest_first() {
    run_virtual(async {
        let me = task::current().unwrap();
        assert_eq!(task::all(), std::slice::from_ref(&me));
        let short = ferrio::spawn(ferrio::sleep(Duration::from_secs(1)));
        let long = ferrio::spawn(ferrio::sleep(Duration::from_secs(2)));
        let never_started = ferrio::spawn(async {});
        never_started.abort();
        // A task that has not started yet is live; an aborted one is not.
        assert_eq!(task::all(), [me.clone(), (*short).clone(), (*long).clone()]);
        let names: Vec<String> = task::all().iter().map(|t| t.name().to_string()).collect();
        assert_eq!(names[0], "main");
        ferrio::sleep(Duration::from_millis(1500)).await.unwrap();
        assert!(short.done());
        assert_eq!(task::all(), [me.clone(), (*long).clone()]);
        long.await.unwrap().unwrap();
        assert_eq!(task::all(), [me]);
        short.await.unwrap().unwrap();
    });
}

#[test]
fn spawn_location_is_the_callers() {
    let event_loop = virtual_loop();
    let outside = event_loop.handle().spawn(async {}).unwrap();
    let outside_line = line!() - 1;
    event_loop
        .run_until_complete(async {
            let plain = ferrio::spawn(async {});
            let plain_line = line!() - 1;
            let built = task::Builder::new().spawn(async {}).unwrap();
            let built_line = line!() - 1;
            let current = EventLoop::current();
            let on = task::Builder::new().spawn_on(&current, async {}).unwrap();
            let on_line = line!() - 1;
            for (t, line) in [
                (&*plain, plain_line),
                (&*built, built_line),
                (&*on, on_line),
                (&*outside, outside_line),
            ] {
                assert_eq!(t.location().file(), file!());
                assert_eq!(t.location().line(), line, "{t:?}");
            }
            plain.await.unwrap();
            built.await.unwrap();
            on.await.unwrap();
        })
        .unwrap();
    outside.detach();
}

#[test]
fn task_ids_are_per_loop_and_tasks_know_their_loop() {
    let a = virtual_loop();
    let b = virtual_loop();
    let ta = a.handle().spawn(async {}).unwrap();
    let tb = b.handle().spawn(async {}).unwrap();
    assert_eq!(ta.id(), tb.id(), "each loop numbers its tasks from 1");
    assert_eq!(ta.id().as_u64(), 1);
    assert_eq!(ta.loop_id(), a.handle().id());
    assert_eq!(tb.loop_id(), b.handle().id());
    assert_ne!(*ta, *tb);
}

#[test]
fn debug_output_shows_name_and_state() {
    run_virtual(async {
        let t = task::Builder::new()
            .name("dbg")
            .spawn(ferrio::sleep(Duration::from_secs(1)))
            .unwrap();
        let pending = format!("{t:?}");
        assert!(
            pending.contains("dbg") && pending.contains("pending"),
            "{pending}"
        );
        t.cancel();
        assert!(format!("{t:?}").contains("cancelling"));
        ferrio::yield_now().await.unwrap();
        let done = format!("{t:?}");
        assert!(done.contains("cancelled"), "{done}");
    });
}
