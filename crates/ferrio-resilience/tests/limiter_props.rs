//! Property tests: whatever the arrivals, a token bucket never grants more
//! than `burst + rate × time`, a sliding window never more than its limit
//! per window, every waiter is served, and in arrival order.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ferrio_resilience::limiter::RateLimiter;
use proptest::prelude::*;

/// Runs `requests` (arrival offset in ms, permits) against `limiter`, each
/// in its own task; returns (arrival index, grant time, permits) in grant
/// order.
fn run(limiter: RateLimiter, requests: &[(u64, u32)]) -> Vec<(usize, Duration, u32)> {
    let requests = requests.to_vec();
    ferrio::EventLoop::builder()
        .virtual_clock(true)
        .build()
        .unwrap()
        .run_until_complete(async move {
            let start: Instant = ferrio::now();
            let grants: Rc<RefCell<Vec<(usize, Duration, u32)>>> = Rc::default();
            let tasks: Vec<_> = requests
                .iter()
                .enumerate()
                .map(|(i, &(at, n))| {
                    let (limiter, grants) = (limiter.clone(), grants.clone());
                    ferrio::spawn(async move {
                        ferrio::sleep_until(start + Duration::from_millis(at))
                            .await
                            .unwrap();
                        limiter.acquire(n).await.unwrap();
                        grants.borrow_mut().push((i, ferrio::now() - start, n));
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
            let g = grants.borrow().clone();
            g
        })
        .unwrap()
}

/// Arrival order: by time, then by index (equal times keep spawn order).
fn arrival_order(requests: &[(u64, u32)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..requests.len()).collect();
    order.sort_by_key(|&i| (requests[i].0, i));
    order
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn token_bucket_never_exceeds_rate_times_time_plus_burst(
        rate in 1u32..50,
        per_ms in 1u64..3000,
        burst in 1u32..20,
        raw in prop::collection::vec((0u64..2000, 1u32..20), 1..40),
    ) {
        let requests: Vec<(u64, u32)> = raw.iter().map(|&(at, n)| (at, n.min(burst))).collect();
        let per = Duration::from_millis(per_ms);
        let grants = run(RateLimiter::token_bucket(rate, per, burst), &requests);
        prop_assert_eq!(grants.len(), requests.len(), "every waiter is served");
        let served: Vec<usize> = grants.iter().map(|g| g.0).collect();
        prop_assert_eq!(served, arrival_order(&requests), "first come, first served");
        // For every interval [t_i, t_j] between two grants: granted <= burst + rate·(t_j - t_i)/per.
        for i in 0..grants.len() {
            let mut sum: u128 = 0;
            for j in i..grants.len() {
                sum += u128::from(grants[j].2);
                let span = (grants[j].1 - grants[i].1).as_nanos();
                let allowed = u128::from(burst) * per.as_nanos() + u128::from(rate) * span;
                prop_assert!(
                    sum * per.as_nanos() <= allowed,
                    "granted {} in {:?}, rate {}/{:?} burst {}", sum, grants[j].1 - grants[i].1, rate, per, burst
                );
            }
        }
    }

    #[test]
    fn sliding_window_never_exceeds_its_limit_in_any_window(
        limit in 1u32..15,
        window_ms in 1u64..3000,
        raw in prop::collection::vec((0u64..4000, 1u32..15), 1..40),
    ) {
        let requests: Vec<(u64, u32)> = raw.iter().map(|&(at, n)| (at, n.min(limit))).collect();
        let window = Duration::from_millis(window_ms);
        let grants = run(RateLimiter::sliding_window(limit, window), &requests);
        prop_assert_eq!(grants.len(), requests.len());
        let served: Vec<usize> = grants.iter().map(|g| g.0).collect();
        prop_assert_eq!(served, arrival_order(&requests));
        // Any window [t, t + window) starting at a grant holds at most `limit`.
        for i in 0..grants.len() {
            let in_window: u32 = grants[i..]
                .iter()
                .take_while(|g| g.1 < grants[i].1 + window)
                .map(|g| g.2)
                .sum();
            prop_assert!(in_window <= limit, "{} permits within {:?} of {:?}", in_window, window, grants[i].1);
        }
    }
}
