//! `call_later` / `call_at`, `TimerHandle`, and the virtual loop clock.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use common::*;
use ferrio::{EventLoop, TimerHandle};

const MS: Duration = Duration::from_millis(1);

#[test]
fn call_later_runs_in_deadline_order_at_exact_loop_times() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let t0 = ferrio::now();
        for (name, delay) in [("c", 300), ("a", 100), ("d", 400), ("b", 200)] {
            let l = l.clone();
            handle
                .call_later(delay * MS, move || push(&l, (name, since(t0))))
                .unwrap();
        }
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        assert_eq!(since(t0), Duration::from_secs(1));
    });
    assert_eq!(
        snapshot(&log),
        [
            ("a", 100 * MS),
            ("b", 200 * MS),
            ("c", 300 * MS),
            ("d", 400 * MS)
        ]
    );
}

#[test]
fn equal_deadlines_run_in_insertion_order() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let t0 = ferrio::now();
        // Interleave two deadlines; each group must keep insertion order.
        for i in 0..50 {
            let delay = if i % 2 == 0 { 20 * MS } else { 10 * MS };
            let l = l.clone();
            handle
                .call_later(delay, move || push(&l, (i, since(t0))))
                .unwrap();
        }
        ferrio::sleep(30 * MS).await.unwrap();
    });
    let log = snapshot(&log);
    let odd = (0..50).filter(|i| i % 2 == 1).map(|i| (i, 10 * MS));
    let even = (0..50).filter(|i| i % 2 == 0).map(|i| (i, 20 * MS));
    let expected: Vec<_> = odd.chain(even).collect();
    assert_eq!(log, expected);
}

#[test]
fn call_at_uses_absolute_loop_time() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let t0 = ferrio::now();
        let l1 = l.clone();
        let h1 = handle
            .call_at(t0 + 5 * MS, move || push(&l1, ferrio::now()))
            .unwrap();
        assert_eq!(h1.when(), t0 + 5 * MS);
        ferrio::sleep(2 * MS).await.unwrap();
        // A relative delay counts from now (t0 + 2 ms)...
        let l2 = l.clone();
        let h2 = handle
            .call_later(5 * MS, move || push(&l2, ferrio::now()))
            .unwrap();
        assert_eq!(h2.when(), t0 + 7 * MS);
        ferrio::sleep(10 * MS).await.unwrap();
        assert_eq!(snapshot(&l), [t0 + 5 * MS, t0 + 7 * MS]);
    });
}

#[test]
fn call_at_in_the_past_runs_on_the_next_iteration_without_moving_the_clock() {
    run_virtual(async {
        let handle = EventLoop::current();
        let t0 = ferrio::now();
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        let fired_at = Rc::new(Cell::new(None));
        let f = fired_at.clone();
        handle
            .call_at(t0, move || f.set(Some(ferrio::now())))
            .unwrap();
        ferrio::yield_now().await.unwrap();
        ferrio::yield_now().await.unwrap();
        assert_eq!(fired_at.get(), Some(t0 + Duration::from_secs(1)));
    });
}

#[test]
fn zero_delay_timer_runs_after_callbacks_already_ready() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let la = l.clone();
        handle.call_soon(move || push(&la, "soon-1")).unwrap();
        let lt = l.clone();
        handle
            .call_later(Duration::ZERO, move || push(&lt, "later-0"))
            .unwrap();
        let lb = l.clone();
        handle.call_soon(move || push(&lb, "soon-2")).unwrap();
        ferrio::sleep(MS).await.unwrap();
    });
    // As in asyncio: due timers join the ready queue behind what is
    // already there.
    assert_eq!(snapshot(&log), ["soon-1", "soon-2", "later-0"]);
}

#[test]
fn cancelled_timer_never_runs_and_its_closure_is_dropped_at_once() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let t0 = ferrio::now();
        let (drops, guard) = drop_counter();
        let l1 = l.clone();
        let doomed: TimerHandle = handle
            .call_later(10 * MS, move || {
                let _guard = &guard;
                push(&l1, "doomed");
            })
            .unwrap();
        let l2 = l.clone();
        let kept = handle
            .call_later(20 * MS, move || push(&l2, "kept"))
            .unwrap();
        assert!(!doomed.cancelled());
        doomed.cancel();
        assert!(doomed.cancelled());
        assert!(!kept.cancelled());
        assert_eq!(drops.get(), 1, "cancel() must release the closure");
        assert_eq!(doomed.when(), t0 + 10 * MS);
        ferrio::sleep(50 * MS).await.unwrap();
        assert_eq!(snapshot(&l), ["kept"]);
        // Cancelling after it ran is harmless.
        kept.cancel();
    });
}

