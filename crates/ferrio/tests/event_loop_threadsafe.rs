//! The loop's door for other threads: `call_soon_threadsafe`, wakers used
//! off the loop thread, `ThreadsafeHandle::stop`.
//!
//! These run on the real clock (an idle loop must be woken by the other
//! thread, not by the virtual clock). No timing is asserted; each test runs
//! under a watchdog so that a lost wake-up fails instead of hanging.

mod common;

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use common::*;
use ferrio::event_loop::LoopClosed;
use ferrio::{EventLoop, RunError};

#[test]
fn call_soon_threadsafe_wakes_an_idle_loop() {
    on_thread_with_watchdog(|| {
        let event_loop = EventLoop::new().unwrap();
        let remote = event_loop.handle().threadsafe();
        let flag = Arc::new(AtomicBool::new(false));
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let callback_thread = Arc::new(Mutex::new(None));
        let loop_thread = std::thread::current().id();
        let ct = callback_thread.clone();
        let mut worker = None;
        event_loop
            .run_until_complete(poll_fn(|cx| {
                if flag.load(Ordering::SeqCst) {
                    return Poll::Ready(());
                }
                *slot.lock().unwrap() = Some(cx.waker().clone());
                if worker.is_none() {
                    // The callback cannot run before this poll returns (it
                    // runs on the loop thread), so the waker is in place.
                    let (remote, flag, slot, ct) =
                        (remote.clone(), flag.clone(), slot.clone(), ct.clone());
                    worker = Some(std::thread::spawn(move || {
                        remote
                            .call_soon_threadsafe(move || {
                                *ct.lock().unwrap() = Some(std::thread::current().id());
                                flag.store(true, Ordering::SeqCst);
                                if let Some(w) = slot.lock().unwrap().take() {
                                    w.wake();
                                }
                            })
                            .unwrap();
                    }));
                }
                Poll::Pending
            }))
            .unwrap();
        worker.unwrap().join().unwrap();
        assert!(flag.load(Ordering::SeqCst));
        assert_eq!(
            *callback_thread.lock().unwrap(),
            Some(loop_thread),
            "the callback runs on the loop's thread"
        );
    });
}

#[test]
fn callbacks_sent_from_one_thread_run_in_the_order_sent() {
    let log = on_thread_with_watchdog(|| {
        let event_loop = EventLoop::new().unwrap();
        let remote = event_loop.handle().threadsafe();
        let log: Arc<Mutex<Vec<u32>>> = Arc::default();
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let done = Arc::new(AtomicBool::new(false));
        let mut worker = None;
        event_loop
            .run_until_complete(poll_fn(|cx| {
                if done.load(Ordering::SeqCst) {
                    return Poll::Ready(());
                }
                *slot.lock().unwrap() = Some(cx.waker().clone());
                if worker.is_none() {
                    let (remote, log, slot, done) =
                        (remote.clone(), log.clone(), slot.clone(), done.clone());
                    worker = Some(std::thread::spawn(move || {
                        for i in 0..200 {
                            let log = log.clone();
                            remote
                                .call_soon_threadsafe(move || log.lock().unwrap().push(i))
                                .unwrap();
                        }
                        remote
                            .call_soon_threadsafe(move || {
                                done.store(true, Ordering::SeqCst);
                                if let Some(w) = slot.lock().unwrap().take() {
                                    w.wake();
                                }
                            })
                            .unwrap();
                    }));
                }
                Poll::Pending
            }))
            .unwrap();
        worker.unwrap().join().unwrap();
        let log = log.lock().unwrap().clone();
        log
    });
    assert_eq!(log, (0..200).collect::<Vec<_>>());
}

