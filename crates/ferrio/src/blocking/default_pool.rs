//! Each loop's default pool: asyncio's default executor, created on first
//! use, shut down with a bound when the [`Runner`](crate::Runner) closes the
//! loop.

use crate::event_loop::context;
use crate::event_loop::inner::Inner;

use super::ThreadPool;

/// The running loop's default pool, created on first use (with the default
/// settings, see [`Builder::new`](super::Builder::new)). It runs
/// [`to_thread`](super::to_thread) jobs.
///
/// ```
/// ferrio::run(async {
///     let pool = ferrio::blocking::default_pool();
///     assert_eq!(pool.statistics().threads, 0, "no thread before the first job");
///     ferrio::to_thread(|| ()).await.unwrap();
///     assert_eq!(pool.statistics().threads_started, 1);
/// })
/// .unwrap();
/// ```
///
/// # Panics
///
/// If no loop is running on this thread.
#[track_caller]
pub fn default_pool() -> ThreadPool {
    match context::current() {
        Some(inner) => of(&inner),
        None => {
            panic!("ferrio::blocking::default_pool() called outside a running ferrio event loop")
        }
    }
}

/// Replaces the running loop's default pool: asyncio's
/// `loop.set_default_executor(pool)`. Returns the previous one, if it had
/// been created; it is not shut down (jobs already on it run on).
///
/// ```
/// use ferrio::blocking::ThreadPool;
///
/// ferrio::run(async {
///     let old = ferrio::blocking::set_default_pool(ThreadPool::builder().max_threads(1).build());
///     assert!(old.is_none());
///     assert_eq!(ferrio::blocking::default_pool().statistics().max_threads, 1);
/// })
/// .unwrap();
/// ```
///
/// # Panics
///
/// If no loop is running on this thread.
#[track_caller]
pub fn set_default_pool(pool: ThreadPool) -> Option<ThreadPool> {
    match context::current() {
        Some(inner) => inner
            .slots
            .with(|slot: &mut DefaultPool| slot.0.replace(pool)),
        None => panic!(
            "ferrio::blocking::set_default_pool() called outside a running ferrio event loop"
        ),
    }
}

/// A loop's default pool, kept in the loop's slots (see
/// `event_loop::slots`): `None` until first used.
#[derive(Default)]
struct DefaultPool(Option<ThreadPool>);

/// The default pool of `inner`, created if needed.
fn of(inner: &Inner) -> ThreadPool {
    inner
        .slots
        .with(|slot: &mut DefaultPool| slot.0.get_or_insert_with(ThreadPool::new).clone())
}

/// The pool `to_thread` submits to, from inside a poll.
pub(crate) fn for_to_thread() -> ThreadPool {
    match context::current() {
        Some(inner) => of(&inner),
        None => panic!("ferrio::to_thread polled outside a running ferrio event loop"),
    }
}

/// Shuts down `inner`'s default pool, if it was created: stops it taking
/// jobs and waits for the running ones up to its shutdown timeout (300 s by
/// default), as asyncio's `Runner.close()` does with
/// `shutdown_default_executor()`. Jobs still running then are detached, with
/// a warning. Blocks the calling thread; the loop must not be running.
pub(crate) fn shutdown_default_pool(inner: &Inner) {
    let pool = inner.slots.with(|slot: &mut DefaultPool| slot.0.take());
    if let Some(pool) = pool {
        if let Err(e) = pool.shutdown() {
            tracing::warn!("ferrio: closing the event loop: {e}");
        }
    }
}
