//! Circuit breaker: stop calling a service that keeps failing, and probe it
//! carefully when it may have recovered.
//!
//! | by hand / elsewhere | ferrio-resilience |
//! |---|---|
//! | a failure counter and an `if time.monotonic() < open_until: raise` | [`CircuitBreaker::call`] |
//! | Polly `CircuitBreakerStrategyOptions` (`FailureRatio`, `MinimumThroughput`, `SamplingDuration`, `BreakDuration`) | [`BreakerConfig::failure_rate`] with [`Window::time`], [`BreakerConfig::cool_down`] |
//! | Polly `OnOpened` / `OnClosed` / `OnHalfOpened` | [`CircuitBreaker::on_state_change`], [`CircuitBreaker::state_changes`] (a `Stream`) |
//! | `BrokenCircuitException.RetryAfter` | [`BreakerOpen::retry_after`] |
//! | one breaker per downstream host | [`BreakerRegistry`] |
//!
//! What the hand-written breaker gets wrong and this one does not: when
//! half-open it admits only [`half_open_calls`](BreakerConfig::half_open_calls)
//! trial calls at once (not the whole backlog); an outcome from before a
//! state change is not counted in the next state; and a call cancelled by
//! its caller is neither a failure nor a success.
//!
//! The breaker reads the loop clock only when it must: while open, for a
//! time window, and at a transition.

mod call;
mod config;
mod error;
mod events;
mod permit;
mod registry;
mod state;
mod window;

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::time::Instant;

pub use call::{ByResult, Call};
pub use config::{BreakerConfig, Window};
pub use error::{BreakerError, BreakerOpen};
pub use events::StateChanges;
pub use permit::CallPermit;
pub use registry::BreakerRegistry;
pub use state::{CircuitState, Outcome, Transition};

use events::Observers;
use state::{Machine, Now, Refused, Ticket};

/// A circuit breaker: asyncio has none; Polly's circuit-breaker strategy,
/// resilience4j's `CircuitBreaker`.
///
/// Cheap to clone: clones share one breaker (`!Send`, like everything on a
/// ferrio loop). See [`BreakerConfig`] for when it opens and recovers.
///
/// ```
/// use std::time::Duration;
/// use ferrio_resilience::breaker::{BreakerConfig, BreakerError, CircuitBreaker, CircuitState};
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let breaker = CircuitBreaker::new(
///             BreakerConfig::default()
///                 .consecutive_failures(2)
///                 .cool_down(Duration::from_secs(10)),
///         );
///         for _ in 0..2 {
///             let _ = breaker.call(|| async { Err::<(), _>("503") }).await;
///         }
///         assert_eq!(breaker.state(), CircuitState::Open);
///         // Fails fast, without calling, and says for how long.
///         match breaker.call(|| async { Ok::<_, &str>(()) }).await {
///             Err(BreakerError::Open(open)) => {
///                 assert_eq!(open.retry_after(), Some(Duration::from_secs(10)))
///             }
///             other => panic!("{other:?}"),
///         }
///         ferrio::sleep(Duration::from_secs(10)).await.unwrap();
///         // A trial call succeeds: closed again.
///         breaker.call(|| async { Ok::<_, &str>(()) }).await.unwrap();
///         assert_eq!(breaker.state(), CircuitState::Closed);
///     })
///     .unwrap();
/// ```
#[derive(Clone)]
pub struct CircuitBreaker {
    inner: Rc<Inner>,
}

struct Inner {
    machine: RefCell<Machine>,
    observers: RefCell<Observers>,
}

/// A snapshot of a breaker's counters, from [`CircuitBreaker::stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BreakerStats {
    /// The state.
    pub state: CircuitState,
    /// Failures in a row while closed.
    pub consecutive_failures: u32,
    /// Calls in the failure-rate window (0 without one).
    pub window_calls: u32,
    /// Failures among them.
    pub window_failures: u32,
    /// Trial calls running while half-open.
    pub trials_in_flight: u32,
}

