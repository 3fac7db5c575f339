//! The synchronisation types used across threads, swapped for loom's under
//! `--cfg ferrio_loom` so that the cross-thread hand-offs can be model
//! checked (`loom_*` tests beside the code).

#[cfg(not(all(test, ferrio_loom)))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};

#[cfg(all(test, ferrio_loom))]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicUsize, Ordering},
    Condvar, Mutex, MutexGuard,
};
