//! [`FdWatch`]: callbacks on the readiness of a descriptor the caller owns
//! (asyncio's `add_reader`/`add_writer`).
//!
//! A descriptor is registered once, whatever directions are watched (the
//! poller refuses a second registration), and deregistered when neither
//! direction is watched any more. The callbacks are called on every
//! readiness *edge*; the level-triggered behaviour asyncio gives
//! (`add_reader`'s callback runs on each loop iteration while the
//! descriptor stays readable) is built above this, by re-checking the level
//! with [`sys::readiness_now`](super::sys::readiness_now) after each call.

use std::collections::HashMap;
use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;

use super::driver::Driver;
use super::scheduled_io::{Direction, ScheduledIo};

/// The registration of one watched descriptor.
pub(super) struct FdWatch {
    key: usize,
    sched: Rc<ScheduledIo>,
    reading: bool,
    writing: bool,
}

/// The watched descriptors of one loop.
#[derive(Default)]
pub(super) struct Watches {
    by_fd: HashMap<RawFd, FdWatch>,
}

impl Driver {
    /// Calls `on_edge` whenever `fd` becomes ready for `dir`, replacing the
    /// callback already there. Returns whether one was replaced.
    pub(crate) fn watch_fd(
        &self,
        fd: RawFd,
        dir: Direction,
        on_edge: Rc<dyn Fn()>,
    ) -> io::Result<bool> {
        let mut watches = self.watches.borrow_mut();
        let watch = match watches.by_fd.entry(fd) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let (key, sched) = self.register(fd)?;
                e.insert(FdWatch {
                    key,
                    sched,
                    reading: false,
                    writing: false,
                })
            }
        };
        let flag = match dir {
            Direction::Read => &mut watch.reading,
            Direction::Write => &mut watch.writing,
        };
        let replaced = std::mem::replace(flag, true);
        watch.sched.watch(dir, Some(on_edge));
        Ok(replaced)
    }

    /// Stops watching `fd` for `dir`. Returns whether it was watched.
    pub(crate) fn unwatch_fd(&self, fd: RawFd, dir: Direction) -> bool {
        let mut watches = self.watches.borrow_mut();
        let Some(watch) = watches.by_fd.get_mut(&fd) else {
            return false;
        };
        let flag = match dir {
            Direction::Read => &mut watch.reading,
            Direction::Write => &mut watch.writing,
        };
        let was = std::mem::replace(flag, false);
        watch.sched.watch(dir, None);
        if !watch.reading && !watch.writing {
            let key = watch.key;
            watches.by_fd.remove(&fd);
            drop(watches);
            self.deregister(key, fd);
        }
        was
    }
}
