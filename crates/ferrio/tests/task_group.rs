//! TaskGroup: asyncio's TaskGroup semantics on the virtual clock.

mod common;

use std::time::Duration;

use common::*;
use ferrio::task_group::GroupSpawnError;
use ferrio::task_group::{FailureKind, GroupTaskError, TaskGroup, TaskGroupError};
use ferrio::{task, Cancelled};

const SEC: Duration = Duration::from_secs(1);

/// A user error type. It keeps the `Cancelled` value (as `thiserror`'s
/// `#[from]` would): that is what lets the group and timeouts recognise a
/// cancellation coming back through it.
#[derive(Debug)]
enum E {
    Cancelled(Cancelled),
    Refused(u32),
}

impl PartialEq for E {
    fn eq(&self, other: &E) -> bool {
        match (self, other) {
            (E::Refused(a), E::Refused(b)) => a == b,
            _ => false,
        }
    }
}

impl From<Cancelled> for E {
    fn from(c: Cancelled) -> E {
        E::Cancelled(c)
    }
}

impl std::fmt::Display for E {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            E::Cancelled(c) => write!(f, "{c}"),
            E::Refused(n) => write!(f, "server {n} refused"),
        }
    }
}

#[test]
fn children_run_concurrently_and_their_values_come_back() {
    run_virtual(async {
        let t0 = ferrio::now();
        let (a, b) = TaskGroup::run(|group| async move {
            let a = group.spawn(async {
                ferrio::sleep(2 * SEC).await?;
                Ok::<_, E>("a")
            })?;
            let b = group.spawn(async {
                ferrio::sleep(3 * SEC).await?;
                Ok::<_, E>(7)
            })?;
            Ok::<_, E>((a, b))
        })
        .await
        .unwrap();
        assert_eq!(
            ferrio::now() - t0,
            3 * SEC,
            "the group waited for the slowest child"
        );
        assert_eq!(a.await.unwrap(), "a");
        assert_eq!(b.await.unwrap(), 7);
    });
}

impl From<GroupSpawnError> for E {
    fn from(e: GroupSpawnError) -> E {
        panic!("unexpected spawn error: {e}")
    }
}

#[test]
fn two_failing_children_are_both_reported_and_siblings_clean_up() {
    run_virtual(async {
        let t0 = ferrio::now();
        let log = new_log();
        let l = log.clone();
        let err = TaskGroup::run(|group| async move {
            group.spawn_named("fetch-1", async move {
                ferrio::sleep(SEC).await?;
                Err::<(), E>(E::Refused(1))
            })?;
            // Fails while handling the cancellation the first failure
            // caused: its error wins over that cancellation.
            group.spawn_named("fetch-2", async move {
                if ferrio::sleep(3600 * SEC).await.is_err() {
                    return Err(E::Refused(2));
                }
                Ok::<(), E>(())
            })?;
            let l2 = l.clone();
            group.spawn_named("slow", async move {
                if let Err(c) = ferrio::sleep(3600 * SEC).await {
                    ferrio::sleep(2 * SEC).await.unwrap(); // cleanup that awaits
                    push(&l2, ("slow cleaned up", since(t0)));
                    return Err(c.into());
                }
                Ok::<_, E>(())
            })?;
            // The body is cancelled too, and its cleanup runs.
            if let Err(c) = ferrio::sleep(3600 * SEC).await {
                push(&l, ("body cancelled", since(t0)));
                return Err(c.into());
            }
            Ok::<_, E>(())
        })
        .await
        .unwrap_err();
        let group = err.failures().expect("a failed group");
        let names: Vec<_> = group
            .failures()
            .iter()
            .map(|f| (*f.name).to_owned())
            .collect();
        assert_eq!(
            names,
            ["fetch-1", "fetch-2"],
            "both errors, not the cancellations"
        );
        let errors: Vec<_> = group.errors().collect();
        assert_eq!(errors, [&E::Refused(1), &E::Refused(2)]);
        assert_eq!(
            snapshot(&log),
            [("body cancelled", SEC), ("slow cleaned up", 3 * SEC)]
        );
        assert_eq!(since(t0), 3 * SEC);
        assert!(!task::current().unwrap().cancelled());
        assert_eq!(task::current().unwrap().cancelling(), 0);
    });
}

#[test]
fn the_error_group_lists_each_childs_name_and_error() {
    run_virtual(async {
        let err = TaskGroup::run(|group| async move {
            group.spawn_named("fetch-a", async {
                ferrio::sleep(SEC).await?;
                Err::<(), E>(E::Refused(7))
            })?;
            group.spawn_named("fetch-b", async {
                if ferrio::sleep(3600 * SEC).await.is_err() {
                    panic!("index out of bounds");
                }
                Ok::<(), E>(())
            })?;
            Ok::<_, E>(())
        })
        .await
        .unwrap_err();
        let text = err.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "2 failures in a task group:");
        assert!(lines[1].starts_with("  task 'fetch-a' (id "), "{text}");
        assert!(lines[1].ends_with("): server 7 refused"), "{text}");
        assert!(lines[2].starts_with("  task 'fetch-b' (id "), "{text}");
        assert!(
            lines[2].ends_with(") panicked: index out of bounds"),
            "{text}"
        );
        let group = err.failures().unwrap();
        assert!(matches!(group.failures()[1].error, FailureKind::Panic(_)));
    });
}

