//! `EventLoop::close` (and dropping the loop): the abrupt end, as opposed to
//! the graceful one of `Runner::close`.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use common::*;

#[test]
#[allow(clippy::async_yields_async)] // returns a Task on purpose, to use it after the run
fn close_drops_pending_tasks_without_running_their_cleanup() {
    let event_loop = virtual_loop();
    let cleaned = Rc::new(Cell::new(false));
    let (drops, guard) = drop_counter();
    let c = cleaned.clone();
    let task = event_loop
        .run_until_complete(async move {
            let task = ferrio::spawn(async move {
                let _guard = guard;
                if ferrio::sleep(Duration::from_secs(3600)).await.is_err() {
                    c.set(true);
                }
            });
            ferrio::yield_now().await.unwrap();
            task
        })
        .unwrap();
    assert!(!task.done());
    event_loop.close().unwrap();
    assert_eq!(drops.get(), 1, "the future was dropped");
    assert!(!cleaned.get(), "no async cleanup on close");
    assert!(task.done() && task.cancelled());
    assert!(task.try_result().unwrap().unwrap_err().is_cancelled());
}

#[test]
fn close_drops_pending_callbacks_and_timers_without_running_them() {
    let event_loop = virtual_loop();
    let handle = event_loop.handle();
    let ran = Rc::new(Cell::new(false));
    let (soon_drops, soon_guard) = drop_counter();
    let (later_drops, later_guard) = drop_counter();
    let (r1, r2) = (ran.clone(), ran.clone());
    handle
        .call_soon(move || {
            let _guard = &soon_guard;
            r1.set(true);
        })
        .unwrap();
    handle
        .call_later(Duration::from_secs(1), move || {
            let _guard = &later_guard;
            r2.set(true);
        })
        .unwrap();
    event_loop.close().unwrap();
    assert!(!ran.get());
    assert_eq!((soon_drops.get(), later_drops.get()), (1, 1));
}

#[test]
fn dropping_the_loop_closes_it_and_drops_its_tasks() {
    let (drops, guard) = drop_counter();
    let handle;
    {
        let event_loop = virtual_loop();
        handle = event_loop.handle();
        let _task = event_loop
            .handle()
            .spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            })
            .unwrap();
    }
    assert!(handle.is_closed());
    assert_eq!(drops.get(), 1);
}

#[test]
fn a_never_started_task_is_dropped_on_close_without_running() {
    let event_loop = virtual_loop();
    let started = Rc::new(Cell::new(false));
    let s = started.clone();
    let task = event_loop
        .handle()
        .spawn(async move { s.set(true) })
        .unwrap();
    event_loop.close().unwrap();
    assert!(!started.get());
    assert!(task.cancelled());
}
