//! [`CallPermit`]: the breaker's permission for one call, and where its
//! outcome is recorded.

use std::fmt;

use super::state::Ticket;
use super::{CircuitBreaker, Outcome};

/// Permission to make one call, from
/// [`CircuitBreaker::try_acquire`]: make the call, then record how it went
/// with [`success`](Self::success), [`failure`](Self::failure) or
/// [`record`](Self::record).
///
/// Dropping the permit unrecorded counts as [`Outcome::Ignore`]: nothing is
/// counted, and a half-open trial slot it held is freed. That is what a
/// cancelled call should do, so a permit held across an await is
/// cancellation-safe as it is.
#[must_use = "record the call's outcome, or drop the permit to ignore it"]
pub struct CallPermit {
    pub(crate) breaker: CircuitBreaker,
    pub(crate) ticket: Ticket,
    pub(crate) recorded: bool,
}

impl CallPermit {
    /// Records a success.
    pub fn success(self) {
        self.record(Outcome::Success);
    }

    /// Records a failure.
    pub fn failure(self) {
        self.record(Outcome::Failure);
    }

    /// Records `outcome`.
    #[inline]
    pub fn record(mut self, outcome: Outcome) {
        self.recorded = true;
        self.breaker.record(self.ticket, outcome);
    }

    /// Whether this is a trial call of a half-open breaker.
    pub fn is_trial(&self) -> bool {
        self.ticket.is_trial()
    }
}

impl Drop for CallPermit {
    #[inline]
    fn drop(&mut self) {
        if !self.recorded {
            self.breaker.record(self.ticket, Outcome::Ignore);
        }
    }
}

impl fmt::Debug for CallPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallPermit")
            .field("trial", &self.is_trial())
            .finish_non_exhaustive()
    }
}
