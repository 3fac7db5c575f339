//! The loop's state and its iteration (`run_once`).
//!
//! One iteration, as in asyncio's `_run_once`:
//! 1. take in what other threads sent (`call_soon_threadsafe`, remote
//!    wake-ups: one atomic load when there is nothing), so that they keep
//!    their registration order with `call_soon`;
//! 2. poll the reactor — without blocking if work is ready (and then only
//!    every [`IO_POLL_INTERVAL`] jobs, as tokio does, so that a busy loop
//!    does not pay a syscall per job), otherwise blocking until the next
//!    live timer — and again take in what other threads sent;
//! 3. move every due timer to the ready queue;
//! 4. run the jobs that are ready *now*, in FIFO order; jobs made ready while
//!    they run wait for the next iteration. That is what makes
//!    `yield_now()` let every other ready task run once.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::callback::CallbackEntry;
use super::clock::Clock;
use super::exception::{
    default_exception_handler, DeadlockAction, ExceptionContext, ExceptionHandler, ExceptionKind,
};
use super::remote::{self, Remote};
use super::timers::{TimerAction, Timers};
use super::LoopId;
use crate::reactor::Reactor;
use crate::task::engine::list::TaskList;
use crate::task::engine::raw::{Header, RawTask};
use crate::task::{self, TaskId};

/// Jobs run between two non-blocking reactor polls while the loop is busy.
const IO_POLL_INTERVAL: u32 = 61;

/// How long an idle virtual-clock loop that just did I/O waits, in real
/// time, for its readiness before jumping to the next deadline.
const IO_SETTLE: Duration = Duration::from_millis(5);

/// asyncio's default `slow_callback_duration`.
/// I/O operations a task may complete in one poll before the next one
/// suspends it (a forced yield, as tokio's cooperative budget): a task
/// reading a socket that never runs dry still lets the others run, and
/// still reaches a point where a cancellation is delivered.
pub(crate) const IO_BUDGET: u32 = 128;

pub(crate) const DEFAULT_SLOW_CALLBACK: Duration = Duration::from_millis(100);

