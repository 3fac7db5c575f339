//! `PriorityQueue`: smallest first, equal priorities first in first out,
//! and a woken getter takes the best item there is when it runs.

mod common;

use std::cmp::Reverse;

use common::*;
use ferrio::queue::PriorityQueue;

#[test]
fn smallest_first() {
    let queue = PriorityQueue::unbounded();
    for p in [5, 1, 4, 2, 3] {
        queue.put_nowait(p).unwrap();
    }
    let out: Vec<_> = std::iter::from_fn(|| queue.get_nowait().ok()).collect();
    assert_eq!(out, [1, 2, 3, 4, 5]);
}

/// Compares by priority only, so that equal priorities are really equal.
#[derive(Debug, PartialEq, Eq)]
struct Job {
    priority: u8,
    name: &'static str,
}

impl Ord for Job {
    fn cmp(&self, other: &Job) -> std::cmp::Ordering {
        self.priority.cmp(&other.priority)
    }
}

impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Job) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[test]
fn equal_priorities_come_out_in_insertion_order() {
    let queue = PriorityQueue::unbounded();
    let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    for (i, name) in names.iter().enumerate() {
        queue
            .put_nowait(Job {
                priority: (i % 2) as u8,
                name,
            })
            .unwrap();
    }
    let out: Vec<_> = std::iter::from_fn(|| queue.get_nowait().ok())
        .map(|j| j.name)
        .collect();
    assert_eq!(out, ["a", "c", "e", "g", "b", "d", "f", "h"]);
}

#[test]
fn reverse_gives_largest_first() {
    let queue = PriorityQueue::unbounded();
    for p in [1, 3, 2] {
        queue.put_nowait(Reverse(p)).unwrap();
    }
    assert_eq!(queue.get_nowait().unwrap(), Reverse(3));
}

#[test]
fn a_woken_getter_takes_the_best_item_when_it_runs() {
    run_virtual(async {
        let queue = PriorityQueue::unbounded();
        let q = queue.clone();
        let g = ferrio::spawn(async move { q.get().await });
        ferrio::yield_now().await.unwrap();
        queue.put_nowait((5, "low")).unwrap();
        queue.put_nowait((1, "urgent")).unwrap();
        // As in asyncio, the getter runs after both puts and takes the best.
        assert_eq!(g.await.unwrap().unwrap(), (1, "urgent"));
        assert_eq!(queue.get_nowait().unwrap(), (5, "low"));
    });
}

#[test]
fn backpressure_and_shutdown_work_as_for_queue() {
    run_virtual(async {
        let queue = PriorityQueue::new(2);
        queue.put((2, "b")).await.unwrap();
        queue.put((1, "a")).await.unwrap();
        assert!(queue.full());
        assert!(queue.put_nowait((0, "z")).unwrap_err().is_full());
        queue.shutdown();
        assert_eq!(queue.get().await.unwrap(), (1, "a"));
        assert_eq!(queue.shutdown_immediate(), [(2, "b")]);
    });
}
