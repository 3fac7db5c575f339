//! Stress: 10,000 `to_thread` calls, all in flight at once on the default
//! pool: each result comes back to its awaiter, and the pool stays within
//! its bound.

use ferrio::blocking;

const CALLS: u64 = 10_000;

#[test]
fn ten_thousand_to_thread_calls() {
    let (sum, stats) = ferrio::run(async {
        let calls: Vec<_> = (0..CALLS)
            .map(|i| ferrio::spawn(ferrio::to_thread(move || i * 3)))
            .collect();
        let mut sum = 0;
        for (i, call) in calls.into_iter().enumerate() {
            let value = call.await.unwrap().unwrap();
            assert_eq!(value, i as u64 * 3);
            sum += value;
        }
        (sum, blocking::default_pool().statistics())
    })
    .unwrap();
    assert_eq!(sum, 3 * CALLS * (CALLS - 1) / 2);
    assert_eq!(stats.completed, CALLS);
    assert!(stats.threads_started as usize <= stats.max_threads * CALLS as usize);
    assert!(stats.threads <= stats.max_threads);
}
