//! Cancel safety of the queue: a cancelled `get` takes no item, a
//! cancelled `put` does not insert and gives its item back, and a
//! reservation a cancelled waiter held passes on.

mod common;

use std::future::Future;
use std::task::Poll;

use common::*;
use ferrio::queue::{GetError, PutError, Queue};

#[test]
fn a_cancelled_get_takes_no_item() {
    run_virtual(async {
        let queue: Queue<u32> = Queue::unbounded();
        let q = queue.clone();
        let g = ferrio::spawn(async move { q.get().await });
        ferrio::yield_now().await.unwrap();
        g.cancel();
        ferrio::yield_now().await.unwrap();
        assert_eq!(queue.statistics().getters, 0);
        queue.put_nowait(1).unwrap();
        assert!(g.await.unwrap_err().is_cancelled());
        assert_eq!(queue.get_nowait().unwrap(), 1);
    });
}

#[test]
fn an_item_promised_to_a_cancelled_getter_goes_to_the_next_one() {
    run_virtual(async {
        let queue: Queue<u32> = Queue::unbounded();
        let getters: Vec<_> = (0..2)
            .map(|_| {
                let q = queue.clone();
                ferrio::spawn(async move { q.get().await })
            })
            .collect();
        ferrio::yield_now().await.unwrap();
        queue.put_nowait(1).unwrap(); // promised to getter 0 ...
        getters[0].cancel(); // ... cancelled before it runs
        let mut it = getters.into_iter();
        assert!(it.next().unwrap().await.unwrap_err().is_cancelled());
        assert_eq!(it.next().unwrap().await.unwrap().unwrap(), 1);
        assert!(queue.empty());
    });
}

#[test]
fn an_item_promised_to_a_cancelled_getter_with_nobody_behind_stays_queued() {
    run_virtual(async {
        let queue: Queue<u32> = Queue::unbounded();
        let q = queue.clone();
        let g = ferrio::spawn(async move { q.get().await });
        ferrio::yield_now().await.unwrap();
        queue.put_nowait(1).unwrap();
        assert!(queue.empty(), "promised to g");
        g.cancel();
        assert!(g.await.unwrap_err().is_cancelled());
        assert_eq!(queue.qsize(), 1);
        assert_eq!(queue.get_nowait().unwrap(), 1);
    });
}

#[test]
fn a_cancelled_put_does_not_insert_and_gives_the_item_back() {
    run_virtual(async {
        let queue = Queue::new(1);
        queue.put_nowait(String::from("first")).unwrap();
        let q = queue.clone();
        let p = ferrio::spawn(async move {
            match q.put(String::from("second")).await {
                Err(PutError::Cancelled { item, cancelled }) => {
                    assert_eq!(item, "second");
                    Err::<(), _>(cancelled)
                }
                other => panic!("expected Cancelled, got {other:?}"),
            }
        });
        ferrio::yield_now().await.unwrap();
        p.cancel();
        assert!(p.await.unwrap_err().is_cancelled());
        assert_eq!(queue.qsize(), 1);
        assert_eq!(queue.unfinished_tasks(), 1);
        assert_eq!(queue.statistics().putters, 0);
        assert_eq!(queue.get_nowait().unwrap(), "first");
        assert!(queue.empty());
    });
}

#[test]
fn a_slot_promised_to_a_cancelled_putter_goes_to_the_next_one() {
    run_virtual(async {
        let queue = Queue::new(1);
        queue.put_nowait(0u32).unwrap();
        let putters: Vec<_> = (1..=2u32)
            .map(|i| {
                let q = queue.clone();
                ferrio::spawn(async move { q.put(i).await.map_err(PutError::into_inner) })
            })
            .collect();
        ferrio::yield_now().await.unwrap();
        assert_eq!(queue.get_nowait().unwrap(), 0); // slot promised to putter 1 ...
        putters[0].cancel(); // ... cancelled before it runs
        let mut it = putters.into_iter();
        // The item comes back (the task swallowed the cancellation).
        assert_eq!(it.next().unwrap().await.unwrap(), Err(1));
        it.next().unwrap().await.unwrap().unwrap();
        assert_eq!(queue.get_nowait().unwrap(), 2);
        assert!(queue.empty());
        assert!(!queue.full());
    });
}

#[test]
fn a_slot_promised_to_a_cancelled_putter_with_nobody_behind_is_freed() {
    run_virtual(async {
        let queue = Queue::new(1);
        queue.put_nowait(0u32).unwrap();
        let q = queue.clone();
        let p = ferrio::spawn(async move { q.put(1).await.map_err(PutError::into_inner) });
        ferrio::yield_now().await.unwrap();
        queue.get_nowait().unwrap();
        assert!(queue.full(), "slot promised to p");
        p.cancel();
        assert_eq!(p.await.unwrap(), Err(1), "the item comes back");
        assert!(!queue.full());
        queue.put_nowait(2).unwrap();
        assert_eq!(queue.get_nowait().unwrap(), 2);
    });
}

#[test]
fn dropping_pending_get_and_put_futures_behaves_like_cancelling() {
    run_virtual(async {
        let queue: Queue<u32> = Queue::new(1);
        let mut get = Box::pin(queue.get());
        let polled = std::future::poll_fn(|cx| Poll::Ready(get.as_mut().poll(cx))).await;
        assert!(polled.is_pending());
        queue.put_nowait(1).unwrap(); // promised to `get` ...
        drop(get); // ... dropped: the item stays
        assert_eq!(queue.qsize(), 1);

        let mut put = Box::pin(queue.put(2));
        let polled = std::future::poll_fn(|cx| Poll::Ready(put.as_mut().poll(cx))).await;
        assert!(polled.is_pending());
        assert_eq!(queue.get_nowait().unwrap(), 1); // slot promised to `put` ...
        drop(put); // ... dropped: not inserted, slot free
        assert!(queue.empty());
        assert!(!queue.full());
        assert_eq!(queue.statistics().putters, 0);
    });
}

/// No suspension, no cancellation: a `get` that finds an item returns it
/// even with a cancellation pending, which the next suspension delivers.
#[test]
fn get_with_items_queued_does_not_deliver_a_pending_cancellation() {
    run_virtual(async {
        let queue: Queue<u32> = Queue::unbounded();
        queue.put_nowait(1).unwrap();
        let q = queue.clone();
        let g = ferrio::spawn(async move {
            ferrio::task::current().unwrap().cancel();
            let item = q.get().await.unwrap();
            assert_eq!(item, 1);
            // Empty now: this get would suspend, so it takes the request
            // and nothing else.
            let r = q.get().await;
            assert!(matches!(r, Err(GetError::Cancelled(_))));
            r
        });
        assert!(g.await.unwrap_err().is_cancelled());
        assert_eq!(queue.qsize(), 0);
        assert_eq!(queue.statistics().getters, 0);
    });
}
