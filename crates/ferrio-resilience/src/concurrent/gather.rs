//! [`gather_limited`] and [`try_gather_limited`]: every result, in input
//! order, with at most `limit` running at once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferrio::JoinError;

use super::map::{map_concurrent, MapConcurrent, Order, Polled};

/// Runs `f` on every item, at most `limit` at a time, and collects the
/// results in input order: asyncio's `gather` behind a `Semaphore(limit)`,
/// without a task per item up front.
///
/// If a child panics (or is cancelled from outside), no more items start,
/// the running ones are cancelled and waited for, and that `JoinError` is
/// returned.
///
/// # Cancel safety
///
/// A cancellation point: cancelled, it cancels the running children, waits
/// for their cleanup and returns `Err(JoinError::Cancelled)` with the
/// caller's `Cancelled`.
///
/// # Panics
///
/// If `limit` is zero; when polled outside a running ferrio loop.
///
/// ```
/// use ferrio_resilience::concurrent::gather_limited;
///
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let squares = gather_limited(1..=5, 2, |n: u32| async move { n * n }).await.unwrap();
///         assert_eq!(squares, [1, 4, 9, 16, 25]);
///     })
///     .unwrap();
/// ```
#[track_caller]
pub fn gather_limited<I, F, Fut>(items: I, limit: usize, f: F) -> GatherLimited<I::IntoIter, F, Fut>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future + 'static,
{
    GatherLimited {
        collect: Collect::new(map_concurrent(items, limit, Order::Completion, f)),
    }
}

/// The future returned by [`gather_limited`].
#[must_use = "futures do nothing unless awaited"]
pub struct GatherLimited<I, F, Fut: Future> {
    collect: Collect<I, F, Fut, Fut::Output>,
}

impl<I, F, Fut> Future for GatherLimited<I, F, Fut>
where
    I: Iterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future + 'static,
{
    type Output = Result<Vec<Fut::Output>, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut()
            .collect
            .poll(cx, Ok)
            .map_err(|failure| match failure {
                Failure::Join(e) => e,
                Failure::Failed { error, .. } => match error {},
            })
    }
}

// No field is pinned: the children are tasks.
impl<I, F, Fut: Future> Unpin for GatherLimited<I, F, Fut> {}

impl<I, F, Fut: Future> fmt::Debug for GatherLimited<I, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatherLimited")
            .field("map", &self.collect.map)
            .finish_non_exhaustive()
    }
}

/// Why [`try_gather_limited`] gave no results.
#[derive(Debug)]
pub enum TryGatherError<E> {
    /// Item `index` (in input order) failed first with `error`; the others
    /// were stopped.
    Failed {
        /// The failed item's position in the input.
        index: usize,
        /// Its error.
        error: E,
    },
    /// A child panicked or was cancelled, or the caller was cancelled
    /// (`JoinError::Cancelled` with the caller's own `Cancelled`: propagate it).
    Join(JoinError),
}

impl<E: fmt::Display> fmt::Display for TryGatherError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGatherError::Failed { index, error } => write!(f, "item {index} failed: {error}"),
            TryGatherError::Join(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for TryGatherError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TryGatherError::Failed { error, .. } => Some(error),
            TryGatherError::Join(e) => Some(e),
        }
    }
}

/// [`gather_limited`] for fallible work: the values in input order, or the
/// first error to happen — at which point no more items start, and the
/// running ones are cancelled and waited for (their cleanup runs) before
/// it returns. JavaScript's `Promise.all` with a concurrency limit, with
/// real cancellation of the rest.
///
/// # Cancel safety
///
/// As [`gather_limited`]; the caller's cancellation comes back as
/// `TryGatherError::Join(JoinError::Cancelled(..))`.
///
/// # Panics
///
/// If `limit` is zero; when polled outside a running ferrio loop.
///
/// ```
/// use std::time::Duration;
/// use ferrio_resilience::concurrent::{try_gather_limited, TryGatherError};
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let start = ferrio::now();
///         let err = try_gather_limited(0..100u64, 4, |n| async move {
///             ferrio::sleep(Duration::from_secs(1 + n % 3)).await.map_err(|_| "cancelled")?;
///             if n == 5 { Err("item 5 is bad") } else { Ok(n) }
///         })
///         .await
///         .unwrap_err();
///         assert!(matches!(err, TryGatherError::Failed { index: 5, .. }));
///         // Stopped at the failure instead of running all 100 items.
///         assert!(ferrio::now() - start < Duration::from_secs(10));
///     })
///     .unwrap();
/// ```
#[track_caller]
pub fn try_gather_limited<I, F, Fut, T, E>(
    items: I,
    limit: usize,
    f: F,
) -> TryGatherLimited<I::IntoIter, F, Fut, T, E>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, E>> + 'static,
{
    TryGatherLimited {
        collect: Collect::new(map_concurrent(items, limit, Order::Completion, f)),
    }
}

