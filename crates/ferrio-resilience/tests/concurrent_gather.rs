//! `gather_limited` and `try_gather_limited` on the virtual clock: order,
//! limits, the first error stopping the rest (with their cleanup awaited),
//! panics, and the caller's cancellation.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use ferrio::{Cancelled, JoinError};
use ferrio_resilience::concurrent::{gather_limited, try_gather_limited, TryGatherError};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[derive(Debug)]
enum Error {
    Bad(u64),
    Cancelled(#[allow(dead_code)] Cancelled),
}

#[ferrio::test]
async fn values_in_input_order_with_at_most_limit_running() {
    let running = Rc::new(Cell::new(0));
    let max = Rc::new(Cell::new(0));
    let start = ferrio::now();
    let (r, m) = (running.clone(), max.clone());
    let values = gather_limited((0..9u64).rev(), 3, move |i| {
        let (r, m) = (r.clone(), m.clone());
        async move {
            r.set(r.get() + 1);
            m.set(m.get().max(r.get()));
            ferrio::sleep(secs(1)).await.unwrap();
            r.set(r.get() - 1);
            i
        }
    })
    .await
    .unwrap();
    assert_eq!(values, [8, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert_eq!(max.get(), 3);
    assert_eq!(ferrio::now() - start, secs(3));
}

#[ferrio::test]
async fn the_first_error_in_time_stops_the_rest_and_awaits_their_cleanup() {
    let cleaned: Rc<RefCell<Vec<u64>>> = Rc::default();
    let started: Rc<RefCell<Vec<u64>>> = Rc::default();
    let start = ferrio::now();
    let (c, s) = (cleaned.clone(), started.clone());
    // Item 3 fails at 1 s; items 0-2 take 10 s; 4 more wait to start.
    let err = try_gather_limited(0..8u64, 4, move |i| {
        let (c, s) = (c.clone(), s.clone());
        async move {
            s.borrow_mut().push(i);
            let d = if i == 3 { 1 } else { 10 };
            if let Err(cancelled) = ferrio::sleep(secs(d)).await {
                ferrio::sleep(secs(2)).await.unwrap();
                c.borrow_mut().push(i);
                return Err(Error::Cancelled(cancelled));
            }
            if i == 3 {
                Err(Error::Bad(i))
            } else {
                Ok(i)
            }
        }
    })
    .await
    .unwrap_err();
    match err {
        TryGatherError::Failed {
            index: 3,
            error: Error::Bad(3),
        } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        ferrio::now() - start,
        secs(3),
        "failed at 1 s, then 2 s of cleanup"
    );
    assert_eq!(
        *started.borrow(),
        [0, 1, 2, 3],
        "nothing started after the failure"
    );
    let mut cleaned = cleaned.borrow().clone();
    cleaned.sort();
    assert_eq!(cleaned, [0, 1, 2]);
}

#[ferrio::test]
async fn all_ok_collects_everything() {
    let values = try_gather_limited(0..50u32, 7, |i| async move {
        ferrio::sleep(Duration::from_millis(u64::from(50 - i)))
            .await
            .unwrap();
        Ok::<_, Error>(i * 2)
    })
    .await
    .unwrap();
    assert_eq!(values, (0..50).map(|i| i * 2).collect::<Vec<_>>());
}

#[ferrio::test]
async fn a_panic_stops_the_gather() {
    let started = Rc::new(Cell::new(0));
    let s = started.clone();
    let err = gather_limited(0..100u32, 2, move |i| {
        s.set(s.get() + 1);
        async move {
            ferrio::sleep(secs(1)).await.unwrap();
            assert!(i != 3, "bad item");
            i
        }
    })
    .await
    .unwrap_err();
    assert!(err.is_panic());
    assert!(
        started.get() <= 6,
        "stopped after the panic, started {}",
        started.get()
    );
}

#[ferrio::test]
async fn cancelling_the_caller_cancels_the_children_and_waits() {
    let cleaned = Rc::new(Cell::new(0));
    let c = cleaned.clone();
    let caller = ferrio::spawn(async move {
        let r = try_gather_limited(0..10u64, 3, move |_| {
            let c = c.clone();
            async move {
                if let Err(cancelled) = ferrio::sleep(secs(60)).await {
                    ferrio::sleep(secs(1)).await.unwrap();
                    c.set(c.get() + 1);
                    return Err(Error::Cancelled(cancelled));
                }
                Ok(())
            }
        })
        .await;
        match r {
            Err(TryGatherError::Join(JoinError::Cancelled(c))) => Err::<(), _>(c),
            other => panic!("{other:?}"),
        }
    });
    ferrio::sleep(secs(1)).await.unwrap();
    let at = ferrio::now();
    caller.cancel();
    assert!(caller.await.unwrap_err().is_cancelled());
    assert_eq!(ferrio::now() - at, secs(1));
    assert_eq!(cleaned.get(), 3);
}
