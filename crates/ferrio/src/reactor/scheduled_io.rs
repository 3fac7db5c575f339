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
/// The peer closed its side, or the socket failed: final, so a read (or
/// write) will not block again. Kept when a partial operation clears the
/// plain bit (see [`ScheduledIo::clear_ready_hint`]).
const READ_CLOSED: u8 = 4;
const WRITE_CLOSED: u8 = 8;

impl Direction {
    /// The bits that make the direction ready.
    fn bits(self) -> u8 {
        match self {
            Direction::Read => READ | READ_CLOSED,
            Direction::Write => WRITE | WRITE_CLOSED,
        }
    }

    /// The bit a partial operation may clear.
    fn plain(self) -> u8 {
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
        self.ready.get() & dir.bits() != 0
    }

    /// The OS said `WouldBlock`: the direction is not ready at all.
    #[inline]
    pub(crate) fn clear_ready(&self, dir: Direction) {
        self.ready.set(self.ready.get() & !dir.bits());
    }

    /// A partial read or write showed the buffer drained (or full), but a
    /// close or error already reported stays: no further edge would come
    /// for it.
    #[inline]
    pub(crate) fn clear_ready_hint(&self, dir: Direction) {
        self.ready.set(self.ready.get() & !dir.plain());
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

    pub(super) fn set_ready(&self, event: &mio::event::Event, woken: &mut Vec<Wake>) {
        let mut bits = 0;
        if event.is_readable() {
            bits |= READ;
        }
        if event.is_read_closed() || event.is_error() {
            bits |= READ_CLOSED;
        }
        if event.is_writable() {
            bits |= WRITE;
        }
        if event.is_write_closed() || event.is_error() {
            bits |= WRITE_CLOSED;
        }
        if bits & (READ | READ_CLOSED) != 0 {
            Self::collect(&self.reader, woken);
        }
        if bits & (WRITE | WRITE_CLOSED) != 0 {
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
