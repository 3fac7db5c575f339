//! Running a task one step, and finishing it: the bridge between the loop's
//! run queue and the task's state.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use super::header::*;
use super::raw::{PollOutcome, RawTask, SendTask, WakerRef};
use crate::event_loop::clock::{duration_nanos, instant_at, real_nanos};
use crate::event_loop::context;
use crate::event_loop::inner::{Inner, IO_BUDGET};
use crate::event_loop::remote;
use crate::event_loop::{default_exception_handler, ExceptionContext, ExceptionKind, TaskInfo};
use crate::task::cancel::cancelled;
use crate::task::{panic_message, TaskRef};

/// Queues a task on its loop: directly when that loop is running on this
/// thread, through the loop's remote queue otherwise.
#[inline]
pub(crate) fn schedule(task: RawTask) {
    match context::current_if(task.meta().loop_id) {
        Some(inner) => inner.schedule_local(task),
        None => remote::schedule_remote(task.to_send()),
    }
}

/// `Waker::wake` of a task's waker.
#[inline]
pub(crate) fn wake(task: SendTask) {
    match context::current_if(task.loop_id()) {
        Some(inner) => inner.schedule_local(task.into_local(&inner)),
        None => remote::schedule_remote(task),
    }
}

/// `Waker::wake_by_ref` of a task's waker.
#[inline]
pub(crate) fn wake_by_ref(task: WakerRef) {
    match context::current_if(task.loop_id()) {
        Some(inner) => inner.schedule_local(task.to_local(&inner)),
        None => remote::schedule_remote(task.to_send()),
    }
}

/// How a task's future ended.
enum Completion {
    /// It returned a value (which may carry its `Cancelled`).
    Returned,
    /// It was dropped before finishing (abort, cancel before start, close).
    Dropped,
    /// It aborted itself during a poll that then returned: the output is
    /// stored but the abort wins.
    Aborted,
    /// It panicked, while polled or while dropped.
    Panicked(Box<dyn std::any::Any + Send>),
}

/// Runs one step of `task`, taken from the run queue.
pub(crate) fn run(inner: &Inner, task: &RawTask) {
    let meta = task.meta();
    let flags = meta.flags() & !SCHEDULED;
    // One load and one test on the common path: nothing to cancel or
    // abort, not finished.
    let hard = if flags & (COMPLETE | ABORT | MUST_CANCEL) == 0 {
        false
    } else {
        // Whatever this costs is no tracked step's: the next one reads the
        // clock afresh.
        inner.last_step_end.set(None);
        meta.set_flags(flags);
        if flags & COMPLETE != 0 {
            return;
        }
        // A task cancelled before it started never runs, as in asyncio.
        if flags & ABORT != 0 || (flags & STARTED == 0 && flags & MUST_CANCEL != 0) {
            meta.clear(MUST_CANCEL | REARMED);
            abort_now(inner, task);
            return;
        }
        // A hard cancellation (task group, shutdown) that this poll does
        // not deliver can never be: the task is parked on a foreign future.
        flags & HARD_CANCEL != 0
    };
    meta.set_flags(flags | STARTED | RUNNING);
    let previous = inner.current_task.replace(Some(task.addr()));
    inner.io_budget.set(IO_BUDGET);
    if inner.tracking() {
        return run_tracked(inner, task, previous, hard);
    }
    let outcome = task.poll();
    inner.current_task.set(previous);
    end_step(inner, task, outcome, hard);
}

/// What the loop does with the outcome of a poll (`RUNNING` still set).
#[inline(always)]
fn end_step(inner: &Inner, task: &RawTask, outcome: PollOutcome, hard: bool) {
    let meta = task.meta();
    let flags = meta.flags() & !RUNNING;
    meta.set_flags(flags);
    match outcome {
        PollOutcome::Pending if flags & ABORT != 0 => abort_now(inner, task),
        PollOutcome::Pending if hard => {
            if flags & MUST_CANCEL != 0 {
                report_undeliverable(inner, meta);
                meta.clear(MUST_CANCEL | REARMED);
                abort_now(inner, task);
            } else {
                meta.clear(HARD_CANCEL);
            }
        }
        PollOutcome::Pending | PollOutcome::Gone => {}
        PollOutcome::Ready if flags & ABORT != 0 => {
            // Aborted itself, then returned: the abort wins. The output is
            // dropped by `complete`, once the joiner is woken.
            complete(inner, task, Completion::Aborted);
        }
        PollOutcome::Ready => complete(inner, task, Completion::Returned),
        PollOutcome::Panicked(payload) => complete(inner, task, Completion::Panicked(payload)),
    }
}

