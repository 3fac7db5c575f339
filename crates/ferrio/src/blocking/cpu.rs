//! The CPU pool: compute-heavy work on rayon's global work-stealing pool,
//! sized to the cores.
//!
//! A panic escaping a `rayon::spawn` closure aborts the process, so every
//! job here runs under `catch_unwind` and a panic comes back as
//! [`BlockingError::Panicked`](super::BlockingError::Panicked).

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::engine::Job;
use super::offload::{Offload, Target};

/// Starts `f` on the CPU pool now and returns a future for its result.
///
/// For computations (hashing, compression, parsing, image work) that would
/// hold the loop for long: the pool has one thread per core, so several
/// jobs spread over the cores. For calls that *block* (I/O, sleeping,
/// waiting on locks) use [`to_thread`](super::to_thread) instead, or they
/// starve the computations. Inside `f`, rayon's parallel iterators use the
/// same pool.
///
/// Works outside a loop too; the [`Offload`] can be awaited anywhere.
///
/// # Cancel safety
///
/// As [`to_thread`](super::to_thread): cancelling the await completes it at
/// once; a started job runs on and its result is dropped.
///
/// ```
/// let total = ferrio::run(async {
///     let parts: Vec<_> = (0..4u64)
///         .map(|i| ferrio::blocking::spawn_cpu(move || (i * 1000..(i + 1) * 1000).sum::<u64>()))
///         .collect();
///     let mut total = 0;
///     for part in parts {
///         total += part.await.unwrap();
///     }
///     total
/// })
/// .unwrap();
/// assert_eq!(total, (0..4000u64).sum::<u64>());
/// ```
pub fn spawn_cpu<F, R>(f: F) -> Offload<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Offload::start_now(Target::Cpu, f)
}

/// Runs `f` on the CPU pool and awaits its result; nothing starts until the
/// first poll. See [`spawn_cpu`].
///
/// # Cancel safety
///
/// As [`spawn_cpu`].
///
/// ```
/// let digest = ferrio::run(async {
///     ferrio::blocking::run_cpu(|| (1..=20u64).product::<u64>()).await.unwrap()
/// })
/// .unwrap();
/// assert_eq!(digest, 2_432_902_008_176_640_000);
/// ```
pub fn run_cpu<F, R>(f: F) -> Offload<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Offload::start_lazy(Target::Cpu, f)
}

/// Hands `job` to rayon. The job catches `f`'s panic itself; this also
/// catches a panicking drop, which would otherwise abort the process.
pub(crate) fn submit(job: Job) {
    rayon::spawn(move || {
        let _ = catch_unwind(AssertUnwindSafe(job));
    });
}
