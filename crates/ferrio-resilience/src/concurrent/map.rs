//! [`map_concurrent`]: a bounded concurrent map with backpressure, as a
//! `Stream`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferrio::{Cancelled, JoinError};
use futures_core::Stream;

use super::task_set::TaskSet;
use crate::cancel::poll_cancelled;

/// In which order [`map_concurrent`] yields its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// In input order (a slow item holds back the ones after it; they wait,
    /// finished, within the limit).
    Input,
    /// As they finish.
    Completion,
}

/// Runs `f` on every item, at most `limit` at a time, as child tasks, and
/// yields their outcomes as a `Stream`, in input or completion order.
///
/// **Backpressure**: items are taken from the iterator only as results are
/// read. At most `limit` children run at once, and at most
/// [`max_held`](MapConcurrent::max_held) items (default: `limit`) are
/// *outstanding* — running, or finished and not yet yielded — so at most
/// that many finished results are ever held, whatever the input size and
/// however slow the reader: memory stays constant over a million items. The
/// children run on their own while the reader is busy (they are tasks),
/// within those bounds. In input order, a slow item holds back the results
/// after it; raising `max_held` lets more of them finish meanwhile.
///
/// Each outcome is `Ok(f(item).await)`, or a [`JoinError`] if that child
/// panicked (or was cancelled from outside). Asyncio's
/// `Semaphore` + `create_task` fan-out, but with a bound on results too;
/// JavaScript's `p-map` with `concurrency`.
///
/// Nothing starts until the stream is first polled; after that, items
/// start as results are read.
///
/// # Cancel safety
///
/// Waiting for an outcome is a cancellation point, as ferrio's
/// `as_completed`: a cancelled reader gets `Some(Err(JoinError::Cancelled))`
/// with its own `Cancelled` — propagate it — and nothing is lost: the
/// children run on, and reading again goes on where it was. Dropping the
/// stream cancels the running children without waiting for them;
/// [`stop`](MapConcurrent::stop) and reading to the end waits for their
/// cleanup.
///
/// # Panics
///
/// If `limit` is zero; when polled outside a running ferrio loop.
///
/// ```
/// use std::time::Duration;
/// use ferrio_resilience::concurrent::{map_concurrent, Order};
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let start = ferrio::now();
///         let mut pages = map_concurrent(1..=6u64, 2, Order::Input, |n| async move {
///             ferrio::sleep(Duration::from_secs(n)).await.unwrap();
///             n * 10
///         });
///         let mut got = Vec::new();
///         while let Some(page) = pages.next().await {
///             got.push(page.unwrap());
///         }
///         assert_eq!(got, [10, 20, 30, 40, 50, 60]);
///         // Two at a time: 1+3+5 = 9 s on one lane, 2+4+6 = 12 s on the other.
///         assert_eq!(ferrio::now() - start, Duration::from_secs(12));
///     })
///     .unwrap();
/// ```
#[track_caller]
pub fn map_concurrent<I, F, Fut>(
    items: I,
    limit: usize,
    order: Order,
    f: F,
) -> MapConcurrent<I::IntoIter, F, Fut>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future + 'static,
{
    assert!(limit > 0, "map_concurrent: the limit must be at least 1");
    MapConcurrent {
        items: Some(items.into_iter()),
        f,
        limit,
        window: limit,
        order,
        set: TaskSet::new(),
        launched: 0,
        next_out: 0,
        ring: match order {
            Order::Input => (0..limit).map(|_| None).collect(),
            Order::Completion => Vec::new(),
        },
        held: 0,
        finished: false,
    }
}

/// The stream returned by [`map_concurrent`]. Items:
/// `Result<Fut::Output, JoinError>`.
#[must_use = "streams do nothing unless polled"]
pub struct MapConcurrent<I, F, Fut: Future> {
    /// `None` once exhausted or stopped.
    items: Option<I>,
    f: F,
    /// At most this many running.
    limit: usize,
    /// At most this many outstanding (running or held).
    window: usize,
    order: Order,
    set: TaskSet<Fut::Output>,
    /// Items started so far (the next one's index).
    launched: usize,
    /// Input order: the index of the next outcome to yield.
    next_out: usize,
    /// Input order: finished outcomes by index % window.
    ring: Vec<Option<Result<Fut::Output, JoinError>>>,
    /// Input order: outcomes in the ring.
    held: usize,
    finished: bool,
}