/// [`run`]'s poll and [`end_step`] while the loop tracks activity, and
/// the step recorded in the task's activity: kept out of line so that the
/// common path of [`run`] stays small.
///
/// The step is the poll and what the loop did with the outcome (completing
/// the task, waking its joiner, dropping an unwanted output count as the
/// task's own time). One clock read per step: a step starts at the reading
/// that ended the step before it in the same batch of ready jobs
/// (`Inner::last_step_end`, so only the loop's pop of the run queue lies
/// between them), or at a fresh reading for the first of a batch, and ends
/// at a reading taken here. The loop time at the end (`last_active`) is
/// that reading itself on a real clock; tasks spawned during the poll take
/// the start as their spawn time. In debug mode a slow step is reported.
#[cold]
#[inline(never)]
fn run_tracked(
    inner: &Inner,
    task: &RawTask,
    previous: Option<std::ptr::NonNull<super::raw::Header>>,
    hard: bool,
) {
    let tracked = task.tracked();
    match tracked {
        Some(tracked) => tracked.clear_wait(),
        None => {
            task.meta().cold_existing_mut(|c| c.waiting_on = None);
        }
    }
    let started = inner.last_step_end.take().unwrap_or_else(real_nanos);
    let outer = inner
        .tracked_poll_started
        .replace(Some(inner.clock.nanos_from(started)));
    let outcome = task.poll();
    inner.tracked_poll_started.set(outer);
    inner.current_task.set(previous);
    end_step(inner, task, outcome, hard);
    let ended = real_nanos();
    let took = ended.saturating_sub(started);
    let now = inner.clock.nanos_from(ended);
    match tracked {
        Some(tracked) => tracked.record_poll(took, now),
        // Spawned before the loop tracked activity: the cold data keeps it.
        None => task.meta().cold_mut(|c| {
            let activity = &mut c.activity;
            activity.polls += 1;
            activity.busy += Duration::from_nanos(took);
            activity.last_active = Some(instant_at(now));
        }),
    }
    if inner.debug.get() && took >= duration_nanos(inner.slow_callback_duration.get()) {
        report_slow_step(inner, task.meta(), Duration::from_nanos(took));
        // The report took time of its own: the next step reads the clock.
        return;
    }
    inner.last_step_end.set(Some(ended));
}

/// Debug mode: reports a task step that took `took`, at least the loop's
/// `slow_callback_duration`.
#[cold]
#[inline(never)]
fn report_slow_step(inner: &Inner, meta: &Meta, took: Duration) {
    let info = task_info(meta);
    let message = format!(
        "Executing task '{}' (spawned at {}) took {:.3} seconds: something blocked the event loop",
        info.name,
        info.location,
        took.as_secs_f64()
    );
    inner.call_exception_handler(
        &ExceptionContext::new(ExceptionKind::SlowPoll, message, Some(info)).with_duration(took),
    );
}

pub(crate) fn task_info(meta: &Meta) -> TaskInfo {
    TaskInfo {
        id: meta.id,
        name: meta.name(),
        location: meta.location,
    }
}

/// Drops the future of a task that is not being polled, completing it as
/// cancelled (or as panicked, if its destructor panicked).
pub(crate) fn abort_now(inner: &Inner, task: &RawTask) {
    let meta = task.meta();
    if meta.has(COMPLETE) {
        return;
    }
    if meta.has(RUNNING) {
        // Being polled or already being dropped (a destructor that aborts
        // its own task): the running step finishes the job.
        meta.set(ABORT);
        return;
    }
    // RUNNING guards the drop against re-entrant aborts and polls.
    meta.set(RUNNING);
    let dropped = task.drop_future();
    meta.clear(RUNNING);
    let completion = match dropped {
        Some(payload) => Completion::Panicked(payload),
        None => Completion::Dropped,
    };
    complete(inner, task, completion);
}

