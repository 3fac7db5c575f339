//! Property tests: whatever the durations, limits and reader pace,
//! `map_concurrent` never runs more than `limit` children, never holds more
//! than `max_held` outstanding, yields every item exactly once, and in
//! input order when asked.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use ferrio_resilience::concurrent::{map_concurrent, Order};
use proptest::prelude::*;

fn check(
    durations: Vec<u64>,
    reads: Vec<u64>,
    limit: usize,
    max_held: usize,
    order: Order,
) -> Result<(), TestCaseError> {
    let n = durations.len();
    ferrio::EventLoop::builder()
        .virtual_clock(true)
        .build()
        .unwrap()
        .run_until_complete(async move {
            let running = Rc::new(Cell::new(0usize));
            let max_running = Rc::new(Cell::new(0usize));
            let started = Rc::new(Cell::new(0usize));
            let (r, m, s) = (running.clone(), max_running.clone(), started.clone());
            let mut out = map_concurrent(
                durations.into_iter().enumerate(),
                limit,
                order,
                move |(i, d)| {
                    let (r, m) = (r.clone(), m.clone());
                    s.set(s.get() + 1);
                    async move {
                        r.set(r.get() + 1);
                        m.set(m.get().max(r.get()));
                        ferrio::sleep(Duration::from_millis(d)).await.unwrap();
                        r.set(r.get() - 1);
                        i
                    }
                },
            )
            .max_held(max_held);
            let mut seen = Vec::new();
            let mut pace = reads.into_iter().cycle();
            while let Some(outcome) = out.next().await {
                seen.push(outcome.unwrap());
                prop_assert!(
                    running.get() <= limit,
                    "{} running > {}",
                    running.get(),
                    limit
                );
                prop_assert!(out.outstanding() <= max_held.max(1));
                prop_assert!(
                    started.get() <= seen.len() + max_held,
                    "started ahead of the reader"
                );
                let wait = pace.next().unwrap_or(0);
                if wait > 0 {
                    ferrio::sleep(Duration::from_millis(wait)).await.unwrap();
                }
                prop_assert!(out.held() <= max_held);
            }
            prop_assert!(max_running.get() <= limit);
            let mut sorted = seen.clone();
            sorted.sort();
            prop_assert_eq!(
                &sorted,
                &(0..n).collect::<Vec<_>>(),
                "every item exactly once"
            );
            if order == Order::Input {
                prop_assert_eq!(&seen, &sorted, "input order");
            }
            Ok(())
        })
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn the_map_never_exceeds_its_limits(
        durations in prop::collection::vec(0u64..50, 0..80),
        reads in prop::collection::vec(0u64..30, 1..10),
        limit in 1usize..10,
        extra in 0usize..6,
        input_order in any::<bool>(),
    ) {
        let order = if input_order { Order::Input } else { Order::Completion };
        check(durations, reads, limit, limit + extra, order)?;
    }

    #[test]
    fn a_held_bound_below_the_limit_bounds_everything(
        durations in prop::collection::vec(0u64..50, 0..60),
        reads in prop::collection::vec(0u64..30, 1..10),
        limit in 2usize..10,
        held in 1usize..3,
    ) {
        check(durations, reads, limit, held, Order::Input)?;
    }
}
