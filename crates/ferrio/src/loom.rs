//! The synchronisation types used across threads, swapped for loom's under
//! `--cfg ferrio_loom` so that the cross-thread hand-offs can be model
//! checked (`loom_*` tests beside the code).

#[cfg(not(all(test, ferrio_loom)))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicU32, Ordering},
    Condvar, Mutex, MutexGuard,
};

#[cfg(all(test, ferrio_loom))]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicU32, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};

/// Helpers shared by the loom models.
#[cfg(all(test, ferrio_loom))]
pub(crate) mod models {
    use std::task::{Wake, Waker};

    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::Arc;

    /// Counts its drops in a shared counter.
    pub(crate) struct Dropped(pub(crate) Arc<AtomicUsize>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A waker that counts its wakes.
    pub(crate) struct CountWake(pub(crate) AtomicUsize);

    impl Wake for CountWake {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A counting waker and the count behind it.
    pub(crate) fn counting_waker() -> (std::sync::Arc<CountWake>, Waker) {
        let count = std::sync::Arc::new(CountWake(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }
}
