//! Stress: 10 threads × 100,000 `call_soon_threadsafe` callbacks while the
//! loop runs: every callback runs, once, on the loop's thread, and each
//! thread's callbacks run in the order it sent them.

mod common;

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use ferrio::EventLoop;

const THREADS: usize = 10;
const PER_THREAD: usize = 100_000;

thread_local! {
    /// Per sending thread, the last index seen (on the loop thread).
    static SEEN: RefCell<Vec<Option<usize>>> = RefCell::new(vec![None; THREADS]);
}

#[test]
fn ten_threads_times_a_hundred_thousand_threadsafe_callbacks() {
    let (ran, out_of_order) = on_thread_with_watchdog(|| {
        let ran = Arc::new(AtomicUsize::new(0));
        let out_of_order = Arc::new(AtomicUsize::new(0));
        let (r, o) = (ran.clone(), out_of_order.clone());
        virtual_loop()
            .run_until_complete(async move {
                let remote = EventLoop::current().threadsafe();
                let senders: Vec<_> = (0..THREADS)
                    .map(|t| {
                        let (remote, r, o) = (remote.clone(), r.clone(), o.clone());
                        std::thread::spawn(move || {
                            for i in 0..PER_THREAD {
                                let (r, o) = (r.clone(), o.clone());
                                remote
                                    .call_soon_threadsafe(move || {
                                        SEEN.with_borrow_mut(|seen| {
                                            let expected = seen[t].map_or(0, |last| last + 1);
                                            if i != expected {
                                                o.fetch_add(1, Ordering::Relaxed);
                                            }
                                            seen[t] = Some(i);
                                        });
                                        r.fetch_add(1, Ordering::Relaxed);
                                    })
                                    .unwrap();
                            }
                        })
                    })
                    .collect();
                // Keep the loop turning until everything ran.
                while r.load(Ordering::Relaxed) < THREADS * PER_THREAD {
                    ferrio::yield_now().await.unwrap();
                }
                for sender in senders {
                    sender.join().unwrap();
                }
            })
            .unwrap();
        (
            ran.load(Ordering::Relaxed),
            out_of_order.load(Ordering::Relaxed),
        )
    });
    assert_eq!(ran, THREADS * PER_THREAD);
    assert_eq!(out_of_order, 0, "callbacks of one thread ran out of order");
}
