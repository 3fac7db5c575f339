//! The thread pool's engine: the job queue, the worker threads and their
//! lifecycle. [`super::ThreadPool`] is the public face over it.
//!
//! # Invariants (all counts under `Shared::state`)
//!
//! - `threads` counts workers started and not yet exited, plus slots reserved
//!   by a submitter that is starting one; it never exceeds `max_threads`.
//! - `idle` counts workers waiting for a job; `running` those running one.
//! - A submitter starts a thread only when the queue would hold more jobs
//!   than there are idle workers to take them, so `n` jobs never wait while
//!   fewer than `min(n, max_threads)` workers exist.
//! - Workers wait for jobs with a deadline (the idle timeout) and exit when
//!   it passes with the queue still empty, or when the pool is closed and the
//!   queue is empty: after `close`, queued jobs still run.
//! - Every exit is announced on `exited`, which `wait_exited` (shutdown)
//!   waits on; then shutdown *joins* the exited threads (their join
//!   handles are in `workers`), within the same bound, so that no worker
//!   thread is alive when it returns. Handles of threads that exited on
//!   their idle timeout are dropped (the threads are done) whenever a new
//!   worker starts.
//!
//! Jobs never unwind into a worker: each one catches its own panics, and the
//! worker catches a panic from dropping one as well.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use super::error::ShutdownTimeout;

/// A unit of work; it catches its own panics.
pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// The pool's fixed settings.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) max_threads: usize,
    pub(crate) idle_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) thread_name: String,
    pub(crate) stack_size: Option<usize>,
}

#[derive(Default)]
pub(crate) struct Counts {
    pub(crate) queue: VecDeque<Job>,
    pub(crate) threads: usize,
    pub(crate) idle: usize,
    pub(crate) running: usize,
    pub(crate) closed: bool,
    pub(crate) completed: u64,
    pub(crate) threads_started: u64,
    /// Join handles of the workers started and not yet joined.
    workers: Vec<thread::JoinHandle<()>>,
}

pub(crate) struct Shared {
    state: Mutex<Counts>,
    /// Workers wait here for jobs (or close).
    work: Condvar,
    /// Shutdown waits here for workers to exit.
    exited: Condvar,
    pub(crate) config: Config,
}

thread_local! {
    /// The pool this thread works for, by address (0: none).
    static WORKER_OF: Cell<usize> = const { Cell::new(0) };
}

/// Why a job was refused; it is handed back.
pub(crate) enum Refused {
    Closed(Job),
    Spawn(Job, io::Error),
}

