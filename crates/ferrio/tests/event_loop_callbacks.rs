//! `call_soon` callbacks and the run queue: FIFO order, interleaving with
//! tasks, cancellation of `CallbackHandle`s, panicking callbacks.

mod common;

use std::cell::Cell;
use std::rc::Rc;

use common::*;
use ferrio::event_loop::{ExceptionContext, ExceptionKind};
use ferrio::{EventLoop, Handle};

#[test]
fn call_soon_runs_callbacks_in_fifo_order() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        for i in 0..100 {
            let l = l.clone();
            handle.call_soon(move || push(&l, i)).unwrap();
        }
        // Nothing runs before the current task suspends.
        assert!(l.borrow().is_empty());
        ferrio::yield_now().await.unwrap();
    });
    assert_eq!(snapshot(&log), (0..100).collect::<Vec<_>>());
}

#[test]
fn spawned_tasks_first_run_in_spawn_order() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let l = l.clone();
                ferrio::spawn(async move { push(&l, i) })
            })
            .collect();
        assert!(l.borrow().is_empty(), "spawned tasks must not run eagerly");
        for t in tasks {
            t.await.unwrap();
        }
    });
    assert_eq!(snapshot(&log), (0..20).collect::<Vec<_>>());
}

#[test]
fn callbacks_and_new_tasks_interleave_in_scheduling_order() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let la = l.clone();
        handle.call_soon(move || push(&la, "cb-a")).unwrap();
        let lt = l.clone();
        let t1 = ferrio::spawn(async move { push(&lt, "task-1") });
        let lb = l.clone();
        handle.call_soon(move || push(&lb, "cb-b")).unwrap();
        let lt = l.clone();
        let t2 = ferrio::spawn(async move { push(&lt, "task-2") });
        let lc = l.clone();
        handle.call_soon(move || push(&lc, "cb-c")).unwrap();
        // yield_now re-queues the main task behind everything scheduled
        // above, so exactly those five jobs have run when it resumes.
        ferrio::yield_now().await.unwrap();
        assert_eq!(snapshot(&l), ["cb-a", "task-1", "cb-b", "task-2", "cb-c"]);
        assert!(t1.done() && t2.done());
    });
    assert_eq!(log.borrow().len(), 5);
}

#[test]
fn callback_scheduled_by_a_callback_runs_after_those_already_queued() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let (h, la) = (handle.clone(), l.clone());
        handle
            .call_soon(move || {
                push(&la, "a");
                let la2 = la.clone();
                h.call_soon(move || push(&la2, "a-child")).unwrap();
            })
            .unwrap();
        let lb = l.clone();
        handle.call_soon(move || push(&lb, "b")).unwrap();
        ferrio::yield_now().await.unwrap();
        // "a-child" was queued behind the main task: not run yet.
        assert_eq!(snapshot(&l), ["a", "b"]);
        ferrio::yield_now().await.unwrap();
        assert_eq!(snapshot(&l), ["a", "b", "a-child"]);
    });
}

#[test]
fn cancelled_callback_never_runs_and_its_closure_is_dropped_at_once() {
    let (drops, guard) = drop_counter();
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let cb = handle
            .call_soon(move || {
                let _guard = &guard;
                r.set(true);
            })
            .unwrap();
        assert!(!cb.cancelled());
        cb.cancel();
        assert!(cb.cancelled());
        assert_eq!(drops.get(), 1, "cancel() must release the closure");
        cb.cancel(); // twice is harmless
        ferrio::yield_now().await.unwrap();
        ferrio::yield_now().await.unwrap();
    });
    assert!(!ran.get());
}

#[test]
fn callback_cancelled_by_an_earlier_callback_of_the_same_iteration_does_not_run() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let victim_slot = Rc::new(std::cell::RefCell::new(None::<ferrio::CallbackHandle>));
        let (vs, la) = (victim_slot.clone(), l.clone());
        handle
            .call_soon(move || {
                push(&la, "killer");
                vs.borrow().as_ref().unwrap().cancel();
            })
            .unwrap();
        let lb = l.clone();
        let victim = handle.call_soon(move || push(&lb, "victim")).unwrap();
        *victim_slot.borrow_mut() = Some(victim);
        let lc = l.clone();
        handle.call_soon(move || push(&lc, "after")).unwrap();
        ferrio::yield_now().await.unwrap();
        assert_eq!(snapshot(&l), ["killer", "after"]);
    });
}

#[test]
fn cancelling_a_callback_after_it_ran_changes_nothing() {
    let count = Rc::new(Cell::new(0));
    let c = count.clone();
    run_virtual(async move {
        let cb = EventLoop::current()
            .call_soon(move || c.set(c.get() + 1))
            .unwrap();
        ferrio::yield_now().await.unwrap();
        cb.cancel();
        ferrio::yield_now().await.unwrap();
    });
    assert_eq!(count.get(), 1);
}

