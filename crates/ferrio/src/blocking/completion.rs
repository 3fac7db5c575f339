//! The hand-off between a job on a worker thread and the future awaiting it
//! on a loop: the loop's one-shot [`Completion`] slot, with the job's run
//! state kept beside the outcome.
//!
//! # States
//!
//! ```text
//! Queued ──start()──▶ Running ──send()──▶ Done(outcome) ──poll()──▶ Taken
//!   │                   │                   │
//!   ├──── abandon() ────┤                   ├──── abandon() ──▶ Abandoned
//!   │                   └─ abandon()/detach() ─▶ Detached       │
//!   └──── detach() ──────────▶ Detached ◀──── detach() ─────────┘
//! Queued/Running ──producer dropped without sending──▶ Lost
//! ```
//!
//! - `abandon()` is a cancelled await: `start()` on an `Abandoned` slot
//!   returns `false` and the job is skipped (as a cancelled
//!   `concurrent.futures.Future` never runs); a job already running runs on
//!   (its slot becomes `Detached`).
//! - `detach()` is a dropped handle: the job runs anyway (`start()` returns
//!   `true`), as a dropped `Task` runs on.
//! - `send()` on an `Abandoned` or `Detached` slot drops the outcome on the
//!   worker thread, after releasing the lock: a result nobody waits for is
//!   neither leaked nor dropped on the loop.
//! - `abandon()`/`detach()` on a `Done` slot (the result arrived, nobody
//!   took it) drop the outcome on the calling thread.
//! - Whoever ends the wait (`send`, the producer's drop, `abandon` or
//!   `detach`) takes the waker and the clock ticket, and wakes then drops
//!   them (in that order) after releasing the lock — the slot does that
//!   (`event_loop::completion`). So the loop's clock hold ends when the work
//!   ends, even if the future is never polled again.
//!
//! `Done`, `Lost` and `Taken` are the slot's outcome (`Ready(Ok)`,
//! `Ready(Err(Lost))`, `Taken`); `Abandoned` and `Detached` are a closed
//! slot with the run state saying which.
//!
//! The loom models at the bottom check these races.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::event_loop::clock_hold::ClockTicket;
use crate::event_loop::completion::{Completion, Outcome as Slot};

/// What the job produced: its value, or its panic payload.
pub(crate) type Outcome<T> = Result<T, Box<dyn Any + Send>>;

/// The producer was dropped without sending: the job will never run.
#[derive(Debug)]
pub(crate) struct Lost;

/// The job's run state, atomic with the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    Queued,
    Running,
    /// The await was cancelled: a job not started yet is skipped.
    Abandoned,
    /// The handle was dropped: the job runs, its result is dropped.
    Detached,
}

type Shared<T> = Completion<Result<Outcome<T>, Lost>, Run>;

/// The worker's side: starts the job, sends its outcome.
pub(crate) struct Producer<T> {
    shared: Arc<Shared<T>>,
    sent: bool,
}

/// The awaiting side.
pub(crate) struct Consumer<T> {
    shared: Arc<Shared<T>>,
}

/// A new slot: the producer goes with the job, the consumer stays.
pub(crate) fn channel<T>() -> (Producer<T>, Consumer<T>) {
    let shared = Arc::new(Completion::new(Run::Queued));
    (
        Producer {
            shared: shared.clone(),
            sent: false,
        },
        Consumer { shared },
    )
}

impl<T> Producer<T> {
    /// Marks the job started; `false` if it must be skipped (the await was
    /// cancelled before it started).
    pub(crate) fn start(&self) -> bool {
        let mut state = self.shared.lock();
        match state.extra {
            Run::Queued => {
                state.extra = Run::Running;
                true
            }
            Run::Detached => true,
            Run::Running | Run::Abandoned => false,
        }
    }

    /// Hands over the job's outcome (dropped here if nobody waits for it).
    pub(crate) fn send(mut self, outcome: Outcome<T>) {
        self.sent = true;
        self.shared.settle(Ok(outcome), |_| ());
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        if !self.sent {
            // The job was dropped unrun: tell the waiter, never hang it.
            self.shared.settle(Err(Lost), |_| ());
        }
    }
}

impl<T> Consumer<T> {
    /// Holds the awaiting loop's clock until the outcome comes.
    pub(crate) fn set_hold(&self, ticket: ClockTicket) {
        self.shared.set_hold(ticket);
    }

    /// The outcome, once it is there.
    ///
    /// # Panics
    ///
    /// If polled after the outcome was taken or the wait given up.
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<Result<Outcome<T>, Lost>> {
        let polled = self.shared.poll(cx.waker());
        if polled.is_pending() {
            crate::task::note_wait("thread");
        }
        polled
    }

    /// Gives up waiting (a cancelled await): a job not started yet will be
    /// skipped, a result still to come will be dropped on the worker, one
    /// already here is dropped now.
    pub(crate) fn abandon(&self) {
        self.stop_waiting(Run::Abandoned);
    }

