//! The CPU pool (`spawn_cpu`, `run_cpu`) over rayon: results, panics that
//! come back as typed errors instead of aborting the process, cancellation.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use common::*;
use ferrio::blocking::{run_cpu, spawn_cpu, BlockingError};

#[test]
fn run_cpu_returns_the_result() {
    let v = on_thread_with_watchdog(|| {
        run_virtual(async { run_cpu(|| (1..=100u64).sum::<u64>()).await.unwrap() })
    });
    assert_eq!(v, 5050);
}

#[test]
fn spawn_cpu_starts_at_once_and_works_outside_a_loop() {
    let (tx, rx) = mpsc::channel();
    // No loop on this thread: the job starts anyway.
    let job = spawn_cpu(move || {
        tx.send(()).unwrap();
        "computed"
    });
    rx.recv_timeout(GUARD)
        .expect("the job ran without being polled");
    let out = on_thread_with_watchdog(move || run_virtual(job).unwrap());
    assert_eq!(out, "computed");
}

#[test]
fn many_jobs_spread_over_the_pool() {
    let total = on_thread_with_watchdog(|| {
        run_virtual(async {
            let jobs: Vec<_> = (0..16u64)
                .map(|i| spawn_cpu(move || (i * 100..(i + 1) * 100).sum::<u64>()))
                .collect();
            let mut total = 0;
            for job in jobs {
                total += job.await.unwrap();
            }
            total
        })
    });
    assert_eq!(total, (0..1600u64).sum::<u64>());
}

#[test]
fn a_panic_comes_back_as_a_typed_error_and_the_process_survives() {
    on_thread_with_watchdog(|| {
        run_virtual(async {
            let err = run_cpu(|| -> u32 { panic!("overflow in stage {}", 3) })
                .await
                .unwrap_err();
            let BlockingError::Panicked(p) = &err else {
                panic!("expected a panic, got {err:?}")
            };
            assert_eq!(p.message(), "overflow in stage 3");
            // The pool still works.
            assert_eq!(run_cpu(|| 2 * 21).await.unwrap(), 42);
        })
    });
}

#[test]
fn cancelling_the_awaiter_returns_at_once_and_the_job_finishes_alone() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    #[derive(Debug)]
    struct Output(Arc<AtomicUsize>, mpsc::Sender<()>);
    impl Drop for Output {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
            let _ = self.1.send(());
        }
    }
    let d = drops.clone();
    on_thread_with_watchdog(move || {
        run_virtual(async move {
            let waiter = ferrio::spawn(run_cpu(move || {
                started_tx.send(()).unwrap();
                release_rx.recv_timeout(GUARD).unwrap();
                Output(d, done_tx)
            }));
            ferrio::to_thread(move || started_rx.recv_timeout(GUARD).unwrap())
                .await
                .unwrap();
            waiter.cancel();
            // The task returned the `Cancelled` it was given: it ended
            // cancelled.
            assert!(waiter.await.unwrap_err().is_cancelled());
        })
    });
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    release_tx.send(()).unwrap();
    done_rx.recv_timeout(GUARD).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn run_cpu_is_lazy() {
    // The closure owns a guard: if the job had been handed to rayon, it
    // would not be dropped right here by dropping the future.
    struct Guard(Arc<AtomicUsize>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let count = Arc::new(AtomicUsize::new(0));
    let guard = Guard(count.clone());
    let job = run_cpu(move || {
        let _guard = &guard;
    });
    assert_eq!(count.load(Ordering::SeqCst), 0);
    drop(job);
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "never submitted, dropped with the future"
    );
}