/// Something ready to run.
pub(crate) enum Job {
    Task(RawTask),
    Callback(Rc<CallbackEntry>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Idle,
    Running,
    Closed,
}

pub(crate) struct Inner {
    pub(crate) id: LoopId,
    pub(crate) run_queue: RefCell<VecDeque<Job>>,
    pub(crate) timers: RefCell<Timers>,
    pub(crate) clock: Clock,
    reactor: RefCell<Reactor>,
    /// The reactor's registration side, for the I/O layer's sources.
    pub(crate) io: Rc<crate::reactor::Driver>,
    pub(crate) remote: Arc<Remote>,
    pub(crate) tasks: TaskList,
    next_task_id: Cell<u64>,
    /// The task being polled, if any.
    pub(crate) current_task: Cell<Option<NonNull<Header>>>,
    /// I/O operations the polled task may still complete without
    /// suspending in this poll (see `net::io`'s budget).
    pub(crate) io_budget: Cell<u32>,
    pub(crate) state: Cell<State>,
    pub(crate) stopping: Cell<bool>,
    /// A `Runner` is shutting the loop down: it cancelled the leftover
    /// tasks and waits for them (handles dropped now are not "lost").
    pub(crate) shutting_down: Cell<bool>,
    exception_handler: RefCell<Option<ExceptionHandler>>,
    /// Jobs run since the reactor was last polled.
    ticks: Cell<u32>,
    /// Debug mode: slow polls and callbacks, dropped task handles are reported.
    pub(crate) debug: Cell<bool>,
    /// A poll or callback at least this long is reported in debug mode.
    pub(crate) slow_callback_duration: Cell<Duration>,
    /// Tasks record their activity (polls, busy time, last active): on in
    /// debug mode and while a watchdog runs. Off, the poll path reads no
    /// clock.
    pub(crate) track_activity: Cell<bool>,
    /// The loop time at the start of the tracked poll in progress, if any:
    /// the spawn time of the tasks it spawns (one clock read per poll, not
    /// one per spawn).
    /// In `clock::nanos_since_epoch`, as all the times below.
    pub(crate) tracked_poll_started: Cell<Option<u64>>,
    /// While tasks record their activity: the clock reading that ended the
    /// last tracked task step of the current batch of ready jobs, which
    /// starts the next one (`None` at the start of a batch and after any
    /// other job).
    pub(crate) last_step_end: Cell<Option<u64>>,
    /// Outstanding [`ClockHold`]s: while any exists, an idle virtual clock
    /// waits for the reactor instead of jumping to the next deadline.
    clock_holds: Cell<usize>,
    /// Per-loop state of the layers above (the default thread pool, …),
    /// dropped with the loop.
    pub(crate) slots: super::slots::Slots,
    /// What debug mode's deadlock detector does with a cycle it finds.
    pub(crate) deadlock_action: Cell<DeadlockAction>,
}

/// Keeps the virtual clock from auto-advancing while work runs on another
/// thread (e.g. `to_thread`), whose completion arrives as a wake-up rather
/// than as a timer. Released on drop.
pub(crate) struct ClockHold {
    inner: Rc<Inner>,
}

impl Drop for ClockHold {
    fn drop(&mut self) {
        self.inner.clock_holds.set(self.inner.clock_holds.get() - 1);
    }
}

impl Inner {
    pub(crate) fn new(virtual_clock: bool) -> io::Result<Rc<Inner>> {
        let (reactor, waker) = Reactor::new()?;
        let io = reactor.driver().clone();
        let id = LoopId::next();
        // A failed wake means the reactor is gone: the loop is closing and
        // will not need the wake-up.
        let remote = Arc::new(Remote::new(Box::new(move || drop(waker.wake()))));
        remote::register(id, remote.clone());
        let inner = Rc::new(Inner {
            id,
            run_queue: RefCell::new(VecDeque::new()),
            timers: RefCell::new(Timers::default()),
            clock: Clock::new(virtual_clock),
            reactor: RefCell::new(reactor),
            io,
            remote,
            tasks: TaskList::default(),
            next_task_id: Cell::new(1),
            current_task: Cell::new(None),
            io_budget: Cell::new(IO_BUDGET),
            state: Cell::new(State::Idle),
            stopping: Cell::new(false),
            shutting_down: Cell::new(false),
            exception_handler: RefCell::new(None),
            ticks: Cell::new(0),
            debug: Cell::new(false),
            slow_callback_duration: Cell::new(DEFAULT_SLOW_CALLBACK),
            track_activity: Cell::new(false),
            tracked_poll_started: Cell::new(None),
            last_step_end: Cell::new(None),
            clock_holds: Cell::new(0),
            slots: super::slots::Slots::default(),
            deadlock_action: Cell::new(DeadlockAction::Report),
        });
        super::context::register(&inner);
        Ok(inner)
    }

