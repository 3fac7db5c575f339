//! Tasks, the asyncio way: create tasks, gather their results by awaiting
//! them, and cancel one that runs async cleanup before it ends.
//!
//! The asyncio original:
//!
//! ```python
//! async def worker(name, delay):
//!     await asyncio.sleep(delay)
//!     return f"{name} done after {delay}s"
//!
//! async def slow_download():
//!     try:
//!         await asyncio.sleep(3600)
//!     except asyncio.CancelledError:
//!         print("download cancelled: removing the partial file")
//!         await asyncio.sleep(0.1)          # cleanup may await
//!         raise
//!
//! async def main():
//!     tasks = [asyncio.create_task(worker(f"worker-{i}", i / 10)) for i in range(1, 4)]
//!     download = asyncio.create_task(slow_download(), name="download")
//!     for t in tasks:
//!         print(await t)
//!     download.cancel()
//!     try:
//!         await download
//!     except asyncio.CancelledError:
//!         print("download:", "cancelled" if download.cancelled() else "?")
//!
//! asyncio.run(main())
//! ```
//!
//! Run it with `cargo run --example hello_tasks`.

use std::time::Duration;

use ferrio::task::Builder;
use ferrio::Cancelled;

async fn worker(name: String, delay: Duration) -> Result<String, Cancelled> {
    ferrio::sleep(delay).await?;
    Ok(format!("{name} done after {delay:?}"))
}

async fn slow_download() -> Result<(), Cancelled> {
    if let Err(cancelled) = ferrio::sleep(Duration::from_secs(3600)).await {
        println!("download cancelled ({cancelled}): removing the partial file");
        // Cleanup may await; it runs before the task is reported cancelled.
        ferrio::sleep(Duration::from_millis(100)).await?;
        println!("download: cleanup finished");
        return Err(cancelled);
    }
    Ok(())
}

#[ferrio::main]
async fn main() {
    let started = ferrio::now();
    let tasks: Vec<_> = (1..=3)
        .map(|i| {
            ferrio::spawn(worker(
                format!("worker-{i}"),
                Duration::from_millis(100 * i),
            ))
        })
        .collect();
    let download = Builder::new()
        .name("download")
        .spawn(slow_download())
        .expect("the loop is running");

    // Gather by awaiting each task in turn: they all run concurrently, so
    // this takes as long as the slowest one, not the sum.
    for task in tasks {
        match task.await {
            Ok(Ok(line)) => println!("{line}"),
            Ok(Err(cancelled)) => println!("worker cancelled: {cancelled}"),
            Err(e) => println!("worker failed: {e}"),
        }
    }
    println!("all workers finished in {:?}", ferrio::now() - started);

    println!("cancelling task '{}'", download.name());
    download.cancel_with("user pressed stop");
    let outcome = ferrio::TaskRef::clone(&download);
    match download.await {
        Err(e) if e.is_cancelled() => println!("download: cancelled = {}", outcome.cancelled()),
        other => println!("download ended unexpectedly: {other:?}"),
    }
}
