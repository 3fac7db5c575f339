//! `ThreadsafeHandle::submit` (asyncio's `run_coroutine_threadsafe`): a
//! `Send` future run on another thread's loop, waited for from a plain
//! thread or awaited from another loop.
//!
//! Loops run on real threads; they are sequenced with std channels, and
//! every wait on the wall clock is a hang guard, never a timing assertion.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::{JoinHandle, ThreadId};
use std::time::Duration;

use common::*;
use ferrio::submit::{SubmitError, Submitted};
use ferrio::{Cancelled, EventLoop, RunError, ThreadsafeHandle};

/// A real-clock loop serving on its own thread until stopped.
struct Server {
    remote: ThreadsafeHandle,
    thread: JoinHandle<()>,
}

impl Server {
    fn start() -> Server {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let event_loop = EventLoop::new().unwrap();
            let outcome = event_loop.run_until_complete(async move {
                tx.send(EventLoop::current().threadsafe()).unwrap();
                std::future::pending::<()>().await
            });
            assert!(matches!(outcome, Err(RunError::Stopped)), "{outcome:?}");
        });
        let remote = rx.recv_timeout(GUARD).expect("the server loop started");
        Server { remote, thread }
    }

    fn thread_id(&self) -> ThreadId {
        self.thread.thread().id()
    }

    fn stop(self) {
        self.remote.stop().unwrap();
        self.thread.join().unwrap();
    }
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn a_plain_thread_submits_and_waits() {
    let server = Server::start();
    let submitted = server.remote.submit(async {
        ferrio::sleep(Duration::from_millis(1)).await.unwrap();
        (6 * 7, std::thread::current().id())
    });
    assert_send(&submitted);
    let (answer, ran_on) = submitted.wait().unwrap();
    assert_eq!(answer, 42);
    assert_eq!(
        ran_on,
        server.thread_id(),
        "the future ran on the loop's thread"
    );
    server.stop();
}

#[test]
fn loop_a_awaits_a_future_submitted_to_loop_b() {
    let b = Server::start();
    let remote_b = b.remote.clone();
    let b_thread = b.thread_id();
    let (ran_on, log) = on_thread_with_watchdog(move || {
        // A runs on a virtual clock, with a long timer pending: while the
        // result from B is due, A's clock must not jump.
        run_virtual(async move {
            let log = new_log();
            let l = log.clone();
            let t0 = ferrio::now();
            let sleeper = ferrio::spawn(async move {
                ferrio::sleep(Duration::from_secs(3600)).await.unwrap();
                push(&l, "A slept an hour");
            });
            let (tx, rx) = mpsc::channel::<()>();
            let helper = std::thread::spawn(move || tx.send(()).unwrap());
            let ran_on = remote_b
                .submit(async move {
                    // Work on B that needs a third thread to finish.
                    ferrio::to_thread(move || rx.recv_timeout(GUARD).unwrap())
                        .await
                        .unwrap();
                    std::thread::current().id()
                })
                .await
                .unwrap();
            push(&log, "B answered");
            assert_eq!(since(t0), Duration::ZERO, "A's clock waited for B");
            sleeper.await.unwrap();
            helper.join().unwrap();
            (ran_on, snapshot(&log))
        })
    });
    assert_eq!(ran_on, b_thread);
    assert_eq!(log, ["B answered", "A slept an hour"]);
    b.stop();
}

#[test]
fn submitting_to_a_closed_loop_is_a_typed_error() {
    let event_loop = EventLoop::new().unwrap();
    let remote = event_loop.handle().threadsafe();
    drop(event_loop);
    assert!(remote.is_closed());
    let submitted = remote.submit(async { 1 });
    assert!(submitted.is_done(), "settled at once");
    let err = submitted.wait().unwrap_err();
    assert!(matches!(err, SubmitError::LoopClosed(_)), "{err:?}");
    assert!(err.to_string().contains("closed"), "{err}");
}

#[test]
fn a_panicking_future_is_a_typed_error_and_the_loop_runs_on() {
    let server = Server::start();
    let err = server
        .remote
        .submit(async {
            ferrio::yield_now().await.unwrap();
            if true {
                panic!("handler failed: {}", 500);
            }
        })
        .wait()
        .unwrap_err();
    let SubmitError::Panicked(p) = &err else {
        panic!("expected a panic, got {err:?}")
    };
    assert_eq!(p.message(), "handler failed: 500");
    assert!(
        p.spawn_location().file().ends_with("submit_threadsafe.rs"),
        "the task is attributed to the submit call: {}",
        p.spawn_location()
    );
    assert!(err.is_panic());
    // The loop is fine.
    assert_eq!(
        server.remote.submit(async { "alive" }).wait().unwrap(),
        "alive"
    );
    server.stop();
}

