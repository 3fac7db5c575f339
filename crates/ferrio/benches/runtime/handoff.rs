//! Channels for the ping-pong workloads.
//!
//! [`handoff`] is a runtime-neutral, single-threaded, bounded-1 channel built
//! only on `std::future::poll_fn` and `Waker`s, so the very same code runs on
//! every runtime and the `pingpong` row measures nothing but each executor's
//! wake → schedule → poll path. The [`Sender`]/[`Receiver`] traits let the
//! `pingpong_native` row plug each peer's own channel into the same workload.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::{Poll, Waker};

/// The sending half of a channel, as the ping-pong workload uses it.
pub trait Sender<T>: 'static {
    /// Sends `value`, waiting while the channel is full.
    fn send(&mut self, value: T) -> impl Future<Output = ()>;
}

/// The receiving half of a channel, as the ping-pong workload uses it.
pub trait Receiver<T>: 'static {
    /// Receives the next value, waiting while the channel is empty.
    fn recv(&mut self) -> impl Future<Output = T>;
}

struct Slot<T> {
    value: Option<T>,
    /// The receiver waiting for a value, if any.
    recv_waker: Option<Waker>,
    /// The sender waiting for room, if any.
    send_waker: Option<Waker>,
}

/// Stores `waker` in `slot`, cloning only if it would wake another task.
fn store(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(w) if w.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

/// Sending half of [`handoff`].
pub struct HandoffTx<T>(Rc<RefCell<Slot<T>>>);

/// Receiving half of [`handoff`].
pub struct HandoffRx<T>(Rc<RefCell<Slot<T>>>);

/// A single-threaded channel holding at most one value.
pub fn handoff<T>() -> (HandoffTx<T>, HandoffRx<T>) {
    let slot = Rc::new(RefCell::new(Slot {
        value: None,
        recv_waker: None,
        send_waker: None,
    }));
    (HandoffTx(slot.clone()), HandoffRx(slot))
}

impl<T: 'static> Sender<T> for HandoffTx<T> {
    fn send(&mut self, value: T) -> impl Future<Output = ()> {
        let mut value = Some(value);
        poll_fn(move |cx| {
            let mut slot = self.0.borrow_mut();
            if slot.value.is_some() {
                store(&mut slot.send_waker, cx.waker());
                return Poll::Pending;
            }
            slot.value = value.take();
            let waiting = slot.recv_waker.take();
            drop(slot);
            if let Some(w) = waiting {
                w.wake();
            }
            Poll::Ready(())
        })
    }
}

impl<T: 'static> Receiver<T> for HandoffRx<T> {
    fn recv(&mut self) -> impl Future<Output = T> {
        poll_fn(move |cx| {
            let mut slot = self.0.borrow_mut();
            match slot.value.take() {
                Some(v) => {
                    let waiting = slot.send_waker.take();
                    drop(slot);
                    if let Some(w) = waiting {
                        w.wake();
                    }
                    Poll::Ready(v)
                }
                None => {
                    store(&mut slot.recv_waker, cx.waker());
                    Poll::Pending
                }
            }
        })
    }
}

impl<T: 'static> Sender<T> for tokio::sync::mpsc::Sender<T> {
    async fn send(&mut self, value: T) {
        if tokio::sync::mpsc::Sender::send(self, value).await.is_err() {
            panic!("tokio channel closed");
        }
    }
}

impl<T: 'static> Receiver<T> for tokio::sync::mpsc::Receiver<T> {
    async fn recv(&mut self) -> T {
        tokio::sync::mpsc::Receiver::recv(self)
            .await
            .expect("tokio channel closed")
    }
}

impl<T: 'static> Sender<T> for smol::channel::Sender<T> {
    async fn send(&mut self, value: T) {
        if smol::channel::Sender::send(self, value).await.is_err() {
            panic!("async-channel closed");
        }
    }
}

impl<T: 'static> Receiver<T> for smol::channel::Receiver<T> {
    async fn recv(&mut self) -> T {
        smol::channel::Receiver::recv(self)
            .await
            .expect("async-channel closed")
    }
}
