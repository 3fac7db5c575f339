//! The token bucket, as the generic cell rate algorithm (GCRA) in exact
//! integer arithmetic.
//!
//! A bucket of `burst` tokens refilled at `rate` tokens per `per` is
//! equivalent to tracking one time, the *theoretical arrival time* `tat`:
//! when the bucket would be full again. Taking `n` tokens at `now` moves it
//! to `max(tat, now) + n·T` (with `T = per / rate`, the time one token
//! takes to come back), and is allowed if that is at most `τ = burst·T`
//! ahead of `now`. So over any interval of length `d`, at most
//! `burst + rate·d/per` tokens are granted.
//!
//! `T` is rarely a whole number of nanoseconds, so every time here is a
//! loop [`Instant`] plus a fraction of a nanosecond in units of `1/rate`:
//! nothing is rounded, and a schedule is exact to the nanosecond (rounded
//! up only where a token is not yet whole). Taking one token, the common
//! case, is two additions and a comparison.

use std::time::{Duration, Instant};

/// A time as a loop instant plus `frac / rate` of a nanosecond.
type Fine = (Instant, u64);

/// Token-bucket state.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    rate: u64,
    per: u128,
    burst: u32,
    /// One token's time, `T`, as whole nanoseconds and a fraction.
    token: (Duration, u64),
    /// The tolerance `τ = burst·T`, likewise.
    tolerance: (Duration, u64),
    /// The theoretical arrival time; `None` before the first use (full).
    tat: Option<Fine>,
}

/// `units / rate` nanoseconds as whole nanoseconds and a fraction.
fn split(units: u128, rate: u64) -> (Duration, u64) {
    let rate = u128::from(rate);
    let whole = u64::try_from(units / rate).unwrap_or(u64::MAX);
    (Duration::from_nanos(whole), (units % rate) as u64)
}

impl TokenBucket {
    pub(crate) fn new(rate: u32, per: Duration, burst: u32) -> TokenBucket {
        let rate = u64::from(rate);
        let per = per.as_nanos();
        TokenBucket {
            rate,
            per,
            burst,
            token: split(per, rate),
            tolerance: split(per * u128::from(burst), rate),
            tat: None,
        }
    }

    pub(crate) fn capacity(&self) -> u32 {
        self.burst
    }

    /// `a + b`, carrying whole nanoseconds out of the fraction.
    fn add(&self, (at, frac): Fine, (d, f): (Duration, u64)) -> Fine {
        let frac = frac + f;
        if frac >= self.rate {
            (at + d + Duration::from_nanos(1), frac - self.rate)
        } else {
            (at + d, frac)
        }
    }

    /// Takes `n` tokens at `now`, or says when they will be there (if no
    /// one else takes any meanwhile). `n` must be at most the burst.
    #[inline]
    pub(crate) fn try_take(&mut self, n: u32, now: Instant) -> Result<(), Instant> {
        let base = match self.tat {
            Some(tat) if tat.0 >= now => tat,
            _ => (now, 0),
        };
        let cost = if n == 1 {
            self.token
        } else {
            split(self.per * u128::from(n), self.rate)
        };
        let next = self.add(base, cost);
        let limit = self.add((now, 0), self.tolerance);
        if next <= limit {
            self.tat = Some(next);
            Ok(())
        } else {
            Err(self.earliest(next))
        }
    }

    /// The earliest whole-nanosecond time `t` with `next <= t + τ`.
    #[cold]
    fn earliest(&self, (at, frac): Fine) -> Instant {
        let (tol, tol_frac) = self.tolerance;
        let (at, frac) = if frac >= tol_frac {
            (at - tol, frac - tol_frac)
        } else {
            (
                at - tol - Duration::from_nanos(1),
                frac + self.rate - tol_frac,
            )
        };
        if frac > 0 {
            at + Duration::from_nanos(1)
        } else {
            at
        }
    }

    /// Whole tokens available at `now`.
    pub(crate) fn available(&mut self, now: Instant) -> u32 {
        let debt = match self.tat {
            Some((at, frac)) if at >= now => {
                (at - now).as_nanos() * u128::from(self.rate) + u128::from(frac)
            }
            _ => 0,
        };
        let tolerance = u128::from(self.burst) * self.per;
        let free = tolerance.saturating_sub(debt);
        u32::try_from(free / self.per.max(1)).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_one_token_per_interval_exactly() {
        let t0 = Instant::now();
        let ms = |n| Duration::from_millis(n);
        // 3 per second, burst 2: T = 333_333_333.33.. ns.
        let mut b = TokenBucket::new(3, Duration::from_secs(1), 2);
        assert_eq!(b.try_take(1, t0), Ok(()));
        assert_eq!(b.try_take(1, t0), Ok(()));
        let next = b.try_take(1, t0).unwrap_err();
        assert_eq!(next - t0, Duration::from_nanos(333_333_334), "rounded up");
        assert_eq!(
            b.try_take(1, t0 + Duration::from_nanos(333_333_333))
                .unwrap_err(),
            next
        );
        assert_eq!(b.try_take(1, next), Ok(()));
        // A second later, three more tokens have come (one is the one just taken).
        assert_eq!(b.available(t0 + ms(1000)), 2);
    }

    #[test]
    fn a_large_request_waits_for_enough_tokens() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10, Duration::from_secs(1), 10);
        assert_eq!(b.try_take(10, t0), Ok(()));
        let at = b.try_take(5, t0).unwrap_err();
        assert_eq!(at - t0, Duration::from_millis(500));
        assert_eq!(b.available(at), 5);
    }

    #[test]
    fn thirds_of_a_nanosecond_add_up_without_drift() {
        // 3 tokens per 1 ns, burst 3: each token is a third of a nanosecond.
        let t0 = Instant::now();
        let mut b = TokenBucket::new(3, Duration::from_nanos(1), 3);
        let mut granted = 0;
        let mut now = t0;
        while now - t0 < Duration::from_micros(1) {
            match b.try_take(1, now) {
                Ok(()) => granted += 1,
                Err(at) => now = at,
            }
        }
        // 3 at each whole nanosecond from t0 to t0 + 999 ns: three thirds
        // make exactly one nanosecond, with nothing lost or gained.
        assert_eq!(granted, 3 * 1000);
    }
}