#[test]
fn timer_cancelled_by_an_earlier_timer_with_the_same_deadline_does_not_run() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let slot: Rc<RefCell<Option<TimerHandle>>> = Rc::default();
        let (s, l1) = (slot.clone(), l.clone());
        handle
            .call_later(10 * MS, move || {
                push(&l1, "first");
                s.borrow().as_ref().unwrap().cancel();
            })
            .unwrap();
        let l2 = l.clone();
        *slot.borrow_mut() = Some(
            handle
                .call_later(10 * MS, move || push(&l2, "second"))
                .unwrap(),
        );
        ferrio::sleep(20 * MS).await.unwrap();
        assert_eq!(snapshot(&l), ["first"]);
    });
}

#[test]
fn timers_scheduled_from_timer_callbacks_chain_exactly() {
    let times = new_log();
    let t = times.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let t0 = ferrio::now();
        fn schedule(handle: ferrio::Handle, t0: Instant, log: Log<Duration>, left: u32) {
            let h = handle.clone();
            handle
                .call_later(Duration::from_millis(250), move || {
                    push(&log, since(t0));
                    if left > 1 {
                        schedule(h, t0, log, left - 1);
                    }
                })
                .unwrap();
        }
        schedule(handle, t0, t.clone(), 4);
        ferrio::sleep(Duration::from_secs(2)).await.unwrap();
    });
    assert_eq!(snapshot(&times), [250 * MS, 500 * MS, 750 * MS, 1000 * MS]);
}

#[test]
fn time_advances_exactly_on_the_virtual_clock() {
    run_virtual(async {
        let t0 = ferrio::now();
        assert_eq!(ferrio::now(), t0, "the virtual clock does not drift");
        ferrio::sleep(Duration::from_millis(1500)).await.unwrap();
        assert_eq!(since(t0), Duration::from_millis(1500));
        ferrio::sleep(Duration::from_micros(250)).await.unwrap();
        assert_eq!(since(t0), Duration::from_micros(1_500_250));
        ferrio::sleep_until(t0 + Duration::from_secs(3))
            .await
            .unwrap();
        assert_eq!(since(t0), Duration::from_secs(3));
        // Concurrent sleeps overlap: the total is the longest, not the sum.
        let a = ferrio::spawn(ferrio::sleep(Duration::from_secs(3)));
        let b = ferrio::spawn(ferrio::sleep(Duration::from_secs(5)));
        a.await.unwrap().unwrap();
        assert_eq!(since(t0), Duration::from_secs(6));
        b.await.unwrap().unwrap();
        assert_eq!(since(t0), Duration::from_secs(8));
    });
}

#[test]
fn one_hour_sleep_finishes_at_once_in_virtual_time() {
    let event_loop = virtual_loop();
    let t0 = event_loop.handle().time();
    event_loop
        .run_until_complete(ferrio::sleep(Duration::from_secs(3600)))
        .unwrap()
        .unwrap();
    assert_eq!(event_loop.handle().time() - t0, Duration::from_secs(3600));
}

#[test]
fn virtual_clock_stands_still_while_work_is_ready() {
    let fired = Rc::new(Cell::new(None));
    let f = fired.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let t0 = ferrio::now();
        handle
            .call_later(Duration::from_nanos(1), move || f.set(Some(since(t0))))
            .unwrap();
        // A busy task keeps the loop from ever being idle: the clock must
        // not jump, so the 1 ns timer cannot fire.
        for _ in 0..100 {
            ferrio::yield_now().await.unwrap();
            assert_eq!(ferrio::now(), t0);
        }
        assert_eq!(fired.get(), None);
        ferrio::sleep(MS).await.unwrap();
        assert_eq!(fired.get(), Some(Duration::from_nanos(1)));
    });
}

#[test]
fn timer_scheduled_on_an_idle_loop_fires_once_it_runs() {
    let event_loop = virtual_loop();
    let handle = event_loop.handle();
    let t0 = handle.time();
    let fired = Rc::new(Cell::new(None));
    let f = fired.clone();
    handle
        .call_later(Duration::from_secs(10), move || f.set(Some(ferrio::now())))
        .unwrap();
    event_loop
        .run_until_complete(ferrio::sleep(Duration::from_secs(20)))
        .unwrap()
        .unwrap();
    assert_eq!(fired.get(), Some(t0 + Duration::from_secs(10)));
}

#[test]
fn timer_callbacks_and_sleeping_tasks_due_together_run_in_insertion_order() {
    let log = new_log();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let deadline = ferrio::now() + 10 * MS;
        let l1 = l.clone();
        handle
            .call_at(deadline, move || push(&l1, "callback-1"))
            .unwrap();
        let l2 = l.clone();
        let sleeper = ferrio::spawn(async move {
            ferrio::sleep_until(deadline).await.unwrap();
            push(&l2, "task");
        });
        // Let the task register its timer before the second callback.
        ferrio::yield_now().await.unwrap();
        let l3 = l.clone();
        handle
            .call_at(deadline, move || push(&l3, "callback-2"))
            .unwrap();
        sleeper.await.unwrap();
        ferrio::yield_now().await.unwrap();
    });
    assert_eq!(snapshot(&log), ["callback-1", "task", "callback-2"]);
}
