//! [`BreakerConfig`] and [`Window`]: when a circuit breaker opens, how long
//! it stays open, and how it probes for recovery.

use std::time::Duration;

/// The sliding window a failure rate is measured over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Window {
    /// The last `n` recorded calls.
    Calls(u32),
    /// The calls recorded in the last `span` of loop time, in `buckets`
    /// equal slots: a call counts from when it is recorded until its slot
    /// leaves the window, i.e. for between `span - span/buckets` and `span`.
    /// More buckets, finer edges; memory is one counter pair per bucket.
    Time {
        /// How far back the window reaches.
        span: Duration,
        /// How many slots it is cut into (at least 1).
        buckets: u32,
    },
}

impl Window {
    /// The last `n` calls.
    pub fn calls(n: u32) -> Window {
        Window::Calls(n)
    }

    /// The last `span` of time, in 10 buckets.
    pub fn time(span: Duration) -> Window {
        Window::Time { span, buckets: 10 }
    }
}

/// Opening on a failure rate: at least `min_calls` calls in the window and
/// a share of failures of at least `rate`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RateTrip {
    pub(crate) rate: f64,
    pub(crate) window: Window,
    pub(crate) min_calls: u32,
}

/// When a [`CircuitBreaker`](super::CircuitBreaker) opens and how it
/// recovers.
///
/// It opens after `consecutive_failures` failures in a row, or when the
/// failure rate over a sliding window reaches a threshold (with a minimum
/// number of calls, so that one failure out of one call does not count as
/// 100 %), whichever comes first. It then rejects calls for `cool_down`,
/// after which it is half-open: up to `half_open_calls` trial calls run at
/// once; `half_open_successes` successes close it, any failure opens it
/// again for another `cool_down`.
///
/// The default: 5 consecutive failures, no rate trigger, 30 s cool-down, one
/// trial call at a time and one success to close.
///
/// ```
/// use std::time::Duration;
/// use ferrio_resilience::breaker::{BreakerConfig, Window};
///
/// let config = BreakerConfig::default()
///     .consecutive_failures(10)
///     .failure_rate(0.5, Window::time(Duration::from_secs(60)), 20)
///     .cool_down(Duration::from_secs(15))
///     .half_open_calls(3);
/// # let _ = config;
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    pub(crate) consecutive: Option<u32>,
    pub(crate) rate: Option<RateTrip>,
    pub(crate) cool_down: Duration,
    pub(crate) half_open_calls: u32,
    pub(crate) half_open_successes: u32,
}

impl Default for BreakerConfig {
    fn default() -> BreakerConfig {
        BreakerConfig {
            consecutive: Some(5),
            rate: None,
            cool_down: Duration::from_secs(30),
            half_open_calls: 1,
            half_open_successes: 1,
        }
    }
}

impl BreakerConfig {
    /// Opens after `n` failures in a row.
    ///
    /// # Panics
    ///
    /// If `n` is zero.
    #[track_caller]
    pub fn consecutive_failures(mut self, n: u32) -> BreakerConfig {
        assert!(
            n > 0,
            "BreakerConfig::consecutive_failures: n must be at least 1"
        );
        self.consecutive = Some(n);
        self
    }

    /// Never opens on consecutive failures (use with
    /// [`failure_rate`](Self::failure_rate)).
    pub fn no_consecutive_limit(mut self) -> BreakerConfig {
        self.consecutive = None;
        self
    }

    /// Opens when, over `window`, at least `min_calls` calls were recorded
    /// and the share of failures among them is at least `rate` (0.0–1.0).
    ///
    /// # Panics
    ///
    /// If `rate` is not within `(0, 1]`, or the window is empty (zero calls,
    /// a zero span or zero buckets).
    #[track_caller]
    pub fn failure_rate(mut self, rate: f64, window: Window, min_calls: u32) -> BreakerConfig {
        assert!(
            rate > 0.0 && rate <= 1.0,
            "BreakerConfig::failure_rate: the rate must be in (0, 1], got {rate}"
        );
        match window {
            Window::Calls(n) => assert!(n > 0, "BreakerConfig::failure_rate: Window::Calls(0)"),
            Window::Time { span, buckets } => assert!(
                !span.is_zero() && buckets > 0,
                "BreakerConfig::failure_rate: a time window needs a span and at least one bucket"
            ),
        }
        self.rate = Some(RateTrip {
            rate,
            window,
            min_calls,
        });
        self
    }

    /// How long it stays open before allowing trial calls (default 30 s).
    pub fn cool_down(mut self, cool_down: Duration) -> BreakerConfig {
        self.cool_down = cool_down;
        self
    }

    /// How many trial calls may run at once while half-open (default 1);
    /// also sets the successes needed to close to `n`.
    ///
    /// # Panics
    ///
    /// If `n` is zero.
    #[track_caller]
    pub fn half_open_calls(mut self, n: u32) -> BreakerConfig {
        assert!(
            n > 0,
            "BreakerConfig::half_open_calls: n must be at least 1"
        );
        self.half_open_calls = n;
        self.half_open_successes = n;
        self
    }

    /// How many trial successes close it (default: as many as
    /// [`half_open_calls`](Self::half_open_calls)).
    ///
    /// # Panics
    ///
    /// If `n` is zero.
    #[track_caller]
    pub fn half_open_successes(mut self, n: u32) -> BreakerConfig {
        assert!(
            n > 0,
            "BreakerConfig::half_open_successes: n must be at least 1"
        );
        self.half_open_successes = n;
        self
    }
}
