//! [`Builder`]: configures a [`ThreadPool`].

use std::time::Duration;

use super::engine::Config;
use super::ThreadPool;

/// How long an idle worker waits for a job before it exits, by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long [`ThreadPool::shutdown`] waits for running jobs, by default —
/// asyncio's `shutdown_default_executor` timeout.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(300);

/// asyncio's default `max_workers`: `min(32, cpu_count + 4)`.
pub(crate) fn default_max_threads() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cpus + 4).min(32)
}

/// Configures a [`ThreadPool`]: asyncio's `ThreadPoolExecutor(max_workers=..)`.
///
/// ```
/// use std::time::Duration;
///
/// let pool = ferrio::blocking::ThreadPool::builder()
///     .max_threads(4)
///     .idle_timeout(Duration::from_secs(1))
///     .shutdown_timeout(Duration::from_secs(5))
///     .thread_name("db-io")
///     .build();
/// assert_eq!(pool.statistics().max_threads, 4);
/// assert_eq!(pool.statistics().threads, 0, "threads start on demand");
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    config: Config,
}

impl Builder {
    /// A builder with the defaults: `min(32, cpus + 4)` threads, a 10 s idle
    /// timeout, a 300 s shutdown bound, threads named `ferrio-blocking`.
    pub fn new() -> Builder {
        Builder {
            config: Config {
                max_threads: default_max_threads(),
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
                shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
                thread_name: "ferrio-blocking".to_owned(),
                stack_size: None,
            },
        }
    }

    /// The most threads the pool runs at once; further jobs queue (FIFO).
    ///
    /// # Panics
    ///
    /// If `n` is zero.
    #[track_caller]
    pub fn max_threads(mut self, n: usize) -> Builder {
        assert!(n > 0, "a thread pool needs at least one thread");
        self.config.max_threads = n;
        self
    }

    /// How long an idle thread waits for work before it exits.
    pub fn idle_timeout(mut self, timeout: Duration) -> Builder {
        self.config.idle_timeout = timeout;
        self
    }

    /// How long [`ThreadPool::shutdown`] (and so the end of
    /// [`Runner`](crate::Runner), for a loop's default pool) waits for
    /// running and queued jobs before detaching them.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Builder {
        self.config.shutdown_timeout = timeout;
        self
    }

    /// The name of the pool's threads (shown by debuggers and panics).
    pub fn thread_name(mut self, name: impl Into<String>) -> Builder {
        self.config.thread_name = name.into();
        self
    }

    /// The stack size of the pool's threads, in bytes (default: std's).
    pub fn stack_size(mut self, bytes: usize) -> Builder {
        self.config.stack_size = Some(bytes);
        self
    }

    /// Builds the pool. No thread starts until the first job.
    pub fn build(self) -> ThreadPool {
        ThreadPool::from_config(self.config)
    }
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}
