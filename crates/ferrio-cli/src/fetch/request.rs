//! One URL, start to end: the per-host slot, then attempts under the
//! retry policy — each one asking the host's breaker, waiting for the
//! rate, sending within the time limit — and the record it ends with
//! (always one: a failure, a skip or a cancellation included).

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ferrio_resilience::breaker::BreakerRegistry;
use ferrio_resilience::concurrent::KeyedSemaphore;
use ferrio_resilience::limiter::RateLimiter;
use ferrio_resilience::retry::{retry, AttemptError, RetryPolicy};

use super::client::{Client, Response};
use super::config::FetchConfig;
use super::error::{ErrorKind, FetchError};
use super::input::UrlLine;
use super::output::{ErrorInfo, FetchRecord, Outcome};
use super::pool::Origin;

/// The longest `Retry-After` honoured; a longer one falls back to backoff.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// What every request of a run shares.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) config: FetchConfig,
    pub(crate) client: Client,
    /// `None` when the per-host limit is no tighter than the overall one,
    /// which then bounds every host already.
    pub(crate) per_host: Option<KeyedSemaphore<String>>,
    pub(crate) breakers: Option<BreakerRegistry<String>>,
    pub(crate) limiter: Option<RateLimiter>,
    pub(crate) policy: RetryPolicy,
}

/// A child that ended without a record: a bug (panic) or a cancellation
/// before it started.
pub(crate) fn lost(e: ferrio::JoinError) -> FetchRecord {
    let (outcome, kind) = if e.is_cancelled() {
        (Outcome::Cancelled, ErrorKind::Cancelled)
    } else {
        (Outcome::Failed, ErrorKind::Internal)
    };
    blank(
        String::from("(unknown)"),
        outcome,
        Some(FetchError::new(kind, e.to_string())),
    )
}

fn blank(url: String, outcome: Outcome, error: Option<FetchError>) -> FetchRecord {
    FetchRecord {
        url,
        outcome,
        status: error.as_ref().and_then(|e| e.status),
        bytes: 0,
        elapsed_ms: 0.0,
        attempts: 0,
        redirects: 0,
        reused: false,
        error: error.map(|e| ErrorInfo {
            kind: e.kind,
            message: e.message,
        }),
        body: None,
    }
}

fn elapsed_ms(since: Instant) -> f64 {
    (ferrio::now() - since).as_secs_f64() * 1e3
}

/// One URL, start to end; always a record (a cancellation included).
pub(crate) async fn fetch_one(ctx: Rc<Ctx>, line: UrlLine) -> FetchRecord {
    let (number, url) = match line {
        UrlLine::Url { line, url } => (line, url),
        UrlLine::Malformed { line, text, reason } => {
            let error = FetchError::new(ErrorKind::MalformedUrl, format!("line {line}: {reason}"));
            return blank(text, Outcome::Failed, Some(error));
        }
    };
    // The host key, for the per-host limit and the breakers: skipped when
    // neither is on (the input checked the URL already).
    let host = if ctx.per_host.is_some() || ctx.breakers.is_some() {
        match url
            .parse()
            .map_err(|_| ())
            .and_then(|u| Origin::of(&u).map_err(|_| ()))
        {
            Ok(origin) => format!("{}:{}", origin.host, origin.port),
            Err(()) => {
                let error =
                    FetchError::new(ErrorKind::MalformedUrl, format!("line {number}: not a URL"));
                return blank(url, Outcome::Failed, Some(error));
            }
        }
    } else {
        String::new()
    };
    let _slot = match &ctx.per_host {
        None => None,
        Some(per_host) => match per_host.acquire(host.clone()).await {
            Ok(slot) => Some(slot),
            Err(_) => return blank(url, Outcome::Cancelled, Some(cancelled())),
        },
    };
    let start = ferrio::now();
    let sent = Cell::new(0u32);
    let mut policy = ctx.policy;
    if let Some(seed) = ctx.config.seed {
        policy = policy.seed(seed.wrapping_add(number));
    }
    let result = retry(policy, || attempt(&ctx, &url, &host, &sent))
        .retry_if(FetchError::is_retryable)
        .hint(|e: &FetchError| e.retry_after.filter(|d| *d <= MAX_RETRY_AFTER))
        .await;
    let mut record = match result {
        Ok(response) => answered(url, response),
        Err(e) if e.is_cancelled() => blank(url, Outcome::Cancelled, Some(cancelled())),
        Err(e) => {
            let mut errors: Vec<FetchError> = e
                .into_errors()
                .into_iter()
                .map(|error| match error {
                    AttemptError::Failed(error) => error,
                    AttemptError::TimedOut(_) => FetchError::new(ErrorKind::Timeout, "timed out"),
                })
                .collect();
            let mut error = errors
                .pop()
                .unwrap_or_else(|| FetchError::new(ErrorKind::Timeout, "timed out"));
            // Sent, failed, then refused a retry by the breaker that opened
            // meanwhile: a failure (its own error), not a skip.
            if error.kind == ErrorKind::BreakerOpen {
                if let Some(earlier) = errors.pop() {
                    error = earlier;
                    error
                        .message
                        .push_str(" (no more retries: the host's breaker opened)");
                }
            }
            let outcome = match error.kind {
                ErrorKind::BreakerOpen => Outcome::Skipped,
                _ => Outcome::Failed,
            };
            let reused = error.reused;
            let mut record = blank(url, outcome, Some(error));
            record.reused = reused;
            record
        }
    };
    record.attempts = sent.get();
    record.elapsed_ms = elapsed_ms(start);
    if !ctx.config.keep_bodies {
        record.body = None;
    }
    record
}

