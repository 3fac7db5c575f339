//! The two reference counts of a task (see the module above): cloning and
//! dropping loop-thread references, turning a cross-thread reference into
//! a local one and back, and freeing the cell with the last one.

use super::*;

/// More atomic references than this abort the process (as `Arc` does), so
/// that the count can never wrap. 32-bit counts keep the header small.
const MAX_REFS: u32 = i32::MAX as u32;

/// One more local reference; aborts rather than wrap (4 billion handles to
/// one task).
#[inline]
fn local_plus_one(n: u32) -> u32 {
    match n.checked_add(1) {
        Some(n) => n,
        None => std::process::abort(),
    }
}

impl Clone for RawTask {
    fn clone(&self) -> RawTask {
        // SAFETY: we own a local reference: alive, and on the loop thread.
        unsafe { local_increment(self.ptr) };
        RawTask { ptr: self.ptr }
    }
}

impl Drop for RawTask {
    fn drop(&mut self) {
        // SAFETY: we own a local reference: alive, and on the loop thread.
        let header = unsafe { self.ptr.as_ref() };
        let n = header.local.get() - 1;
        header.local.set(n);
        if n == 0 {
            // SAFETY: the local group's atomic reference is released.
            unsafe { decrement(self.ptr) }
        }
    }
}

impl SendTask {
    /// The id of the task's loop (readable from any thread).
    pub(crate) fn loop_id(&self) -> LoopId {
        // SAFETY: we own a reference; `loop_id` is immutable after spawn.
        unsafe { self.ptr.as_ref() }.meta.loop_id
    }

    /// Turns this into a loop-thread reference. `inner` proves that we run
    /// on the task's loop: an `Inner` never leaves its thread.
    ///
    /// # Panics
    ///
    /// If `inner` is not the task's loop.
    pub(crate) fn into_local(self, inner: &Inner) -> RawTask {
        self.into_local_on(inner.id)
    }

    /// [`SendTask::into_local`] given the id of the loop running on this
    /// thread, which the caller vouches for (`into_local` has it from an
    /// `Inner`, the loom models from the model's single "loop thread").
    pub(super) fn into_local_on(self, running: LoopId) -> RawTask {
        assert_eq!(
            running,
            self.loop_id(),
            "task reference taken to the wrong loop"
        );
        let ptr = ManuallyDrop::new(self).ptr;
        // SAFETY: on the loop thread (checked above), task alive (we own a
        // reference).
        let header = unsafe { ptr.as_ref() };
        let n = header.local.get();
        header.local.set(local_plus_one(n));
        if n > 0 {
            // The group already holds an atomic reference: release ours. It
            // cannot be the last one, the group's remains.
            header.refs.fetch_sub(1, Ordering::Release);
        }
        // Otherwise our atomic reference becomes the group's.
        RawTask { ptr }
    }
}

impl Drop for SendTask {
    fn drop(&mut self) {
        // SAFETY: we own one atomic reference.
        unsafe { decrement(self.ptr) }
    }
}

impl WakerRef {
    pub(crate) fn loop_id(&self) -> LoopId {
        // SAFETY: the waker keeps the task alive; `loop_id` is immutable.
        unsafe { self.ptr.as_ref() }.meta.loop_id
    }

    /// A new loop-thread reference; `inner` proves we run on the task's loop.
    ///
    /// # Panics
    ///
    /// If `inner` is not the task's loop.
    pub(crate) fn to_local(&self, inner: &Inner) -> RawTask {
        assert_eq!(
            inner.id,
            self.loop_id(),
            "task reference taken to the wrong loop"
        );
        // SAFETY: on the loop thread (checked above); the waker keeps the
        // task alive.
        unsafe { local_increment(self.ptr) };
        RawTask { ptr: self.ptr }
    }

    /// A new reference for another thread.
    pub(crate) fn to_send(&self) -> SendTask {
        // SAFETY: the waker this borrows from keeps the task alive.
        unsafe { increment(self.ptr) };
        SendTask { ptr: self.ptr }
    }
}

/// # Safety
///
/// The task must be alive and this must run on its loop's thread.
#[inline]
pub(super) unsafe fn local_increment(ptr: NonNull<Header>) {
    // SAFETY: alive, per the caller.
    let header = unsafe { ptr.as_ref() };
    let n = header.local.get();
    if n == 0 {
        // SAFETY: alive, per the caller.
        unsafe { increment(ptr) };
    }
    header.local.set(local_plus_one(n));
}

/// Takes one more atomic reference.
///
/// # Safety
///
/// `ptr` must point to the header of a live task: the caller owns or
/// borrows a reference for the duration of the call.
pub(super) unsafe fn increment(ptr: NonNull<Header>) {
    // SAFETY: alive, per the caller.
    let old = unsafe { ptr.as_ref() }.refs.fetch_add(1, Ordering::Relaxed);
    if old > MAX_REFS {
        std::process::abort();
    }
}

/// # Safety
///
/// The caller gives up one owned reference to a live task.
pub(super) unsafe fn decrement(ptr: NonNull<Header>) {
    // SAFETY: the caller owns a reference, so the header is alive.
    let header = unsafe { ptr.as_ref() };
    if header.refs.fetch_sub(1, Ordering::Release) == 1 {
        fence(Ordering::Acquire);
        // SAFETY: that was the last reference; nobody can reach the cell.
        unsafe { (header.vtable.dealloc)(ptr) }
    }
}
