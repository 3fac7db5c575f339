//! `join!`: heterogeneous futures polled concurrently in the current task,
//! without spawning; no cancellation point of its own.

mod common;

use std::cell::Cell;
use std::time::Duration;

use common::*;
use ferrio::{Cancelled, TaskRef};

const SEC: Duration = Duration::from_secs(1);

#[test]
fn outputs_of_different_types_in_the_order_written() {
    run_virtual(async {
        let t0 = ferrio::now();
        let (a, b, c, d) = ferrio::join!(
            async {
                ferrio::sleep(3 * SEC).await.unwrap();
                "three"
            },
            async {
                ferrio::sleep(SEC).await.unwrap();
                1u8
            },
            std::future::ready(vec![1, 2]),
            async {
                ferrio::sleep(2 * SEC).await.unwrap();
                Some(2.5f64)
            },
        );
        assert_eq!((a, b, c, d), ("three", 1, vec![1, 2], Some(2.5)));
        assert_eq!(since(t0), 3 * SEC, "concurrent, not sequential");
    });
}

#[test]
fn a_single_future_and_borrowed_state() {
    run_virtual(async {
        let counter = Cell::new(0);
        let bump = || async {
            ferrio::yield_now().await.unwrap();
            counter.set(counter.get() + 1);
        };
        let ((),) = ferrio::join!(bump());
        let ((), (), ()) = ferrio::join!(bump(), bump(), bump());
        assert_eq!(counter.get(), 4);
    });
}

#[test]
fn branches_interleave_in_one_task_without_spawning() {
    run_virtual(async {
        let log = new_log();
        let me = ferrio::task::current().unwrap();
        let live = ferrio::task::all().len();
        let branch = |name: &'static str| {
            let log = log.clone();
            let me = me.clone();
            async move {
                for i in 0..2 {
                    assert_eq!(ferrio::task::current().unwrap(), me, "same task");
                    push(&log, format!("{name}{i}"));
                    ferrio::yield_now().await.unwrap();
                }
            }
        };
        assert_eq!(ferrio::task::all().len(), live);
        ferrio::join!(branch("a"), branch("b"));
        assert_eq!(snapshot(&log), ["a0", "b0", "a1", "b1"]);
    });
}

#[test]
fn cancellation_reaches_one_branch_at_its_awaitable_and_the_others_run_on() {
    run_virtual(async {
        let t0 = ferrio::now();
        let worker = ferrio::spawn(async move {
            ferrio::join!(
                async {
                    let r = ferrio::sleep(3600 * SEC).await;
                    (r.is_err(), since(t0))
                },
                async {
                    // Delivered once: only the first branch sees it.
                    let r = ferrio::sleep(2 * SEC).await;
                    (r.is_err(), since(t0))
                },
            )
        });
        let worker_ref = TaskRef::clone(&worker);
        ferrio::sleep(SEC).await.unwrap();
        worker.cancel();
        let (first, second) = worker.await.unwrap();
        assert_eq!(first, (true, SEC));
        assert_eq!(
            second,
            (false, 2 * SEC),
            "join! waited for the other branch"
        );
        assert!(
            !worker_ref.cancelled(),
            "the Cancelled was dropped: swallowed"
        );
    });
}

#[test]
fn a_branch_can_propagate_the_cancellation() {
    run_virtual(async {
        let worker = ferrio::spawn(async move {
            let (a, b) = ferrio::join!(
                async {
                    ferrio::sleep(3600 * SEC).await?;
                    Ok::<_, Cancelled>(1)
                },
                async { 2 },
            );
            Ok::<_, Cancelled>(a? + b)
        });
        let worker_ref = TaskRef::clone(&worker);
        ferrio::yield_now().await.unwrap();
        worker.cancel();
        assert!(worker.await.unwrap_err().is_cancelled());
        assert!(worker_ref.cancelled());
    });
}
