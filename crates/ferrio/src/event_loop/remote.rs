//! The loop's door for other threads: `call_soon_threadsafe` callbacks and
//! wake-ups of tasks from wakers used off the loop thread.
//!
//! Other threads push under a mutex and then, if the loop has not been
//! notified since it last drained, wake it through the reactor's waker.
//! The loop drains the queue after each reactor poll.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::LoopId;
use crate::task::raw::RawTask;

/// A callback sent from another thread.
pub(crate) type RemoteCallback = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Queue {
    closed: bool,
    tasks: Vec<RawTask>,
    callbacks: Vec<RemoteCallback>,
}

/// What the loop drains from its remote queue.
#[derive(Default)]
pub(crate) struct Drained {
    pub(crate) tasks: Vec<RawTask>,
    pub(crate) callbacks: Vec<RemoteCallback>,
}

pub(crate) struct Remote {
    queue: Mutex<Queue>,
    waker: mio::Waker,
    notified: AtomicBool,
}

impl Remote {
    pub(crate) fn new(waker: mio::Waker) -> Remote {
        Remote {
            queue: Mutex::new(Queue::default()),
            waker,
            notified: AtomicBool::new(false),
        }
    }

    /// Queues a callback; gives it back if the loop is closed.
    pub(crate) fn push_callback(&self, f: RemoteCallback) -> Result<(), RemoteCallback> {
        {
            let mut queue = self.lock();
            if queue.closed {
                return Err(f);
            }
            queue.callbacks.push(f);
        }
        self.notify();
        Ok(())
    }

    /// Queues a task wake-up. After close the reference is simply dropped:
    /// the task's future was already dropped on the loop thread.
    fn push_task(&self, task: RawTask) {
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
            // A failed wake means the reactor is gone: the loop is closing
            // and will not need the wake-up.
            let _ = self.waker.wake();
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
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
pub(crate) fn schedule_remote(task: RawTask) {
    let loop_id = task.meta().loop_id;
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
