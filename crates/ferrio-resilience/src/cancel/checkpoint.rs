//! A cancellation point that delivers the caller's pending cancellation to
//! the combinator itself rather than to the work it runs.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferrio::sync::Event;
use ferrio::Cancelled;

thread_local! {
    /// An event nobody sets: waiting on it always suspends, so polling that
    /// wait is exactly "deliver a pending cancellation, if any".
    static NEVER_SET: Event = const { Event::new() };
}

/// Delivers the running task's pending cancellation (or that of a cancel
/// scope it is inside, such as an enclosing timeout), if there is one.
///
/// `Pending` means "not cancelled now"; the task is woken by the
/// cancellation itself when it comes (cancelling a task or a scope
/// schedules it), so nothing stays registered.
pub(crate) fn poll_cancelled(cx: &mut Context<'_>) -> Poll<Cancelled> {
    NEVER_SET.with(|event| {
        let mut wait = event.wait();
        match Pin::new(&mut wait).poll(cx) {
            Poll::Ready(Err(cancelled)) => Poll::Ready(cancelled),
            // Never set, so `Ready(Ok)` cannot happen; treat it as "no".
            Poll::Ready(Ok(())) | Poll::Pending => Poll::Pending,
        }
    })
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::future::poll_fn;
    use std::rc::Rc;

    use super::*;

    #[test]
    fn delivers_a_pending_cancellation_once_and_otherwise_says_no() {
        let outcome = ferrio::EventLoop::builder()
            .virtual_clock(true)
            .build()
            .unwrap()
            .run_until_complete(async {
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
            })
            .unwrap();
        assert_eq!(outcome, (true, false, 2));
    }
}
