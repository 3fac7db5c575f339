//! [`FetchError`]: why one request failed, with its [`ErrorKind`], and
//! whether it is worth retrying.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What kind of failure, stable for scripts reading `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The input line is not a URL.
    MalformedUrl,
    /// The host name did not resolve.
    Dns,
    /// The TCP connection could not be made (refused, unreachable).
    Connect,
    /// The TCP connection was not made within `--connect-timeout`.
    ConnectTimeout,
    /// The TLS handshake failed (certificate, protocol), or HTTPS was asked
    /// of a build without TLS.
    Tls,
    /// The request did not finish within `--timeout`.
    Timeout,
    /// The server closed or reset the connection before answering in full.
    ConnectionReset,
    /// The server's answer is not valid HTTP/1.1.
    Protocol,
    /// An answer with a status outside 2xx.
    HttpStatus,
    /// More redirects than `--max-redirects`, or a redirect without a
    /// usable `Location`.
    TooManyRedirects,
    /// A gzip or deflate body that does not decode.
    Decode,
    /// Not sent: the host's circuit breaker is open.
    BreakerOpen,
    /// Cancelled by Ctrl-C after the grace period.
    Cancelled,
    /// A bug: a request task panicked.
    Internal,
}

impl ErrorKind {
    /// The kind's name as written to `--output` (`connect_timeout`, …).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::MalformedUrl => "malformed_url",
            ErrorKind::Dns => "dns",
            ErrorKind::Connect => "connect",
            ErrorKind::ConnectTimeout => "connect_timeout",
            ErrorKind::Tls => "tls",
            ErrorKind::Timeout => "timeout",
            ErrorKind::ConnectionReset => "connection_reset",
            ErrorKind::Protocol => "protocol",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::TooManyRedirects => "too_many_redirects",
            ErrorKind::Decode => "decode",
            ErrorKind::BreakerOpen => "breaker_open",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One request's failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// The kind.
    pub kind: ErrorKind,
    /// What happened, for a human.
    pub message: String,
    /// The HTTP status, for [`ErrorKind::HttpStatus`].
    pub status: Option<u16>,
    /// The server's `Retry-After`, if it sent one.
    pub retry_after: Option<Duration>,
    /// Whether the answer came on a kept-alive connection.
    pub reused: bool,
}

impl FetchError {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> FetchError {
        FetchError {
            kind,
            message: message.into(),
            status: None,
            retry_after: None,
            reused: false,
        }
    }

    /// An answer with a failing `status`.
    pub fn status(status: u16, reason: &str, retry_after: Option<Duration>) -> FetchError {
        FetchError {
            kind: ErrorKind::HttpStatus,
            message: format!("HTTP {status} {reason}").trim_end().to_string(),
            status: Some(status),
            retry_after,
            reused: false,
        }
    }

    /// Whether retrying may help: connection errors, timeouts, 429 and
    /// 5xx. A 4xx, a bad URL or redirect, an open breaker are final.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Dns
            | ErrorKind::Connect
            | ErrorKind::ConnectTimeout
            | ErrorKind::Timeout
            | ErrorKind::ConnectionReset => true,
            ErrorKind::HttpStatus => matches!(self.status, Some(429) | Some(500..=599)),
            _ => false,
        }
    }

    /// Whether the failure says something about the host's health (what a
    /// circuit breaker counts): the retryable ones.
    pub fn counts_against_host(&self) -> bool {
        self.is_retryable()
    }

    /// The group this failure is reported under in the summary:
    /// `HTTP 503`, `timeout`, …
    pub fn reason(&self) -> String {
        reason(self.kind, self.status)
    }
}

/// The summary's failure group for a kind and status.
pub fn reason(kind: ErrorKind, status: Option<u16>) -> String {
    match (kind, status) {
        (ErrorKind::HttpStatus, Some(s)) => format!("HTTP {s}"),
        (kind, _) => kind.name().to_string(),
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for FetchError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_retried() {
        assert!(FetchError::new(ErrorKind::Connect, "refused").is_retryable());
        assert!(FetchError::new(ErrorKind::Timeout, "slow").is_retryable());
        assert!(FetchError::status(503, "Service Unavailable", None).is_retryable());
        assert!(FetchError::status(429, "Too Many Requests", None).is_retryable());
        assert!(!FetchError::status(404, "Not Found", None).is_retryable());
        assert!(!FetchError::new(ErrorKind::BreakerOpen, "open").is_retryable());
        assert!(!FetchError::new(ErrorKind::TooManyRedirects, "6").is_retryable());
    }

    #[test]
    fn names_and_reasons() {
        assert_eq!(FetchError::status(503, "", None).reason(), "HTTP 503");
        assert_eq!(FetchError::status(503, "", None).message, "HTTP 503");
        assert_eq!(
            FetchError::new(ErrorKind::ConnectTimeout, "x").reason(),
            "connect_timeout"
        );
        assert_eq!(
            serde_json::to_string(&ErrorKind::ConnectionReset).unwrap(),
            "\"connection_reset\""
        );
    }
}
