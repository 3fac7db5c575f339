//! [`to_thread`] and [`run_in_executor`]: run a blocking function on a
//! thread pool and await its result.

use super::offload::{Offload, Target};
use super::ThreadPool;

/// Runs `f` on the loop's default thread pool and awaits its result:
/// asyncio's `asyncio.to_thread(f)`. The loop keeps running other tasks
/// meanwhile.
///
/// For blocking calls: file I/O, DNS look-ups, blocking client libraries.
/// For long computations prefer [`run_cpu`](super::run_cpu), whose pool is
/// sized to the cores.
///
/// Nothing happens until the future is first polled (like asyncio's
/// coroutine); then `f` is queued on the default pool of the loop polling
/// it (see [`default_pool`](super::default_pool)). To start it without
/// awaiting, spawn the future, or use [`ThreadPool::spawn`].
///
/// # Errors
///
/// [`BlockingError::Panicked`](super::BlockingError::Panicked) with the
/// message if `f` panicked; [`BlockingError::Cancelled`](super::BlockingError::Cancelled)
/// if the awaiting task was cancelled; `ShutDown` if the default pool was
/// shut down.
///
/// # Cancel safety
///
/// A cancellation point: cancelling the awaiting task completes the await
/// at once with `Cancelled`. If `f` has not started it never runs; if it
/// has, it runs on (a thread cannot be stopped) and its result is dropped on
/// its thread. See [`Offload`].
///
/// # Panics
///
/// When first polled outside a running ferrio loop.
///
/// ```
/// ferrio::run(async {
///     let text = ferrio::to_thread(|| {
///         // A blocking call: the loop runs other tasks meanwhile.
///         std::fs::read_to_string("/definitely/not/here").unwrap_or_default()
///     })
///     .await
///     .unwrap();
///     assert_eq!(text, "");
/// })
/// .unwrap();
/// ```
pub fn to_thread<F, R>(f: F) -> Offload<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Offload::start_lazy(Target::DefaultPool, f)
}

/// Runs `f` on `pool` and returns a future for its result: asyncio's
/// `loop.run_in_executor(pool, f)`. The same as [`ThreadPool::spawn`]: the
/// job is queued at once.
///
/// # Cancel safety
///
/// As [`to_thread`].
///
/// ```
/// let pool = ferrio::blocking::ThreadPool::builder().max_threads(1).build();
/// let n = ferrio::run(async { ferrio::run_in_executor(&pool, || 6 * 7).await.unwrap() }).unwrap();
/// assert_eq!(n, 42);
/// ```
pub fn run_in_executor<F, R>(pool: &ThreadPool, f: F) -> Offload<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    pool.spawn(f)
}
