//! Conformance with CPython 3.13's `Lib/test/test_asyncio/test_timeouts.py`
//! (`asyncio.timeout`, `timeout_at`): zero and past deadlines, a foreign
//! cancellation passing through, the outer task not cancelled, the error
//! chain (`TimeoutError::source()`), a failing task group winning over the
//! timeout, and ferrio's rule for code that never reaches a ferrio
//! awaitable (dropped at the deadline, as tokio does). Each test names the
//! CPython test it mirrors; all run on the virtual clock.

mod common;

use std::cell::Cell;
use std::error::Error as _;
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::event_loop::ExceptionKind;
use ferrio::task_group::{TaskGroup, TaskGroupError};
use ferrio::Cancelled;

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);

/// test_timeouts `test_timeout_zero` and `test_timeout_zero_sleep_zero`:
/// a zero timeout cancels even `sleep(0)`, which always suspends.
#[test]
fn test_timeout_zero_sleep_zero() {
    run_virtual(async {
        let t0 = ferrio::now();
        let out = ferrio::time::timeout_scope(Some(Duration::ZERO), |cm| async move {
            let r = ferrio::sleep(Duration::ZERO).await;
            (r, cm)
        })
        .await;
        assert!(out.is_err(), "TimeoutError");
        assert_eq!(since(t0), Duration::ZERO);
        let out = ferrio::timeout(Duration::ZERO, ferrio::sleep(10 * SEC)).await;
        assert!(out.is_err());
    });
}

/// test_timeouts `test_timeout_in_the_past_sleep_zero`: a deadline in the
/// past behaves as zero.
#[test]
fn test_timeout_in_the_past_sleep_zero() {
    run_virtual(async {
        let past = ferrio::now();
        ferrio::sleep(11 * SEC).await.unwrap();
        let out = ferrio::timeout_at(Some(past), ferrio::sleep(Duration::ZERO)).await;
        assert!(out.is_err());
    });
}

/// test_timeouts `test_foreign_exception_passed`: an error that is not the
/// timeout's passes through and the timeout is not expired.
#[test]
fn test_foreign_exception_passed() {
    run_virtual(async {
        let t = ferrio::timeout(10 * MS, async { Err::<(), _>("KeyError") });
        let handle = t.handle();
        assert_eq!(t.await.unwrap(), Err("KeyError"));
        assert!(!handle.expired());
    });
}

/// test_timeouts `test_timeout_exception_context`: the `TimeoutError`'s
/// source is the `Cancelled` the timeout delivered.
#[test]
fn test_timeout_exception_context() {
    run_virtual(async {
        let err = ferrio::timeout(10 * MS, async {
            ferrio::sleep(SEC).await?;
            Ok::<_, Cancelled>(())
        })
        .await
        .unwrap_err();
        let cancelled = err.source().unwrap().downcast_ref::<Cancelled>().unwrap();
        assert_eq!(cancelled.message(), Some("timeout"));
    });
}

/// test_timeouts `test_foreign_exception_on_timeout`: an error raised in
/// the cleanup after the deadline wins over `TimeoutError`.
#[test]
fn test_foreign_exception_on_timeout() {
    run_virtual(async {
        let crash = async {
            ferrio::sleep(SEC).await.unwrap_err();
            Err::<(), _>("ZeroDivisionError")
        };
        let out = ferrio::timeout(10 * MS, crash).await;
        assert_eq!(out.unwrap(), Err("ZeroDivisionError"));
    });
}

/// test_timeouts `test_foreign_cancel_doesnt_timeout_if_not_expired`: the
/// task's own cancellation passes through a timeout that did not expire.
#[test]
fn test_foreign_cancel_doesnt_timeout_if_not_expired() {
    run_virtual(async {
        let task = ferrio::spawn(async {
            let t = ferrio::timeout(10 * SEC, async {
                ferrio::task::current().unwrap().cancel();
                ferrio::sleep(10 * SEC).await
            });
            let handle = t.handle();
            let out = t.await.expect("not a TimeoutError");
            assert!(!handle.expired());
            out
        });
        assert!(task.await.unwrap_err().is_cancelled());
    });
}

/// test_timeouts `test_outer_task_is_not_cancelled`: a timeout firing
/// inside a task does not leave that task cancelled.
#[test]
fn test_outer_task_is_not_cancelled() {
    run_virtual(async {
        let task = ferrio::spawn(async {
            assert!(ferrio::timeout(MS, ferrio::sleep(10 * SEC)).await.is_err());
        });
        let task_ref = (*task).clone();
        task.await.unwrap();
        assert!(task_ref.done() && !task_ref.cancelled());
        assert_eq!(
            task_ref.cancelling(),
            0,
            "a timeout does not count a request"
        );
    });
}

/// test_timeouts `test_nested_timeout_in_finally`: a timeout inside the
/// cleanup of an expired one times out on its own.
#[test]
fn test_nested_timeout_in_finally() {
    run_virtual(async {
        let outer = ferrio::timeout(10 * MS, async {
            let r = ferrio::sleep(SEC).await;
            let inner = ferrio::timeout(10 * MS, ferrio::sleep(10 * SEC)).await;
            assert!(inner.is_err(), "the inner timeout expired too");
            r
        })
        .await;
        assert!(outer.is_err());
    });
}

