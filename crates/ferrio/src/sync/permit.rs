//! [`Acquire`] and [`Permit`]: the one acquire future and the one RAII guard
//! of every permit-counting primitive — [`Semaphore`](super::Semaphore),
//! [`Lock`](super::Lock), [`BoundedSemaphore`](super::BoundedSemaphore) —
//! borrowed or owned.
//!
//! Each primitive is a cheap-clone handle (an `Rc` inside, as asyncio users
//! share the object itself). Acquiring through a reference (`acquire`) gives
//! a guard that borrows the handle, so it stays in the task that took it;
//! acquiring through the handle itself (`acquire_owned`) gives a guard that
//! owns a clone, to store or move into another task. The [`PermitSource`]
//! says which, and the type aliases name each pair: [`LockGuard`](super::LockGuard)
//! is `Permit<&Lock>`, [`OwnedLockGuard`](super::OwnedLockGuard) is
//! `Permit<Lock>`, and so on.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::engine::{AcquireState, Engine};
use super::hook::Hold;
use crate::task::Cancelled;

pub(crate) mod sealed {
    use super::{Engine, Hold};

    /// The crate-private side of [`PermitSource`](super::PermitSource).
    pub trait Source: Clone + Unpin {
        /// The engine the permits come from.
        fn engine(&self) -> &Engine;
        /// Whose the permit is for the deadlock detector: the task for a
        /// borrowed guard, nobody known for an owned one.
        const HOLD: Hold;
        /// A permit detached with `forget` (a bounded semaphore counts it,
        /// to allow the matching hand release).
        fn forgotten(&self) {}
    }
}

/// What an [`Acquire`] takes a permit from and a [`Permit`] gives it back
/// to: a reference to a primitive (a borrowed guard) or a handle of it (an
/// owned guard). Implemented by `&Semaphore`/`Semaphore`, `&Lock`/`Lock` and
/// `&BoundedSemaphore`/`BoundedSemaphore`; sealed.
pub trait PermitSource: sealed::Source + fmt::Debug {}

impl<S: sealed::Source + fmt::Debug> PermitSource for S {}

/// The future of every permit acquire: `Semaphore::acquire`,
/// `Lock::acquire`, `BoundedSemaphore::acquire` and their `_owned` forms
/// (see the aliases [`LockAcquire`](super::LockAcquire) and friends).
///
/// # Cancel safety
///
/// A free permit is taken at once, even with a cancellation pending (it is
/// delivered at the next real suspension). Otherwise it is a cancellation
/// point: cancelling the acquire (or dropping the future) takes no permit
/// and gives up the task's place in the queue; a permit that had already
/// been handed to it passes on to the next waiter.
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<S: PermitSource> {
    source: S,
    state: AcquireState,
}

impl<S: PermitSource> Acquire<S> {
    pub(crate) fn new(source: S) -> Acquire<S> {
        Acquire {
            source,
            state: AcquireState::new(),
        }
    }
}

impl<S: PermitSource> Future for Acquire<S> {
    type Output = Result<Permit<S>, Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        ready!(this.state.poll(this.source.engine(), cx, S::HOLD))?;
        Poll::Ready(Ok(Permit::new(this.source.clone())))
    }
}

impl<S: PermitSource> Drop for Acquire<S> {
    fn drop(&mut self) {
        self.state.abandon(self.source.engine());
    }
}

impl<S: PermitSource> fmt::Debug for Acquire<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Named after its alias: `LockAcquire`, `SemaphoreAcquireOwned`, …
        let kind = self.source.engine().tag().kind().type_name();
        let owned = if S::HOLD == Hold::Owned { "Owned" } else { "" };
        f.debug_struct(&format!("{kind}Acquire{owned}"))
            .field("from", &self.source)
            .field("state", &self.state)
            .finish()
    }
}

/// One permit taken from a primitive; given back when dropped (asyncio's
/// `async with`). See the aliases [`SemaphorePermit`](super::SemaphorePermit),
/// [`LockGuard`](super::LockGuard), [`BoundedSemaphorePermit`](super::BoundedSemaphorePermit)
/// and their owned forms.
#[must_use = "dropping the permit gives it back at once"]
pub struct Permit<S: PermitSource> {
    source: S,
    armed: bool,
}

impl<S: PermitSource> Permit<S> {
    /// A permit just taken from `source`.
    pub(crate) fn new(source: S) -> Permit<S> {
        Permit {
            source,
            armed: true,
        }
    }

    /// Takes a permit now if one is free and nobody is ahead.
    pub(crate) fn try_take(source: S) -> Option<Permit<S>> {
        source
            .engine()
            .try_take_held(S::HOLD)
            .then(|| Permit::new(source))
    }

    /// What the permit was taken from.
    pub(crate) fn source(&self) -> &S {
        &self.source
    }

    /// Keeps the permit out for good without giving it back: asyncio's
    /// `acquire()` without a matching `release()`. Give it back by hand with
    /// the primitive's `release`.
    pub fn forget(mut self) {
        self.armed = false;
        self.source.engine().forget_permit(S::HOLD);
        self.source.forgotten();
    }
}

impl<S: PermitSource> Drop for Permit<S> {
    fn drop(&mut self) {
        if self.armed {
            self.source.engine().give_back(S::HOLD);
        }
    }
}

impl<S: PermitSource> fmt::Debug for Permit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.source.engine().tag().kind().type_name();
        let owned = if S::HOLD == Hold::Owned { "Owned" } else { "" };
        f.debug_struct(&format!("{owned}{kind}Permit"))
            .field("from", &self.source)
            .finish()
    }
}
