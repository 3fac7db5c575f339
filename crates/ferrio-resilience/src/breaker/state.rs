//! The breaker's state machine, free of the loop: every step takes the
//! time as an argument (read lazily — a closed breaker counting consecutive
//! failures or calls never reads the clock).
//!
//! ```text
//!            failures reach the trigger
//!   Closed ─────────────────────────────▶ Open { until }
//!     ▲                                     │ a call or a state query
//!     │ `half_open_successes` successes     │ at or after `until`
//!     │                                     ▼
//!     └───────────────────────────────── HalfOpen { in_flight, successes }
//!                                           │ any trial failure
//!                                           └──────▶ Open { until: now + cool_down }
//! ```
//!
//! Every transition starts a new *generation*. A ticket remembers the
//! generation it was issued in; an outcome recorded with a ticket of an
//! earlier generation is ignored, so a slow call admitted while closed
//! cannot close a breaker that opened meanwhile, nor count against the next
//! closed period.

use std::time::Instant;

use super::config::BreakerConfig;
use super::window::{Counts, Outcomes};

/// Where a circuit breaker is in its cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CircuitState {
    /// Calls go through; outcomes are counted.
    Closed,
    /// Calls fail fast until the cool-down ends.
    Open,
    /// A bounded number of trial calls go through; their outcomes decide.
    HalfOpen,
}

/// What a call's outcome means to the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The service answered well.
    Success,
    /// The service failed (an error, a timeout): counts towards opening.
    Failure,
    /// Says nothing about the service (the caller cancelled, a client-side
    /// error): not counted; a trial slot it held is freed.
    Ignore,
}

/// A state change, as reported to observers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state left.
    pub from: CircuitState,
    /// The state entered.
    pub to: CircuitState,
    /// Loop time of the change.
    pub at: Instant,
}

/// Permission for one call, in the generation it was given.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    generation: u64,
    trial: bool,
}

/// Why a call was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Open until this time.
    Open(Instant),
    /// Half-open, every trial slot taken.
    TrialsBusy,
}

impl Ticket {
    pub(crate) fn is_trial(&self) -> bool {
        self.trial
    }
}

/// The time, read at most once per step.
pub(crate) struct Now<'a> {
    at: Option<Instant>,
    read: &'a dyn Fn() -> Instant,
}

impl<'a> Now<'a> {
    pub(crate) fn lazy(read: &'a dyn Fn() -> Instant) -> Now<'a> {
        Now { at: None, read }
    }

    pub(crate) fn get(&mut self) -> Instant {
        *self.at.get_or_insert_with(self.read)
    }
}

#[derive(Debug, Clone, Copy)]
enum State {
    Closed,
    Open { until: Instant },
    HalfOpen { in_flight: u32, successes: u32 },
}

/// The state machine of one breaker.
#[derive(Debug)]
pub(crate) struct Machine {
    config: BreakerConfig,
    state: State,
    generation: u64,
    consecutive: u32,
    window: Option<Outcomes>,
}

impl Machine {
    pub(crate) fn new(config: BreakerConfig) -> Machine {
        Machine {
            config,
            state: State::Closed,
            generation: 0,
            consecutive: 0,
            window: config.rate.map(|r| Outcomes::new(r.window)),
        }
    }

    pub(crate) fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// The state now (an open breaker whose cool-down ended turns
    /// half-open here), and the transition that made, if any.
    pub(crate) fn state(&mut self, now: &mut Now<'_>) -> (CircuitState, Option<Transition>) {
        let transition = self.cool_down_over(now);
        (self.public_state(), transition)
    }