/// test_timeouts `test_timeout_after_cancellation`: after swallowing the
/// task's cancellation, a timeout in the cleanup still works.
#[test]
fn test_timeout_after_cancellation() {
    run_virtual(async {
        let me = ferrio::task::current().unwrap();
        me.cancel();
        assert!(ferrio::sleep(SEC).await.is_err());
        assert!(ferrio::timeout(Duration::ZERO, ferrio::sleep(SEC))
            .await
            .is_err());
        me.uncancel();
    });
}

/// test_timeouts `test_cancel_in_timeout_after_cancellation`: a task
/// cancellation inside a timeout in the cleanup passes through it.
#[test]
fn test_cancel_in_timeout_after_cancellation() {
    run_virtual(async {
        let me = ferrio::task::current().unwrap();
        me.cancel();
        assert!(ferrio::sleep(SEC).await.is_err());
        let out = ferrio::timeout(SEC, async {
            ferrio::task::current().unwrap().cancel();
            ferrio::sleep(2 * SEC).await
        })
        .await;
        assert!(out.expect("not a TimeoutError").is_err(), "Cancelled");
        assert_eq!(me.cancelling(), 2);
    });
}

#[derive(Debug)]
enum GroupError {
    ZeroDivision,
    Cancelled(#[allow(dead_code)] Cancelled),
}

impl From<Cancelled> for GroupError {
    fn from(c: Cancelled) -> Self {
        GroupError::Cancelled(c)
    }
}

/// test_timeouts `test_timeout_taskgroup`: a child failing in its cleanup
/// after the deadline makes the group's error win over `TimeoutError`.
#[test]
fn test_timeout_taskgroup() {
    run_virtual(async {
        let out = ferrio::timeout(
            10 * MS,
            TaskGroup::run(|group| async move {
                group
                    .spawn(async {
                        ferrio::sleep(2 * SEC).await.unwrap_err();
                        Err::<(), _>(GroupError::ZeroDivision) // crash in cleanup
                    })
                    .unwrap();
                ferrio::sleep(SEC).await?;
                Ok::<_, GroupError>(())
            }),
        )
        .await;
        match out {
            Ok(Err(TaskGroupError::Failed(group))) => {
                let failures = group.failures();
                assert_eq!(failures.len(), 1);
                assert!(matches!(
                    failures[0].error,
                    ferrio::task_group::FailureKind::Error(GroupError::ZeroDivision)
                ));
            }
            other => panic!("expected the group's error, got {other:?}"),
        }
    });
}

/// ferrio's rule, after tokio's: code that never reaches a ferrio
/// awaitable cannot be cancelled, so at the deadline a timeout drops it and
/// returns `TimeoutError`; debug mode reports it with the task and where the
/// timeout was created. (asyncio has no such code: every await there is an
/// asyncio future.)
#[test]
fn a_timeout_on_a_foreign_future_drops_it_at_the_deadline() {
    let (event_loop, reports) = loop_with_reports();
    event_loop.handle().set_debug(true);
    event_loop
        .run_until_complete(async {
            let t0 = ferrio::now();
            struct Dropped(Rc<Cell<bool>>);
            impl Drop for Dropped {
                fn drop(&mut self) {
                    self.0.set(true);
                }
            }
            let dropped = Rc::new(Cell::new(false));
            let guard = Dropped(dropped.clone());
            let foreign = async move {
                let _guard = guard;
                std::future::pending::<()>().await
            };
            assert!(ferrio::timeout(100 * MS, foreign).await.is_err());
            assert!(dropped.get(), "the future was dropped");
            assert_eq!(since(t0), 100 * MS);
            // Nested, and in a task group child, the same.
            let nested =
                ferrio::timeout(SEC, ferrio::timeout(100 * MS, std::future::pending::<()>())).await;
            assert!(nested.unwrap().is_err(), "the inner timeout fired");
            let group = TaskGroup::run(|group| async move {
                group
                    .spawn(async {
                        ferrio::timeout(100 * MS, std::future::pending::<()>())
                            .await
                            .map_err(|_| "timed out")
                    })
                    .unwrap();
                Ok::<_, &str>(())
            })
            .await;
            assert!(group.is_err(), "the child's TimeoutError failed the group");
        })
        .unwrap();
    let reports = reports.borrow();
    let undeliverable: Vec<_> = reports
        .iter()
        .filter(|r| r.kind == ExceptionKind::UndeliverableCancellation)
        .collect();
    assert_eq!(undeliverable.len(), 3);
    assert!(
        undeliverable[0].message.contains("asyncio_timeouts.rs"),
        "names where the timeout was created: {}",
        undeliverable[0].message
    );
    assert_eq!(&*undeliverable[0].task.as_ref().unwrap().name, "main");
}

/// A task group aborting a child parked on a foreign future aborts it
/// rather than waiting forever.
#[test]
fn a_task_group_aborts_a_child_parked_on_a_foreign_future() {
    run_virtual(async {
        let out = TaskGroup::run(|group| async move {
            group
                .spawn(std::future::pending::<Result<(), &str>>())
                .unwrap();
            group
                .spawn(async {
                    ferrio::sleep(SEC).await.unwrap();
                    Err::<(), _>("fails")
                })
                .unwrap();
            Ok::<_, &str>(())
        })
        .await;
        assert!(matches!(out, Err(TaskGroupError::Failed(_))));
    });
}