/// Finishes a task, in an order that holds even if a destructor panics:
/// the state is recorded, the task leaves the live list, its joiner is
/// woken and its done callbacks are queued *before* anything is dropped;
/// then the output the loop owns is dropped (a panicking destructor is
/// caught and reported), and a failure nobody will retrieve is reported.
fn complete(inner: &Inner, task: &RawTask, completion: Completion) {
    let meta = task.meta();
    let mut drop_output = !meta.has(HANDLE);
    match completion {
        Completion::Returned => {
            // Decided while the output (which may hold the `Cancelled`) is
            // still there. Returned with a delivered `Cancelled` alive, or
            // with a request never delivered (it cancelled itself and did
            // not suspend again): cancelled, as asyncio's pending cancel at
            // completion.
            let undelivered = meta.has(MUST_CANCEL) && !meta.has(REARMED);
            if undelivered || cancelled::is_held(meta) {
                meta.clear(MUST_CANCEL | REARMED);
                meta.set(CANCELLED);
                drop_output = true;
            }
        }
        Completion::Dropped => meta.set(CANCELLED),
        Completion::Aborted => {
            meta.set(CANCELLED);
            drop_output = true;
        }
        Completion::Panicked(payload) => {
            meta.set(PANICKED);
            let message: Arc<str> = Arc::from(panic_message(&*payload));
            meta.cold_mut(|cold| {
                cold.panic = Some(payload);
                cold.panic_message = Some(message);
            });
        }
    }
    meta.set(COMPLETE);
    let live = inner.tasks.remove(task);
    if let Some(waker) = meta.join_waker.take() {
        // A waker of another executor may panic: report it and finish.
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || waker.wake())) {
            report_panic(
                inner,
                task,
                ExceptionKind::StepPanicked,
                "the waker of the task awaiting it panicked",
                payload,
            );
        }
    }
    let callbacks = meta.take_done_callbacks();
    if !inner.is_closed() {
        for (_, callback) in callbacks {
            let task_ref = TaskRef::new(task.clone());
            inner.push_callback(crate::event_loop::callback_entry(Box::new(move || {
                callback(&task_ref)
            })));
        }
    } else if !callbacks.is_empty() {
        // The loop is closing: the callbacks will not run. Drop them here,
        // on the loop thread, catching a destructor that panics.
        if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(callbacks))) {
            report_panic(
                inner,
                task,
                ExceptionKind::DropPanicked,
                "a done callback panicked when dropped unrun by the closing loop",
                payload,
            );
        }
    }
    if drop_output {
        task.drop_output();
    }
    if meta.has(PANICKED) {
        if inner.shutting_down.get() {
            report_shutdown_failure(inner, meta);
        } else if !meta.has(HANDLE) {
            report_not_retrieved(Some(inner), task);
        }
    }
    drop(live);
}

/// A task panicked while a `Runner` shut the loop down (it was cancelled,
/// and its cleanup panicked, say): reported whether or not someone holds
/// its handle, as asyncio's "unhandled exception during asyncio.run()
/// shutdown".
fn report_shutdown_failure(inner: &Inner, meta: &Meta) {
    meta.set(REPORTED);
    let info = task_info(meta);
    let panic = meta.cold(|c| c.panic_message.clone()).flatten();
    let message = format!(
        "Task '{}' (spawned at {}) panicked during ferrio::run() shutdown: {}",
        info.name,
        info.location,
        panic.as_deref().unwrap_or("<unknown>")
    );
    inner.call_exception_handler(&ExceptionContext::new(
        ExceptionKind::ShutdownFailure,
        message,
        Some(info),
    ));
}

