//! The per-`F` half of a task cell: its vtable and layout (with or without
//! the `Tracked` trailer), and the stage operations the vtable points to —
//! poll, drop the future, take or drop the output, free the cell.

use super::*;

struct Holder<F>(F);

impl<F: Future> Holder<F> {
    const VTABLE: Vtable = Vtable {
        poll: poll::<F>,
        drop_future: drop_future::<F>,
        take_output: take_output::<F>,
        drop_output: drop_output::<F>,
        dealloc: dealloc::<F>,
        tracked_offset: 0,
    };

    const VTABLE_TRACKED: Vtable = Vtable {
        tracked_offset: std::mem::size_of::<Cell<F>>()
            .next_multiple_of(std::mem::align_of::<Tracked>()),
        ..Self::VTABLE
    };
}

/// The vtable of a `Cell<F>` without a [`Tracked`] trailer.
pub(super) fn vtable<F: Future>() -> &'static Vtable {
    &Holder::<F>::VTABLE
}

/// The vtable of a `Cell<F>` followed by a [`Tracked`] trailer.
pub(super) fn vtable_tracked<F: Future>() -> &'static Vtable {
    &Holder::<F>::VTABLE_TRACKED
}

/// The layout of a `Cell<F>` block: the cell alone (`tracked_offset` 0) or
/// the cell and a [`Tracked`] at `tracked_offset`.
pub(super) fn cell_layout<F: Future>(tracked_offset: usize) -> std::alloc::Layout {
    let cell = std::alloc::Layout::new::<Cell<F>>();
    if tracked_offset == 0 {
        return cell;
    }
    let (layout, offset) = cell
        .extend(std::alloc::Layout::new::<Tracked>())
        .expect("a task cell's layout overflows");
    debug_assert_eq!(offset, tracked_offset);
    layout
}

/// The [`Tracked`] trailer of the task at `ptr`, if it has one.
///
/// # Safety
///
/// The task must be alive for `'a` and the caller on its loop thread (the
/// trailer's cells are touched there only).
pub(super) unsafe fn tracked_of<'a>(ptr: NonNull<Header>) -> Option<&'a Tracked> {
    // SAFETY: alive, per the caller.
    let offset = unsafe { ptr.as_ref() }.vtable.tracked_offset;
    if offset == 0 {
        return None;
    }
    // SAFETY: a nonzero offset is only in the vtable of a cell allocated
    // with a `Tracked` there, written at allocation (`allocate_unchecked`);
    // `ptr` is the block's own pointer (it carries the provenance of the
    // whole block), and the trailer is freed only with the cell.
    Some(unsafe { &*ptr.as_ptr().cast::<u8>().add(offset).cast::<Tracked>() })
}

/// # Safety
///
/// `ptr` is the header of a live `Cell<F>`; loop thread; not re-entrant.
unsafe fn stage<'a, F: Future>(ptr: NonNull<Header>) -> &'a mut Stage<F> {
    // SAFETY: `Cell<F>` is `repr(C)` with the header first, so the header
    // pointer is the cell pointer; the caller guarantees exclusive access.
    unsafe { &mut *ptr.cast::<Cell<F>>().as_ref().stage.get() }
}

/// Polls the future of the `Cell<F>` at `ptr`.
///
/// # Safety
///
/// `ptr` is the header of a live `Cell<F>`, on its loop thread, and the
/// caller has the stage to itself (see `RawTask::poll`).
unsafe fn poll<F: Future>(ptr: NonNull<Header>) -> PollOutcome {
    // SAFETY: see `RawTask::poll`.
    let stage = unsafe { stage::<F>(ptr) };
    // SAFETY: alive, per the caller.
    let tag = &unsafe { ptr.as_ref() }.meta.stage;
    if tag.get() != RUNNING_STAGE {
        return PollOutcome::Gone;
    }
    // SAFETY: the tag says the future is there.
    let future: &mut F = unsafe { &mut stage.future };
    // The context's waker borrows the run-queue reference instead of owning
    // one; clones of it take their own.
    // SAFETY: `ManuallyDrop` keeps the borrowed reference from being dropped.
    let waker = ManuallyDrop::new(unsafe {
        Waker::from_raw(RawWaker::new(ptr.as_ptr() as *const (), &WAKER_VTABLE))
    });
    let mut cx = Context::from_waker(&waker);
    // SAFETY: the future lives in the heap cell and is never moved until it
    // is dropped in place.
    let pinned = unsafe { Pin::new_unchecked(future) };
    match catch_unwind(AssertUnwindSafe(|| pinned.poll(&mut cx))) {
        Ok(Poll::Pending) => PollOutcome::Pending,
        Ok(Poll::Ready(output)) => {
            // SAFETY: as above; a finished future usually has nothing left
            // to drop, but its destructor may still panic.
            let panic = unsafe { drop_running::<F>(stage, tag) };
            stage.output = ManuallyDrop::new(output);
            tag.set(FINISHED_STAGE);
            match panic {
                Some(payload) => {
                    // SAFETY: loop thread, exclusive. A second panic, from
                    // the output's destructor, is dropped: the first one is
                    // the task's outcome.
                    drop(unsafe { drop_output::<F>(ptr) });
                    PollOutcome::Panicked(payload)
                }
                None => PollOutcome::Ready,
            }
        }
        Err(payload) => {
            // SAFETY: the future is still in place; drop it.
            let _ = unsafe { drop_running::<F>(stage, tag) };
            PollOutcome::Panicked(payload)
        }
    }
}