impl<I, F, Fut> MapConcurrent<I, F, Fut>
where
    I: Iterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future + 'static,
{
    /// The next outcome; `None` at the end. The same as `StreamExt::next`.
    ///
    /// # Cancel safety
    ///
    /// As the stream (see [`map_concurrent`]): a cancelled reader gets its
    /// own `Cancelled` as `Some(Err(JoinError::Cancelled))`, and no outcome
    /// is lost.
    // Named after `StreamExt::next`, which it mirrors.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> impl Future<Output = Option<Result<Fut::Output, JoinError>>> + '_ {
        std::future::poll_fn(move |cx| self.poll_outcome(cx))
    }

    /// Starts no more items and cancels the running children. The stream
    /// then yields what is left — outcomes already finished, and each
    /// cancelled child's outcome (usually `Err(JoinError::Cancelled)`) once
    /// its cleanup is done — and ends.
    pub fn stop(&mut self) {
        self.items = None;
        self.set.cancel_all();
    }

    /// Lets up to `n` items be outstanding (running, or finished and waiting
    /// to be read), so up to `n` finished results are held; at most `limit`
    /// still run at once. The default is `limit`. Call before the first poll.
    ///
    /// # Panics
    ///
    /// If `n` is zero, or the stream has already started.
    #[track_caller]
    pub fn max_held(mut self, n: usize) -> Self {
        assert!(n > 0, "MapConcurrent::max_held: n must be at least 1");
        assert!(
            self.launched == 0,
            "MapConcurrent::max_held: the stream has already started"
        );
        self.window = n;
        if self.order == Order::Input {
            self.ring = (0..n).map(|_| None).collect();
        }
        self
    }

    /// Items running or finished and not yet yielded.
    pub fn outstanding(&self) -> usize {
        self.set.len() + self.held
    }

    /// Children running (not yet seen to finish).
    pub fn running(&self) -> usize {
        self.set.len() - self.set.done_len()
    }

    /// Finished results waiting to be read.
    pub fn held(&self) -> usize {
        self.held + self.set.done_len()
    }

    fn launch(&mut self) {
        while self.outstanding() < self.window && self.running() < self.limit {
            let Some(items) = &mut self.items else { return };
            match items.next() {
                Some(item) => {
                    let future = (self.f)(item);
                    self.set.spawn(future, self.launched);
                    self.launched += 1;
                }
                None => self.items = None,
            }
        }
    }

    fn poll_outcome(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Fut::Output, JoinError>>> {
        self.poll_indexed(cx).map(|polled| match polled {
            Polled::Outcome(_, outcome) => Some(outcome),
            Polled::Cancelled(c) => Some(Err(JoinError::Cancelled(c))),
            Polled::End => None,
        })
    }

    /// The next outcome with its input index.
    pub(crate) fn poll_indexed(&mut self, cx: &mut Context<'_>) -> Poll<Polled<Fut::Output>> {
        if self.finished {
            return Poll::Ready(Polled::End);
        }
        loop {
            self.launch();
            if self.order == Order::Input {
                let slot = self.next_out % self.window;
                if let Some(outcome) = self.ring[slot].take() {
                    self.held -= 1;
                    self.next_out += 1;
                    return Poll::Ready(Polled::Outcome(self.next_out - 1, outcome));
                }
            }
            match self.set.poll_done(cx) {
                Poll::Ready(Some((index, outcome))) => match self.order {
                    Order::Completion => return Poll::Ready(Polled::Outcome(index, outcome)),
                    Order::Input => {
                        self.ring[index % self.window] = Some(outcome);
                        self.held += 1;
                    }
                },
                Poll::Ready(None) if self.items.is_none() && self.held == 0 => {
                    self.finished = true;
                    return Poll::Ready(Polled::End);
                }
                Poll::Ready(None) => {}
                // About to suspend: the cancellation point. (Only here, so
                // an outcome that is ready is returned even to a reader with
                // a cancellation pending, which then hits its next real wait.)
                Poll::Pending => {
                    return poll_cancelled(cx).map(Polled::Cancelled);
                }
            }
        }
    }
}

/// What [`MapConcurrent::poll_indexed`] found.
pub(crate) enum Polled<T> {
    /// Item `index`'s outcome.
    Outcome(usize, Result<T, JoinError>),
    /// The reader was cancelled while waiting (nothing was taken).
    Cancelled(Cancelled),
    End,
}

impl<I, F, Fut> Stream for MapConcurrent<I, F, Fut>
where
    I: Iterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future + 'static,
{
    type Item = Result<Fut::Output, JoinError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_outcome(cx)
    }
}

// No field is pinned: the children are tasks.
impl<I, F, Fut: Future> Unpin for MapConcurrent<I, F, Fut> {}

impl<I, F, Fut: Future> fmt::Debug for MapConcurrent<I, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapConcurrent")
            .field("limit", &self.limit)
            .field("max_held", &self.window)
            .field("order", &self.order)
            .field("started", &self.launched)
            .field("running_or_done", &self.set.len())
            .field("held", &self.held)
            .field("exhausted", &self.items.is_none())
            .finish()
    }
}
