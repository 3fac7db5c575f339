//! `call_soon_threadsafe` keeps strict registration order with `call_soon`:
//! a callback registered first runs first, whether it was registered from
//! the loop's thread or from another one (joined since, so that "first" is
//! well defined). No timing is asserted.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use ferrio::EventLoop;

type SharedLog = Arc<Mutex<Vec<&'static str>>>;

fn log_to(log: &SharedLog, what: &'static str) -> impl FnOnce() + Send + 'static {
    let log = log.clone();
    move || log.lock().unwrap().push(what)
}

#[test]
fn a_threadsafe_callback_registered_first_runs_before_a_later_call_soon() {
    let log: SharedLog = Arc::default();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let remote = handle.threadsafe();
        let first = log_to(&l, "threadsafe (other thread)");
        std::thread::spawn(move || remote.call_soon_threadsafe(first).unwrap())
            .join()
            .unwrap();
        handle.call_soon(log_to(&l, "call_soon")).unwrap();
        ferrio::yield_now().await.unwrap();
        ferrio::yield_now().await.unwrap();
    });
    assert_eq!(
        *log.lock().unwrap(),
        ["threadsafe (other thread)", "call_soon"]
    );
}

#[test]
fn a_busy_loop_keeps_the_order_too() {
    // With tasks always ready the loop polls the OS only every few dozen
    // jobs; remote callbacks must not wait for that.
    let log: SharedLog = Arc::default();
    let l = log.clone();
    run_virtual(async move {
        let busy: Vec<_> = (0..8)
            .map(|_| {
                ferrio::spawn(async {
                    for _ in 0..200 {
                        ferrio::yield_now().await?;
                    }
                    Ok::<_, ferrio::Cancelled>(())
                })
            })
            .collect();
        ferrio::yield_now().await.unwrap();
        let handle = EventLoop::current();
        let remote = handle.threadsafe();
        let first = log_to(&l, "threadsafe");
        std::thread::spawn(move || remote.call_soon_threadsafe(first).unwrap())
            .join()
            .unwrap();
        handle.call_soon(log_to(&l, "call_soon")).unwrap();
        // One iteration later both have run, in that order.
        ferrio::yield_now().await.unwrap();
        assert_eq!(*l.lock().unwrap(), ["threadsafe", "call_soon"]);
        for task in busy {
            task.await.unwrap().unwrap();
        }
    });
    assert_eq!(log.lock().unwrap().len(), 2);
}

#[test]
fn registrations_alternating_between_threads_run_in_registration_order() {
    let log: Arc<Mutex<Vec<u32>>> = Arc::default();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        let remote = handle.threadsafe();
        for i in 0..20u32 {
            if i % 2 == 0 {
                let (remote, l) = (remote.clone(), l.clone());
                std::thread::spawn(move || {
                    remote
                        .call_soon_threadsafe(move || l.lock().unwrap().push(i))
                        .unwrap()
                })
                .join()
                .unwrap();
            } else {
                let l = l.clone();
                handle.call_soon(move || l.lock().unwrap().push(i)).unwrap();
            }
        }
        ferrio::yield_now().await.unwrap();
        ferrio::yield_now().await.unwrap();
    });
    assert_eq!(*log.lock().unwrap(), (0..20).collect::<Vec<_>>());
}

#[test]
fn a_threadsafe_callback_from_the_loop_thread_keeps_its_place() {
    let log: SharedLog = Arc::default();
    let l = log.clone();
    run_virtual(async move {
        let handle = EventLoop::current();
        handle.call_soon(log_to(&l, "a")).unwrap();
        handle
            .threadsafe()
            .call_soon_threadsafe(log_to(&l, "b"))
            .unwrap();
        handle.call_soon(log_to(&l, "c")).unwrap();
        ferrio::yield_now().await.unwrap();
        ferrio::yield_now().await.unwrap();
    });
    assert_eq!(*log.lock().unwrap(), ["a", "b", "c"]);
}
