//! Typed errors for misuse: closed loops, nested runs, foreign tasks,
//! spawning without a loop, `stop()`.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::event_loop::LoopClosed;
use ferrio::{task, EventLoop, JoinError, RunError, Runner, SpawnError};

#[test]
fn spawning_on_a_closed_loop_is_refused() {
    let event_loop = virtual_loop();
    let handle = event_loop.handle();
    event_loop.close().unwrap();
    assert!(event_loop.is_closed() && handle.is_closed());
    let (drops, guard) = drop_counter();
    let err = handle
        .spawn(async move {
            let _guard = guard;
        })
        .unwrap_err();
    assert_eq!(err, SpawnError::LoopClosed(LoopClosed));
    assert_eq!(drops.get(), 1, "the refused future is dropped");
    assert_eq!(
        task::Builder::new()
            .name("late")
            .spawn_on(&handle, async {})
            .unwrap_err(),
        SpawnError::LoopClosed(LoopClosed)
    );
    assert!(err.to_string().contains("closed"), "{err}");
}

#[test]
fn scheduling_callbacks_on_a_closed_loop_is_refused() {
    let event_loop = virtual_loop();
    let handle = event_loop.handle();
    let remote = handle.threadsafe();
    event_loop.close().unwrap();
    assert_eq!(handle.call_soon(|| {}).unwrap_err(), LoopClosed);
    assert_eq!(
        handle
            .call_later(Duration::from_secs(1), || {})
            .unwrap_err(),
        LoopClosed
    );
    assert_eq!(
        handle.call_at(handle.time(), || {}).unwrap_err(),
        LoopClosed
    );
    assert_eq!(remote.call_soon_threadsafe(|| {}).unwrap_err(), LoopClosed);
}

#[test]
fn run_until_complete_on_a_closed_loop_fails_with_closed() {
    let event_loop = virtual_loop();
    event_loop.close().unwrap();
    event_loop.close().unwrap(); // closing twice is harmless
    let polled = Cell::new(false);
    let err = event_loop
        .run_until_complete(async { polled.set(true) })
        .unwrap_err();
    assert!(matches!(err, RunError::LoopClosed(LoopClosed)), "{err:?}");
    assert!(!polled.get());
}

#[test]
fn running_a_loop_inside_a_running_loop_fails_with_already_running() {
    let event_loop = virtual_loop();
    let other = virtual_loop();
    event_loop
        .run_until_complete(async {
            // asyncio.run() inside a running loop.
            let err = ferrio::run(async { 1 }).unwrap_err();
            assert!(matches!(err, RunError::AlreadyRunning), "{err:?}");
            assert!(err.to_string().contains("await"), "{err}");
            // The same loop, re-entered.
            let err = event_loop.run_until_complete(async { 1 }).unwrap_err();
            assert!(matches!(err, RunError::AlreadyRunning), "{err:?}");
            // Another, idle loop.
            let err = other.run_until_complete(async { 1 }).unwrap_err();
            assert!(matches!(err, RunError::AlreadyRunning), "{err:?}");
            // A runner.
            let runner = Runner::with_loop(virtual_loop());
            let err = runner.run(async { 1 }).unwrap_err();
            assert!(matches!(err, RunError::AlreadyRunning), "{err:?}");
            // Closing a running loop.
            let err = event_loop.close().unwrap_err();
            assert!(matches!(err, RunError::AlreadyRunning), "{err:?}");
            // Closing a runner from inside a running loop.
            let err = runner.close().unwrap_err();
            assert!(matches!(err, RunError::AlreadyRunning), "{err:?}");
        })
        .unwrap();
    // Both loops are still fine afterwards.
    assert_eq!(event_loop.run_until_complete(async { 2 }).unwrap(), 2);
    assert_eq!(other.run_until_complete(async { 3 }).unwrap(), 3);
}

#[test]
fn awaiting_a_task_of_another_idle_loop_fails_with_foreign_loop() {
    let foreign = virtual_loop();
    let mut task = foreign.handle().spawn(async { 41 + 1 }).unwrap();
    let err = virtual_loop()
        .run_until_complete(async { (&mut task).await.unwrap_err() })
        .unwrap();
    assert!(matches!(err, JoinError::ForeignLoop), "{err:?}");
    assert!(!err.is_cancelled() && !err.is_panic());
    assert!(err.to_string().contains("another event loop"), "{err}");
    // From its own loop, the same task can still be awaited.
    assert_eq!(foreign.run_until_complete(task).unwrap().unwrap(), 42);
}

