//! The loop side of signals: each loop that listens drains its self-pipe
//! when it becomes readable (through the reactor) and hands each new
//! signal to its handler and its listeners, on the loop.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::{Rc, Weak};
use std::task::Waker;

use super::error::SignalError;
use super::registry::{self, NSIG};
use crate::event_loop::{context, Handle, LoopId};
use crate::reactor::{Direction, Driver};

/// Someone of this loop waiting for a signal: a stream, or an internal
/// callback (the child watcher's SIGCHLD).
pub(crate) struct Listener {
    pub(super) sig: i32,
    pub(super) pending: Cell<u64>,
    pub(super) waker: RefCell<Option<Waker>>,
    pub(super) callback: Option<Rc<dyn Fn()>>,
}

pub(super) type Handler = Rc<RefCell<Box<dyn FnMut()>>>;

/// The signal state of one loop.
pub(super) struct LoopSignals {
    loop_id: LoopId,
    handle: Handle,
    driver: Rc<Driver>,
    slot: usize,
    fd: RawFd,
    seen: RefCell<[u64; NSIG]>,
    pub(super) handlers: RefCell<HashMap<i32, Handler>>,
    listeners: RefCell<Vec<Weak<Listener>>>,
    /// This loop's share of the process-wide interest, per signal.
    interest: RefCell<[u32; NSIG]>,
    queued: Cell<bool>,
}

thread_local! {
    static LOOPS: RefCell<Vec<Rc<LoopSignals>>> = const { RefCell::new(Vec::new()) };
}

impl LoopSignals {
    /// The state of the running loop, created on first use. Entries of
    /// loops closed meanwhile are dropped (giving their pipes back).
    pub(super) fn current() -> Result<Rc<LoopSignals>, SignalError> {
        let inner = context::current().ok_or(SignalError::NoRunningLoop)?;
        let id = inner.id;
        let stale: Vec<Rc<LoopSignals>> = LOOPS.with(|l| {
            let mut l = l.borrow_mut();
            let (live, stale) = std::mem::take(&mut *l)
                .into_iter()
                .partition(|s| context::loop_by_id(s.loop_id).is_some());
            *l = live;
            stale
        });
        drop(stale);
        if let Some(found) = LOOPS.with(|l| l.borrow().iter().find(|s| s.loop_id == id).cloned()) {
            return Ok(found);
        }
        let slot = registry::acquire_pipe().map_err(SignalError::Os)?;
        let fd = registry::pipe_reader(slot).as_raw_fd();
        let state = Rc::new(LoopSignals {
            loop_id: id,
            handle: Handle {
                inner: inner.clone(),
            },
            driver: inner.io.clone(),
            slot,
            fd,
            seen: RefCell::new([0; NSIG]),
            handlers: RefCell::new(HashMap::new()),
            listeners: RefCell::new(Vec::new()),
            interest: RefCell::new([0; NSIG]),
            queued: Cell::new(false),
        });
        let weak = Rc::downgrade(&state);
        let on_edge: Rc<dyn Fn()> = Rc::new(move || schedule(&weak));
        if let Err(e) = inner.io.watch_fd(fd, Direction::Read, on_edge) {
            drop(state);
            return Err(SignalError::Os(e));
        }
        LOOPS.with(|l| l.borrow_mut().push(state.clone()));
        Ok(state)
    }

    /// Starts listening to `sig` in this loop.
    pub(super) fn add_interest(&self, sig: i32) -> Result<(), SignalError> {
        let index = registry::validate(sig)?;
        registry::add_interest(sig)?;
        let mut interest = self.interest.borrow_mut();
        if interest[index] == 0 {
            // Signals before this point are not ours.
            self.seen.borrow_mut()[index] = registry::count(index);
        }
        interest[index] += 1;
        Ok(())
    }

    pub(super) fn remove_interest(&self, sig: i32) {
        let Ok(index) = registry::validate(sig) else {
            return;
        };
        let mut interest = self.interest.borrow_mut();
        if interest[index] > 0 {
            interest[index] -= 1;
            registry::remove_interest(sig);
        }
    }

    pub(super) fn add_listener(&self, listener: &Rc<Listener>) {
        let mut listeners = self.listeners.borrow_mut();
        listeners.retain(|l| l.strong_count() > 0);
        listeners.push(Rc::downgrade(listener));
    }

    /// Hands the signals that arrived since the last look to their
    /// handlers and listeners.
    fn dispatch(&self) {
        registry::drain(self.slot);
        let mut arrived = Vec::new();
        {
            let interest = self.interest.borrow();
            let mut seen = self.seen.borrow_mut();
            for (index, &n) in interest.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                let count = registry::count(index);
                if count != seen[index] {
                    arrived.push((index as i32, count - seen[index]));
                    seen[index] = count;
                }
            }
        }
        for (sig, times) in arrived {
            let handler = self.handlers.borrow().get(&sig).cloned();
            if let Some(handler) = handler {
                (handler.borrow_mut())();
            }
            let listeners: Vec<Rc<Listener>> = self
                .listeners
                .borrow()
                .iter()
                .filter_map(Weak::upgrade)
                .filter(|l| l.sig == sig)
                .collect();
            for l in listeners {
                l.pending.set(l.pending.get() + times);
                if let Some(w) = l.waker.borrow_mut().take() {
                    w.wake();
                }
                if let Some(f) = &l.callback {
                    f();
                }
            }
        }
    }
}

fn schedule(weak: &Weak<LoopSignals>) {
    let Some(state) = weak.upgrade() else { return };
    if state.queued.replace(true) {
        return;
    }
    let weak = weak.clone();
    let queued = state.handle.call_soon(move || {
        if let Some(state) = weak.upgrade() {
            state.queued.set(false);
            state.dispatch();
        }
    });
    if queued.is_err() {
        state.queued.set(false);
    }
}

impl Drop for LoopSignals {
    fn drop(&mut self) {
        self.driver.unwatch_fd(self.fd, Direction::Read);
        let interest = *self.interest.borrow();
        for (index, &n) in interest.iter().enumerate() {
            for _ in 0..n {
                registry::remove_interest(index as i32);
            }
        }
        registry::release_pipe(self.slot);
    }
}