    /// Stops waiting but lets the job run (a dropped handle): its result
    /// will be dropped on the worker, or now if it is already here.
    pub(crate) fn detach(&self) {
        self.stop_waiting(Run::Detached);
    }

    fn stop_waiting(&self, next: Run) {
        self.shared.close(|run| {
            *run = match (*run, next) {
                // A running job runs on whatever the reason.
                (Run::Running, _) => Run::Detached,
                (Run::Queued, next) => next,
                // Given up already: keep it.
                (settled, _) => settled,
            }
        });
    }

    /// Whether the job has neither finished nor been given up.
    pub(crate) fn in_flight(&self) -> bool {
        self.shared.is_pending()
    }

    /// A short name of the stage, for `Debug`.
    pub(crate) fn stage_name(&self) -> &'static str {
        let state = self.shared.lock();
        match (&state.outcome, state.extra) {
            (Slot::Pending, Run::Queued) => "queued",
            (Slot::Pending, _) => "running",
            (Slot::Ready(Ok(_)), _) => "done",
            (Slot::Ready(Err(Lost)), _) => "lost",
            (Slot::Taken, _) => "taken",
            (Slot::Closed, Run::Abandoned) => "abandoned",
            (Slot::Closed, _) => "detached",
        }
    }
}

impl<T> Drop for Consumer<T> {
    fn drop(&mut self) {
        self.detach();
    }
}

impl<T> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("stage", &self.stage_name())
            .finish()
    }
}

#[cfg(all(test, ferrio_loom))]
mod loom_tests {
    use super::*;
    use crate::loom::models::{counting_waker, Dropped};
    use crate::loom::{AtomicUsize, Ordering};
    use loom::sync::Arc;

    /// The worker finishing races the awaiting side giving up: the result
    /// is created only if the job started, and is dropped exactly once —
    /// whichever side gets there last drops it.
    #[test]
    fn loom_send_races_abandon() {
        loom::model(|| {
            let created = Arc::new(AtomicUsize::new(0));
            let drops = Arc::new(AtomicUsize::new(0));
            let (producer, consumer) = channel::<Dropped>();
            let (c, d) = (created.clone(), drops.clone());
            let worker = loom::thread::spawn(move || {
                if producer.start() {
                    c.fetch_add(1, Ordering::SeqCst);
                    producer.send(Ok(Dropped(d)));
                }
            });
            consumer.abandon();
            worker.join().unwrap();
            drop(consumer);
            assert_eq!(
                drops.load(Ordering::SeqCst),
                created.load(Ordering::SeqCst),
                "every result created is dropped exactly once"
            );
        });
    }

    /// The handle dropped (detached) while the job is queued or running:
    /// the job still runs, and its result is dropped exactly once.
    #[test]
    fn loom_send_races_detach() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let (producer, consumer) = channel::<Dropped>();
            let d = drops.clone();
            let worker = loom::thread::spawn(move || {
                assert!(producer.start(), "a detached job still runs");
                producer.send(Ok(Dropped(d)));
            });
            drop(consumer);
            worker.join().unwrap();
            assert_eq!(drops.load(Ordering::SeqCst), 1);
        });
    }

    /// The worker finishing races a poll: if the poll saw nothing, the
    /// waker it registered is woken, and the next poll has the value.
    #[test]
    fn loom_send_races_poll_no_lost_wakeup() {
        loom::model(|| {
            let (producer, consumer) = channel::<u32>();
            let worker = loom::thread::spawn(move || {
                assert!(producer.start());
                producer.send(Ok(7));
            });
            let (count, waker) = counting_waker();
            let mut cx = Context::from_waker(&waker);
            let first = consumer.poll(&mut cx);
            worker.join().unwrap();
            match first {
                Poll::Ready(Ok(Ok(v))) => assert_eq!(v, 7),
                Poll::Pending => {
                    assert_eq!(count.0.load(Ordering::SeqCst), 1, "the waiter was woken");
                    let Poll::Ready(Ok(Ok(v))) = consumer.poll(&mut cx) else {
                        panic!("woken without a value")
                    };
                    assert_eq!(v, 7);
                }
                _ => panic!("unexpected outcome"),
            }
        });
    }

    /// A producer dropped without sending (its job was dropped unrun)
    /// races a poll: the awaiting side learns it, never hangs.
    #[test]
    fn loom_lost_job_wakes_the_waiter() {
        loom::model(|| {
            let (producer, consumer) = channel::<u32>();
            let worker = loom::thread::spawn(move || drop(producer));
            let (count, waker) = counting_waker();
            let mut cx = Context::from_waker(&waker);
            let first = consumer.poll(&mut cx);
            worker.join().unwrap();
            match first {
                Poll::Ready(Err(Lost)) => {}
                Poll::Pending => {
                    assert_eq!(count.0.load(Ordering::SeqCst), 1);
                    assert!(matches!(consumer.poll(&mut cx), Poll::Ready(Err(Lost))));
                }
                _ => panic!("unexpected outcome"),
            }
        });
    }
}
