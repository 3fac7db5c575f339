//! A circuit breaker in front of a service that goes down and comes back:
//! it opens after repeated failures, fails fast while open (saying for how
//! long), lets one trial call through when the cool-down ends, and closes
//! when it succeeds. One breaker per host, through a registry.
//!
//! By hand in asyncio this is a failure counter, an `open_until`
//! timestamp, and — usually forgotten — a limit on how many calls may test
//! the service at once when it half-opens:
//!
//! ```python
//! class Breaker:
//!     async def call(self, f):
//!         if time.monotonic() < self.open_until:
//!             raise Open(self.open_until - time.monotonic())
//!         try:
//!             r = await f()
//!         except Exception:
//!             self.failures += 1
//!             if self.failures >= 3:
//!                 self.open_until = time.monotonic() + 1
//!             raise
//!         self.failures = 0
//!         return r
//! ```
//!
//! Run it with `cargo run --example circuit_breaker` (real clock, about
//! 1.6 s) or `cargo run --example circuit_breaker -- --virtual`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use ferrio::EventLoop;
use ferrio_resilience::breaker::{BreakerConfig, BreakerError, BreakerRegistry, Window};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn run() {
    let breakers: BreakerRegistry<String> = BreakerRegistry::new(
        BreakerConfig::default()
            .consecutive_failures(3)
            .failure_rate(0.5, Window::calls(10), 6)
            .cool_down(ms(500)),
    );
    // Log every transition of the api host's breaker.
    let start = ferrio::now();
    breakers.get("api.example").on_state_change(move |t| {
        println!(
            "  [{:>5?}] breaker {:?} -> {:?}",
            t.at - start,
            t.from,
            t.to
        );
    });
    // The service is down between 100 ms and 900 ms.
    let healthy = Rc::new(Cell::new(true));
    let h = healthy.clone();
    ferrio::spawn(async move {
        ferrio::sleep(ms(100)).await.ok();
        h.set(false);
        ferrio::sleep(ms(800)).await.ok();
        h.set(true);
    })
    .detach();

    for i in 0..30 {
        let breaker = breakers.get("api.example");
        let healthy = healthy.clone();
        let outcome = breaker
            .call(|| async move {
                ferrio::sleep(ms(10)).await.map_err(|c| c.to_string())?;
                if healthy.get() {
                    Ok("200")
                } else {
                    Err("503".to_string())
                }
            })
            .await;
        let at = ferrio::now() - start;
        match outcome {
            Ok(status) => println!("{at:>7?} call {i:>2}: {status}"),
            Err(BreakerError::Failed(e)) => println!("{at:>7?} call {i:>2}: failed: {e}"),
            Err(BreakerError::Open(open)) => {
                println!("{at:>7?} call {i:>2}: not sent: {open}");
                // A client would back off; here we wait a little.
            }
            Err(BreakerError::Cancelled(_)) => unreachable!("nobody cancels this demo"),
        }
        ferrio::sleep(ms(50)).await.ok();
    }
    let stats = breakers.get("api.example").stats();
    println!("final: {:?}", stats.state);
    println!(
        "other hosts are unaffected: {:?}",
        breakers.get("cdn.example").state()
    );
}

fn main() {
    let virtual_clock = std::env::args().any(|a| a == "--virtual");
    EventLoop::builder()
        .virtual_clock(virtual_clock)
        .build()
        .expect("cannot create the event loop")
        .run_until_complete(run())
        .expect("the loop ran");
}
