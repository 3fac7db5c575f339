//! Debug mode: slow polls and callbacks, dropped task handles.
//!
//! The slow-poll and slow-callback tests block the loop on purpose for far
//! longer than the threshold they set, and look for the expected report
//! among what was reported: a loaded machine may make other polls slow
//! too, and a block may last longer than asked, never shorter.

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

/// The reports of `kind`.
fn of_kind(reports: &Reports, kind: ExceptionKind) -> Vec<ExceptionContext> {
    reports
        .borrow()
        .iter()
        .filter(|r| r.kind == kind)
        .cloned()
        .collect()
}

/// The seconds a slow report's message says the poll or callback took
/// (`... took 0.152 seconds ...`).
fn seconds_in(message: &str) -> f64 {
    let after = message
        .split("took ")
        .nth(1)
        .expect("no duration in the message");
    after
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {message:?}"))
}

/// How long the tests block the loop on purpose, and the threshold they
/// set well below it.
const BLOCK: Duration = Duration::from_millis(100);
const THRESHOLD: Duration = Duration::from_millis(20);

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
    let slow: Vec<_> = of_kind(&reports, ExceptionKind::SlowPoll)
        .into_iter()
        .filter(|r| r.task.as_ref().is_some_and(|t| &*t.name == "blocker"))
        .collect();
    assert_eq!(slow.len(), 1, "{:?}", reports.borrow());
    let report = &slow[0];
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
    assert!(seconds_in(&report.message) >= 0.15, "{}", report.message);
}

#[test]
fn a_slow_callback_is_reported_with_its_registration_site() {
    let (event_loop, reports) = debug_loop();
    let handle = event_loop.handle();
    handle.set_slow_callback_duration(THRESHOLD);
    let line = line!() + 1;
    handle.call_soon(|| std::thread::sleep(BLOCK)).unwrap();
    event_loop
        .run_until_complete(ferrio::yield_now())
        .unwrap()
        .unwrap();
    let slow = of_kind(&reports, ExceptionKind::SlowCallback);
    assert_eq!(slow.len(), 1, "{:?}", reports.borrow());
    let report = &slow[0];
    assert!(report.duration.unwrap() >= BLOCK);
    let site = report
        .location
        .expect("the report names the registration site");
    assert_eq!((site.file(), site.line()), (file!(), line));
    assert!(
        report.message.contains(&format!("{}:{line}:", file!())),
        "{}",
        report.message
    );
    assert!(seconds_in(&report.message) >= 0.1, "{}", report.message);
}

#[test]
fn slow_timer_and_threadsafe_callbacks_name_their_registration_sites() {
    let (event_loop, reports) = debug_loop();
    let handle = event_loop.handle();
    handle.set_slow_callback_duration(THRESHOLD);
    let block = || std::thread::sleep(BLOCK);
    let later = Duration::from_secs(1);
    let (later_line, _timer) = (line!(), handle.call_later(later, block).unwrap());
    let remote = handle.threadsafe();
    let threadsafe_line = std::thread::spawn(move || {
        let line = line!() + 1;
        remote.call_soon_threadsafe(block).unwrap();
        line
    })
    .join()
    .unwrap();
    event_loop
        .run_until_complete(ferrio::sleep(Duration::from_secs(2)))
        .unwrap()
        .unwrap();
    let lines: Vec<u32> = of_kind(&reports, ExceptionKind::SlowCallback)
        .iter()
        .map(|r| {
            let site = r.location.unwrap();
            assert_eq!(site.file(), file!());
            site.line()
        })
        .collect();
    assert!(lines.contains(&later_line), "{lines:?}");
    assert!(lines.contains(&threadsafe_line), "{lines:?}");
}

#[test]
fn a_panicking_callback_names_its_registration_site() {
    let (event_loop, reports) = debug_loop();
    let handle = event_loop.handle();
    let line = line!() + 1;
    handle.call_soon(|| panic!("callback failed")).unwrap();
    event_loop
        .run_until_complete(ferrio::yield_now())
        .unwrap()
        .unwrap();
    let panics = of_kind(&reports, ExceptionKind::CallbackPanicked);
    assert_eq!(panics.len(), 1);
    assert_eq!(panics[0].location.map(|l| l.line()), Some(line));
    assert!(panics[0].message.contains("callback failed"));
}

#[test]
fn fast_polls_and_debug_off_report_nothing() {
    let (event_loop, reports) = debug_loop();
    // Fast means far below this, even on a loaded machine.
    event_loop
        .handle()
        .set_slow_callback_duration(Duration::from_secs(5));
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
            handle.set_slow_callback_duration(THRESHOLD);
            assert!(handle.debug());
            task::Builder::new()
                .name("blocker")
                .spawn(async { std::thread::sleep(BLOCK) })
                .unwrap()
                .await
                .unwrap();
        })
        .unwrap();
    let slow = of_kind(&reports, ExceptionKind::SlowPoll);
    assert!(
        slow.iter()
            .any(|r| r.task.as_ref().is_some_and(|t| &*t.name == "blocker")),
        "{:?}",
        reports.borrow()
    );
}
