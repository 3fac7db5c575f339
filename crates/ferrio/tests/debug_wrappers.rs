//! Debug mode tells the truth: "Task … was dropped without being awaited"
//! is for handles a user lost, never for handles ferrio's own wrappers owned
//! and dealt with — `shield`, `gather` after its first error, `wait_for` on
//! a task, a parent interrupted at shutdown, a loop closing. Each runs with
//! debug mode on and checks that nothing is reported, next to a control
//! case that is.

mod common;

use std::time::Duration;

use common::*;
use ferrio::combinators::gather;
use ferrio::event_loop::ExceptionKind;
use ferrio::{Cancelled, EventLoop, Runner};

const SEC: Duration = Duration::from_secs(1);

/// A debug-mode, virtual-clock loop recording its reports.
fn debug_loop() -> (EventLoop, Reports) {
    let (event_loop, reports) = loop_with_reports();
    event_loop.handle().set_debug(true);
    (event_loop, reports)
}

fn dropped_reports(reports: &Reports) -> Vec<String> {
    reports
        .borrow()
        .iter()
        .filter(|r| r.kind == ExceptionKind::TaskHandleDropped)
        .map(|r| r.message.clone())
        .collect()
}

async fn nap(d: Duration) -> Result<(), Cancelled> {
    ferrio::sleep(d).await
}

#[test]
fn a_handle_dropped_by_user_code_is_reported() {
    let (event_loop, reports) = debug_loop();
    event_loop
        .run_until_complete(async {
            drop(ferrio::spawn(nap(SEC)));
            ferrio::sleep(2 * SEC).await.unwrap();
        })
        .unwrap();
    assert_eq!(dropped_reports(&reports).len(), 1, "the control case");
}

#[test]
fn shield_owns_its_task() {
    let (event_loop, reports) = debug_loop();
    event_loop
        .run_until_complete(async {
            let caller = ferrio::spawn(async { ferrio::shield(nap(5 * SEC)).await });
            ferrio::sleep(SEC).await.unwrap();
            caller.cancel();
            assert!(caller.await.unwrap_err().is_cancelled());
            // A shield dropped before completion: the work goes on, on purpose.
            drop(ferrio::shield(nap(SEC)));
            ferrio::sleep(10 * SEC).await.unwrap();
        })
        .unwrap();
    assert_eq!(dropped_reports(&reports), Vec::<String>::new());
}

#[test]
fn gather_after_its_first_error_detaches_the_others() {
    let (event_loop, reports) = debug_loop();
    event_loop
        .run_until_complete(async {
            let failing = gather((0..4u64).map(|i| async move {
                ferrio::sleep(SEC * i as u32).await.unwrap();
                if i == 1 {
                    panic!("child 1 fails");
                }
                i
            }))
            .await;
            assert!(failing.unwrap_err().is_panic());
            ferrio::sleep(10 * SEC).await.unwrap();
        })
        .unwrap();
    assert_eq!(dropped_reports(&reports), Vec::<String>::new());
}

#[test]
fn wait_for_on_a_task_awaits_it_to_the_end() {
    let (event_loop, reports) = debug_loop();
    event_loop
        .run_until_complete(async {
            let slow = ferrio::spawn(nap(3600 * SEC));
            let timed_out = ferrio::wait_for(SEC, slow).await;
            assert!(timed_out.is_err());
            let quick = ferrio::spawn(nap(SEC));
            assert!(ferrio::wait_for(5 * SEC, quick)
                .await
                .unwrap()
                .unwrap()
                .is_ok());
        })
        .unwrap();
    assert_eq!(dropped_reports(&reports), Vec::<String>::new());
}

#[test]
fn a_parent_interrupted_at_shutdown_does_not_report_its_child() {
    let (event_loop, reports) = debug_loop();
    let runner = Runner::with_loop(event_loop);
    runner
        .run(async {
            ferrio::spawn(async {
                let child = ferrio::spawn(std::future::pending::<()>());
                // Parked on something shutdown cannot cancel: the parent is
                // aborted, dropping the child's handle.
                std::future::pending::<()>().await;
                child.await.unwrap();
            })
            .detach();
            ferrio::yield_now().await.unwrap();
        })
        .unwrap();
    runner.close().unwrap();
    assert_eq!(dropped_reports(&reports), Vec::<String>::new());
}

#[test]
fn a_closing_loop_does_not_report_the_handles_it_drops() {
    let (event_loop, reports) = debug_loop();
    event_loop
        .run_until_complete(async {
            ferrio::spawn(async {
                let child = ferrio::spawn(nap(3600 * SEC));
                child.await.unwrap().unwrap();
            })
            .detach();
            ferrio::yield_now().await.unwrap();
        })
        .unwrap();
    event_loop.close().unwrap();
    assert_eq!(dropped_reports(&reports), Vec::<String>::new());
}
