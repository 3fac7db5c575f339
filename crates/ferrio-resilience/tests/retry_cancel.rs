//! Cancelling a retry loop: during a backoff sleep, during an attempt
//! (which is cancelled in turn and awaited), and from an enclosing timeout.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ferrio::Cancelled;
use ferrio_resilience::retry::{retry, RetryError, RetryPolicy, StopReason};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[derive(Debug)]
enum Error {
    Down,
    Cancelled(Cancelled),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Down => f.write_str("down"),
            Error::Cancelled(c) => write!(f, "{c}"),
        }
    }
}

impl From<Cancelled> for Error {
    fn from(c: Cancelled) -> Error {
        Error::Cancelled(c)
    }
}

type Log = Rc<RefCell<Vec<String>>>;

fn attempt(log: &Log, secs_each: u64) -> impl std::future::Future<Output = Result<(), Error>> {
    let log = log.clone();
    async move {
        let t = ferrio::now();
        log.borrow_mut().push("start".into());
        match ferrio::sleep(secs(secs_each)).await {
            Ok(()) => Err(Error::Down),
            Err(c) => {
                log.borrow_mut().push("cancelled".into());
                // Async cleanup, not interrupted.
                ferrio::sleep(secs(1)).await.unwrap();
                log.borrow_mut()
                    .push(format!("cleaned after {:?}", ferrio::now() - t));
                Err(Error::Cancelled(c))
            }
        }
    }
}

#[ferrio::test]
async fn cancelled_during_a_backoff_sleep_it_returns_at_once() {
    let log: Log = Rc::default();
    let l = log.clone();
    let task = ferrio::spawn(async move {
        retry(RetryPolicy::fixed(secs(3600)).max_attempts(5), || {
            attempt(&l, 1)
        })
        .await
    });
    ferrio::sleep(secs(10)).await.unwrap();
    let start = ferrio::now();
    task.cancel();
    let err = task.await.unwrap_err();
    assert!(err.is_cancelled(), "the task ends cancelled");
    assert_eq!(ferrio::now(), start, "no waiting for the hour-long sleep");
    assert_eq!(*log.borrow(), ["start"], "no further attempt");
}

#[ferrio::test]
async fn cancelled_during_an_attempt_it_cancels_the_attempt_and_awaits_its_cleanup() {
    let log: Log = Rc::default();
    let l = log.clone();
    let outcome: Rc<RefCell<Option<(u32, bool, usize)>>> = Rc::default();
    let o = outcome.clone();
    let task = ferrio::spawn(async move {
        let result = retry(RetryPolicy::fixed(secs(1)).max_attempts(5), || {
            attempt(&l, 60)
        })
        .await;
        let err = result.unwrap_err();
        *o.borrow_mut() = Some((err.attempts(), err.is_cancelled(), err.errors().len()));
        // Propagate the cancellation, as a caller should.
        Err::<(), _>(err.into_cancelled().unwrap())
    });
    ferrio::sleep(secs(5)).await.unwrap();
    let start = ferrio::now();
    task.cancel();
    assert!(task.await.unwrap_err().is_cancelled());
    assert_eq!(
        ferrio::now() - start,
        secs(1),
        "waited for the attempt's cleanup"
    );
    assert_eq!(*log.borrow(), ["start", "cancelled", "cleaned after 6s"]);
    assert_eq!(*outcome.borrow(), Some((1, true, 0)));
}

#[ferrio::test]
async fn an_enclosing_timeout_recognises_its_own_cancellation() {
    let log: Log = Rc::default();
    let l = log.clone();
    let start = ferrio::now();
    let outcome = ferrio::timeout(secs(10), async move {
        retry(RetryPolicy::fixed(secs(3)).max_attempts(100), || {
            attempt(&l, 3)
        })
        .await
    })
    .await;
    // Attempts at 0 and 6 failed; the deadline hit during the second
    // backoff sleep (9..12 s).
    assert!(outcome.is_err(), "the timeout reports its own expiry");
    assert_eq!(ferrio::now() - start, secs(10));
    assert_eq!(*log.borrow(), ["start", "start"]);
}

#[ferrio::test]
async fn a_cancellation_swallowed_by_the_attempt_lets_its_value_through() {
    let task = ferrio::spawn(async {
        retry(RetryPolicy::fixed(secs(1)), || async {
            // Ignores cancellation, finishes its work.
            let _ = ferrio::sleep(secs(60)).await;
            ferrio::sleep(secs(1)).await.unwrap();
            Ok::<_, Error>("finished anyway")
        })
        .await
        .map_err(|e: RetryError<Error>| e.attempts())
    });
    ferrio::sleep(secs(5)).await.unwrap();
    task.cancel();
    assert_eq!(task.await.unwrap().unwrap(), "finished anyway");
}

#[ferrio::test]
async fn a_pending_cancellation_prevents_the_first_attempt() {
    let log: Log = Rc::default();
    let l = log.clone();
    let task = ferrio::spawn(async move {
        // The request is pending when the loop is first polled.
        ferrio::task::current().unwrap().cancel();
        let err = retry(RetryPolicy::default(), || attempt(&l, 1))
            .await
            .unwrap_err();
        match err.reason() {
            StopReason::Cancelled(_) => Err::<(), Cancelled>(err.into_cancelled().unwrap()),
            other => panic!("expected cancellation, got {other:?}"),
        }
    });
    assert!(task.await.unwrap_err().is_cancelled());
    assert!(log.borrow().is_empty());
}