impl Shared {
    pub(crate) fn new(config: Config) -> Arc<Shared> {
        Arc::new(Shared {
            state: Mutex::new(Counts::default()),
            work: Condvar::new(),
            exited: Condvar::new(),
            config,
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Counts> {
        // Critical sections are plain counter and queue updates.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `job`, starting a worker if none is free and the bound allows.
    pub(crate) fn submit(self: &Arc<Self>, job: Job) -> Result<(), Refused> {
        let mut state = self.lock();
        if state.closed {
            return Err(Refused::Closed(job));
        }
        let start = state.queue.len() + 1 > state.idle && state.threads < self.config.max_threads;
        if !start {
            state.queue.push_back(job);
            let notify = state.idle > 0;
            drop(state);
            if notify {
                self.work.notify_one();
            }
            return Ok(());
        }
        // Reserve the thread, start it without the lock, then queue.
        state.threads += 1;
        drop(state);
        let spawned = self.spawn_worker();
        let mut state = self.lock();
        let spawned = spawned.map(|handle| {
            state.workers.retain(|w| !w.is_finished());
            state.workers.push(handle);
        });
        if let Err(e) = spawned {
            state.threads -= 1;
            if state.threads == 0 {
                // No worker will ever run what others queued meanwhile,
                // counting on the thread reserved here: drop it (outside
                // the lock), which tells their awaiters.
                let stranded: Vec<Job> = state.queue.drain(..).collect();
                drop(state);
                drop(stranded);
                return Err(Refused::Spawn(job, e));
            }
            // Another worker will get to it.
        } else {
            state.threads_started += 1;
        }
        state.queue.push_back(job);
        let notify = state.idle > 0;
        drop(state);
        if notify {
            self.work.notify_one();
        }
        Ok(())
    }

    fn spawn_worker(self: &Arc<Self>) -> io::Result<thread::JoinHandle<()>> {
        let shared = self.clone();
        let mut builder = thread::Builder::new().name(self.config.thread_name.clone());
        if let Some(size) = self.config.stack_size {
            builder = builder.stack_size(size);
        }
        builder.spawn(move || shared.work_loop())
    }

    /// A worker's life: run jobs, wait idle up to the timeout, exit.
    fn work_loop(self: Arc<Self>) {
        let me = Arc::as_ptr(&self) as usize;
        WORKER_OF.with(|w| w.set(me));
        let mut state = self.lock();
        loop {
            if let Some(job) = state.queue.pop_front() {
                state.running += 1;
                drop(state);
                // A job catches its own panics; this catches a panicking
                // drop of what it captured, so the worker survives.
                let _ = catch_unwind(AssertUnwindSafe(job));
                state = self.lock();
                state.running -= 1;
                state.completed += 1;
                continue;
            }
            if state.closed {
                break;
            }
            state.idle += 1;
            let deadline = Instant::now() + self.config.idle_timeout;
            let mut timed_out = false;
            while state.queue.is_empty() && !state.closed {
                let now = Instant::now();
                if now >= deadline {
                    timed_out = true;
                    break;
                }
                state = self
                    .work
                    .wait_timeout(state, deadline - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            state.idle -= 1;
            if timed_out {
                break;
            }
        }
        state.threads -= 1;
        drop(state);
        WORKER_OF.with(|w| w.set(0));
        self.exited.notify_all();
    }

    /// Refuses new jobs; idle workers exit, busy ones after the queue drains.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.work.notify_all();
    }

    /// Waits up to `timeout` for every worker to exit (the calling thread
    /// itself excepted, if it is one of them), then joins them within what
    /// is left of the bound.
    pub(crate) fn wait_exited(self: &Arc<Self>, timeout: Duration) -> Result<(), ShutdownTimeout> {
        let start = Instant::now();
        self.wait_counted_out(timeout)?;
        self.join_exited(start.checked_add(timeout), timeout)
    }

    /// Joins the workers that have counted themselves out: they only have
    /// their thread's teardown left (thread-local destructors), which is
    /// waited for up to `deadline`.
    fn join_exited(
        &self,
        deadline: Option<Instant>,
        timeout: Duration,
    ) -> Result<(), ShutdownTimeout> {
        let me = thread::current().id();
        let workers: Vec<_> = {
            let mut state = self.lock();
            let (others, own): (Vec<_>, Vec<_>) =
                state.workers.drain(..).partition(|w| w.thread().id() != me);
            state.workers = own;
            others
        };
        let mut unfinished = 0;
        for worker in workers {
            // Teardown takes microseconds unless a thread-local destructor
            // blocks: poll, politely, up to the bound.
            while !worker.is_finished() && deadline.is_none_or(|d| Instant::now() < d) {
                thread::sleep(Duration::from_micros(50));
            }
            if worker.is_finished() {
                // The job caught its panics; a panic in a thread-local
                // destructor aborts the process before this.
                let _ = worker.join();
            } else {
                unfinished += 1;
            }
        }
        if unfinished > 0 {
            return Err(ShutdownTimeout {
                waited: timeout,
                threads: unfinished,
            });
        }
        Ok(())
    }

    /// Waits up to `timeout` for every worker to count itself out.
    fn wait_counted_out(self: &Arc<Self>, timeout: Duration) -> Result<(), ShutdownTimeout> {
        let me = Arc::as_ptr(self) as usize;
        let own = usize::from(WORKER_OF.with(|w| w.get()) == me);
        let start = Instant::now();
        let deadline = start.checked_add(timeout);
        let mut state = self.lock();
        while state.threads > own {
            let wait = match deadline {
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(ShutdownTimeout {
                            waited: timeout,
                            threads: state.threads - own,
                        });
                    }
                    deadline - now
                }
                // Too far to represent: wait in slices.
                None => Duration::from_secs(3600),
            };
            state = self
                .exited
                .wait_timeout(state, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        Ok(())
    }
}