fn cancelled() -> FetchError {
    FetchError::new(
        ErrorKind::Cancelled,
        "cancelled by the interruption after the grace period",
    )
}

fn answered(url: String, response: Response) -> FetchRecord {
    let status = response.status;
    let error = (!status.is_success()).then(|| {
        FetchError::status(
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            None,
        )
    });
    let mut record = blank(
        url,
        if error.is_none() {
            Outcome::Ok
        } else {
            Outcome::Failed
        },
        error,
    );
    record.status = Some(status.as_u16());
    record.bytes = response.body.len() as u64;
    record.redirects = response.redirects;
    record.reused = response.reused;
    record.body = Some(response.body);
    record
}

/// One attempt: the breaker's permission, the rate, the request within
/// the time limit; 429 and 5xx come back as errors, to be retried.
async fn attempt(
    ctx: &Ctx,
    url: &str,
    host: &str,
    sent: &Cell<u32>,
) -> Result<Response, FetchError> {
    let permit = match &ctx.breakers {
        None => None,
        Some(breakers) => Some(breakers.get(host).try_acquire().map_err(|open| {
            let until = open
                .retry_after()
                .map_or(String::new(), |d| format!(" for another {:.1}s", d.as_secs_f64()));
            FetchError::new(
                ErrorKind::BreakerOpen,
                format!("not sent: the circuit breaker of {host} is open{until} after repeated failures"),
            )
        })?),
    };
    if let Some(limiter) = &ctx.limiter {
        limiter.acquire(1).await.map_err(|_| cancelled())?;
    }
    sent.set(sent.get() + 1);
    let fetch = ctx.client.fetch(url);
    let result = match ctx.config.timeout {
        None => fetch.await,
        Some(limit) => {
            let deadline = ferrio::now() + limit;
            let timed_out = || {
                FetchError::new(
                    ErrorKind::Timeout,
                    format!("no complete answer within {limit:?} (raise --timeout?)"),
                )
            };
            match ferrio::timeout(limit, fetch).await {
                // The expiry cancelled a socket operation, which reports
                // that as its own error.
                Ok(Err(_)) if ferrio::now() >= deadline => Err(timed_out()),
                Ok(result) => result,
                Err(_) => Err(timed_out()),
            }
        }
    };
    let result = result.and_then(|response| {
        let code = response.status.as_u16();
        if code == 429 || (500..=599).contains(&code) {
            let reason = response.status.canonical_reason().unwrap_or("");
            let mut error = FetchError::status(code, reason, response.retry_after);
            error.reused = response.reused;
            Err(error)
        } else {
            Ok(response)
        }
    });
    if let Some(permit) = permit {
        match &result {
            Err(e) if e.counts_against_host() => permit.failure(),
            _ => permit.success(),
        }
    }
    result
}
