//! What every socket type shares: its loop's reactor, the cancellation
//! point of an I/O wait, and the cancellation carried in an `io::Error`.

use std::io;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::event_loop::context;
use crate::reactor::{Direction, Driver, IoSource};
use crate::task::{note_wait, take_pending_cancel, Cancelled};

/// The reactor of the running loop.
pub(crate) fn driver() -> io::Result<Rc<Driver>> {
    context::with_current(|inner| inner.map(|i| i.io.clone())).ok_or_else(|| {
        io::Error::other(
            "no ferrio event loop is running on this thread; create I/O objects \
             inside ferrio::run or run_until_complete",
        )
    })
}

/// Registers `io` with the running loop.
pub(crate) fn register<T: AsRawFd>(io: T) -> io::Result<IoSource<T>> {
    IoSource::new(&driver()?, io)
}

/// `source.poll_io` as a ferrio awaitable: a pending cancellation is
/// delivered, as an `io::Error` carrying the `Cancelled` (see
/// [`is_cancelled`]), only when the operation would suspend — an operation
/// that can complete does, and nothing it moved is lost.
#[inline]
pub(crate) fn poll_io<T: AsRawFd, R>(
    source: &IoSource<T>,
    dir: Direction,
    cx: &mut Context<'_>,
    what: &'static str,
    op: impl FnMut(&T) -> io::Result<R>,
) -> Poll<io::Result<R>> {
    if !take_budget() {
        // Ready or not, this task has done enough I/O for one poll:
        // suspend it (a real suspension, so a cancellation point) and
        // come back after the other ready tasks ran.
        cx.waker().wake_by_ref();
        return pending(what);
    }
    match source.poll_io(dir, cx, op) {
        Poll::Pending => pending(what),
        ready => ready,
    }
}

/// Takes one unit of the polled task's I/O budget; `false` once it is
/// spent. Always `true` outside a task poll and outside an await.
#[inline]
fn take_budget() -> bool {
    if NO_CANCEL_POINT.with(|c| c.get()) {
        return true;
    }
    context::with_current(|inner| match inner {
        Some(inner) if inner.current_task.get().is_some() => {
            let left = inner.io_budget.get();
            inner.io_budget.set(left.saturating_sub(1));
            left > 0
        }
        _ => true,
    })
}

/// Waits for readiness of `dir`, with the same cancellation point.
pub(crate) fn poll_ready<T: AsRawFd>(
    source: &IoSource<T>,
    dir: Direction,
    cx: &mut Context<'_>,
    what: &'static str,
) -> Poll<io::Result<()>> {
    match source.poll_ready(dir, cx) {
        Poll::Pending => pending(what),
        Poll::Ready(()) => Poll::Ready(Ok(())),
    }
}

thread_local! {
    /// Set while I/O is attempted outside an await (a `StreamWriter::write`
    /// trying the socket first): that is no cancellation point.
    static NO_CANCEL_POINT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` — I/O polled with a no-op waker from synchronous code —
/// without delivering a pending cancellation: it stays for the next real
/// await.
pub(crate) fn outside_await<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            NO_CANCEL_POINT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(NO_CANCEL_POINT.with(|c| c.replace(true)));
    f()
}

/// The task is about to suspend on I/O: deliver a pending cancellation
/// instead, or note what it waits on.
#[inline]
pub(crate) fn pending<R>(what: &'static str) -> Poll<io::Result<R>> {
    if !NO_CANCEL_POINT.with(|c| c.get()) {
        if let Some(c) = take_pending_cancel() {
            return Poll::Ready(Err(cancelled_error(c)));
        }
    }
    note_wait(what);
    Poll::Pending
}

/// An `io::Error` carrying a delivered cancellation. Its kind is
/// [`io::ErrorKind::Other`] — not `Interrupted`, which read loops retry.
pub(crate) fn cancelled_error(c: Cancelled) -> io::Error {
    io::Error::other(c)
}

/// Whether `err` is a cancellation delivered at an I/O wait (returned by a
/// socket's `read`, `write`, `accept`, `connect`, … or by a futures-io /
/// tokio trait method while the task was being cancelled).
///
/// ```
/// let err = std::io::Error::other("boom");
/// assert!(!ferrio::net::is_cancelled(&err));
/// ```
pub fn is_cancelled(err: &io::Error) -> bool {
    err.get_ref().is_some_and(|e| e.is::<Cancelled>())
}

/// The [`Cancelled`] inside `err`, if it is a cancellation (see
/// [`is_cancelled`]); the error itself otherwise. Return the `Cancelled`
/// to end the task cancelled.
///
/// ```
/// let err = std::io::Error::other("boom");
/// assert!(ferrio::net::into_cancelled(err).is_err());
/// ```
///
/// # Errors
///
/// Gives `err` back when it is not a cancellation.
pub fn into_cancelled(err: io::Error) -> Result<Cancelled, io::Error> {
    if !is_cancelled(&err) {
        return Err(err);
    }
    let inner = err.into_inner().expect("checked: a custom error");
    match inner.downcast::<Cancelled>() {
        Ok(c) => Ok(*c),
        Err(other) => Err(io::Error::other(other)),
    }
}
