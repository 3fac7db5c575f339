//! `BoundedSemaphore`: releasing past the bound is a typed error that
//! changes nothing; guards can never over-release; fairness is the
//! semaphore's.

mod common;

use common::*;
use ferrio::sync::{BoundedSemaphore, BoundedSemaphoreStats, TooManyReleases};
use ferrio::Cancelled;

#[test]
fn releasing_past_the_bound_is_an_error_and_changes_nothing() {
    let sem = BoundedSemaphore::new(2);
    let err = sem.release().unwrap_err();
    assert_eq!(err, TooManyReleases { bound: 2 });
    assert!(err.to_string().contains("released too many times"));
    assert_eq!(sem.available_permits(), 2);
    assert_eq!(
        sem.statistics(),
        BoundedSemaphoreStats {
            permits: 2,
            waiters: 0,
            bound: 2
        }
    );
}

#[test]
fn hand_releases_must_match_forgotten_permits() {
    let sem = BoundedSemaphore::new(2);
    sem.try_acquire().unwrap().forget();
    sem.try_acquire().unwrap().forget();
    assert!(sem.locked());
    sem.release().unwrap();
    sem.release().unwrap();
    assert!(sem.release().is_err());
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn a_guard_plus_a_hand_release_cannot_overflow() {
    let sem = BoundedSemaphore::new(1);
    let permit = sem.try_acquire().unwrap();
    // The permit is held by its guard: a hand release is refused ...
    assert!(sem.release().is_err());
    drop(permit);
    // ... so dropping the guard leaves the count at the bound.
    assert_eq!(sem.available_permits(), 1);
    assert_eq!(sem.bound(), 1);
}

#[test]
fn waiters_are_served_in_order_and_cancelled_ones_take_nothing() {
    run_virtual(async {
        let sem = BoundedSemaphore::new(1);
        let log = new_log();
        sem.acquire().await.unwrap().forget();
        let tasks: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let (sem, log) = (sem.clone(), log.clone());
                ferrio::spawn(async move {
                    let _permit = sem.acquire().await?;
                    push(&log, name);
                    ferrio::yield_now().await?;
                    Ok::<_, Cancelled>(())
                })
            })
            .collect();
        ferrio::yield_now().await.unwrap();
        tasks[1].cancel();
        sem.release().unwrap();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.is_ok());
        }
        assert_eq!(outcomes, [true, false, true]);
        assert_eq!(snapshot(&log), ["a", "c"]);
        assert_eq!(sem.available_permits(), 1);
        assert!(sem.release().is_err());
    });
}

#[test]
fn debug_shows_the_bound() {
    let sem = BoundedSemaphore::new(3);
    assert_eq!(
        format!("{sem:?}"),
        "BoundedSemaphore { permits: 3, waiters: 0, bound: 3 }"
    );
}
