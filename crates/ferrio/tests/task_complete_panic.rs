//! "A panicking task fails alone", on every path by which a task finishes:
//! a destructor that panics while the loop completes a task (its output,
//! its future on abort or close, a done callback) is caught and reported,
//! the value is dropped exactly once, whoever awaits the task is woken, and
//! the loop runs on.

mod common;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use common::*;
use ferrio::event_loop::ExceptionKind;
use ferrio::{Cancelled, JoinError};

/// Counts its drops, then panics (unless already unwinding).
struct PanicOnDrop(Rc<Cell<u32>>);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
        if !std::thread::panicking() {
            panic!("PanicOnDrop dropped");
        }
    }
}

fn panic_on_drop() -> (Rc<Cell<u32>>, PanicOnDrop) {
    let count = Rc::new(Cell::new(0));
    (count.clone(), PanicOnDrop(count))
}

fn count_kind(reports: &Reports, kind: ExceptionKind) -> usize {
    reports.borrow().iter().filter(|r| r.kind == kind).count()
}

/// Lets the loop run a few iterations.
async fn settle() {
    for _ in 0..4 {
        ferrio::yield_now().await.unwrap();
    }
}

#[test]
fn a_detached_task_whose_output_panics_when_dropped_fails_alone() {
    let (event_loop, reports) = loop_with_reports();
    let (drops, value) = panic_on_drop();
    let bystander_ran = event_loop
        .run_until_complete(async move {
            ferrio::spawn(async move { value }).detach();
            let bystander = ferrio::spawn(async {
                settle().await;
                "ran"
            });
            settle().await;
            bystander.await.unwrap()
        })
        .unwrap();
    assert_eq!(bystander_ran, "ran");
    assert_eq!(drops.get(), 1);
    assert_eq!(count_kind(&reports, ExceptionKind::DropPanicked), 1);
    let report = &reports.borrow()[0];
    assert!(report.message.contains("PanicOnDrop dropped"), "{report}");
    assert!(report.task.is_some());
}

#[test]
fn the_awaiter_of_a_cancelled_task_whose_output_panics_when_dropped_is_woken() {
    let (event_loop, reports) = loop_with_reports();
    let (drops, value) = panic_on_drop();
    let outcome = event_loop
        .run_until_complete(async move {
            let victim = ferrio::spawn(async move {
                // The output carries the delivered `Cancelled`: the task ends
                // cancelled and the loop drops the output itself.
                let slept = ferrio::sleep(Duration::from_secs(3600)).await;
                (slept, value)
            });
            ferrio::yield_now().await.unwrap();
            victim.cancel();
            victim.await
        })
        .unwrap();
    assert!(matches!(outcome, Err(JoinError::Cancelled(_))));
    assert_eq!(drops.get(), 1);
    assert_eq!(count_kind(&reports, ExceptionKind::DropPanicked), 1);
}

#[test]
fn a_task_that_aborts_itself_and_returns_an_output_that_panics_when_dropped() {
    let (event_loop, reports) = loop_with_reports();
    let (drops, value) = panic_on_drop();
    let outcome = event_loop
        .run_until_complete(async move {
            let task = ferrio::spawn(async move {
                ferrio::task::current().unwrap().abort();
                value
            });
            task.await.map(drop)
        })
        .unwrap();
    assert!(matches!(outcome, Err(JoinError::Cancelled(_))));
    assert_eq!(drops.get(), 1);
    assert_eq!(count_kind(&reports, ExceptionKind::DropPanicked), 1);
}

#[test]
fn an_output_dropped_by_its_handle_panics_alone() {
    let (event_loop, reports) = loop_with_reports();
    let (drops, value) = panic_on_drop();
    let d = drops.clone();
    event_loop
        .run_until_complete(async move {
            let task = ferrio::spawn(async move { value });
            settle().await;
            assert!(task.done());
            drop(task);
            assert_eq!(d.get(), 1);
            settle().await;
        })
        .unwrap();
    assert_eq!(drops.get(), 1);
    assert_eq!(count_kind(&reports, ExceptionKind::DropPanicked), 1);
}

#[test]
fn an_output_dropped_by_detach_panics_alone() {
    let (event_loop, reports) = loop_with_reports();
    let (drops, value) = panic_on_drop();
    event_loop
        .run_until_complete(async move {
            let task = ferrio::spawn(async move { value });
            settle().await;
            task.detach();
            settle().await;
        })
        .unwrap();
    assert_eq!(drops.get(), 1);
    assert_eq!(count_kind(&reports, ExceptionKind::DropPanicked), 1);
}

