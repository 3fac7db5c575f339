//! Stress: a chain of 100,000 tasks, each spawning the next and awaiting
//! it: the innermost result travels back up the chain, every task
//! completes, and nothing recurses (spawn, completion, wake-up and drop are
//! all iterative).

use std::future::Future;
use std::pin::Pin;

use ferrio::sync::Event;
use ferrio::EventLoop;

const DEPTH: u64 = 100_000;

/// One task of the chain: `left` more below it; returns how many tasks ran
/// from here down.
fn link(left: u64) -> Pin<Box<dyn Future<Output = u64>>> {
    Box::pin(async move {
        if left == 0 {
            1
        } else {
            ferrio::spawn(link(left - 1)).await.unwrap() + 1
        }
    })
}

#[test]
fn a_chain_of_a_hundred_thousand_tasks_each_awaiting_the_next() {
    let event_loop = EventLoop::builder().virtual_clock(true).build().unwrap();
    let ran = event_loop
        .run_until_complete(async {
            let ran = ferrio::spawn(link(DEPTH - 1)).await.unwrap();
            assert_eq!(ferrio::task::all().len(), 1, "only the main task is left");
            ran
        })
        .unwrap();
    assert_eq!(ran, DEPTH);
}

/// One task of a chain whose innermost task sets `bottom` and sleeps for an
/// hour; each propagates a cancellation coming back from below.
fn cancellable_link(
    left: u64,
    bottom: Event,
) -> Pin<Box<dyn Future<Output = Result<u64, ferrio::Cancelled>>>> {
    Box::pin(async move {
        if left == 0 {
            bottom.set();
            ferrio::sleep(std::time::Duration::from_secs(3600)).await?;
            Ok(1)
        } else {
            match ferrio::spawn(cancellable_link(left - 1, bottom)).await {
                Ok(below) => Ok(below? + 1),
                Err(ferrio::JoinError::Cancelled(c)) => Err(c),
                Err(e) => panic!("{e}"),
            }
        }
    })
}

/// Cancelling the top of the chain follows the await chain down to the
/// innermost task, and every task ends cancelled on the way back up —
/// iteratively, through the run queue.
#[test]
fn cancelling_the_top_of_a_hundred_thousand_deep_chain_reaches_the_bottom() {
    let event_loop = EventLoop::builder().virtual_clock(true).build().unwrap();
    event_loop
        .run_until_complete(async {
            let bottom = Event::new();
            let top = ferrio::spawn(cancellable_link(DEPTH - 1, bottom.clone()));
            bottom.wait().await.unwrap();
            assert_eq!(ferrio::task::all().len(), DEPTH as usize + 1);
            let t0 = ferrio::now();
            top.cancel();
            assert!(top.await.unwrap_err().is_cancelled());
            assert_eq!(
                ferrio::now(),
                t0,
                "the innermost sleep was cancelled, not waited for"
            );
            assert_eq!(
                ferrio::task::all().len(),
                1,
                "every task of the chain finished"
            );
        })
        .unwrap();
}
