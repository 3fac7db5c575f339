//! `Barrier`: arrival indices, rounds, abort and the broken state, reset,
//! and waiters that are cancelled.

mod common;

use std::time::Duration;

use common::*;
use ferrio::sync::{Barrier, BarrierStats, BarrierWaitError};

/// A task that waits `delay`, then at the barrier, and returns its index.
fn party(barrier: &Barrier, delay: u64) -> ferrio::Task<Result<usize, BarrierWaitError>> {
    let barrier = barrier.clone();
    ferrio::spawn(async move {
        ferrio::sleep(Duration::from_secs(delay)).await?;
        barrier.wait().await
    })
}

#[test]
fn everyone_leaves_together_with_arrival_indices() {
    run_virtual(async {
        let barrier = Barrier::new(3);
        let t0 = ferrio::now();
        // Spawned in one order, arriving in another.
        let tasks = [party(&barrier, 3), party(&barrier, 1), party(&barrier, 2)];
        let mut indices = Vec::new();
        for t in tasks {
            indices.push(t.await.unwrap().unwrap());
        }
        assert_eq!(indices, [2, 0, 1]);
        assert_eq!(since(t0), Duration::from_secs(3));
        assert_eq!(barrier.n_waiting(), 0);
    });
}

#[test]
fn the_barrier_starts_over_after_each_round() {
    run_virtual(async {
        let barrier = Barrier::new(2);
        let b = barrier.clone();
        let other = ferrio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..3 {
                got.push(b.wait().await?);
            }
            Ok::<_, BarrierWaitError>(got)
        });
        let mut mine = Vec::new();
        for _ in 0..3 {
            ferrio::sleep(Duration::from_secs(1)).await.unwrap();
            mine.push(barrier.wait().await.unwrap());
        }
        // `other` always arrives first (it does not sleep).
        assert_eq!(mine, [1, 1, 1]);
        assert_eq!(other.await.unwrap().unwrap(), [0, 0, 0]);
    });
}

#[test]
fn one_party_never_waits() {
    run_virtual(async {
        let barrier = Barrier::new(1);
        assert_eq!(barrier.wait().await.unwrap(), 0);
        assert_eq!(barrier.wait().await.unwrap(), 0);
    });
}

#[test]
fn abort_breaks_the_waiters_and_later_waits_until_reset() {
    run_virtual(async {
        let barrier = Barrier::new(3);
        let a = party(&barrier, 0);
        let b = party(&barrier, 0);
        ferrio::yield_now().await.unwrap();
        ferrio::yield_now().await.unwrap();
        assert_eq!(
            barrier.statistics(),
            BarrierStats {
                parties: 3,
                waiting: 2,
                broken: false
            }
        );
        barrier.abort();
        assert!(barrier.is_broken());
        assert!(a.await.unwrap().unwrap_err().is_broken());
        assert!(b.await.unwrap().unwrap_err().is_broken());
        let err = barrier.wait().await.unwrap_err();
        assert!(err.is_broken());
        assert!(err.to_string().contains("reset"));

        barrier.reset();
        assert!(!barrier.is_broken());
        let tasks = [party(&barrier, 0), party(&barrier, 0), party(&barrier, 0)];
        let mut indices = Vec::new();
        for t in tasks {
            indices.push(t.await.unwrap().unwrap());
        }
        assert_eq!(indices, [0, 1, 2]);
    });
}

#[test]
fn reset_breaks_the_current_round_and_empties_the_barrier() {
    run_virtual(async {
        let barrier = Barrier::new(2);
        let a = party(&barrier, 0);
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        assert_eq!(barrier.n_waiting(), 1);
        barrier.reset();
        assert!(a.await.unwrap().unwrap_err().is_broken());
        assert!(!barrier.is_broken());
        assert_eq!(barrier.n_waiting(), 0);
        // A fresh round needs two new parties.
        let b = party(&barrier, 0);
        let c = party(&barrier, 1);
        assert_eq!(b.await.unwrap().unwrap(), 0);
        assert_eq!(c.await.unwrap().unwrap(), 1);
    });
}

#[test]
fn a_cancelled_waiter_no_longer_counts() {
    run_virtual(async {
        let barrier = Barrier::new(3);
        let a = party(&barrier, 0);
        let b = party(&barrier, 0);
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        a.cancel();
        assert!(a.await.unwrap_err().is_cancelled());
        assert_eq!(barrier.n_waiting(), 1);
        // Two more are needed now; indices stay distinct.
        let c = party(&barrier, 1);
        let d = party(&barrier, 2);
        let mut indices = [
            b.await.unwrap().unwrap(),
            c.await.unwrap().unwrap(),
            d.await.unwrap().unwrap(),
        ];
        indices.sort();
        assert_eq!(indices, [0, 1, 2]);
    });
}

#[test]
fn a_waiter_cancelled_after_release_does_not_hold_the_others_back() {
    run_virtual(async {
        let barrier = Barrier::new(2);
        let a = party(&barrier, 0);
        ferrio::yield_now().await.unwrap();
        ferrio::yield_now().await.unwrap();
        // Main is the second party: the barrier releases `a` ...
        assert_eq!(barrier.wait().await.unwrap(), 1);
        a.cancel(); // ... which is cancelled before it runs.
        assert!(a.await.unwrap_err().is_cancelled());
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.is_broken());
    });
}

#[test]
#[should_panic(expected = "parties must be at least 1")]
fn zero_parties_panics() {
    let _ = Barrier::new(0);
}

#[test]
fn debug_shows_the_state() {
    let barrier = Barrier::new(4);
    assert_eq!(
        format!("{barrier:?}"),
        "Barrier { parties: 4, waiting: 0, broken: false }"
    );
    assert_eq!(barrier.parties(), 4);
}