fn loop_time() -> Instant {
    ferrio::now()
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> CircuitBreaker {
        CircuitBreaker {
            inner: Rc::new(Inner {
                machine: RefCell::new(Machine::new(config)),
                observers: RefCell::default(),
            }),
        }
    }

    /// Its configuration.
    pub fn config(&self) -> BreakerConfig {
        *self.inner.machine.borrow().config()
    }

    /// The state now. An open breaker whose cool-down has ended becomes
    /// half-open here (or at the next call), with the transition reported.
    ///
    /// # Panics
    ///
    /// Outside a running ferrio loop while open (the cool-down is measured
    /// on the loop clock).
    pub fn state(&self) -> CircuitState {
        let read: &dyn Fn() -> Instant = &loop_time;
        let (state, transition) = self.inner.machine.borrow_mut().state(&mut Now::lazy(read));
        self.publish(transition);
        state
    }

    /// Counters, for metrics.
    pub fn stats(&self) -> BreakerStats {
        let state = self.state();
        let read: &dyn Fn() -> Instant = &loop_time;
        let (consecutive, counts, in_flight) = self
            .inner
            .machine
            .borrow_mut()
            .counters(&mut Now::lazy(read));
        BreakerStats {
            state,
            consecutive_failures: consecutive,
            window_calls: counts.calls,
            window_failures: counts.failures,
            trials_in_flight: in_flight,
        }
    }

    /// Asks to make one call: a [`CallPermit`] to record its outcome on, or
    /// the refusal. The low-level form of [`call`](Self::call), for calls
    /// that are not one future (a streaming response, a callback API).
    ///
    /// # Errors
    ///
    /// [`BreakerOpen`] while open (it says until when), or while half-open
    /// with every trial slot taken.
    #[inline]
    pub fn try_acquire(&self) -> Result<CallPermit, BreakerOpen> {
        let closed = self.inner.machine.borrow().acquire_closed();
        if let Some(ticket) = closed {
            return Ok(CallPermit {
                breaker: self.clone(),
                ticket,
                recorded: false,
            });
        }
        self.try_acquire_slow()
    }

    #[cold]
    fn try_acquire_slow(&self) -> Result<CallPermit, BreakerOpen> {
        let read: &dyn Fn() -> Instant = &loop_time;
        let mut now = Now::lazy(read);
        let (admitted, transition) = self.inner.machine.borrow_mut().acquire(&mut now);
        self.publish(transition);
        match admitted {
            Ok(ticket) => Ok(CallPermit {
                breaker: self.clone(),
                ticket,
                recorded: false,
            }),
            Err(Refused::Open(until)) => Err(BreakerOpen {
                state: CircuitState::Open,
                retry_at: Some(until),
                retry_after: Some(until.saturating_duration_since(now.get())),
            }),
            Err(Refused::TrialsBusy) => Err(BreakerOpen {
                state: CircuitState::HalfOpen,
                retry_at: None,
                retry_after: None,
            }),
        }
    }

    /// Makes the call `make` builds if the breaker allows it, and records
    /// its outcome: `Ok` as a success, `Err` as a failure (change that with
    /// [`Call::classify`]). Refused, `make` is not called.
    ///
    /// A timeout counts as a failure when it is an `Err` of the call (wrap
    /// the call in `ferrio::timeout` and map the `TimeoutError` into your
    /// error), or use a [`Pipeline`](crate::Pipeline), which does this.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point. If the caller is cancelled during the call,
    /// the call is cancelled too, waited for (its cleanup runs), and not
    /// recorded (a trial slot is freed); the output is
    /// [`BreakerError::Cancelled`] — or the call's value, if it swallowed
    /// the cancellation and succeeded. Dropping the future drops the call
    /// without cleanup, also unrecorded.
    pub fn call<F, Fut, T, E>(&self, make: F) -> Call<F, Fut, ByResult<T, E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        call::call(self.clone(), make)
    }

    /// Calls `callback` on every state change, with the transition, after
    /// the breaker has changed (so it may query the breaker).
    pub fn on_state_change(&self, callback: impl Fn(&Transition) + 'static) {
        self.inner
            .observers
            .borrow_mut()
            .add_callback(Rc::new(callback));
    }

    /// The state changes from now on, as a `Stream`.
    pub fn state_changes(&self) -> StateChanges {
        self.inner.observers.borrow_mut().subscribe()
    }

    /// Closes the breaker by hand and clears its counts (an operator's
    /// override). Outcomes of calls admitted before are ignored.
    ///
    /// # Panics
    ///
    /// Outside a running ferrio loop.
    pub fn reset(&self) {
        let read: &dyn Fn() -> Instant = &loop_time;
        let t = self.inner.machine.borrow_mut().reset(&mut Now::lazy(read));
        self.publish(Some(t));
    }

    /// Opens the breaker by hand for one cool-down (an operator isolating
    /// a service).
    ///
    /// # Panics
    ///
    /// Outside a running ferrio loop.
    pub fn trip(&self) {
        let read: &dyn Fn() -> Instant = &loop_time;
        let t = self.inner.machine.borrow_mut().trip(&mut Now::lazy(read));
        self.publish(Some(t));
    }

    #[inline]
    pub(crate) fn record(&self, ticket: Ticket, outcome: Outcome) {
        if outcome == Outcome::Success
            && self
                .inner
                .machine
                .borrow_mut()
                .record_closed_success(ticket)
        {
            return;
        }
        self.record_slow(ticket, outcome);
    }

    fn record_slow(&self, ticket: Ticket, outcome: Outcome) {
        let read: &dyn Fn() -> Instant = &loop_time;
        let transition =
            self.inner
                .machine
                .borrow_mut()
                .record(ticket, outcome, &mut Now::lazy(read));
        self.publish(transition);
    }

    fn publish(&self, transition: Option<Transition>) {
        let Some(transition) = transition else {
            return;
        };
        let callbacks = self.inner.observers.borrow_mut().publish(transition);
        for callback in callbacks {
            callback(&transition);
        }
    }
}

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let machine = self.inner.machine.borrow();
        f.debug_struct("CircuitBreaker")
            .field("machine", &*machine)
            .field("observers", &*self.inner.observers.borrow())
            .finish()
    }
}
