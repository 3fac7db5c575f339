//! The raw task cell: one allocation per task holding its header and its
//! future (later its output), plus the `Waker` built on it.
//!
//! This is the only module of the task layer that uses `unsafe`. Everything
//! above it ([`super::TaskRef`], [`super::Task`]) is safe code over
//! [`RawTask`].
//!
//! # Layout
//!
//! A task is a `#[repr(C)] Cell<F>`: the [`Header`] first, then the
//! [`Stage`] of the future. A `NonNull<Header>` therefore also points at the
//! cell, and the header's `vtable` knows the concrete `F` to get back to it.
//!
//! A task spawned while its loop tracks activity (debug mode, a watchdog)
//! has a [`Tracked`] record right after the cell, in the same allocation:
//! its vtable is the `F` vtable *with* a trailer, whose `tracked_offset`
//! says where it is and whose `dealloc` frees the larger block. Other
//! tasks use the vtable without one (`tracked_offset == 0`) and pay nothing
//! for it. So even in debug mode a spawn is one allocation.
//!
//! # References and threads
//!
//! A task is owned through two counts:
//!
//! - `Header::local` (a plain `Cell`) counts the references held on the
//!   loop thread — [`RawTask`], which is `!Send`: the user's `Task<T>` and
//!   `TaskRef` handles, the run-queue entry while the task is scheduled, and
//!   the *live* reference the loop's task list holds from spawn until the
//!   future is finished or dropped.
//! - `Header::refs` (atomic) counts the references that may live on other
//!   threads — every `Waker` and every [`SendTask`] in a remote queue — plus
//!   one for the whole group of local references while there is any.
//!
//! So the loop's own traffic (spawn, schedule, run, join, a wake on the loop
//! thread) costs no atomic operation; only wakers cloned or dropped, and
//! wakes from other threads, do. A waker woken on its loop's thread turns
//! into a local reference; one woken elsewhere travels as a `SendTask`
//! through the loop's remote queue. Everything in the header but `refs` and
//! the immutable `Meta::loop_id`, and the whole stage, is touched on the
//! loop thread only.
//!
//! The cell is freed when `refs` reaches zero, which may happen on another
//! thread (a waker dropped last). The live reference guarantees that this
//! only happens once the stage is `Consumed` — the future and any output
//! were already dropped on the loop thread — so deallocating there drops
//! only `Send` data.
//!
//! # Stage transitions
//!
//! `Running(F)` → `Finished(F::Output)` → `Consumed` (output taken or dropped),
//! or `Running(F)` → `Consumed` directly when the future panics, is aborted,
//! or its loop closes. The cell is only freed once the stage is `Consumed`
//! (`dealloc` checks it).
//!
//! The stage is a union of the future and the output; which one it holds
//! (or neither) is the `Meta::stage` byte ([`RUNNING_STAGE`],
//! [`FINISHED_STAGE`], [`CONSUMED_STAGE`]), which sits in a word of the
//! header that had room for it. An enum would need a tag of its own after
//! the future (8 bytes more for a future without a niche), which is what
//! keeps a task parked on a small future in a 112-byte malloc chunk. Every
//! transition sets the byte *before* the value moves or is dropped, so a
//! destructor that panics or re-enters never sees a value that is gone.
//!
//! # Who may touch the stage
//!
//! The stage is an `UnsafeCell` reached only through [`RawTask::poll`],
//! [`RawTask::drop_future`], [`RawTask::drop_output`] and
//! [`Joinable::take_output`], on the loop thread (`RawTask` is `!Send`), and
//! each takes a `&mut` to it for its whole run. They never overlap, because:
//!
//! - the future is only reached while the task's `RUNNING` flag is set by
//!   the caller: `poll` by `schedule::run`, `drop_future` by
//!   `schedule::abort_now`, which refuses to start while `RUNNING` is set
//!   (an abort from inside the poll only sets `ABORT`);
//! - `run` is only reached from the loop's run queue, where a task sits at
//!   most once (`SCHEDULED`), and the loop never runs re-entrantly (a nested
//!   `run_until_complete` on the same thread is refused with
//!   `AlreadyRunning`), so no poll of the task is in progress when one
//!   starts;
//! - the output is only reached with `RUNNING` clear (`drop_output`,
//!   `take_output`: once the task completed, or by `poll` itself).
//!
//! The accessors `debug_assert!` their side of this.

