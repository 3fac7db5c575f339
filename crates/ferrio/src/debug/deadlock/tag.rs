//! A semaphore engine's identity for the detector, and who holds a permit.

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
    pub(super) fn type_name(self) -> &'static str {
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
    pub(super) kind: Kind,
    pub(super) name: Option<&'static str>,
    /// Permits at creation (a `Lock`'s 1, a `BoundedSemaphore`'s bound).
    pub(super) capacity: usize,
    /// 0 until the detector first tracks the engine.
    pub(super) id: Cell<u64>,
    /// A plain `Semaphore` was released by hand before it was tracked, so
    /// how many permits are out is unknown.
    pub(super) hand_released: Cell<bool>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hold {
    /// A borrowed guard (`acquire`, `try_acquire`, a condition re-acquire):
    /// held by the task that took it, which it cannot leave.
    Task,
    /// A guard behind an `Rc` (`acquire_owned`): it can move to another
    /// task, so its holder is unknown.
    Owned,
}
