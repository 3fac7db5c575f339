//! Conformance with CPython 3.13's `Lib/test/test_asyncio/test_queues.py`
//! for cancellation: a `get` from a non-empty queue and a `put` into a
//! non-full one complete without suspending, so a pending cancellation is
//! not delivered there (the next real suspension gets it); once waiting, a
//! cancelled `get` or `put` takes nothing and gives its item back. Each
//! test names the CPython test it mirrors; all run on the virtual clock.

mod common;

use common::*;
use ferrio::queue::{PutError, Queue};

async fn tick() {
    ferrio::yield_now().await.unwrap();
}

/// test_queues `test_get_with_putters` and rule 2: a `get` that finds an
/// item returns it, even with a cancellation pending.
#[test]
fn get_from_a_non_empty_queue_does_not_suspend() {
    run_virtual(async {
        let queue: Queue<u32> = Queue::new(1);
        queue.put_nowait(7).unwrap();
        let me = ferrio::task::current().unwrap();
        me.cancel();
        assert_eq!(queue.get().await.unwrap(), 7);
        // Room now: a put does not suspend either.
        queue.put(8).await.unwrap();
        assert!(
            ferrio::yield_now().await.is_err(),
            "delivered at the next suspension"
        );
        me.uncancel();
        assert_eq!(queue.get_nowait().unwrap(), 8);
    });
}

/// test_queues `test_get_cancelled_race` / `test_cancelled_getters_not_being_held_in_self_getters`:
/// a cancelled waiting `get` takes no item and leaves the getters.
#[test]
fn test_get_cancelled_race() {
    run_virtual(async {
        let queue: Queue<u32> = Queue::unbounded();
        let q = queue.clone();
        let t1 = ferrio::spawn(async move { q.get().await });
        let q = queue.clone();
        let t2 = ferrio::spawn(async move { q.get().await });
        tick().await;
        t1.cancel();
        queue.put_nowait(1).unwrap();
        // It propagated its own Cancelled: it ended cancelled.
        assert!(t1.await.unwrap_err().is_cancelled());
        assert_eq!(t2.await.unwrap().unwrap(), 1);
        assert_eq!(queue.statistics().getters, 0);
    });
}

/// test_queues `test_put_cancelled_race` / `test_cancelled_puts_not_being_held_in_self_putters`:
/// a cancelled waiting `put` inserts nothing and gives its item back.
#[test]
fn test_put_cancelled_race() {
    run_virtual(async {
        let queue: Queue<u32> = Queue::new(1);
        queue.put_nowait(1).unwrap();
        let q = queue.clone();
        let returned = std::rc::Rc::new(std::cell::Cell::new(None));
        let r = returned.clone();
        let blocked = ferrio::spawn(async move {
            match q.put(2).await {
                Err(PutError::Cancelled { item, cancelled }) => {
                    r.set(Some(item));
                    Err::<(), _>(cancelled)
                }
                other => panic!("expected the item back, got {other:?}"),
            }
        });
        tick().await;
        blocked.cancel();
        assert!(blocked.await.unwrap_err().is_cancelled());
        assert_eq!(returned.get(), Some(2), "the item came back");
        assert_eq!(queue.qsize(), 1);
        assert_eq!(queue.get_nowait().unwrap(), 1);
        assert_eq!(queue.statistics().putters, 0);
    });
}

/// test_queues `test_join_empty_queue`: joining a queue with nothing
/// unfinished completes at once, even with a cancellation pending.
#[test]
fn test_join_empty_queue() {
    run_virtual(async {
        let queue: Queue<u32> = Queue::unbounded();
        let me = ferrio::task::current().unwrap();
        me.cancel();
        queue.join().await.unwrap();
        me.uncancel();
    });
}
