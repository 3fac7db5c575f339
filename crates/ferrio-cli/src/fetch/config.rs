//! [`FetchConfig`]: how to fetch, validated — built from the command line
//! by [`super::args`], or in code from [`FetchConfig::default`].

use std::time::Duration;

use bytes::Bytes;
use hyper::http::{HeaderName, HeaderValue, Method};

use crate::error::CliError;

/// How [`fetch_all`](super::fetch_all) fetches: limits, timeouts, retries,
/// the breaker, and the request itself. Plain data; check it with
/// [`validate`](Self::validate) (which `fetch_all` also does).
///
/// ```
/// use std::time::Duration;
/// use ferrio_cli::fetch::FetchConfig;
///
/// let config = FetchConfig {
///     concurrency: 20,
///     retries: 3,
///     timeout: Some(Duration::from_secs(2)),
///     ..FetchConfig::default()
/// };
/// config.validate().unwrap();
/// assert_eq!(config.per_host_limit(), 20);
/// ```
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Requests in flight at most, in all (default 50).
    pub concurrency: usize,
    /// Requests in flight at most per host (`None`: the same as
    /// `concurrency`).
    pub per_host: Option<usize>,
    /// Requests per second at most, in all, retries included (`None`: no
    /// limit). Bursts are one request: the rate is smooth.
    pub rate: Option<f64>,
    /// Time limit to open a connection (default 10 s).
    pub connect_timeout: Option<Duration>,
    /// Time limit of one attempt, from sending to the last body byte,
    /// redirects included (default 30 s).
    pub timeout: Option<Duration>,
    /// Retries after a retryable failure (connect error, timeout, 429,
    /// 5xx), so `retries + 1` attempts at most (default 0).
    pub retries: u32,
    /// The first retry's backoff delay, doubling after (default 100 ms, up
    /// to 10 s, with full jitter). A `Retry-After` answer replaces it.
    pub backoff: Duration,
    /// Seed of the backoff jitter, for reproducible runs (`None`: random).
    pub seed: Option<u64>,
    /// Open a host's circuit breaker after this many failures in a row
    /// (`None`: no breaker). While open, its URLs are skipped.
    pub breaker: Option<u32>,
    /// How long an open breaker stays open before one trial request
    /// (default 10 s).
    pub breaker_cooldown: Duration,
    /// Redirects followed at most (default 5).
    pub max_redirects: u32,
    /// The request method (default GET).
    pub method: Method,
    /// Extra request headers (they replace the defaults of the same name).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The request body (`None`: empty).
    pub body: Option<Bytes>,
    /// After an interruption, how long running requests may finish before
    /// they are cancelled (default 5 s).
    pub grace: Duration,
    /// Whether records carry their bodies (for `--save-dir`).
    pub keep_bodies: bool,
    /// The TLS client configuration for `https://` URLs (`None`: trust
    /// Mozilla's root certificates, from webpki-roots).
    #[cfg(feature = "tls")]
    pub tls: Option<std::sync::Arc<ferrio::stream::tls::rustls::ClientConfig>>,
}

impl Default for FetchConfig {
    fn default() -> FetchConfig {
        FetchConfig {
            concurrency: 50,
            per_host: None,
            rate: None,
            connect_timeout: Some(Duration::from_secs(10)),
            timeout: Some(Duration::from_secs(30)),
            retries: 0,
            backoff: Duration::from_millis(100),
            seed: None,
            breaker: None,
            breaker_cooldown: Duration::from_secs(10),
            max_redirects: 5,
            method: Method::GET,
            headers: Vec::new(),
            body: None,
            grace: Duration::from_secs(5),
            keep_bodies: false,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

/// The most retries accepted: more is a typo, not a plan.
pub const MAX_RETRIES: u32 = 100;

impl FetchConfig {
    /// The per-host limit in effect.
    pub fn per_host_limit(&self) -> usize {
        self.per_host.unwrap_or(self.concurrency)
    }

    /// Checks that the settings make sense together.
    ///
    /// # Errors
    ///
    /// [`CliError::Usage`] naming the flag and what to write instead.
    pub fn validate(&self) -> Result<(), CliError> {
        let usage = |m: String| Err(CliError::Usage(m));
        if self.concurrency == 0 {
            return usage("--concurrency must be at least 1".into());
        }
        if self.per_host == Some(0) {
            return usage("--per-host must be at least 1".into());
        }
        if let Some(rate) = self.rate {
            if !rate.is_finite() || rate <= 0.0 {
                return usage(format!(
                    "--rate {rate}: write a rate above zero, e.g. 100/s"
                ));
            }
        }
        for (flag, value) in [
            ("--connect-timeout", self.connect_timeout),
            ("--timeout", self.timeout),
        ] {
            if value == Some(Duration::ZERO) {
                return usage(format!("{flag} must be above zero (e.g. 5s)"));
            }
        }
        if self.retries > MAX_RETRIES {
            return usage(format!("--retries {}: at most {MAX_RETRIES}", self.retries));
        }
        if self.breaker == Some(0) {
            return usage("--breaker N needs N >= 1 failures in a row".into());
        }
        if self.breaker_cooldown.is_zero() {
            return usage("--breaker-cooldown must be above zero (e.g. 10s)".into());
        }
        if self.body.is_some() && matches!(self.method, Method::GET | Method::HEAD) {
            // Allowed by HTTP but almost always a mistake; say so.
            return usage(format!(
                "--data with -X {}: add -X POST (or PUT, PATCH) to send a body",
                self.method
            ));
        }
        Ok(())
    }
}

/// Parses a `-H 'Name: value'` header.
///
/// # Errors
///
/// [`CliError::Usage`] for a missing colon, a bad name or a bad value.
pub fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), CliError> {
    let (name, value) = text.split_once(':').ok_or_else(|| {
        CliError::Usage(format!(
            "-H '{text}' is not a header: write -H 'Name: value'"
        ))
    })?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
        CliError::Usage(format!(
            "-H '{text}': '{}' is not a header name (letters, digits and -)",
            name.trim()
        ))
    })?;
    let value = HeaderValue::from_str(value.trim()).map_err(|_| {
        CliError::Usage(format!(
            "-H '{text}': the value has characters a header cannot carry"
        ))
    })?;
    Ok((name, value))
}

