//! `add_signal_handler` / `remove_signal_handler` with asyncio's rules
//! (CPython `test_unix_events.py` `SelectorEventLoopSignalTests`), signal
//! streams, a signal delivered while the loop waits in its OS poll, and
//! two loops seeing the same signal.
//!
//! Tests of one binary run in parallel and signals are process-wide, so
//! each test uses a signal of its own (real-time signals 40..).

use std::cell::Cell;
use std::rc::Rc;

use ferrio::signal::{self, SignalError};

/// Whether `sig`'s disposition is the default one.
#[allow(unsafe_code)]
fn is_default(sig: i32) -> bool {
    let mut old = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only queries; `old` is valid for writes.
    let r = unsafe { libc::sigaction(sig, std::ptr::null(), old.as_mut_ptr()) };
    assert_eq!(r, 0);
    // SAFETY: sigaction succeeded and filled `old`.
    unsafe { old.assume_init() }.sa_sigaction == libc::SIG_DFL
}

// test_add_signal_handler, test_remove_signal_handler
#[ferrio::test]
async fn handler_runs_on_the_loop_and_remove_restores_the_default() {
    const SIG: i32 = 40;
    assert!(is_default(SIG));
    let hits = Rc::new(Cell::new(0));
    let h = hits.clone();
    signal::add_signal_handler(SIG, move || h.set(h.get() + 1)).unwrap();
    assert!(!is_default(SIG));
    let mut stream = signal::signal(SIG).unwrap();
    signal::raise(SIG).unwrap();
    stream.recv().await.unwrap();
    assert_eq!(hits.get(), 1);
    drop(stream);
    assert!(signal::remove_signal_handler(SIG).unwrap());
    assert!(is_default(SIG), "the default disposition is back");
    assert!(!signal::remove_signal_handler(SIG).unwrap());
}

// test_add_signal_handler_install_error*, test_check_signal
#[ferrio::test]
async fn invalid_and_uncatchable_signals_are_typed_errors() {
    assert!(matches!(
        signal::add_signal_handler(0, || {}),
        Err(SignalError::Invalid(0))
    ));
    assert!(matches!(
        signal::add_signal_handler(1000, || {}),
        Err(SignalError::Invalid(1000))
    ));
    assert!(matches!(
        signal::add_signal_handler(signal::SIGKILL, || {}),
        Err(SignalError::Uncatchable(_))
    ));
    assert!(matches!(
        signal::add_signal_handler(signal::SIGSTOP, || {}),
        Err(SignalError::Uncatchable(_))
    ));
    assert!(matches!(
        signal::add_signal_handler(libc::SIGSEGV, || {}),
        Err(SignalError::Forbidden(_))
    ));
    assert!(matches!(
        signal::remove_signal_handler(-1),
        Err(SignalError::Invalid(-1))
    ));
    let err = signal::add_signal_handler(signal::SIGKILL, || {}).unwrap_err();
    assert!(err.to_string().contains("cannot be caught"));
}

#[test]
fn handlers_need_a_running_loop() {
    assert!(matches!(
        signal::add_signal_handler(41, || {}),
        Err(SignalError::NoRunningLoop)
    ));
}

// A second add replaces the handler.
#[ferrio::test]
async fn a_second_handler_replaces_the_first() {
    const SIG: i32 = 42;
    let log = Rc::new(std::cell::RefCell::new(Vec::new()));
    let l = log.clone();
    signal::add_signal_handler(SIG, move || l.borrow_mut().push("first")).unwrap();
    let l = log.clone();
    signal::add_signal_handler(SIG, move || l.borrow_mut().push("second")).unwrap();
    let mut stream = signal::signal(SIG).unwrap();
    signal::raise(SIG).unwrap();
    stream.recv().await.unwrap();
    assert_eq!(*log.borrow(), ["second"]);
    drop(stream);
    assert!(signal::remove_signal_handler(SIG).unwrap());
    assert!(is_default(SIG));
}

#[test]
fn a_signal_delivered_while_the_loop_polls_wakes_it() {
    const SIG: i32 = 43;
    // A real clock, nothing else to do: the loop blocks in the OS poll.
    let event_loop = ferrio::EventLoop::new().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let sender = std::thread::spawn(move || {
        ready_rx.recv().unwrap();
        signal::raise(SIG).unwrap();
    });
    event_loop
        .run_until_complete(async move {
            let mut stream = signal::signal(SIG).unwrap();
            ready_tx.send(()).unwrap();
            stream.recv().await.unwrap();
        })
        .unwrap();
    sender.join().unwrap();
}

#[test]
fn every_listening_loop_sees_the_signal() {
    const SIG: i32 = 44;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let loops: Vec<_> = (0..2)
        .map(|_| {
            let ready = ready_tx.clone();
            std::thread::spawn(move || {
                ferrio::EventLoop::new()
                    .unwrap()
                    .run_until_complete(async move {
                        let mut stream = signal::signal(SIG).unwrap();
                        ready.send(()).unwrap();
                        stream.recv().await.unwrap();
                        "seen"
                    })
                    .unwrap()
            })
        })
        .collect();
    ready_rx.recv().unwrap();
    ready_rx.recv().unwrap();
    signal::raise(SIG).unwrap();
    for l in loops {
        assert_eq!(l.join().unwrap(), "seen");
    }
}

#[ferrio::test]
async fn a_cancelled_recv_consumes_no_delivery() {
    const SIG: i32 = 45;
    let mut stream = signal::signal(SIG).unwrap();
    let waiter = ferrio::spawn(async move {
        let out = stream.recv().await.map_err(|_| "cancelled");
        (out, stream)
    });
    ferrio::yield_now().await.unwrap();
    waiter.cancel();
    let (out, mut stream) = waiter.await.unwrap();
    assert_eq!(out, Err("cancelled"));
    signal::raise(SIG).unwrap();
    signal::raise(SIG).unwrap();
    // Real-time signals are queued: two deliveries, returned one by one.
    stream.recv().await.unwrap();
    stream.recv().await.unwrap();
}
