//! Retrying a flaky service with exponential backoff and jitter, honouring
//! the server's `Retry-After`, logging every retry, within a time budget.
//!
//! The asyncio original, written by hand (and subtly wrong: it retries a
//! cancellation, and its sleeps ignore the total budget):
//!
//! ```python
//! async def get_with_retry(url):
//!     delay = 0.05
//!     for attempt in range(1, 6):
//!         try:
//!             return await asyncio.wait_for(get(url), timeout=0.2)
//!         except (Unavailable, asyncio.TimeoutError) as e:
//!             wait = e.retry_after or random.uniform(0, delay)
//!             print(f"attempt {attempt} failed ({e}); retrying in {wait:.3f}s")
//!             await asyncio.sleep(wait)
//!             delay = min(delay * 2, 1.0)
//!     raise GaveUp(url)
//! ```
//!
//! Run it with `cargo run --example retry_backoff` (real clock, about a
//! second) or `cargo run --example retry_backoff -- --virtual` (instantly).

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

use ferrio::{Cancelled, EventLoop};
use ferrio_resilience::retry::{retry, AttemptError, Jitter, RetryPolicy, StopReason};

#[derive(Debug)]
enum GetError {
    /// 503, maybe with a `Retry-After`.
    Unavailable { retry_after: Option<Duration> },
    /// 404: retrying will not help.
    NotFound,
    /// Keep the `Cancelled`: that is how a timeout knows its own.
    Cancelled(Cancelled),
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::Unavailable {
                retry_after: Some(d),
            } => write!(f, "503, retry after {d:?}"),
            GetError::Unavailable { retry_after: None } => f.write_str("503"),
            GetError::NotFound => f.write_str("404"),
            GetError::Cancelled(c) => write!(f, "{c}"),
        }
    }
}

impl std::error::Error for GetError {}

/// A fake service: answers on the `n`-th call as `script` says.
async fn get(n: usize, script: &[&str]) -> Result<&'static str, GetError> {
    let step = script.get(n).copied().unwrap_or("ok");
    let latency = if step == "slow" { 5_000 } else { 20 };
    ferrio::sleep(Duration::from_millis(latency))
        .await
        .map_err(GetError::Cancelled)?;
    match step {
        "503" => Err(GetError::Unavailable { retry_after: None }),
        "503+hint" => Err(GetError::Unavailable {
            retry_after: Some(Duration::from_millis(150)),
        }),
        "404" => Err(GetError::NotFound),
        _ => Ok("<html>hello</html>"),
    }
}

async fn demo(title: &str, script: &[&str]) {
    println!("== {title}");
    let policy = RetryPolicy::exponential(Duration::from_millis(50))
        .max_delay(Duration::from_secs(1))
        .max_attempts(5)
        .max_elapsed(Duration::from_secs(2))
        .attempt_timeout(Duration::from_millis(200))
        .jitter(Jitter::Full);
    let calls = Cell::new(0);
    let start = ferrio::now();
    let outcome = retry(policy, || {
        let n = calls.get();
        calls.set(n + 1);
        get(n, script)
    })
    .retry_if(|e| matches!(e, GetError::Unavailable { .. }))
    .hint(|e| match e {
        GetError::Unavailable { retry_after } => *retry_after,
        _ => None,
    })
    .on_retry(|event| {
        println!(
            "  attempt {} failed ({}); retrying in {:?}{}",
            event.attempt,
            event.error,
            event.delay,
            if event.hinted {
                " (server's Retry-After)"
            } else {
                ""
            }
        )
    })
    .await;
    let took = ferrio::now() - start;
    match outcome {
        Ok(body) => println!("  got {body} after {} calls, {took:?}", calls.get()),
        Err(err) => {
            println!("  error: {err}");
            match err.reason() {
                StopReason::NotRetryable => println!("  (not retryable: stopped at once)"),
                StopReason::AttemptsExhausted => println!("  (out of attempts)"),
                StopReason::TimeExhausted { .. } => println!("  (out of time)"),
                _ => {}
            }
            let timeouts = err
                .errors()
                .filter(|e| matches!(e, AttemptError::TimedOut(_)))
                .count();
            println!(
                "  {} attempts, {timeouts} timed out, {took:?}",
                err.attempts()
            );
        }
    }
}

fn main() {
    let virtual_clock = std::env::args().any(|a| a == "--virtual");
    let event_loop = EventLoop::builder()
        .virtual_clock(virtual_clock)
        .build()
        .expect("cannot create the event loop");
    event_loop
        .run_until_complete(async {
            demo("flaky, then fine", &["503", "503", "ok"]).await;
            demo("the server says when to come back", &["503+hint", "ok"]).await;
            demo(
                "a hung attempt is cut by the attempt timeout",
                &["slow", "ok"],
            )
            .await;
            demo("not found is final", &["404"]).await;
            demo("down for good", &["503"; 10]).await;
        })
        .expect("the loop ran");
}
