//! The end of a loop and its default pool: `Runner::close` (and so
//! `ferrio::run`) waits for jobs still running, up to the pool's bound, as
//! asyncio's `Runner.close()` does with `shutdown_default_executor()`.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::*;
use ferrio::blocking::{self, ThreadPool};
use ferrio::{Cancelled, EventLoop, Runner};

#[test]
fn runner_close_waits_for_a_job_in_flight() {
    let (finished, loop_closed_when_done) = on_thread_with_watchdog(|| {
        let finished = Arc::new(AtomicBool::new(false));
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (seen_tx, seen_rx) = mpsc::channel::<bool>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let runner = Runner::new().unwrap();
        let remote = runner.handle().threadsafe();
        let f = finished.clone();
        runner
            .run(async move {
                // A job that can only finish once the shutdown has begun:
                // its go-ahead comes from a task's cancellation cleanup.
                ferrio::spawn(ferrio::to_thread(move || {
                    started_tx.send(()).unwrap();
                    go_rx.recv_timeout(GUARD).unwrap();
                    seen_tx.send(remote.is_closed()).unwrap();
                    f.store(true, Ordering::SeqCst);
                }))
                .detach();
                ferrio::spawn(async move {
                    if let Err(c) = ferrio::sleep(Duration::from_secs(3600)).await {
                        go_tx.send(()).unwrap();
                        return Err::<(), Cancelled>(c);
                    }
                    Ok(())
                })
                .detach();
                ferrio::to_thread(move || started_rx.recv_timeout(GUARD).unwrap())
                    .await
                    .unwrap();
            })
            .unwrap();
        runner.close().unwrap();
        (
            finished.load(Ordering::SeqCst),
            seen_rx.recv_timeout(GUARD).unwrap(),
        )
    });
    assert!(finished, "close returned only after the job finished");
    assert!(!loop_closed_when_done, "the loop was closed after the job");
}

#[test]
fn runner_close_gives_up_at_the_pool_bound() {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    on_thread_with_watchdog(move || {
        let runner = Runner::new().unwrap();
        runner
            .run(async move {
                blocking::set_default_pool(
                    ThreadPool::builder()
                        .shutdown_timeout(Duration::from_millis(1))
                        .build(),
                );
                let (started_tx, started_rx) = mpsc::channel::<()>();
                ferrio::spawn(ferrio::to_thread(move || {
                    started_tx.send(()).unwrap();
                    release_rx.recv_timeout(GUARD).unwrap();
                    f.store(true, Ordering::SeqCst);
                    done_tx.send(()).unwrap();
                }))
                .detach();
                ferrio::to_thread(move || started_rx.recv_timeout(GUARD).unwrap())
                    .await
                    .unwrap();
            })
            .unwrap();
        // The job is blocked until we release it, below: close must give
        // up at the bound and detach it.
        runner.close().unwrap();
    });
    assert!(
        !finished.load(Ordering::SeqCst),
        "the job runs on, detached"
    );
    release_tx.send(()).unwrap();
    done_rx.recv_timeout(GUARD).unwrap();
    assert!(finished.load(Ordering::SeqCst));
}

#[test]
fn ferrio_run_waits_for_a_detached_job() {
    let finished = on_thread_with_watchdog(|| {
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        ferrio::run(async move {
            // Started and left running; the helper below lets it go only
            // once it has started.
            let _job = blocking::default_pool().spawn(move || {
                started_tx.send(()).unwrap();
                go_rx.recv_timeout(GUARD).unwrap();
                f.store(true, Ordering::SeqCst);
            });
            std::thread::spawn(move || {
                started_rx.recv_timeout(GUARD).unwrap();
                go_tx.send(()).unwrap();
            });
        })
        .unwrap();
        finished.load(Ordering::SeqCst)
    });
    assert!(finished);
}

#[test]
fn closing_a_bare_loop_does_not_wait() {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    on_thread_with_watchdog(move || {
        let event_loop = EventLoop::new().unwrap();
        event_loop
            .run_until_complete(async move {
                let (started_tx, started_rx) = mpsc::channel::<()>();
                ferrio::spawn(ferrio::to_thread(move || {
                    started_tx.send(()).unwrap();
                    release_rx.recv_timeout(GUARD).unwrap();
                    f.store(true, Ordering::SeqCst);
                    done_tx.send(()).unwrap();
                }))
                .detach();
                ferrio::to_thread(move || started_rx.recv_timeout(GUARD).unwrap())
                    .await
                    .unwrap();
            })
            .unwrap();
        event_loop.close().unwrap();
    });
    assert!(!finished.load(Ordering::SeqCst));
    release_tx.send(()).unwrap();
    done_rx.recv_timeout(GUARD).unwrap();
}
