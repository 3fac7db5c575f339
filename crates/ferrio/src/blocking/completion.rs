//! The hand-off between a job on a worker thread and the future awaiting it
//! on a loop: a one-shot slot under one mutex.
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
//!   them (in that order) after releasing the lock. So the loop's clock hold ends when the work
//!   ends, even if the future is never polled again.
//!
//! The loom models at the bottom check these races.

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::event_loop::clock_hold::ClockTicket;
use crate::loom::{Mutex, MutexGuard};

/// What the job produced: its value, or its panic payload.
pub(crate) type Outcome<T> = Result<T, Box<dyn Any + Send>>;

/// The producer was dropped without sending: the job will never run.
#[derive(Debug)]
pub(crate) struct Lost;

enum Stage<T> {
    Queued,
    Running,
    Done(Outcome<T>),
    Taken,
    Lost,
    Abandoned,
    Detached,
}

struct State<T> {
    stage: Stage<T>,
    waker: Option<Waker>,
    hold: Option<ClockTicket>,
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Every critical section is a few moves that cannot panic halfway.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The worker's end.
pub(crate) struct Producer<T> {
    shared: Arc<Shared<T>>,
    sent: bool,
}

/// The awaiting end.
pub(crate) struct Consumer<T> {
    shared: Arc<Shared<T>>,
}

/// A fresh slot, queued.
pub(crate) fn channel<T>() -> (Producer<T>, Consumer<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            stage: Stage::Queued,
            waker: None,
            hold: None,
        }),
    });
    (
        Producer {
            shared: shared.clone(),
            sent: false,
        },
        Consumer { shared },
    )
}

impl<T> Producer<T> {
    /// Marks the job running. `false` if the awaiting side is gone: skip
    /// the job.
    pub(crate) fn start(&self) -> bool {
        let mut state = self.shared.lock();
        match state.stage {
            Stage::Queued => {
                state.stage = Stage::Running;
                true
            }
            Stage::Detached => true,
            _ => false,
        }
    }

    /// Hands the outcome over and wakes the awaiting task; if that task is
    /// gone, drops the outcome here, on the worker thread.
    pub(crate) fn send(mut self, outcome: Outcome<T>) {
        self.sent = true;
        let mut state = self.shared.lock();
        let unwanted = match state.stage {
            Stage::Queued | Stage::Running => {
                state.stage = Stage::Done(outcome);
                None
            }
            _ => Some(outcome),
        };
        let waker = state.waker.take();
        let hold = state.hold.take();
        drop(state);
        drop(unwanted);
        wake_then_release(waker, hold);
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        if self.sent {
            return;
        }
        let mut state = self.shared.lock();
        if matches!(state.stage, Stage::Queued | Stage::Running) {
            state.stage = Stage::Lost;
        }
        let waker = state.waker.take();
        let hold = state.hold.take();
        drop(state);
        wake_then_release(waker, hold);
    }
}

/// Wakes the awaiting task, *then* releases the clock hold. From a worker
/// both travel through the loop's remote queue, in that order, so the loop
/// never sees the hold gone without the wake-up: it cannot go idle and let
/// its virtual clock jump in between.
fn wake_then_release(waker: Option<Waker>, hold: Option<ClockTicket>) {
    if let Some(waker) = waker {
        waker.wake();
    }
    drop(hold);
}

impl<T> Consumer<T> {
    /// Attaches the clock hold for as long as the job is in flight; if it
    /// is not (any more), the ticket is dropped at once.
    pub(crate) fn set_hold(&self, ticket: ClockTicket) {
        let mut state = self.shared.lock();
        let spare = if matches!(state.stage, Stage::Queued | Stage::Running) {
            state.hold.replace(ticket)
        } else {
            Some(ticket)
        };
        drop(state);
        drop(spare);
    }

    /// The outcome if it has arrived; otherwise registers `cx`'s waker.
    ///
    /// # Panics
    ///
    /// If the outcome was already taken, or the slot abandoned.
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<Result<Outcome<T>, Lost>> {
        let mut state = self.shared.lock();
        match std::mem::replace(&mut state.stage, Stage::Taken) {
            Stage::Done(outcome) => {
                let hold = state.hold.take();
                drop(state);
                drop(hold);
                Poll::Ready(Ok(outcome))
            }
            Stage::Lost => Poll::Ready(Err(Lost)),
            stage @ (Stage::Queued | Stage::Running) => {
                state.stage = stage;
                match &state.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => state.waker = Some(cx.waker().clone()),
                }
                drop(state);
                crate::task::note_wait("thread");
                Poll::Pending
            }
            Stage::Taken | Stage::Abandoned | Stage::Detached => {
                panic!("a blocking job's future was polled after it completed")
            }
        }
    }

    /// Gives up waiting (a cancelled await): a job not started yet will be
    /// skipped, a result still to come will be dropped on the worker, one
    /// already here is dropped now.
    pub(crate) fn abandon(&self) {
        self.stop_waiting(Stage::Abandoned);
    }

    /// Stops waiting but lets the job run (a dropped handle): its result
    /// will be dropped on the worker, or now if it is already here.
    pub(crate) fn detach(&self) {
        self.stop_waiting(Stage::Detached);
    }

    fn stop_waiting(&self, next: Stage<T>) {
        let mut state = self.shared.lock();
        let unwanted = match std::mem::replace(&mut state.stage, next) {
            Stage::Done(outcome) => Some(outcome),
            Stage::Queued => None,
            // A running job runs on whatever the reason: `start` is not
            // asked again, and `send` drops the result.
            Stage::Running => {
                state.stage = Stage::Detached;
                None
            }
            // Settled already: keep it.
            settled @ (Stage::Taken | Stage::Lost | Stage::Abandoned | Stage::Detached) => {
                state.stage = settled;
                None
            }
        };
        let waker = state.waker.take();
        let hold = state.hold.take();
        drop(state);
        drop((unwanted, waker, hold));
    }

    /// Whether the job has neither finished nor been given up.
    pub(crate) fn in_flight(&self) -> bool {
        matches!(self.shared.lock().stage, Stage::Queued | Stage::Running)
    }

    /// A short name of the stage, for `Debug`.
    pub(crate) fn stage_name(&self) -> &'static str {
        match self.shared.lock().stage {
            Stage::Queued => "queued",
            Stage::Running => "running",
            Stage::Done(_) => "done",
            Stage::Taken => "taken",
            Stage::Lost => "lost",
            Stage::Abandoned => "abandoned",
            Stage::Detached => "detached",
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
    use crate::loom::{AtomicUsize, Ordering};
    use std::task::Wake;

    /// Counts its drops.
    struct Dropped(Arc<AtomicUsize>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A waker that counts its wakes.
    struct CountWake(AtomicUsize);
    impl Wake for CountWake {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting_waker() -> (Arc<CountWake>, Waker) {
        let count = Arc::new(CountWake(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

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
