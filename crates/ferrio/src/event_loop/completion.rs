//! [`Completion`]: the one-shot slot through which work done elsewhere — a
//! job on a pool thread (`to_thread`), a future on another loop (`submit`)
//! — hands its result to whoever waits for it: a task on a loop, or a plain
//! thread blocked in a wait.
//!
//! # What it guarantees
//!
//! - The outcome goes from `Pending` to `Ready` once; a value offered after
//!   that, or after the waiter gave up (`Closed`), is dropped by whoever
//!   offered it, outside the lock.
//! - Settling wakes the awaiting task *before* it releases that task's
//!   hold on its loop's virtual clock (both go through that loop's remote
//!   queue, in this order), so the loop cannot go idle — and jump its
//!   virtual clock past the result — in between.
//! - Threads blocked in [`Completion::wait`] are told through a condition
//!   variable, notified only when one waits.
//! - Each user keeps its own state (`X`) under the same lock, so that its
//!   own transitions (a job started, a cancellation requested) are atomic
//!   with the outcome's.
//!
//! Critical sections are a few moves that cannot panic halfway, so a
//! poisoned lock is simply taken over.

use std::fmt;
use std::task::{Poll, Waker};
use std::time::Instant;

use super::clock_hold::ClockTicket;
use crate::loom::{Condvar, Mutex, MutexGuard};

/// Where the outcome is.
pub(crate) enum Outcome<T> {
    /// Not settled yet.
    Pending,
    /// Settled; the waiter has not taken it.
    Ready(T),
    /// Taken by the waiter.
    Taken,
    /// The waiter gave up before taking anything.
    Closed,
}

/// The slot's state, behind its lock.
pub(crate) struct State<T, X> {
    pub(crate) outcome: Outcome<T>,
    /// The task awaiting the outcome, if any.
    waiter: Option<Waker>,
    /// The awaiting loop's hold on its virtual clock while the outcome is
    /// due.
    hold: Option<ClockTicket>,
    /// Threads blocked in `wait`.
    blocked: usize,
    /// The user's own state, kept atomic with the outcome.
    pub(crate) extra: X,
}

/// A one-shot, cross-thread completion slot (see the module docs).
pub(crate) struct Completion<T, X = ()> {
    state: Mutex<State<T, X>>,
    ready: Condvar,
}

impl<T, X> Completion<T, X> {
    pub(crate) fn new(extra: X) -> Completion<T, X> {
        Completion {
            state: Mutex::new(State {
                outcome: Outcome::Pending,
                waiter: None,
                hold: None,
                blocked: 0,
                extra,
            }),
            ready: Condvar::new(),
        }
    }

    /// The state, locked.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State<T, X>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Settles the outcome with `value` if it is pending, running `also` on
    /// the user state under the same lock, and tells the waiters. Returns
    /// what `also` returned; `None` if the outcome was settled or closed
    /// already (then `value` is dropped here, outside the lock).
    pub(crate) fn settle<R>(&self, value: T, also: impl FnOnce(&mut X) -> R) -> Option<R> {
        let mut state = self.lock();
        let (unwanted, said) = match state.outcome {
            Outcome::Pending => {
                state.outcome = Outcome::Ready(value);
                (None, Some(also(&mut state.extra)))
            }
            _ => (Some(value), None),
        };
        let waiter = state.waiter.take();
        let hold = state.hold.take();
        let notify = state.blocked > 0;
        drop(state);
        if notify {
            self.ready.notify_all();
        }
        drop(unwanted);
        if let Some(w) = waiter {
            w.wake();
        }
        drop(hold);
        said
    }

    /// The outcome, taken, if it is ready; otherwise `waker` is kept to be
    /// woken when it is.
    ///
    /// # Panics
    ///
    /// If the outcome was taken, or the waiter gave up, already.
    pub(crate) fn poll(&self, waker: &Waker) -> Poll<T> {
        let mut state = self.lock();
        match std::mem::replace(&mut state.outcome, Outcome::Taken) {
            Outcome::Ready(value) => {
                let hold = state.hold.take();
                drop(state);
                drop(hold);
                Poll::Ready(value)
            }
            Outcome::Pending => {
                state.outcome = Outcome::Pending;
                match &state.waiter {
                    Some(w) if w.will_wake(waker) => {}
                    _ => state.waiter = Some(waker.clone()),
                }
                Poll::Pending
            }
            Outcome::Taken | Outcome::Closed => {
                panic!("a completion was polled after its outcome was taken")
            }
        }
    }

    /// Whether the outcome is still to come.
    pub(crate) fn is_pending(&self) -> bool {
        matches!(self.lock().outcome, Outcome::Pending)
    }

    /// Holds the awaiting loop's virtual clock until the outcome is
    /// settled; released at once if it is already.
    pub(crate) fn set_hold(&self, ticket: ClockTicket) {
        let mut state = self.lock();
        let spare = if matches!(state.outcome, Outcome::Pending) {
            state.hold.replace(ticket)
        } else {
            Some(ticket)
        };
        drop(state);
        drop(spare);
    }

    /// Blocks the calling thread until the outcome is ready (then takes
    /// it) or `deadline` passes (`None`).
    ///
    /// # Panics
    ///
    /// If the outcome was taken, or the waiter gave up, already.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Option<T> {
        let mut state = self.lock();
        state.blocked += 1;
        let taken = loop {
            match std::mem::replace(&mut state.outcome, Outcome::Taken) {
                Outcome::Ready(value) => break Some(value),
                Outcome::Pending => state.outcome = Outcome::Pending,
                Outcome::Taken | Outcome::Closed => {
                    panic!("the outcome of a completion was waited for after it was taken")
                }
            }
            match deadline {
                None => state = self.ready.wait(state).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break None;
                    }
                    state = self
                        .ready
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        };
        state.blocked -= 1;
        let hold = taken.is_some().then(|| state.hold.take()).flatten();
        drop(state);
        drop(hold);
        taken
    }

    /// The waiter gives up: the outcome is closed (unless it was taken),
    /// `also` runs on the user state under the same lock, and a value
    /// already there, the waker and the clock hold are dropped, outside the
    /// lock.
    pub(crate) fn close(&self, also: impl FnOnce(&mut X)) {
        let mut state = self.lock();
        let unwanted = match std::mem::replace(&mut state.outcome, Outcome::Closed) {
            Outcome::Ready(value) => Some(value),
            Outcome::Taken => {
                state.outcome = Outcome::Taken;
                None
            }
            Outcome::Pending | Outcome::Closed => None,
        };
        also(&mut state.extra);
        let waiter = state.waiter.take();
        let hold = state.hold.take();
        drop(state);
        drop((unwanted, waiter, hold));
    }
}

impl<T, X> fmt::Debug for Completion<T, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = match self.lock().outcome {
            Outcome::Pending => "pending",
            Outcome::Ready(_) => "ready",
            Outcome::Taken => "taken",
            Outcome::Closed => "closed",
        };
        f.debug_struct("Completion")
            .field("outcome", &outcome)
            .finish()
    }
}
