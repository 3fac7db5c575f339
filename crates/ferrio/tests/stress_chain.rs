//! Stress: a chain of 100,000 tasks, each spawning the next and awaiting
//! it: the innermost result travels back up the chain, every task
//! completes, and nothing recurses (spawn, completion, wake-up and drop are
//! all iterative).

use std::future::Future;
use std::pin::Pin;

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
