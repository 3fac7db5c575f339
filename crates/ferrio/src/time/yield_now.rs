//! [`YieldNow`]: let every other ready task run once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::task::{take_pending_cancel, Cancelled};

/// Suspends the task so that every other task and callback that is ready
/// runs once before it resumes: asyncio's `sleep(0)`.
///
/// # Cancel safety
///
/// A cancellation point, both before and after the yield.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let log = Rc::new(RefCell::new(Vec::new()));
///         let l = log.clone();
///         let other = ferrio::spawn(async move { l.borrow_mut().push("other") });
///         log.borrow_mut().push("before");
///         ferrio::yield_now().await.unwrap();
///         log.borrow_mut().push("after");
///         other.await.unwrap();
///         assert_eq!(*log.borrow(), ["before", "other", "after"]);
///     })
///     .unwrap();
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = Result<(), Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(c) = take_pending_cancel() {
            return Poll::Ready(Err(c));
        }
        if self.yielded {
            return Poll::Ready(Ok(()));
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