#[test]
fn dropping_a_callback_handle_does_not_cancel_it() {
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    run_virtual(async move {
        drop(EventLoop::current().call_soon(move || r.set(true)).unwrap());
        ferrio::yield_now().await.unwrap();
    });
    assert!(ran.get());
}

#[test]
fn callback_scheduled_on_an_idle_loop_runs_before_the_main_task_starts() {
    let event_loop = virtual_loop();
    let handle = event_loop.handle();
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    handle.call_soon(move || r.set(true)).unwrap();
    assert!(!ran.get(), "nothing runs while the loop is idle");
    let seen_by_main = event_loop.run_until_complete(async { ran.get() }).unwrap();
    assert!(seen_by_main);
}

#[test]
fn panicking_callback_is_reported_and_the_loop_goes_on() {
    let (event_loop, reports) = loop_with_reports();
    let log = new_log();
    let l = log.clone();
    event_loop
        .run_until_complete(async move {
            let handle = EventLoop::current();
            handle.call_soon(|| panic!("callback boom")).unwrap();
            let l2 = l.clone();
            handle
                .call_soon(move || push(&l2, "next callback"))
                .unwrap();
            let l3 = l.clone();
            let task = ferrio::spawn(async move { push(&l3, "task") });
            ferrio::yield_now().await.unwrap();
            task.await.unwrap();
            push(&l, "main done");
        })
        .unwrap();
    assert_eq!(snapshot(&log), ["next callback", "task", "main done"]);
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].kind, ExceptionKind::CallbackPanicked);
    assert!(reports[0].task.is_none());
    assert!(
        reports[0].message.contains("callback boom"),
        "message: {}",
        reports[0].message
    );
}

#[test]
fn panicking_exception_handler_does_not_stop_the_loop() {
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let event_loop = EventLoop::builder()
        .virtual_clock(true)
        .exception_handler(move |_ctx| {
            c.set(c.get() + 1);
            panic!("handler boom");
        })
        .build()
        .unwrap();
    let value = event_loop
        .run_until_complete(async {
            EventLoop::current().call_soon(|| panic!("cb")).unwrap();
            ferrio::yield_now().await.unwrap();
            ferrio::yield_now().await.unwrap();
            7
        })
        .unwrap();
    assert_eq!(value, 7);
    assert_eq!(calls.get(), 1);
}

#[test]
fn exception_handler_can_be_replaced_at_runtime() {
    let event_loop = virtual_loop();
    let reports = new_log::<ExceptionContext>();
    let r = reports.clone();
    event_loop
        .handle()
        .set_exception_handler(Some(move |ctx: &ExceptionContext| push(&r, ctx.clone())));
    event_loop
        .run_until_complete(async {
            let handle = EventLoop::current();
            handle.call_soon(|| panic!("first")).unwrap();
            ferrio::yield_now().await.unwrap();
            // call_exception_handler hands any report to the handler.
            handle.call_exception_handler(&ExceptionContext::new(
                ExceptionKind::CallbackPanicked,
                "custom report".to_string(),
                None,
            ));
        })
        .unwrap();
    let reports = reports.borrow();
    assert_eq!(reports.len(), 2);
    assert!(reports[0].message.contains("first"));
    assert_eq!(reports[1].message, "custom report");
    assert_eq!(reports[1].to_string(), "custom report");
}

#[test]
fn current_handle_is_the_running_loop() {
    let event_loop = virtual_loop();
    let outer = event_loop.handle();
    assert!(!outer.is_running());
    assert!(!outer.is_closed());
    let (same_id, running) = event_loop
        .run_until_complete(async {
            let h: Handle = EventLoop::current();
            (
                h.id() == ferrio::Handle::try_current().unwrap().id(),
                h.is_running(),
            )
        })
        .unwrap();
    assert!(same_id);
    assert!(running);
    assert_eq!(
        event_loop
            .run_until_complete(async { EventLoop::current().id() })
            .unwrap(),
        outer.id()
    );
    assert!(!outer.is_running());
    assert!(Handle::try_current().is_none());
}

#[test]
#[should_panic(expected = "no event loop is running")]
fn event_loop_current_outside_a_loop_panics() {
    let _ = EventLoop::current();
}

#[test]
fn distinct_loops_have_distinct_ids() {
    let a = virtual_loop();
    let b = virtual_loop();
    assert_ne!(a.handle().id(), b.handle().id());
    assert_eq!(a.handle().id(), a.handle().threadsafe().id());
}
