//! [`KeyedSemaphore`]: at most `k` holders per key (per host), for
//! crawlers and per-tenant fairness.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use ferrio::sync::{OwnedSemaphorePermit, Semaphore, SemaphoreAcquireOwned};
use ferrio::Cancelled;

/// A semaphore per key, created on demand: at most `per_key` permits out
/// for any one key (say, requests in flight to one host), while other keys
/// go ahead. Waiters of one key are served in arrival order. Cheap to clone
/// (clones share the map).
///
/// A key's entry exists only while someone holds or waits for it, so memory
/// follows the keys in use, not every key ever seen.
///
/// Combine with [`map_concurrent`](super::map_concurrent) for a crawler:
/// at most `n` requests in all, at most `k` per host.
///
/// ```
/// use std::time::Duration;
/// use ferrio_resilience::concurrent::{map_concurrent, KeyedSemaphore, Order};
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let per_host = KeyedSemaphore::new(1);
///         let urls = ["a/1", "a/2", "b/1", "b/2"];
///         let start = ferrio::now();
///         let mut fetched = map_concurrent(urls, 4, Order::Completion, |url: &'static str| {
///             let per_host = per_host.clone();
///             async move {
///                 let host = url.split('/').next().unwrap().to_string();
///                 let _permit = per_host.acquire(host).await?;
///                 ferrio::sleep(Duration::from_secs(1)).await?;
///                 Ok::<_, ferrio::Cancelled>(url)
///             }
///         });
///         while let Some(url) = fetched.next().await {
///             url.unwrap().unwrap();
///         }
///         // One at a time per host, the two hosts in parallel.
///         assert_eq!(ferrio::now() - start, Duration::from_secs(2));
///         assert_eq!(per_host.keys(), 0);
///     })
///     .unwrap();
/// ```
pub struct KeyedSemaphore<K> {
    inner: Rc<Inner<K>>,
}

struct Inner<K> {
    per_key: usize,
    semaphores: RefCell<HashMap<K, Rc<Semaphore>>>,
}

impl<K: Hash + Eq + Clone> KeyedSemaphore<K> {
    /// At most `per_key` permits out per key.
    ///
    /// # Panics
    ///
    /// If `per_key` is zero.
    #[track_caller]
    pub fn new(per_key: usize) -> KeyedSemaphore<K> {
        assert!(
            per_key > 0,
            "KeyedSemaphore::new: per_key must be at least 1"
        );
        KeyedSemaphore {
            inner: Rc::new(Inner {
                per_key,
                semaphores: RefCell::default(),
            }),
        }
    }

    /// Waits for a permit for `key`; dropping the permit releases it.
    ///
    /// # Cancel safety
    ///
    /// A cancellation point when it has to wait. A cancelled (or dropped)
    /// acquire takes no permit and leaves the key's queue.
    pub fn acquire(&self, key: K) -> KeyedAcquire<K> {
        let semaphore = self
            .inner
            .semaphores
            .borrow_mut()
            .entry(key.clone())
            .or_insert_with(|| Rc::new(Semaphore::new(self.inner.per_key)))
            .clone();
        KeyedAcquire {
            acquire: Some(semaphore.acquire_owned()),
            owner: Some(Owner {
                map: self.clone(),
                key,
                semaphore,
            }),
        }
    }

    /// A permit for `key` if one is free and no one waits for it.
    pub fn try_acquire(&self, key: K) -> Option<KeyedPermit<K>> {
        let KeyedAcquire { acquire, owner } = self.acquire(key);
        drop(acquire);
        let owner = owner.expect("a new acquire has its owner");
        let permit = owner.semaphore.try_acquire_owned()?;
        Some(KeyedPermit { permit, owner })
    }

    /// Permits out for `key` now.
    pub fn in_use(&self, key: &K) -> usize {
        self.inner
            .semaphores
            .borrow()
            .get(key)
            .map_or(0, |s| self.inner.per_key - s.available_permits())
    }

    /// Keys with a permit out or a waiter.
    pub fn keys(&self) -> usize {
        self.inner.semaphores.borrow().len()
    }
}

impl<K> Clone for KeyedSemaphore<K> {
    fn clone(&self) -> KeyedSemaphore<K> {
        KeyedSemaphore {
            inner: self.inner.clone(),
        }
    }
}

impl<K> fmt::Debug for KeyedSemaphore<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedSemaphore")
            .field("per_key", &self.inner.per_key)
            .field("keys", &self.inner.semaphores.borrow().len())
            .finish()
    }
}

/// A key's share of the map: removes the key's entry when the last holder
/// or waiter goes.
struct Owner<K: Hash + Eq> {
    map: KeyedSemaphore<K>,
    key: K,
    semaphore: Rc<Semaphore>,
}

impl<K: Hash + Eq> Drop for Owner<K> {
    fn drop(&mut self) {
        // The map's reference and ours: nobody else holds or waits.
        if Rc::strong_count(&self.semaphore) == 2 {
            let mut semaphores = self.map.inner.semaphores.borrow_mut();
            if semaphores
                .get(&self.key)
                .is_some_and(|s| Rc::ptr_eq(s, &self.semaphore))
            {
                semaphores.remove(&self.key);
            }
        }
    }
}

/// The future returned by [`KeyedSemaphore::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct KeyedAcquire<K: Hash + Eq> {
    /// Declared first so it drops first: the owner then sees a final count.
    acquire: Option<SemaphoreAcquireOwned>,
    owner: Option<Owner<K>>,
}

impl<K: Hash + Eq> Future for KeyedAcquire<K> {
    type Output = Result<KeyedPermit<K>, Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let acquire = this
            .acquire
            .as_mut()
            .expect("`KeyedAcquire` polled after it completed");
        let permit = match Pin::new(acquire).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        this.acquire = None;
        let owner = this.owner.take().expect("the owner stays until completion");
        // On cancellation the owner drops here, freeing an unused key.
        Poll::Ready(permit.map(|permit| KeyedPermit { permit, owner }))
    }
}

// No field is pinned (`SemaphoreAcquireOwned` is `Unpin`).
impl<K: Hash + Eq> Unpin for KeyedAcquire<K> {}

impl<K: Hash + Eq> fmt::Debug for KeyedAcquire<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedAcquire")
            .field("waiting", &self.acquire.is_some())
            .finish_non_exhaustive()
    }
}

/// A permit for one key, from [`KeyedSemaphore::acquire`]; released on drop.
pub struct KeyedPermit<K: Hash + Eq> {
    /// Declared first so it is released before the owner checks the key.
    permit: OwnedSemaphorePermit,
    owner: Owner<K>,
}

impl<K: Hash + Eq> KeyedPermit<K> {
    /// The key this permit is for.
    pub fn key(&self) -> &K {
        &self.owner.key
    }
}

impl<K: Hash + Eq + fmt::Debug> fmt::Debug for KeyedPermit<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedPermit")
            .field("key", &self.owner.key)
            .field("permit", &self.permit)
            .finish()
    }
}
