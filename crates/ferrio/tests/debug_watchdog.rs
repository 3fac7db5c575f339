//! `debug::Watchdog`: tasks idle past a threshold are reported or
//! cancelled, once per idle period.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::*;
use ferrio::debug::{IdleAction, Watchdog, WatchdogStats};
use ferrio::event_loop::{ExceptionContext, ExceptionKind};
use ferrio::{task, Cancelled, EventLoop, JoinError, SpawnError};

const SEC: Duration = Duration::from_secs(1);

/// Reports with the loop time at which each arrived.
type TimedReports = Rc<RefCell<Vec<(Instant, ExceptionContext)>>>;

fn watched_loop() -> (EventLoop, TimedReports) {
    let reports: TimedReports = Rc::default();
    let r = reports.clone();
    let event_loop = EventLoop::builder()
        .virtual_clock(true)
        .exception_handler(move |ctx: &ExceptionContext| {
            r.borrow_mut().push((ferrio::now(), ctx.clone()))
        })
        .build()
        .unwrap();
    (event_loop, reports)
}

/// (seconds since `t0`, task name) of each report.
fn summary(reports: &TimedReports, t0: Instant) -> Vec<(u64, String)> {
    reports
        .borrow()
        .iter()
        .map(|(at, ctx)| {
            assert_eq!(ctx.kind, ExceptionKind::TaskIdle, "{ctx:?}");
            (
                (*at - t0).as_secs(),
                ctx.task.as_ref().unwrap().name.to_string(),
            )
        })
        .collect()
}

#[track_caller]
fn spawn_named<F: std::future::Future + 'static>(name: &str, f: F) -> ferrio::Task<F::Output> {
    task::Builder::new().name(name).spawn(f).unwrap()
}

#[test]
fn a_stuck_task_is_reported_after_the_threshold_and_an_active_one_is_not() {
    let (event_loop, reports) = watched_loop();
    let (t0, line) = event_loop
        .run_until_complete(async {
            let t0 = ferrio::now();
            let watchdog = Watchdog::start(10 * SEC, IdleAction::Report);
            assert_eq!(watchdog.check_interval(), 5 * SEC);
            let line = line!() + 1;
            let stuck = spawn_named("stuck", ferrio::sleep(3600 * SEC));
            let active = spawn_named("active", async {
                for _ in 0..30 {
                    ferrio::sleep(SEC).await?;
                }
                Ok::<_, Cancelled>(())
            });
            // Checks at 5, 10, 15, 20, 25 s; the main task is never watched.
            ferrio::sleep(27 * SEC).await.unwrap();
            let stats: WatchdogStats = watchdog.statistics();
            assert_eq!((stats.scans, stats.reported, stats.cancelled), (5, 1, 0));
            assert!(!stuck.done(), "Report does not cancel");
            stuck.abort();
            assert!(stuck.await.unwrap_err().is_cancelled());
            active.await.unwrap().unwrap();
            (t0, line)
        })
        .unwrap();
    assert_eq!(summary(&reports, t0), [(10, "stuck".to_string())]);
    let report = &reports.borrow()[0].1;
    assert_eq!(report.duration, Some(10 * SEC));
    let task = report.task.as_ref().unwrap();
    assert_eq!(
        (task.location.file(), task.location.line()),
        (file!(), line)
    );
    for part in [
        "'stuck'",
        &format!("{}:{line}", file!()),
        "idle for 10s",
        "waiting on sleep",
        "threshold of 10s",
    ] {
        assert!(report.message.contains(part), "{part}: {}", report.message);
    }
}

#[test]
fn a_task_is_reported_once_per_idle_period() {
    let (event_loop, reports) = watched_loop();
    let t0 = event_loop
        .run_until_complete(async {
            let t0 = ferrio::now();
            let _watchdog = Watchdog::start(10 * SEC, IdleAction::Report);
            let napper = spawn_named("napper", async {
                ferrio::sleep(30 * SEC).await?;
                ferrio::sleep(30 * SEC).await
            });
            ferrio::sleep(55 * SEC).await.unwrap();
            napper.abort();
            t0
        })
        .unwrap();
    // Idle from 0 s (reported at 10 s) and from 30 s (reported at 40 s).
    assert_eq!(
        summary(&reports, t0),
        [(10, "napper".to_string()), (40, "napper".to_string())]
    );
}

