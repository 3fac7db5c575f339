//! Fetch many "URLs" concurrently and report what failed — the classic
//! asyncio pattern, with simulated latency (no network).
//!
//! The asyncio original:
//!
//! ```python
//! async def fetch(url):
//!     await asyncio.sleep(latency(url))       # the network
//!     if "missing" in url:
//!         raise HTTPError(404, url)
//!     if "flaky" in url:
//!         raise ConnectionResetError(url)
//!     return Page(url, body=...)
//!
//! async def main():
//!     results = await asyncio.gather(*(fetch(u) for u in URLS),
//!                                    return_exceptions=True)
//!     for url, r in zip(URLS, results):
//!         print(url, "->", "FAILED: %r" % r if isinstance(r, BaseException) else len(r.body))
//!
//! asyncio.run(main())
//! ```
//!
//! In ferrio, `gather_settled` is `gather(..., return_exceptions=True)`. A
//! fetch's own error is a value (`Err(FetchError)`); a task that panicked or
//! was cancelled shows up as a `JoinError`. Both are reported, in the order
//! of the URL list, and the whole run takes as long as the slowest fetch,
//! not the sum of them.
//!
//! Run it with `cargo run --example parallel_fetch` (real clock, about
//! 0.3 s) or `cargo run --example parallel_fetch -- --virtual` (virtual
//! clock: the same report, instantly).

use std::fmt;
use std::time::Duration;

use ferrio::combinators::gather_settled;
use ferrio::{EventLoop, JoinError};

const URLS: [&str; 10] = [
    "https://example.com/",
    "https://example.com/about",
    "https://example.com/missing-page",
    "https://example.org/news",
    "https://flaky.example.net/feed",
    "https://example.org/blog/1",
    "https://example.org/blog/2",
    "https://example.com/broken-parser",
    "https://example.net/missing.png",
    "https://example.net/index.html",
];

/// A fetched page.
#[derive(Debug)]
struct Page {
    body: String,
}

/// Why a fetch failed: the errors a real client returns as values.
#[derive(Debug)]
enum FetchError {
    Status(u16),
    ConnectionReset,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Status(code) => write!(f, "HTTP {code}"),
            FetchError::ConnectionReset => f.write_str("connection reset by peer"),
        }
    }
}

impl std::error::Error for FetchError {}

/// A deterministic fake latency between 20 and 300 ms, from the URL.
fn latency(url: &str) -> Duration {
    let hash = url
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    Duration::from_millis(20 + hash % 281)
}

/// The simulated HTTP GET.
async fn fetch(url: &'static str) -> Result<Page, FetchError> {
    ferrio::sleep(latency(url))
        .await
        .expect("nobody cancels the fetches in this example");
    if url.contains("missing") {
        return Err(FetchError::Status(404));
    }
    if url.contains("flaky") {
        return Err(FetchError::ConnectionReset);
    }
    if url.contains("broken") {
        // A bug in the client: the task panics, and fails alone.
        panic!("unexpected byte in the response of {url}");
    }
    Ok(Page {
        body: format!("<html>{}</html>", url.repeat(3)),
    })
}

async fn crawl() {
    let started = ferrio::now();
    let outcomes = gather_settled(URLS.map(fetch))
        .await
        .expect("nobody cancels the crawl");
    let elapsed = ferrio::now() - started;

    let mut failed = Vec::new();
    for (url, outcome) in URLS.iter().zip(&outcomes) {
        let line = match outcome {
            Ok(Ok(page)) => format!("{:>5} bytes", page.body.len()),
            Ok(Err(e)) => {
                failed.push((url, e.to_string()));
                format!("FAILED: {e}")
            }
            Err(JoinError::Panicked(p)) => {
                failed.push((url, format!("panicked: {}", p.message())));
                "FAILED: the fetch task panicked".to_string()
            }
            Err(e) => {
                failed.push((url, e.to_string()));
                format!("FAILED: {e}")
            }
        };
        println!("{url:<36} {:>6.0?}  {line}", latency(url));
    }

    let slowest = URLS.iter().map(|u| latency(u)).max().unwrap_or_default();
    let total: Duration = URLS.iter().map(|u| latency(u)).sum();
    println!();
    println!(
        "{} fetched, {} failed in {elapsed:.0?} (slowest fetch {slowest:.0?}; one after another: {total:.2?})",
        URLS.len() - failed.len(),
        failed.len()
    );
    for (url, why) in &failed {
        println!("  failed: {url}: {why}");
    }
}

fn main() {
    let virtual_clock = std::env::args().any(|a| a == "--virtual");
    let event_loop = EventLoop::builder()
        .virtual_clock(virtual_clock)
        .build()
        .expect("cannot create the event loop");
    // Keep the panicking fetch's backtrace noise short.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("(a fetch task panicked: {info})");
    }));
    event_loop
        .run_until_complete(crawl())
        .expect("the crawl finished");
}
