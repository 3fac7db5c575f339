//! Helpers shared by the behaviour tests. Each test file uses a subset.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ferrio::event_loop::ExceptionContext;
use ferrio::EventLoop;

/// A loop on the virtual clock.
pub fn virtual_loop() -> EventLoop {
    EventLoop::builder().virtual_clock(true).build().unwrap()
}

/// Runs `f` as the main task of a fresh virtual-clock loop.
pub fn run_virtual<F: Future>(f: F) -> F::Output {
    virtual_loop().run_until_complete(f).unwrap()
}

/// Exception reports captured by a loop's exception handler.
pub type Reports = Rc<RefCell<Vec<ExceptionContext>>>;

/// A virtual-clock loop whose exception handler records every report.
pub fn loop_with_reports() -> (EventLoop, Reports) {
    let reports: Reports = Rc::default();
    let r = reports.clone();
    let event_loop = EventLoop::builder()
        .virtual_clock(true)
        .exception_handler(move |ctx| r.borrow_mut().push(ctx.clone()))
        .build()
        .unwrap();
    (event_loop, reports)
}

/// A shared, single-threaded log.
pub type Log<T> = Rc<RefCell<Vec<T>>>;

pub fn new_log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

/// Pushes `value` onto `log`.
pub fn push<T>(log: &Log<T>, value: T) {
    log.borrow_mut().push(value);
}

/// A copy of the log's contents.
pub fn snapshot<T: Clone>(log: &Log<T>) -> Vec<T> {
    log.borrow().clone()
}

/// Counts how many times it was dropped.
pub struct DropCounter(pub Rc<Cell<u32>>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A counter and a guard bumping it on drop.
pub fn drop_counter() -> (Rc<Cell<u32>>, DropCounter) {
    let count = Rc::new(Cell::new(0));
    (count.clone(), DropCounter(count))
}

/// Loop time elapsed since `t0` (inside a running loop).
pub fn since(t0: Instant) -> Duration {
    ferrio::now() - t0
}

/// How long a test waits on another thread before calling it a hang: a
/// bound against hung test runs, never a timing that is asserted.
pub const GUARD: Duration = Duration::from_secs(30);

/// Runs `f` on a fresh thread and waits for it a bounded time, so that a
/// runtime bug turns into a test failure instead of a hung test run. No
/// timing is asserted: the bound only guards against hangs.
pub fn on_thread_with_watchdog<T, F>(f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(GUARD) {
        Ok(value) => {
            worker.join().unwrap();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The closure panicked: re-raise its panic here.
            match worker.join() {
                Err(payload) => std::panic::resume_unwind(payload),
                Ok(()) => unreachable!("the worker ended without a result"),
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("watchdog: the loop hung"),
    }
}
