//! Panic isolation: a panicking task fails alone; its `Task` reports the
//! panic; a failure nobody retrieved goes to the loop's exception handler.

mod common;

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::Duration;

use common::*;
use ferrio::event_loop::ExceptionKind;
use ferrio::{task, EventLoop, JoinError};

async fn boom() {
    ferrio::sleep(Duration::from_millis(5)).await.unwrap();
    panic!("boom");
}

#[test]
fn a_panicking_task_fails_alone_and_the_loop_keeps_running() {
    let (event_loop, reports) = loop_with_reports();
    let log = new_log();
    let l = log.clone();
    let value = event_loop
        .run_until_complete(async move {
            let t0 = ferrio::now();
            let l1 = l.clone();
            let sibling = ferrio::spawn(async move {
                for i in 0..3 {
                    ferrio::sleep(Duration::from_millis(4)).await.unwrap();
                    push(&l1, (i, since(t0)));
                }
                "sibling ok"
            });
            let failing = ferrio::spawn(boom());
            let line = line!() - 1;
            let task_ref = failing.clone();
            let err = failing.await.unwrap_err();
            assert!(err.is_panic() && !err.is_cancelled());
            let JoinError::Panicked(p) = err else {
                unreachable!()
            };
            assert_eq!(p.message(), "boom");
            assert_eq!(p.task_name(), &*task_ref.name());
            assert_eq!(p.spawn_location().file(), file!());
            assert_eq!(p.spawn_location().line(), line);
            let shown = p.to_string();
            assert!(shown.contains("boom") && shown.contains(file!()), "{shown}");
            assert!(task_ref.done() && task_ref.panicked() && !task_ref.cancelled());
            // The sibling was not disturbed.
            assert_eq!(sibling.await.unwrap(), "sibling ok");
            push(&l, (99, since(t0)));
            "main ok"
        })
        .unwrap();
    assert_eq!(value, "main ok");
    assert_eq!(
        snapshot(&log),
        [
            (0, Duration::from_millis(4)),
            (1, Duration::from_millis(8)),
            (2, Duration::from_millis(12)),
            (99, Duration::from_millis(12)),
        ]
    );
    assert!(
        reports.borrow().is_empty(),
        "an awaited panic is not reported"
    );
}

#[test]
fn a_detached_task_panic_is_reported_with_name_and_spawn_location() {
    let (event_loop, reports) = loop_with_reports();
    let (id, line) = event_loop
        .run_until_complete(async {
            let t = task::Builder::new().name("x").spawn(boom()).unwrap();
            let line = line!() - 1;
            let id = t.id();
            t.detach();
            ferrio::sleep(Duration::from_millis(10)).await.unwrap();
            (id, line)
        })
        .unwrap();
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let report = &reports[0];
    assert_eq!(report.kind, ExceptionKind::TaskFailureNotRetrieved);
    let info = report.task.as_ref().expect("the report names the task");
    assert_eq!(&*info.name, "x");
    assert_eq!(info.id, id);
    assert_eq!(info.location.file(), file!());
    assert_eq!(info.location.line(), line);
    for needle in ["x", "boom", file!(), "never retrieved"] {
        assert!(
            report.message.contains(needle),
            "{needle:?} not in {:?}",
            report.message
        );
    }
}

#[test]
fn dropping_the_handle_of_a_panicked_task_reports_it_once() {
    let (event_loop, reports) = loop_with_reports();
    event_loop
        .run_until_complete(async {
            let t = task::Builder::new()
                .name("dropped-late")
                .spawn(boom())
                .unwrap();
            ferrio::sleep(Duration::from_millis(10)).await.unwrap();
            assert!(t.panicked());
            assert!(
                reports.borrow().is_empty(),
                "not reported while the handle may still retrieve it"
            );
            drop(t);
            assert_eq!(reports.borrow().len(), 1);
            ferrio::sleep(Duration::from_millis(10)).await.unwrap();
        })
        .unwrap();
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].kind, ExceptionKind::TaskFailureNotRetrieved);
    assert_eq!(&*reports[0].task.as_ref().unwrap().name, "dropped-late");
}

