//! Cancelled timers give their memory back at once, not at their deadline:
//! `call_later` handles cancelled, `sleep`s dropped early. Its own binary:
//! it installs a counting global allocator.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use counting_alloc::{exclusive, live_bytes};
use ferrio::EventLoop;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

const TIMERS: usize = 100_000;
const HOUR: Duration = Duration::from_secs(3600);

/// Heap growth the tests accept: far below one byte per timer (a timer
/// kept costs about a hundred).
const SLACK: isize = 16 * 1024;

#[test]
fn cancelled_call_later_handles_give_their_memory_back() {
    let _only_us = exclusive();
    let event_loop = EventLoop::builder().virtual_clock(true).build().unwrap();
    let handle = event_loop.handle();
    event_loop
        .run_until_complete(async {
            let baseline = live_bytes();
            let timers: Vec<_> = (0..TIMERS)
                .map(|i| {
                    handle
                        .call_later(HOUR, move || assert!(i < TIMERS))
                        .unwrap()
                })
                .collect();
            let peak = live_bytes() - baseline;
            for timer in &timers {
                timer.cancel();
            }
            drop(timers);
            let kept = live_bytes() - baseline;
            assert!(
                kept < SLACK,
                "{TIMERS} cancelled timers keep {kept} bytes (they took {peak})"
            );
            // And the loop still runs timers.
            ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        })
        .unwrap();
}

#[test]
fn sleeps_dropped_early_give_their_memory_back() {
    let _only_us = exclusive();
    let event_loop = EventLoop::builder().virtual_clock(true).build().unwrap();
    event_loop
        .run_until_complete(async {
            let baseline = live_bytes();
            let mut sleeps: Vec<_> = (0..TIMERS).map(|_| Box::pin(ferrio::sleep(HOUR))).collect();
            // Register every timer, then drop the sleeps.
            std::future::poll_fn(|cx: &mut Context<'_>| {
                for sleep in &mut sleeps {
                    assert!(Pin::new(sleep).poll(cx).is_pending());
                }
                Poll::Ready(())
            })
            .await;
            let peak = live_bytes() - baseline;
            drop(sleeps);
            let kept = live_bytes() - baseline;
            assert!(
                kept < SLACK,
                "{TIMERS} dropped sleeps keep {kept} bytes (they took {peak})"
            );
        })
        .unwrap();
}
