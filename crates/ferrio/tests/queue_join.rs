//! `task_done` and `join`: join waits for every item put to be marked done;
//! a `task_done` too many is a typed error that changes nothing.

mod common;

use std::time::Duration;

use common::*;
use ferrio::queue::{Queue, TaskDoneError};

#[test]
fn join_waits_for_every_task_done() {
    run_virtual(async {
        let queue = Queue::unbounded();
        for i in 0..3u64 {
            queue.put(i).await.unwrap();
        }
        let q = queue.clone();
        let worker = ferrio::spawn(async move {
            while let Ok(secs) = q.get().await {
                ferrio::sleep(Duration::from_secs(secs + 1)).await?;
                q.task_done().expect("one task_done per item");
            }
            Ok::<_, ferrio::Cancelled>(())
        });
        let t0 = ferrio::now();
        assert_eq!(queue.unfinished_tasks(), 3);
        queue.join().await.unwrap();
        // 1 + 2 + 3 seconds of work, and no earlier.
        assert_eq!(since(t0), Duration::from_secs(6));
        assert_eq!(queue.unfinished_tasks(), 0);
        queue.shutdown();
        worker.await.unwrap().unwrap();
    });
}

#[test]
fn join_returns_at_once_when_nothing_is_unfinished() {
    run_virtual(async {
        let queue: Queue<u8> = Queue::new(1);
        let t0 = ferrio::now();
        queue.join().await.unwrap();
        queue.put(1).await.unwrap();
        queue.get().await.unwrap();
        // Taken, but not yet marked done: join would wait.
        assert_eq!(queue.unfinished_tasks(), 1);
        queue.task_done().unwrap();
        queue.join().await.unwrap();
        assert_eq!(since(t0), Duration::ZERO);
    });
}

#[test]
fn every_joiner_is_woken() {
    run_virtual(async {
        let queue = Queue::unbounded();
        queue.put_nowait(1).unwrap();
        let joiners: Vec<_> = (0..3)
            .map(|_| {
                let q = queue.clone();
                ferrio::spawn(async move { q.join().await })
            })
            .collect();
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        assert!(joiners.iter().all(|j| !j.done()));
        queue.get_nowait().unwrap();
        queue.task_done().unwrap();
        for j in joiners {
            j.await.unwrap().unwrap();
        }
    });
}

#[test]
fn task_done_too_often_is_an_error_and_changes_nothing() {
    let queue = Queue::unbounded();
    assert_eq!(queue.task_done(), Err(TaskDoneError));
    queue.put_nowait("job").unwrap();
    queue.put_nowait("job2").unwrap();
    assert_eq!(queue.get_nowait().unwrap(), "job");
    queue.task_done().unwrap();
    queue.task_done().unwrap(); // job2 is still queued: allowed, as in asyncio
    let err = queue.task_done().unwrap_err();
    assert!(err.to_string().contains("too many times"));
    assert_eq!(queue.unfinished_tasks(), 0);
    assert_eq!(queue.qsize(), 1, "the queued item is untouched");
}

#[test]
fn a_cancelled_join_changes_nothing() {
    run_virtual(async {
        let queue = Queue::unbounded();
        queue.put_nowait(1).unwrap();
        let q = queue.clone();
        let joiner = ferrio::spawn(async move { q.join().await });
        ferrio::yield_now().await.unwrap();
        joiner.cancel();
        assert!(joiner.await.unwrap_err().is_cancelled());
        assert_eq!(queue.unfinished_tasks(), 1);
        assert_eq!(queue.qsize(), 1);
    });
}
