//! [`run_on_cores`]: one event loop per thread, optionally pinned to a
//! CPU — how asyncio users run one process per core, in one process.
//!
//! Each loop runs the future `f(core)` builds on its own thread; tasks
//! never move between loops. A server scales by binding one
//! `SO_REUSEPORT` listener per loop
//! ([`ServerOptions::reuse_port`](crate::stream::ServerOptions::reuse_port)),
//! and the kernel spreads connections among them. The result — or the
//! panic — of every loop comes back to the caller.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::event_loop::RunError;
use crate::task::panic_message;

/// Which loop a future runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Core {
    /// This loop's number, from 0.
    pub index: usize,
    /// How many loops run.
    pub count: usize,
    /// The CPU the thread is pinned to, if pinned.
    pub cpu: Option<usize>,
}

/// Why a loop of [`run_on_cores`] gave no result.
#[derive(Debug)]
#[non_exhaustive]
pub enum CoreError {
    /// The loop's future panicked; the other loops ran on.
    Panicked(String),
    /// The loop could not run the future (see [`RunError`]).
    Run(RunError),
    /// The thread could not be started.
    Spawn(std::io::Error),
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::Panicked(m) => write!(f, "the loop's future panicked: {m}"),
            CoreError::Run(e) => write!(f, "the loop failed: {e}"),
            CoreError::Spawn(e) => write!(f, "cannot start the loop's thread: {e}"),
        }
    }
}

impl std::error::Error for CoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CoreError::Run(e) => Some(e),
            CoreError::Spawn(e) => Some(e),
            CoreError::Panicked(_) => None,
        }
    }
}

/// Configures [`run_on_cores`]: how many loops, and whether their threads
/// are pinned.
///
/// ```
/// let results = ferrio::cores::Cores::new(2)
///     .pin(false)
///     .run(|core| async move { core.index * 10 });
/// let values: Vec<usize> = results.into_iter().map(Result::unwrap).collect();
/// assert_eq!(values, [0, 10]);
/// ```
#[derive(Debug, Clone)]
pub struct Cores {
    count: usize,
    pin: bool,
}

impl Cores {
    /// `count` loops (at least one), not pinned.
    pub fn new(count: usize) -> Cores {
        Cores {
            count: count.max(1),
            pin: false,
        }
    }

    /// One loop per available CPU.
    pub fn per_cpu() -> Cores {
        Cores::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Pins loop `i` to CPU `i` (modulo the CPUs available). Where pinning
    /// is refused the loop runs unpinned and [`Core::cpu`] is `None`.
    pub fn pin(mut self, on: bool) -> Cores {
        self.pin = on;
        self
    }

    /// Runs `f(core)` on each loop, each on its own thread, and returns
    /// every loop's outcome in loop order, once all have finished. Each
    /// loop ends as [`ferrio::run`](crate::run) does: tasks left over are
    /// cancelled and their cleanup runs.
    pub fn run<T, F, Fut>(&self, f: F) -> Vec<Result<T, CoreError>>
    where
        F: Fn(Core) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        let f = Arc::new(f);
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads: Vec<_> = (0..self.count)
            .map(|index| {
                let f = f.clone();
                let (count, pin) = (self.count, self.pin);
                std::thread::Builder::new()
                    .name(format!("ferrio-core-{index}"))
                    .spawn(move || {
                        let cpu = pin
                            .then_some(index % cpus)
                            .filter(|&cpu| crate::reactor::sys::pin_to_cpu(cpu).is_ok());
                        crate::run(f(Core { index, count, cpu }))
                    })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| match t {
                Err(e) => Err(CoreError::Spawn(e)),
                Ok(handle) => match handle.join() {
                    Ok(Ok(v)) => Ok(v),
                    Ok(Err(e)) => Err(CoreError::Run(e)),
                    Err(payload) => Err(CoreError::Panicked(panic_message(&*payload).to_owned())),
                },
            })
            .collect()
    }
}

/// Runs `f(core)` on `n` event loops, one per thread, each pinned to its
/// CPU: [`Cores::new(n).pin(true).run(f)`](Cores::run).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let hits = Arc::new(AtomicUsize::new(0));
/// let h = hits.clone();
/// let results = ferrio::run_on_cores(2, move |core| {
///     let h = h.clone();
///     async move {
///         ferrio::sleep(std::time::Duration::from_millis(1)).await.unwrap();
///         h.fetch_add(1, Ordering::SeqCst);
///         core.index
///     }
/// });
/// assert_eq!(results.len(), 2);
/// assert_eq!(hits.load(Ordering::SeqCst), 2);
/// ```
pub fn run_on_cores<T, F, Fut>(n: usize, f: F) -> Vec<Result<T, CoreError>>
where
    F: Fn(Core) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = T> + 'static,
    T: Send + 'static,
{
    Cores::new(n).pin(true).run(f)
}
