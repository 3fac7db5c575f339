//! [`Offload`]: the future of work running on another thread.

use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::completion::{self, Consumer, Lost, Producer};
use super::engine::Job;
use super::error::{BlockingError, WorkerPanic};
use super::ThreadPool;
use crate::event_loop::clock_hold::ClockTicket;
use crate::task::Checkpoint;

/// Where a job runs.
pub(crate) enum Target {
    /// The default pool of the loop that first polls the future.
    DefaultPool,
    Pool(ThreadPool),
    /// rayon's global pool.
    #[cfg(feature = "cpu")]
    Cpu,
}

impl Target {
    fn submit(&self, job: Job) -> Result<(), BlockingError> {
        match self {
            Target::DefaultPool => super::default_pool::for_to_thread().submit(job),
            Target::Pool(pool) => pool.submit(job),
            #[cfg(feature = "cpu")]
            Target::Cpu => {
                super::cpu::submit(job);
                Ok(())
            }
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Target::DefaultPool => "default pool",
            Target::Pool(_) => "thread pool",
            #[cfg(feature = "cpu")]
            Target::Cpu => "cpu pool",
        }
    }
}

/// The job run on the worker: skip if nobody waits any more, else run `f`
/// catching its panic, and hand the outcome over.
fn job<F, R>(f: F, producer: Producer<R>) -> Job
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    Box::new(move || {
        if !producer.start() {
            return;
        }
        let outcome = catch_unwind(AssertUnwindSafe(f));
        producer.send(outcome);
    })
}

/// The result of a function running on another thread: what
/// [`to_thread`](super::to_thread), [`run_in_executor`](super::run_in_executor),
/// [`ThreadPool::spawn`], [`spawn_cpu`](super::spawn_cpu) and
/// [`run_cpu`](super::run_cpu) return. Await it for
/// `Result<R, BlockingError>`.
///
/// `Send` (so `Send` futures can await it), and usable on any executor once
/// its job is started; only `to_thread` and `run_cpu`, which start at the
/// first poll, need to be polled on a ferrio loop (`to_thread` uses that
/// loop's default pool).
///
/// On a virtual-clock loop, the clock does not move while the job is in
/// flight: a `wait_for(1h, to_thread(f))` gives `f` the time it needs, as a
/// real clock would, instead of timing out at once. (So on a virtual clock,
/// a job must not wait for something the loop would only do after a timer
/// fires: the timer waits for the job.)
///
/// # Cancel safety
///
/// A cancellation point: if the awaiting task is cancelled (checked at every
/// poll), the await completes at once with [`BlockingError::Cancelled`]. A
/// job that has not started is then skipped; a running one cannot be
/// stopped — it runs on, and its result is dropped on its worker thread when
/// it arrives. The loop never waits for it.
///
/// Dropping the `Offload` instead *detaches* the job, as dropping a
/// [`Task`](crate::Task) does: once started (submitted) it runs, even if it
/// was still queued, and its result is dropped on its thread. A lazy
/// `to_thread`/`run_cpu` future dropped before its first poll never starts.
#[must_use = "to_thread and run_cpu do nothing unless awaited; a dropped ThreadPool::spawn or spawn_cpu job runs detached and its result is lost"]
pub struct Offload<R> {
    consumer: Consumer<R>,
    /// The job and where it goes, until the first poll submits it.
    lazy: Option<(Target, Job)>,
    /// A submission that failed when started eagerly.
    failed: Option<BlockingError>,
    /// Whether the clock hold is still to be taken (at the first poll).
    hold_pending: bool,
    checkpoint: Checkpoint,
    done: bool,
}

impl<R: Send + 'static> Offload<R> {
    /// Submitted at the first poll.
    pub(crate) fn start_lazy<F>(target: Target, f: F) -> Offload<R>
    where
        F: FnOnce() -> R + Send + 'static,
    {
        let (producer, consumer) = completion::channel();
        Offload {
            consumer,
            lazy: Some((target, job(f, producer))),
            failed: None,
            hold_pending: true,
            checkpoint: Checkpoint::new(),
            done: false,
        }
    }

    /// Submitted now.
    pub(crate) fn start_now<F>(target: Target, f: F) -> Offload<R>
    where
        F: FnOnce() -> R + Send + 'static,
    {
        let (producer, consumer) = completion::channel();
        // Hold the clock of the loop we are on, if any, before the job can
        // finish; otherwise the first poll takes it.
        let ticket = ClockTicket::acquire();
        let hold_pending = ticket.is_none();
        if let Some(ticket) = ticket {
            consumer.set_hold(ticket);
        }
        let failed = target.submit(job(f, producer)).err();
        Offload {
            consumer,
            lazy: None,
            failed,
            hold_pending,
            checkpoint: Checkpoint::new(),
            done: false,
        }
    }
}

impl<R> Offload<R> {
    /// Whether the job has finished (returned or panicked) or was given up.
    pub fn is_finished(&self) -> bool {
        self.failed.is_some() || (self.lazy.is_none() && !self.consumer.in_flight())
    }

    /// The awaiting task was cancelled: the job is given up (a job never
    /// submitted is dropped here, unrun; a running one finishes on its
    /// thread and its result is dropped).
    fn cancelled(&mut self, c: crate::Cancelled) -> Poll<Result<R, BlockingError>> {
        self.consumer.abandon();
        self.lazy = None;
        self.finish(Err(BlockingError::Cancelled(c)))
    }

    fn finish(&mut self, result: Result<R, BlockingError>) -> Poll<Result<R, BlockingError>> {
        self.done = true;
        Poll::Ready(result)
    }
}

impl<R> Future for Offload<R> {
    type Output = Result<R, BlockingError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(!this.done, "an Offload was polled after it completed");
        if let Some(c) = this.checkpoint.resumed() {
            return this.cancelled(c);
        }
        if let Some(e) = this.failed.take() {
            return this.finish(Err(e));
        }
        if this.lazy.is_some() {
            // Not submitted yet, so it cannot be done without suspending.
            if let Some(c) = this.checkpoint.suspend() {
                return this.cancelled(c);
            }
        }
        if this.hold_pending {
            this.hold_pending = false;
            if let Some(ticket) = ClockTicket::acquire() {
                this.consumer.set_hold(ticket);
            }
        }
        if let Some((target, job)) = this.lazy.take() {
            if let Err(e) = target.submit(job) {
                this.consumer.abandon();
                return this.finish(Err(e));
            }
        }
        match this.consumer.poll(cx) {
            Poll::Pending => match this.checkpoint.suspend() {
                Some(c) => this.cancelled(c),
                None => Poll::Pending,
            },
            Poll::Ready(Ok(Ok(value))) => this.finish(Ok(value)),
            Poll::Ready(Ok(Err(payload))) => {
                this.finish(Err(BlockingError::Panicked(WorkerPanic::new(payload))))
            }
            Poll::Ready(Err(Lost)) => {
                this.finish(Err(BlockingError::ThreadSpawn(io::Error::other(
                    "the job was dropped without running: its pool had no thread to run it",
                ))))
            }
        }
    }
}

impl<R> fmt::Debug for Offload<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match (&self.lazy, &self.failed) {
            (Some(_), _) => "not started",
            (_, Some(_)) => "failed",
            _ if self.done => "completed",
            _ => self.consumer.stage_name(),
        };
        let mut d = f.debug_struct("Offload");
        if let Some((target, _)) = &self.lazy {
            d.field("target", &target.name());
        }
        d.field("stage", &stage).finish()
    }
}
