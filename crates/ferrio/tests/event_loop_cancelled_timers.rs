//! A cancelled timer no longer decides when the loop wakes: a cancelled
//! `call_later`, or a `sleep` dropped early, neither sets the poll timeout
//! nor moves the virtual clock. And a deadline too far to reach
//! (`Duration::MAX`) means never: `sleep` waits until cancelled.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use common::*;
use ferrio::{EventLoop, RunError};

const HOUR: Duration = Duration::from_secs(3600);

/// Runs `setup` as the main task of a virtual-clock loop, then leaves the
/// loop idle until another thread stops it, and returns how far the clock
/// moved meanwhile. An idle virtual clock jumps to the next live deadline,
/// so this is the deadline the loop would have woken for — zero if none.
fn clock_moved_while_idle(setup: impl Future<Output = ()> + 'static) -> Duration {
    moved_while_idle(&virtual_loop(), setup)
}

/// [`clock_moved_while_idle`] on a given loop.
fn moved_while_idle(event_loop: &EventLoop, setup: impl Future<Output = ()> + 'static) -> Duration {
    let handle = event_loop.handle();
    let remote = handle.threadsafe();
    let t0 = handle.time();
    let outcome = event_loop.run_until_complete(async move {
        setup.await;
        // Stopped from another thread once the loop blocks in its poll:
        // by then an idle virtual clock has jumped to whatever deadline the
        // loop still counts.
        // SAFETY: `gettid` has no preconditions.
        let loop_thread = unsafe { libc::gettid() };
        std::thread::spawn(move || {
            wait_until_blocked(loop_thread);
            remote.stop().unwrap();
        });
        std::future::pending::<()>().await
    });
    assert!(matches!(outcome, Err(RunError::Stopped)), "{outcome:?}");
    handle.time() - t0
}

/// Waits until the thread `tid` of this process sleeps in the kernel (the
/// loop's only sleep is its poll), reading `/proc`. Gives up after a
/// bounded number of looks: the test then fails on its assertions rather
/// than hangs.
fn wait_until_blocked(tid: libc::pid_t) {
    let path = format!("/proc/self/task/{tid}/stat");
    for _ in 0..1_000_000 {
        let stat = std::fs::read_to_string(&path).unwrap_or_default();
        // The state follows the parenthesised command name.
        let state = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next());
        if state == Some('S') {
            return;
        }
        std::thread::yield_now();
    }
}

/// Polls `future` once with a no-op waker, then drops it.
fn poll_once_and_drop<F: Future>(future: F) {
    let mut future = Box::pin(future);
    let waker = std::task::Waker::noop();
    let _ = Pin::new(&mut future).poll(&mut Context::from_waker(waker));
}

#[test]
fn the_virtual_clock_does_not_jump_to_a_cancelled_call_later() {
    let moved = clock_moved_while_idle(async {
        let timer = EventLoop::current()
            .call_later(HOUR, || panic!("a cancelled callback ran"))
            .unwrap();
        timer.cancel();
    });
    assert_eq!(moved, Duration::ZERO);
}

#[test]
fn the_virtual_clock_does_not_jump_to_a_sleep_dropped_early() {
    let moved = clock_moved_while_idle(async {
        // A registered sleep, dropped: its timer is gone.
        std::future::poll_fn(|cx| {
            let mut sleep = Box::pin(ferrio::sleep(HOUR));
            assert!(sleep.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
    });
    assert_eq!(moved, Duration::ZERO);
}

#[test]
fn a_sleep_dropped_while_its_loop_is_not_running_removes_its_timer() {
    let event_loop = virtual_loop();
    let handle = event_loop.handle();
    let t0 = handle.time();
    let mut sleep = Box::pin(ferrio::sleep(HOUR));
    event_loop
        .run_until_complete(std::future::poll_fn(|cx| {
            assert!(sleep.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        }))
        .unwrap();
    // Dropped between two runs, on the loop's thread.
    drop(sleep);
    event_loop
        .run_until_complete(ferrio::sleep(Duration::from_secs(1)))
        .unwrap()
        .unwrap();
    assert_eq!(handle.time() - t0, Duration::from_secs(1));
    assert_eq!(moved_while_idle(&event_loop, async {}), Duration::ZERO);
}

#[test]
fn a_live_timer_still_moves_the_clock_past_cancelled_ones() {
    run_virtual(async {
        let t0 = ferrio::now();
        let handle = EventLoop::current();
        let cancelled: Vec<_> = (1..=100)
            .map(|i| handle.call_later(i * Duration::from_secs(1), || panic!("cancelled")))
            .collect::<Result<_, _>>()
            .unwrap();
        for timer in &cancelled {
            timer.cancel();
            assert!(timer.cancelled());
        }
        for _ in 0..100 {
            poll_once_and_drop(ferrio::sleep(Duration::from_secs(7)));
        }
        ferrio::sleep(HOUR).await.unwrap();
        assert_eq!(since(t0), HOUR);
    });
}

#[test]
fn sleep_duration_max_waits_until_cancelled() {
    let event_loop = virtual_loop();
    let handle = event_loop.handle();
    let t0 = handle.time();
    let moved = moved_while_idle(&event_loop, async {
        ferrio::spawn(ferrio::sleep(Duration::MAX)).detach();
        ferrio::yield_now().await.unwrap();
    });
    // Idle with nothing but the endless sleep: the clock stayed put.
    assert_eq!(moved, Duration::ZERO);
    let outcome = event_loop
        .run_until_complete(async {
            let sleeper = ferrio::spawn(ferrio::sleep(Duration::MAX));
            ferrio::sleep(HOUR).await.unwrap();
            assert!(!sleeper.done(), "a sleep of Duration::MAX ended by itself");
            sleeper.cancel();
            sleeper.await
        })
        .unwrap();
    assert!(
        outcome.unwrap_err().is_cancelled(),
        "the sleep ends only by cancellation"
    );
    assert_eq!(handle.time() - t0, HOUR);
}

#[test]
fn call_later_duration_max_never_runs_and_never_moves_the_clock() {
    let moved = clock_moved_while_idle(async {
        let handle = EventLoop::current();
        let timer = handle
            .call_later(Duration::MAX, || panic!("ran after forever"))
            .unwrap();
        assert!(timer.when() > ferrio::now() + 365 * 24 * HOUR);
    });
    assert_eq!(moved, Duration::ZERO);
}

#[test]
fn a_timeout_of_duration_max_never_expires() {
    let moved = clock_moved_while_idle(async {
        ferrio::spawn(ferrio::timeout(Duration::MAX, std::future::pending::<()>())).detach();
        ferrio::yield_now().await.unwrap();
    });
    assert_eq!(moved, Duration::ZERO);
}
