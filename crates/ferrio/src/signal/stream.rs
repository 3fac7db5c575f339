//! [`Signals`]: a stream of one signal's deliveries.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::dispatch::{Listener, LoopSignals};
use super::error::SignalError;
use crate::task::{note_wait, take_pending_cancel, Cancelled};

/// The deliveries of one signal to the running loop, as a
/// `futures_core::Stream` (items are the signal number) or through
/// [`recv`](Self::recv). Dropping it stops listening; the last listener
/// gone restores the signal's default disposition.
pub struct Signals {
    listener: Rc<Listener>,
    state: Rc<LoopSignals>,
}

/// Listens to `sig` on the running loop.
///
/// # Errors
///
/// As [`add_signal_handler`](super::add_signal_handler).
///
/// ```
/// use ferrio::signal::{self, SIGUSR1};
///
/// ferrio::run(async {
///     let mut usr1 = signal::signal(SIGUSR1).unwrap();
///     signal::raise(SIGUSR1).unwrap();
///     usr1.recv().await.unwrap();
/// })
/// .unwrap();
/// ```
pub fn signal(sig: i32) -> Result<Signals, SignalError> {
    listen(sig, None)
}

/// The deliveries of `SIGINT` (Ctrl-C). While this stream lives, Ctrl-C no
/// longer interrupts the program by itself: it is yours to handle.
///
/// # Errors
///
/// As [`signal`].
pub fn ctrl_c() -> Result<Signals, SignalError> {
    signal(libc::SIGINT)
}

pub(crate) fn listen(sig: i32, callback: Option<Rc<dyn Fn()>>) -> Result<Signals, SignalError> {
    let state = LoopSignals::current()?;
    state.add_interest(sig)?;
    let listener = Rc::new(Listener {
        sig,
        pending: Cell::new(0),
        waker: RefCell::new(None),
        callback,
    });
    state.add_listener(&listener);
    Ok(Signals { listener, state })
}

impl Signals {
    /// The signal listened to.
    pub fn signal(&self) -> i32 {
        self.listener.sig
    }

    /// Waits for the next delivery. Deliveries that came while nobody
    /// waited are counted and returned one by one.
    ///
    /// # Errors
    ///
    /// [`Cancelled`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a cancelled `recv` consumes no delivery.
    pub async fn recv(&mut self) -> Result<(), Cancelled> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The poll-level [`recv`](Self::recv).
    ///
    /// # Errors
    ///
    /// [`Cancelled`].
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Cancelled>> {
        let pending = self.listener.pending.get();
        if pending > 0 {
            self.listener.pending.set(pending - 1);
            return Poll::Ready(Ok(()));
        }
        if let Some(c) = take_pending_cancel() {
            return Poll::Ready(Err(c));
        }
        *self.listener.waker.borrow_mut() = Some(cx.waker().clone());
        note_wait("signal");
        Poll::Pending
    }
}

impl futures_core::Stream for Signals {
    type Item = i32;

    /// Never ends. Not a cancellation point (a `Stream` has nowhere to
    /// put the `Cancelled`): in a task that may be cancelled while it
    /// waits, use [`Signals::recv`].
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<i32>> {
        let this = self.get_mut();
        let pending = this.listener.pending.get();
        if pending > 0 {
            this.listener.pending.set(pending - 1);
            return Poll::Ready(Some(this.listener.sig));
        }
        *this.listener.waker.borrow_mut() = Some(cx.waker().clone());
        note_wait("signal");
        Poll::Pending
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        self.state.remove_interest(self.listener.sig);
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signals")
            .field("signal", &self.listener.sig)
            .field("pending", &self.listener.pending.get())
            .finish()
    }
}
