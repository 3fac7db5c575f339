//! [`ClockTicket`]: a `Send` hold on a loop's virtual clock while work is in
//! flight on another thread.
//!
//! A virtual clock jumps to the next timer whenever the loop is idle. Work on
//! a pool thread finishes with a wake-up, not a timer, so without a hold the
//! loop would see "idle" and jump: `wait_for(1s, to_thread(f))` would time
//! out at once. [`Inner::hold_clock`] gives the hold, but its guard is
//! `!Send` (it keeps the loop's `Rc<Inner>`), while the hold must end when
//! the *work* ends — on the worker thread — even if nobody polls the awaiting
//! future any more (otherwise the clock would stay frozen and the loop would
//! wait forever).
//!
//! So the `!Send` guard is parked in a table local to the loop's thread, and
//! the work carries a `Send` ticket. Dropping the ticket on the loop's thread
//! releases the hold at once; dropping it on another thread sends the release
//! to the loop with `call_soon_threadsafe` (which also wakes the loop).
//!
//! Whoever ends a hold because a result arrived must wake the awaiting task
//! *before* dropping the ticket: from another thread both go through the
//! loop's remote queue in that order, so the loop never sees the hold gone
//! while the wake-up is still to come (it would go idle and jump the clock).
//!
//! Holds are only taken on virtual-clock loops: on a real clock
//! [`ClockTicket::acquire`] returns `None` and costs nothing more.
//!
//! Invariant: each ticket owns exactly one entry of its loop's table. Holds
//! of one loop are interchangeable (each is a count), so a release removes
//! any entry of that loop. Entries of loops closed meanwhile are purged on
//! the next `acquire`.

use std::cell::RefCell;
use std::fmt;
use std::thread::{self, ThreadId};

use super::context;
use super::inner::ClockHold;
use super::{Handle, LoopId, ThreadsafeHandle};

thread_local! {
    /// The holds taken on this thread's loops, by loop.
    static HOLDS: RefCell<Vec<(LoopId, ClockHold)>> = const { RefCell::new(Vec::new()) };
}

/// Keeps the virtual clock of a loop still until dropped, from any thread.
pub(crate) struct ClockTicket {
    loop_id: LoopId,
    thread: ThreadId,
    remote: ThreadsafeHandle,
}

impl ClockTicket {
    /// Holds the clock of the loop running on this thread, if that clock is
    /// virtual.
    pub(crate) fn acquire() -> Option<ClockTicket> {
        let inner = context::current()?;
        if !inner.clock.is_virtual() {
            return None;
        }
        let hold = inner.hold_clock();
        let id = inner.id;
        let remote = Handle { inner }.threadsafe();
        let purged = HOLDS.with(|holds| {
            let mut holds = holds.borrow_mut();
            let (open, closed): (Vec<_>, Vec<_>) = std::mem::take(&mut *holds)
                .into_iter()
                .partition(|(i, _)| context::loop_by_id(*i).is_some());
            *holds = open;
            holds.push((id, hold));
            closed
        });
        // Dropped outside the borrow: the last hold may drop a loop.
        drop(purged);
        Some(ClockTicket {
            loop_id: id,
            thread: thread::current().id(),
            remote,
        })
    }
}

/// Releases one hold of loop `id`; runs on that loop's thread.
fn release_local(id: LoopId) {
    let hold = HOLDS
        .try_with(|holds| {
            let mut holds = holds.borrow_mut();
            let at = holds.iter().position(|(i, _)| *i == id)?;
            Some(holds.swap_remove(at))
        })
        .ok()
        .flatten();
    drop(hold);
}

impl Drop for ClockTicket {
    fn drop(&mut self) {
        if thread::current().id() == self.thread {
            release_local(self.loop_id);
        } else {
            let id = self.loop_id;
            // A closed loop's clock no longer matters; its entry is purged
            // by the next `acquire` on that thread.
            let _ = self.remote.call_soon_threadsafe(move || release_local(id));
        }
    }
}

impl fmt::Debug for ClockTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClockTicket")
            .field("loop_id", &self.loop_id)
            .finish()
    }
}
