//! [`Driver`]: the registration side of a loop's reactor.

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use slab::Slab;

use super::scheduled_io::{ScheduledIo, Wake};
use super::watch::Watches;

/// Registers OS objects with the loop's poller and routes their events.
///
/// Owned by the loop's reactor and shared (`Rc`) with every source, which
/// deregisters itself on drop — even after the loop closed, since the
/// driver keeps its own handle to the poller.
pub(crate) struct Driver {
    registry: Registry,
    sources: RefCell<Slab<Rc<ScheduledIo>>>,
    /// Set by every I/O attempt, taken by the idle loop: I/O this loop
    /// started may still be travelling through the kernel (see
    /// [`Driver::take_activity`]).
    activity: Cell<bool>,
    /// Descriptors watched by `add_reader`/`add_writer`.
    pub(super) watches: RefCell<Watches>,
}

impl Driver {
    pub(super) fn new(registry: Registry) -> Driver {
        Driver {
            registry,
            sources: RefCell::new(Slab::new()),
            activity: Cell::new(false),
            watches: RefCell::new(Watches::default()),
        }
    }

    /// Registers `fd` for both directions, edge-triggered.
    pub(super) fn register(&self, fd: RawFd) -> io::Result<(usize, Rc<ScheduledIo>)> {
        let io = Rc::new(ScheduledIo::new());
        let key = self.sources.borrow_mut().insert(io.clone());
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = self
            .registry
            .register(&mut SourceFd(&fd), Token(key), interest)
        {
            self.sources.borrow_mut().remove(key);
            return Err(e);
        }
        Ok((key, io))
    }

    /// Removes `fd` (registered under `key`) from the poller. Errors are
    /// ignored: the descriptor may already be closed, which removed it.
    pub(super) fn deregister(&self, key: usize, fd: RawFd) {
        let _ = self.registry.deregister(&mut SourceFd(&fd));
        let mut sources = self.sources.borrow_mut();
        if sources.contains(key) {
            sources.remove(key);
        }
    }

    /// Marks the readiness an event reports and collects what it wakes.
    pub(super) fn dispatch(&self, event: &mio::event::Event, woken: &mut Vec<Wake>) {
        let sources = self.sources.borrow();
        if let Some(io) = sources.get(event.token().0) {
            io.set_ready(event, woken);
        }
    }

    /// Notes an I/O attempt.
    #[inline]
    pub(super) fn note_activity(&self) {
        self.activity.set(true);
    }

    /// Whether this loop attempted I/O since the last call. A virtual-clock
    /// loop about to jump to its next deadline first gives the kernel a
    /// moment of real time when it did: a byte written on loopback or a
    /// connection being established may not have raised its peer's
    /// readiness yet, and jumping would time out an exchange that was about
    /// to complete.
    pub(crate) fn take_activity(&self) -> bool {
        self.activity.replace(false)
    }

    /// How many sources are registered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.sources.borrow().len()
    }
}
