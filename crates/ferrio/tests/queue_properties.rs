//! Property tests: random interleavings of put/get tasks, nowait calls,
//! cancellations and shutdowns, driven step by step on a virtual-clock
//! loop, never lose or duplicate an item — and a FIFO queue hands items
//! out in exactly the order they went in.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use ferrio::queue::{BaseQueue, Fifo, GetError, Lifo, Priority, Storage};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// Spawn a task that puts a fresh item.
    SpawnPut,
    /// Spawn a task that gets one item.
    SpawnGet,
    PutNowait,
    GetNowait,
    /// Cancel the n-th spawned task (modulo the count).
    Cancel(usize),
    /// Let every ready task run once, this many times.
    Yield(u8),
    /// Shut down gracefully.
    Shutdown,
    /// Shut down, removing the items.
    ShutdownImmediate,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::SpawnPut),
        4 => Just(Op::SpawnGet),
        1 => Just(Op::PutNowait),
        1 => Just(Op::GetNowait),
        3 => any::<usize>().prop_map(Op::Cancel),
        4 => (1u8..3).prop_map(Op::Yield),
        1 => Just(Op::Shutdown),
        1 => Just(Op::ShutdownImmediate),
    ]
}

/// What happened to the items, in the order it happened.
#[derive(Default)]
struct Record {
    /// Items in the order they entered the queue.
    entered: Vec<u32>,
    /// Items in the order they were taken out by gets.
    taken: Vec<u32>,
    /// Items a failed put gave back.
    returned: Vec<u32>,
    /// Items an immediate shutdown removed.
    removed: Vec<u32>,
}

/// Runs `ops` against a queue of capacity `maxsize`; returns the record
/// and the items left at the end (removed by an immediate shutdown).
fn run<S: Storage<u32> + 'static>(maxsize: usize, ops: &[Op]) -> (Record, Vec<u32>) {
    common::run_virtual(async {
        let queue: BaseQueue<u32, S> = BaseQueue::new(maxsize);
        let record = Rc::new(RefCell::new(Record::default()));
        let mut tasks = Vec::new();
        let mut next_item = 0u32;
        let mut fresh = || {
            next_item += 1;
            next_item
        };
        for op in ops {
            match op {
                Op::SpawnPut => {
                    let (q, r, item) = (queue.clone(), record.clone(), fresh());
                    tasks.push(ferrio::spawn(async move {
                        match q.put(item).await {
                            Ok(()) => r.borrow_mut().entered.push(item),
                            Err(e) => r.borrow_mut().returned.push(e.into_inner()),
                        }
                    }));
                }
                Op::SpawnGet => {
                    let (q, r) = (queue.clone(), record.clone());
                    tasks.push(ferrio::spawn(async move {
                        match q.get().await {
                            Ok(item) => r.borrow_mut().taken.push(item),
                            Err(GetError::ShutDown(_) | GetError::Cancelled(_)) => {}
                        }
                    }));
                }
                Op::PutNowait => {
                    let item = fresh();
                    match queue.put_nowait(item) {
                        Ok(()) => record.borrow_mut().entered.push(item),
                        Err(e) => record.borrow_mut().returned.push(e.into_inner()),
                    }
                }
                Op::GetNowait => {
                    if let Ok(item) = queue.get_nowait() {
                        record.borrow_mut().taken.push(item);
                    }
                }
                Op::Cancel(n) => {
                    if !tasks.is_empty() {
                        let len = tasks.len();
                        tasks[n % len].cancel();
                    }
                }
                Op::Yield(n) => {
                    for _ in 0..*n {
                        ferrio::yield_now().await.unwrap();
                    }
                }
                Op::Shutdown => queue.shutdown(),
                Op::ShutdownImmediate => {
                    let removed = queue.shutdown_immediate();
                    record.borrow_mut().removed.extend(removed);
                }
            }
            // Nobody waits for what is there to take.
            let stats = queue.statistics();
            if maxsize > 0 {
                assert!(stats.qsize <= maxsize, "qsize {} > maxsize", stats.qsize);
            }
            if stats.getters > 0 {
                assert_eq!(stats.qsize, 0, "a getter waits while items are available");
            }
            if stats.putters > 0 {
                assert!(queue.full(), "a putter waits while there is room");
            }
        }
        // Shut down: every blocked task wakes with QueueShutDown and ends,
        // and no reservation may be left behind, so get_nowait drains the
        // rest and then reports the shutdown, never "empty".
        queue.shutdown();
        for task in tasks {
            let _ = task.await;
        }
        let stats = queue.statistics();
        assert_eq!((stats.getters, stats.putters), (0, 0));
        let mut left = Vec::new();
        loop {
            match queue.get_nowait() {
                Ok(item) => left.push(item),
                Err(e) => {
                    assert!(e.is_shut_down(), "an item is stuck behind a reservation");
                    break;
                }
            }
        }
        let record = Rc::try_unwrap(record).ok().unwrap().into_inner();
        (record, left)
    })
}

/// Every item that entered the queue came out exactly once: taken by a get,
/// removed by an immediate shutdown, or drained at the end; and no item
/// both entered and came back from a failed put. (A put task cancelled
/// before it first ran never held its item, so that item is in neither.)
fn check_conservation(record: &Record, left: &[u32]) {
    let mut out: Vec<u32> = record
        .taken
        .iter()
        .chain(&record.removed)
        .chain(left)
        .copied()
        .collect();
    out.sort_unstable();
    let mut entered = record.entered.clone();
    entered.sort_unstable();
    assert_eq!(out, entered, "items taken + left != items that entered");
    let mut all: Vec<u32> = entered.iter().chain(&record.returned).copied().collect();
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!(all.len(), before, "an item both entered and came back");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        // Shrunk failures are printed; no regression files in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn fifo_loses_nothing_and_keeps_order(
        maxsize in 0usize..4,
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let (record, left) = run::<Fifo<u32>>(maxsize, &ops);
        check_conservation(&record, &left);
        // FIFO: what came out (taken, removed, then left) is exactly what
        // went in, in the same order.
        let out: Vec<u32> = record
            .taken
            .iter()
            .chain(&record.removed)
            .chain(&left)
            .copied()
            .collect();
        prop_assert_eq!(out, record.entered);
    }

    #[test]
    fn lifo_and_priority_lose_nothing(
        maxsize in 0usize..4,
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let (record, left) = run::<Lifo<u32>>(maxsize, &ops);
        check_conservation(&record, &left);
        let (record, left) = run::<Priority<u32>>(maxsize, &ops);
        check_conservation(&record, &left);
    }
}