/// Parses a `-X METHOD`.
///
/// # Errors
///
/// [`CliError::Usage`] for a token that is not a method.
pub fn parse_method(text: &str) -> Result<Method, CliError> {
    let upper = text.trim().to_ascii_uppercase();
    if upper.is_empty() {
        return Err(CliError::Usage("-X needs a method, e.g. -X POST".into()));
    }
    Method::from_bytes(upper.as_bytes()).map_err(|_| {
        CliError::Usage(format!(
            "-X '{text}' is not an HTTP method (e.g. GET, POST)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(config: FetchConfig) -> String {
        match config.validate() {
            Err(CliError::Usage(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_are_valid() {
        let config = FetchConfig::default();
        config.validate().unwrap();
        assert_eq!(config.per_host_limit(), 50);
    }

    #[test]
    fn every_bad_setting_names_its_flag() {
        let d = FetchConfig::default;
        assert!(usage(FetchConfig {
            concurrency: 0,
            ..d()
        })
        .contains("--concurrency"));
        assert!(usage(FetchConfig {
            per_host: Some(0),
            ..d()
        })
        .contains("--per-host"));
        assert!(usage(FetchConfig {
            rate: Some(0.0),
            ..d()
        })
        .contains("--rate"));
        assert!(usage(FetchConfig {
            rate: Some(f64::NAN),
            ..d()
        })
        .contains("--rate"));
        assert!(usage(FetchConfig {
            timeout: Some(Duration::ZERO),
            ..d()
        })
        .contains("--timeout"));
        assert!(usage(FetchConfig {
            connect_timeout: Some(Duration::ZERO),
            ..d()
        })
        .contains("--connect-timeout"));
        assert!(usage(FetchConfig {
            retries: 1000,
            ..d()
        })
        .contains("--retries"));
        assert!(usage(FetchConfig {
            breaker: Some(0),
            ..d()
        })
        .contains("--breaker"));
        assert!(usage(FetchConfig {
            breaker_cooldown: Duration::ZERO,
            ..d()
        })
        .contains("--breaker-cooldown"));
        assert!(usage(FetchConfig {
            body: Some(Bytes::from_static(b"x")),
            ..d()
        })
        .contains("-X POST"));
    }

    #[test]
    fn extreme_but_valid_settings_build_a_fetcher() {
        for config in [
            FetchConfig {
                rate: Some(1e15),
                ..FetchConfig::default()
            },
            FetchConfig {
                rate: Some(1e-6),
                ..FetchConfig::default()
            },
            FetchConfig {
                concurrency: 1_000_000,
                retries: MAX_RETRIES,
                ..FetchConfig::default()
            },
            FetchConfig {
                backoff: Duration::ZERO,
                max_redirects: 0,
                ..FetchConfig::default()
            },
            FetchConfig {
                backoff: Duration::from_secs(3600),
                ..FetchConfig::default()
            },
        ] {
            assert!(crate::fetch::Fetcher::new(config).is_ok());
        }
    }

    #[test]
    fn headers_parse_or_say_why_not() {
        let (n, v) = parse_header("X-Token:  abc def ").unwrap();
        assert_eq!((n.as_str(), v.to_str().unwrap()), ("x-token", "abc def"));
        let (_, v) = parse_header("X-Empty:").unwrap();
        assert_eq!(v, "");
        for (bad, says) in [
            ("no colon", "is not a header"),
            ("Bad Name: x", "is not a header name"),
            (": x", "is not a header name"),
            ("X-A: line\nbreak", "cannot carry"),
        ] {
            match parse_header(bad) {
                Err(CliError::Usage(m)) => assert!(m.contains(says), "{bad}: {m}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn methods() {
        assert_eq!(parse_method("post").unwrap(), Method::POST);
        assert_eq!(parse_method("PURGE").unwrap().as_str(), "PURGE");
        assert!(matches!(parse_method(""), Err(CliError::Usage(_))));
        assert!(matches!(parse_method("GE T"), Err(CliError::Usage(_))));
    }
}
