//! Timeouts and cancellation with cleanup, the asyncio way.
//!
//! The asyncio original:
//!
//! ```python
//! async def download(name, seconds):
//!     try:
//!         await asyncio.sleep(seconds)
//!         return f"{name}: done"
//!     except asyncio.CancelledError:
//!         print(f"{name}: cancelled, deleting the partial file")
//!         await asyncio.sleep(0.05)            # cleanup may await
//!         raise
//!
//! async def main():
//!     print(await asyncio.wait_for(download("small", 0.1), timeout=1))
//!     try:
//!         await asyncio.wait_for(download("huge", 60), timeout=0.2)
//!     except TimeoutError:
//!         print("huge: timed out (after its cleanup ran)")
//!     async with asyncio.timeout(0.2) as cm:
//!         cm.reschedule(asyncio.get_running_loop().time() + 1)   # needs longer
//!         print(await download("medium", 0.5))
//!
//! asyncio.run(main())
//! ```
//!
//! Run it with `cargo run --example timeouts` (about 1.5 s of real time).

use std::time::Duration;

use ferrio::time::timeout_scope;
use ferrio::Cancelled;

async fn download(name: &str, seconds: f64) -> Result<String, Cancelled> {
    match ferrio::sleep(Duration::from_secs_f64(seconds)).await {
        Ok(()) => Ok(format!("{name}: done")),
        Err(cancelled) => {
            println!("{name}: cancelled, deleting the partial file");
            ferrio::sleep(Duration::from_millis(50)).await?;
            Err(cancelled)
        }
    }
}

#[ferrio::main]
async fn main() {
    match ferrio::wait_for(Duration::from_secs(1), download("small", 0.1)).await {
        Ok(Ok(line)) => println!("{line}"),
        other => println!("small: unexpected {other:?}"),
    }

    match ferrio::wait_for(Duration::from_millis(200), download("huge", 60.0)).await {
        Err(timeout) => println!("huge: {timeout} (after its cleanup ran)"),
        Ok(other) => println!("huge: unexpected {other:?}"),
    }

    let outcome = timeout_scope(Some(Duration::from_millis(200)), |scope| async move {
        // It needs longer than planned: move the deadline.
        scope
            .reschedule(Some(ferrio::now() + Duration::from_secs(1)))
            .expect("not expired yet");
        download("medium", 0.5).await
    })
    .await;
    match outcome {
        Ok(Ok(line)) => println!("{line} (deadline rescheduled)"),
        other => println!("medium: unexpected {other:?}"),
    }
}