#[test]
fn an_output_dropped_by_the_loop_closing_panics_alone() {
    let (event_loop, reports) = loop_with_reports();
    let (drops, value) = panic_on_drop();
    event_loop
        .run_until_complete(async move {
            let finished = ferrio::spawn(async move { value });
            settle().await;
            assert!(finished.done());
            // A pending task holds the finished one's handle: closing the
            // loop drops its future, hence the handle, hence the output.
            ferrio::spawn(async move {
                let _keep = finished;
                std::future::pending::<()>().await
            })
            .detach();
            settle().await;
        })
        .unwrap();
    assert_eq!(drops.get(), 0);
    event_loop.close().unwrap();
    assert_eq!(drops.get(), 1);
    assert_eq!(count_kind(&reports, ExceptionKind::DropPanicked), 1);
}

#[test]
fn a_future_whose_destructor_panics_on_abort_fails_alone() {
    let (event_loop, _reports) = loop_with_reports();
    let (drops, value) = panic_on_drop();
    let (outcome, after) = event_loop
        .run_until_complete(async move {
            let task = ferrio::spawn(async move {
                let _held = value;
                std::future::pending::<()>().await
            });
            ferrio::yield_now().await.unwrap();
            task.abort();
            let outcome = task.await;
            let after = ferrio::spawn(async { 5 }).await.unwrap();
            (outcome, after)
        })
        .unwrap();
    assert!(
        matches!(outcome, Err(JoinError::Panicked(_))),
        "{outcome:?}"
    );
    assert_eq!(after, 5);
    assert_eq!(drops.get(), 1);
}

#[test]
fn a_future_whose_destructor_panics_when_the_loop_closes_fails_alone() {
    let (event_loop, _reports) = loop_with_reports();
    let (drops, value) = panic_on_drop();
    event_loop
        .run_until_complete(async move {
            ferrio::spawn(async move {
                let _held = value;
                std::future::pending::<()>().await
            })
            .detach();
            ferrio::yield_now().await.unwrap();
        })
        .unwrap();
    event_loop.close().unwrap();
    assert_eq!(drops.get(), 1);
}

#[test]
fn a_done_callback_that_panics_fails_alone() {
    let (event_loop, reports) = loop_with_reports();
    let ran = Rc::new(Cell::new(0));
    let r = ran.clone();
    let value = event_loop
        .run_until_complete(async move {
            let task = ferrio::spawn(async { 3 });
            task.add_done_callback(|_| panic!("done callback"));
            let r2 = r.clone();
            task.add_done_callback(move |_| r2.set(r2.get() + 1));
            let value = task.await.unwrap();
            settle().await;
            value
        })
        .unwrap();
    assert_eq!(value, 3);
    assert_eq!(ran.get(), 1);
    assert_eq!(count_kind(&reports, ExceptionKind::CallbackPanicked), 1);
}

#[test]
fn a_done_callback_whose_destructor_panics_when_the_loop_closes() {
    let (event_loop, reports) = loop_with_reports();
    let (drops, value) = panic_on_drop();
    event_loop
        .run_until_complete(async move {
            let pending = ferrio::spawn(std::future::pending::<()>());
            pending.add_done_callback(move |_| drop(value));
            pending.detach();
            ferrio::yield_now().await.unwrap();
        })
        .unwrap();
    event_loop.close().unwrap();
    assert_eq!(drops.get(), 1);
    assert_eq!(count_kind(&reports, ExceptionKind::DropPanicked), 1);
}

struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("a foreign waker panicked");
    }
}

#[test]
fn a_joiner_whose_waker_panics_does_not_take_the_loop_down() {
    let (event_loop, reports) = loop_with_reports();
    let value = event_loop
        .run_until_complete(async {
            let mut worker = ferrio::spawn(async {
                ferrio::yield_now().await?;
                Ok::<_, Cancelled>(9)
            });
            // Poll the task once with a waker of another executor, whose
            // `wake` panics when the task completes.
            let waker = Waker::from(Arc::new(PanickingWaker));
            let polled = Pin::new(&mut worker).poll(&mut Context::from_waker(&waker));
            assert!(polled.is_pending());
            // Its done callbacks still run.
            let ran = Rc::new(Cell::new(false));
            let r = ran.clone();
            worker.add_done_callback(move |_| r.set(true));
            while !ran.get() {
                ferrio::yield_now().await.unwrap();
            }
            assert!(worker.done());
            worker.await.unwrap().unwrap()
        })
        .unwrap();
    assert_eq!(value, 9);
    assert_eq!(count_kind(&reports, ExceptionKind::StepPanicked), 1);
    assert!(reports.borrow()[0]
        .message
        .contains("a foreign waker panicked"));
}