    fn public_state(&self) -> CircuitState {
        match self.state {
            State::Closed => CircuitState::Closed,
            State::Open { .. } => CircuitState::Open,
            State::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }

    fn cool_down_over(&mut self, now: &mut Now<'_>) -> Option<Transition> {
        match self.state {
            State::Open { until } if now.get() >= until => Some(self.enter(
                State::HalfOpen {
                    in_flight: 0,
                    successes: 0,
                },
                now,
            )),
            _ => None,
        }
    }

    fn enter(&mut self, state: State, now: &mut Now<'_>) -> Transition {
        let from = self.public_state();
        self.state = state;
        self.generation += 1;
        self.consecutive = 0;
        if let Some(w) = &mut self.window {
            w.clear();
        }
        Transition {
            from,
            to: self.public_state(),
            at: now.get(),
        }
    }

    fn open(&mut self, now: &mut Now<'_>) -> Transition {
        let until = now.get() + self.config.cool_down;
        self.enter(State::Open { until }, now)
    }

    /// The fast path of [`acquire`](Self::acquire): a closed breaker admits
    /// at once, with no time and no transition.
    #[inline]
    pub(crate) fn acquire_closed(&self) -> Option<Ticket> {
        match self.state {
            State::Closed => Some(self.ticket(false)),
            _ => None,
        }
    }

    /// The fast path of [`record`](Self::record): a success of the current
    /// closed generation without a window only resets the failure count.
    /// `false` if the general path is needed.
    #[inline]
    pub(crate) fn record_closed_success(&mut self, ticket: Ticket) -> bool {
        if ticket.generation == self.generation
            && matches!(self.state, State::Closed)
            && self.window.is_none()
        {
            self.consecutive = 0;
            true
        } else {
            false
        }
    }

    /// Admits a call, or says why not.
    pub(crate) fn acquire(
        &mut self,
        now: &mut Now<'_>,
    ) -> (Result<Ticket, Refused>, Option<Transition>) {
        if let State::Closed = self.state {
            return (Ok(self.ticket(false)), None);
        }
        let transition = self.cool_down_over(now);
        let admitted = match &mut self.state {
            State::Closed => unreachable!("handled above"),
            State::Open { until } => Err(Refused::Open(*until)),
            State::HalfOpen { in_flight, .. } => {
                if *in_flight < self.config.half_open_calls {
                    *in_flight += 1;
                    Ok(true)
                } else {
                    Err(Refused::TrialsBusy)
                }
            }
        };
        (admitted.map(|trial| self.ticket(trial)), transition)
    }

    fn ticket(&self, trial: bool) -> Ticket {
        Ticket {
            generation: self.generation,
            trial,
        }
    }

    /// Records the outcome of an admitted call.
    pub(crate) fn record(
        &mut self,
        ticket: Ticket,
        outcome: Outcome,
        now: &mut Now<'_>,
    ) -> Option<Transition> {
        if ticket.generation != self.generation {
            return None;
        }
        match &mut self.state {
            State::Closed => match outcome {
                Outcome::Ignore => None,
                Outcome::Success => {
                    self.consecutive = 0;
                    self.count(false, now);
                    None
                }
                Outcome::Failure => {
                    self.consecutive += 1;
                    let counts = self.count(true, now);
                    self.trips(counts).then(|| self.open(now))
                }
            },
            State::HalfOpen {
                in_flight,
                successes,
            } => {
                debug_assert!(ticket.trial, "a half-open generation issues trial tickets");
                *in_flight -= 1;
                match outcome {
                    Outcome::Ignore => None,
                    Outcome::Failure => Some(self.open(now)),
                    Outcome::Success => {
                        *successes += 1;
                        (*successes >= self.config.half_open_successes)
                            .then(|| self.enter(State::Closed, now))
                    }
                }
            }
            State::Open { .. } => unreachable!("an open generation issues no tickets"),
        }
    }

    /// Adds a closed-state outcome to the window, if there is one.
    fn count(&mut self, failed: bool, now: &mut Now<'_>) -> Counts {
        match &mut self.window {
            Some(w) => {
                let at = w.needs_time().then(|| now.get());
                w.record(failed, at)
            }
            None => Counts::default(),
        }
    }

    fn trips(&self, counts: Counts) -> bool {
        if self
            .config
            .consecutive
            .is_some_and(|n| self.consecutive >= n)
        {
            return true;
        }
        match self.config.rate {
            Some(rate) => {
                counts.calls >= rate.min_calls.max(1)
                    && f64::from(counts.failures) >= rate.rate * f64::from(counts.calls)
            }
            None => false,
        }
    }

    /// Counters for [`BreakerStats`](super::BreakerStats).
    pub(crate) fn counters(&mut self, now: &mut Now<'_>) -> (u32, Counts, u32) {
        let in_flight = match self.state {
            State::HalfOpen { in_flight, .. } => in_flight,
            _ => 0,
        };
        let counts = match &mut self.window {
            Some(w) => {
                let at = w.needs_time().then(|| now.get());
                w.counts(at)
            }
            None => Counts::default(),
        };
        (self.consecutive, counts, in_flight)
    }

    /// Closes the breaker and clears its counts.
    pub(crate) fn reset(&mut self, now: &mut Now<'_>) -> Transition {
        self.enter(State::Closed, now)
    }

    /// Opens the breaker for a cool-down.
    pub(crate) fn trip(&mut self, now: &mut Now<'_>) -> Transition {
        self.open(now)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::breaker::Window;

    struct Clock(std::cell::Cell<Instant>);

    impl Clock {
        fn advance(&self, d: Duration) {
            self.0.set(self.0.get() + d);
        }
    }

    fn step<R>(clock: &Clock, f: impl FnOnce(&mut Now<'_>) -> R) -> R {
        let read = || clock.0.get();
        f(&mut Now::lazy(&read))
    }

    #[test]
    fn full_cycle_with_a_stale_ticket_ignored() {
        let clock = Clock(std::cell::Cell::new(Instant::now()));
        let config = BreakerConfig::default()
            .consecutive_failures(2)
            .cool_down(Duration::from_secs(5));
        let mut m = Machine::new(config);
        let slow = step(&clock, |n| m.acquire(n)).0.unwrap();
        for _ in 0..2 {
            let t = step(&clock, |n| m.acquire(n)).0.unwrap();
            step(&clock, |n| m.record(t, Outcome::Failure, n));
        }
        assert_eq!(step(&clock, |n| m.state(n)).0, CircuitState::Open);
        // The slow call from the closed period finishes: ignored.
        assert!(step(&clock, |n| m.record(slow, Outcome::Success, n)).is_none());
        clock.advance(Duration::from_secs(5));
        let (trial, moved) = step(&clock, |n| m.acquire(n));
        assert_eq!(moved.unwrap().to, CircuitState::HalfOpen);
        assert_eq!(
            step(&clock, |n| m.acquire(n)).0.unwrap_err(),
            Refused::TrialsBusy
        );
        let closed = step(&clock, |n| m.record(trial.unwrap(), Outcome::Success, n)).unwrap();
        assert_eq!(
            (closed.from, closed.to),
            (CircuitState::HalfOpen, CircuitState::Closed)
        );
    }

    #[test]
    fn rate_trigger_waits_for_min_calls() {
        let clock = Clock(std::cell::Cell::new(Instant::now()));
        let config = BreakerConfig::default()
            .no_consecutive_limit()
            .failure_rate(0.5, Window::Calls(10), 4);
        let mut m = Machine::new(config);
        let mut run = |outcome| {
            let t = step(&clock, |n| m.acquire(n)).0.unwrap();
            step(&clock, |n| m.record(t, outcome, n))
        };
        assert!(run(Outcome::Failure).is_none(), "1 of 1 is below min_calls");
        assert!(run(Outcome::Success).is_none());
        assert!(
            run(Outcome::Failure).is_none(),
            "2 of 3, still below min_calls"
        );
        assert!(run(Outcome::Failure).is_some(), "3 of 4 >= 50 %");
    }
}
