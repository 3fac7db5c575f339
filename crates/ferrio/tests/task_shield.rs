//! shield: asyncio's `shield(aw)` on the virtual clock.

mod common;

use std::time::Duration;

use common::*;
use ferrio::Cancelled;

const SEC: Duration = Duration::from_secs(1);

#[test]
fn cancelling_the_caller_does_not_cancel_the_shielded_work() {
    run_virtual(async {
        let t0 = ferrio::now();
        let log = new_log();
        let l = log.clone();
        let caller = ferrio::spawn(async move {
            let out = ferrio::shield(async move {
                ferrio::sleep(5 * SEC).await.unwrap();
                push(&l, ("committed", since(t0)));
                "done"
            })
            .await;
            // The caller sees its own cancellation at once.
            out.map_err(|e| {
                assert!(e.is_cancelled());
                since(t0)
            })
        });
        ferrio::sleep(SEC).await.unwrap();
        caller.cancel();
        let seen_at = caller.await.unwrap().unwrap_err();
        assert_eq!(
            seen_at, SEC,
            "the caller was not held up by the shielded work"
        );
        assert!(log.borrow().is_empty());
        ferrio::sleep(10 * SEC).await.unwrap();
        assert_eq!(
            snapshot(&log),
            [("committed", 5 * SEC)],
            "the work ran to completion"
        );
    });
}

#[test]
fn an_uncancelled_caller_gets_the_value() {
    run_virtual(async {
        let out = ferrio::shield(async {
            ferrio::sleep(SEC).await?;
            Ok::<_, Cancelled>(42)
        })
        .await;
        assert_eq!(out.unwrap().unwrap(), 42);
    });
}

#[test]
fn a_shield_inside_a_timeout_lets_the_work_finish() {
    run_virtual(async {
        let t0 = ferrio::now();
        let log = new_log();
        let l = log.clone();
        let out = ferrio::timeout(SEC, async move {
            ferrio::shield(async move {
                ferrio::sleep(3 * SEC).await.unwrap();
                push(&l, since(t0));
            })
            .await
        })
        .await;
        assert!(out.is_err(), "the timeout fired for the waiter");
        assert_eq!(since(t0), SEC);
        ferrio::sleep(5 * SEC).await.unwrap();
        assert_eq!(snapshot(&log), [3 * SEC]);
    });
}

#[test]
fn a_panic_in_the_shielded_work_reaches_the_caller() {
    run_virtual(async {
        let out = ferrio::shield(async {
            ferrio::yield_now().await.unwrap();
            panic!("commit failed")
        })
        .await;
        let err = out.unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("commit failed"));
    });
}
