//! The permit engine's hook for diagnostics: each engine's identity
//! ([`ResourceTag`]), who holds a permit ([`Hold`]), and the events it
//! reports — permits taken, handed over, given back, waits begun and left
//! ([`PermitHooks`]).
//!
//! The sync layer owns this interface and knows nothing of who listens:
//! debug mode's deadlock detector (`debug::deadlock`) implements it, and
//! the crate root binds the two (`crate::SYNC_HOOKS`), so that no import
//! runs from `sync` up to `debug`. With debug mode off the engine pays one
//! thread-local read per acquire ([`tracking`]) and one read of its tag per
//! release, and never calls a hook.

use std::task::Waker;

use super::wait_list::WaitKey;

use std::cell::Cell;
use std::fmt;

/// Which primitive a semaphore engine serves, for messages and dumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Lock,
    Semaphore,
    BoundedSemaphore,
}

impl Kind {
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Kind::Lock => "Lock",
            Kind::Semaphore => "Semaphore",
            Kind::BoundedSemaphore => "BoundedSemaphore",
        }
    }

    /// What a task waiting on it waits on, for task dumps.
    pub(crate) fn wait_label(self) -> &'static str {
        match self {
            Kind::Lock => "lock",
            Kind::Semaphore | Kind::BoundedSemaphore => "semaphore",
        }
    }
}

/// A semaphore engine's identity for the detector; lives in the engine.
pub(crate) struct ResourceTag {
    pub(crate) kind: Kind,
    pub(crate) name: Option<&'static str>,
    /// Permits at creation (a `Lock`'s 1, a `BoundedSemaphore`'s bound).
    pub(crate) capacity: usize,
    /// 0 until the detector first tracks the engine.
    pub(crate) id: Cell<u64>,
    /// A plain `Semaphore` was released by hand before it was tracked, so
    /// how many permits are out is unknown.
    pub(crate) hand_released: Cell<bool>,
}

impl ResourceTag {
    pub(crate) const fn new(
        kind: Kind,
        name: Option<&'static str>,
        capacity: usize,
    ) -> ResourceTag {
        ResourceTag {
            kind,
            name,
            capacity,
            id: Cell::new(0),
            hand_released: Cell::new(false),
        }
    }

    /// Whether the detector records this engine's permits.
    #[inline]
    pub(crate) fn is_tracked(&self) -> bool {
        self.id.get() != 0
    }

    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    pub(crate) fn name(&self) -> Option<&'static str> {
        self.name
    }
}

impl fmt::Debug for ResourceTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResourceTag")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("id", &self.id.get())
            .finish()
    }
}

/// Who a permit taken through a guard is held by.
// `pub` only because the sealed `PermitSource` names it; unreachable from
// outside the crate.
#[allow(unreachable_pub)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// A borrowed guard (`acquire`, `try_acquire`, a condition re-acquire):
    /// held by the task that took it, which it cannot leave.
    Task,
    /// An owned guard (`acquire_owned`): it can move to another task, so its
    /// holder is unknown.
    Owned,
}

/// The events of the permit engine, as function pointers: what a listener
/// (the deadlock detector) is told. Called only for a tracked engine, or
/// while [`tracking`] says a loop of this thread is in debug mode.
pub(crate) struct PermitHooks {
    /// A permit was taken at once, leaving `permits` free.
    pub(crate) acquired: fn(&ResourceTag, usize, Hold),
    /// Waiter `key` took the permit handed to it, leaving `permits` free.
    pub(crate) taken: fn(&ResourceTag, WaitKey, usize, Hold, &Waker),
    /// A guard gave its permit back.
    pub(crate) released: fn(&ResourceTag, Hold),
    /// A guard was forgotten: its permit is out for good, held by nobody.
    pub(crate) forgotten: fn(&ResourceTag, Hold),
    /// `n` permits were released by hand (`release`, `add_permits`).
    pub(crate) hand_released: fn(&ResourceTag, usize),
    /// A permit was handed to waiter `key`.
    pub(crate) granted: fn(&ResourceTag, WaitKey),
    /// Waiter `key` left the queue; what it was handed went to `passed_to`.
    pub(crate) left: fn(&ResourceTag, WaitKey, Option<WaitKey>),
    /// The engine was dropped.
    pub(crate) dropped: fn(&ResourceTag),
    /// The running task waits as `key` (`permits` free; `cancellable`
    /// unless a cancellation does not end the wait).
    pub(crate) waiting: fn(&ResourceTag, usize, WaitKey, bool, &Waker),
}

/// The listener bound at the crate root.
#[inline]
pub(crate) fn hooks() -> &'static PermitHooks {
    crate::SYNC_HOOKS
}

/// Whether a loop of this thread has been in debug mode: only then does an
/// untracked engine report anything.
#[inline]
pub(crate) fn tracking() -> bool {
    crate::event_loop::debug_seen()
}
