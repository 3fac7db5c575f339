//! `yield_now()` fairness and cancellation, and `sleep` / `sleep_until`
//! semantics on the virtual clock.

mod common;

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::*;
use ferrio::{task, EventLoop};

#[test]
fn yield_now_lets_every_other_ready_task_run_exactly_once() {
    const N: usize = 4;
    const ROUNDS: usize = 5;
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let l = l.clone();
                ferrio::spawn(async move {
                    for round in 0..ROUNDS {
                        push(&l, (i, round));
                        ferrio::yield_now().await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let expected: Vec<_> = (0..ROUNDS)
        .flat_map(|round| (0..N).map(move |i| (i, round)))
        .collect();
    assert_eq!(snapshot(&log), expected);
}

#[test]
fn yield_now_interleaves_with_callbacks_in_fifo_order() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let la = l.clone();
        let a = ferrio::spawn(async move {
            for k in 0..3 {
                push(&la, format!("a{k}"));
                ferrio::yield_now().await.unwrap();
            }
        });
        let (lb, h) = (l.clone(), handle.clone());
        let b = ferrio::spawn(async move {
            for k in 0..3 {
                push(&lb, format!("b{k}"));
                // A callback scheduled now runs after `a`'s next step and
                // before `b` resumes.
                let lc = lb.clone();
                h.call_soon(move || push(&lc, format!("cb{k}"))).unwrap();
                ferrio::yield_now().await.unwrap();
            }
        });
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(
        snapshot(&log),
        ["a0", "b0", "a1", "cb0", "b1", "a2", "cb1", "b2", "cb2"]
    );
}

#[test]
fn yield_now_does_not_move_the_virtual_clock() {
    run_virtual(async {
        let t0 = ferrio::now();
        for _ in 0..10 {
            ferrio::yield_now().await.unwrap();
        }
        assert_eq!(since(t0), Duration::ZERO);
    });
}

#[test]
fn a_cancel_while_yielded_is_delivered_when_the_task_resumes() {
    run_virtual(async {
        let log = new_log();
        let l = log.clone();
        let worker = ferrio::spawn(async move {
            push(&l, "before");
            let r = ferrio::yield_now().await;
            push(&l, if r.is_err() { "cancelled" } else { "resumed" });
            r
        });
        ferrio::yield_now().await.unwrap();
        // The worker is queued behind us, waiting to resume its yield.
        worker.cancel();
        assert!(worker.await.unwrap_err().is_cancelled());
        assert_eq!(snapshot(&log), ["before", "cancelled"]);
    });
}

#[test]
fn a_pending_cancel_makes_yield_now_fail_without_yielding() {
    run_virtual(async {
        let log = new_log();
        let l = log.clone();
        let worker = ferrio::spawn(async move {
            task::current().unwrap().cancel();
            let r = ferrio::yield_now().await;
            // Completed at once: `other`, queued right behind us, has not
            // run yet.
            push(&l, "worker after yield");
            r
        });
        let l = log.clone();
        let other = ferrio::spawn(async move { push(&l, "other ran") });
        assert!(worker.await.unwrap_err().is_cancelled());
        other.await.unwrap();
        assert_eq!(snapshot(&log), ["worker after yield", "other ran"]);
    });
}

#[test]
fn a_relative_sleep_counts_from_its_first_poll() {
    run_virtual(async {
        let t0 = ferrio::now();
        let later = ferrio::sleep(Duration::from_secs(1));
        assert_eq!(later.deadline(), None, "not resolved before the first poll");
        ferrio::sleep(Duration::from_secs(5)).await.unwrap();
        // As asyncio's sleep coroutine: the delay starts when awaited.
        later.await.unwrap();
        assert_eq!(since(t0), Duration::from_secs(6));
    });
}

#[test]
fn sleep_resolves_its_deadline_on_first_poll() {
    run_virtual(async {
        let t0 = ferrio::now();
        let mut sleep = pin!(ferrio::sleep(Duration::from_secs(2)));
        poll_fn(|cx| {
            assert!(sleep.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        assert_eq!(sleep.deadline(), Some(t0 + Duration::from_secs(2)));
        sleep.await.unwrap();
        assert_eq!(since(t0), Duration::from_secs(2));
    });
}

#[test]
fn sleep_until_a_past_instant_completes_at_once() {
    run_virtual(async {
        let t0 = ferrio::now();
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        ferrio::sleep_until(t0).await.unwrap();
        ferrio::sleep(Duration::ZERO).await.unwrap();
        assert_eq!(since(t0), Duration::from_secs(1));
    });
}

#[test]
fn sleeps_with_the_same_deadline_wake_in_the_order_they_started() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let t0 = ferrio::now();
        let deadline = t0 + Duration::from_millis(10);
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let l = l.clone();
                ferrio::spawn(async move {
                    ferrio::sleep_until(deadline).await.unwrap();
                    push(&l, i);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(since(t0), Duration::from_millis(10));
    });
    assert_eq!(snapshot(&log), (0..10).collect::<Vec<_>>());
}

#[test]
#[should_panic(expected = "outside a running ferrio event loop")]
fn polling_sleep_outside_a_loop_panics() {
    let mut sleep = pin!(ferrio::sleep(Duration::from_secs(1)));
    let _ = sleep.as_mut().poll(&mut Context::from_waker(Waker::noop()));
}

#[test]
#[should_panic(expected = "no event loop is running")]
fn time_outside_a_loop_panics() {
    let _ = ferrio::now();
}

#[test]

fn sleeping_for_duration_max_waits_until_cancelled() {
    run_virtual(async {
        let sleeper = ferrio::spawn(ferrio::sleep(Duration::MAX));
        ferrio::yield_now().await.unwrap();
        ferrio::sleep(Duration::from_secs(3600)).await.unwrap();
        assert!(!sleeper.done(), "still sleeping, not panicked");
        sleeper.cancel();
        assert!(sleeper.await.unwrap_err().is_cancelled());
    });
}

#[test]

fn call_later_with_duration_max_never_fires_and_can_be_cancelled() {
    run_virtual(async {
        let handle = EventLoop::current();
        let timer = handle
            .call_later(Duration::MAX, || panic!("must never fire"))
            .unwrap();
        ferrio::sleep(Duration::from_secs(3600)).await.unwrap();
        timer.cancel();
        assert!(timer.cancelled());
    });
}
