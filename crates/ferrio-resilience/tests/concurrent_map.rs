//! `map_concurrent` on the virtual clock: its bounds, its orders, lazy
//! input, stopping, child panics, and the reader's cancellation.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use ferrio::{Cancelled, JoinError};
use ferrio_resilience::concurrent::{map_concurrent, Order};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Counts children running now, and the most ever.
#[derive(Default)]
struct Gauge {
    now: Cell<usize>,
    max: Cell<usize>,
}

impl Gauge {
    fn enter(&self) {
        self.now.set(self.now.get() + 1);
        self.max.set(self.max.get().max(self.now.get()));
    }

    fn exit(&self) {
        self.now.set(self.now.get() - 1);
    }
}

#[ferrio::test]
async fn input_order_with_exact_timing() {
    let start = ferrio::now();
    let durations = [5u64, 1, 1, 1, 3, 1];
    let mut out = map_concurrent(durations, 2, Order::Input, |d| async move {
        ferrio::sleep(secs(d)).await.unwrap();
        (d, ferrio::now() - start)
    });
    let mut got = Vec::new();
    while let Some(r) = out.next().await {
        got.push((r.unwrap(), ferrio::now() - start));
    }
    // At most 2 outstanding: item 1 finishes at 1 s but is held behind
    // item 0 (5 s), so nothing else starts until item 0 is read at 5 s.
    assert_eq!(
        got,
        [
            ((5, secs(5)), secs(5)),
            ((1, secs(1)), secs(5)),
            ((1, secs(6)), secs(6)),
            ((1, secs(6)), secs(6)),
            ((3, secs(9)), secs(9)),
            ((1, secs(7)), secs(9)),
        ]
    );
}

#[ferrio::test]
async fn max_held_lets_results_queue_behind_a_slow_head() {
    let start = ferrio::now();
    let durations = [5u64, 1, 1, 1, 3, 1];
    let mut out = map_concurrent(durations, 2, Order::Input, |d| async move {
        ferrio::sleep(secs(d)).await.unwrap();
        (d, ferrio::now() - start)
    })
    .max_held(4);
    let mut got = Vec::new();
    while let Some(r) = out.next().await {
        got.push((r.unwrap(), ferrio::now() - start));
        assert!(out.running() <= 2 && out.outstanding() <= 4);
    }
    // Two run at once; up to four outstanding: items 1-3 run one after the
    // other beside item 0 and wait for it, finished.
    assert_eq!(
        got,
        [
            ((5, secs(5)), secs(5)),
            ((1, secs(1)), secs(5)),
            ((1, secs(2)), secs(5)),
            ((1, secs(3)), secs(5)),
            ((3, secs(8)), secs(8)),
            ((1, secs(6)), secs(8)),
        ]
    );
}

#[ferrio::test]
async fn completion_order_yields_as_they_finish() {
    let start = ferrio::now();
    let mut out = map_concurrent([3u64, 1, 2, 1], 3, Order::Completion, |d| async move {
        ferrio::sleep(secs(d)).await.unwrap();
        d
    });
    let mut got = Vec::new();
    while let Some(r) = out.next().await {
        got.push((r.unwrap(), ferrio::now() - start));
    }
    // 3, 1, 2 start at 0; the last 1 starts when the first 1 is read (1 s).
    assert_eq!(
        got,
        [(1, secs(1)), (2, secs(2)), (1, secs(2)), (3, secs(3))]
    );
}

#[ferrio::test]
async fn never_more_than_limit_running_or_held_with_a_slow_reader() {
    let gauge = Rc::new(Gauge::default());
    let pulled = Rc::new(Cell::new(0usize));
    let p = pulled.clone();
    let items = (0..200u64).inspect(move |_| p.set(p.get() + 1));
    let g = gauge.clone();
    let mut out = map_concurrent(items, 8, Order::Completion, move |i| {
        let g = g.clone();
        async move {
            g.enter();
            ferrio::sleep(Duration::from_millis(1 + i % 7))
                .await
                .unwrap();
            g.exit();
            i
        }
    });
    let mut read = 0;
    while let Some(r) = out.next().await {
        r.unwrap();
        read += 1;
        assert!(out.outstanding() <= 8);
        // The reader is slow: meanwhile the children finish and wait, held.
        ferrio::sleep(Duration::from_millis(20)).await.unwrap();
        assert!(
            pulled.get() <= read + 8,
            "items are taken only as results are read"
        );
        assert!(gauge.now.get() <= 8 && out.held() <= 8);
        assert_eq!(out.running() + out.held(), out.outstanding());
    }
    assert_eq!(read, 200);
    assert_eq!(gauge.max.get(), 8);
}

#[ferrio::test]
async fn children_run_while_the_reader_is_busy() {
    let start = ferrio::now();
    let mut out = map_concurrent(0..4u64, 4, Order::Input, |_| async {
        ferrio::sleep(secs(1)).await.unwrap();
        ferrio::now()
    });
    let first = out.next().await.unwrap().unwrap();
    // Busy for 10 s; the other three finished at 1 s regardless.
    ferrio::sleep(secs(10)).await.unwrap();
    for _ in 0..3 {
        assert_eq!(out.next().await.unwrap().unwrap() - start, secs(1));
    }
    assert_eq!(first - start, secs(1));
    assert!(out.next().await.is_none());
}