#[test]
fn waker_used_on_another_thread_resumes_the_task() {
    let polls = on_thread_with_watchdog(|| {
        let event_loop = EventLoop::new().unwrap();
        event_loop
            .run_until_complete(async {
                let task = ferrio::spawn(async {
                    let flag = Arc::new(AtomicBool::new(false));
                    let mut polls = 0u32;
                    let mut worker = None;
                    poll_fn(|cx| {
                        polls += 1;
                        if flag.load(Ordering::SeqCst) {
                            return Poll::Ready(());
                        }
                        if worker.is_none() {
                            let waker = cx.waker().clone();
                            let flag = flag.clone();
                            worker = Some(std::thread::spawn(move || {
                                flag.store(true, Ordering::SeqCst);
                                waker.wake();
                            }));
                        }
                        Poll::Pending
                    })
                    .await;
                    worker.unwrap().join().unwrap();
                    polls
                });
                task.await.unwrap()
            })
            .unwrap()
    });
    // Polled once to register, once more after the remote wake-up.
    assert_eq!(polls, 2);
}

#[test]
fn many_remote_wakes_of_one_task_are_all_delivered() {
    // Several threads wake the same task repeatedly; the task counts what
    // the threads did and finishes when all is done: no wake-up is lost.
    const THREADS: u32 = 4;
    const WAKES: u32 = 250;
    let seen = on_thread_with_watchdog(|| {
        let event_loop = EventLoop::new().unwrap();
        event_loop
            .run_until_complete(async {
                let counter = Arc::new(AtomicU32::new(0));
                let mut workers = Vec::new();
                poll_fn(|cx| {
                    if counter.load(Ordering::SeqCst) == THREADS * WAKES {
                        return Poll::Ready(());
                    }
                    if workers.is_empty() {
                        for _ in 0..THREADS {
                            let (waker, counter) = (cx.waker().clone(), counter.clone());
                            workers.push(std::thread::spawn(move || {
                                for _ in 0..WAKES {
                                    counter.fetch_add(1, Ordering::SeqCst);
                                    waker.wake_by_ref();
                                }
                            }));
                        }
                    }
                    Poll::Pending
                })
                .await;
                for w in workers {
                    w.join().unwrap();
                }
                counter.load(Ordering::SeqCst)
            })
            .unwrap()
    });
    assert_eq!(seen, THREADS * WAKES);
}

#[test]
fn threadsafe_stop_from_another_thread_stops_the_loop() {
    let outcome = on_thread_with_watchdog(|| {
        let event_loop = EventLoop::new().unwrap();
        let remote = event_loop.handle().threadsafe();
        let mut worker = None;
        let result = event_loop.run_until_complete(poll_fn(|_cx| {
            if worker.is_none() {
                let remote = remote.clone();
                worker = Some(std::thread::spawn(move || remote.stop().unwrap()));
            }
            Poll::<()>::Pending
        }));
        worker.unwrap().join().unwrap();
        // The loop is usable again after a stop.
        let again = event_loop.run_until_complete(async { 5 }).unwrap();
        (matches!(result, Err(RunError::Stopped)), again)
    });
    assert_eq!(outcome, (true, 5));
}

#[test]
fn call_soon_threadsafe_on_an_idle_loop_runs_on_its_next_run() {
    let event_loop = virtual_loop();
    let remote = event_loop.handle().threadsafe();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    std::thread::spawn(move || {
        remote
            .call_soon_threadsafe(move || r.store(true, Ordering::SeqCst))
            .unwrap();
    })
    .join()
    .unwrap();
    assert!(!ran.load(Ordering::SeqCst));
    event_loop
        .run_until_complete(ferrio::sleep(std::time::Duration::from_secs(1)))
        .unwrap()
        .unwrap();
    assert!(ran.load(Ordering::SeqCst));
}