use crate::loom::{fence, AtomicU32, Ordering};
use std::any::Any;
use std::cell::UnsafeCell;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use super::header::{Meta, Tracked};
use crate::event_loop::inner::Inner;
use crate::event_loop::LoopId;
use crate::task::TaskRef;

/// What polling a task's future produced.
pub(crate) enum PollOutcome {
    /// The future is not finished.
    Pending,
    /// The future finished; its output is stored in the cell.
    Ready,
    /// The future panicked; it has been dropped.
    Panicked(Box<dyn Any + Send>),
    /// There was no future to poll any more (finished, aborted or closed).
    Gone,
}

/// The per-`F` operations of a task, reached through its header.
struct Vtable {
    poll: unsafe fn(NonNull<Header>) -> PollOutcome,
    /// Drops the future in place if it is still running. Returns the panic
    /// payload if its destructor panicked.
    drop_future: unsafe fn(NonNull<Header>) -> Option<Box<dyn Any + Send>>,
    /// Moves the output into `*dst`, which is an `Option<F::Output>`.
    take_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops the output if it is stored. Returns the panic payload if its
    /// destructor panicked (the output is gone either way).
    drop_output: unsafe fn(NonNull<Header>) -> Option<Box<dyn Any + Send>>,
    dealloc: unsafe fn(NonNull<Header>),
    /// Where the [`Tracked`] trailer starts, from the cell's start; 0 if
    /// the cell has none (the header is at 0, so no trailer can be).
    tracked_offset: usize,
}

/// The part of a task every layer above can see.
pub(crate) struct Header {
    /// References that may be on other threads, plus one for the local group.
    refs: AtomicU32,
    /// References on the loop thread.
    local: std::cell::Cell<u32>,
    vtable: &'static Vtable,
    /// Loop-thread data: identity, state flags, cancellation, links.
    pub(crate) meta: Meta,
}

/// The future, its output, or nothing, as `Meta::stage` says.
union Stage<F: Future> {
    future: ManuallyDrop<F>,
    output: ManuallyDrop<F::Output>,
}

/// `Meta::stage`: the future is in the stage.
const RUNNING_STAGE: u8 = 0;
/// `Meta::stage`: the output is in the stage.
const FINISHED_STAGE: u8 = 1;
/// `Meta::stage`: the stage holds nothing.
const CONSUMED_STAGE: u8 = 2;

#[repr(C)]
struct Cell<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

/// An owned reference to a task, on its loop's thread (`!Send`).
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

/// An owned reference to a task that may cross threads: what a waker woken
/// off the loop thread hands to the loop's remote queue.
pub(crate) struct SendTask {
    ptr: NonNull<Header>,
}

// SAFETY: a `SendTask` only touches the atomic `refs` and the immutable
// `Meta::loop_id` until it is turned back into a `RawTask` by
// `into_local`, which checks that it runs on the task's loop. Dropping the
// last reference off the loop thread frees a cell whose stage is
// `Consumed` (module docs), so only `Send` data is dropped.
unsafe impl Send for SendTask {}

/// A reference borrowed from a waker that is woken by reference.
pub(crate) struct WakerRef {
    ptr: NonNull<Header>,
}

/// More atomic references than this abort the process (as `Arc` does), so
/// that the count can never wrap. 32-bit counts keep the header small.
const MAX_REFS: u32 = i32::MAX as u32;

// The hot header: two 32-bit counts, the vtable and the 72-byte `Meta`.
#[cfg(all(target_pointer_width = "64", not(ferrio_loom)))]
const _: () = assert!(std::mem::size_of::<Header>() == 88);

