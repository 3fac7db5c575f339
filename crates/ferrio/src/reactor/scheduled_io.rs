//! [`ScheduledIo`]: the readiness and the waiters of one registered source.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::Waker;

/// One direction of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

const READ: u8 = 1;
const WRITE: u8 = 2;

impl Direction {
    fn bit(self) -> u8 {
        match self {
            Direction::Read => READ,
            Direction::Write => WRITE,
        }
    }
}

/// Who waits on a direction.
#[derive(Default)]
enum Waiter {
    #[default]
    Nobody,
    /// A task, woken once (it re-parks if it still waits).
    Task(Waker),
    /// A persistent callback, called on every readiness edge until removed.
    Watch(Rc<dyn Fn()>),
}

/// Something an event woke, called once the driver's borrow is released.
pub(crate) enum Wake {
    Task(Waker),
    Watch(Rc<dyn Fn()>),
}

impl Wake {
    pub(crate) fn wake(self) {
        match self {
            Wake::Task(w) => w.wake(),
            Wake::Watch(f) => f(),
        }
    }
}

/// Readiness bits (edge-set by events, cleared on `WouldBlock`) and one
/// waiter per direction.
pub(crate) struct ScheduledIo {
    ready: Cell<u8>,
    reader: RefCell<Waiter>,
    writer: RefCell<Waiter>,
}

impl ScheduledIo {
    /// Readiness starts set: the first attempt tries at once.
    pub(super) fn new() -> ScheduledIo {
        ScheduledIo {
            ready: Cell::new(READ | WRITE),
            reader: RefCell::new(Waiter::Nobody),
            writer: RefCell::new(Waiter::Nobody),
        }
    }

    fn waiter(&self, dir: Direction) -> &RefCell<Waiter> {
        match dir {
            Direction::Read => &self.reader,
            Direction::Write => &self.writer,
        }
    }

    #[inline]
    pub(crate) fn is_ready(&self, dir: Direction) -> bool {
        self.ready.get() & dir.bit() != 0
    }

    #[inline]
    pub(crate) fn clear_ready(&self, dir: Direction) {
        self.ready.set(self.ready.get() & !dir.bit());
    }

    /// Parks `waker` for `dir`, replacing the previous waiter (one per
    /// direction).
    #[inline]
    pub(crate) fn park(&self, dir: Direction, waker: &Waker) {
        let mut slot = self.waiter(dir).borrow_mut();
        match &*slot {
            Waiter::Task(w) if w.will_wake(waker) => {}
            _ => *slot = Waiter::Task(waker.clone()),
        }
    }

    /// Installs a persistent callback for `dir`.
    pub(super) fn watch(&self, dir: Direction, callback: Option<Rc<dyn Fn()>>) {
        *self.waiter(dir).borrow_mut() = match callback {
            Some(f) => Waiter::Watch(f),
            None => Waiter::Nobody,
        };
    }

    pub(super) fn set_ready(&self, readable: bool, writable: bool, woken: &mut Vec<Wake>) {
        let mut bits = 0;
        if readable {
            bits |= READ;
            Self::collect(&self.reader, woken);
        }
        if writable {
            bits |= WRITE;
            Self::collect(&self.writer, woken);
        }
        self.ready.set(self.ready.get() | bits);
    }

    fn collect(slot: &RefCell<Waiter>, woken: &mut Vec<Wake>) {
        let mut slot = slot.borrow_mut();
        match &*slot {
            Waiter::Nobody => {}
            Waiter::Task(_) => {
                if let Waiter::Task(w) = std::mem::take(&mut *slot) {
                    woken.push(Wake::Task(w));
                }
            }
            Waiter::Watch(f) => woken.push(Wake::Watch(f.clone())),
        }
    }
}