#[test]
fn cancel_mode_cancels_the_stuck_task_and_its_cleanup_runs() {
    let (event_loop, reports) = watched_loop();
    let log = new_log();
    let l = log.clone();
    let t0 = event_loop
        .run_until_complete(async move {
            let t0 = ferrio::now();
            let watchdog = Watchdog::start(10 * SEC, IdleAction::Cancel);
            let stuck = spawn_named("stuck", async move {
                match ferrio::sleep(3600 * SEC).await {
                    Ok(()) => Ok(()),
                    Err(cancelled) => {
                        push(
                            &l,
                            (since(t0).as_secs(), cancelled.message().map(String::from)),
                        );
                        // Cleanup may await.
                        ferrio::sleep(SEC).await?;
                        push(&l, (since(t0).as_secs(), None));
                        Err(cancelled)
                    }
                }
            });
            let err = stuck.await.unwrap_err();
            assert_eq!(since(t0), 11 * SEC);
            match err {
                JoinError::Cancelled(c) => assert_eq!(c.message(), Some("idle for 10s")),
                other => panic!("{other:?}"),
            }
            assert_eq!(watchdog.statistics().cancelled, 1);
            assert_eq!(watchdog.statistics().reported, 1);
            t0
        })
        .unwrap();
    assert_eq!(
        snapshot(&log),
        [(10, Some("idle for 10s".to_string())), (11, None)]
    );
    assert_eq!(summary(&reports, t0), [(10, "stuck".to_string())]);
    let message = &reports.borrow()[0].1.message;
    assert!(message.contains("cancelled it"), "{message}");
}

#[test]
fn tasks_spawned_before_the_watchdog_count_from_its_start() {
    let (event_loop, reports) = watched_loop();
    let t0 = event_loop
        .run_until_complete(async {
            let t0 = ferrio::now();
            let old = spawn_named("old", ferrio::sleep(3600 * SEC));
            ferrio::sleep(100 * SEC).await.unwrap();
            assert_eq!(old.activity(), None, "the loop does not track activity yet");
            let _watchdog = Watchdog::start(10 * SEC, IdleAction::Report);
            ferrio::sleep(12 * SEC).await.unwrap();
            old.abort();
            t0
        })
        .unwrap();
    assert_eq!(summary(&reports, t0), [(110, "old".to_string())]);
    assert_eq!(reports.borrow()[0].1.duration, Some(10 * SEC));
}

#[test]
fn the_watchdog_skips_itself_and_the_main_task_unless_asked() {
    // A threshold below the check interval: the watchdog's own task is idle
    // past it at every check.
    let (event_loop, reports) = watched_loop();
    event_loop
        .run_until_complete(async {
            let _watchdog = Watchdog::builder(SEC, IdleAction::Report)
                .check_interval(5 * SEC)
                .start()
                .unwrap();
            ferrio::sleep(30 * SEC).await.unwrap();
        })
        .unwrap();
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());

    let (event_loop, reports) = watched_loop();
    let t0 = event_loop
        .run_until_complete(async {
            let t0 = ferrio::now();
            let _watchdog = Watchdog::builder(10 * SEC, IdleAction::Report)
                .watch_main(true)
                .start()
                .unwrap();
            ferrio::sleep(30 * SEC).await.unwrap();
            t0
        })
        .unwrap();
    assert_eq!(summary(&reports, t0), [(10, "main".to_string())]);
}

#[test]
fn stop_and_drop_end_the_watchdog() {
    let (event_loop, reports) = watched_loop();
    event_loop
        .run_until_complete(async {
            let stuck = spawn_named("stuck", ferrio::sleep(3600 * SEC));
            let watchdog = Watchdog::start(10 * SEC, IdleAction::Report);
            ferrio::sleep(6 * SEC).await.unwrap();
            watchdog.stop();
            assert!(!watchdog.is_running());
            ferrio::sleep(60 * SEC).await.unwrap();
            assert_eq!(watchdog.statistics().scans, 1);

            let dropped = Watchdog::start(10 * SEC, IdleAction::Cancel);
            drop(dropped);
            ferrio::sleep(60 * SEC).await.unwrap();
            assert!(!stuck.done());
            stuck.abort();
        })
        .unwrap();
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
}

#[test]
fn starting_outside_a_loop_is_an_error() {
    let err = Watchdog::builder(SEC, IdleAction::Report)
        .start()
        .unwrap_err();
    assert_eq!(err, SpawnError::NoRunningLoop);
}

#[test]
fn a_cancelled_task_that_stays_idle_is_not_cancelled_again() {
    // The cancellation never reaches a task stuck outside ferrio
    // awaitables; the watchdog acts once and leaves it be.
    let (event_loop, reports) = watched_loop();
    event_loop
        .run_until_complete(async {
            let deaf = spawn_named("deaf", std::future::pending::<()>());
            let watchdog = Watchdog::start(10 * SEC, IdleAction::Cancel);
            ferrio::sleep(60 * SEC).await.unwrap();
            assert_eq!(deaf.cancelling(), 1);
            assert_eq!(watchdog.statistics().cancelled, 1);
            deaf.abort();
        })
        .unwrap();
    assert_eq!(reports.borrow().len(), 1);
}