/// One more local reference; aborts rather than wrap (4 billion handles to
/// one task).
#[inline]
fn local_plus_one(n: u32) -> u32 {
    match n.checked_add(1) {
        Some(n) => n,
        None => std::process::abort(),
    }
}

impl RawTask {
    /// Allocates a task for `future` and returns its three initial
    /// references: the typed handle's, the run queue's, and the live one
    /// (held by the loop's task list until the future is gone). With
    /// `tracked`, the cell gets a [`Tracked`] trailer holding it.
    pub(crate) fn allocate<F: Future + 'static>(
        future: F,
        meta: Meta,
        tracked: Option<Tracked>,
    ) -> Allocated<F::Output> {
        // SAFETY: `F: 'static`, so the future borrows nothing that could expire.
        unsafe { RawTask::allocate_unchecked(future, meta, tracked) }
    }

    /// [`RawTask::allocate`] for a future that may borrow.
    ///
    /// # Safety
    ///
    /// The future and its output must be dropped (the task completed and its
    /// output taken or dropped, or the future dropped with
    /// [`RawTask::drop_future`]) before anything it borrows expires.
    pub(crate) unsafe fn allocate_unchecked<F: Future>(
        future: F,
        meta: Meta,
        tracked: Option<Tracked>,
    ) -> Allocated<F::Output> {
        let vtable = if tracked.is_some() {
            vtable_tracked::<F>()
        } else {
            vtable::<F>()
        };
        let layout = cell_layout::<F>(vtable.tracked_offset);
        // SAFETY: the layout is never zero-sized (it holds a header).
        let raw = unsafe { std::alloc::alloc(layout) };
        let Some(raw) = NonNull::new(raw) else {
            std::alloc::handle_alloc_error(layout)
        };
        let cell = Cell {
            header: Header {
                // Three local references (handle, queued, live), which
                // together hold one atomic reference.
                refs: AtomicU32::new(1),
                local: std::cell::Cell::new(3),
                vtable,
                meta,
            },
            stage: UnsafeCell::new(Stage {
                future: ManuallyDrop::new(future),
            }),
        };
        // SAFETY: `raw` is a fresh block of `layout`, which starts with room
        // for a `Cell<F>` at its alignment.
        unsafe { raw.cast::<Cell<F>>().as_ptr().write(cell) };
        if let Some(tracked) = tracked {
            // SAFETY: the tracked layout has room for a `Tracked` at
            // `tracked_offset`, aligned for it (`cell_layout`), inside the
            // block and after the cell.
            unsafe {
                raw.as_ptr()
                    .add(vtable.tracked_offset)
                    .cast::<Tracked>()
                    .write(tracked)
            };
        }
        let ptr = raw.cast::<Header>();
        Allocated {
            handle: Joinable {
                task: TaskRef::new(RawTask { ptr }),
                _output: PhantomData,
            },
            queued: RawTask { ptr },
            live: RawTask { ptr },
        }
    }

    /// Another owned reference to the same task, without touching the count:
    /// the caller hands over one of the references counted at allocation.
    ///
    /// # Safety
    ///
    /// The caller must own one not-yet-materialised reference to this task.
    pub(crate) unsafe fn reclaim_leaked(&self) -> RawTask {
        RawTask { ptr: self.ptr }
    }

    /// Runs `f` on the metadata and the activity record (if any) of the
    /// task being polled, if any.
    pub(crate) fn with_current_tracked<R>(
        current: &std::cell::Cell<Option<NonNull<Header>>>,
        f: impl FnOnce(&Meta, Option<&Tracked>) -> R,
    ) -> Option<R> {
        let ptr = current.get()?;
        // SAFETY: the loop sets the current task only while it polls it,
        // holding the run queue's reference, so the task is alive.
        let (meta, tracked) = unsafe { (&ptr.as_ref().meta, tracked_of(ptr)) };
        Some(f(meta, tracked))
    }

    /// Runs `f` on the metadata of the task being polled, if any.
    pub(crate) fn with_current_meta<R>(
        current: &std::cell::Cell<Option<NonNull<Header>>>,
        f: impl FnOnce(&Meta) -> R,
    ) -> Option<R> {
        let ptr = current.get()?;
        // SAFETY: the loop sets the current task only while it polls it,
        // holding the run queue's reference, so the task is alive.
        Some(f(unsafe { &ptr.as_ref().meta }))
    }

    /// A new reference to the task being polled, if any.
    pub(crate) fn current(current: &std::cell::Cell<Option<NonNull<Header>>>) -> Option<RawTask> {
        let ptr = current.get()?;
        // SAFETY: as in `with_current_meta`, the task is alive.
        Some(unsafe { RawTask::clone_from_ptr(ptr) })
    }

    /// A new owned reference to the task at `ptr`.
    ///
    /// # Safety
    ///
    /// The task must be alive (someone owns a reference for the duration of
    /// the call), and the caller must run on the task's loop thread: the
    /// local count is a plain `Cell`, touched by that thread only. Pointers
    /// from the loop's own bookkeeping (`Inner::current_task`, the task
    /// list) satisfy both, as `Inner` never leaves its thread.
    pub(crate) unsafe fn clone_from_ptr(ptr: NonNull<Header>) -> RawTask {
        // SAFETY: alive and on the loop thread, per the caller.
        unsafe { local_increment(ptr) };
        RawTask { ptr }
    }

    /// A reference for another thread.
    pub(crate) fn to_send(&self) -> SendTask {
        // SAFETY: we own a reference, so the task is alive.
        unsafe { increment(self.ptr) };
        SendTask { ptr: self.ptr }
    }

    /// Forgets this reference without decrementing the count; it is
    /// reclaimed later by [`RawTask::reclaim_leaked`].
    pub(crate) fn leak(self) {
        std::mem::forget(self);
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: we own a reference, so the cell is allocated.
        unsafe { self.ptr.as_ref() }
    }

    /// The loop-thread metadata.
    pub(crate) fn meta(&self) -> &Meta {
        &self.header().meta
    }

    /// The task's activity record, if it was spawned while its loop tracked
    /// activity. Loop thread only (`RawTask` is `!Send`).
    #[inline]
    pub(crate) fn tracked(&self) -> Option<&Tracked> {
        // SAFETY: we own a reference, so the cell is allocated.
        unsafe { tracked_of(self.ptr) }
    }

    /// Marks the task as queued, for its loop's run queue: `false` if it is
    /// queued already or complete (then it must not be queued again). The
    /// loop's only look at a task's state.
    #[inline]
    pub(crate) fn mark_scheduled(&self) -> bool {
        use super::header::{COMPLETE, SCHEDULED};
        let meta = self.meta();
        if meta.has(SCHEDULED | COMPLETE) {
            return false;
        }
        meta.set(SCHEDULED);
        true
    }

    /// A stable identity for the task (its address), for comparisons only.
    pub(crate) fn addr(&self) -> NonNull<Header> {
        self.ptr
    }

    /// Whether `self` and `other` are the same task.
    pub(crate) fn same(&self, other: &RawTask) -> bool {
        self.ptr == other.ptr
    }

    /// Polls the future once with a waker of this task.
    ///
    /// The caller (`schedule::run`) sets `RUNNING` for the duration: see
    /// "Who may touch the stage" in the module docs.
    pub(crate) fn poll(&self) -> PollOutcome {
        debug_assert!(
            self.meta().has(super::header::RUNNING),
            "a task polled without RUNNING set"
        );
        // SAFETY: we are on the loop thread (`RawTask` is `!Send`) and, by
        // the module's invariant, nothing else has the stage: `run` is not
        // re-entered for a task (it is queued at most once and the loop
        // never nests), and `abort_now` does not drop the future while
        // `RUNNING` is set.
        unsafe { (self.header().vtable.poll)(self.ptr) }
    }

    /// Drops the future now if it is still running (abort, loop close).
    ///
    /// The caller (`schedule::abort_now`) sets `RUNNING` for the duration.
    pub(crate) fn drop_future(&self) -> Option<Box<dyn Any + Send>> {
        debug_assert!(
            self.meta().has(super::header::RUNNING),
            "a future dropped without RUNNING set"
        );
        // SAFETY: loop thread (`RawTask` is `!Send`); `abort_now` only gets
        // here when no poll or other drop was in progress (it checks and
        // then sets `RUNNING`), so we have the stage to ourselves.
        unsafe { (self.header().vtable.drop_future)(self.ptr) }
    }

    /// Drops the stored output, if any. Loop thread only. A destructor that
    /// panics is caught and reported to the task's loop
    /// ([`ExceptionKind::DropPanicked`](crate::event_loop::ExceptionKind::DropPanicked)):
    /// whoever drops an output never unwinds.
    pub(crate) fn drop_output(&self) {
        debug_assert!(
            !self.meta().has(super::header::RUNNING),
            "an output dropped while its task runs"
        );
        // SAFETY: loop thread (`RawTask` is `!Send`); `RUNNING` is clear, so
        // no poll or future drop holds the stage, and the output is never
        // borrowed (it is only ever moved out whole).
        let panic = unsafe { (self.header().vtable.drop_output)(self.ptr) };
        if let Some(payload) = panic {
            super::schedule::report_drop_panic(self, payload);
        }
    }
}

