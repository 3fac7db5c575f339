//! `as_completed`: outcomes in completion order, as a `Stream`; its overall
//! timeout yields `TimeoutError` once and leaves the rest running; a cancelled
//! consumer gets its own `Cancelled` and loses no outcome.

mod common;

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use common::*;
use ferrio::combinators::{as_completed, as_completed_tasks};
use ferrio::{JoinError, Task, TaskRef};
use futures_core::{FusedStream, Stream};

const SEC: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

async fn sleeper(secs: u32) -> u32 {
    ferrio::sleep(SEC * secs).await.unwrap();
    secs
}

/// `StreamExt::next` through the `Stream` trait itself.
async fn next_item<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

#[test]
fn outcomes_come_in_completion_order_with_their_times() {
    run_virtual(async {
        let t0 = ferrio::now();
        let mut stream = as_completed([4, 1, 3, 2].map(sleeper));
        assert_eq!(stream.size_hint(), (4, Some(4)));
        let mut seen = Vec::new();
        while let Some(outcome) = next_item(&mut stream).await {
            seen.push((outcome.unwrap(), since(t0)));
        }
        assert_eq!(seen, [(1, SEC), (2, 2 * SEC), (3, 3 * SEC), (4, 4 * SEC)]);
        assert!(stream.is_terminated());
        assert!(stream.next().await.is_none(), "stays ended");
    });
}

#[test]
fn tasks_finished_before_the_first_poll_come_first_in_the_order_given() {
    run_virtual(async {
        let a = ferrio::spawn(sleeper(2));
        let b = ferrio::spawn(async { 10 });
        let c = ferrio::spawn(async { 20 });
        ferrio::yield_now().await.unwrap();
        let mut stream = as_completed_tasks([a, b, c]);
        assert_eq!(stream.next().await.unwrap().unwrap(), 10);
        assert_eq!(stream.next().await.unwrap().unwrap(), 20);
        assert_eq!(stream.remaining(), 1);
        assert_eq!(stream.next().await.unwrap().unwrap(), 2);
    });
}

#[test]
fn failures_are_items_and_do_not_end_the_stream() {
    run_virtual(async {
        let ok = ferrio::spawn(sleeper(3));
        let bad: Task<u32> = ferrio::spawn(async {
            ferrio::sleep(SEC).await.unwrap();
            panic!("bad");
        });
        let cancelled = ferrio::spawn(sleeper(100));
        let victim = TaskRef::clone(&cancelled);
        let mut stream = as_completed_tasks([ok, bad, cancelled]);
        ferrio::sleep(2 * SEC).await.unwrap();
        victim.abort();
        let first = stream.next().await.unwrap().unwrap_err();
        assert!(matches!(&first, JoinError::Panicked(p) if p.message() == "bad"));
        assert!(stream.next().await.unwrap().unwrap_err().is_cancelled());
        assert_eq!(stream.next().await.unwrap().unwrap(), 3);
        assert!(stream.next().await.is_none());
    });
}

#[test]
fn the_timeout_yields_timed_out_once_at_the_deadline_and_ends() {
    run_virtual(async {
        let t0 = ferrio::now();
        let mut stream = as_completed([5, 1, 2, 9].map(sleeper)).timeout(2500 * MS);
        let mut seen = Vec::new();
        let mut timed_out = None;
        while let Some(item) = next_item(&mut stream).await {
            match item {
                Ok(outcome) => seen.push((outcome.unwrap(), since(t0))),
                Err(e) => timed_out = Some((e, since(t0))),
            }
        }
        assert_eq!(seen, [(1, SEC), (2, 2 * SEC)]);
        let (e, at) = timed_out.expect("the deadline passed");
        assert_eq!(at, 2500 * MS);
        // The same TimeoutError as every other timeout (one type per meaning).
        assert_eq!(e.after(), Some(2500 * MS));
        assert_eq!(stream.remaining(), 2);
        assert!(e.to_string().contains("timed out after 2.5s"), "{e}");
        assert!(stream.timed_out() && stream.is_terminated());
        // The rest run on, not cancelled.
        let rest = stream.into_remaining();
        assert_eq!(rest.len(), 2);
        assert!(rest.iter().all(|t| !t.done() && t.cancelling() == 0));
        let mut values = Vec::new();
        for t in rest {
            values.push(t.await.unwrap());
        }
        assert_eq!(values, [5, 9]);
        assert_eq!(since(t0), 9 * SEC);
    });
}

#[test]
fn a_timeout_that_does_not_expire_yields_no_error() {
    run_virtual(async {
        let t0 = ferrio::now();
        let deadline = ferrio::now() + 10 * SEC;
        let mut stream = as_completed([2, 1].map(sleeper)).timeout_at(deadline);
        let mut values = Vec::new();
        while let Some(item) = stream.next().await {
            values.push(item.unwrap().unwrap());
        }
        assert_eq!(values, [1, 2]);
        assert_eq!(since(t0), 2 * SEC, "did not wait for the deadline");
        assert!(!stream.timed_out());
    });
}

#[test]
fn a_cancelled_consumer_gets_its_own_cancellation_and_loses_no_outcome() {
    run_virtual(async {
        let log = new_log();
        let l = log.clone();
        let consumer = ferrio::spawn(async move {
            let mut stream = as_completed([1, 3].map(sleeper));
            while let Some(item) = stream.next().await {
                match item {
                    Ok(v) => push(&l, format!("{v} at {:?}", ferrio::now())),
                    Err(e) => push(&l, format!("error: {e}")),
                }
            }
        });
        let consumer_ref = TaskRef::clone(&consumer);
        ferrio::sleep(2 * SEC).await.unwrap();
        consumer.cancel_with("poke");
        consumer.await.unwrap();
        // It swallowed the cancellation and went on: nothing was lost.
        assert!(!consumer_ref.cancelled());
        let got: Vec<String> = snapshot(&log)
            .into_iter()
            .map(|s| s.split(" at ").next().unwrap().to_string())
            .collect();
        assert_eq!(got, ["1", "error: cancelled: poke", "3"]);
    });
}

#[test]
fn propagating_the_consumers_cancellation_leaves_the_tasks_running() {
    run_virtual(async {
        let tasks = vec![ferrio::spawn(sleeper(5))];
        let watched = TaskRef::clone(&tasks[0]);
        let consumer = ferrio::spawn(async move {
            let mut stream = as_completed_tasks(tasks);
            while let Some(v) = stream.next().await {
                v?;
            }
            Ok::<_, JoinError>(())
        });
        let consumer_ref = TaskRef::clone(&consumer);
        ferrio::sleep(SEC).await.unwrap();
        consumer.cancel();
        assert!(consumer.await.unwrap_err().is_cancelled());
        assert!(consumer_ref.cancelled());
        // The stream was dropped: the task runs on, detached.
        assert!(!watched.done() && watched.cancelling() == 0);
        ferrio::sleep(5 * SEC).await.unwrap();
        assert!(watched.done() && !watched.cancelled());
    });
}

#[test]
fn ten_thousand_tasks_come_out_in_completion_order() {
    run_virtual(async {
        let n = 10_000u32;
        let mut stream = as_completed((0..n).map(|i| async move {
            ferrio::sleep(MS * (n - i)).await.unwrap();
            i
        }));
        let mut expected = n;
        while let Some(v) = stream.next().await {
            expected -= 1;
            assert_eq!(v.unwrap(), expected);
        }
        assert_eq!(expected, 0);
    });
}
