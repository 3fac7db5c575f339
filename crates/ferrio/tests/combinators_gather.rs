//! `gather` and `gather_settled`: values in argument order, the first
//! failure returned while the others run on, cancellation reaching every
//! child and waiting for its cleanup, every outcome when settled.

mod common;

use std::time::Duration;

use common::*;
use ferrio::combinators::{gather, gather_settled, gather_settled_tasks, gather_tasks};
use ferrio::event_loop::ExceptionKind;
use ferrio::{Cancelled, JoinError, TaskRef};

const MS: Duration = Duration::from_millis(1);
const SEC: Duration = Duration::from_secs(1);
const HOUR: Duration = Duration::from_secs(3600);

/// A child that sleeps `delay` (returning `Err` if cancelled, after a
/// cleanup of `cleanup` that it logs) and then returns `value`.
async fn child(
    log: Log<String>,
    name: &'static str,
    delay: Duration,
    cleanup: Duration,
    value: u32,
) -> Result<u32, Cancelled> {
    let t0 = ferrio::now();
    if let Err(c) = ferrio::sleep(delay).await {
        push(&log, format!("{name} cancelled ({c}) at {:?}", since(t0)));
        ferrio::sleep(cleanup).await.unwrap();
        push(&log, format!("{name} cleaned up at {:?}", since(t0)));
        return Err(c);
    }
    push(&log, format!("{name} done at {:?}", since(t0)));
    Ok(value)
}

#[test]
fn values_come_in_argument_order_when_children_finish_in_reverse() {
    run_virtual(async {
        let log = new_log();
        let t0 = ferrio::now();
        let children = (0..5u32).map(|i| {
            let log = log.clone();
            async move {
                ferrio::sleep((5 - i) * 10 * MS).await.unwrap();
                push(&log, i);
                i * 100
            }
        });
        let values = gather(children).await.unwrap();
        assert_eq!(values, [0, 100, 200, 300, 400]);
        assert_eq!(snapshot(&log), [4, 3, 2, 1, 0]);
        assert_eq!(since(t0), 50 * MS);
    });
}

#[test]
fn gather_of_nothing_is_an_empty_vec_at_once() {
    run_virtual(async {
        let g = gather(Vec::<std::future::Ready<u8>>::new());
        assert!(g.is_empty());
        assert_eq!(g.await.unwrap(), Vec::<u8>::new());
        let s = gather_settled_tasks(Vec::<ferrio::Task<u8>>::new())
            .await
            .unwrap();
        assert!(s.is_empty());
    });
}

#[test]
fn tasks_are_taken_over_without_spawning_new_ones() {
    run_virtual(async {
        let tasks: Vec<_> = (0..3u32)
            .map(|i| {
                ferrio::spawn(async move {
                    ferrio::sleep(SEC).await.unwrap();
                    i
                })
            })
            .collect();
        let live = ferrio::task::all().len();
        let g = gather_tasks(tasks);
        assert_eq!(ferrio::task::all().len(), live, "no wrapper task");
        assert_eq!(g.len(), 3);
        assert_eq!(g.await.unwrap(), [0, 1, 2]);
    });
}

#[test]
fn children_start_at_the_call_even_before_the_gather_is_awaited() {
    run_virtual(async {
        let log = new_log();
        let l = log.clone();
        let g = gather([async move { push(&l, "child ran") }]);
        ferrio::yield_now().await.unwrap();
        assert_eq!(snapshot(&log), ["child ran"]);
        assert_eq!(g.remaining(), 1, "not polled yet");
        g.await.unwrap();
    });
}

#[test]
fn the_first_failure_returns_at_once_and_the_others_run_on() {
    let (event_loop, reports) = loop_with_reports();
    event_loop
        .run_until_complete(async {
            let log = new_log();
            let t0 = ferrio::now();
            let l = log.clone();
            let ok_child = ferrio::spawn(async move {
                ferrio::sleep(3 * SEC).await.unwrap();
                push(&l, format!("slow sibling done at {:?}", since(t0)));
                1
            });
            let watch_ok = TaskRef::clone(&ok_child);
            let failing = ferrio::spawn(async {
                ferrio::sleep(SEC).await.unwrap();
                panic!("first failure");
            });
            let late_panic = ferrio::spawn(async {
                ferrio::sleep(2 * SEC).await.unwrap();
                panic!("second failure");
            });
            let err = gather_tasks([ok_child, failing, late_panic])
                .await
                .unwrap_err();
            assert_eq!(since(t0), SEC, "returned at the first failure");
            let JoinError::Panicked(p) = err else {
                panic!("expected the panic, got {err:?}")
            };
            assert_eq!(p.message(), "first failure");
            // The siblings were not cancelled: they finish later.
            assert!(!watch_ok.done() && watch_ok.cancelling() == 0);
            ferrio::sleep(5 * SEC).await.unwrap();
            assert!(watch_ok.done() && !watch_ok.cancelled());
            assert_eq!(snapshot(&log), ["slow sibling done at 3s"]);
        })
        .unwrap();
    // The later panic was nobody's to retrieve: the loop reports it.
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].kind, ExceptionKind::TaskFailureNotRetrieved);
    assert!(reports[0].message.contains("second failure"));
}