#[ferrio::test]
async fn a_panicking_child_is_an_error_item_and_the_rest_go_on() {
    let mut out = map_concurrent(0..5u32, 2, Order::Input, |i| async move {
        ferrio::yield_now().await.unwrap();
        assert!(i != 2, "item 2 is broken");
        i
    });
    let mut got = Vec::new();
    while let Some(r) = out.next().await {
        got.push(r.map_err(|e| e.is_panic()));
    }
    assert_eq!(got, [Ok(0), Ok(1), Err(true), Ok(3), Ok(4)]);
}

type Log = Rc<RefCell<Vec<String>>>;

async fn slow_child(log: Log, i: u64) -> Result<u64, Cancelled> {
    match ferrio::sleep(secs(10 + i)).await {
        Ok(()) => Ok(i),
        Err(c) => {
            ferrio::sleep(secs(1)).await.unwrap();
            log.borrow_mut()
                .push(format!("{i} cleaned at {:?}", ferrio::now()));
            Err(c)
        }
    }
}

#[ferrio::test]
async fn a_timed_out_read_loses_nothing() {
    let start = ferrio::now();
    let mut out = map_concurrent([3u64, 1], 2, Order::Input, |d| async move {
        ferrio::sleep(secs(d)).await.unwrap();
        d
    });
    // Nothing is ready within 2 s: the read times out...
    assert!(ferrio::timeout(secs(2), out.next()).await.is_err());
    assert_eq!(out.outstanding(), 2, "...and the children run on");
    // ...and reading again goes on where it was.
    assert_eq!(out.next().await.unwrap().unwrap(), 3);
    assert_eq!(ferrio::now() - start, secs(3));
    assert_eq!(out.next().await.unwrap().unwrap(), 1);
}

#[ferrio::test]
async fn stop_cancels_the_running_children_and_yields_their_ends() {
    let log: Log = Rc::default();
    let l = log.clone();
    let start = ferrio::now();
    let mut out = map_concurrent(0..100u64, 3, Order::Completion, move |i| {
        slow_child(l.clone(), i)
    });
    assert!(ferrio::timeout(secs(2), out.next()).await.is_err());
    out.stop();
    let mut ends = 0;
    while let Some(r) = out.next().await {
        assert!(r.unwrap_err().is_cancelled(), "each ended cancelled");
        ends += 1;
    }
    assert_eq!(
        ends, 3,
        "only the three running children; none started after"
    );
    assert_eq!(
        ferrio::now() - start,
        secs(3),
        "their one-second cleanup was waited for"
    );
    assert_eq!(log.borrow().len(), 3);
}

#[ferrio::test]
async fn a_cancelled_reader_gets_its_cancellation_and_can_stop_and_wait() {
    let log: Log = Rc::default();
    let l = log.clone();
    let reader = ferrio::spawn(async move {
        let mut out = map_concurrent(0..100u64, 4, Order::Input, move |i| {
            slow_child(l.clone(), i)
        });
        while let Some(r) = out.next().await {
            match r {
                Ok(_) => {}
                // The reader's own cancellation: wait for the children, then propagate it.
                Err(JoinError::Cancelled(c)) => {
                    out.stop();
                    while out.next().await.is_some() {}
                    return Err(c);
                }
                Err(e) => panic!("{e}"),
            }
        }
        Ok(())
    });
    ferrio::sleep(secs(5)).await.unwrap();
    let cancelled_at = ferrio::now();
    reader.cancel();
    assert!(reader.await.unwrap_err().is_cancelled());
    assert_eq!(
        ferrio::now() - cancelled_at,
        secs(1),
        "waited for the children's cleanup"
    );
    assert_eq!(log.borrow().len(), 4);
    ferrio::sleep(secs(100)).await.unwrap();
    assert_eq!(log.borrow().len(), 4, "nothing else ever started");
}

#[ferrio::test]
async fn a_reader_propagating_its_cancellation_cancels_the_children() {
    let log: Log = Rc::default();
    let l = log.clone();
    let reader = ferrio::spawn(async move {
        let mut out = map_concurrent(0..100u64, 2, Order::Input, move |i| {
            slow_child(l.clone(), i)
        });
        while let Some(r) = out.next().await {
            if let Err(JoinError::Cancelled(c)) = r {
                return Err(c); // drops the stream
            }
        }
        Ok(())
    });
    ferrio::sleep(secs(5)).await.unwrap();
    reader.cancel();
    assert!(reader.await.unwrap_err().is_cancelled());
    assert!(log.borrow().is_empty(), "dropping does not wait");
    ferrio::sleep(secs(5)).await.unwrap();
    assert_eq!(
        log.borrow().len(),
        2,
        "the children were cancelled and cleaned up, detached"
    );
}

#[ferrio::test]
async fn an_empty_input_ends_at_once() {
    let mut out = map_concurrent(Vec::<u32>::new(), 4, Order::Input, |i| async move { i });
    assert!(out.next().await.is_none());
    assert!(out.next().await.is_none());
}
