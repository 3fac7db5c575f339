//! Joining tasks: awaiting a `Task`, `try_result`, detaching, outputs, and
//! `add_done_callback`.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::{JoinError, TaskRef};

#[test]
fn awaiting_a_task_gives_its_output_even_if_it_is_not_send() {
    run_virtual(async {
        let shared = Rc::new(RefCell::new(vec![1]));
        let s = shared.clone();
        let t = ferrio::spawn(async move {
            ferrio::sleep(Duration::from_millis(3)).await.unwrap();
            s.borrow_mut().push(2);
            s
        });
        let out: Rc<RefCell<Vec<i32>>> = t.await.unwrap();
        assert!(Rc::ptr_eq(&out, &shared));
        assert_eq!(*shared.borrow(), [1, 2]);
    });
}

#[test]
fn awaiting_a_task_that_finished_long_ago_returns_at_once() {
    run_virtual(async {
        let t = ferrio::spawn(async { "early" });
        ferrio::sleep(Duration::from_secs(10)).await.unwrap();
        let t0 = ferrio::now();
        assert_eq!(t.await.unwrap(), "early");
        assert_eq!(since(t0), Duration::ZERO);
    });
}

#[test]
fn try_result_is_none_while_running_then_gives_the_outcome() {
    run_virtual(async {
        let t = ferrio::spawn(async {
            ferrio::sleep(Duration::from_secs(1)).await.unwrap();
            5
        });
        assert!(t.try_result().is_none());
        assert!(!t.done());
        ferrio::sleep(Duration::from_secs(2)).await.unwrap();
        assert!(t.done());
        assert_eq!(t.try_result().unwrap().unwrap(), 5);
    });
}

#[test]
fn taking_a_result_twice_is_a_typed_error() {
    run_virtual(async {
        let t = ferrio::spawn(async { 5 });
        ferrio::yield_now().await.unwrap();
        assert_eq!(t.try_result().unwrap().unwrap(), 5);
        assert!(matches!(t.try_result(), Some(Err(JoinError::ResultTaken))));
        // Awaiting after the value was taken says so too.
        assert!(matches!(t.await, Err(JoinError::ResultTaken)));
    });
}

#[test]
fn the_output_of_a_detached_task_is_dropped_when_it_finishes() {
    run_virtual(async {
        let (drops, guard) = drop_counter();
        ferrio::spawn(async move { guard }).detach();
        ferrio::yield_now().await.unwrap();
        assert_eq!(drops.get(), 1);

        // With a handle, the output waits for it...
        let (drops, guard) = drop_counter();
        let t = ferrio::spawn(async move { guard });
        ferrio::yield_now().await.unwrap();
        assert!(t.done());
        assert_eq!(drops.get(), 0);
        // ...and dropping the handle drops the output.
        drop(t);
        assert_eq!(drops.get(), 1);
    });
}

#[test]
fn a_detached_task_runs_to_completion() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let t0 = ferrio::now();
        ferrio::spawn(async move {
            ferrio::sleep(Duration::from_secs(5)).await.unwrap();
            push(&l, since(t0));
        })
        .detach();
        ferrio::sleep(Duration::from_secs(6)).await.unwrap();
    });
    assert_eq!(snapshot(&log), [Duration::from_secs(5)]);
}

#[test]
fn done_callbacks_run_through_the_loop_after_completion_in_order() {
    run_virtual(async {
        let log = new_log();
        let t = ferrio::spawn(async { 1 });
        for i in 0..3 {
            let l = log.clone();
            t.add_done_callback(move |task: &TaskRef| push(&l, (i, task.done())));
        }
        let t_ref = (*t).clone();
        assert_eq!(t.await.unwrap(), 1);
        // The callbacks were queued when the task finished; they run on the
        // loop, not inside the task's completion.
        ferrio::yield_now().await.unwrap();
        assert_eq!(snapshot(&log), [(0, true), (1, true), (2, true)]);

        // On a task already done, the callback is scheduled, not called.
        let late = Rc::new(Cell::new(false));
        let l = late.clone();
        t_ref.add_done_callback(move |_| l.set(true));
        assert!(!late.get());
        ferrio::yield_now().await.unwrap();
        assert!(late.get());
    });
}

#[test]
fn done_callbacks_see_cancellation_and_panics() {
    run_virtual(async {
        let log = new_log();
        let cancelled = ferrio::spawn(ferrio::sleep(Duration::from_secs(1)));
        let panicking = ferrio::spawn(async { panic!("x") });
        for t in [&*cancelled, &*panicking] {
            let l = log.clone();
            t.add_done_callback(move |t| push(&l, (t.cancelled(), t.panicked())));
        }
        cancelled.cancel();
        ferrio::sleep(Duration::from_secs(2)).await.unwrap();
        assert_eq!(snapshot(&log), [(true, false), (false, true)]);
        assert!(panicking.await.unwrap_err().is_panic());
    });
}

#[test]
fn done_callback_on_a_finished_task_outside_the_loop_is_called_at_once() {
    let event_loop = virtual_loop();
    let t = event_loop
        .run_until_complete(async {
            let t = ferrio::spawn(async { 1 });
            ferrio::yield_now().await.unwrap();
            TaskRef::clone(&t)
        })
        .unwrap();
    let called = Rc::new(Cell::new(false));
    let c = called.clone();
    t.add_done_callback(move |t| c.set(t.done()));
    assert!(called.get());
}

#[test]
fn a_task_spawned_on_an_idle_loop_runs_when_the_loop_runs() {
    let event_loop = virtual_loop();
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    let t = event_loop
        .handle()
        .spawn(async move {
            r.set(true);
            "done"
        })
        .unwrap();
    assert!(!ran.get() && !t.done());
    let out = event_loop.run_until_complete(t).unwrap().unwrap();
    assert_eq!(out, "done");
    assert!(ran.get());
}
