//! `Queue`: FIFO order, backpressure at `maxsize`, the `*_nowait` errors
//! (nothing lost), and FIFO-fair getters and putters without barging.

mod common;

use std::time::Duration;

use common::*;
use ferrio::queue::{
    GetError, PutError, Queue, QueueEmpty, QueueFull, QueueStats, TryGetError, TryPutError,
};
use ferrio::Cancelled;

const SEC: Duration = Duration::from_secs(1);

/// A task that gets one item and logs `name: item`.
fn getter(
    queue: &Queue<u32>,
    log: &Log<String>,
    name: &str,
) -> ferrio::Task<Result<u32, GetError>> {
    let (queue, log, name) = (queue.clone(), log.clone(), name.to_string());
    ferrio::spawn(async move {
        let item = queue.get().await?;
        push(&log, format!("{name}: {item}"));
        Ok(item)
    })
}

/// A task that puts `item` and logs `name` once it is in.
fn putter(
    queue: &Queue<u32>,
    log: &Log<String>,
    name: &str,
    item: u32,
) -> ferrio::Task<Result<(), PutError<u32>>> {
    let (queue, log, name) = (queue.clone(), log.clone(), name.to_string());
    ferrio::spawn(async move {
        queue.put(item).await?;
        push(&log, name);
        Ok(())
    })
}

#[test]
fn items_come_out_in_the_order_they_went_in() {
    run_virtual(async {
        let queue = Queue::unbounded();
        for i in 0..5 {
            queue.put(i).await.unwrap();
        }
        assert_eq!(queue.qsize(), 5);
        assert!(!queue.full(), "an unbounded queue is never full");
        let mut out = Vec::new();
        while !queue.empty() {
            out.push(queue.get().await.unwrap());
        }
        assert_eq!(out, [0, 1, 2, 3, 4]);
    });
}

#[test]
fn put_waits_while_the_queue_is_full() {
    run_virtual(async {
        let queue = Queue::new(2);
        assert_eq!(queue.maxsize(), 2);
        let q = queue.clone();
        let t0 = ferrio::now();
        let producer = ferrio::spawn(async move {
            let mut put_at = Vec::new();
            for i in 0..5u32 {
                q.put(i).await?;
                put_at.push(since(t0).as_secs());
            }
            Ok::<_, PutError<u32>>(put_at)
        });
        let mut got = Vec::new();
        for _ in 0..5 {
            ferrio::sleep(SEC).await.unwrap();
            assert!(queue.qsize() <= 2);
            got.push(queue.get().await.unwrap());
        }
        // Two fit at once; each later put waits for a get (one per second).
        assert_eq!(producer.await.unwrap().unwrap(), [0, 0, 1, 2, 3]);
        assert_eq!(got, [0, 1, 2, 3, 4]);
    });
}

#[test]
fn get_waits_while_the_queue_is_empty() {
    run_virtual(async {
        let queue = Queue::new(0);
        let log = new_log();
        let g = getter(&queue, &log, "g");
        ferrio::sleep(SEC).await.unwrap();
        assert!(!g.done());
        queue.put(7).await.unwrap();
        assert_eq!(g.await.unwrap().unwrap(), 7);
    });
}

#[test]
fn put_nowait_on_a_full_queue_gives_the_item_back_and_loses_nothing() {
    let queue = Queue::new(2);
    queue.put_nowait(String::from("a")).unwrap();
    queue.put_nowait(String::from("b")).unwrap();
    assert!(queue.full());
    let err = queue.put_nowait(String::from("c")).unwrap_err();
    assert!(err.is_full());
    assert!(err.to_string().contains("full"));
    let TryPutError::Full(QueueFull(item)) = err else {
        panic!("expected Full");
    };
    assert_eq!(item, "c");
    assert_eq!(queue.qsize(), 2);
    assert_eq!(queue.unfinished_tasks(), 2, "the failed put is not counted");
    assert_eq!(queue.get_nowait().unwrap(), "a");
    assert_eq!(queue.get_nowait().unwrap(), "b");
    assert_eq!(
        queue.get_nowait().unwrap_err(),
        TryGetError::Empty(QueueEmpty)
    );
}