#[test]
fn cancel_settles_at_once_and_cancels_the_task() {
    let server = Server::start();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (cleanup_tx, cleanup_rx) = mpsc::channel::<String>();
    let submitted = server.remote.submit(async move {
        started_tx.send(()).unwrap();
        match ferrio::sleep(Duration::from_secs(3600)).await {
            Ok(()) => Ok("slept"),
            Err(c) => {
                // Async cleanup runs on the target loop.
                ferrio::yield_now().await.ok();
                cleanup_tx.send(c.to_string()).unwrap();
                Err::<&str, Cancelled>(c)
            }
        }
    });
    started_rx.recv_timeout(GUARD).unwrap();
    assert!(submitted.cancel());
    assert!(!submitted.cancel(), "settled already");
    assert!(submitted.is_done());
    let err = submitted.wait().unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    let message = cleanup_rx
        .recv_timeout(GUARD)
        .expect("the task was cancelled");
    assert!(message.contains("Submitted"), "{message}");
    server.stop();
}

#[test]
fn cancel_before_the_loop_runs_it_never_starts() {
    let event_loop = virtual_loop();
    let remote = event_loop.handle().threadsafe();
    let ran = Arc::new(AtomicBool::new(false));
    let witness = Arc::new(());
    let (r, w) = (ran.clone(), witness.clone());
    let submitted = remote.submit(async move {
        let _keep = w;
        r.store(true, Ordering::SeqCst);
    });
    assert!(submitted.cancel());
    let outcome = event_loop
        .run_until_complete(async move {
            // An idle loop takes in what other threads sent: the callback
            // sees the cancellation and spawns nothing.
            ferrio::sleep(Duration::from_secs(1)).await.unwrap();
            submitted.await
        })
        .unwrap();
    assert!(outcome.unwrap_err().is_cancelled());
    assert!(!ran.load(Ordering::SeqCst), "never polled");
    assert_eq!(Arc::strong_count(&witness), 1, "the future was dropped");
}

#[test]
fn wait_timeout_times_out_then_waits_again() {
    let server = Server::start();
    let (tx, rx) = mpsc::channel::<u32>();
    let mut submitted = server.remote.submit(async move {
        ferrio::to_thread(move || rx.recv_timeout(GUARD).unwrap())
            .await
            .unwrap()
    });
    let err = submitted.wait_timeout(Duration::ZERO).unwrap_err();
    assert!(matches!(err, SubmitError::Timeout(_)), "{err:?}");
    assert!(!submitted.is_done());
    tx.send(9).unwrap();
    assert_eq!(submitted.wait_timeout(GUARD).unwrap(), 9);
    server.stop();
}

#[test]
fn waiting_on_the_target_loops_own_thread_is_refused() {
    run_virtual(async {
        let remote = EventLoop::current().threadsafe();
        let mut submitted = remote.submit(async { 5 });
        let err = submitted.wait_timeout(GUARD).unwrap_err();
        assert!(matches!(err, SubmitError::WouldDeadlock), "{err:?}");
        // Awaiting it on that loop is fine.
        assert_eq!(submitted.await.unwrap(), 5);
    });
}

#[test]
fn cancelling_the_awaiting_task_cancels_the_submitted_one() {
    let server = Server::start();
    let remote = server.remote.clone();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (cleanup_tx, cleanup_rx) = mpsc::channel::<()>();
    on_thread_with_watchdog(move || {
        ferrio::run(async move {
            let waiter = ferrio::spawn(async move {
                remote
                    .submit(async move {
                        started_tx.send(()).unwrap();
                        let slept = ferrio::sleep(Duration::from_secs(3600)).await;
                        if slept.is_err() {
                            cleanup_tx.send(()).unwrap();
                        }
                        slept
                    })
                    .await
            });
            ferrio::to_thread(move || started_rx.recv_timeout(GUARD).unwrap())
                .await
                .unwrap();
            waiter.cancel();
            // The awaiting task got its own cancellation, and so ended
            // cancelled.
            assert!(waiter.await.unwrap_err().is_cancelled());
        })
        .unwrap()
    });
    cleanup_rx
        .recv_timeout(GUARD)
        .expect("the submitted task was cancelled too");
    server.stop();
}

#[test]
fn a_loop_closing_under_a_running_task_reports_aborted() {
    let server = Server::start();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let submitted: Submitted<()> = server.remote.submit(async move {
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await
    });
    started_rx.recv_timeout(GUARD).unwrap();
    // Stopping the server ends its thread, which closes the loop.
    server.stop();
    let err = submitted.wait().unwrap_err();
    assert!(matches!(err, SubmitError::Aborted), "{err:?}");
}

#[test]
fn submitted_debug_shows_its_state() {
    let server = Server::start();
    let (tx, rx) = mpsc::channel::<()>();
    let mut submitted = server.remote.submit(async move {
        ferrio::to_thread(move || rx.recv_timeout(GUARD).unwrap())
            .await
            .unwrap()
    });
    assert!(
        format!("{submitted:?}").contains("pending"),
        "{submitted:?}"
    );
    tx.send(()).unwrap();
    submitted.wait_timeout(GUARD).unwrap();
    assert!(format!("{submitted:?}").contains("taken"), "{submitted:?}");
    server.stop();
}

#[test]
fn auto_traits() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    send_sync::<Submitted<String>>();
    error::<SubmitError>();
}
