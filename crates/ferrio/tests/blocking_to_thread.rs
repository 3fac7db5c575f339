//! `to_thread`: results, panics, cancellation, the virtual clock, and the
//! loop's default pool.
//!
//! Work runs on real threads, so each test runs under a watchdog (a bound
//! against hangs, never a timing assertion). Threads are sequenced with
//! std channels, never with sleeps.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::*;
use ferrio::blocking::{self, BlockingError, Offload, ThreadPool};

/// Counts its drops (across threads) and announces each, with the thread
/// it happened on, on a channel.
#[derive(Debug)]
struct Tracked {
    drops: Arc<AtomicUsize>,
    dropped: mpsc::Sender<std::thread::ThreadId>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        let _ = self.dropped.send(std::thread::current().id());
    }
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn returns_the_result_of_the_function() {
    let (value, thread) = on_thread_with_watchdog(|| {
        run_virtual(async {
            let here = std::thread::current().id();
            let there = ferrio::to_thread(|| std::thread::current().id())
                .await
                .unwrap();
            let value = ferrio::to_thread(|| "x".repeat(3)).await.unwrap();
            (value, here != there)
        })
    });
    assert_eq!(value, "xxx");
    assert!(thread, "the function ran on another thread");
}

#[test]
fn the_future_is_send_and_lazy() {
    on_thread_with_watchdog(|| {
        run_virtual(async {
            let ran = Arc::new(AtomicUsize::new(0));
            let r = ran.clone();
            let future = ferrio::to_thread(move || r.fetch_add(1, Ordering::SeqCst));
            assert_send(&future);
            // Not polled: nothing was queued.
            assert_eq!(blocking::default_pool().statistics().threads_started, 0);
            drop(future);
            assert_eq!(blocking::default_pool().statistics().threads_started, 0);
            assert_eq!(ran.load(Ordering::SeqCst), 0);
        })
    });
}

#[test]
fn a_panic_comes_back_as_a_typed_error_and_the_loop_runs_on() {
    on_thread_with_watchdog(|| {
        let (event_loop, reports) = loop_with_reports();
        event_loop
            .run_until_complete(async {
                let bystander = ferrio::spawn(async {
                    ferrio::sleep(Duration::from_secs(1)).await.unwrap();
                    "still running"
                });
                let err = ferrio::to_thread(|| -> u8 { panic!("disk on fire") })
                    .await
                    .unwrap_err();
                let BlockingError::Panicked(panic) = &err else {
                    panic!("expected a panic, got {err:?}");
                };
                assert_eq!(panic.message(), "disk on fire");
                assert!(err.to_string().contains("disk on fire"), "{err}");
                assert!(err.is_panic() && !err.is_cancelled());
                // The pool and the loop are both fine.
                assert_eq!(ferrio::to_thread(|| 1 + 1).await.unwrap(), 2);
                assert_eq!(bystander.await.unwrap(), "still running");
            })
            .unwrap();
        assert!(
            reports.borrow().is_empty(),
            "a retrieved panic is not reported"
        );
    });
}

#[test]
fn the_panic_payload_can_be_resumed() {
    on_thread_with_watchdog(|| {
        run_virtual(async {
            let err = ferrio::to_thread(|| std::panic::panic_any(7u32))
                .await
                .unwrap_err();
            let BlockingError::Panicked(panic) = err else {
                panic!("expected a panic")
            };
            assert_eq!(panic.message(), "<non-string panic payload>");
            assert_eq!(panic.into_panic().downcast_ref::<u32>(), Some(&7));
        })
    });
}

