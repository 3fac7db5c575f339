//! [`MockConfig`]: every knob of the mock server, validated.

use std::fmt;
use std::time::Duration;

use crate::units::DurationRange;

/// How long [`MockServer::shutdown`](super::MockServer::shutdown) lets
/// in-flight requests finish before it drops their connections.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The pause between two chunks of a `--slow-body` body when there is no
/// latency to spread them over.
pub const SLOW_BODY_DEFAULT_PAUSE: Duration = Duration::from_millis(50);

/// How many chunks a `--slow-body` body is cut into (fewer if it is
/// shorter than that many bytes).
pub const SLOW_BODY_CHUNKS: usize = 4;

/// A rate limit: `per_second` requests a second, in bursts of up to
/// `burst`; requests above it answer 429 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second (above zero; may be fractional).
    pub per_second: f64,
    /// Requests accepted at once after an idle spell (at least 1).
    pub burst: u32,
}

impl RateLimit {
    /// `per_second` with a burst of one second's worth (at least 1).
    pub fn per_second(per_second: f64) -> RateLimit {
        RateLimit {
            per_second,
            burst: default_burst(per_second),
        }
    }
}

/// One second's worth of requests, rounded up, at least 1.
pub(crate) fn default_burst(per_second: f64) -> u32 {
    if per_second.is_finite() && per_second > 1.0 {
        per_second.ceil().min(f64::from(u32::MAX)) as u32
    } else {
        1
    }
}

/// The mock server's behaviour. `Default` is a well-behaved server on a
/// random free port: no latency, no failures, no limits.
///
/// ```
/// use std::time::Duration;
/// use ferrio_cli::mock::MockConfig;
/// use ferrio_cli::units::DurationRange;
///
/// let config = MockConfig {
///     latency: DurationRange { low: Duration::from_millis(50), high: Duration::from_millis(50) },
///     fail_rate: 0.05,
///     seed: Some(7),
///     ..MockConfig::default()
/// };
/// config.validate().unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// How long each request waits before it is answered (drawn uniformly
    /// from the range for each request), on the loop clock. Not applied to
    /// `/_stats`, nor to requests refused by the rate limit.
    pub latency: DurationRange,
    /// The fraction of `/item` requests that answer [`fail_status`](Self::fail_status).
    pub fail_rate: f64,
    /// The status of an injected failure (400 to 599).
    pub fail_status: u16,
    /// Stream each body in [`SLOW_BODY_CHUNKS`] chunks, the latency spread
    /// over the pauses between them (headers go out at once).
    pub slow_body: bool,
    /// Answer 429 above this rate (every route but `/_stats`).
    pub rate_limit: Option<RateLimit>,
    /// At most this many connections open at once: while at the limit the
    /// server stops accepting, and new connections wait in the listen
    /// backlog until one closes.
    pub max_connections: Option<usize>,
    /// Seed of the failure and latency draws; `None` draws a seed. With a
    /// seed, the n-th request for a given path always gets the same
    /// latency and the same failure decision, whatever the order requests
    /// arrive in.
    pub seed: Option<u64>,
    /// How long shutdown lets in-flight requests finish.
    pub shutdown_grace: Duration,
    /// Print one line per request to standard error.
    pub verbose: bool,
}

impl Default for MockConfig {
    fn default() -> MockConfig {
        MockConfig {
            port: 0,
            latency: DurationRange {
                low: Duration::ZERO,
                high: Duration::ZERO,
            },
            fail_rate: 0.0,
            fail_status: 500,
            slow_body: false,
            rate_limit: None,
            max_connections: None,
            seed: None,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            verbose: false,
        }
    }
}

impl MockConfig {
    /// Checks that the knobs make sense together.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the bad knob and what to write instead.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(0.0..=1.0).contains(&self.fail_rate) {
            return Err(ConfigError::FailRate(self.fail_rate));
        }
        if !(400..=599).contains(&self.fail_status) {
            return Err(ConfigError::FailStatus(self.fail_status));
        }
        if self.latency.low > self.latency.high {
            return Err(ConfigError::Latency);
        }
        if let Some(limit) = self.rate_limit {
            if !limit.per_second.is_finite() || limit.per_second <= 0.0 {
                return Err(ConfigError::Rate(limit.per_second));
            }
            if limit.burst == 0 {
                return Err(ConfigError::Burst);
            }
        }
        if self.max_connections == Some(0) {
            return Err(ConfigError::MaxConnections);
        }
        Ok(())
    }
}

/// A [`MockConfig`] that does not make sense.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigError {
    /// `fail_rate` outside 0..=1.
    FailRate(f64),
    /// `fail_status` not an error status.
    FailStatus(u16),
    /// The latency range's low end is above its high end.
    Latency,
    /// A rate that is not above zero.
    Rate(f64),
    /// A burst of zero.
    Burst,
    /// `max_connections` of zero.
    MaxConnections,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::FailRate(rate) => {
                write!(
                    f,
                    "--fail-rate {rate} is outside 0..1: write e.g. 0.05 or 5%"
                )
            }
            ConfigError::FailStatus(status) => write!(
                f,
                "--status {status} is not an error status: choose one from 400 to 599, e.g. 503"
            ),
            ConfigError::Latency => {
                f.write_str("--latency: the lower bound is above the upper bound")
            }
            ConfigError::Rate(rate) => {
                write!(
                    f,
                    "--rate-limit {rate}/s must be above zero: write e.g. 10/s"
                )
            }
            ConfigError::Burst => f.write_str("--burst must be at least 1"),
            ConfigError::MaxConnections => f.write_str(
                "--max-connections 0 would accept nothing: give at least 1, or leave it out",
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_quiet() {
        let config = MockConfig::default();
        config.validate().unwrap();
        assert_eq!(config.fail_rate, 0.0);
        assert_eq!(config.latency.high, Duration::ZERO);
        assert_eq!(config.port, 0);
    }

    #[test]
    fn bad_knobs_are_named() {
        let bad = [
            (
                MockConfig {
                    fail_rate: 1.5,
                    ..MockConfig::default()
                },
                "--fail-rate",
            ),
            (
                MockConfig {
                    fail_status: 200,
                    ..MockConfig::default()
                },
                "--status",
            ),
            (
                MockConfig {
                    rate_limit: Some(RateLimit {
                        per_second: 0.0,
                        burst: 1,
                    }),
                    ..MockConfig::default()
                },
                "--rate-limit",
            ),
            (
                MockConfig {
                    rate_limit: Some(RateLimit {
                        per_second: 5.0,
                        burst: 0,
                    }),
                    ..MockConfig::default()
                },
                "--burst",
            ),
            (
                MockConfig {
                    max_connections: Some(0),
                    ..MockConfig::default()
                },
                "--max-connections",
            ),
            (
                MockConfig {
                    latency: DurationRange {
                        low: Duration::from_secs(2),
                        high: Duration::from_secs(1),
                    },
                    ..MockConfig::default()
                },
                "--latency",
            ),
        ];
        for (config, flag) in bad {
            let message = config.validate().unwrap_err().to_string();
            assert!(message.starts_with(flag), "{message}");
        }
    }

    #[test]
    fn the_default_burst_is_a_second_of_requests() {
        assert_eq!(RateLimit::per_second(10.0).burst, 10);
        assert_eq!(RateLimit::per_second(2.5).burst, 3);
        assert_eq!(RateLimit::per_second(0.5).burst, 1);
    }
}
