//! `race` and `first_ok` on the virtual clock: the winner, the losers
//! cancelled and their cleanup awaited, failures, panics, and the caller's
//! cancellation.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ferrio::Cancelled;
use ferrio_resilience::race::{first_ok, race, Failure, FirstOkError, RaceError};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

type Log = Rc<RefCell<Vec<String>>>;

#[derive(Debug)]
enum Error {
    Down(&'static str),
    Cancelled(#[allow(dead_code)] Cancelled),
}

/// Answers `result` after `after` seconds; cancelled, cleans up for
/// `cleanup` seconds and logs it.
async fn contender(
    log: Log,
    name: &'static str,
    after: u64,
    cleanup: u64,
    result: Result<&'static str, &'static str>,
) -> Result<&'static str, Error> {
    if let Err(c) = ferrio::sleep(secs(after)).await {
        ferrio::sleep(secs(cleanup)).await.unwrap();
        log.borrow_mut()
            .push(format!("{name} cleaned up at {:?}", ferrio::now()));
        return Err(Error::Cancelled(c));
    }
    result.map_err(Error::Down)
}

#[ferrio::test]
async fn race_returns_the_first_to_finish_after_the_losers_cleanup() {
    let log: Log = Rc::default();
    let start = ferrio::now();
    let t = |d: u64| format!("{:?}", start + secs(d));
    let winner = race([
        contender(log.clone(), "slow", 5, 2, Ok("slow")),
        contender(log.clone(), "fast", 1, 0, Err("fast failed")),
        contender(log.clone(), "mid", 3, 1, Ok("mid")),
    ])
    .await
    .unwrap();
    // The first to finish wins even with an error: Promise.race semantics.
    assert!(matches!(winner, Err(Error::Down("fast failed"))));
    assert_eq!(
        ferrio::now() - start,
        secs(3),
        "won at 1 s, the slowest cleanup took 2 s"
    );
    let mut lines = log.borrow().clone();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("mid cleaned up at {}", t(2)),
            format!("slow cleaned up at {}", t(3))
        ]
    );
}

#[ferrio::test]
async fn race_of_nothing_is_an_error() {
    let none: Vec<std::future::Ready<u8>> = Vec::new();
    assert!(matches!(race(none).await, Err(RaceError::Empty)));
}

async fn boom_after(d: u64) -> u8 {
    ferrio::sleep(secs(d)).await.unwrap();
    panic!("boom")
}

async fn value_after(d: u64) -> u8 {
    let _ = ferrio::sleep(secs(d)).await;
    2
}

#[ferrio::test]
async fn a_panicking_first_finisher_is_the_outcome() {
    type Boxed = std::pin::Pin<Box<dyn std::future::Future<Output = u8>>>;
    let contenders: Vec<Boxed> = vec![Box::pin(boom_after(1)), Box::pin(value_after(2))];
    match race(contenders).await {
        Err(RaceError::Child(e)) => assert!(e.is_panic()),
        other => panic!("{other:?}"),
    }
}

#[ferrio::test]
async fn first_ok_skips_failures_and_cancels_the_rest() {
    let log: Log = Rc::default();
    let start = ferrio::now();
    let v = first_ok([
        contender(log.clone(), "a", 1, 0, Err("503")),
        contender(log.clone(), "b", 2, 1, Ok("b")),
        contender(log.clone(), "c", 4, 1, Ok("c")),
    ])
    .await
    .unwrap();
    assert_eq!(v, "b");
    assert_eq!(ferrio::now() - start, secs(3));
    assert_eq!(
        *log.borrow(),
        [format!("c cleaned up at {:?}", start + secs(3))]
    );
}

#[ferrio::test]
async fn first_ok_reports_every_failure_in_input_order() {
    let log: Log = Rc::default();
    let err = first_ok([
        contender(log.clone(), "a", 3, 0, Err("a")),
        contender(log.clone(), "b", 1, 0, Err("b")),
        contender(log.clone(), "c", 2, 0, Err("c")),
    ])
    .await
    .unwrap_err();
    let names: Vec<_> = err
        .failures()
        .unwrap()
        .iter()
        .map(|f| match f {
            Failure::Error(Error::Down(n)) => *n,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    let none: Vec<std::future::Ready<Result<(), ()>>> = Vec::new();
    let empty = first_ok(none).await.unwrap_err();
    assert!(empty.failures().unwrap().is_empty());
}

#[ferrio::test]
async fn cancelling_the_caller_cancels_every_contender_and_waits() {
    let log: Log = Rc::default();
    let l = log.clone();
    let caller = ferrio::spawn(async move {
        match first_ok([
            contender(l.clone(), "a", 10, 1, Ok("a")),
            contender(l.clone(), "b", 10, 3, Ok("b")),
        ])
        .await
        {
            Err(FirstOkError::Cancelled(c)) => Err(c),
            other => panic!("{other:?}"),
        }
    });
    let l = log.clone();
    let racer = ferrio::spawn(async move {
        match race([contender(l.clone(), "x", 10, 2, Ok("x"))]).await {
            Err(RaceError::Cancelled(c)) => Err::<(), _>(c),
            other => panic!("{other:?}"),
        }
    });
    ferrio::sleep(secs(1)).await.unwrap();
    let at = ferrio::now();
    caller.cancel();
    racer.cancel();
    let caller: Result<Result<&str, _>, _> = caller.await;
    assert!(caller.unwrap_err().is_cancelled());
    assert!(racer.await.unwrap_err().is_cancelled());
    assert_eq!(ferrio::now() - at, secs(3));
    assert_eq!(log.borrow().len(), 3);
}