#[test]
fn cancelling_the_awaiter_returns_at_once_and_drops_the_result_on_the_worker() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (dropped_tx, dropped_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let d = drops.clone();
    let loop_thread = on_thread_with_watchdog(move || {
        run_virtual(async move {
            let job_drops = d.clone();
            let waiter = ferrio::spawn(async move {
                let outcome = ferrio::to_thread(move || {
                    started_tx.send(()).unwrap();
                    release_rx.recv_timeout(GUARD).unwrap();
                    Tracked {
                        drops: job_drops,
                        dropped: dropped_tx,
                    }
                })
                .await;
                // Swallow the cancellation, report what the await gave.
                matches!(outcome, Err(BlockingError::Cancelled(_)))
            });
            // Wait (off the loop) until the job runs, then cancel.
            ferrio::to_thread(move || started_rx.recv_timeout(GUARD).unwrap())
                .await
                .unwrap();
            assert!(waiter.cancel());
            assert!(waiter.await.unwrap(), "the await gave Cancelled");
            // The job is still blocked: nothing was dropped yet.
            assert_eq!(d.load(Ordering::SeqCst), 0);
            std::thread::current().id()
        })
    });
    // The loop is gone; now let the job finish. Its result is dropped on
    // the worker thread, exactly once.
    release_tx.send(()).unwrap();
    let dropped_on = dropped_rx
        .recv_timeout(GUARD)
        .expect("the result was dropped");
    assert_ne!(
        dropped_on, loop_thread,
        "dropped on the worker, not the loop"
    );
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert!(dropped_rx.try_recv().is_err(), "dropped once");
}

#[test]
fn the_cancelled_await_ends_the_task_cancelled() {
    on_thread_with_watchdog(|| {
        run_virtual(async {
            let (release_tx, release_rx) = mpsc::channel::<()>();
            let waiter = ferrio::spawn(async move {
                let _released = ferrio::to_thread(move || release_rx.recv_timeout(GUARD))
                    .await
                    .map_err(|e| match e {
                        BlockingError::Cancelled(c) => c,
                        other => panic!("unexpected {other}"),
                    })?;
                Ok::<_, ferrio::Cancelled>(())
            });
            ferrio::yield_now().await.unwrap();
            waiter.cancel();
            assert!(waiter.await.unwrap_err().is_cancelled());
            release_tx.send(()).unwrap();
        })
    });
}

#[test]
fn a_job_cancelled_before_it_starts_never_runs() {
    on_thread_with_watchdog(|| {
        run_virtual(async {
            let pool = ThreadPool::builder().max_threads(1).build();
            blocking::set_default_pool(pool.clone());
            let (release_tx, release_rx) = mpsc::channel::<()>();
            let (started_tx, started_rx) = mpsc::channel::<()>();
            // Occupy the only thread (blocking the loop thread to wait for
            // that is fine here: nothing else needs the loop).
            let busy = pool.spawn(move || {
                started_tx.send(()).unwrap();
                release_rx.recv_timeout(GUARD).unwrap();
            });
            started_rx.recv_timeout(GUARD).unwrap();
            let ran = Arc::new(AtomicUsize::new(0));
            let r = ran.clone();
            let queued = ferrio::spawn(ferrio::to_thread(move || {
                r.fetch_add(1, Ordering::SeqCst);
            }));
            ferrio::yield_now().await.unwrap();
            assert_eq!(pool.statistics().queued, 1, "the second job waits");
            queued.cancel();
            assert!(queued.await.unwrap_err().is_cancelled());
            release_tx.send(()).unwrap();
            busy.await.unwrap();
            // Wait until the worker has gone through the queue.
            ferrio::to_thread(|| ()).await.unwrap();
            assert_eq!(
                ran.load(Ordering::SeqCst),
                0,
                "the cancelled job was skipped"
            );
        })
    });
}

#[test]
fn the_virtual_clock_waits_for_work_in_flight() {
    let log = on_thread_with_watchdog(|| {
        run_virtual(async {
            let log = new_log();
            let l = log.clone();
            let t0 = ferrio::now();
            let sleeper = ferrio::spawn(async move {
                ferrio::sleep(Duration::from_secs(3600)).await.unwrap();
                push(&l, "slept an hour");
            });
            // The job needs another thread to let it go: the loop is idle
            // meanwhile, with a timer pending.
            let (tx, rx) = mpsc::channel::<u32>();
            let helper = std::thread::spawn(move || tx.send(5).unwrap());
            let v = ferrio::to_thread(move || rx.recv_timeout(GUARD).unwrap())
                .await
                .unwrap();
            push(&log, "to_thread done");
            assert_eq!(v, 5);
            assert_eq!(since(t0), Duration::ZERO, "the clock did not jump");
            sleeper.await.unwrap();
            assert_eq!(since(t0), Duration::from_secs(3600));
            helper.join().unwrap();
            snapshot(&log)
        })
    });
    assert_eq!(log, ["to_thread done", "slept an hour"]);
}

