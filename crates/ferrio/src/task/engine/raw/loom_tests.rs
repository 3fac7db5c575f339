//! The cross-thread seams of the reference counts: a waker's reference
//! released, or turned into a wake-up, on another thread while the loop
//! thread releases the local ones.

use super::super::header::{COMPLETE, RUNNING};
use super::*;
use crate::event_loop::remote::Remote;
use crate::loom::models::Dropped;
use crate::loom::AtomicUsize;
use crate::loom::Mutex;
use loom::sync::Arc;
use std::future::poll_fn;

/// A pending task whose future stashes its waker, polled once; its
/// references; a counter of future drops; and a token its cold data
/// holds, whose count tells whether the cell was freed.
struct Fixture {
    handle: Joinable<()>,
    queued: RawTask,
    live: RawTask,
    waker: Waker,
    drops: Arc<AtomicUsize>,
    freed: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

fn fixture() -> Fixture {
    let drops = Arc::new(AtomicUsize::new(0));
    let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let guard = Dropped(drops.clone());
    let stash = slot.clone();
    let future = poll_fn(move |cx| {
        let _keep = &guard;
        *stash.lock().unwrap() = Some(cx.waker().clone());
        Poll::<()>::Pending
    });
    let freed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let meta = Meta::for_tests();
    meta.cold_mut(|c| c.cancel_tracker = Some(freed.clone()));
    let Allocated {
        handle,
        queued,
        live,
    } = RawTask::allocate(future, meta, None);
    handle.raw().meta().set(RUNNING);
    assert!(matches!(handle.raw().poll(), PollOutcome::Pending));
    handle.raw().meta().clear(RUNNING);
    let waker = slot.lock().unwrap().take().unwrap();
    Fixture {
        handle,
        queued,
        live,
        waker,
        drops,
        freed,
    }
}

/// What the loop does when a task ends: drop its future, mark it
/// complete.
fn finish(task: &RawTask) {
    task.meta().set(RUNNING);
    assert!(task.drop_future().is_none());
    task.meta().clear(RUNNING);
    task.meta().set(COMPLETE);
}

/// What `Waker::wake` does off the loop thread: the waker's reference
/// travels as a `SendTask` into the loop's remote queue.
fn wake_remotely(waker: Waker, remote: &Remote) {
    let ptr = NonNull::new(waker.data() as *mut Header).unwrap();
    std::mem::forget(waker);
    remote.push_task(SendTask { ptr });
}

/// A waker dropped on another thread while the loop thread drops its
/// own references: the cell is freed exactly once, after both.
#[test]
fn loom_waker_dropped_on_another_thread() {
    loom::model(|| {
        let f = fixture();
        finish(f.handle.raw());
        drop((f.queued, f.live));
        let waker = f.waker;
        let other = loom::thread::spawn(move || drop(waker));
        drop(f.handle);
        other.join().unwrap();
        assert_eq!(f.drops.load(Ordering::SeqCst), 1);
        assert_eq!(std::sync::Arc::strong_count(&f.freed), 1, "cell not freed");
    });
}

/// A wake from another thread racing the loop thread's last local
/// drop: whichever comes first, the wake-up reaches the loop as a
/// reference that keeps the cell alive, the loop turns it into a local
/// one, and the cell is freed exactly once, on the loop thread's last
/// drop.
#[test]
fn loom_remote_wake_races_the_last_local_drop() {
    loom::model(|| {
        let f = fixture();
        let loop_id = f.handle.raw().meta().loop_id;
        let remote = Arc::new(Remote::new(Box::new(|| {})));
        let r = remote.clone();
        let waker = f.waker;
        let other = loom::thread::spawn(move || wake_remotely(waker, &r));
        finish(f.handle.raw());
        drop((f.queued, f.live, f.handle));
        other.join().unwrap();
        assert_eq!(
            std::sync::Arc::strong_count(&f.freed),
            2,
            "freed while a wake-up was queued"
        );
        let woken = remote.drain().tasks;
        assert_eq!(woken.len(), 1);
        for task in woken {
            let local = task.into_local_on(loop_id);
            assert!(local.meta().has(COMPLETE));
            drop(local);
        }
        assert_eq!(f.drops.load(Ordering::SeqCst), 1);
        assert_eq!(std::sync::Arc::strong_count(&f.freed), 1, "cell not freed");
    });
}

/// A wake from another thread after (or while) the loop closes: the
/// future was dropped on the loop thread first; a wake-up refused by
/// the closed queue is dropped on the waking thread, one queued before
/// the close on the loop thread, and the cell is freed exactly once.
#[test]
fn loom_wake_after_the_loop_closed() {
    loom::model(|| {
        let f = fixture();
        let remote = Arc::new(Remote::new(Box::new(|| {})));
        let r = remote.clone();
        let waker = f.waker;
        let other = loom::thread::spawn(move || wake_remotely(waker, &r));
        // The loop closes: futures dropped, queue closed, references go.
        finish(f.handle.raw());
        assert_eq!(f.drops.load(Ordering::SeqCst), 1);
        let leftover = remote.close();
        drop(leftover);
        drop((f.queued, f.live, f.handle));
        other.join().unwrap();
        assert!(
            remote.close().tasks.is_empty(),
            "a wake-up got in after close"
        );
        assert_eq!(f.drops.load(Ordering::SeqCst), 1);
        assert_eq!(std::sync::Arc::strong_count(&f.freed), 1, "cell not freed");
    });
}
