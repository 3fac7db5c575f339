//! [`shield`]: asyncio's `shield(aw)`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{spawn, JoinError, Task};

/// Runs `future` so that cancelling the awaiting task does not cancel it:
/// asyncio's `shield(aw)`.
///
/// The future runs as its own task. If the awaiting task is cancelled,
/// awaiting the shield completes at once with `JoinError::Cancelled` — the
/// caller's cancellation, to propagate — while the shielded work keeps
/// running to completion, detached. Use it for work that must not be left
/// half-done, such as committing a transaction.
///
/// # Panics
///
/// Outside a running loop, like [`spawn`].
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let committed = Rc::new(Cell::new(false));
///         let c = committed.clone();
///         let caller = ferrio::spawn(async move {
///             ferrio::shield(async move {
///                 ferrio::sleep(Duration::from_secs(5)).await.unwrap();
///                 c.set(true);
///             })
///             .await
///         });
///         ferrio::sleep(Duration::from_secs(1)).await.unwrap();
///         caller.cancel();
///         assert!(caller.await.unwrap_err().is_cancelled());
///         assert!(!committed.get());
///         ferrio::sleep(Duration::from_secs(10)).await.unwrap();
///         assert!(committed.get(), "the shielded work finished anyway");
///     })
///     .unwrap();
/// ```
#[track_caller]
pub fn shield<F>(future: F) -> Shield<F::Output>
where
    F: Future + 'static,
{
    Shield {
        task: spawn(future),
    }
}

/// The future returned by [`shield`].
#[must_use = "futures do nothing unless awaited"]
pub struct Shield<T> {
    task: Task<T>,
}

impl<T> Future for Shield<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.task).poll(cx)
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield").field("task", &self.task).finish()
    }
}