/// The future returned by [`try_gather_limited`].
#[must_use = "futures do nothing unless awaited"]
pub struct TryGatherLimited<I, F, Fut: Future, T, E> {
    collect: Collect<I, F, Fut, T, E>,
}

impl<I, F, Fut, T, E> Future for TryGatherLimited<I, F, Fut, T, E>
where
    I: Iterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, E>> + 'static,
{
    type Output = Result<Vec<T>, TryGatherError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut()
            .collect
            .poll(cx, |out| out)
            .map_err(|failure| match failure {
                Failure::Join(e) => TryGatherError::Join(e),
                Failure::Failed { index, error } => TryGatherError::Failed { index, error },
            })
    }
}

// No field is pinned: the children are tasks.
impl<I, F, Fut: Future, T, E> Unpin for TryGatherLimited<I, F, Fut, T, E> {}

impl<I, F, Fut: Future, T, E> fmt::Debug for TryGatherLimited<I, F, Fut, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryGatherLimited")
            .field("map", &self.collect.map)
            .finish_non_exhaustive()
    }
}

enum Failure<E> {
    Failed { index: usize, error: E },
    Join(JoinError),
}

/// Collects outcomes in completion order into input order, stopping the
/// map at the first failure.
struct Collect<I, F, Fut: Future, T, E = std::convert::Infallible> {
    map: MapConcurrent<I, F, Fut>,
    values: Vec<Option<T>>,
    failure: Option<Failure<E>>,
}

impl<I, F, Fut, T, E> Collect<I, F, Fut, T, E>
where
    I: Iterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future + 'static,
{
    fn new(map: MapConcurrent<I, F, Fut>) -> Self {
        Collect {
            map,
            values: Vec::new(),
            failure: None,
        }
    }

    /// `split` turns a child's output into its value or its error.
    fn poll(
        &mut self,
        cx: &mut Context<'_>,
        mut split: impl FnMut(Fut::Output) -> Result<T, E>,
    ) -> Poll<Result<Vec<T>, Failure<E>>> {
        loop {
            let (index, outcome) = match self.map.poll_indexed(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Polled::Outcome(index, outcome)) => (index, outcome),
                Poll::Ready(Polled::Cancelled(c)) => {
                    // Stop and wait for the children's cleanup; the caller's
                    // cancellation outranks a failure seen before.
                    self.map.stop();
                    self.failure = Some(Failure::Join(JoinError::Cancelled(c)));
                    continue;
                }
                Poll::Ready(Polled::End) => {
                    return Poll::Ready(match self.failure.take() {
                        Some(failure) => Err(failure),
                        None => Ok(std::mem::take(&mut self.values)
                            .into_iter()
                            .map(|v| v.expect("every item has a value"))
                            .collect()),
                    });
                }
            };
            if self.failure.is_some() {
                continue; // a stopped child, its cleanup done
            }
            let failure = match outcome.map(&mut split) {
                Ok(Ok(value)) => {
                    if self.values.len() <= index {
                        self.values.resize_with(index + 1, || None);
                    }
                    self.values[index] = Some(value);
                    continue;
                }
                Ok(Err(error)) => Failure::Failed { index, error },
                Err(e) => Failure::Join(e),
            };
            self.map.stop();
            self.failure = Some(failure);
        }
    }
}
