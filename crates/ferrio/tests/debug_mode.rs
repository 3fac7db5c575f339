//! Debug mode: slow polls and callbacks, dropped task handles.

mod common;

use std::time::Duration;

use common::*;
use ferrio::event_loop::{ExceptionContext, ExceptionKind};
use ferrio::{task, EventLoop};

fn debug_loop() -> (EventLoop, Reports) {
    let reports: Reports = Default::default();
    let r = reports.clone();
    let event_loop = EventLoop::builder()
        .virtual_clock(true)
        .debug(true)
        .exception_handler(move |ctx: &ExceptionContext| r.borrow_mut().push(ctx.clone()))
        .build()
        .unwrap();
    (event_loop, reports)
}

/// Spawns a named task; also returns the line it was spawned from (the
/// caller's: both this helper and `Builder::spawn` track the caller).
#[track_caller]
fn spawn_named<F: std::future::Future + 'static>(
    name: &str,
    future: F,
) -> (ferrio::Task<F::Output>, u32) {
    let line = std::panic::Location::caller().line();
    (task::Builder::new().name(name).spawn(future).unwrap(), line)
}

fn kinds(reports: &Reports) -> Vec<ExceptionKind> {
    reports.borrow().iter().map(|r| r.kind).collect()
}

#[test]
fn a_blocking_call_in_a_task_is_reported_as_a_slow_poll_with_its_name_and_location() {
    let (event_loop, reports) = debug_loop();
    let line = event_loop
        .run_until_complete(async {
            let (blocker, line) = spawn_named("blocker", async {
                // The classic bug: a blocking call inside async code.
                std::thread::sleep(Duration::from_millis(150));
            });
            blocker.await.unwrap();
            line
        })
        .unwrap();
    let reports = reports.borrow();
    let slow: Vec<_> = reports
        .iter()
        .filter(|r| r.kind == ExceptionKind::SlowPoll)
        .collect();
    assert_eq!(slow.len(), 1, "{reports:?}");
    let report = slow[0];
    let task = report.task.as_ref().unwrap();
    assert_eq!(&*task.name, "blocker");
    assert_eq!(task.location.file(), file!());
    assert_eq!(task.location.line(), line);
    assert!(report.duration.unwrap() >= Duration::from_millis(150));
    assert!(report.message.contains("'blocker'"), "{}", report.message);
    assert!(
        report.message.contains(&format!("{}:{line}", file!())),
        "{}",
        report.message
    );
    assert!(report.message.contains("took 0.1"), "{}", report.message);
}

#[test]
fn a_slow_callback_is_reported() {
    let (event_loop, reports) = debug_loop();
    let handle = event_loop.handle();
    handle.set_slow_callback_duration(Duration::from_millis(5));
    handle
        .call_soon(|| std::thread::sleep(Duration::from_millis(10)))
        .unwrap();
    event_loop
        .run_until_complete(ferrio::yield_now())
        .unwrap()
        .unwrap();
    assert_eq!(kinds(&reports), [ExceptionKind::SlowCallback]);
    assert!(reports.borrow()[0].duration.unwrap() >= Duration::from_millis(10));
}

#[test]
fn fast_polls_and_debug_off_report_nothing() {
    let (event_loop, reports) = debug_loop();
    event_loop
        .run_until_complete(async {
            for _ in 0..10 {
                ferrio::spawn(async { ferrio::yield_now().await.unwrap() })
                    .await
                    .unwrap();
            }
        })
        .unwrap();
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());

    let (quiet, reports) = loop_with_reports();
    assert!(!quiet.handle().debug());
    quiet
        .run_until_complete(async {
            ferrio::spawn(async {}); // dropped, but debug is off
            std::thread::sleep(Duration::from_millis(1));
            ferrio::yield_now().await.unwrap();
        })
        .unwrap();
    assert!(reports.borrow().is_empty());
}

#[test]
fn a_task_handle_dropped_without_awaiting_is_reported_in_debug_mode() {
    let (event_loop, reports) = debug_loop();
    let line = event_loop
        .run_until_complete(async {
            let (forgotten, line) = spawn_named("forgotten", async {});
            drop(forgotten);
            ferrio::spawn(async {}).detach(); // on purpose: not reported
            ferrio::spawn(async {}).await.unwrap(); // awaited: not reported
            ferrio::yield_now().await.unwrap();
            line
        })
        .unwrap();
    assert_eq!(kinds(&reports), [ExceptionKind::TaskHandleDropped]);
    let report = &reports.borrow()[0];
    let task = report.task.as_ref().unwrap();
    assert_eq!(&*task.name, "forgotten");
    assert_eq!(
        (task.location.file(), task.location.line()),
        (file!(), line)
    );
    assert!(report.message.contains(".detach()"), "{}", report.message);
}

#[test]
fn debug_mode_can_be_switched_on_a_running_loop() {
    let (event_loop, reports) = loop_with_reports();
    event_loop
        .run_until_complete(async {
            let handle = EventLoop::current();
            handle.set_debug(true);
            handle.set_slow_callback_duration(Duration::from_millis(1));
            assert!(handle.debug());
            ferrio::spawn(async { std::thread::sleep(Duration::from_millis(2)) })
                .await
                .unwrap();
        })
        .unwrap();
    assert_eq!(kinds(&reports), [ExceptionKind::SlowPoll]);
}
