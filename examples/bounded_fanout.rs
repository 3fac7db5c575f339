//! A crawler's fan-out: 4,000 URLs, at most 50 requests in flight and at
//! most 4 per host, results streamed as they finish, memory bounded however
//! large the input — then the fail-fast variant that stops and cancels the
//! rest at the first error.
//!
//! The asyncio original creates every task up front (4,000 tasks, and
//! every result held until the end):
//!
//! ```python
//! sem = asyncio.Semaphore(50)
//! async def one(url):
//!     async with sem:
//!         return await fetch(url)
//! results = await asyncio.gather(*(one(u) for u in urls))
//! ```
//!
//! Run it with `cargo run --example bounded_fanout` (real clock, about
//! 2 s) or `cargo run --example bounded_fanout -- --virtual`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use ferrio::{Cancelled, EventLoop};
use ferrio_resilience::concurrent::{
    map_concurrent, try_gather_limited, KeyedSemaphore, Order, TryGatherError,
};

fn host(url: &str) -> &str {
    url.split('/').next().unwrap_or(url)
}

/// A fake fetch: 5–40 ms depending on the URL.
async fn fetch(url: String) -> Result<usize, Cancelled> {
    let latency = 5 + (url.len() as u64 * 7) % 36;
    ferrio::sleep(Duration::from_millis(latency)).await?;
    Ok(url.len() * 100)
}

async fn crawl() {
    let urls = (0..4_000).map(|i| format!("host{}.example/page/{i}", i % 20));
    let per_host = KeyedSemaphore::new(4);
    let in_flight = Rc::new(Cell::new(0usize));
    let peak = Rc::new(Cell::new(0usize));
    let start = ferrio::now();
    let (ph, inf, pk) = (per_host.clone(), in_flight.clone(), peak.clone());
    let mut pages = map_concurrent(urls, 50, Order::Completion, move |url: String| {
        let (per_host, in_flight, peak) = (ph.clone(), inf.clone(), pk.clone());
        async move {
            let _slot = per_host.acquire(host(&url).to_string()).await?;
            in_flight.set(in_flight.get() + 1);
            peak.set(peak.get().max(in_flight.get()));
            let size = fetch(url).await;
            in_flight.set(in_flight.get() - 1);
            size
        }
    });
    let (mut done, mut bytes) = (0, 0);
    while let Some(page) = pages.next().await {
        bytes += page
            .expect("no fetch panics")
            .expect("nobody cancels the crawl");
        done += 1;
        if done % 1_000 == 0 {
            println!(
                "{done:>6} pages, {:>4} held unread, {:?}",
                pages.held(),
                ferrio::now() - start
            );
        }
    }
    println!(
        "crawled {done} pages ({bytes} bytes) in {:?}; at most {} fetches at once (limit 50, 4 per host x 20 hosts)",
        ferrio::now() - start,
        peak.get()
    );

    // Fail fast: the first error stops the launches and cancels the rest.
    let started = Rc::new(Cell::new(0));
    let s = started.clone();
    let start = ferrio::now();
    let outcome = try_gather_limited(0..10_000u32, 8, move |i| {
        s.set(s.get() + 1);
        async move {
            ferrio::sleep(Duration::from_millis(10))
                .await
                .map_err(|_| "cancelled".to_string())?;
            if i == 100 {
                return Err(format!("item {i}: bad data"));
            }
            Ok(i)
        }
    })
    .await;
    match outcome {
        Err(TryGatherError::Failed { index, error }) => println!(
            "fail-fast: item {index} failed ({error}) after {:?}; only {} of 10000 items were started",
            ferrio::now() - start,
            started.get()
        ),
        other => println!("unexpected: {other:?}"),
    }
}

fn main() {
    let virtual_clock = std::env::args().any(|a| a == "--virtual");
    EventLoop::builder()
        .virtual_clock(virtual_clock)
        .build()
        .expect("cannot create the event loop")
        .run_until_complete(crawl())
        .expect("the loop ran");
}
