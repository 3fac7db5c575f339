//! `Event`: set wakes every waiter, clear, waits on a set event, and
//! cancelled waiters that take nothing from the others.

mod common;

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use common::*;
use ferrio::sync::{Event, EventStats};
use ferrio::Cancelled;

fn waiter(
    event: &Event,
    log: &Log<&'static str>,
    name: &'static str,
) -> ferrio::Task<Result<(), Cancelled>> {
    let (event, log) = (event.clone(), log.clone());
    ferrio::spawn(async move {
        event.wait().await?;
        push(&log, name);
        Ok(())
    })
}

#[test]
fn set_wakes_every_waiter_in_order() {
    run_virtual(async {
        let event = Event::new();
        let log = new_log();
        let tasks: Vec<_> = ["a", "b", "c"]
            .into_iter()
            .map(|n| waiter(&event, &log, n))
            .collect();
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        assert_eq!(
            event.statistics(),
            EventStats {
                set: false,
                waiters: 3
            }
        );
        assert!(snapshot(&log).is_empty());
        event.set();
        assert!(event.is_set());
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(snapshot(&log), ["a", "b", "c"]);
        assert_eq!(event.statistics().waiters, 0);
    });
}

#[test]
fn waiting_on_a_set_event_returns_at_once_until_cleared() {
    run_virtual(async {
        let event = Event::new();
        event.set();
        event.set(); // harmless
        let t0 = ferrio::now();
        event.wait().await.unwrap();
        assert_eq!(since(t0), Duration::ZERO);
        event.clear();
        assert!(!event.is_set());
        let log = new_log();
        let w = waiter(&event, &log, "w");
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        assert!(!w.done());
        event.set();
        w.await.unwrap().unwrap();
    });
}

#[test]
fn a_woken_waiter_returns_even_if_the_event_is_cleared_before_it_runs() {
    run_virtual(async {
        let event = Event::new();
        let log = new_log();
        let w = waiter(&event, &log, "w");
        ferrio::yield_now().await.unwrap();
        event.set();
        event.clear();
        w.await.unwrap().unwrap();
        assert_eq!(snapshot(&log), ["w"]);
    });
}

#[test]
fn a_cancelled_waiter_leaves_and_takes_nothing_from_the_others() {
    run_virtual(async {
        let event = Event::new();
        let log = new_log();
        let a = waiter(&event, &log, "a");
        let b = waiter(&event, &log, "b");
        ferrio::yield_now().await.unwrap();
        a.cancel();
        ferrio::yield_now().await.unwrap();
        assert_eq!(event.statistics().waiters, 1);
        event.set();
        assert!(a.await.unwrap_err().is_cancelled());
        b.await.unwrap().unwrap();
        assert_eq!(snapshot(&log), ["b"]);
    });
}

#[test]
fn a_waiter_cancelled_after_set_does_not_wake_a_later_one() {
    run_virtual(async {
        let event = Event::new();
        let log = new_log();
        let a = waiter(&event, &log, "a");
        ferrio::yield_now().await.unwrap();
        event.set();
        event.clear();
        a.cancel();
        // `late` waits on the cleared event; a's wake-up must not reach it.
        let late = waiter(&event, &log, "late");
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        assert!(a.await.unwrap_err().is_cancelled());
        assert!(!late.done());
        assert!(snapshot(&log).is_empty());
        late.cancel();
        assert!(late.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn dropping_a_pending_wait_leaves_the_queue() {
    run_virtual(async {
        let event = Event::new();
        let mut pending = Box::pin(event.wait());
        let polled = std::future::poll_fn(|cx| Poll::Ready(pending.as_mut().poll(cx))).await;
        assert!(polled.is_pending());
        assert_eq!(event.statistics().waiters, 1);
        drop(pending);
        assert_eq!(event.statistics().waiters, 0);
        event.set();
        assert_eq!(format!("{event:?}"), "Event { set: true, waiters: 0 }");
    });
}
