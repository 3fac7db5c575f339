//! [`Promise`]: asyncio's `Future` — a cell set once, awaited by many.
//!
//! # Invariants
//!
//! - `outcome` goes from `None` to `Some` once and never changes after.
//! - `waiters` holds the wakers of the pending [`PromiseWait`]s, keyed by
//!   slab index. Settling drains it; no waiter registers after that (a poll
//!   of a settled promise is `Ready`), so a key held by a `PromiseWait` is
//!   valid exactly while the promise is not settled.
//! - No `RefCell` borrow is held while a waker, a callback or user code
//!   runs.

use std::cell::RefCell;
use std::fmt;
use std::future::IntoFuture;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;

use slab::Slab;

use super::error::{InvalidState, PromiseError};
use super::promise_wait::PromiseWait;
use crate::event_loop::context;
use crate::Cancelled;

type DoneCallback<T, E> = Box<dyn FnOnce(&Promise<T, E>)>;

use crate::task::{DoneCallbackId, NotDone};

/// A settable, cloneable, awaitable cell: asyncio's `Future`.
///
/// One side settles it once — [`set_result`](Self::set_result),
/// [`set_exception`](Self::set_exception) or [`cancel`](Self::cancel) —
/// and any number of tasks await it, each getting a clone of the outcome.
/// Clones of a `Promise` are handles to the same cell (an `Rc`: it stays on
/// its loop's thread).
///
/// - `T` is the value. Awaiting needs `T: Clone`, since every awaiter gets
///   its own copy; for a value that is not `Clone` (or costly to clone) use
///   `Promise<Rc<V>>`.
/// - `E` is the error type of [`set_exception`](Self::set_exception), also
///   cloned to every awaiter; it defaults to `Rc<dyn Error>`, which takes
///   any error: `promise.set_exception(Rc::new(my_error))`.
///
/// Awaiting gives `Ok(value)`, or [`PromiseError::Failed`] with the error,
/// or [`PromiseError::Cancelled`] if the promise was cancelled. Await a
/// `&Promise`, a clone, or [`wait()`](Self::wait). A task cancelled while it
/// awaits a pending promise **cancels the promise**, as asyncio's
/// `Task.cancel()` cancels the future the task waits on: every awaiter then
/// sees it cancelled (cancellation follows the await chain).
///
/// A promise needs no loop to be created or settled. Done callbacks run
/// through the running loop's `call_soon`, as in asyncio; settled with no
/// loop running, they run at once.
///
/// ```
/// use ferrio::future::Promise;
///
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let promise: Promise<u32> = Promise::new();
///         let waiters: Vec<_> = (0..3)
///             .map(|i| {
///                 let p = promise.clone();
///                 ferrio::spawn(async move { p.await.unwrap() + i })
///             })
///             .collect();
///         ferrio::yield_now().await.unwrap();
///         promise.set_result(10).unwrap();
///         assert!(promise.set_result(11).is_err(), "a promise is set once");
///         let mut got = Vec::new();
///         for w in waiters {
///             got.push(w.await.unwrap());
///         }
///         assert_eq!(got, [10, 11, 12]);
///     })
///     .unwrap();
/// ```
pub struct Promise<T, E = Rc<dyn std::error::Error>> {
    shared: Rc<Shared<T, E>>,
}

pub(super) struct Shared<T, E> {
    pub(super) state: RefCell<State<T, E>>,
}

pub(super) struct State<T, E> {
    pub(super) outcome: Option<Outcome<T, E>>,
    pub(super) waiters: Slab<Waker>,
    callbacks: Vec<(DoneCallbackId, DoneCallback<T, E>)>,
}

/// How a promise was settled.
pub(super) enum Outcome<T, E> {
    Value(T),
    Failed(E),
    Cancelled(Option<Arc<str>>),
}

impl<T: Clone, E: Clone> Outcome<T, E> {
    pub(super) fn to_result(&self) -> Result<T, PromiseError<E>> {
        match self {
            Outcome::Value(v) => Ok(v.clone()),
            Outcome::Failed(e) => Err(PromiseError::Failed(e.clone())),
            Outcome::Cancelled(message) => Err(PromiseError::Cancelled(Cancelled::untracked(
                message.clone(),
            ))),
        }
    }
}

/// What [`Promise::statistics`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PromiseStats {
    /// Whether the promise is settled.
    pub done: bool,
    /// Awaiters currently waiting.
    pub waiters: usize,
    /// Done callbacks not yet scheduled.
    pub callbacks: usize,
}

