//! `ferrio::run` and `Runner`: running futures on a loop and shutting it
//! down gracefully (leftover tasks are cancelled and their cleanup awaited).

mod common;

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::*;
use ferrio::{task, Cancelled, EventLoop, RunError, Runner};

const SEC: Duration = Duration::from_secs(1);

fn virtual_runner() -> Runner {
    Runner::with_loop(virtual_loop())
}

#[test]
#[allow(clippy::async_yields_async)] // returns a Task on purpose, to use it after the run
fn a_runner_runs_several_futures_on_one_loop() {
    let runner = virtual_runner();
    let t0 = runner.handle().time();
    let worker = runner
        .run(async {
            ferrio::spawn(async {
                ferrio::sleep(10 * SEC).await.unwrap();
                "from the first run"
            })
        })
        .unwrap();
    let loop_id = runner.run(async { EventLoop::current().id() }).unwrap();
    assert_eq!(loop_id, runner.handle().id());
    // The task spawned during the first run is awaited in the third.
    let (value, at) = runner
        .run(async { (worker.await.unwrap(), ferrio::now()) })
        .unwrap();
    assert_eq!(value, "from the first run");
    assert_eq!(at - t0, 10 * SEC);
    runner.close().unwrap();
}

#[test]
fn close_cancels_leftover_tasks_and_waits_for_their_async_cleanup() {
    let runner = virtual_runner();
    let log = new_log::<(&str, Duration)>();
    let started_late = Rc::new(Cell::new(false));
    let l = log.clone();
    let s = started_late.clone();
    let t0: Instant = runner
        .run(async move {
            let t0 = ferrio::now();
            let l1 = l.clone();
            ferrio::spawn(async move {
                let Err(c) = ferrio::sleep(3600 * SEC).await else {
                    unreachable!()
                };
                // Async cleanup: the loop keeps running for it.
                ferrio::sleep(5 * SEC).await.unwrap();
                push(&l1, ("cleaned up", since(t0)));
                Err::<(), Cancelled>(c)
            })
            .detach();
            let l2 = l.clone();
            ferrio::spawn(async move {
                // Swallows the cancellation and finishes its work.
                let _ = ferrio::sleep(3600 * SEC).await;
                ferrio::sleep(7 * SEC).await.unwrap();
                push(&l2, ("finished anyway", since(t0)));
            })
            .detach();
            ferrio::sleep(2 * SEC).await.unwrap();
            // Spawned as the main task ends, so never started: close()
            // cancels it before its first step.
            ferrio::spawn(async move { s.set(true) }).detach();
            t0
        })
        .unwrap();
    assert!(log.borrow().is_empty());
    let handle = runner.handle();
    runner.close().unwrap();
    assert!(handle.is_closed());
    assert_eq!(
        snapshot(&log),
        [("cleaned up", 7 * SEC), ("finished anyway", 9 * SEC)]
    );
    assert!(!started_late.get());
    assert_eq!(handle.time() - t0, 9 * SEC);
}

#[test]
fn dropping_a_runner_shuts_down_gracefully_too() {
    let cleaned = Rc::new(Cell::new(false));
    let c = cleaned.clone();
    {
        let runner = virtual_runner();
        runner
            .run(async move {
                ferrio::spawn(async move {
                    if ferrio::sleep(3600 * SEC).await.is_err() {
                        ferrio::sleep(SEC).await.unwrap();
                        c.set(true);
                    }
                })
                .detach();
                ferrio::yield_now().await.unwrap();
            })
            .unwrap();
    }
    assert!(cleaned.get());
}

#[test]
fn ferrio_run_cancels_leftover_tasks_and_waits_for_their_cleanup() {
    let (value, cleanup_steps) = on_thread_with_watchdog(|| {
        let steps = Rc::new(Cell::new(0));
        let s = steps.clone();
        let value = ferrio::run(async move {
            ferrio::spawn(async move {
                // Real clock: this never finishes by itself within the test.
                if let Err(c) = ferrio::sleep(3600 * SEC).await {
                    for _ in 0..3 {
                        ferrio::yield_now().await.unwrap();
                        s.set(s.get() + 1);
                    }
                    return Err(c);
                }
                Ok(())
            })
            .detach();
            ferrio::yield_now().await.unwrap();
            "main result"
        })
        .unwrap();
        (value, steps.get())
    });
    assert_eq!(value, "main result");
    assert_eq!(cleanup_steps, 3, "the async cleanup ran to its end");
}