    /// Holds the virtual clock still until the returned guard is dropped
    /// (see [`ClockHold`]). No effect on a real clock.
    pub(crate) fn hold_clock(self: &Rc<Self>) -> ClockHold {
        self.clock_holds.set(self.clock_holds.get() + 1);
        ClockHold {
            inner: self.clone(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.state.get() == State::Closed
    }

    pub(crate) fn next_task_id(&self) -> TaskId {
        let id = self.next_task_id.get();
        self.next_task_id.set(id + 1);
        TaskId::from_raw(id)
    }

    /// Queues a task woken on this loop's thread (or spawned), unless it is
    /// already queued or complete.
    #[inline]
    pub(crate) fn schedule_local(&self, task: RawTask) {
        if task.mark_scheduled() {
            self.run_queue.borrow_mut().push_back(Job::Task(task));
        }
    }

    pub(crate) fn push_callback(&self, entry: Rc<CallbackEntry>) {
        self.run_queue.borrow_mut().push_back(Job::Callback(entry));
    }

    pub(crate) fn set_exception_handler(&self, handler: Option<ExceptionHandler>) {
        *self.exception_handler.borrow_mut() = handler;
    }

    /// Hands a report to the exception handler. A panicking handler is
    /// reported on standard error and otherwise ignored.
    pub(crate) fn call_exception_handler(&self, context: &ExceptionContext) {
        let handler = self.exception_handler.borrow().clone();
        let result = catch_unwind(AssertUnwindSafe(|| match handler {
            Some(h) => h(context),
            None => default_exception_handler(context),
        }));
        if result.is_err() {
            eprintln!(
                "ferrio: the exception handler panicked while handling: {}",
                context.message
            );
        }
    }

    /// One loop iteration. `io::Error` only if the OS poll itself fails.
    pub(crate) fn run_once(&self) -> io::Result<()> {
        // What other threads sent joins the ready queue first, so that a
        // `call_soon_threadsafe` registered before a `call_soon` runs
        // before it (one atomic load when nothing was sent).
        self.take_remote();
        let has_ready = !self.run_queue.borrow().is_empty();
        if !has_ready {
            self.poll_idle()?;
        } else if self.ticks.get() >= IO_POLL_INTERVAL {
            self.poll_io(Some(Duration::ZERO))?;
        }
        self.fire_due_timers();
        let n = self.run_queue.borrow().len();
        self.run_ready(n);
        self.ticks.set(self.ticks.get().saturating_add(n as u32));
        Ok(())
    }

    /// Runs the first `n` ready jobs. A task's poll and its destructors
    /// catch their own panics, and so does a callback; one guard around the
    /// whole batch (cheaper than one per job) catches what is left — a
    /// foreign waker's `wake` when a task completes, say — reports it
    /// against the task it came from, and goes on with the batch, so that
    /// a panic never leaves `run_until_complete` from a task step.
    fn run_ready(&self, n: usize) {
        let mut left = n;
        let mut running: Option<RawTask> = None;
        // A tracked task step starts where the previous one ended only
        // inside one batch (the reactor may have blocked in between).
        self.last_step_end.set(None);
        while left > 0 {
            let batch = catch_unwind(AssertUnwindSafe(|| {
                while left > 0 {
                    left -= 1;
                    let job = self.run_queue.borrow_mut().pop_front();
                    match job {
                        Some(Job::Task(t)) => {
                            task::schedule::run(self, running.insert(t));
                            running = None;
                        }
                        Some(Job::Callback(cb)) => {
                            self.last_step_end.set(None);
                            self.run_callback(&cb);
                        }
                        None => left = 0,
                    }
                }
            }));
            if let Err(payload) = batch {
                self.last_step_end.set(None);
                match running.take() {
                    Some(t) => task::schedule::report_panic(
                        self,
                        &t,
                        ExceptionKind::StepPanicked,
                        "a panic escaped while the loop ran it",
                        payload,
                    ),
                    None => self.call_exception_handler(&ExceptionContext::new(
                        ExceptionKind::StepPanicked,
                        format!(
                            "a panic escaped from a loop job: {}",
                            crate::task::panic_message(&*payload)
                        ),
                        None,
                    )),
                }
            }
        }
    }

    /// Nothing is ready: wait for I/O, another thread, or the next timer.
    fn poll_idle(&self) -> io::Result<()> {
        let next = self.timers.borrow_mut().next_deadline();
        match next {
            None => self.poll_io(None),
            // Work is in flight on another thread: wait for it rather than
            // let the virtual clock run ahead of it.
            Some(_) if self.clock.is_virtual() && self.clock_holds.get() > 0 => self.poll_io(None),
            Some(deadline) if self.clock.is_virtual() => {
                // Idle with a virtual clock: take what is already there,
                // and if that readies nothing, jump to the next deadline.
                // I/O attempted since the last look may still be in the
                // kernel (loopback data, a handshake): give it a moment.
                let settle = if self.io.take_activity() {
                    IO_SETTLE
                } else {
                    Duration::ZERO
                };
                self.poll_io(Some(settle))?;
                if self.run_queue.borrow().is_empty() {
                    self.clock.advance_to(deadline);
                }
                Ok(())
            }
            Some(deadline) => {
                let timeout = deadline.saturating_duration_since(Instant::now());
                self.poll_io(Some(timeout))
            }
        }
    }

    fn poll_io(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.ticks.set(0);
        self.reactor.borrow_mut().poll(timeout)?;
        self.take_remote();
        Ok(())
    }

    /// Moves what other threads sent (callbacks, task wake-ups) to the
    /// ready queue, in the order they were sent. One atomic load when
    /// nothing was.
    #[inline]
    pub(crate) fn take_remote(&self) {
        if self.remote.is_notified() {
            self.take_remote_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn take_remote_slow(&self) {
        let drained = self.remote.drain();
        for t in drained.tasks {
            self.schedule_local(t.into_local(self));
        }
        for (f, location) in drained.callbacks {
            self.push_callback(CallbackEntry::registered_at(f, location));
        }
    }

    fn fire_due_timers(&self) {
        if self.timers.borrow().is_empty() {
            return;
        }
        let now = self.clock.now();
        loop {
            let action = self.timers.borrow_mut().pop_due(now);
            match action {
                Some(TimerAction::Wake(w)) => w.wake(),
                Some(TimerAction::Callback(cb)) => self.push_callback(cb),
                None => break,
            }
        }
    }

    /// Whether tasks record their activity now. Always `false` in a build
    /// with `--cfg ferrio_no_diagnostics`, which compiles the hooks out (to
    /// measure what they cost when off: see benches/diagnostics_overhead.sh).
    #[inline]
    pub(crate) fn tracking(&self) -> bool {
        !cfg!(ferrio_no_diagnostics) && self.track_activity.get()
    }

    /// Whether debug mode is on (see [`Inner::tracking`] for the cfg).
    #[inline]
    pub(crate) fn debugging(&self) -> bool {
        !cfg!(ferrio_no_diagnostics) && self.debug.get()
    }

    /// Turns debug mode on or off (and activity tracking with it).
    pub(crate) fn set_debug(&self, enabled: bool) {
        self.debug.set(enabled);
        if enabled {
            super::context::mark_debug_seen();
            self.enable_tracking();
        }
    }

    /// Turns activity tracking on (debug mode, a watchdog); it stays on.
    pub(crate) fn enable_tracking(&self) {
        self.track_activity.set(true);
        super::context::mark_tracking_seen();
    }

    fn run_callback(&self, entry: &CallbackEntry) {
        if let Some(f) = entry.take() {
            let started = self.debugging().then(Instant::now);
            let result = catch_unwind(AssertUnwindSafe(f));
            if let Some(started) = started {
                let took = started.elapsed();
                if took >= self.slow_callback_duration.get() {
                    self.call_exception_handler(
                        &ExceptionContext::new(
                            ExceptionKind::SlowCallback,
                            format!(
                                "Executing the callback registered at {} took {:.3} seconds: \
                                 something blocked the event loop",
                                entry.location,
                                took.as_secs_f64()
                            ),
                            None,
                        )
                        .with_duration(took)
                        .with_location(entry.location),
                    );
                }
            }
            if let Err(payload) = result {
                let message = format!(
                    "the callback registered at {} panicked: {}",
                    entry.location,
                    crate::task::panic_message(&*payload)
                );
                self.call_exception_handler(
                    &ExceptionContext::new(ExceptionKind::CallbackPanicked, message, None)
                        .with_location(entry.location),
                );
            }
        }
    }

    /// Closes the loop: drops every live task's future (they complete as
    /// cancelled), every queued job and timer, and refuses further work.
    pub(crate) fn close(&self) {
        self.state.set(State::Closed);
        // Dropping futures can wake or spawn nothing new that would run
        // (the loop is closed), but can queue jobs: loop until all is gone.
        loop {
            let tasks = self.tasks.snapshot();
            for t in &tasks {
                task::schedule::abort_now(self, t);
            }
            drop(tasks);
            let jobs: Vec<Job> = self.run_queue.borrow_mut().drain(..).collect();
            let timers = self.timers.borrow_mut().drain();
            let remote = self.remote.close();
            let idle = jobs.is_empty()
                && timers.is_empty()
                && remote.tasks.is_empty()
                && remote.callbacks.is_empty();
            drop((jobs, timers, remote));
            if idle && self.tasks.is_empty() {
                break;
            }
        }
        remote::unregister(self.id);
        super::context::unregister(self.id);
    }
}
