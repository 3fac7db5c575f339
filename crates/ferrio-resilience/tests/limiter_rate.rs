//! Rate limiters over simulated time: exact counts over a minute with
//! bursts, FIFO fairness, `try_acquire`, and the sliding window.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ferrio_resilience::limiter::{AcquireError, RateLimiter, TryAcquireError};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Spawns `workers` tasks taking one permit at a time until `until`;
/// returns the grant times (offsets from the start), in order.
async fn hammer(limiter: &RateLimiter, workers: usize, until: Duration) -> Vec<Duration> {
    let start = ferrio::now();
    let grants: Rc<RefCell<Vec<Duration>>> = Rc::default();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (limiter, grants) = (limiter.clone(), grants.clone());
            ferrio::spawn(async move {
                loop {
                    if ferrio::now() - start > until {
                        return;
                    }
                    limiter.acquire(1).await.unwrap();
                    let at = ferrio::now() - start;
                    if at > until {
                        return;
                    }
                    grants.borrow_mut().push(at);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let grants = grants.borrow().clone();
    grants
}

#[ferrio::test]
async fn a_simulated_minute_grants_burst_plus_rate_times_time() {
    // 10 per second, burst 20; 50 workers pressing all minute.
    let limiter = RateLimiter::per_second(10, 20);
    let grants = hammer(&limiter, 50, secs(60)).await;
    // 20 at once, then one every 100 ms through 60 s inclusive.
    assert_eq!(grants.len(), 20 + 600);
    assert!(grants[..20].iter().all(|&t| t == Duration::ZERO));
    for (i, t) in grants[20..].iter().enumerate() {
        assert_eq!(*t, ms(100) * (i as u32 + 1));
    }
}

#[ferrio::test]
async fn idle_time_refills_up_to_the_burst_only() {
    let limiter = RateLimiter::per_second(5, 10);
    let start = ferrio::now();
    for _ in 0..10 {
        limiter.acquire(1).await.unwrap();
    }
    assert_eq!(ferrio::now(), start);
    // An idle minute refills 10 (the burst), not 300.
    ferrio::sleep(secs(60)).await.unwrap();
    assert_eq!(limiter.available(), 10);
    let burst_at = ferrio::now();
    for _ in 0..12 {
        limiter.acquire(1).await.unwrap();
    }
    // 10 at once, then 2 at 200 ms each.
    assert_eq!(ferrio::now() - burst_at, ms(400));
}

#[ferrio::test]
async fn bursts_between_pauses_over_a_minute() {
    // 2 per second, burst 6. Every 10 s, a burst of 8 requests.
    let limiter = RateLimiter::per_second(2, 6);
    let start = ferrio::now();
    let mut finished = Vec::new();
    for burst in 0..6u32 {
        ferrio::sleep_until(start + secs(10) * burst).await.unwrap();
        for _ in 0..8 {
            limiter.acquire(1).await.unwrap();
        }
        finished.push(ferrio::now() - start - secs(10) * burst);
    }
    // Each burst: 6 at once (refilled over the 9 s pause), 2 more at 500 ms each.
    assert_eq!(finished, [secs(1); 6]);
}

#[ferrio::test]
async fn waiters_are_served_in_arrival_order_and_a_large_one_is_not_starved() {
    let limiter = RateLimiter::per_second(10, 10);
    limiter.acquire(10).await.unwrap();
    let order: Rc<RefCell<Vec<(&str, Duration)>>> = Rc::default();
    let start = ferrio::now();
    let mut tasks = Vec::new();
    for (name, n) in [("big", 8), ("small-1", 1), ("small-2", 1)] {
        let (limiter, order) = (limiter.clone(), order.clone());
        tasks.push(ferrio::spawn(async move {
            limiter.acquire(n).await.unwrap();
            order.borrow_mut().push((name, ferrio::now() - start));
        }));
        ferrio::yield_now().await.unwrap();
    }
    assert_eq!(limiter.waiting(), 3);
    // A newcomer cannot barge in while others wait, even for one permit.
    ferrio::sleep(ms(150)).await.unwrap();
    assert!(matches!(
        limiter.try_acquire(1),
        Err(TryAcquireError::RateLimited { retry_at: None, .. })
    ));
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        *order.borrow(),
        [
            ("big", ms(800)),
            ("small-1", ms(900)),
            ("small-2", ms(1000))
        ]
    );
}

#[ferrio::test]
async fn try_acquire_says_when_to_come_back() {
    let limiter = RateLimiter::token_bucket(3, secs(1), 3);
    for _ in 0..3 {
        limiter.try_acquire(1).unwrap();
    }
    match limiter.try_acquire(2) {
        Err(TryAcquireError::RateLimited {
            retry_at: Some(at),
            retry_after: Some(after),
        }) => {
            assert_eq!(after, Duration::from_nanos(666_666_667));
            assert_eq!(at, ferrio::now() + after);
            ferrio::sleep_until(at).await.unwrap();
            limiter.try_acquire(2).unwrap();
        }
        other => panic!("{other:?}"),
    }
}

#[ferrio::test]
async fn a_request_larger_than_the_capacity_is_an_error_not_a_hang() {
    let limiter = RateLimiter::per_second(100, 10);
    match limiter.acquire(11).await {
        Err(AcquireError::ExceedsCapacity {
            requested: 11,
            capacity: 10,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        limiter.try_acquire(11),
        Err(TryAcquireError::ExceedsCapacity { .. })
    ));
    let err = limiter.acquire(11).await.unwrap_err();
    assert!(err.to_string().contains("raise its burst"));
}

#[ferrio::test]
async fn sliding_window_a_simulated_minute() {
    // At most 30 per rolling 10 s.
    let limiter = RateLimiter::sliding_window(30, secs(10));
    let grants = hammer(&limiter, 40, secs(60)).await;
    // 30 at 0, 10, 20, ..., 60 s: seven windows' worth.
    assert_eq!(grants.len(), 7 * 30);
    for (i, t) in grants.iter().enumerate() {
        assert_eq!(*t, secs(10) * (i as u32 / 30));
    }
}

#[ferrio::test]
async fn sliding_window_counts_every_grant_for_exactly_one_window() {
    let limiter = RateLimiter::sliding_window(3, secs(10));
    let start = ferrio::now();
    limiter.acquire(1).await.unwrap(); // 0 s
    ferrio::sleep(secs(4)).await.unwrap();
    limiter.acquire(2).await.unwrap(); // 4 s
                                       // Full until the first grant leaves at 10 s; then until 14 s for 2 more.
    limiter.acquire(1).await.unwrap();
    assert_eq!(ferrio::now() - start, secs(10));
    limiter.acquire(2).await.unwrap();
    assert_eq!(ferrio::now() - start, secs(14));
}