impl<T, E> Promise<T, E> {
    /// A new, pending promise.
    pub fn new() -> Promise<T, E> {
        Promise {
            shared: Rc::new(Shared {
                state: RefCell::new(State {
                    outcome: None,
                    waiters: Slab::new(),
                    callbacks: Vec::new(),
                }),
            }),
        }
    }

    /// Whether the promise is settled (set, failed or cancelled).
    pub fn done(&self) -> bool {
        self.shared.state.borrow().outcome.is_some()
    }

    /// Whether the promise was cancelled.
    pub fn cancelled(&self) -> bool {
        matches!(
            self.shared.state.borrow().outcome,
            Some(Outcome::Cancelled(_))
        )
    }

    /// The outcome if settled, `None` while pending: asyncio's `result()`
    /// (which raises `InvalidStateError` while pending). Does not consume
    /// it: every call gets a clone.
    pub fn try_result(&self) -> Option<Result<T, PromiseError<E>>>
    where
        T: Clone,
        E: Clone,
    {
        self.shared
            .state
            .borrow()
            .outcome
            .as_ref()
            .map(Outcome::to_result)
    }

    /// Why the promise has no value, asyncio's `exception()`: `Ok(None)` if
    /// it has one, `Ok(Some(PromiseError::Failed(e)))` if it failed,
    /// `Ok(Some(PromiseError::Cancelled(..)))` if it was cancelled.
    ///
    /// # Errors
    ///
    /// [`NotDone`] while it is pending.
    ///
    /// ```
    /// use ferrio::future::{Promise, PromiseError};
    ///
    /// let promise: Promise<u32, String> = Promise::new();
    /// assert!(promise.exception().is_err(), "pending");
    /// promise.set_exception("refused".to_string()).unwrap();
    /// assert!(matches!(promise.exception(), Ok(Some(PromiseError::Failed(e))) if e == "refused"));
    /// ```
    pub fn exception(&self) -> Result<Option<PromiseError<E>>, NotDone>
    where
        E: Clone,
    {
        match &self.shared.state.borrow().outcome {
            None => Err(NotDone),
            Some(Outcome::Value(_)) => Ok(None),
            Some(Outcome::Failed(e)) => Ok(Some(PromiseError::Failed(e.clone()))),
            Some(Outcome::Cancelled(message)) => Ok(Some(PromiseError::Cancelled(
                Cancelled::untracked(message.clone()),
            ))),
        }
    }

    /// A future that waits for the outcome; the same as awaiting `&promise`.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point: if the awaiting task is cancelled, the wait
    /// ends with [`PromiseError::Cancelled`] (the task's own `Cancelled`,
    /// to propagate) and the promise and its other awaiters are untouched.
    pub fn wait(&self) -> PromiseWait<T, E> {
        PromiseWait::new(self.shared.clone())
    }

    /// Whether `self` and `other` are handles to the same promise.
    pub fn ptr_eq(&self, other: &Promise<T, E>) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }

    /// Counts for diagnostics.
    pub fn statistics(&self) -> PromiseStats {
        let state = self.shared.state.borrow();
        PromiseStats {
            done: state.outcome.is_some(),
            waiters: state.waiters.len(),
            callbacks: state.callbacks.len(),
        }
    }
}

/// Settling, and what runs on settlement: these need `'static` types,
/// because done callbacks go through the loop.
impl<T: 'static, E: 'static> Promise<T, E> {
    /// Settles the promise with `value` and wakes every awaiter: asyncio's
    /// `set_result`.
    ///
    /// # Errors
    ///
    /// [`InvalidState`], giving `value` back, if the promise is already
    /// settled (set, failed or cancelled).
    pub fn set_result(&self, value: T) -> Result<(), InvalidState<T>> {
        if self.done() {
            return Err(InvalidState(value));
        }
        self.settle(Outcome::Value(value));
        Ok(())
    }

    /// Settles the promise with `error`: asyncio's `set_exception`.
    /// Awaiters get [`PromiseError::Failed`].
    ///
    /// # Errors
    ///
    /// [`InvalidState`], giving `error` back, if the promise is already
    /// settled.
    pub fn set_exception(&self, error: E) -> Result<(), InvalidState<E>> {
        if self.done() {
            return Err(InvalidState(error));
        }
        self.settle(Outcome::Failed(error));
        Ok(())
    }

    /// Cancels the promise: asyncio's `Future.cancel()`. Every awaiter gets
    /// [`PromiseError::Cancelled`]. Returns `false` (and does nothing) if
    /// the promise was already settled.
    ///
    /// Awaiters get a `Cancelled` that belongs to no task: like the
    /// cancellation of an awaited [`Task`](crate::Task), returning it does
    /// not make the awaiting task cancelled.
    pub fn cancel(&self) -> bool {
        self.cancel_inner(None)
    }