/// Drops the running future in place, catching a panicking destructor, and
/// marks the stage consumed (before the drop, so that a re-entrant look
/// never finds the future being dropped).
///
/// # Safety
///
/// `stage` must hold the future (`tag` is [`RUNNING_STAGE`]), and `tag`
/// must be the stage byte of the same cell.
unsafe fn drop_running<F: Future>(
    stage: &mut Stage<F>,
    tag: &std::cell::Cell<u8>,
) -> Option<Box<dyn Any + Send>> {
    assert_eq!(
        tag.get(),
        RUNNING_STAGE,
        "drop_running on a stage that is not running"
    );
    tag.set(CONSUMED_STAGE);
    // SAFETY: the future is there, per the caller.
    let future: *mut F = unsafe { &mut *stage.future };
    // SAFETY: the future is valid and pinned in place; after this call the
    // caller overwrites the slot without dropping it again. If the
    // destructor panics, the remaining fields are still dropped by unwinding.
    catch_unwind(AssertUnwindSafe(|| unsafe { ptr::drop_in_place(future) })).err()
}

/// Drops the future of the `Cell<F>` at `ptr` in place, if it is running.
///
/// # Safety
///
/// As [`poll`]: live `Cell<F>`, loop thread, exclusive access to the stage
/// (see `RawTask::drop_future`).
unsafe fn drop_future<F: Future>(ptr: NonNull<Header>) -> Option<Box<dyn Any + Send>> {
    // SAFETY: see `RawTask::drop_future`.
    let stage = unsafe { stage::<F>(ptr) };
    // SAFETY: alive, per the caller.
    let tag = &unsafe { ptr.as_ref() }.meta.stage;
    if tag.get() != RUNNING_STAGE {
        return None;
    }
    // SAFETY: the stage holds the future.
    unsafe { drop_running::<F>(stage, tag) }
}

/// Moves the output of the `Cell<F>` at `ptr`, if stored, into `*dst`.
///
/// # Safety
///
/// As [`poll`], and `dst` must be a valid, writable `*mut Option<F::Output>`.
unsafe fn take_output<F: Future>(ptr: NonNull<Header>, dst: *mut ()) {
    // SAFETY: see `RawTask::take_output`.
    let stage = unsafe { stage::<F>(ptr) };
    // SAFETY: alive, per the caller.
    let tag = &unsafe { ptr.as_ref() }.meta.stage;
    if tag.get() == FINISHED_STAGE {
        tag.set(CONSUMED_STAGE);
        // SAFETY: the output was there, and is now marked moved out.
        let output = unsafe { ManuallyDrop::take(&mut stage.output) };
        // SAFETY: the caller passes a valid `*mut Option<F::Output>`.
        unsafe { *dst.cast::<Option<F::Output>>() = Some(output) };
    }
}

/// Drops the output of the `Cell<F>` at `ptr`, if stored.
///
/// # Safety
///
/// As [`poll`] (see `RawTask::drop_output`).
unsafe fn drop_output<F: Future>(ptr: NonNull<Header>) -> Option<Box<dyn Any + Send>> {
    // SAFETY: see `RawTask::drop_output`.
    let stage = unsafe { stage::<F>(ptr) };
    // SAFETY: alive, per the caller.
    let tag = &unsafe { ptr.as_ref() }.meta.stage;
    if tag.get() != FINISHED_STAGE {
        return None;
    }
    // Mark the slot consumed *before* running the destructor: if it
    // panics, the output must not be dropped a second time.
    tag.set(CONSUMED_STAGE);
    // SAFETY: the output was there, and is now marked moved out.
    let output = unsafe { ManuallyDrop::take(&mut stage.output) };
    catch_unwind(AssertUnwindSafe(move || drop(output))).err()
}

/// Frees the `Cell<F>` at `ptr`.
///
/// # Safety
///
/// `ptr` is the header of a `Cell<F>` allocated by `allocate_unchecked`
/// whose last reference (local group and atomic) was just released: nobody
/// else can reach it. It may run on any thread.
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    let cell = ptr.cast::<Cell<F>>().as_ptr();
    // SAFETY: the last reference is gone, so we have the cell to ourselves;
    // it is initialised until the `drop_in_place` below.
    let (consumed, tracked_offset) = unsafe {
        (
            (*cell).header.meta.stage.get() == CONSUMED_STAGE,
            (*cell).header.vtable.tracked_offset,
        )
    };
    // The live reference is only released once the future and any output
    // were dropped on the loop thread (module docs), so only `Send` data is
    // left to drop here, wherever "here" is. A future or output still in
    // place (a bug, caught below in debug builds) is never dropped on an
    // unknown thread: the stage is a union, which drops nothing, so it is
    // leaked and only the cell's memory is freed.
    // SAFETY: the cell is initialised and nobody else can reach it; its
    // stage drops nothing, and the `Tracked` trailer, if any, holds only
    // `Copy` data and needs no drop.
    unsafe { ptr::drop_in_place(cell) };
    // SAFETY: the block came from `std::alloc::alloc` in
    // `allocate_unchecked` with this layout (the vtable fixes the offset).
    unsafe { std::alloc::dealloc(ptr.as_ptr().cast(), cell_layout::<F>(tracked_offset)) };
    // Checked once the block is freed, so that the panic does not leak it.
    debug_assert!(consumed, "a task freed with its future or output in place");
}
