//! Conformance with CPython 3.13's `Lib/test/test_asyncio/test_runners.py`
//! for shutdown: `run` cancels the tasks left running and waits for their
//! cleanup; a failure raised by a leftover task while it is cancelled
//! reaches the exception handler with a message saying it happened during
//! shutdown. Each test names the CPython test it mirrors; all run on the
//! virtual clock.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::event_loop::ExceptionKind;
use ferrio::{Runner, TaskRef};

/// test_runners `test_asyncio_run_cancels_hanging_tasks`.
#[test]
fn test_asyncio_run_cancels_hanging_tasks() {
    let (event_loop, _reports) = loop_with_reports();
    let runner = Runner::with_loop(event_loop);
    let leftover: Rc<Cell<Option<TaskRef>>> = Rc::default();
    let l = leftover.clone();
    let value = runner
        .run(async move {
            let task = ferrio::spawn(ferrio::sleep(Duration::from_millis(100)));
            l.set(Some((*task).clone()));
            task.detach();
            123
        })
        .unwrap();
    assert_eq!(value, 123);
    runner.close().unwrap();
    let task = leftover.take().unwrap();
    assert!(task.done() && task.cancelled());
}

/// test_runners `test_asyncio_run_reports_hanging_tasks_errors`: the
/// leftover's failure during its cancellation is reported, naming the task
/// and shutdown.
#[test]
fn test_asyncio_run_reports_hanging_tasks_errors() {
    let (event_loop, reports) = loop_with_reports();
    let runner = Runner::with_loop(event_loop);
    runner
        .run(async {
            ferrio::task::Builder::new()
                .name("leftover")
                .spawn(async {
                    if ferrio::sleep(Duration::from_millis(100)).await.is_err() {
                        panic!("ZeroDivisionError");
                    }
                })
                .unwrap()
                .detach();
            // Let it start, as it has in CPython's test by the time the
            // loop stops (a task cancelled before it starts never runs).
            ferrio::yield_now().await.unwrap();
            123
        })
        .unwrap();
    runner.close().unwrap();
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].kind, ExceptionKind::ShutdownFailure);
    assert_eq!(&*reports[0].task.as_ref().unwrap().name, "leftover");
    assert!(reports[0].message.contains("ferrio::run() shutdown"));
    assert!(reports[0].message.contains("ZeroDivisionError"));
}
