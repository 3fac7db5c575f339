//! [`BreakerRegistry`]: one breaker per key (per host, per endpoint).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::rc::Rc;

use super::{BreakerConfig, CircuitBreaker};

/// Hands out one [`CircuitBreaker`] per key, created on first use, so that
/// a failing host opens its own breaker without stopping calls to the
/// others. Cheap to clone (clones share the map).
///
/// Memory grows with the number of keys; [`remove`](Self::remove) or
/// [`retain`](Self::retain) the ones no longer called.
///
/// ```
/// use ferrio_resilience::breaker::{BreakerConfig, BreakerRegistry, CircuitState};
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let breakers = BreakerRegistry::new(BreakerConfig::default().consecutive_failures(1));
///         let _ = breakers.get("a.example").call(|| async { Err::<(), _>("down") }).await;
///         assert_eq!(breakers.get("a.example").state(), CircuitState::Open);
///         assert_eq!(breakers.get("b.example").state(), CircuitState::Closed);
///         assert_eq!(breakers.len(), 2);
///     })
///     .unwrap();
/// ```
pub struct BreakerRegistry<K> {
    inner: Rc<Registry<K>>,
}

struct Registry<K> {
    breakers: RefCell<HashMap<K, CircuitBreaker>>,
    config: Box<dyn Fn(&K) -> BreakerConfig>,
}

impl<K: Hash + Eq + Clone> BreakerRegistry<K> {
    /// A registry whose breakers all use `config`.
    pub fn new(config: BreakerConfig) -> BreakerRegistry<K> {
        BreakerRegistry::with_config(move |_| config)
    }

    /// A registry that asks `config` for each new key's configuration.
    pub fn with_config(config: impl Fn(&K) -> BreakerConfig + 'static) -> BreakerRegistry<K> {
        BreakerRegistry {
            inner: Rc::new(Registry {
                breakers: RefCell::default(),
                config: Box::new(config),
            }),
        }
    }

    /// The breaker for `key`, created closed on first use.
    pub fn get<Q>(&self, key: &Q) -> CircuitBreaker
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(breaker) = self.inner.breakers.borrow().get(key) {
            return breaker.clone();
        }
        let key = key.to_owned();
        let breaker = CircuitBreaker::new((self.inner.config)(&key));
        self.inner
            .breakers
            .borrow_mut()
            .insert(key, breaker.clone());
        breaker
    }

    /// Forgets `key`'s breaker (clones already handed out keep working).
    pub fn remove<Q>(&self, key: &Q) -> Option<CircuitBreaker>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner.breakers.borrow_mut().remove(key)
    }

    /// Keeps only the breakers for which `keep` returns `true`.
    pub fn retain(&self, mut keep: impl FnMut(&K, &CircuitBreaker) -> bool) {
        self.inner.breakers.borrow_mut().retain(|k, b| keep(k, b));
    }

    /// How many keys have a breaker.
    pub fn len(&self) -> usize {
        self.inner.breakers.borrow().len()
    }

    /// Whether no key has a breaker yet.
    pub fn is_empty(&self) -> bool {
        self.inner.breakers.borrow().is_empty()
    }
}

impl<K> Clone for BreakerRegistry<K> {
    fn clone(&self) -> BreakerRegistry<K> {
        BreakerRegistry {
            inner: self.inner.clone(),
        }
    }
}

impl<K: fmt::Debug> fmt::Debug for BreakerRegistry<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BreakerRegistry")
            .field(
                "keys",
                &self.inner.breakers.borrow().keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}
