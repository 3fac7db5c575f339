//! `shutdown` (graceful) and `shutdown_immediate`: puts fail with their
//! item back, gets drain what is left, blocked tasks wake with
//! `QueueShutDown`, and no item is ever lost.

mod common;

use std::time::Duration;

use common::*;
use ferrio::queue::{GetError, PutError, Queue, QueueShutDown, TryGetError, TryPutError};

#[test]
fn graceful_shutdown_refuses_puts_and_drains_gets() {
    run_virtual(async {
        let queue = Queue::new(5);
        for i in 0..3 {
            queue.put(i).await.unwrap();
        }
        queue.shutdown();
        queue.shutdown(); // harmless
        assert!(queue.is_shut_down());
        // Puts fail, giving the item back.
        match queue.put(10).await {
            Err(PutError::ShutDown(QueueShutDown(item))) => assert_eq!(item, 10),
            other => panic!("expected ShutDown, got {other:?}"),
        }
        let err = queue.put_nowait(11).unwrap_err();
        assert!(err.is_shut_down());
        assert_eq!(err.into_inner(), 11);
        // Everything put before the shutdown is still there.
        assert_eq!(queue.get().await.unwrap(), 0);
        assert_eq!(queue.get_nowait().unwrap(), 1);
        assert_eq!(queue.get().await.unwrap(), 2);
        assert!(queue.get().await.unwrap_err().is_shut_down());
        assert_eq!(
            queue.get_nowait().unwrap_err(),
            TryGetError::ShutDown(QueueShutDown(()))
        );
    });
}

#[test]
fn graceful_shutdown_wakes_blocked_getters_and_putters() {
    run_virtual(async {
        let empty: Queue<u32> = Queue::new(1);
        let getters: Vec<_> = (0..2)
            .map(|_| {
                let q = empty.clone();
                ferrio::spawn(async move { q.get().await })
            })
            .collect();
        let full = Queue::new(1);
        full.put_nowait(0u32).unwrap();
        let putters: Vec<_> = (1..3u32)
            .map(|i| {
                let q = full.clone();
                ferrio::spawn(async move { q.put(i).await })
            })
            .collect();
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        empty.shutdown();
        full.shutdown();
        for g in getters {
            assert!(matches!(g.await.unwrap(), Err(GetError::ShutDown(_))));
        }
        let mut returned = Vec::new();
        for p in putters {
            returned.push(p.await.unwrap().unwrap_err().into_inner());
        }
        assert_eq!(returned, [1, 2]);
        // The item put before the shutdown is still there.
        assert_eq!(full.get().await.unwrap(), 0);
    });
}

#[test]
fn a_putter_granted_a_slot_before_the_shutdown_gets_its_item_back() {
    run_virtual(async {
        let queue = Queue::new(1);
        queue.put_nowait(0u32).unwrap();
        let q = queue.clone();
        let p = ferrio::spawn(async move { q.put(1).await });
        ferrio::yield_now().await.unwrap();
        assert_eq!(queue.get_nowait().unwrap(), 0); // slot promised to `p` ...
        queue.shutdown(); // ... but the queue shuts before it runs
        assert_eq!(p.await.unwrap().unwrap_err().into_inner(), 1);
        assert!(queue.empty());
    });
}

#[test]
fn items_promised_to_woken_getters_survive_a_graceful_shutdown() {
    run_virtual(async {
        let queue: Queue<u32> = Queue::unbounded();
        let q = queue.clone();
        let g = ferrio::spawn(async move { q.get().await });
        ferrio::yield_now().await.unwrap();
        queue.put_nowait(7).unwrap();
        queue.shutdown();
        assert_eq!(g.await.unwrap().unwrap(), 7);
    });
}

#[test]
fn immediate_shutdown_returns_the_items_and_wakes_everyone() {
    run_virtual(async {
        let queue = Queue::new(2);
        queue.put_nowait(String::from("a")).unwrap();
        queue.put_nowait(String::from("b")).unwrap();
        let q = queue.clone();
        let putter = ferrio::spawn(async move { q.put(String::from("c")).await });
        let q = queue.clone();
        let joiner = ferrio::spawn(async move { q.join().await });
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        assert_eq!(queue.unfinished_tasks(), 2);

        let removed = queue.shutdown_immediate();
        assert_eq!(removed, ["a", "b"]);
        assert_eq!(queue.qsize(), 0);
        // Removed items count as done, so join returns.
        assert_eq!(queue.unfinished_tasks(), 0);
        joiner.await.unwrap().unwrap();
        assert_eq!(putter.await.unwrap().unwrap_err().into_inner(), "c");
        assert!(queue.get().await.unwrap_err().is_shut_down());
        assert!(matches!(
            queue.put_nowait(String::from("d")),
            Err(TryPutError::ShutDown(_))
        ));
    });
}

#[test]
fn immediate_shutdown_takes_items_promised_to_woken_getters_too() {
    run_virtual(async {
        let queue: Queue<u32> = Queue::unbounded();
        let q = queue.clone();
        let g = ferrio::spawn(async move { q.get().await });
        ferrio::yield_now().await.unwrap();
        queue.put_nowait(7).unwrap(); // promised to `g` ...
                                      // ... but an immediate shutdown hands every item to its caller.
        assert_eq!(queue.shutdown_immediate(), [7]);
        assert!(g.await.unwrap().unwrap_err().is_shut_down());
        assert_eq!(queue.statistics().qsize, 0);
    });
}

#[test]
fn shutdown_errors_say_what_happened() {
    let queue = Queue::unbounded();
    queue.shutdown();
    let put = queue.put_nowait(1).unwrap_err();
    assert!(put.to_string().contains("shut down"));
    let get = queue.get_nowait().unwrap_err();
    assert!(get.to_string().contains("shut down"));
}