/// The references a new task starts with.
pub(crate) struct Allocated<T> {
    pub(crate) handle: Joinable<T>,
    pub(crate) queued: RawTask,
    pub(crate) live: RawTask,
}

/// A reference that knows the task's output type, so it can take the output.
pub(crate) struct Joinable<T> {
    task: TaskRef,
    _output: PhantomData<fn() -> T>,
}

impl<T> Joinable<T> {
    pub(crate) fn task(&self) -> &TaskRef {
        &self.task
    }

    pub(crate) fn raw(&self) -> &RawTask {
        self.task.raw()
    }

    /// Takes the output of a finished task, if it is still there. Loop
    /// thread only.
    pub(crate) fn take_output(&self) -> Option<T> {
        debug_assert!(
            !self.raw().meta().has(super::header::RUNNING),
            "an output taken while its task runs"
        );
        let mut out: Option<T> = None;
        // SAFETY: a `Joinable<T>` is only built by `allocate_unchecked` for a
        // future whose output is `T`, so `take_output` writes an `Option<T>`;
        // loop thread (`Joinable` is `!Send`) with `RUNNING` clear, so
        // nothing else holds the stage.
        unsafe {
            (self.raw().header().vtable.take_output)(
                self.raw().ptr,
                (&mut out as *mut Option<T>).cast(),
            )
        };
        out
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
    fn into_local_on(self, running: LoopId) -> RawTask {
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
unsafe fn local_increment(ptr: NonNull<Header>) {
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
unsafe fn increment(ptr: NonNull<Header>) {
    // SAFETY: alive, per the caller.
    let old = unsafe { ptr.as_ref() }.refs.fetch_add(1, Ordering::Relaxed);
    if old > MAX_REFS {
        std::process::abort();
    }
}

/// # Safety
///
/// The caller gives up one owned reference to a live task.
unsafe fn decrement(ptr: NonNull<Header>) {
    // SAFETY: the caller owns a reference, so the header is alive.
    let header = unsafe { ptr.as_ref() };
    if header.refs.fetch_sub(1, Ordering::Release) == 1 {
        fence(Ordering::Acquire);
        // SAFETY: that was the last reference; nobody can reach the cell.
        unsafe { (header.vtable.dealloc)(ptr) }
    }
}

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
fn vtable<F: Future>() -> &'static Vtable {
    &Holder::<F>::VTABLE
}

/// The vtable of a `Cell<F>` followed by a [`Tracked`] trailer.
fn vtable_tracked<F: Future>() -> &'static Vtable {
    &Holder::<F>::VTABLE_TRACKED
}

/// The layout of a `Cell<F>` block: the cell alone (`tracked_offset` 0) or
/// the cell and a [`Tracked`] at `tracked_offset`.
fn cell_layout<F: Future>(tracked_offset: usize) -> std::alloc::Layout {
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
unsafe fn tracked_of<'a>(ptr: NonNull<Header>) -> Option<&'a Tracked> {
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

static WAKER_VTABLE: RawWakerVTable =
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
    super::schedule::wake(SendTask { ptr });
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
    super::schedule::wake_by_ref(WakerRef { ptr });
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

#[cfg(test)]
mod tests {
    use super::super::header::RUNNING;
    use super::*;
    use std::rc::Rc;

    struct DropCount(Rc<std::cell::Cell<u32>>);
    impl Drop for DropCount {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    /// One poll, with `RUNNING` set around it as `schedule::run` does.
    fn poll(raw: &RawTask) -> PollOutcome {
        raw.meta().set(RUNNING);
        let outcome = raw.poll();
        raw.meta().clear(RUNNING);
        outcome
    }

    /// Drops the future, with `RUNNING` set around it as `abort_now` does.
    fn abort(raw: &RawTask) -> Option<Box<dyn Any + Send>> {
        raw.meta().set(RUNNING);
        let panic = raw.drop_future();
        raw.meta().clear(RUNNING);
        panic
    }

    #[test]
    fn output_is_stored_and_dropped_once() {
        let drops = Rc::new(std::cell::Cell::new(0));
        let d = DropCount(drops.clone());
        let Allocated {
            handle,
            queued,
            live,
        } = RawTask::allocate(async move { d }, Meta::for_tests(), None);
        drop((queued, live));
        let raw = handle.raw().clone();
        assert!(matches!(poll(&raw), PollOutcome::Ready));
        assert_eq!(drops.get(), 0);
        let out: Option<DropCount> = handle.take_output();
        assert!(out.is_some());
        drop(out);
        assert_eq!(drops.get(), 1);
        assert!(matches!(poll(&raw), PollOutcome::Gone));
        drop((raw, handle));
        assert_eq!(drops.get(), 1);
    }

    fn single<F: Future + 'static>(future: F) -> RawTask {
        let Allocated {
            handle,
            queued,
            live,
        } = RawTask::allocate(future, Meta::for_tests(), None);
        drop((queued, live));
        handle.raw().clone()
    }

    #[test]
    fn panicking_future_is_dropped_and_reported() {
        let drops = Rc::new(std::cell::Cell::new(0));
        let d = DropCount(drops.clone());
        let raw = single(async move {
            let _d = d;
            panic!("boom")
        });
        let PollOutcome::Panicked(payload) = poll(&raw) else {
            panic!("expected a panic")
        };
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
        assert_eq!(drops.get(), 1);
    }

    #[test]
    fn pending_future_is_dropped_once_and_the_cell_freed_by_the_last_reference() {
        let drops = Rc::new(std::cell::Cell::new(0));
        let d = DropCount(drops.clone());
        let raw = single(async move {
            let _d = d;
            std::future::pending::<()>().await
        });
        assert!(matches!(poll(&raw), PollOutcome::Pending));
        let clone = raw.clone();
        assert!(abort(&raw).is_none());
        assert_eq!(drops.get(), 1);
        assert!(abort(&raw).is_none(), "a second drop does nothing");
        assert!(matches!(poll(&raw), PollOutcome::Gone));
        drop(raw);
        drop(clone);
        assert_eq!(drops.get(), 1);
    }

    #[test]
    fn an_output_whose_destructor_panics_is_dropped_once() {
        struct Boom(Rc<std::cell::Cell<u32>>);
        impl Drop for Boom {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
                panic!("boom");
            }
        }
        let drops = Rc::new(std::cell::Cell::new(0));
        let d = drops.clone();
        let raw = single(async move { Boom(d) });
        assert!(matches!(poll(&raw), PollOutcome::Ready));
        // No loop is registered for the test meta: the panic goes to the
        // default handler, and never unwinds out of `drop_output`.
        raw.drop_output();
        assert_eq!(drops.get(), 1);
        raw.drop_output();
        drop(raw);
        assert_eq!(drops.get(), 1, "the cell did not drop the output again");
    }

    #[test]
    fn a_tracked_cell_keeps_its_record_and_is_freed_whole() {
        let drops = Rc::new(std::cell::Cell::new(0));
        let d = DropCount(drops.clone());
        let now = std::time::Instant::now();
        let Allocated {
            handle,
            queued,
            live,
        } = RawTask::allocate(
            async move { (d, [7u8; 3]) },
            Meta::for_tests(),
            Some(Tracked::spawned_at(now)),
        );
        drop((queued, live));
        let raw = handle.raw().clone();
        let tracked = raw.tracked().expect("spawned with a record");
        assert_eq!(tracked.activity.get().spawned_at, Some(now));
        tracked.waiting_on.set(Some("test"));
        assert!(matches!(poll(&raw), PollOutcome::Ready));
        assert_eq!(raw.tracked().unwrap().waiting_on.get(), Some("test"));
        let out = handle.take_output().expect("finished");
        assert_eq!(out.1, [7; 3]);
        drop(out);
        assert_eq!(drops.get(), 1);
        drop((raw, handle));
    }

    /// The size of the cell of `F`'s task.
    fn cell_size<F: Future>(_: &F) -> usize {
        std::mem::size_of::<Cell<F>>()
    }

    #[test]
    #[cfg(all(target_pointer_width = "64", not(ferrio_loom)))]
    fn a_task_parked_on_a_small_future_fits_a_112_byte_malloc_chunk() {
        // The memory bench's task: an `Rc` captured, parked on `pending()`.
        let counter = Rc::new(std::cell::Cell::new(0u64));
        let parked = async move {
            counter.set(counter.get() + 1);
            std::future::pending::<()>().await
        };
        // glibc's chunk is the request plus 8, rounded up to 16.
        assert_eq!(cell_size(&parked), 104);
        assert_eq!(cell_size(&async { 1u64 }), 96);
    }

    #[test]
    fn an_untracked_cell_has_no_record() {
        let raw = single(async {});
        assert!(raw.tracked().is_none());
        assert!(matches!(poll(&raw), PollOutcome::Ready));
        raw.drop_output();
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "freed with its future or output in place")]
    fn freeing_a_cell_whose_future_is_in_place_is_caught() {
        let raw = single(std::future::pending::<()>());
        drop(raw);
    }
}

#[cfg(all(test, ferrio_loom))]
mod loom_tests {
    //! The cross-thread seams of the reference counts: a waker's reference
    //! released, or turned into a wake-up, on another thread while the loop
    //! thread releases the local ones.

    use super::super::header::{COMPLETE, RUNNING};
    use super::*;
    use crate::event_loop::remote::Remote;
    use crate::loom::models::Dropped;
    use crate::loom::AtomicUsize;
    use crate::loom::Mutex;
    use loom::sync::Arc;
    use std::future::poll_fn;

    /// A pending task whose future stashes its waker, polled once; its
    /// references; a counter of future drops; and a token its cold data
    /// holds, whose count tells whether the cell was freed.
    struct Fixture {
        handle: Joinable<()>,
        queued: RawTask,
        live: RawTask,
        waker: Waker,
        drops: Arc<AtomicUsize>,
        freed: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    }

    fn fixture() -> Fixture {
        let drops = Arc::new(AtomicUsize::new(0));
        let slot: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let guard = Dropped(drops.clone());
        let stash = slot.clone();
        let future = poll_fn(move |cx| {
            let _keep = &guard;
            *stash.lock().unwrap() = Some(cx.waker().clone());
            Poll::<()>::Pending
        });
        let freed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let meta = Meta::for_tests();
        meta.cold_mut(|c| c.cancel_tracker = Some(freed.clone()));
        let Allocated {
            handle,
            queued,
            live,
        } = RawTask::allocate(future, meta, None);
        handle.raw().meta().set(RUNNING);
        assert!(matches!(handle.raw().poll(), PollOutcome::Pending));
        handle.raw().meta().clear(RUNNING);
        let waker = slot.lock().unwrap().take().unwrap();
        Fixture {
            handle,
            queued,
            live,
            waker,
            drops,
            freed,
        }
    }

    /// What the loop does when a task ends: drop its future, mark it
    /// complete.
    fn finish(task: &RawTask) {
        task.meta().set(RUNNING);
        assert!(task.drop_future().is_none());
        task.meta().clear(RUNNING);
        task.meta().set(COMPLETE);
    }

    /// What `Waker::wake` does off the loop thread: the waker's reference
    /// travels as a `SendTask` into the loop's remote queue.
    fn wake_remotely(waker: Waker, remote: &Remote) {
        let ptr = NonNull::new(waker.data() as *mut Header).unwrap();
        std::mem::forget(waker);
        remote.push_task(SendTask { ptr });
    }

    /// A waker dropped on another thread while the loop thread drops its
    /// own references: the cell is freed exactly once, after both.
    #[test]
    fn loom_waker_dropped_on_another_thread() {
        loom::model(|| {
            let f = fixture();
            finish(f.handle.raw());
            drop((f.queued, f.live));
            let waker = f.waker;
            let other = loom::thread::spawn(move || drop(waker));
            drop(f.handle);
            other.join().unwrap();
            assert_eq!(f.drops.load(Ordering::SeqCst), 1);
            assert_eq!(std::sync::Arc::strong_count(&f.freed), 1, "cell not freed");
        });
    }

    /// A wake from another thread racing the loop thread's last local
    /// drop: whichever comes first, the wake-up reaches the loop as a
    /// reference that keeps the cell alive, the loop turns it into a local
    /// one, and the cell is freed exactly once, on the loop thread's last
    /// drop.
    #[test]
    fn loom_remote_wake_races_the_last_local_drop() {
        loom::model(|| {
            let f = fixture();
            let loop_id = f.handle.raw().meta().loop_id;
            let remote = Arc::new(Remote::new(Box::new(|| {})));
            let r = remote.clone();
            let waker = f.waker;
            let other = loom::thread::spawn(move || wake_remotely(waker, &r));
            finish(f.handle.raw());
            drop((f.queued, f.live, f.handle));
            other.join().unwrap();
            assert_eq!(
                std::sync::Arc::strong_count(&f.freed),
                2,
                "freed while a wake-up was queued"
            );
            let woken = remote.drain().tasks;
            assert_eq!(woken.len(), 1);
            for task in woken {
                let local = task.into_local_on(loop_id);
                assert!(local.meta().has(COMPLETE));
                drop(local);
            }
            assert_eq!(f.drops.load(Ordering::SeqCst), 1);
            assert_eq!(std::sync::Arc::strong_count(&f.freed), 1, "cell not freed");
        });
    }

    /// A wake from another thread after (or while) the loop closes: the
    /// future was dropped on the loop thread first; a wake-up refused by
    /// the closed queue is dropped on the waking thread, one queued before
    /// the close on the loop thread, and the cell is freed exactly once.
    #[test]
    fn loom_wake_after_the_loop_closed() {
        loom::model(|| {
            let f = fixture();
            let remote = Arc::new(Remote::new(Box::new(|| {})));
            let r = remote.clone();
            let waker = f.waker;
            let other = loom::thread::spawn(move || wake_remotely(waker, &r));
            // The loop closes: futures dropped, queue closed, references go.
            finish(f.handle.raw());
            assert_eq!(f.drops.load(Ordering::SeqCst), 1);
            let leftover = remote.close();
            drop(leftover);
            drop((f.queued, f.live, f.handle));
            other.join().unwrap();
            assert!(
                remote.close().tasks.is_empty(),
                "a wake-up got in after close"
            );
            assert_eq!(f.drops.load(Ordering::SeqCst), 1);
            assert_eq!(std::sync::Arc::strong_count(&f.freed), 1, "cell not freed");
        });
    }
}