#[test]
fn a_child_cancelled_on_its_own_is_the_first_error_not_the_gatherers() {
    run_virtual(async {
        let log = new_log();
        let a = ferrio::spawn(child(log.clone(), "a", HOUR, Duration::ZERO, 1));
        let b = ferrio::spawn(child(log.clone(), "b", 2 * SEC, Duration::ZERO, 2));
        let a_ref = TaskRef::clone(&a);
        let gatherer = ferrio::spawn(async move { gather_tasks([a, b]).await });
        ferrio::sleep(SEC).await.unwrap();
        a_ref.cancel_with("only a");
        let outcome = TaskRef::clone(&gatherer);
        let err = gatherer.await.unwrap().unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
        // The gathering task returned the child's cancellation as a value:
        // it did not end cancelled itself.
        assert!(!outcome.cancelled());
        ferrio::sleep(5 * SEC).await.unwrap();
        assert_eq!(
            snapshot(&log),
            [
                "a cancelled (cancelled: only a) at 1s",
                "a cleaned up at 1s",
                "b done at 2s"
            ]
        );
    });
}

#[test]
fn cancelling_gather_cancels_every_child_and_waits_for_their_cleanup() {
    run_virtual(async {
        let log = new_log();
        let t0 = ferrio::now();
        let children = vec![
            ferrio::spawn(child(log.clone(), "a", HOUR, 10 * MS, 1)),
            ferrio::spawn(child(log.clone(), "b", HOUR, 30 * MS, 2)),
            ferrio::spawn(child(log.clone(), "c", 500 * MS, Duration::ZERO, 3)),
        ];
        let refs: Vec<TaskRef> = children.iter().map(|t| TaskRef::clone(t)).collect();
        let l = log.clone();
        let gatherer = ferrio::spawn(async move {
            let r = gather_tasks(children).await;
            push(&l, format!("gather returned at {:?}", since(t0)));
            r
        });
        let gatherer_ref = TaskRef::clone(&gatherer);
        ferrio::sleep(SEC).await.unwrap();
        assert!(gatherer.cancel_with("shutdown"));
        let err = gatherer.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(gatherer_ref.cancelled(), "the gatherer ends cancelled");
        assert_eq!(since(t0), SEC + 30 * MS, "waited for the slowest cleanup");
        assert!(refs[0].cancelled() && refs[1].cancelled());
        assert!(!refs[2].cancelled(), "c was done before the cancel");
        assert_eq!(
            snapshot(&log),
            [
                "c done at 500ms",
                "a cancelled (cancelled: shutdown) at 1s",
                "b cancelled (cancelled: shutdown) at 1s",
                "a cleaned up at 1.01s",
                "b cleaned up at 1.03s",
                "gather returned at 1.03s",
            ]
        );
    });
}

#[test]
fn gather_settled_gives_every_outcome_in_order() {
    run_virtual(async {
        let log = new_log();
        let t0 = ferrio::now();
        let ok = ferrio::spawn(async {
            ferrio::sleep(3 * SEC).await?;
            Ok::<_, Cancelled>("ok")
        });
        let panics = ferrio::spawn(async {
            ferrio::sleep(SEC).await?;
            panic!("bad child");
        });
        let cancelled = ferrio::spawn(async {
            ferrio::sleep(HOUR).await?;
            Ok("never")
        });
        let cancelled_ref = TaskRef::clone(&cancelled);
        let quick = ferrio::spawn(async { Ok("quick") });
        let l = log.clone();
        let settler = ferrio::spawn(async move {
            let outcomes = gather_settled_tasks([ok, panics, cancelled, quick]).await;
            push(&l, format!("settled at {:?}", since(t0)));
            outcomes
        });
        let settler_ref = TaskRef::clone(&settler);
        ferrio::sleep(2 * SEC).await.unwrap();
        cancelled_ref.cancel();
        let outcomes = settler.await.unwrap().unwrap();
        assert!(!settler_ref.cancelled());
        assert_eq!(snapshot(&log), ["settled at 3s"]);
        assert_eq!(outcomes.len(), 4);
        assert_eq!(*outcomes[0].as_ref().unwrap().as_ref().unwrap(), "ok");
        match &outcomes[1] {
            Err(JoinError::Panicked(p)) => assert_eq!(p.message(), "bad child"),
            other => panic!("expected a panic, got {other:?}"),
        }
        assert!(outcomes[2].as_ref().unwrap_err().is_cancelled());
        assert_eq!(*outcomes[3].as_ref().unwrap().as_ref().unwrap(), "quick");
    });
}