#[test]
fn waiting_getters_are_served_in_order_without_barging() {
    run_virtual(async {
        let queue = Queue::unbounded();
        let log = new_log();
        let a = getter(&queue, &log, "a");
        let b = getter(&queue, &log, "b");
        ferrio::yield_now().await.unwrap();
        assert_eq!(queue.statistics().getters, 2);
        queue.put_nowait(1).unwrap();
        // The item is promised to `a`, which has not run yet.
        assert!(queue.empty());
        assert_eq!(
            queue.get_nowait().unwrap_err(),
            TryGetError::Empty(QueueEmpty)
        );
        queue.put_nowait(2).unwrap();
        queue.put_nowait(3).unwrap();
        assert_eq!(queue.qsize(), 1, "3 is not promised to anyone");
        assert_eq!(a.await.unwrap().unwrap(), 1);
        assert_eq!(b.await.unwrap().unwrap(), 2);
        assert_eq!(snapshot(&log), ["a: 1", "b: 2"]);
        assert_eq!(queue.get_nowait().unwrap(), 3);
    });
}

#[test]
fn waiting_putters_are_served_in_order_without_barging() {
    run_virtual(async {
        let queue = Queue::new(1);
        let log = new_log();
        queue.put_nowait(0).unwrap();
        let a = putter(&queue, &log, "a", 1);
        let b = putter(&queue, &log, "b", 2);
        ferrio::yield_now().await.unwrap();
        assert_eq!(queue.statistics().putters, 2);
        assert_eq!(queue.get_nowait().unwrap(), 0);
        // The freed slot is promised to `a`: the queue stays full.
        assert!(queue.full());
        assert!(queue.put_nowait(99).unwrap_err().is_full());
        assert_eq!(queue.get().await.unwrap(), 1);
        assert_eq!(queue.get().await.unwrap(), 2);
        a.await.unwrap().unwrap();
        b.await.unwrap().unwrap();
        assert_eq!(snapshot(&log), ["a", "b"]);
        assert!(queue.empty());
    });
}

#[test]
fn a_woken_getter_is_not_overtaken_by_a_task_that_runs_first() {
    run_virtual(async {
        let queue: Queue<u32> = Queue::unbounded();
        let log = new_log();
        let a = getter(&queue, &log, "a");
        ferrio::yield_now().await.unwrap();
        // `barger` is scheduled ahead of `a`'s wake-up.
        let q = queue.clone();
        let barger = ferrio::spawn(async move { q.get_nowait() });
        queue.put_nowait(5).unwrap();
        assert!(barger.await.unwrap().unwrap_err().is_empty());
        assert_eq!(a.await.unwrap().unwrap(), 5);
    });
}

#[test]
fn statistics_and_debug() {
    let queue: Queue<u8> = Queue::new(3);
    queue.put_nowait(1).unwrap();
    assert_eq!(
        queue.statistics(),
        QueueStats {
            qsize: 1,
            maxsize: 3,
            getters: 0,
            putters: 0,
            unfinished_tasks: 1,
            shut_down: false
        }
    );
    assert_eq!(
        format!("{queue:?}"),
        "Queue { qsize: 1, maxsize: 3, getters: 0, putters: 0, unfinished_tasks: 1, shut_down: false }"
    );
    let put = queue.put(2);
    assert!(format!("{put:?}").starts_with("Put"));
}

#[test]
fn queues_work_across_many_tasks_without_send() {
    run_virtual(async {
        let queue: Queue<std::rc::Rc<u32>> = Queue::new(4);
        let producers: Vec<_> = (0..4u32)
            .map(|p| {
                let q = queue.clone();
                ferrio::spawn(async move {
                    for i in 0..25 {
                        q.put(std::rc::Rc::new(p * 100 + i))
                            .await
                            .map_err(|e| match e {
                                PutError::Cancelled { cancelled, .. } => cancelled,
                                PutError::ShutDown(_) => unreachable!("never shut down"),
                            })?;
                    }
                    Ok::<_, Cancelled>(())
                })
            })
            .collect();
        let mut sum = 0;
        for _ in 0..100 {
            sum += *queue.get().await.unwrap();
        }
        for p in producers {
            p.await.unwrap().unwrap();
        }
        let expected: u32 = (0..4u32)
            .map(|p| (0..25).map(|i| p * 100 + i).sum::<u32>())
            .sum();
        assert_eq!(sum, expected);
    });
}