#[test]
fn wait_for_gives_the_job_the_time_it_needs_on_a_virtual_clock() {
    on_thread_with_watchdog(|| {
        run_virtual(async {
            let (tx, rx) = mpsc::channel::<()>();
            let helper = std::thread::spawn(move || tx.send(()).unwrap());
            let out = ferrio::wait_for(
                Duration::from_secs(1),
                ferrio::to_thread(move || rx.recv_timeout(GUARD).is_ok()),
            )
            .await;
            assert!(matches!(out, Ok(Ok(true))), "{out:?}");
            helper.join().unwrap();
        })
    });
}

#[test]
fn a_finished_but_unpolled_job_releases_the_clock() {
    // An eagerly started job that nobody awaits must not freeze the
    // virtual clock once it is done.
    on_thread_with_watchdog(|| {
        run_virtual(async {
            let pool = ThreadPool::builder().max_threads(1).build();
            let (done_tx, done_rx) = mpsc::channel::<()>();
            let job = pool.spawn(move || done_tx.send(()).unwrap());
            ferrio::to_thread(move || done_rx.recv_timeout(GUARD).unwrap())
                .await
                .unwrap();
            // `job` is finished and still alive: the clock must move.
            let t0 = ferrio::now();
            ferrio::sleep(Duration::from_secs(60)).await.unwrap();
            assert_eq!(since(t0), Duration::from_secs(60));
            assert!(job.is_finished());
            job.await.unwrap();
        })
    });
}

#[test]
fn the_loop_stays_responsive_while_a_job_blocks() {
    on_thread_with_watchdog(|| {
        ferrio::run(async {
            let (tx, rx) = mpsc::channel::<()>();
            let blocked = ferrio::spawn(ferrio::to_thread(move || rx.recv_timeout(GUARD)));
            let mut turns = 0;
            while turns < 100 {
                ferrio::yield_now().await.unwrap();
                turns += 1;
            }
            assert!(!blocked.done());
            tx.send(()).unwrap();
            blocked.await.unwrap().unwrap().unwrap();
        })
        .unwrap()
    });
}

#[test]
fn the_default_pool_is_per_loop_and_created_lazily() {
    on_thread_with_watchdog(|| {
        let a = virtual_loop();
        let b = virtual_loop();
        let pool_a = a
            .run_until_complete(async {
                let pool = blocking::default_pool();
                assert_eq!(pool.statistics().threads_started, 0);
                ferrio::to_thread(|| ()).await.unwrap();
                assert_eq!(pool.statistics().threads_started, 1);
                pool
            })
            .unwrap();
        b.run_until_complete(async move {
            let pool_b = blocking::default_pool();
            assert_eq!(pool_b.statistics().threads_started, 0, "B has its own pool");
            assert_eq!(pool_a.statistics().threads_started, 1);
        })
        .unwrap();
    });
}

#[test]
fn to_thread_after_the_default_pool_is_shut_down_is_refused() {
    on_thread_with_watchdog(|| {
        run_virtual(async {
            blocking::default_pool().shutdown().unwrap();
            let err = ferrio::to_thread(|| ()).await.unwrap_err();
            assert!(matches!(err, BlockingError::ShutDown), "{err:?}");
            assert!(err.to_string().contains("shut down"));
        })
    });
}

#[test]
fn offload_debug_shows_its_stage() {
    on_thread_with_watchdog(|| {
        run_virtual(async {
            let lazy: Offload<()> = ferrio::to_thread(|| ());
            assert!(format!("{lazy:?}").contains("not started"), "{lazy:?}");
            lazy.await.unwrap();
        })
    });
}
