//! [`Cancellable`]: a future polled inline that can be cancelled the
//! asyncio way (one `Cancelled` at its next await, cleanup allowed) and
//! optionally given a deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use ferrio::time::Timeout;
use ferrio::TimeoutError;

/// How a [`Cancellable`] ended.
#[derive(Debug)]
pub(crate) enum Finished<T> {
    /// The future returned (possibly after swallowing a cancellation).
    Output(T),
    /// Its deadline passed and it ended by the resulting cancellation.
    TimedOut(TimeoutError),
    /// [`Cancellable::cancel`] was called and it ended by that cancellation.
    Cancelled,
}

/// A boxed future, polled in the caller's task, that can be cancelled and
/// waited for.
///
/// Boxing keeps the future in place when it moves under a timeout at
/// cancellation time, and makes `Cancellable` `Unpin` (one allocation per
/// future; no pinning in the combinators that hold it).
pub(crate) enum Cancellable<F: Future> {
    /// No deadline, not cancelled: polled directly.
    Plain(Pin<Box<F>>),
    /// Under a ferrio timeout, for a deadline or after [`cancel`](Self::cancel).
    /// Boxed, so that a `Cancellable` is two words and moves cheaply.
    Timed(Box<Timed<F>>),
    /// Transient, while switching from `Plain` to `Timed`.
    Switching,
}

pub(crate) struct Timed<F: Future> {
    timeout: Timeout<Pin<Box<F>>>,
    /// Set by `cancel`: a `TimeoutError` then means "cancelled by us".
    cancelled: bool,
}

impl<F: Future> Cancellable<F> {
    /// `future` limited to `after` from its first poll (if given), and to the
    /// loop time `deadline` (if given), whichever comes first.
    #[inline]
    pub(crate) fn limited(
        future: F,
        after: Option<Duration>,
        deadline: Option<Instant>,
    ) -> Cancellable<F> {
        let boxed = Box::pin(future);
        if after.is_none() && deadline.is_none() {
            return Cancellable::Plain(boxed);
        }
        Cancellable::timed(boxed, after, deadline)
    }

    #[cold]
    fn timed(
        boxed: Pin<Box<F>>,
        after: Option<Duration>,
        deadline: Option<Instant>,
    ) -> Cancellable<F> {
        let timeout = match (after, deadline) {
            (None, None) => return Cancellable::Plain(boxed),
            (Some(after), None) => ferrio::timeout(after, boxed),
            (None, Some(at)) => ferrio::timeout_at(Some(at), boxed),
            (Some(after), Some(at)) => {
                if ferrio::now() + after <= at {
                    ferrio::timeout(after, boxed)
                } else {
                    ferrio::timeout_at(Some(at), boxed)
                }
            }
        };
        Cancellable::Timed(Box::new(Timed {
            timeout,
            cancelled: false,
        }))
    }

    /// Requests cancellation: the future gets one `Cancelled` at its next
    /// await on a ferrio awaitable (it must be polled again for that; its
    /// task is woken). Keep polling until it finishes: its cleanup runs.
    pub(crate) fn cancel(&mut self) {
        let now = ferrio::now();
        match std::mem::replace(self, Cancellable::Switching) {
            Cancellable::Plain(boxed) => {
                *self = Cancellable::Timed(Box::new(Timed {
                    timeout: ferrio::timeout_at(Some(now), boxed),
                    cancelled: true,
                }));
            }
            Cancellable::Timed(mut timed) => {
                // Fails only if the deadline already passed: then the
                // future is being cancelled anyway.
                let _ = timed.timeout.handle().reschedule(Some(now));
                timed.cancelled = true;
                *self = Cancellable::Timed(timed);
            }
            Cancellable::Switching => unreachable!("Cancellable left switching"),
        }
    }

    /// Polls the future.
    #[inline]
    pub(crate) fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Finished<F::Output>> {
        match self {
            Cancellable::Plain(future) => future.as_mut().poll(cx).map(Finished::Output),
            Cancellable::Timed(timed) => {
                let cancelled = timed.cancelled;
                Pin::new(&mut timed.timeout)
                    .poll(cx)
                    .map(|outcome| match outcome {
                        Ok(output) => Finished::Output(output),
                        Err(_) if cancelled => Finished::Cancelled,
                        Err(e) => Finished::TimedOut(e),
                    })
            }
            Cancellable::Switching => unreachable!("Cancellable left switching"),
        }
    }
}

impl<F: Future> std::fmt::Debug for Cancellable<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cancellable::Plain(_) => f.write_str("Cancellable::Plain"),
            Cancellable::Timed(timed) => f
                .debug_struct("Cancellable::Timed")
                .field("timeout", &timed.timeout)
                .field("cancelled", &timed.cancelled)
                .finish(),
            Cancellable::Switching => f.write_str("Cancellable::Switching"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::future::poll_fn;
    use std::rc::Rc;

    use ferrio::Cancelled;

    use super::*;

    fn run<F: Future>(f: F) -> F::Output {
        ferrio::EventLoop::builder()
            .virtual_clock(true)
            .build()
            .unwrap()
            .run_until_complete(f)
            .unwrap()
    }

    #[test]
    fn cancel_delivers_once_and_waits_for_cleanup() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        let (finished, elapsed) = run(async move {
            let start = ferrio::now();
            let mut work = Cancellable::limited(
                async move {
                    if let Err(c) = ferrio::sleep(Duration::from_secs(60)).await {
                        l.borrow_mut().push("cancelled");
                        // Cleanup awaits, and is not cancelled again.
                        ferrio::sleep(Duration::from_secs(2)).await.unwrap();
                        l.borrow_mut().push("cleaned up");
                        return Err::<(), Cancelled>(c);
                    }
                    Ok(())
                },
                None,
                None,
            );
            assert!(poll_fn(|cx| Poll::Ready(work.poll_finish(cx).is_pending())).await);
            ferrio::sleep(Duration::from_secs(1)).await.unwrap();
            work.cancel();
            let finished = poll_fn(|cx| work.poll_finish(cx)).await;
            (finished, ferrio::now() - start)
        });
        assert!(matches!(finished, Finished::Cancelled));
        assert_eq!(elapsed, Duration::from_secs(3));
        assert_eq!(*log.borrow(), ["cancelled", "cleaned up"]);
    }

    #[test]
    fn deadline_reports_timed_out_and_swallowing_wins() {
        let (timed_out, swallowed) = run(async {
            let mut slow = Cancellable::limited(
                async {
                    ferrio::sleep(Duration::from_secs(10)).await?;
                    Ok::<_, Cancelled>(1)
                },
                Some(Duration::from_secs(1)),
                None,
            );
            let timed_out = poll_fn(|cx| slow.poll_finish(cx)).await;
            let mut stubborn = Cancellable::limited(
                async {
                    let _ = ferrio::sleep(Duration::from_secs(10)).await;
                    7
                },
                None,
                None,
            );
            assert!(poll_fn(|cx| Poll::Ready(stubborn.poll_finish(cx).is_pending())).await);
            stubborn.cancel();
            let swallowed = poll_fn(|cx| stubborn.poll_finish(cx)).await;
            (timed_out, swallowed)
        });
        match timed_out {
            Finished::TimedOut(e) => assert_eq!(e.after(), Some(Duration::from_secs(1))),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(matches!(swallowed, Finished::Output(7)));
    }
}
