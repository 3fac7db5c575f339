//! `LifoQueue`: last in, first out, with the queue's waiting rules.

mod common;

use common::*;
use ferrio::queue::LifoQueue;

#[test]
fn last_in_first_out() {
    run_virtual(async {
        let stack = LifoQueue::new(3);
        for i in 1..=3 {
            stack.put(i).await.unwrap();
        }
        assert!(stack.full());
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push(stack.get().await.unwrap());
        }
        assert_eq!(out, [3, 2, 1]);
    });
}

#[test]
fn interleaved_puts_and_gets() {
    let stack = LifoQueue::unbounded();
    stack.put_nowait('a').unwrap();
    stack.put_nowait('b').unwrap();
    assert_eq!(stack.get_nowait().unwrap(), 'b');
    stack.put_nowait('c').unwrap();
    assert_eq!(stack.get_nowait().unwrap(), 'c');
    assert_eq!(stack.get_nowait().unwrap(), 'a');
    assert!(stack.get_nowait().unwrap_err().is_empty());
}

#[test]
fn a_woken_getter_takes_the_newest_item_when_it_runs() {
    run_virtual(async {
        let stack = LifoQueue::unbounded();
        let s = stack.clone();
        let g = ferrio::spawn(async move { s.get().await });
        ferrio::yield_now().await.unwrap();
        stack.put_nowait(1).unwrap();
        stack.put_nowait(2).unwrap();
        assert_eq!(g.await.unwrap().unwrap(), 2);
        assert_eq!(stack.shutdown_immediate(), [1]);
    });
}