#[test]
#[should_panic(expected = "ferrio::spawn: no event loop is running on this thread")]
fn spawn_outside_a_loop_panics_with_a_clear_message() {
    ferrio::spawn(async {}).detach();
}

#[test]
fn builder_spawn_outside_a_loop_returns_no_running_loop() {
    let err = task::Builder::new().spawn(async {}).unwrap_err();
    assert_eq!(err, SpawnError::NoRunningLoop);
    assert!(
        err.to_string().contains("no event loop is running"),
        "{err}"
    );
}

#[test]
fn stop_ends_run_until_complete_with_stopped() {
    let event_loop = virtual_loop();
    let (drops, guard) = drop_counter();
    let left_behind = Rc::new(Cell::new(None));
    let l = left_behind.clone();
    let err = event_loop
        .run_until_complete(async move {
            let _guard = guard;
            let t0 = ferrio::now();
            ferrio::spawn(async move {
                ferrio::sleep(Duration::from_secs(10)).await.unwrap();
                l.set(Some(since(t0)));
            })
            .detach();
            ferrio::sleep(Duration::from_secs(1)).await.unwrap();
            EventLoop::current().stop();
            ferrio::sleep(Duration::from_secs(3600)).await.unwrap();
            unreachable!("stopped before this");
        })
        .unwrap_err();
    assert!(matches!(err, RunError::Stopped), "{err:?}");
    assert_eq!(drops.get(), 1, "the unfinished main future is dropped");
    assert!(!event_loop.is_closed());
    // The loop runs again; the task left behind carries on where it was.
    event_loop
        .run_until_complete(ferrio::sleep(Duration::from_secs(20)))
        .unwrap()
        .unwrap();
    assert_eq!(left_behind.get(), Some(Duration::from_secs(10)));
}

#[test]
fn stop_from_a_callback_stops_at_the_end_of_the_iteration() {
    let event_loop = virtual_loop();
    let handle = event_loop.handle();
    let h = handle.clone();
    let log = new_log();
    let (l1, l2) = (log.clone(), log.clone());
    handle.call_soon(move || h.stop()).unwrap();
    handle
        .call_soon(move || push(&l1, "same iteration"))
        .unwrap();
    let err = event_loop
        .run_until_complete(async move {
            push(&l2, "main first step");
            ferrio::yield_now().await.unwrap();
            push(&l2, "main second step");
        })
        .unwrap_err();
    assert!(matches!(err, RunError::Stopped), "{err:?}");
    assert_eq!(snapshot(&log), ["same iteration", "main first step"]);
}

#[test]
fn run_error_and_spawn_error_messages_are_clear() {
    let shown = |e: RunError| e.to_string();
    assert!(shown(RunError::LoopClosed(LoopClosed)).contains("closed"));
    assert!(shown(RunError::Stopped).contains("stopped"));
    assert!(
        shown(RunError::AlreadyRunning).contains("already")
            || shown(RunError::AlreadyRunning).contains("another")
    );
    assert!(SpawnError::LoopClosed(LoopClosed)
        .to_string()
        .contains("closed"));
    let io = RunError::Setup(std::io::Error::other("no poller"));
    assert!(io.to_string().contains("no poller"));
    assert!(std::error::Error::source(&io).is_some());
    // Setting the loop up and polling while it runs are told apart.
    let poll = RunError::Poll(std::io::Error::other("epoll_wait"));
    assert!(poll.to_string().contains("while running"), "{poll}");
}

#[test]
fn stop_before_a_run_still_lets_one_iteration_run() {
    // asyncio: loop.stop() before run_forever() runs one iteration.
    let event_loop = EventLoop::builder().virtual_clock(true).build().unwrap();
    let handle = event_loop.handle();
    let ran = std::rc::Rc::new(std::cell::Cell::new(false));
    let r = ran.clone();
    handle.call_soon(move || r.set(true)).unwrap();
    handle.stop();
    let err = event_loop
        .run_until_complete(std::future::pending::<()>())
        .unwrap_err();
    assert!(matches!(err, RunError::Stopped));
    assert!(ran.get(), "the ready callback ran before the loop stopped");
    // The stop request was consumed: the next run completes.
    assert_eq!(event_loop.run_until_complete(async { 5 }).unwrap(), 5);
}