    /// [`cancel`](Self::cancel) with a message, carried by the `Cancelled`
    /// each awaiter gets.
    pub fn cancel_with(&self, message: impl Into<Arc<str>>) -> bool {
        self.cancel_inner(Some(message.into()))
    }

    pub(super) fn from_shared(shared: Rc<Shared<T, E>>) -> Promise<T, E> {
        Promise { shared }
    }

    pub(super) fn cancel_inner(&self, message: Option<Arc<str>>) -> bool {
        if self.done() {
            return false;
        }
        self.settle(Outcome::Cancelled(message));
        true
    }

    fn settle(&self, outcome: Outcome<T, E>) {
        let (waiters, callbacks) = {
            let mut state = self.shared.state.borrow_mut();
            debug_assert!(state.outcome.is_none());
            state.outcome = Some(outcome);
            let waiters: Vec<Waker> = state.waiters.drain().collect();
            (waiters, std::mem::take(&mut state.callbacks))
        };
        for waker in waiters {
            waker.wake();
        }
        for (_, callback) in callbacks {
            self.schedule_callback(callback);
        }
    }

    /// Runs `callback` through the running loop's `call_soon`; with no loop
    /// running (or a closed one), runs it now.
    fn schedule_callback(&self, callback: DoneCallback<T, E>) {
        match context::current().filter(|inner| !inner.is_closed()) {
            Some(inner) => {
                let promise = self.clone();
                inner.push_callback(crate::event_loop::callback_entry(Box::new(move || {
                    callback(&promise)
                })));
            }
            None => callback(self),
        }
    }

    /// Runs `callback` with the promise once it is settled, through the
    /// running loop's `call_soon`: asyncio's `add_done_callback`. If it is
    /// settled already, the callback is scheduled at once (or, with no loop
    /// running, called at once). Callbacks run in the order they were added.
    pub fn add_done_callback(
        &self,
        callback: impl FnOnce(&Promise<T, E>) + 'static,
    ) -> DoneCallbackId {
        let id = DoneCallbackId::next();
        let callback: DoneCallback<T, E> = Box::new(callback);
        if self.done() {
            self.schedule_callback(callback);
        } else {
            self.shared
                .state
                .borrow_mut()
                .callbacks
                .push((id, callback));
        }
        id
    }

    /// Removes a done callback that has not been scheduled yet: asyncio's
    /// `remove_done_callback`. Returns how many were removed (0 once the
    /// promise is settled: its callbacks are scheduled then).
    pub fn remove_done_callback(&self, id: DoneCallbackId) -> usize {
        // Dropped after the borrow: a callback may hold this promise.
        let removed: Vec<_> = {
            let mut state = self.shared.state.borrow_mut();
            let (removed, kept) = std::mem::take(&mut state.callbacks)
                .into_iter()
                .partition(|(i, _)| *i == id);
            state.callbacks = kept;
            removed
        };
        removed.len()
    }
}

impl<T, E> Clone for Promise<T, E> {
    fn clone(&self) -> Promise<T, E> {
        Promise {
            shared: self.shared.clone(),
        }
    }
}

impl<T, E> Default for Promise<T, E> {
    fn default() -> Promise<T, E> {
        Promise::new()
    }
}

impl<T: Clone + 'static, E: Clone + 'static> IntoFuture for Promise<T, E> {
    type Output = Result<T, PromiseError<E>>;
    type IntoFuture = PromiseWait<T, E>;

    fn into_future(self) -> PromiseWait<T, E> {
        PromiseWait::new(self.shared)
    }
}

impl<T: Clone + 'static, E: Clone + 'static> IntoFuture for &Promise<T, E> {
    type Output = Result<T, PromiseError<E>>;
    type IntoFuture = PromiseWait<T, E>;

    fn into_future(self) -> PromiseWait<T, E> {
        self.wait()
    }
}

impl<T, E> fmt::Debug for Promise<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.state.borrow();
        let status = match &state.outcome {
            None => "pending",
            Some(Outcome::Value(_)) => "finished",
            Some(Outcome::Failed(_)) => "failed",
            Some(Outcome::Cancelled(_)) => "cancelled",
        };
        f.debug_struct("Promise")
            .field("state", &status)
            .field("waiters", &state.waiters.len())
            .field("callbacks", &state.callbacks.len())
            .finish()
    }
}
