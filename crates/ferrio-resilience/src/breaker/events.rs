//! Observing state changes: callbacks and the [`StateChanges`] stream.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

use super::Transition;

/// How many transitions a [`StateChanges`] stream holds for a slow reader
/// before it drops the oldest.
const BUFFER: usize = 64;

/// A state-change callback.
pub(crate) type Callback = Rc<dyn Fn(&Transition)>;

/// The observers of one breaker.
#[derive(Default)]
pub(crate) struct Observers {
    callbacks: Vec<Callback>,
    streams: Vec<Weak<RefCell<Subscriber>>>,
}

impl Observers {
    pub(crate) fn add_callback(&mut self, callback: Callback) {
        self.callbacks.push(callback);
    }

    pub(crate) fn subscribe(&mut self) -> StateChanges {
        let subscriber = Rc::new(RefCell::new(Subscriber::default()));
        self.streams.retain(|s| s.strong_count() > 0);
        self.streams.push(Rc::downgrade(&subscriber));
        StateChanges { subscriber }
    }

    /// Queues `transition` on every live stream and returns the callbacks
    /// to call (outside the breaker's borrow, so they may use it).
    pub(crate) fn publish(&mut self, transition: Transition) -> Vec<Callback> {
        self.streams.retain(|weak| match weak.upgrade() {
            Some(subscriber) => {
                subscriber.borrow_mut().push(transition);
                true
            }
            None => false,
        });
        self.callbacks.clone()
    }
}

impl fmt::Debug for Observers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observers")
            .field("callbacks", &self.callbacks.len())
            .field("streams", &self.streams.len())
            .finish()
    }
}

#[derive(Debug, Default)]
struct Subscriber {
    queue: VecDeque<Transition>,
    missed: u64,
    waker: Option<Waker>,
}

impl Subscriber {
    fn push(&mut self, transition: Transition) {
        if self.queue.len() == BUFFER {
            self.queue.pop_front();
            self.missed += 1;
        }
        self.queue.push_back(transition);
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

/// The state changes of a [`CircuitBreaker`](super::CircuitBreaker) from
/// the moment of [`state_changes`](super::CircuitBreaker::state_changes),
/// as a `Stream` (never ends by itself).
///
/// A reader that falls behind by more than 64 transitions loses the oldest
/// ones (counted by [`missed`](Self::missed)) rather than holding memory
/// without bound.
pub struct StateChanges {
    subscriber: Rc<RefCell<Subscriber>>,
}

impl StateChanges {
    /// The next transition.
    ///
    /// # Cancel safety
    ///
    /// Not a cancellation point of its own (nothing is taken until a
    /// transition is returned): wrap it in a timeout or select over it
    /// freely; dropping the future loses nothing.
    // Named after `StreamExt::next`, which it mirrors, as ferrio's
    // `AsCompleted::next` is.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> impl std::future::Future<Output = Transition> + '_ {
        std::future::poll_fn(move |cx| self.poll_transition(cx))
    }

    /// Transitions dropped because this reader fell behind.
    pub fn missed(&self) -> u64 {
        self.subscriber.borrow().missed
    }

    fn poll_transition(&mut self, cx: &mut Context<'_>) -> Poll<Transition> {
        let mut subscriber = self.subscriber.borrow_mut();
        match subscriber.queue.pop_front() {
            Some(transition) => Poll::Ready(transition),
            None => {
                subscriber.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Stream for StateChanges {
    type Item = Transition;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Transition>> {
        self.get_mut().poll_transition(cx).map(Some)
    }
}

impl fmt::Debug for StateChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.subscriber.borrow();
        f.debug_struct("StateChanges")
            .field("queued", &s.queue.len())
            .field("missed", &s.missed)
            .finish()
    }
}
