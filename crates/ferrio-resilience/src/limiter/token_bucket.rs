//! The token bucket, as the generic cell rate algorithm (GCRA) in exact
//! integer arithmetic.
//!
//! A bucket of `burst` tokens refilled at `rate` tokens per `per` is
//! equivalent to tracking one number, the *theoretical arrival time* `tat`:
//! the time at which the bucket would be full again. Taking `n` tokens at
//! `now` moves it to `max(tat, now) + n·T` (with `T = per / rate`, the time
//! one token takes to come back), and is allowed if that is at most
//! `burst·T` ahead of `now`. So over any interval of length `d`, at most
//! `burst + rate·d/per` tokens are granted.
//!
//! Times are kept as nanoseconds since the first use multiplied by `rate`,
//! so that `T·rate = per` is an integer and nothing is rounded: a schedule
//! is exact to the nanosecond (rounded up where a token is not yet whole).

use std::time::{Duration, Instant};

/// Token-bucket state.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    rate: u128,
    per: u128,
    burst: u32,
    origin: Option<Instant>,
    /// Theoretical arrival time, in nanoseconds × `rate` since `origin`.
    tat: u128,
}

impl TokenBucket {
    pub(crate) fn new(rate: u32, per: Duration, burst: u32) -> TokenBucket {
        TokenBucket {
            rate: u128::from(rate),
            per: per.as_nanos(),
            burst,
            origin: None,
            tat: 0,
        }
    }

    pub(crate) fn capacity(&self) -> u32 {
        self.burst
    }

    /// `now` in scaled units (fixing the origin at the first use).
    fn scaled(&mut self, now: Instant) -> u128 {
        let origin = *self.origin.get_or_insert(now);
        now.saturating_duration_since(origin).as_nanos() * self.rate
    }

    /// Takes `n` tokens at `now`, or says when they will be there (if no
    /// one else takes any meanwhile). `n` must be at most the burst.
    pub(crate) fn try_take(&mut self, n: u32, now: Instant) -> Result<(), Instant> {
        let now_s = self.scaled(now);
        let next = self.tat.max(now_s) + u128::from(n) * self.per;
        let tolerance = u128::from(self.burst) * self.per;
        if next - now_s <= tolerance {
            self.tat = next;
            Ok(())
        } else {
            // The earliest time t with next - t·rate <= tolerance.
            let at = (next - tolerance).div_ceil(self.rate);
            Err(self.origin.expect("set by scaled") + nanos(at))
        }
    }

    /// Whole tokens available at `now`.
    pub(crate) fn available(&mut self, now: Instant) -> u32 {
        let now_s = self.scaled(now);
        let debt = self.tat.saturating_sub(now_s);
        let tolerance = u128::from(self.burst) * self.per;
        let free = tolerance.saturating_sub(debt);
        u32::try_from(free / self.per.max(1)).unwrap_or(u32::MAX)
    }
}

fn nanos(n: u128) -> Duration {
    Duration::from_nanos(u64::try_from(n).unwrap_or(u64::MAX))
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
}