#[test]
fn call_soon_threadsafe_after_close_is_refused() {
    let event_loop = virtual_loop();
    let remote = event_loop.handle().threadsafe();
    assert!(!remote.is_closed());
    event_loop.close().unwrap();
    assert!(remote.is_closed());
    assert_eq!(remote.call_soon_threadsafe(|| {}), Err(LoopClosed));
    assert_eq!(remote.stop(), Err(LoopClosed));
    // From another thread too; the refused closure is dropped, not leaked.
    let dropped = Arc::new(AtomicBool::new(false));
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let guard = SetOnDrop(dropped.clone());
    let result = std::thread::spawn(move || {
        remote.call_soon_threadsafe(move || {
            let _guard = &guard;
        })
    })
    .join()
    .unwrap();
    assert_eq!(result, Err(LoopClosed));
    assert!(dropped.load(Ordering::SeqCst));
    assert!(LoopClosed.to_string().contains("closed"));
}

#[test]
fn closing_the_loop_drops_undelivered_threadsafe_callbacks() {
    let event_loop = virtual_loop();
    let remote = event_loop.handle().threadsafe();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    remote
        .call_soon_threadsafe(move || r.store(true, Ordering::SeqCst))
        .unwrap();
    event_loop.close().unwrap();
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(
        Arc::strong_count(&ran),
        1,
        "the queued closure was dropped at close"
    );
}

#[test]
fn waker_outliving_its_loop_can_be_woken_and_dropped_on_another_thread() {
    let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
    {
        let event_loop = virtual_loop();
        let s = slot.clone();
        let task = event_loop
            .run_until_complete(async move {
                let task = ferrio::spawn(poll_fn(move |cx| {
                    *s.lock().unwrap() = Some(cx.waker().clone());
                    Poll::<()>::Pending
                }));
                ferrio::yield_now().await.unwrap();
                ferrio::TaskRef::clone(&task)
            })
            .unwrap();
        assert!(!task.done());
        drop(event_loop); // closes it: the task's future is dropped
        assert!(task.done() && task.cancelled());
    }
    let waker = slot.lock().unwrap().take().unwrap();
    std::thread::spawn(move || {
        waker.wake_by_ref();
        waker.wake();
    })
    .join()
    .unwrap();
}

#[test]
fn many_tasks_woken_from_other_threads_with_wakers_dropped_there_last() {
    // Each task hands one waker clone to a waker thread (which wakes it) and
    // another to a keeper thread, which drops it only after the loop is
    // gone, so the last reference to many tasks dies off the loop thread.
    const TASKS: usize = 200;
    let finished = on_thread_with_watchdog(|| {
        let (wake_tx, wake_rx) = std::sync::mpsc::channel::<Waker>();
        let (keep_tx, keep_rx) = std::sync::mpsc::channel::<Waker>();
        let waker_thread = std::thread::spawn(move || {
            for w in wake_rx {
                w.wake();
            }
        });
        let finished = {
            let event_loop = EventLoop::new().unwrap();
            event_loop
                .run_until_complete(async move {
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|i| {
                            let (wake_tx, keep_tx) = (wake_tx.clone(), keep_tx.clone());
                            let woken = Arc::new(AtomicBool::new(false));
                            ferrio::spawn(poll_fn(move |cx| {
                                if woken.load(Ordering::SeqCst) {
                                    return Poll::Ready(i);
                                }
                                woken.store(true, Ordering::SeqCst);
                                keep_tx.send(cx.waker().clone()).unwrap();
                                wake_tx.send(cx.waker().clone()).unwrap();
                                Poll::Pending
                            }))
                        })
                        .collect();
                    drop((wake_tx, keep_tx));
                    let mut sum = 0;
                    for t in tasks {
                        sum += t.await.unwrap();
                    }
                    sum
                })
                .unwrap()
        };
        // The loop is dropped; now drop the kept wakers on another thread.
        std::thread::spawn(move || {
            let kept: Vec<Waker> = keep_rx.iter().collect();
            assert_eq!(kept.len(), TASKS);
            for w in &kept {
                w.wake_by_ref(); // harmless: the loop is gone
            }
            drop(kept);
        })
        .join()
        .unwrap();
        waker_thread.join().unwrap();
        finished
    });
    assert_eq!(finished, (0..TASKS).sum::<usize>());
}
