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
/// This is the one way to opt out of cancellation following the await
/// chain: awaiting a [`Task`] forwards the awaiter's cancellation to it,
/// awaiting its shield does not (a `timeout` around the shield ends the
/// wait, not the work).
///
/// # Cancel safety
///
/// Cancelling the awaiting task ends the await with `Err(JoinError::Cancelled)`
/// and leaves the shielded work running; nothing of it is lost, but its
/// result is no longer collected (a panic in it is reported as never
/// retrieved). Awaiting a shield whose work already finished gives the
/// result even with a cancellation pending.
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
    let task = spawn(future);
    // The work may outlive the wait on purpose (a cancelled caller, a
    // dropped shield): not a lost handle for debug mode.
    task.raw().meta().set(super::header::DETACHED);
    Shield { task }
}

/// The future returned by [`shield`].
#[must_use = "futures do nothing unless awaited"]
pub struct Shield<T> {
    task: Task<T>,
}

impl<T> Future for Shield<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.task.poll_join(cx, false)
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield").field("task", &self.task).finish()
    }
}
