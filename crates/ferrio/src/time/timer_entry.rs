//! A future's registration in its loop's timer table: what `Sleep` and
//! `Timeout` share.

use std::task::{Context, Poll};
use std::time::Instant;

use crate::event_loop::clock::is_never;
use crate::event_loop::context;
use crate::event_loop::inner::Inner;
use crate::event_loop::remote;
use crate::event_loop::timers::{TimerAction, TimerKey};
use crate::event_loop::LoopId;

/// At most one timer, on the loop that first registered it. It keeps only
/// ids (no reference to the loop), so the futures holding it stay `Send`.
/// Dropped early, it removes its timer wherever it is dropped (see
/// [`TimerEntry::clear`]): a cancelled timer never decides when the loop
/// wakes.
#[derive(Debug, Default)]
pub(crate) struct TimerEntry {
    timer: Option<(LoopId, TimerKey, Instant)>,
}

impl TimerEntry {
    /// The running loop this entry belongs to (the one it registered on, or
    /// any running loop if it has not registered yet).
    ///
    /// # Panics
    ///
    /// Outside a running ferrio loop, or on another loop than the one it
    /// registered on.
    pub(crate) fn running_loop(&self) -> std::rc::Rc<Inner> {
        match self.timer {
            Some((loop_id, _, _)) => context::current_if(loop_id)
                .expect("a ferrio timer was polled outside the event loop that first polled it"),
            None => context::current()
                .expect("a ferrio timer was polled outside a running ferrio event loop"),
        }
    }

    /// Ready once `inner`'s clock reaches `when`; until then, makes sure a
    /// timer at `when` wakes the task of `cx`. A `when` so far ahead that it
    /// means never (see `clock::is_never`) registers no timer: the future
    /// waits until its task is cancelled, which wakes it.
    pub(crate) fn poll_until(
        &mut self,
        inner: &Inner,
        when: Instant,
        cx: &Context<'_>,
    ) -> Poll<()> {
        let now = inner.clock.now();
        if now >= when {
            self.clear();
            return Poll::Ready(());
        }
        if is_never(now, when) {
            self.clear();
            return Poll::Pending;
        }
        match self.timer {
            Some((_, key, at)) if at == when => {
                inner.timers.borrow_mut().update_waker(key, cx.waker());
            }
            _ => {
                self.clear();
                let key = inner
                    .timers
                    .borrow_mut()
                    .insert(when, TimerAction::Wake(cx.waker().clone()));
                self.timer = Some((inner.id, key, when));
            }
        }
        Poll::Pending
    }

    /// Removes the timer, if one is registered: at once on the loop's own
    /// thread (running or not), otherwise through the loop's remote queue.
    /// A closed loop has no timers left to remove.
    pub(crate) fn clear(&mut self) {
        let Some((loop_id, key, _)) = self.timer.take() else {
            return;
        };
        match context::loop_by_id(loop_id) {
            Some(inner) => {
                let action = inner.timers.borrow_mut().remove(key);
                drop(action);
            }
            None => remote::remove_timer(loop_id, key),
        }
    }
}

impl Drop for TimerEntry {
    fn drop(&mut self) {
        self.clear();
    }
}