/// Debug mode: reports a task aborted because the cancellation that had to
/// end it could not be delivered (see `HARD_CANCEL`).
fn report_undeliverable(inner: &Inner, meta: &Meta) {
    if !inner.debugging() {
        return;
    }
    let info = task_info(meta);
    let message = format!(
        "Task '{}' (spawned at {}) was aborted: it was cancelled while suspended on a future \
         that is not a ferrio awaitable, so the cancellation could not be delivered and its \
         cleanup did not run",
        info.name, info.location
    );
    inner.call_exception_handler(&ExceptionContext::new(
        ExceptionKind::UndeliverableCancellation,
        message,
        Some(info),
    ));
}

/// Reports the panic of a task's output destructor (see
/// [`RawTask::drop_output`]) to the task's loop, or to the default handler
/// if that loop is gone.
pub(crate) fn report_drop_panic(task: &RawTask, payload: Box<dyn std::any::Any + Send>) {
    let what = "its output panicked when dropped";
    match context::loop_by_id(task.meta().loop_id) {
        Some(inner) => report_panic(&inner, task, ExceptionKind::DropPanicked, what, payload),
        None => {
            let context = panic_context(task, ExceptionKind::DropPanicked, what, &*payload);
            default_exception_handler(&context);
            drop_payload(payload);
        }
    }
}

/// Reports a panic caught while the loop worked on `task`.
pub(crate) fn report_panic(
    inner: &Inner,
    task: &RawTask,
    kind: ExceptionKind,
    what: &str,
    payload: Box<dyn std::any::Any + Send>,
) {
    inner.call_exception_handler(&panic_context(task, kind, what, &*payload));
    drop_payload(payload);
}

fn panic_context(
    task: &RawTask,
    kind: ExceptionKind,
    what: &str,
    payload: &(dyn std::any::Any + Send),
) -> ExceptionContext {
    let info = task_info(task.meta());
    let message = format!(
        "task '{}' (spawned at {}): {what}: {}",
        info.name,
        info.location,
        panic_message(payload)
    );
    ExceptionContext::new(kind, message, Some(info))
}

/// Drops a panic payload, whose own destructor might panic too.
fn drop_payload(payload: Box<dyn std::any::Any + Send>) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
}

/// Debug mode: reports a `Task` handle dropped without being awaited or
/// detached (nobody will see that task's result).
pub(crate) fn report_handle_dropped(task: &RawTask) {
    let meta = task.meta();
    if meta.has(REPORTED) {
        return;
    }
    let Some(inner) = context::loop_by_id(meta.loop_id) else {
        return;
    };
    // Closing or shutting down, the loop drops what nobody will await: not
    // a lost handle.
    if !inner.debug.get() || inner.is_closed() || inner.shutting_down.get() {
        return;
    }
    let info = task_info(meta);
    let message = format!(
        "Task '{}' (spawned at {}) was dropped without being awaited; \
         call .detach() on it if it runs in the background on purpose",
        info.name, info.location
    );
    inner.call_exception_handler(&ExceptionContext::new(
        ExceptionKind::TaskHandleDropped,
        message,
        Some(info),
    ));
}

/// Reports a failed task whose outcome nobody retrieved, once, to its loop's
/// exception handler (or the default one if that loop is not at hand).
pub(crate) fn report_not_retrieved(inner: Option<&Inner>, task: &RawTask) {
    let meta = task.meta();
    if meta.has(RETRIEVED | REPORTED) {
        return;
    }
    meta.set(REPORTED);
    let info = task_info(meta);
    let panic = meta.cold(|c| c.panic_message.clone()).flatten();
    let message = format!(
        "Task exception was never retrieved: task '{}' (spawned at {}) panicked: {}",
        info.name,
        info.location,
        panic.as_deref().unwrap_or("<unknown>")
    );
    let context =
        ExceptionContext::new(ExceptionKind::TaskFailureNotRetrieved, message, Some(info));
    match inner {
        Some(inner) => inner.call_exception_handler(&context),
        None => match context::loop_by_id(meta.loop_id) {
            Some(inner) => inner.call_exception_handler(&context),
            None => default_exception_handler(&context),
        },
    }
}
