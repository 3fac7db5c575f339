//! Structured concurrency with a TaskGroup, the asyncio way: the first
//! failure cancels the siblings, whose cleanup runs, and every failure is
//! reported together.
//!
//! The asyncio original:
//!
//! ```python
//! async def fetch(name, seconds, fail=False):
//!     try:
//!         await asyncio.sleep(seconds)
//!     except asyncio.CancelledError:
//!         print(f"{name}: cancelled, closing its connection")
//!         raise
//!     if fail:
//!         raise ConnectionError(f"{name}: connection refused")
//!     return f"{name}: 200 OK"
//!
//! async def main():
//!     async with asyncio.TaskGroup() as tg:
//!         a = tg.create_task(fetch("a", 0.1))
//!         b = tg.create_task(fetch("b", 0.2))
//!     print(a.result(), b.result())
//!     try:
//!         async with asyncio.TaskGroup() as tg:
//!             tg.create_task(fetch("c", 0.1, fail=True))
//!             tg.create_task(fetch("d", 5))
//!     except* ConnectionError as group:
//!         print(group.exceptions)
//!
//! asyncio.run(main())
//! ```
//!
//! Run it with `cargo run --example task_group`.

use std::fmt;
use std::time::Duration;

use ferrio::task_group::TaskGroup;
use ferrio::Cancelled;

#[derive(Debug)]
enum FetchError {
    Refused(String),
    Cancelled(Cancelled),
}

impl From<Cancelled> for FetchError {
    fn from(c: Cancelled) -> Self {
        FetchError::Cancelled(c)
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Refused(name) => write!(f, "{name}: connection refused"),
            FetchError::Cancelled(c) => write!(f, "{c}"),
        }
    }
}

async fn fetch(name: &'static str, millis: u64, fail: bool) -> Result<String, FetchError> {
    if let Err(cancelled) = ferrio::sleep(Duration::from_millis(millis)).await {
        println!("{name}: cancelled, closing its connection");
        return Err(cancelled.into());
    }
    if fail {
        return Err(FetchError::Refused(name.to_string()));
    }
    Ok(format!("{name}: 200 OK"))
}

#[ferrio::main]
async fn main() {
    let started = ferrio::now();
    let (a, b) = TaskGroup::run(|group| async move {
        let a = group
            .spawn_named("a", fetch("a", 100, false))
            .expect("group open");
        let b = group
            .spawn_named("b", fetch("b", 200, false))
            .expect("group open");
        Ok::<_, FetchError>((a, b))
    })
    .await
    .expect("both succeed");
    println!("{} | {}", a.await.unwrap(), b.await.unwrap());
    println!("both in {:?}, not the sum", ferrio::now() - started);

    let failed = TaskGroup::run(|group| async move {
        group
            .spawn_named("c", fetch("c", 100, true))
            .expect("group open");
        group
            .spawn_named("d", fetch("d", 5_000, false))
            .expect("group open");
        Ok::<_, FetchError>(())
    })
    .await;
    match failed {
        Err(error) => println!("{error}"),
        Ok(()) => println!("unexpected success"),
    }
}
