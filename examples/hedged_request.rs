//! Cutting tail latency: hedge a request (send a backup when the first is
//! slow, take the first success), race mirrors, and take the first replica
//! that answers well — the losers are cancelled and their cleanup awaited.
//!
//! The asyncio original of the hedge, by hand:
//!
//! ```python
//! async def hedged(f, delay):
//!     first = asyncio.create_task(f())
//!     done, _ = await asyncio.wait({first}, timeout=delay)
//!     if done:
//!         return first.result()
//!     second = asyncio.create_task(f())
//!     done, pending = await asyncio.wait({first, second},
//!                                        return_when=asyncio.FIRST_COMPLETED)
//!     for t in pending:
//!         t.cancel()
//!     await asyncio.gather(*pending, return_exceptions=True)   # often forgotten
//!     return done.pop().result()      # and a failure here is not retried...
//! ```
//!
//! JavaScript has `Promise.race` and `Promise.any`, but cannot cancel the
//! losers. Run it with `cargo run --example hedged_request` (real clock,
//! under a second) or `cargo run --example hedged_request -- --virtual`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use ferrio::{Cancelled, EventLoop};
use ferrio_resilience::hedge::hedge;
use ferrio_resilience::race::{first_ok, race, FirstOkError};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A replica that answers after `latency`, `ok` or not; cancelled, it says
/// so and cleans up.
async fn replica(name: &'static str, latency: u64, ok: bool) -> Result<&'static str, String> {
    match ferrio::sleep(ms(latency)).await {
        Ok(()) if ok => Ok(name),
        Ok(()) => Err(format!("{name}: 503")),
        Err(cancelled) => {
            println!("    {name}: cancelled ({cancelled}), closing its connection");
            ferrio::sleep(ms(5)).await.ok();
            Err(format!("{name}: cancelled"))
        }
    }
}

async fn run() {
    println!("== hedge: backup after 100 ms (p95), first success wins");
    let calls = Rc::new(Cell::new(0u32));
    let start = ferrio::now();
    let c = calls.clone();
    let answer = hedge(ms(100), move || {
        c.set(c.get() + 1);
        // The first request lands on a slow replica.
        if c.get() == 1 {
            replica("slow-replica", 800, true)
        } else {
            replica("fast-replica", 30, true)
        }
    })
    .await
    .expect("a replica answered");
    println!(
        "  {answer} after {:?} ({} requests sent; without hedging: 800 ms)",
        ferrio::now() - start,
        calls.get()
    );

    println!("== race: the first mirror to answer, good or bad");
    let start = ferrio::now();
    let winner = race([
        replica("eu-mirror", 120, true),
        replica("us-mirror", 60, true),
        replica("ap-mirror", 200, true),
    ])
    .await
    .expect("not cancelled");
    println!("  winner: {winner:?} after {:?}", ferrio::now() - start);

    println!("== first_ok: the first replica that answers well");
    let start = ferrio::now();
    let good = first_ok([
        replica("a", 20, false),
        replica("b", 70, true),
        replica("c", 300, true),
    ])
    .await;
    println!("  {good:?} after {:?}", ferrio::now() - start);
    let none = first_ok([replica("x", 10, false), replica("y", 20, false)]).await;
    match none {
        Err(err) => println!("  when all fail: {err}"),
        Ok(v) => println!("  unexpected {v}"),
    }

    println!("== cancelling a hedge cancels both attempts");
    let task = ferrio::spawn(async {
        match hedge(ms(50), || replica("stuck", 10_000, true)).await {
            Ok(v) => Ok(v),
            // Propagate our own cancellation: the task then ends cancelled.
            Err(FirstOkError::Cancelled(c)) => Err(c),
            Err(e) => panic!("{e}"),
        }
    });
    ferrio::sleep(ms(200)).await.ok();
    task.cancel();
    let outcome: Result<Result<&str, Cancelled>, _> = task.await;
    println!(
        "  the task ended cancelled: {}",
        outcome.unwrap_err().is_cancelled()
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
