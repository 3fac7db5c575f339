//! A future's registration in its loop's timer table: what `Sleep` and
//! `Timeout` share.

use std::task::{Context, Poll};
use std::time::Instant;

use crate::event_loop::context;
use crate::event_loop::inner::Inner;
use crate::event_loop::timers::{TimerAction, TimerKey};
use crate::event_loop::LoopId;

/// At most one timer, on the loop that first registered it. It keeps only
/// ids (no reference to the loop), so the futures holding it stay `Send`;
/// dropped on that loop's thread while the loop runs, the timer is removed
/// at once, otherwise it is left to expire harmlessly.
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
    /// timer at `when` wakes the task of `cx`.
    pub(crate) fn poll_until(
        &mut self,
        inner: &Inner,
        when: Instant,
        cx: &Context<'_>,
    ) -> Poll<()> {
        if inner.clock.now() >= when {
            self.clear();
            return Poll::Ready(());
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

    /// Removes the timer, if one is registered.
    pub(crate) fn clear(&mut self) {
        if let Some((loop_id, key, _)) = self.timer.take() {
            if let Some(inner) = context::current_if(loop_id) {
                let action = inner.timers.borrow_mut().remove(key);
                drop(action);
            }
        }
    }
}

impl Drop for TimerEntry {
    fn drop(&mut self) {
        self.clear();
    }
}