#[test]
fn cancelling_gather_settled_cancels_the_children_and_waits() {
    run_virtual(async {
        let log = new_log();
        let t0 = ferrio::now();
        let children: Vec<_> = [("a", 20 * MS), ("b", 40 * MS)]
            .into_iter()
            .map(|(name, cleanup)| ferrio::spawn(child(log.clone(), name, HOUR, cleanup, 0)))
            .collect();
        let refs: Vec<TaskRef> = children.iter().map(|t| TaskRef::clone(t)).collect();
        let settler = ferrio::spawn(gather_settled_tasks(children));
        ferrio::sleep(SEC).await.unwrap();
        settler.cancel();
        let err = settler.await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(since(t0), SEC + 40 * MS);
        assert!(refs.iter().all(|t| t.cancelled()));
        assert_eq!(log.borrow().len(), 4);
    });
}

#[test]
fn a_thousand_children_each_finishing_at_its_own_time() {
    run_virtual(async {
        let n = 1000u64;
        let t0 = ferrio::now();
        let values = gather((0..n).map(|i| async move {
            ferrio::sleep(MS * (n - i) as u32).await.unwrap();
            i
        }))
        .await
        .unwrap();
        assert_eq!(values, (0..n).collect::<Vec<_>>());
        assert_eq!(since(t0), MS * n as u32);
    });
}

#[test]
fn gather_settled_spawns_futures_and_a_panic_stays_in_its_slot() {
    run_virtual(async {
        let outcomes = gather_settled((0..4u32).map(|i| async move {
            ferrio::sleep(MS * (4 - i)).await.unwrap();
            if i == 2 {
                panic!("child {i}");
            }
            i
        }))
        .await
        .unwrap();
        let summary: Vec<String> = outcomes
            .iter()
            .map(|o| match o {
                Ok(v) => v.to_string(),
                Err(JoinError::Panicked(p)) => p.message().to_string(),
                Err(e) => e.to_string(),
            })
            .collect();
        assert_eq!(summary, ["0", "1", "child 2", "3"]);
    });
}

#[test]
fn a_second_cancel_while_gather_waits_for_cleanup_is_forwarded_to_the_children() {
    // As asyncio: cancelling the task again cancels the gather again, which
    // cancels its children again (their cleanup sees the second request);
    // the gather reports the first, and the request is consumed.
    run_virtual(async {
        let log = new_log();
        let l = log.clone();
        let a = ferrio::spawn(async move {
            let t0 = ferrio::now();
            let first = ferrio::sleep(HOUR).await.unwrap_err();
            push(&l, format!("a cancelled ({first}) at {:?}", since(t0)));
            let second = ferrio::sleep(30 * MS).await.unwrap_err();
            push(
                &l,
                format!("a cleanup cancelled ({second}) at {:?}", since(t0)),
            );
            Err::<u32, _>(first)
        });
        let l = log.clone();
        let gatherer = ferrio::spawn(async move {
            let r = gather_tasks([a]).await;
            push(&l, format!("gather: {}", r.as_ref().unwrap_err()));
            let next = ferrio::yield_now().await;
            push(&l, format!("next await: {next:?}"));
            r
        });
        ferrio::sleep(SEC).await.unwrap();
        gatherer.cancel_with("first");
        ferrio::sleep(10 * MS).await.unwrap();
        gatherer.cancel_with("second");
        let gatherer_ref: TaskRef = (*gatherer).clone();
        assert!(gatherer.await.unwrap_err().is_cancelled());
        assert_eq!(gatherer_ref.cancelling(), 2, "both requests still counted");
        assert_eq!(
            snapshot(&log),
            [
                "a cancelled (cancelled: first) at 1s",
                "a cleanup cancelled (cancelled: second) at 1.01s",
                "gather: cancelled: first",
                "next await: Ok(())",
            ]
        );
    });
}
