//! [`ThreadPool`]: a bounded pool of threads for blocking calls — asyncio's
//! `ThreadPoolExecutor`, the default executor of `run_in_executor`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::builder::Builder;
use super::engine::{Config, Job, Refused, Shared};
use super::error::{BlockingError, ShutdownTimeout};
use super::offload::{Offload, Target};

/// A bounded pool of threads for blocking calls (file and DNS look-ups,
/// blocking client libraries, ...): asyncio's `ThreadPoolExecutor`.
///
/// At most `max_threads` jobs run at once; further jobs wait in a FIFO
/// queue. Threads start on demand and exit after an idle timeout. Cloning
/// gives another handle to the same pool; when the last handle is dropped
/// the pool stops taking work and its threads exit once the queue is done
/// (without waiting — call [`shutdown`](Self::shutdown) to wait).
///
/// Each loop has a default pool, used by [`to_thread`](super::to_thread);
/// see [`default_pool`](super::default_pool).
///
/// ```
/// use ferrio::blocking::ThreadPool;
///
/// let pool = ThreadPool::builder().max_threads(2).build();
/// let sum = ferrio::run(async {
///     let a = ferrio::run_in_executor(&pool, || (1..=10).sum::<u32>());
///     let b = pool.spawn(|| (11..=20).sum::<u32>());
///     a.await.unwrap() + b.await.unwrap()
/// })
/// .unwrap();
/// assert_eq!(sum, 210);
/// pool.shutdown().unwrap();
/// ```
#[derive(Clone)]
pub struct ThreadPool {
    handle: Arc<PoolHandle>,
}

/// Closes the pool when the last user handle goes (workers hold `Shared`
/// only, so they do not keep it open).
struct PoolHandle {
    shared: Arc<Shared>,
}

impl Drop for PoolHandle {
    fn drop(&mut self) {
        self.shared.close();
    }
}

/// A snapshot of a pool's counters, from [`ThreadPool::statistics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStats {
    /// Worker threads alive (busy or idle).
    pub threads: usize,
    /// Worker threads waiting for a job.
    pub idle: usize,
    /// Jobs running now.
    pub running: usize,
    /// Jobs waiting for a free thread.
    pub queued: usize,
    /// Jobs finished (returned, panicked, or skipped because their awaiter
    /// gave up before they started).
    pub completed: u64,
    /// Threads started over the pool's life.
    pub threads_started: u64,
    /// The bound on `threads`.
    pub max_threads: usize,
    /// Whether the pool refuses new jobs.
    pub shut_down: bool,
}

impl ThreadPool {
    /// A pool with the default settings (see [`Builder::new`]).
    pub fn new() -> ThreadPool {
        Builder::new().build()
    }

    /// A [`Builder`] to configure a pool.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_config(config: Config) -> ThreadPool {
        ThreadPool {
            handle: Arc::new(PoolHandle {
                shared: Shared::new(config),
            }),
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    /// Starts `f` on the pool now and returns a future for its result:
    /// asyncio's `loop.run_in_executor(pool, f)`. Same as
    /// [`run_in_executor`](super::run_in_executor).
    ///
    /// The job is queued at once (the future need not be polled for it to
    /// run), which also works outside any loop; the returned [`Offload`]
    /// can be awaited on any ferrio loop, or any executor.
    ///
    /// # Cancel safety
    ///
    /// Awaiting is a cancellation point: cancelling the awaiting task
    /// completes the await with [`BlockingError::Cancelled`] at once. A job
    /// that has not started yet is then skipped; a running one runs on (a
    /// thread cannot be stopped) and its result is dropped on its thread.
    /// Dropping the `Offload` detaches the job: it runs anyway, and its
    /// result is dropped on its thread.
    pub fn spawn<F, R>(&self, f: F) -> Offload<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        Offload::start_now(Target::Pool(self.clone()), f)
    }

    pub(crate) fn submit(&self, job: Job) -> Result<(), BlockingError> {
        self.shared().submit(job).map_err(|refused| match refused {
            Refused::Closed(job) => {
                drop(job);
                BlockingError::ShutDown
            }
            Refused::Spawn(job, e) => {
                drop(job);
                BlockingError::ThreadSpawn(e)
            }
        })
    }

    /// Stops taking jobs and waits for the running and queued ones to
    /// finish, up to the pool's shutdown timeout (300 s unless configured):
    /// asyncio's `shutdown_default_executor()`. Blocks the calling thread —
    /// on a loop, run it with [`to_thread`](super::to_thread) on another
    /// pool, or call it after the loop is done.
    ///
    /// # Errors
    ///
    /// [`ShutdownTimeout`] if jobs were still running at the bound; they
    /// run on, detached, and their threads exit when done.
    pub fn shutdown(&self) -> Result<(), ShutdownTimeout> {
        self.shutdown_timeout(self.shared().config.shutdown_timeout)
    }

    /// [`shutdown`](Self::shutdown) with an explicit bound.
    ///
    /// # Errors
    ///
    /// [`ShutdownTimeout`] if jobs were still running at the bound.
    pub fn shutdown_timeout(&self, timeout: Duration) -> Result<(), ShutdownTimeout> {
        self.shared().close();
        self.shared().wait_exited(timeout)
    }

    /// Stops taking jobs and returns at once: asyncio's
    /// `executor.shutdown(wait=False)`. Queued and running jobs still run.
    pub fn shutdown_nowait(&self) {
        self.shared().close();
    }

    /// Whether the pool refuses new jobs.
    pub fn is_shut_down(&self) -> bool {
        self.shared().lock().closed
    }

    /// The pool's counters now.
    pub fn statistics(&self) -> PoolStats {
        let shared = self.shared();
        let state = shared.lock();
        PoolStats {
            threads: state.threads,
            idle: state.idle,
            running: state.running,
            queued: state.queue.len(),
            completed: state.completed,
            threads_started: state.threads_started,
            max_threads: shared.config.max_threads,
            shut_down: state.closed,
        }
    }
}

impl Default for ThreadPool {
    fn default() -> ThreadPool {
        ThreadPool::new()
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.statistics();
        f.debug_struct("ThreadPool")
            .field("name", &self.shared().config.thread_name)
            .field("threads", &stats.threads)
            .field("running", &stats.running)
            .field("queued", &stats.queued)
            .field("max_threads", &stats.max_threads)
            .field("shut_down", &stats.shut_down)
            .finish()
    }
}
