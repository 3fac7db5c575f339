//! A cancelled waiter takes no permits: in the queue, at its head, and
//! under an enclosing timeout.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ferrio_resilience::limiter::{AcquireError, RateLimiter};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn waiter(
    limiter: RateLimiter,
    n: u32,
    name: &'static str,
    log: Rc<RefCell<Vec<(&'static str, Duration)>>>,
) -> Result<(), AcquireError> {
    let start = ferrio::now();
    limiter.acquire(n).await?;
    log.borrow_mut().push((name, ferrio::now() - start));
    Ok(())
}

#[ferrio::test]
async fn cancelling_the_head_passes_its_turn_and_takes_nothing() {
    let limiter = RateLimiter::per_second(10, 10);
    limiter.acquire(10).await.unwrap();
    let log: Rc<RefCell<Vec<_>>> = Rc::default();
    let head = ferrio::spawn(waiter(limiter.clone(), 10, "head", log.clone()));
    ferrio::yield_now().await.unwrap();
    let next = ferrio::spawn(waiter(limiter.clone(), 3, "next", log.clone()));
    ferrio::sleep(ms(200)).await.unwrap();
    head.cancel();
    assert!(head.await.unwrap_err().is_cancelled());
    next.await.unwrap().unwrap();
    // "next" needed 3 tokens: 300 ms after the start, as if "head" had never asked.
    assert_eq!(*log.borrow(), [("next", ms(300))]);
    assert_eq!(limiter.waiting(), 0);
}

#[ferrio::test]
async fn cancelling_a_queued_waiter_takes_nothing() {
    let limiter = RateLimiter::per_second(10, 10);
    limiter.acquire(10).await.unwrap();
    let log: Rc<RefCell<Vec<_>>> = Rc::default();
    let first = ferrio::spawn(waiter(limiter.clone(), 1, "first", log.clone()));
    ferrio::yield_now().await.unwrap();
    let middle = ferrio::spawn(waiter(limiter.clone(), 5, "middle", log.clone()));
    ferrio::yield_now().await.unwrap();
    let last = ferrio::spawn(waiter(limiter.clone(), 1, "last", log.clone()));
    ferrio::yield_now().await.unwrap();
    middle.cancel();
    assert!(middle.await.unwrap_err().is_cancelled());
    first.await.unwrap().unwrap();
    last.await.unwrap().unwrap();
    // The cancelled "middle" left the queue: "last" got the second token.
    assert_eq!(*log.borrow(), [("first", ms(100)), ("last", ms(200))]);
    ferrio::sleep(ms(800)).await.unwrap();
    assert_eq!(limiter.available(), 8, "the cancelled 5 were never taken");
}

#[ferrio::test]
async fn a_timeout_around_acquire_takes_nothing() {
    let limiter = RateLimiter::per_second(1, 1);
    limiter.acquire(1).await.unwrap();
    let start = ferrio::now();
    let outcome = ferrio::timeout(ms(500), limiter.acquire(1)).await;
    assert!(outcome.is_err(), "timed out: {outcome:?}");
    assert_eq!(ferrio::now() - start, ms(500));
    // The token due at 1 s is still there.
    ferrio::sleep(ms(500)).await.unwrap();
    limiter.try_acquire(1).unwrap();
}

#[ferrio::test]
async fn an_owned_acquire_moves_into_a_task_and_cancels_cleanly() {
    let limiter = RateLimiter::per_second(2, 1);
    limiter.acquire(1).await.unwrap();
    let waits: Vec<_> = (0..3)
        .map(|_| {
            let acquire = limiter.acquire_owned(1);
            ferrio::spawn(async move {
                acquire.await?;
                Ok::<_, AcquireError>(ferrio::now())
            })
        })
        .collect();
    let start = ferrio::now();
    ferrio::yield_now().await.unwrap();
    assert_eq!(limiter.waiting(), 3);
    let mut waits = waits.into_iter();
    let first = waits.next().unwrap();
    let second = waits.next().unwrap();
    let third = waits.next().unwrap();
    second.cancel();
    assert!(second.await.unwrap_err().is_cancelled());
    assert_eq!(first.await.unwrap().unwrap() - start, ms(500));
    // The cancelled one took nothing: the third is served next, at 1 s.
    assert_eq!(third.await.unwrap().unwrap() - start, ms(1000));
}
