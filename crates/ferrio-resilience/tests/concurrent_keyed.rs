//! `KeyedSemaphore`: at most k per key, keys independent, entries freed,
//! and a cancelled waiter takes nothing.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ferrio_resilience::concurrent::{map_concurrent, KeyedSemaphore, Order};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[ferrio::test]
async fn at_most_k_per_host_within_a_global_limit() {
    let per_host = KeyedSemaphore::new(2);
    let peak: Rc<RefCell<std::collections::HashMap<&str, (usize, usize)>>> = Rc::default();
    let urls: Vec<(&str, u32)> = (0..30)
        .map(|i| (["a", "b", "c"][i % 3], i as u32))
        .collect();
    let start = ferrio::now();
    let (ph, pk) = (per_host.clone(), peak.clone());
    let mut out = map_concurrent(urls, 9, Order::Completion, move |(host, _)| {
        let (ph, pk) = (ph.clone(), pk.clone());
        async move {
            let permit = ph.acquire(host).await?;
            assert_eq!(*permit.key(), host);
            {
                let mut p = pk.borrow_mut();
                let e = p.entry(host).or_default();
                e.0 += 1;
                e.1 = e.1.max(e.0);
            }
            ferrio::sleep(secs(1)).await?;
            pk.borrow_mut().get_mut(host).unwrap().0 -= 1;
            Ok::<_, ferrio::Cancelled>(())
        }
    });
    while let Some(r) = out.next().await {
        r.unwrap().unwrap();
    }
    for host in ["a", "b", "c"] {
        assert_eq!(peak.borrow()[host].1, 2, "host {host}");
    }
    // 10 requests per host, 2 at a time, 1 s each.
    assert_eq!(ferrio::now() - start, secs(5));
    assert_eq!(per_host.keys(), 0, "no entry left behind");
}

#[ferrio::test]
async fn a_cancelled_waiter_takes_nothing_and_leaves_no_entry() {
    let sem: KeyedSemaphore<String> = KeyedSemaphore::new(1);
    let held = sem.acquire("h".to_string()).await.unwrap();
    assert_eq!(sem.in_use(&"h".to_string()), 1);
    assert!(sem.try_acquire("h".to_string()).is_none());
    let s = sem.clone();
    let waiter = ferrio::spawn(async move { s.acquire("h".to_string()).await.map(drop) });
    ferrio::yield_now().await.unwrap();
    waiter.cancel();
    assert!(waiter.await.unwrap_err().is_cancelled());
    assert_eq!(sem.keys(), 1);
    drop(held);
    assert_eq!(sem.keys(), 0);
    // The permit the cancelled waiter did not take is free.
    let again = sem.try_acquire("h".to_string()).unwrap();
    assert_eq!(sem.in_use(&"h".to_string()), 1);
    drop(again);
    assert_eq!(sem.keys(), 0);
}

#[ferrio::test]
async fn waiters_of_one_key_are_served_in_order() {
    let sem = KeyedSemaphore::new(1);
    let order: Rc<RefCell<Vec<u32>>> = Rc::default();
    let first = sem.acquire("k").await.unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let (sem, order) = (sem.clone(), order.clone());
            ferrio::spawn(async move {
                let _p = sem.acquire("k").await.unwrap();
                order.borrow_mut().push(i);
                ferrio::sleep(secs(1)).await.unwrap();
            })
        })
        .collect();
    ferrio::yield_now().await.unwrap();
    drop(first);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.borrow(), [0, 1, 2, 3]);
}
