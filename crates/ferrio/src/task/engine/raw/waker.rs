//! The `Waker` of a task: clones and drops move atomic references, wakes
//! hand the task to its loop (directly on the loop's thread, through its
//! remote queue elsewhere).

use super::*;

pub(super) static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

/// `RawWakerVTable::clone`.
///
/// # Safety
///
/// `data` is the header pointer of a live task: the waker being cloned owns
/// (or, for the context's waker, borrows) a reference to it.
unsafe fn waker_clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is a non-null header pointer of a live task, per the
    // caller.
    unsafe { increment(NonNull::new_unchecked(data as *mut Header)) };
    RawWaker::new(data, &WAKER_VTABLE)
}

/// `RawWakerVTable::wake`: wakes the task and releases the waker's
/// reference.
///
/// # Safety
///
/// `data` is the header pointer of a live task and the waker owns one
/// atomic reference to it, which this consumes. (The context's borrowed
/// waker is never woken by value: `Waker::wake` takes an owned `Waker`, and
/// the borrowed one is kept in a `ManuallyDrop`.)
unsafe fn waker_wake(data: *const ()) {
    // SAFETY: `data` is a task's non-null header pointer.
    let ptr = unsafe { NonNull::new_unchecked(data as *mut Header) };
    // The waker owned one atomic reference, which moves into the `SendTask`.
    super::super::schedule::wake(SendTask { ptr });
}

/// `RawWakerVTable::wake_by_ref`.
///
/// # Safety
///
/// `data` is the header pointer of a live task, kept alive by the waker for
/// the duration of the call.
unsafe fn waker_wake_by_ref(data: *const ()) {
    // SAFETY: `data` is a task's non-null header pointer.
    let ptr = unsafe { NonNull::new_unchecked(data as *mut Header) };
    // The waker keeps the task alive while the scheduler takes its own
    // reference.
    super::super::schedule::wake_by_ref(WakerRef { ptr });
}

/// `RawWakerVTable::drop`: releases the waker's reference.
///
/// # Safety
///
/// `data` is the header pointer of a live task and the waker owns one
/// atomic reference to it, which this consumes.
unsafe fn waker_drop(data: *const ()) {
    // SAFETY: the waker owned one reference.
    unsafe { decrement(NonNull::new_unchecked(data as *mut Header)) }
}
