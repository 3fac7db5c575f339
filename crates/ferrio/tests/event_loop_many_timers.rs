//! A million pending timers on the virtual clock: all fire, in deadline
//! order, equal deadlines in insertion order, each at its exact time.

mod common;

use std::time::Duration;

use common::*;
use ferrio::EventLoop;

const N: u32 = 1_000_000;
/// Distinct deadlines; each is shared by `N / GROUPS` timers.
const GROUPS: u32 = 1000;

/// A deadline (in ms) for timer `i`, scrambled so that insertion order and
/// deadline order differ.
fn deadline_ms(i: u32) -> u64 {
    u64::from((i.wrapping_mul(7919)) % GROUPS) + 1
}

/// The expected firing order: by deadline, then by insertion.
fn expected_order() -> Vec<u32> {
    let mut order: Vec<u32> = (0..N).collect();
    order.sort_by_key(|&i| (deadline_ms(i), i));
    order
}

fn check(log: &[(u32, Duration)]) {
    assert_eq!(log.len(), N as usize, "every timer fired exactly once");
    for (&(i, at), &want) in log.iter().zip(expected_order().iter()) {
        assert_eq!(i, want, "firing order");
        assert_eq!(
            at,
            Duration::from_millis(deadline_ms(i)),
            "firing time of {i}"
        );
    }
}

#[test]
fn a_million_sleeping_tasks_all_wake_in_deadline_order() {
    let log = new_log::<(u32, Duration)>();
    let l = log.clone();
    run_virtual(async move {
        let t0 = ferrio::now();
        for i in 0..N {
            let l = l.clone();
            ferrio::spawn(async move {
                let deadline = t0 + Duration::from_millis(deadline_ms(i));
                ferrio::sleep_until(deadline).await.unwrap();
                push(&l, (i, since(t0)));
            })
            .detach();
        }
        ferrio::sleep(Duration::from_millis(u64::from(GROUPS) + 1))
            .await
            .unwrap();
        assert_eq!(ferrio::task::all().len(), 1, "only the main task is left");
    });
    check(&log.borrow());
}

#[test]
fn a_million_call_later_callbacks_all_fire_in_deadline_order() {
    let log = new_log::<(u32, Duration)>();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let t0 = ferrio::now();
        for i in 0..N {
            let l = l.clone();
            handle
                .call_later(Duration::from_millis(deadline_ms(i)), move || {
                    push(&l, (i, since(t0)))
                })
                .unwrap();
        }
        ferrio::sleep(Duration::from_millis(u64::from(GROUPS) + 1))
            .await
            .unwrap();
    });
    check(&log.borrow());
}
