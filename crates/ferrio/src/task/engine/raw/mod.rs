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
//!
//! # Files
//!
//! This file holds the types and [`RawTask`]'s operations; `cell.rs` the
//! per-`F` vtable, layout and stage operations; `refs.rs` the two counts
//! (`Clone`/`Drop`, `SendTask`, `WakerRef`); `waker.rs` the `Waker`
//! vtable; `tests.rs` and `loom_tests.rs` the unit and loom tests.

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

// The hot header: two 32-bit counts, the vtable and the 72-byte `Meta`.
#[cfg(all(target_pointer_width = "64", not(ferrio_loom)))]
const _: () = assert!(std::mem::size_of::<Header>() == 88);

mod cell;
mod refs;
mod waker;

use cell::{cell_layout, tracked_of, vtable, vtable_tracked};
use refs::{decrement, increment, local_increment};
use waker::WAKER_VTABLE;

#[cfg(test)]
mod tests;

#[cfg(all(test, ferrio_loom))]
mod loom_tests;
