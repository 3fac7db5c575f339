//! The loop's door for other threads: `call_soon_threadsafe` callbacks and
//! wake-ups of tasks from wakers used off the loop thread.
//!
//! Other threads push under a mutex and then, if the loop has not been
//! notified since it last drained, wake it through the reactor's waker.
//! The loop drains the queue at the start of every iteration and after each
//! reactor poll (a load of `notified` when there is nothing), and
//! `call_soon` drains it before queueing, so that callbacks keep their
//! registration order across threads.

use std::collections::HashMap;
use std::panic::Location;
use std::sync::{Arc, OnceLock};

use crate::loom::{AtomicBool, Mutex, MutexGuard, Ordering};

use super::LoopId;
use crate::task::engine::raw::SendTask;

/// A callback sent from another thread.
pub(crate) type RemoteCallback = Box<dyn FnOnce() + Send>;

/// A callback sent from another thread, and where it was registered.
pub(crate) type Registered = (RemoteCallback, &'static Location<'static>);

#[derive(Default)]
struct Queue {
    closed: bool,
    tasks: Vec<SendTask>,
    callbacks: Vec<Registered>,
}

/// What the loop drains from its remote queue.
#[derive(Default)]
pub(crate) struct Drained {
    pub(crate) tasks: Vec<SendTask>,
    pub(crate) callbacks: Vec<Registered>,
}

/// Interrupts the loop's wait in the reactor.
pub(crate) type WakeLoop = Box<dyn Fn() + Send + Sync>;

pub(crate) struct Remote {
    queue: Mutex<Queue>,
    wake: WakeLoop,
    notified: AtomicBool,
}

impl Remote {
    pub(crate) fn new(wake: WakeLoop) -> Remote {
        Remote {
            queue: Mutex::new(Queue::default()),
            wake,
            notified: AtomicBool::new(false),
        }
    }

    /// Queues a callback registered at `location`; gives it back if the
    /// loop is closed.
    pub(crate) fn push_callback(
        &self,
        f: RemoteCallback,
        location: &'static Location<'static>,
    ) -> Result<(), RemoteCallback> {
        {
            let mut queue = self.lock();
            if queue.closed {
                return Err(f);
            }
            queue.callbacks.push((f, location));
        }
        self.notify();
        Ok(())
    }

    /// Queues a task wake-up. After close the reference is simply dropped:
    /// the task's future was already dropped on the loop thread.
    pub(crate) fn push_task(&self, task: SendTask) {
        {
            let mut queue = self.lock();
            if queue.closed {
                drop(queue);
                drop(task);
                return;
            }
            queue.tasks.push(task);
        }
        self.notify();
    }

    fn notify(&self) {
        if !self.notified.swap(true, Ordering::AcqRel) {
            (self.wake)();
        }
    }

    /// Whether anything may be waiting (cheap check before locking).
    pub(crate) fn is_notified(&self) -> bool {
        self.notified.load(Ordering::Acquire)
    }

    pub(crate) fn drain(&self) -> Drained {
        self.notified.store(false, Ordering::Release);
        let mut queue = self.lock();
        Drained {
            tasks: std::mem::take(&mut queue.tasks),
            callbacks: std::mem::take(&mut queue.callbacks),
        }
    }

    /// Refuses further pushes and returns what was queued.
    pub(crate) fn close(&self) -> Drained {
        let mut queue = self.lock();
        queue.closed = true;
        Drained {
            tasks: std::mem::take(&mut queue.tasks),
            callbacks: std::mem::take(&mut queue.callbacks),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding this lock cannot leave the queue
        // inconsistent (pushes and takes are single operations).
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Loops that can be woken from other threads, by id.
fn registry() -> &'static Mutex<HashMap<LoopId, Arc<Remote>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<LoopId, Arc<Remote>>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

pub(crate) fn register(id: LoopId, remote: Arc<Remote>) {
    registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, remote);
}

pub(crate) fn unregister(id: LoopId) {
    registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
}

/// Hands a task woken off its loop's thread (or while its loop is not
/// running) to that loop. If the loop is gone, the reference is dropped.
pub(crate) fn schedule_remote(task: SendTask) {
    let loop_id = task.loop_id();
    let remote = registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&loop_id)
        .cloned();
    match remote {
        Some(remote) => remote.push_task(task),
        None => drop(task),
    }
}

/// Removes a timer of the loop `loop_id` from another thread (a `Sleep`
/// dropped off its loop's thread): the removal travels as a callback, run
/// on the loop's next iteration. Nothing to do if the loop is gone.
#[track_caller]
pub(crate) fn remove_timer(loop_id: LoopId, key: super::timers::TimerKey) {
    let remote = registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&loop_id)
        .cloned();
    if let Some(remote) = remote {
        let removal = Box::new(move || {
            if let Some(inner) = super::context::current_if(loop_id) {
                let action = inner.timers.borrow_mut().remove(key);
                drop(action);
            }
        });
        let _closed = remote.push_callback(removal, Location::caller());
    }
}

#[cfg(all(test, ferrio_loom))]
mod loom_tests {
    use super::*;
    use crate::loom::AtomicUsize;
    use loom::sync::Arc;

    /// Callbacks pushed from two threads while the loop drains: none is
    /// lost, and whenever one is left queued the loop has been notified
    /// (so its next poll drains it).
    #[test]
    fn loom_no_lost_wakeup() {
        loom::model(|| {
            let wakes = Arc::new(AtomicUsize::new(0));
            let w = wakes.clone();
            let remote = Arc::new(Remote::new(Box::new(move || {
                w.fetch_add(1, Ordering::SeqCst);
            })));
            let ran = Arc::new(AtomicUsize::new(0));
            let producers: Vec<_> = (0..2)
                .map(|_| {
                    let remote = remote.clone();
                    let ran = ran.clone();
                    loom::thread::spawn(move || {
                        let cb = Box::new(move || {
                            ran.fetch_add(1, Ordering::SeqCst);
                        });
                        assert!(remote.push_callback(cb, Location::caller()).is_ok());
                    })
                })
                .collect();
            // The loop: one poll-and-drain racing with the producers.
            if remote.is_notified() {
                remote.drain().callbacks.into_iter().for_each(|(f, _)| f());
            }
            for p in producers {
                p.join().unwrap();
            }
            let left = remote.lock().callbacks.len();
            if left > 0 {
                assert!(
                    remote.is_notified(),
                    "callbacks queued but the loop was not notified"
                );
                assert!(wakes.load(Ordering::SeqCst) >= 1);
            }
            remote.drain().callbacks.into_iter().for_each(|(f, _)| f());
            assert_eq!(ran.load(Ordering::SeqCst), 2);
        });
    }
}