#[test]
fn a_retrieved_panic_is_not_reported() {
    let (event_loop, reports) = loop_with_reports();
    event_loop
        .run_until_complete(async {
            // Awaited.
            assert!(ferrio::spawn(boom()).await.unwrap_err().is_panic());
            // Looked at with exception().
            let t = ferrio::spawn(boom());
            ferrio::sleep(Duration::from_millis(10)).await.unwrap();
            match t.exception() {
                Ok(Some(ferrio::JoinError::Panicked(p))) => assert_eq!(p.message(), "boom"),
                other => panic!("expected the panic, got {other:?}"),
            }
            drop(t);
            // Taken with try_result().
            let t = ferrio::spawn(boom());
            ferrio::sleep(Duration::from_millis(10)).await.unwrap();
            assert!(t.try_result().unwrap().unwrap_err().is_panic());
            drop(t);
            ferrio::yield_now().await.unwrap();
        })
        .unwrap();
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
}

#[test]
fn exception_is_none_for_tasks_that_did_not_panic() {
    run_virtual(async {
        let t = ferrio::spawn(async { 1 });
        // Pending: asyncio's InvalidStateError.
        assert_eq!(t.exception().unwrap_err(), ferrio::task::NotDone);
        ferrio::yield_now().await.unwrap();
        assert!(t.exception().unwrap().is_none());
        assert_eq!(t.await.unwrap(), 1);
    });
}

#[test]
fn non_string_panic_payload_is_kept_for_resume_unwind() {
    run_virtual(async {
        let t = ferrio::spawn(async { std::panic::panic_any(42u32) });
        let JoinError::Panicked(p) = t.await.unwrap_err() else {
            panic!("expected a panic")
        };
        assert_eq!(p.message(), "<non-string panic payload>");
        let payload = p.into_panic();
        assert_eq!(payload.downcast_ref::<u32>(), Some(&42));
    });
}

#[test]
fn panic_payload_can_be_resumed_by_the_awaiter() {
    let caught = catch_unwind(AssertUnwindSafe(|| {
        run_virtual(async {
            let n = std::hint::black_box(7);
            let t = ferrio::spawn(async move { panic!("resumed {n}") });
            match t.await {
                Err(JoinError::Panicked(p)) => resume_unwind(p.into_panic()),
                other => panic!("expected a panic, got {other:?}"),
            }
        })
    }));
    let payload = caught.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("resumed 7")
    );
}

#[test]
fn a_panicking_done_callback_is_reported_and_the_loop_goes_on() {
    let (event_loop, reports) = loop_with_reports();
    let value = event_loop
        .run_until_complete(async {
            let t = ferrio::spawn(async { 1 });
            t.add_done_callback(|_| panic!("done callback boom"));
            assert_eq!(t.await.unwrap(), 1);
            ferrio::yield_now().await.unwrap();
            ferrio::yield_now().await.unwrap();
            "still running"
        })
        .unwrap();
    assert_eq!(value, "still running");
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].kind, ExceptionKind::CallbackPanicked);
    assert!(reports[0].message.contains("done callback boom"));
}

#[test]
fn a_panic_in_a_detached_task_does_not_stop_the_main_task() {
    let (event_loop, reports) = loop_with_reports();
    let t0 = event_loop.handle().time();
    let out = event_loop
        .run_until_complete(async {
            for _ in 0..10 {
                ferrio::spawn(boom()).detach();
            }
            ferrio::sleep(Duration::from_secs(1)).await.unwrap();
            EventLoop::current().time()
        })
        .unwrap();
    assert_eq!(out - t0, Duration::from_secs(1));
    assert_eq!(reports.borrow().len(), 10);
}

#[test]
#[allow(clippy::async_yields_async)] // returns a Task on purpose, to use it after the run
fn dropping_a_panicked_task_outside_the_running_loop_reports_to_that_loops_handler() {
    let (event_loop, reports) = loop_with_reports();
    let t = event_loop
        .run_until_complete(async {
            let t = ferrio::spawn(boom());
            ferrio::sleep(Duration::from_millis(10)).await.unwrap();
            t
        })
        .unwrap();
    assert!(t.panicked());
    // The loop still exists (idle); asyncio reports through
    // task._loop.call_exception_handler whether or not the loop runs.
    drop(t);
    assert_eq!(reports.borrow().len(), 1, "the loop's handler was bypassed");
}
