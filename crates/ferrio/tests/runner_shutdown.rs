//! Bounded shutdown: `Runner::close` (and `ferrio::run`) cancel the tasks
//! left running and wait for their cleanup, but cancellation always ends —
//! a task parked on a foreign future is aborted at once, one that swallows
//! the cancellation is reported after a second and aborted at the end of
//! the grace period, and a failure during shutdown reaches the exception
//! handler even if its handle is held. All on the virtual clock.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::event_loop::ExceptionKind;
use ferrio::{Cancelled, Runner, DEFAULT_SHUTDOWN_GRACE};

const SEC: Duration = Duration::from_secs(1);

/// A runner on a virtual-clock loop recording its reports, with `grace`.
fn runner(grace: Option<Duration>) -> (Runner, Reports) {
    let (event_loop, reports) = loop_with_reports();
    let runner = Runner::builder()
        .event_loop(event_loop)
        .shutdown_grace(grace)
        .build()
        .unwrap();
    (runner, reports)
}

fn kinds(reports: &Reports) -> Vec<ExceptionKind> {
    reports.borrow().iter().map(|r| r.kind).collect()
}

/// A task that swallows every cancellation it gets (`let _ =` is all it
/// takes in Rust) and counts them.
async fn swallower(seen: Rc<Cell<u32>>) {
    loop {
        if ferrio::sleep(SEC).await.is_err() {
            seen.set(seen.get() + 1);
        }
    }
}

#[test]
fn a_task_swallowing_the_cancellation_is_reported_then_aborted_after_the_grace_period() {
    let (runner, reports) = runner(Some(DEFAULT_SHUTDOWN_GRACE));
    let seen = Rc::new(Cell::new(0));
    let (s, dropped) = (seen.clone(), Rc::new(Cell::new(false)));
    let d = dropped.clone();
    let start = runner
        .run(async move {
            ferrio::task::Builder::new()
                .name("stubborn")
                .spawn(async move {
                    let _on_drop = OnDrop(d);
                    swallower(s).await
                })
                .unwrap()
                .detach();
            ferrio::yield_now().await.unwrap();
            ferrio::now()
        })
        .unwrap();
    let handle = runner.handle();
    runner.close().unwrap();
    assert_eq!(
        handle.time() - start,
        DEFAULT_SHUTDOWN_GRACE,
        "waited the grace period"
    );
    assert_eq!(
        seen.get(),
        1,
        "the shutdown cancellation was delivered once"
    );
    assert!(dropped.get(), "the task was aborted: its future dropped");
    assert_eq!(
        kinds(&reports),
        [
            ExceptionKind::ShutdownWaiting,
            ExceptionKind::ShutdownAborted
        ]
    );
    let reports = reports.borrow();
    assert!(
        reports[0].message.contains("'stubborn'") && reports[0].message.contains("swallowed"),
        "{}",
        reports[0].message
    );
    let aborted = reports[1].task.as_ref().expect("names the task");
    assert_eq!(&*aborted.name, "stubborn");
    assert!(aborted.location.file().ends_with("runner_shutdown.rs"));
}

struct OnDrop(Rc<Cell<bool>>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn the_grace_period_is_configurable_and_measured_on_the_loop_clock() {
    let (runner, reports) = runner(Some(3 * SEC));
    let seen = Rc::new(Cell::new(0));
    let s = seen.clone();
    let start = runner
        .run(async move {
            ferrio::spawn(swallower(s)).detach();
            ferrio::yield_now().await.unwrap();
            ferrio::now()
        })
        .unwrap();
    let clock = runner.handle();
    runner.close().unwrap();
    assert_eq!(clock.time() - start, 3 * SEC);
    assert_eq!(
        kinds(&reports),
        [
            ExceptionKind::ShutdownWaiting,
            ExceptionKind::ShutdownAborted
        ]
    );
    assert!(
        reports.borrow()[1].message.contains("3s"),
        "{}",
        reports.borrow()[1].message
    );
}

#[test]
fn without_a_grace_period_shutdown_waits_for_a_slow_cleanup_to_finish() {
    let (runner, reports) = runner(None);
    let cleaned = Rc::new(Cell::new(false));
    let c = cleaned.clone();
    let start = runner
        .run(async move {
            ferrio::spawn(async move {
                if let Err(cancelled) = ferrio::sleep(3600 * SEC).await {
                    // A cleanup of a minute: longer than the default grace,
                    // but with none shutdown waits, as asyncio does.
                    ferrio::sleep(60 * SEC).await.unwrap();
                    c.set(true);
                    return Err(cancelled);
                }
                Ok::<_, Cancelled>(())
            })
            .detach();
            ferrio::yield_now().await.unwrap();
            ferrio::now()
        })
        .unwrap();
    let clock = runner.handle();
    runner.close().unwrap();
    assert!(cleaned.get(), "the cleanup ran to its end");
    assert_eq!(clock.time() - start, 60 * SEC);
    // Reported as waiting, never aborted.
    assert_eq!(kinds(&reports), [ExceptionKind::ShutdownWaiting]);
}

#[test]
fn a_task_parked_on_a_foreign_future_is_aborted_at_once() {
    let (runner, reports) = runner(Some(DEFAULT_SHUTDOWN_GRACE));
    runner.handle().set_debug(true);
    let dropped = Rc::new(Cell::new(false));
    let flag = dropped.clone();
    runner
        .run(async move {
            ferrio::task::Builder::new()
                .name("parked")
                .spawn(async move {
                    let _on_drop = OnDrop(flag);
                    std::future::pending::<()>().await
                })
                .unwrap()
                .detach();
            ferrio::yield_now().await.unwrap();
        })
        .unwrap();
    runner.close().unwrap();
    assert!(dropped.get());
    // No waiting: the undeliverable cancellation aborted it at its first
    // poll, and debug mode said so.
    assert_eq!(kinds(&reports), [ExceptionKind::UndeliverableCancellation]);
    assert!(reports.borrow()[0].message.contains("'parked'"));
}

#[test]
fn a_panic_during_shutdown_is_reported_even_with_a_handle_held() {
    let (runner, reports) = runner(Some(DEFAULT_SHUTDOWN_GRACE));
    let held = runner
        .run(async {
            let task = ferrio::task::Builder::new()
                .name("failing-cleanup")
                .spawn(async {
                    if ferrio::sleep(3600 * SEC).await.is_err() {
                        panic!("cleanup failed");
                    }
                })
                .unwrap();
            ferrio::yield_now().await.unwrap();
            // Kept out of the loop, unawaited, until after shutdown.
            vec![task]
        })
        .unwrap();
    runner.close().unwrap();
    assert_eq!(kinds(&reports), [ExceptionKind::ShutdownFailure]);
    let message = &reports.borrow()[0].message;
    assert!(
        message.contains("'failing-cleanup'")
            && message.contains("shutdown")
            && message.contains("cleanup failed"),
        "{message}"
    );
    // Reported once: dropping the handle later adds nothing.
    drop(held);
    assert_eq!(reports.borrow().len(), 1);
}
