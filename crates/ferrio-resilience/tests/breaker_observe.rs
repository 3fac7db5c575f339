//! Observing a breaker (callback and stream), cancellation not counted,
//! timeouts counted, and the per-key registry.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use ferrio::{Cancelled, TimeoutError};
use ferrio_resilience::breaker::{
    BreakerConfig, BreakerRegistry, CircuitBreaker, CircuitState, Transition,
};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[derive(Debug)]
enum Error {
    Timeout(#[allow(dead_code)] TimeoutError),
    Cancelled(#[allow(dead_code)] Cancelled),
}

#[ferrio::test]
async fn callbacks_and_the_stream_see_every_transition_in_order() {
    let b = CircuitBreaker::new(
        BreakerConfig::default()
            .consecutive_failures(1)
            .cool_down(secs(10)),
    );
    let seen: Rc<RefCell<Vec<(CircuitState, CircuitState, Duration)>>> = Rc::default();
    let start = ferrio::now();
    let s = seen.clone();
    let b2 = b.clone();
    b.on_state_change(move |t: &Transition| {
        // The breaker is usable from inside the callback.
        assert_eq!(b2.stats().state, t.to);
        s.borrow_mut().push((t.from, t.to, t.at - start));
    });
    let mut changes = b.state_changes();
    let _ = b.call(|| async { Err::<(), _>("down") }).await;
    ferrio::sleep(secs(10)).await.unwrap();
    let _ = b.call(|| async { Err::<(), _>("still down") }).await;
    ferrio::sleep(secs(10)).await.unwrap();
    b.call(|| async { Ok::<_, &str>(()) }).await.unwrap();
    use CircuitState::*;
    let expected = [
        (Closed, Open, secs(0)),
        (Open, HalfOpen, secs(10)),
        (HalfOpen, Open, secs(10)),
        (Open, HalfOpen, secs(20)),
        (HalfOpen, Closed, secs(20)),
    ];
    assert_eq!(*seen.borrow(), expected);
    for (from, to, at) in expected {
        let t = changes.next().await;
        assert_eq!((t.from, t.to, t.at - start), (from, to, at));
    }
    assert_eq!(changes.missed(), 0);
}

#[ferrio::test]
async fn a_slow_stream_reader_loses_the_oldest_not_memory() {
    let b = CircuitBreaker::new(BreakerConfig::default().consecutive_failures(1));
    let mut changes = b.state_changes();
    for _ in 0..50 {
        b.trip();
        b.reset();
    }
    assert_eq!(changes.missed(), 100 - 64);
    assert_eq!(changes.next().await.to, CircuitState::Open);
}

#[ferrio::test]
async fn a_cancelled_call_is_not_counted_and_its_cleanup_runs() {
    let b = CircuitBreaker::new(BreakerConfig::default().consecutive_failures(1));
    let cleaned = Rc::new(RefCell::new(false));
    let c = cleaned.clone();
    let b2 = b.clone();
    let caller = ferrio::spawn(async move {
        b2.call(|| async move {
            if let Err(cancelled) = ferrio::sleep(secs(60)).await {
                ferrio::sleep(secs(1)).await.unwrap();
                *c.borrow_mut() = true;
                return Err(Error::Cancelled(cancelled));
            }
            Ok(())
        })
        .await
    });
    ferrio::sleep(secs(1)).await.unwrap();
    caller.cancel();
    let outcome = caller.await;
    // The caller's own cancellation came back inside its output, so it ended cancelled.
    assert!(outcome.unwrap_err().is_cancelled());
    assert!(*cleaned.borrow());
    assert_eq!(
        b.state(),
        CircuitState::Closed,
        "a cancellation is not a failure"
    );
    assert_eq!(b.stats().consecutive_failures, 0);
}

#[ferrio::test]
async fn a_timeout_inside_the_call_counts_as_a_failure() {
    let b = CircuitBreaker::new(BreakerConfig::default().consecutive_failures(1));
    let r = b
        .call(|| async {
            ferrio::timeout(secs(2), async {
                ferrio::sleep(secs(60)).await.map_err(Error::Cancelled)?;
                Ok::<_, Error>(())
            })
            .await
            .map_err(Error::Timeout)?
        })
        .await;
    assert!(matches!(r.unwrap_err().failed(), Some(Error::Timeout(_))));
    assert_eq!(b.state(), CircuitState::Open);
}

#[ferrio::test]
async fn the_registry_keeps_one_breaker_per_key() {
    let registry: BreakerRegistry<String> = BreakerRegistry::with_config(|host: &String| {
        let n = if host.starts_with("fragile") { 1 } else { 3 };
        BreakerConfig::default().consecutive_failures(n)
    });
    let _ = registry
        .get("fragile.example")
        .call(|| async { Err::<(), _>(()) })
        .await;
    let _ = registry
        .get("sturdy.example")
        .call(|| async { Err::<(), _>(()) })
        .await;
    assert_eq!(registry.get("fragile.example").state(), CircuitState::Open);
    assert_eq!(registry.get("sturdy.example").state(), CircuitState::Closed);
    assert_eq!(
        registry.get("sturdy.example").stats().consecutive_failures,
        1
    );
    assert_eq!(registry.len(), 2);
    registry.retain(|_, b| b.state() == CircuitState::Open);
    assert_eq!(registry.len(), 1);
    assert!(registry.remove("fragile.example").is_some());
    assert!(registry.is_empty());
}

#[ferrio::test]
async fn a_cancelled_trial_call_frees_its_slot_and_decides_nothing() {
    let b = CircuitBreaker::new(
        BreakerConfig::default()
            .consecutive_failures(1)
            .cool_down(secs(5)),
    );
    let _ = b.call(|| async { Err::<(), _>("down") }).await;
    ferrio::sleep(secs(5)).await.unwrap();
    let b2 = b.clone();
    let trial = ferrio::spawn(async move {
        b2.call(|| async {
            ferrio::sleep(secs(60)).await.map_err(Error::Cancelled)?;
            Ok::<_, Error>(())
        })
        .await
    });
    ferrio::sleep(secs(1)).await.unwrap();
    assert_eq!(b.stats().trials_in_flight, 1);
    assert!(b.try_acquire().is_err(), "the only trial slot is taken");
    trial.cancel();
    assert!(trial.await.unwrap_err().is_cancelled());
    assert_eq!(
        b.state(),
        CircuitState::HalfOpen,
        "a cancellation decides nothing"
    );
    assert_eq!(b.stats().trials_in_flight, 0);
    b.call(|| async { Ok::<_, Error>(()) }).await.unwrap();
    assert_eq!(b.state(), CircuitState::Closed);
}