#[test]
fn a_failing_body_cancels_the_children_and_is_reported() {
    run_virtual(async {
        let t0 = ferrio::now();
        let err = TaskGroup::run(|group| async move {
            let child = group.spawn(async {
                ferrio::sleep(3600 * SEC).await?;
                Ok::<_, E>(())
            })?;
            ferrio::sleep(SEC).await?;
            drop(child);
            Err::<(), E>(E::Refused(0))
        })
        .await
        .unwrap_err();
        let group = err.failures().unwrap();
        assert_eq!(group.len(), 1);
        assert_eq!(group.failures()[0].task_id, None);
        assert!(err
            .to_string()
            .contains("the group's body: server 0 refused"));
        assert_eq!(since(t0), SEC);
    });
}

#[test]
fn cancelling_the_parent_cancels_every_child_and_stays_pending() {
    run_virtual(async {
        let t0 = ferrio::now();
        let log = new_log();
        let l = log.clone();
        let parent = ferrio::spawn(async move {
            let out = TaskGroup::run(|group| async move {
                for n in 0..3 {
                    let l = l.clone();
                    group.spawn(async move {
                        if let Err(c) = ferrio::sleep(3600 * SEC).await {
                            ferrio::sleep(SEC).await.unwrap();
                            push(&l, n);
                            return Err(c.into());
                        }
                        Ok::<_, E>(())
                    })?;
                }
                ferrio::sleep(3600 * SEC).await?;
                Ok::<_, E>(())
            })
            .await;
            let me = task::current().unwrap();
            assert_eq!(me.cancelling(), 1, "the request stays counted");
            match out {
                Err(TaskGroupError::Cancelled(c)) => Err::<(), Cancelled>(c),
                other => panic!("expected the group to report the cancellation: {other:?}"),
            }
        });
        let p = (*parent).clone();
        ferrio::sleep(SEC).await.unwrap();
        p.cancel();
        assert!(parent.await.unwrap_err().is_cancelled());
        assert!(
            p.cancelled(),
            "returning the group's Cancelled ends the parent cancelled"
        );
        let mut done = snapshot(&log);
        done.sort();
        assert_eq!(done, [0, 1, 2], "every child's cleanup ran");
        assert_eq!(since(t0), 2 * SEC);
    });
}

#[test]
fn cancelling_the_parent_while_it_waits_for_children() {
    run_virtual(async {
        let parent = ferrio::spawn(async {
            TaskGroup::run(|group| async move {
                group.spawn(async {
                    ferrio::sleep(3600 * SEC).await?;
                    Ok::<_, E>(())
                })?;
                Ok::<_, E>(()) // the body is done: the group now waits
            })
            .await
            .map_err(|e| e.is_cancelled())
        });
        ferrio::sleep(SEC).await.unwrap();
        parent.cancel();
        // The group reported the cancellation (Err(true)); the parent
        // dropped it, so the parent itself finished normally.
        let out = parent.await;
        assert!(matches!(out, Ok(Err(true))), "{out:?}");
    });
}

#[test]
fn children_are_named_tasks_visible_in_all() {
    run_virtual(async {
        TaskGroup::run(|group| async move {
            group.spawn_named("worker-1", async {
                ferrio::sleep(SEC).await?;
                Ok::<_, E>(())
            })?;
            ferrio::yield_now().await?;
            let names: Vec<String> = task::all().iter().map(|t| t.name().to_string()).collect();
            assert!(names.contains(&"worker-1".to_string()), "{names:?}");
            assert_eq!(group.tasks().len(), 1);
            Ok::<_, E>(())
        })
        .await
        .unwrap();
    });
}

#[test]
fn spawning_into_a_group_that_is_shutting_down_is_an_error() {
    run_virtual(async {
        let out = TaskGroup::run(|group| async move {
            group.spawn(async { Err::<(), E>(E::Refused(1)) })?;
            let _ = ferrio::yield_now().await;
            let _ = ferrio::yield_now().await;
            assert!(group.is_aborting());
            let refused = group.spawn(async { Ok::<_, E>(()) }).unwrap_err();
            assert_eq!(refused, GroupSpawnError::ShuttingDown);
            assert!(refused.to_string().contains("shutting down"));
            Ok::<_, E>(())
        })
        .await;
        assert!(out.is_err());

        // After the group finished, too.
        let mut kept = None;
        TaskGroup::run(|group| {
            kept = Some(group.clone());
            async { Ok::<_, E>(()) }
        })
        .await
        .unwrap();
        let late = kept.unwrap().spawn(async { Ok::<_, E>(()) }).unwrap_err();
        assert_eq!(late, GroupSpawnError::ShuttingDown);
    });
}

#[test]
fn a_failed_childs_handle_points_to_the_group() {
    run_virtual(async {
        let mut handle = None;
        let _ = TaskGroup::run(|group| {
            handle = Some(group.spawn(async { Err::<u8, E>(E::Refused(3)) }).unwrap());
            async { Ok::<_, E>(()) }
        })
        .await
        .unwrap_err();
        let err = handle.unwrap().await.unwrap_err();
        assert!(matches!(err, GroupTaskError::Failed));
    });
}

#[test]
fn a_group_inside_a_timeout_reports_the_timeout() {
    run_virtual(async {
        let t0 = ferrio::now();
        let out = ferrio::timeout(
            SEC,
            TaskGroup::run(|group| async move {
                group.spawn(async {
                    ferrio::sleep(3600 * SEC).await?;
                    Ok::<_, E>(())
                })?;
                ferrio::sleep(3600 * SEC).await?;
                Ok::<_, E>(())
            }),
        )
        .await;
        assert!(
            out.is_err(),
            "the timeout's cancellation came through the group: {out:?}"
        );
        assert_eq!(since(t0), SEC);
    });
}
