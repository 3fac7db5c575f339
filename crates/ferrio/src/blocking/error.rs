//! Why work run on another thread gave no value: [`BlockingError`] and the
//! worker's [`WorkerPanic`].

use std::any::Any;
use std::fmt;
use std::io;
use std::sync::Mutex;
use std::time::Duration;

use crate::task::Cancelled;

/// Why [`to_thread`](super::to_thread), [`run_in_executor`](super::run_in_executor)
/// or the CPU pool gave no value.
///
/// ```
/// use ferrio::blocking::BlockingError;
///
/// ferrio::run(async {
///     let err = ferrio::to_thread(|| -> u32 { panic!("disk on fire") }).await.unwrap_err();
///     match err {
///         BlockingError::Panicked(p) => assert_eq!(p.message(), "disk on fire"),
///         other => panic!("unexpected: {other}"),
///     }
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum BlockingError {
    /// The awaiting task was cancelled. The work itself cannot be stopped:
    /// it runs on (unless it had not started yet, then it never runs) and
    /// its result is dropped. Propagate it with `?` or return it, so that
    /// the task ends cancelled.
    Cancelled(Cancelled),
    /// The function panicked on its worker thread. The loop is unaffected.
    Panicked(WorkerPanic),
    /// The pool was shut down and accepts no more work.
    ShutDown,
    /// The pool could not start a thread and has none to run the job.
    ThreadSpawn(io::Error),
}

crate::task::cancelled_or_panicked!(BlockingError);

impl fmt::Display for BlockingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockingError::Cancelled(c) => write!(
                f,
                "{c} while waiting for work on another thread (the work itself runs on; \
                 its result is dropped)"
            ),
            BlockingError::Panicked(p) => fmt::Display::fmt(p, f),
            BlockingError::ShutDown => f.write_str(
                "the thread pool is shut down and accepts no more work; \
                 submit to another pool",
            ),
            BlockingError::ThreadSpawn(e) => write!(
                f,
                "the thread pool cannot start a worker thread ({e}); \
                 lower its max_threads or free system resources"
            ),
        }
    }
}

impl std::error::Error for BlockingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BlockingError::Cancelled(c) => Some(c),
            BlockingError::Panicked(p) => Some(p),
            BlockingError::ThreadSpawn(e) => Some(e),
            BlockingError::ShutDown => None,
        }
    }
}

impl From<Cancelled> for BlockingError {
    fn from(c: Cancelled) -> BlockingError {
        BlockingError::Cancelled(c)
    }
}

/// A function run on a worker thread panicked: its message, and the payload
/// to resume unwinding with.
pub struct WorkerPanic {
    message: String,
    payload: Mutex<Option<Box<dyn Any + Send>>>,
}

impl WorkerPanic {
    pub(crate) fn new(payload: Box<dyn Any + Send>) -> WorkerPanic {
        WorkerPanic {
            message: crate::task::panic_message(&*payload).to_owned(),
            payload: Mutex::new(Some(payload)),
        }
    }

    /// The panic message (`"<non-string panic payload>"` if it was not a
    /// string).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The panic payload, to resume unwinding with
    /// `std::panic::resume_unwind`.
    pub fn into_panic(self) -> Box<dyn Any + Send> {
        let payload = self.payload.into_inner().unwrap_or_else(|e| e.into_inner());
        payload.unwrap_or_else(|| Box::new(self.message))
    }
}

impl fmt::Debug for WorkerPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPanic")
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for WorkerPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the function run on a worker thread panicked: {}",
            self.message
        )
    }
}

impl std::error::Error for WorkerPanic {}

/// A pool's shutdown did not finish within its bound: the jobs still running
/// (and those queued) run on, detached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownTimeout {
    /// How long the shutdown waited.
    pub waited: Duration,
    /// Worker threads still alive when it gave up.
    pub threads: usize,
}

impl fmt::Display for ShutdownTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the thread pool did not finish its jobs within {:?} ({} worker threads still \
             busy); they run on, detached — make blocking functions return sooner, or raise \
             the pool's shutdown_timeout",
            self.waited, self.threads
        )
    }
}

impl std::error::Error for ShutdownTimeout {}
