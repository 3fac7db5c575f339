//! Stress: 1,000,000 timers created and cancelled give their memory back
//! (`call_later(1 h)` handles and `sleep(1 h)` timers dropped early), and
//! leave the loop's clock and timers working. Its own binary: it installs a
//! counting global allocator.

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

const TIMERS: usize = 1_000_000;
const HOUR: Duration = Duration::from_secs(3600);

/// Far below one byte per timer: a timer kept costs about a hundred.
const SLACK: isize = 64 * 1024;

#[test]
fn a_million_cancelled_call_later_handles_give_their_memory_back() {
    let _only_us = exclusive();
    let event_loop = EventLoop::builder().virtual_clock(true).build().unwrap();
    let handle = event_loop.handle();
    event_loop
        .run_until_complete(async {
            let t0 = ferrio::now();
            let baseline = live_bytes();
            let timers: Vec<_> = (0..TIMERS)
                .map(|_| {
                    handle
                        .call_later(HOUR, || panic!("a cancelled timer ran"))
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
                "{TIMERS} cancelled timers keep {kept} bytes (took {peak})"
            );
            ferrio::sleep(Duration::from_secs(1)).await.unwrap();
            assert_eq!(ferrio::now() - t0, Duration::from_secs(1));
        })
        .unwrap();
}

#[test]
fn a_million_sleeps_dropped_early_give_their_memory_back() {
    let _only_us = exclusive();
    let event_loop = EventLoop::builder().virtual_clock(true).build().unwrap();
    event_loop
        .run_until_complete(async {
            let baseline = live_bytes();
            let mut sleeps: Vec<_> = (0..TIMERS).map(|_| ferrio::sleep(HOUR)).collect();
            std::future::poll_fn(|cx: &mut Context<'_>| {
                for sleep in &mut sleeps {
                    // `Sleep` is `Unpin`.
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
                "{TIMERS} dropped sleeps keep {kept} bytes (took {peak})"
            );
        })
        .unwrap();
}
