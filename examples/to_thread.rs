//! Blocking work off the loop, the asyncio way: the loop keeps ticking while
//! a slow blocking call runs on a thread, and a computation runs on the CPU
//! pool.
//!
//! The asyncio original:
//!
//! ```python
//! import asyncio, concurrent.futures, hashlib, os, tempfile, time
//!
//! def slow_disk_io(path):
//!     time.sleep(0.3)                       # a slow disk, or a blocking library
//!     with open(path, "w") as f:
//!         f.write("hello from a worker thread\n")
//!     with open(path) as f:
//!         return f.read().strip()
//!
//! def checksum(n):
//!     return hashlib.sha256(bytes(range(256)) * n).hexdigest()[:16]
//!
//! async def heartbeat(beats):
//!     while True:
//!         await asyncio.sleep(0.05)
//!         beats.append(time.monotonic())
//!
//! async def main():
//!     beats = []
//!     ticker = asyncio.create_task(heartbeat(beats))
//!     path = os.path.join(tempfile.gettempdir(), "ferrio-to-thread.txt")
//!     text = await asyncio.to_thread(slow_disk_io, path)
//!     print(f"read back: {text!r}; the loop beat {len(beats)} times meanwhile")
//!     loop = asyncio.get_running_loop()
//!     with concurrent.futures.ProcessPoolExecutor() as pool:
//!         print("checksum:", await loop.run_in_executor(pool, checksum, 10_000))
//!     try:
//!         await asyncio.to_thread(lambda: 1 / 0)
//!     except ZeroDivisionError as e:
//!         print("the worker failed:", e)
//!     ticker.cancel()
//!
//! asyncio.run(main())
//! ```
//!
//! Run it with `cargo run --example to_thread`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use ferrio::blocking::{self, BlockingError};

/// A blocking call: a slow disk (or any blocking library).
fn slow_disk_io(path: std::path::PathBuf) -> std::io::Result<String> {
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&path, "hello from a worker thread\n")?;
    let text = std::fs::read_to_string(&path)?;
    std::fs::remove_file(&path)?;
    Ok(text.trim().to_owned())
}

/// A computation that would hold the loop: FNV-1a over a few megabytes.
fn checksum(rounds: usize) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for _ in 0..rounds {
        for byte in 0..=255u8 {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[ferrio::main]
async fn main() {
    let beats = Rc::new(Cell::new(0u32));
    let b = beats.clone();
    let ticker = ferrio::spawn(async move {
        loop {
            ferrio::sleep(Duration::from_millis(50)).await?;
            b.set(b.get() + 1);
        }
        #[allow(unreachable_code)]
        Ok::<(), ferrio::Cancelled>(())
    });

    // The blocking call runs on the loop's default pool; the heartbeat
    // keeps beating on the loop meanwhile.
    let path = std::env::temp_dir().join(format!("ferrio-to-thread-{}.txt", std::process::id()));
    match ferrio::to_thread(move || slow_disk_io(path)).await {
        Ok(Ok(text)) => println!(
            "read back: {text:?}; the loop beat {} times meanwhile",
            beats.get()
        ),
        Ok(Err(e)) => println!("the disk failed: {e}"),
        Err(e) => println!("the worker failed: {e}"),
    }

    // A computation goes to the CPU pool (one thread per core).
    let sum = blocking::run_cpu(|| checksum(20_000)).await.unwrap();
    println!("checksum: {sum:016x}");

    // A panic on the worker comes back as an error; the loop is fine. (The
    // panic hook still prints it on stderr, as for any thread.)
    match ferrio::to_thread(|| -> u32 { panic!("division by zero") }).await {
        Err(BlockingError::Panicked(p)) => println!("the worker failed: {}", p.message()),
        other => println!("unexpected: {other:?}"),
    }

    let stats = blocking::default_pool().statistics();
    println!(
        "default pool: {} of at most {} threads started",
        stats.threads_started, stats.max_threads
    );
    ticker.cancel();
    let _ = ticker.await;
}
