//! `debug::LagMonitor`: loop-clock lateness of periodic wake-ups.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use common::*;
use ferrio::debug::{LagMonitor, LagStats};
use ferrio::{task, EventLoop, SpawnError};

const MS: Duration = Duration::from_millis(1);

#[test]
fn lag_is_zero_on_the_virtual_clock() {
    let (stats, ticks) = run_virtual(async {
        let monitor = LagMonitor::start(10 * MS);
        assert_eq!(monitor.interval(), 10 * MS);
        assert!(monitor.is_running());
        // 100 wake-ups at 10 ms .. 1000 ms; stop between two of them.
        ferrio::sleep(1005 * MS).await.unwrap();
        (monitor.percentiles(), monitor.ticks())
    });
    assert_eq!(ticks, 100);
    assert_eq!(stats.samples, 100);
    assert_eq!(
        (stats.p50, stats.p90, stats.p99, stats.max),
        (
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO,
            Duration::ZERO
        )
    );
}

#[test]
fn the_ring_keeps_the_most_recent_samples() {
    run_virtual(async {
        let monitor = LagMonitor::builder(10 * MS).capacity(8).start().unwrap();
        ferrio::sleep(205 * MS).await.unwrap();
        assert_eq!(monitor.ticks(), 20);
        assert_eq!(monitor.samples().len(), 8);
        assert_eq!(monitor.percentiles().samples, 8);
    });
}

#[test]
fn no_samples_gives_zero_stats() {
    run_virtual(async {
        let monitor = LagMonitor::start(Duration::from_secs(1));
        assert_eq!(monitor.percentiles(), LagStats::default());
        assert!(monitor.samples().is_empty());
        let text = monitor.percentiles().to_string();
        assert!(text.contains("over 0 samples"), "{text}");
    });
}

#[test]
fn a_blocking_callback_shows_up_as_lag() {
    // A real-clock loop: the wall-clock block is the phenomenon measured.
    // Only a lower bound is asserted.
    const INTERVAL: Duration = Duration::from_millis(10);
    const BLOCK: Duration = Duration::from_millis(50);
    let stats = on_thread_with_watchdog(|| {
        EventLoop::new()
            .unwrap()
            .run_until_complete(async {
                let monitor = LagMonitor::start(INTERVAL);
                // Let the monitor take its first step: it now sleeps until
                // some deadline at most INTERVAL after this point.
                ferrio::yield_now().await.unwrap();
                let blocked = Rc::new(Cell::new(false));
                let done = blocked.clone();
                // Blocking BLOCK + INTERVAL makes the next wake-up at least
                // BLOCK late, wherever the block falls in the interval.
                EventLoop::current()
                    .call_soon(move || {
                        std::thread::sleep(BLOCK + INTERVAL);
                        done.set(true);
                    })
                    .unwrap();
                while !blocked.get() {
                    ferrio::yield_now().await.unwrap();
                }
                // Wait for a measurement taken after the block.
                let ticks = monitor.ticks();
                while monitor.ticks() == ticks {
                    ferrio::sleep(INTERVAL).await.unwrap();
                }
                monitor.percentiles()
            })
            .unwrap()
    });
    assert!(stats.samples >= 1);
    assert!(stats.max >= BLOCK, "{stats:?}");
}

#[test]
fn stop_and_drop_end_the_monitor_task() {
    run_virtual(async {
        let monitor = LagMonitor::start(10 * MS);
        ferrio::sleep(35 * MS).await.unwrap();
        assert_eq!(monitor.ticks(), 3);
        monitor.stop();
        assert!(!monitor.is_running());
        ferrio::sleep(100 * MS).await.unwrap();
        assert_eq!(monitor.ticks(), 3, "no wake-up is measured after stop()");
        assert_eq!(monitor.percentiles().samples, 3, "the samples stay");

        let dropped = LagMonitor::start(10 * MS);
        let names =
            || -> Vec<String> { task::all().iter().map(|t| t.name().to_string()).collect() };
        assert!(names().contains(&"ferrio-lag-monitor".to_string()));
        drop(dropped);
        assert!(!names().contains(&"ferrio-lag-monitor".to_string()));
    });
}

#[test]
fn the_monitor_task_is_named_and_located_at_the_start_call() {
    run_virtual(async {
        let line = line!() + 1;
        let _monitor = LagMonitor::start(10 * MS);
        let tasks = task::all();
        let task = tasks
            .iter()
            .find(|t| &*t.name() == "ferrio-lag-monitor")
            .unwrap();
        assert_eq!(
            (task.location().file(), task.location().line()),
            (file!(), line)
        );
    });
}

#[test]
fn starting_outside_a_loop_is_an_error() {
    let err = LagMonitor::builder(MS).start().unwrap_err();
    assert_eq!(err, SpawnError::NoRunningLoop);
    let panic = std::panic::catch_unwind(|| LagMonitor::start(MS)).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("LagMonitor::start"), "{message}");
}

#[test]
fn a_forgotten_monitor_ends_with_the_run() {
    // `ferrio::run` cancels the tasks left over; the monitor's task ends
    // without complaint.
    let (event_loop, reports) = loop_with_reports();
    let runner = ferrio::Runner::with_loop(event_loop);
    let monitor = runner
        .run(async {
            let monitor = LagMonitor::start(10 * MS);
            ferrio::sleep(25 * MS).await.unwrap();
            monitor
        })
        .unwrap();
    runner.close().unwrap();
    assert!(!monitor.is_running());
    assert_eq!(monitor.ticks(), 2);
    assert!(reports.borrow().is_empty(), "{:?}", reports.borrow());
}
