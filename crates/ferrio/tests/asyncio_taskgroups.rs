//! Conformance with CPython 3.13's `Lib/test/test_asyncio/test_taskgroups.py`:
//! a child's failure cancels the siblings and the body; cancelling the
//! host cancels the children and waits; a group hosted in an awaited task
//! reports its errors through that task, also when the cancellation came
//! down the await chain; an outside cancellation arriving while the group
//! aborts is not lost; the host's `cancelling()` level is preserved. Each
//! test names the CPython test it mirrors; all run on the virtual clock.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::sync::Event;
use ferrio::task_group::{TaskGroup, TaskGroupError};
use ferrio::{Cancelled, JoinError};

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);

#[derive(Debug)]
enum E {
    ZeroDivision,
    Runtime,
    Value,
    Cancelled(#[allow(dead_code)] Cancelled),
    Spawn(#[allow(dead_code)] ferrio::task_group::GroupSpawnError),
}

impl From<Cancelled> for E {
    fn from(c: Cancelled) -> E {
        E::Cancelled(c)
    }
}

impl From<ferrio::task_group::GroupSpawnError> for E {
    fn from(e: ferrio::task_group::GroupSpawnError) -> E {
        E::Spawn(e)
    }
}

fn error_kinds(err: &TaskGroupError<E>) -> Vec<String> {
    match err {
        TaskGroupError::Failed(group) => group
            .failures()
            .iter()
            .map(|f| match &f.error {
                ferrio::task_group::FailureKind::Error(e) => format!("{e:?}"),
                other => format!("{other:?}"),
            })
            .collect(),
        other => vec![format!("{other:?}")],
    }
}

/// test_taskgroups `test_cancel_children_on_child_error`.
#[test]
fn test_cancel_children_on_child_error() {
    run_virtual(async {
        let t2_cancel = Rc::new(Cell::new(false));
        let body_cancel = Rc::new(Cell::new(false));
        let (t2, b) = (t2_cancel.clone(), body_cancel.clone());
        let runner = ferrio::spawn(async move {
            TaskGroup::run(|group| async move {
                for _ in 0..3 {
                    group.spawn(async {
                        ferrio::sleep(100 * MS).await?;
                        Err::<(), _>(E::ZeroDivision)
                    })?;
                }
                group.spawn(async move {
                    if let Err(c) = ferrio::sleep(5 * SEC).await {
                        t2.set(true);
                        return Err(E::from(c));
                    }
                    Ok(())
                })?;
                if let Err(c) = ferrio::sleep(10 * SEC).await {
                    b.set(true);
                    return Err(c.into());
                }
                Ok::<_, E>(())
            })
            .await
        });
        let err = runner.await.unwrap().unwrap_err();
        // As CPython's test: the three failing children race the abort (the
        // first failure cancels the others due in the same tick), so only
        // the kinds are checked.
        let mut kinds = error_kinds(&err);
        kinds.dedup();
        assert_eq!(kinds, ["ZeroDivision"]);
        assert!(t2_cancel.get() && body_cancel.get());
    });
}

/// test_taskgroups `test_cancellation` and `test_taskgroup_07`: cancelling
/// the host cancels the children and the body and waits for them.
#[test]
fn test_cancellation() {
    run_virtual(async {
        let n = Rc::new(Cell::new(0));
        let count = n.clone();
        let runner = ferrio::spawn(async move {
            TaskGroup::run(|group| async move {
                for _ in 0..5 {
                    let count = count.clone();
                    group.spawn(async move {
                        if let Err(c) = ferrio::sleep(5 * SEC).await {
                            count.set(count.get() + 1);
                            return Err(E::from(c));
                        }
                        Ok(())
                    })?;
                }
                if let Err(c) = ferrio::sleep(10 * SEC).await {
                    count.set(count.get() + 10);
                    return Err(c.into());
                }
                Ok::<_, E>(())
            })
            .await
            .map_err(|e| match e {
                TaskGroupError::Cancelled(c) => c,
                other => panic!("{other:?}"),
            })
        });
        ferrio::sleep(100 * MS).await.unwrap();
        assert!(!runner.done());
        runner.cancel();
        assert!(runner.await.unwrap_err().is_cancelled());
        assert_eq!(n.get(), 15);
    });
}

/// test_taskgroups `test_taskgroup_08`: a group hosted in an awaited task
/// reports its errors through that task: the children's cleanup errors win
/// over the cancellation. Here the request even comes down the await chain:
/// the awaiter is cancelled, forwards it to the host, and receives the
/// host's errors.
#[test]
fn test_taskgroup_08() {
    for forwarded in [false, true] {
        run_virtual(async move {
            let runner = ferrio::spawn(async {
                TaskGroup::run(|group| async move {
                    for _ in 0..5 {
                        group.spawn(async {
                            ferrio::sleep(10 * SEC).await.unwrap_err();
                            Err::<(), _>(E::ZeroDivision) // `finally: 1 / 0`
                        })?;
                    }
                    ferrio::sleep(10 * SEC).await?;
                    Ok::<_, E>(())
                })
                .await
            });
            ferrio::sleep(100 * MS).await.unwrap();
            let outcome = if forwarded {
                let awaiter = ferrio::spawn(runner);
                ferrio::yield_now().await.unwrap();
                awaiter.cancel();
                awaiter.await.unwrap()
            } else {
                runner.cancel();
                runner.await
            };
            let err = outcome.expect("the host is not cancelled").unwrap_err();
            assert_eq!(error_kinds(&err), ["ZeroDivision"; 5]);
        });
    }
}

/// test_taskgroups `test_error_and_cancel`: a cancellation of the host that
/// arrives while the group is already aborting on a child's error is not
/// lost — the errors come back, and the host's next suspension is
/// cancelled; `cancelling()` stays 1.
#[test]
fn test_error_and_cancel() {
    run_virtual(async {
        let event = Event::new();
        let inner = {
            let event = event.clone();
            ferrio::spawn(async move {
                let group = TaskGroup::run(|group| {
                    let event = event.clone();
                    async move {
                        group.spawn(async move {
                            event.set();
                            ferrio::yield_now().await?;
                            Err::<(), _>(E::Runtime)
                        })?;
                        ferrio::sleep(SEC).await?;
                        panic!("the sleep in the group should have been cancelled");
                        #[allow(unreachable_code)]
                        Ok::<(), E>(())
                    }
                })
                .await;
                assert_eq!(error_kinds(&group.unwrap_err()), ["Runtime"]);
                let me = ferrio::task::current().unwrap();
                assert_eq!(me.cancelling(), 1);
                ferrio::sleep(SEC).await?;
                panic!("the sleep after the group should have been cancelled");
                #[allow(unreachable_code)]
                Ok::<(), Cancelled>(())
            })
        };
        event.wait().await.unwrap();
        assert_eq!(inner.cancelling(), 0);
        inner.cancel();
        assert_eq!(inner.cancelling(), 1);
        let inner_ref = (*inner).clone();
        assert!(inner.await.unwrap_err().is_cancelled());
        assert!(inner_ref.cancelled());
    });
}

/// test_taskgroups `test_cancelling_level_preserved`: a group that fails on
/// its own does not leave the host with a cancellation request.
#[test]
fn test_cancelling_level_preserved() {
    run_virtual(async {
        let out = TaskGroup::run(|group| async move {
            group.spawn(async {
                ferrio::sleep(Duration::ZERO).await?;
                Err::<(), _>(E::Runtime)
            })?;
            Ok::<_, E>(())
        })
        .await;
        assert!(out.is_err());
        assert_eq!(ferrio::task::current().unwrap().cancelling(), 0);
    });
}

/// test_taskgroups `test_nested_groups_both_cancelled`: an inner group's
/// failure does not hide the outer group's.
#[test]
fn test_nested_groups_both_cancelled() {
    run_virtual(async {
        let outer = TaskGroup::run(|outer_group| async move {
            let inner = TaskGroup::run(|inner_group| {
                let outer_group = outer_group.clone();
                async move {
                    inner_group.spawn(async {
                        ferrio::sleep(Duration::ZERO).await?;
                        Err::<(), _>(E::Runtime)
                    })?;
                    outer_group.spawn(async {
                        ferrio::sleep(Duration::ZERO).await?;
                        Err::<(), _>(E::Value)
                    })?;
                    Ok::<_, E>(())
                }
            })
            .await;
            assert_eq!(error_kinds(&inner.unwrap_err()), ["Runtime"]);
            Ok::<_, E>(())
        })
        .await;
        assert_eq!(error_kinds(&outer.unwrap_err()), ["Value"]);
        assert_eq!(ferrio::task::current().unwrap().cancelling(), 0);
    });
}

/// The group's children are tasks: awaiting one of them after the group
/// was cancelled from outside reports the cancellation.
#[test]
fn a_child_of_a_cancelled_group_reports_its_cancellation() {
    run_virtual(async {
        let host = ferrio::spawn(async {
            let mut child = None;
            let out = TaskGroup::run(|group| {
                child = Some(
                    group
                        .spawn(async {
                            ferrio::sleep(SEC).await?;
                            Ok::<_, E>(1)
                        })
                        .unwrap(),
                );
                async { Ok::<_, E>(()) }
            })
            .await;
            (out.is_err(), child.unwrap().await)
        });
        ferrio::yield_now().await.unwrap();
        host.cancel();
        let (failed, child) = host.await.unwrap();
        assert!(failed);
        assert!(matches!(
            child,
            Err(ferrio::task_group::GroupTaskError::Join(
                JoinError::Cancelled(_)
            ))
        ));
    });
}