#[test]
fn a_main_task_that_returns_cancelled_gives_run_error_cancelled() {
    let event_loop = virtual_loop();
    let err = event_loop
        .run_until_complete(async {
            task::current().unwrap().cancel_with("main gives up");
            ferrio::sleep(SEC).await?;
            Ok::<(), Cancelled>(())
        })
        .unwrap_err();
    let RunError::Cancelled(c) = err else {
        panic!("expected RunError::Cancelled, got {err:?}")
    };
    assert_eq!(c.message(), Some("main gives up"));

    // Cancelled by another task.
    let err = event_loop
        .run_until_complete(async {
            let main = task::current().unwrap();
            ferrio::spawn(async move {
                ferrio::sleep(SEC).await.unwrap();
                main.cancel();
            })
            .detach();
            ferrio::sleep(3600 * SEC).await
        })
        .unwrap_err();
    assert!(matches!(err, RunError::Cancelled(_)), "{err:?}");
    assert!(err.to_string().contains("cancelled"), "{err}");

    // Through ferrio::run as well.
    let err = on_thread_with_watchdog(|| {
        let err = ferrio::run(async {
            task::current().unwrap().cancel();
            ferrio::yield_now().await
        })
        .unwrap_err();
        matches!(err, RunError::Cancelled(_))
    });
    assert!(err);
}

#[test]
fn a_main_task_that_swallows_its_cancellation_returns_normally() {
    let value = run_virtual(async {
        task::current().unwrap().cancel();
        let swallowed = ferrio::sleep(SEC).await.is_err();
        ferrio::sleep(SEC).await.unwrap();
        swallowed
    });
    assert!(value);
}

#[test]
fn a_panic_in_the_main_future_propagates_out_of_run_until_complete() {
    let (event_loop, reports) = loop_with_reports();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        event_loop.run_until_complete(async {
            ferrio::sleep(SEC).await.unwrap();
            if std::hint::black_box(true) {
                panic!("main boom");
            }
        })
    }));
    let payload = caught.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"main boom"));
    assert!(
        reports.borrow().is_empty(),
        "not a lost failure: it was re-raised"
    );
    // The loop is not left running: it works again.
    assert!(!event_loop.handle().is_running());
    assert_eq!(event_loop.run_until_complete(async { 5 }).unwrap(), 5);
}

#[test]
fn a_panic_in_the_main_future_propagates_out_of_ferrio_run() {
    let caught = on_thread_with_watchdog(|| {
        catch_unwind(|| ferrio::run(async { panic!("run boom") }))
            .unwrap_err()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
    });
    assert_eq!(caught.as_deref(), Some("run boom"));
}

#[test]
fn ferrio_run_returns_the_output_and_closes_its_loop() {
    let (value, handle_closed) = on_thread_with_watchdog(|| {
        let mut handle = None;
        let value = ferrio::run(async {
            handle = Some(EventLoop::current());
            let t = ferrio::spawn(async { 40 });
            t.await.unwrap() + 2
        })
        .unwrap();
        (value, handle.unwrap().is_closed())
    });
    assert_eq!(value, 42);
    assert!(handle_closed);
}

#[test]
fn close_with_no_tasks_left_is_immediate() {
    let runner = virtual_runner();
    let t0 = runner.handle().time();
    runner
        .run(async { ferrio::sleep(SEC).await.unwrap() })
        .unwrap();
    let handle = runner.handle();
    runner.close().unwrap();
    assert!(handle.is_closed());
    assert_eq!(handle.time() - t0, SEC);
}

#[test]
fn a_runner_dropped_while_unwinding_only_closes_its_loop() {
    let cleaned = Rc::new(Cell::new(false));
    let (drops, guard) = drop_counter();
    let c = cleaned.clone();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let runner = virtual_runner();
        let _ = runner.run(async move {
            ferrio::spawn(async move {
                let _guard = guard;
                if ferrio::sleep(3600 * SEC).await.is_err() {
                    c.set(true);
                }
            })
            .detach();
            ferrio::yield_now().await.unwrap();
            panic!("main boom");
        });
    }));
    assert!(caught.is_err());
    // Documented: while unwinding, the leftover task is dropped with the
    // loop, without running its cleanup (which could wait forever).
    assert_eq!(drops.get(), 1);
    assert!(!cleaned.get());
}

#[test]
fn close_waits_only_for_the_tasks_alive_when_it_starts() {
    // As asyncio's Runner.close(): the leftover tasks are cancelled and
    // awaited; a task their cleanup spawns is dropped with the loop.
    let runner = virtual_runner();
    let (drops, guard) = drop_counter();
    let late_ran = Rc::new(Cell::new(false));
    let l = late_ran.clone();
    runner
        .run(async move {
            ferrio::spawn(async move {
                let Err(c) = ferrio::sleep(3600 * SEC).await else {
                    unreachable!()
                };
                ferrio::spawn(async move {
                    let _guard = guard;
                    ferrio::sleep(3600 * SEC).await.unwrap();
                    l.set(true);
                })
                .detach();
                Err::<(), Cancelled>(c)
            })
            .detach();
        })
        .unwrap();
    let handle = runner.handle();
    let t0 = handle.time();
    runner.close().unwrap();
    assert!(!late_ran.get());
    assert_eq!(drops.get(), 1, "the late task was dropped with the loop");
    assert_eq!(handle.time() - t0, Duration::ZERO);
}
