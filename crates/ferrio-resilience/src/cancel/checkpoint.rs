//! A cancellation point that delivers the caller's pending cancellation to
//! the combinator itself rather than to the work it runs.
//!
//! ferrio has no public "is a cancellation pending?" check, so the
//! checkpoint is a wait on an [`Event`] nobody sets: such a wait always
//! suspends, so polling it is exactly "deliver a pending cancellation, if
//! any" under both the current rule and the "no suspension, no
//! cancellation" rule.
//!
//! Registering and unregistering a waiter on every check costs a wait-list
//! insertion and removal (the largest part of a resilience call's overhead
//! when the call itself is ready at once), so each thread keeps one waiter
//! registered and every check re-polls it: the running task's cancellation
//! test, and a waker comparison (the waker is replaced when another task
//! checks). Which task's waker it holds does not matter — the event is
//! never set, so it never wakes anyone; a cancellation wakes its task
//! directly. It holds the last checking task's waker (a reference to that
//! task's header, not its future) until another task checks or the thread
//! exits.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferrio::sync::{Event, EventWait};
use ferrio::Cancelled;

thread_local! {
    /// The event nobody sets: one per thread, for the thread's lifetime
    /// (leaked once, so that the registered wait can be kept across checks).
    static NEVER_SET: &'static Event = Box::leak(Box::new(Event::new()));

    /// The waiter kept registered.
    static KEPT: RefCell<Option<EventWait<'static>>> = const { RefCell::new(None) };
}

/// Delivers the running task's pending cancellation (or that of a cancel
/// scope it is inside, such as an enclosing timeout), if there is one.
///
/// `Pending` means "not cancelled now"; the task is woken by the
/// cancellation itself when it comes (cancelling a task or a scope
/// schedules it).
#[inline]
pub(crate) fn poll_cancelled(cx: &mut Context<'_>) -> Poll<Cancelled> {
    KEPT.with(|kept| {
        let mut kept = kept.borrow_mut();
        let wait = kept.get_or_insert_with(|| NEVER_SET.with(|event| event.wait()));
        match Pin::new(wait).poll(cx) {
            Poll::Ready(Err(cancelled)) => {
                // That wait is finished: the next check registers anew.
                *kept = None;
                Poll::Ready(cancelled)
            }
            // Never set, so `Ready(Ok)` cannot happen; treat it as "no".
            Poll::Ready(Ok(())) => {
                *kept = None;
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    })
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::future::poll_fn;
    use std::rc::Rc;

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
    fn delivers_a_pending_cancellation_once_and_otherwise_says_no() {
        let outcome = run(async {
            let seen = Rc::new(Cell::new(0));
            let s = seen.clone();
            let task = ferrio::spawn(async move {
                let mut polls = 0;
                let cancelled = poll_fn(|cx| {
                    polls += 1;
                    poll_cancelled(cx)
                })
                .await;
                s.set(polls);
                let no_message = cancelled.message().is_none();
                // Swallow it, so the task ends with a value.
                drop(cancelled);
                // Delivered once: a second check says "not cancelled".
                let again = poll_fn(|cx| Poll::Ready(poll_cancelled(cx).is_ready())).await;
                (no_message, again)
            });
            ferrio::yield_now().await.unwrap();
            task.cancel();
            let (no_message, again) = task.await.unwrap();
            (no_message, again, seen.get())
        });
        assert_eq!(outcome, (true, false, 2));
    }

    #[test]
    fn the_kept_waiter_serves_every_task_that_checks() {
        let outcome = run(async {
            let check = || poll_fn(|cx| Poll::Ready(poll_cancelled(cx).is_ready()));
            // Two tasks checking in turn, then one cancelled.
            let a = ferrio::spawn(async move {
                let mut hits = 0;
                for _ in 0..3 {
                    hits += u32::from(check().await);
                    ferrio::yield_now().await.unwrap();
                }
                hits
            });
            let b = ferrio::spawn(async move {
                let mut hits = 0;
                for _ in 0..3 {
                    hits += u32::from(check().await);
                    if ferrio::yield_now().await.is_err() {
                        // The cancellation came at the yield instead.
                        hits += 100;
                    }
                }
                hits
            });
            ferrio::yield_now().await.unwrap();
            b.cancel();
            (a.await.unwrap(), b.await.unwrap())
        });
        // `a` was never cancelled; `b` got its one cancellation exactly once.
        assert_eq!(outcome.0, 0);
        assert!(outcome.1 == 1 || outcome.1 == 100, "{}", outcome.1);
    }

    #[test]
    fn a_checkpoint_wakes_on_cancellation_while_suspended() {
        let outcome = run(async {
            let task = ferrio::spawn(async {
                let c = poll_fn(poll_cancelled).await;
                drop(c);
                "woken by the cancellation"
            });
            ferrio::sleep(std::time::Duration::from_secs(1))
                .await
                .unwrap();
            task.cancel();
            task.await.unwrap()
        });
        assert_eq!(outcome, "woken by the cancellation");
    }
}
