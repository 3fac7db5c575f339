//! The loop clock: the real monotonic clock, or a virtual one for tests.
//!
//! The virtual clock starts at the moment the loop is built and only moves
//! when the loop is idle: when every task waits and no callback is ready, the
//! loop jumps it to the next timer deadline. A test of a one-hour timeout
//! therefore runs in microseconds, and its timings are exact.

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Which clock a loop runs on.
pub(crate) enum Clock {
    Real,
    Virtual {
        start: Instant,
        /// `start` in [`nanos_since_epoch`].
        start_nanos: u64,
        elapsed: Cell<Duration>,
    },
}

/// The instant that compact loop times count from: the first time a loop
/// clock was made (or a compact time asked for) in this process, so before
/// every loop time. Task activity records keep their instants as `u64`
/// nanoseconds since it (584 years), a quarter of an `Option<Instant>`
/// pair.
pub(crate) fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// `d` in nanoseconds, saturating at `u64::MAX` (584 years).
#[inline]
pub(crate) fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// `t` as nanoseconds since the [`epoch`] (0 for an earlier instant).
#[inline]
pub(crate) fn nanos_since_epoch(t: Instant) -> u64 {
    duration_nanos(t.saturating_duration_since(epoch()))
}

/// The instant `nanos` after the [`epoch`]: the inverse of
/// [`nanos_since_epoch`], exact for every instant since the epoch.
pub(crate) fn instant_at(nanos: u64) -> Instant {
    epoch() + Duration::from_nanos(nanos)
}

/// A reading of the real monotonic clock, in [`nanos_since_epoch`].
#[inline]
pub(crate) fn real_nanos() -> u64 {
    nanos_since_epoch(Instant::now())
}

impl Clock {
    pub(crate) fn new(virtual_clock: bool) -> Clock {
        // The epoch comes first, so that every loop time is after it.
        epoch();
        if virtual_clock {
            let start = Instant::now();
            Clock::Virtual {
                start,
                start_nanos: nanos_since_epoch(start),
                elapsed: Cell::new(Duration::ZERO),
            }
        } else {
            Clock::Real
        }
    }

    #[inline]
    pub(crate) fn now(&self) -> Instant {
        match self {
            Clock::Real => Instant::now(),
            Clock::Virtual { start, elapsed, .. } => *start + elapsed.get(),
        }
    }

    /// The loop time, in [`nanos_since_epoch`], at the moment the real
    /// clock read `real` ([`real_nanos`]): `real` itself on a real clock
    /// (no second read), the virtual time otherwise.
    #[inline]
    pub(crate) fn nanos_from(&self, real: u64) -> u64 {
        match self {
            Clock::Real => real,
            Clock::Virtual {
                start_nanos,
                elapsed,
                ..
            } => start_nanos.saturating_add(duration_nanos(elapsed.get())),
        }
    }

    pub(crate) fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual { .. })
    }

    /// Moves a virtual clock forward to `when` (never backwards). No effect
    /// on the real clock.
    pub(crate) fn advance_to(&self, when: Instant) {
        if let Clock::Virtual { start, elapsed, .. } = self {
            let target = when.saturating_duration_since(*start);
            if target > elapsed.get() {
                elapsed.set(target);
            }
        }
    }
}

/// How far "never" is: 30 years, like tokio's `far_future`. A deadline at
/// least this far ahead is *never*: no timer is registered for it, so it
/// neither sets the poll timeout nor moves a virtual clock, and what waits
/// for it waits until cancelled.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `now + delay`, clamped to [`FAR_FUTURE`] from now instead of
/// overflowing: `sleep(Duration::MAX)` waits until cancelled (see
/// [`is_never`]).
pub(crate) fn deadline_after(now: Instant, delay: Duration) -> Instant {
    // `Instant` holds 30 years past any clock reading on every platform std
    // supports (a 64-bit count of seconds or finer ticks since boot).
    now.checked_add(delay.min(FAR_FUTURE))
        .expect("the clock cannot represent a deadline 30 years ahead")
}

/// Whether `when` is so far ahead of `now` that it means never.
pub(crate) fn is_never(now: Instant, when: Instant) -> bool {
    when.saturating_duration_since(now) >= FAR_FUTURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_delays_are_clamped_and_mean_never() {
        let now = Instant::now();
        assert_eq!(deadline_after(now, Duration::MAX), now + FAR_FUTURE);
        assert!(is_never(now, deadline_after(now, Duration::MAX)));
        assert!(!is_never(
            now,
            deadline_after(now, Duration::from_secs(86_400 * 365))
        ));
        assert!(!is_never(now, now));
        assert_eq!(
            deadline_after(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
    }

    #[test]
    fn virtual_clock_moves_only_forward() {
        let clock = Clock::new(true);
        let t0 = clock.now();
        clock.advance_to(t0 + Duration::from_secs(3600));
        assert_eq!(clock.now() - t0, Duration::from_secs(3600));
        clock.advance_to(t0);
        assert_eq!(clock.now() - t0, Duration::from_secs(3600));
    }
}
