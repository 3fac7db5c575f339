//! [`Watchdog`]: finds tasks idle for longer than a threshold, and reports
//! or cancels them.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::fmt;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::monitor::MonitorTask;
use super::Human;
use crate::event_loop::{ExceptionContext, ExceptionKind, SpawnError, TaskInfo};
use crate::task::{self, Cancelled, TaskId};
use crate::{Handle, TaskRef};

/// The shortest check interval: a zero interval would never suspend.
const MIN_CHECK_INTERVAL: Duration = Duration::from_millis(1);

/// What a [`Watchdog`] does with a task idle for longer than its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdleAction {
    /// Report it to the loop's exception handler
    /// ([`ExceptionKind::TaskIdle`]).
    Report,
    /// Cancel it (`cancel_with("idle for …")`, so its cleanup runs) and
    /// report that it did.
    Cancel,
}

/// Watches the loop's tasks and acts on those idle — not polled — for
/// `threshold` or longer: the "clean up tasks idle for more than N
/// seconds" pattern, and a way to find stuck or leaked tasks.
///
/// Starting a watchdog turns on activity tracking for the loop (it stays
/// on: one clock read per poll). Every check interval (default: half the
/// threshold) it scans [`task::all()`](crate::task::all); a task counts as
/// idle from the end of its last poll, or from the watchdog's start if it
/// has not been polled since. Each task is reported (or cancelled) once
/// per idle period: again only after it has run and gone idle once more.
/// Reports go to the loop's exception handler as
/// [`ExceptionKind::TaskIdle`], with the task's name, spawn location, what
/// it waits on (when known) and the idle time as
/// [`duration`](ExceptionContext::duration).
///
/// The watchdog never acts on its own task, nor on the loop's main task
/// (the future given to `run`/`run_until_complete`, named `main`), which
/// typically waits for the whole program; see
/// [`WatchdogBuilder::watch_main`]. Tasks that supervise others (awaiting a
/// [`Task`](crate::Task) or a [`TaskGroup`](crate::TaskGroup)) are idle
/// while their children work, so pick the threshold with them in mind.
/// [`IdleAction::Cancel`] is a cancellation *request*: a task stuck in a
/// future that never reaches a ferrio awaitable will not see it, and a task
/// with a request already pending (`cancelling() > 0`) is not cancelled
/// again.
///
/// The watchdog runs until [`stop`](Self::stop) or until it is dropped.
///
/// ```
/// use std::time::Duration;
/// use ferrio::debug::{IdleAction, Watchdog};
/// use ferrio::event_loop::ExceptionKind;
///
/// let event_loop = ferrio::EventLoop::builder()
///     .virtual_clock(true)
///     .exception_handler(|report| {
///         assert_eq!(report.kind, ExceptionKind::TaskIdle);
///         println!("{report}");
///     })
///     .build()
///     .unwrap();
/// event_loop
///     .run_until_complete(async {
///         let t0 = ferrio::now();
///         let watchdog = Watchdog::start(Duration::from_secs(10), IdleAction::Cancel);
///         let stuck = ferrio::spawn(async { ferrio::sleep(Duration::from_secs(3600)).await });
///         // Checked every 5 s: found idle for 10 s at the second check.
///         assert!(stuck.await.unwrap_err().is_cancelled());
///         assert_eq!(ferrio::now() - t0, Duration::from_secs(10));
///         assert_eq!(watchdog.statistics().cancelled, 1);
///     })
///     .unwrap();
/// ```
pub struct Watchdog {
    state: Rc<WatchdogState>,
    task: MonitorTask,
}

struct WatchdogState {
    threshold: Duration,
    check_interval: Duration,
    action: IdleAction,
    watch_main: bool,
    /// Loop time of the start: the idle baseline of tasks with no activity.
    started: Instant,
    /// The tasks acted on, with the start of the idle period they were
    /// acted on for.
    flagged: RefCell<HashMap<TaskId, Instant>>,
    scans: Cell<u64>,
    reported: Cell<u64>,
    cancelled: Cell<u64>,
}

impl Watchdog {
    /// Starts a watchdog on the running loop, checking every
    /// `threshold / 2`.
    ///
    /// # Panics
    ///
    /// If no loop is running on this thread, or it is closing; see
    /// [`WatchdogBuilder::start`] for a `Result`.
    #[track_caller]
    pub fn start(threshold: Duration, action: IdleAction) -> Watchdog {
        match Watchdog::builder(threshold, action).start() {
            Ok(watchdog) => watchdog,
            Err(e) => panic!("Watchdog::start: {e}"),
        }
    }

    /// A builder, to set the check interval or watch the main task.
    pub fn builder(threshold: Duration, action: IdleAction) -> WatchdogBuilder {
        WatchdogBuilder {
            threshold,
            action,
            check_interval: None,
            watch_main: false,
        }
    }

    /// What the watchdog has done so far.
    pub fn statistics(&self) -> WatchdogStats {
        let s = &self.state;
        WatchdogStats {
            scans: s.scans.get(),
            reported: s.reported.get(),
            cancelled: s.cancelled.get(),
        }
    }

    /// The idle time from which a task is acted on.
    pub fn threshold(&self) -> Duration {
        self.state.threshold
    }

    /// The time between two scans.
    pub fn check_interval(&self) -> Duration {
        self.state.check_interval
    }

    /// What the watchdog does with an idle task.
    pub fn action(&self) -> IdleAction {
        self.state.action
    }

    /// Whether the watchdog still runs.
    pub fn is_running(&self) -> bool {
        self.task.is_running()
    }

    /// Stops watching. Dropping the watchdog stops it too. Activity
    /// tracking stays on.
    pub fn stop(&self) {
        self.task.stop();
    }
}

impl fmt::Debug for Watchdog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watchdog")
            .field("threshold", &self.state.threshold)
            .field("check_interval", &self.state.check_interval)
            .field("action", &self.state.action)
            .field("running", &self.is_running())
            .field("stats", &self.statistics())
            .finish()
    }
}

/// Configures a [`Watchdog`].
#[derive(Debug, Clone)]
pub struct WatchdogBuilder {
    threshold: Duration,
    action: IdleAction,
    check_interval: Option<Duration>,
    watch_main: bool,
}

impl WatchdogBuilder {
    /// How often to scan the tasks (default: half the threshold; at least
    /// 1 ms). A task is acted on at most one check interval after it
    /// crossed the threshold.
    pub fn check_interval(mut self, interval: Duration) -> WatchdogBuilder {
        self.check_interval = Some(interval);
        self
    }

    /// Also watch the loop's main task (off by default: it usually waits
    /// for the whole program, and cancelling it ends the run).
    pub fn watch_main(mut self, enabled: bool) -> WatchdogBuilder {
        self.watch_main = enabled;
        self
    }

    /// Turns on activity tracking and starts the watchdog on the running
    /// loop, as a detached task named `ferrio-watchdog`.
    ///
    /// # Errors
    ///
    /// [`SpawnError::NoRunningLoop`] outside a running loop,
    /// [`SpawnError::LoopClosed`] if it is closing.
    #[track_caller]
    pub fn start(self) -> Result<Watchdog, SpawnError> {
        let handle = Handle::try_current().ok_or(SpawnError::NoRunningLoop)?;
        if handle.is_closed() {
            return Err(SpawnError::LoopClosed(crate::event_loop::LoopClosed));
        }
        handle.inner.enable_tracking();
        let check_interval = self
            .check_interval
            .unwrap_or(self.threshold / 2)
            .max(MIN_CHECK_INTERVAL);
        let state = Rc::new(WatchdogState {
            threshold: self.threshold,
            check_interval,
            action: self.action,
            watch_main: self.watch_main,
            started: handle.time(),
            flagged: RefCell::default(),
            scans: Cell::new(0),
            reported: Cell::new(0),
            cancelled: Cell::new(0),
        });
        let task = MonitorTask::start("ferrio-watchdog", watch(state.clone(), handle))?;
        Ok(Watchdog { state, task })
    }
}

/// What a [`Watchdog`] has done, from [`Watchdog::statistics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WatchdogStats {
    /// Scans of the task list.
    pub scans: u64,
    /// Idle tasks reported (cancelled ones included).
    pub reported: u64,
    /// Idle tasks cancelled.
    pub cancelled: u64,
}

/// The watchdog's task: scans every check interval until cancelled or
/// aborted.
async fn watch(state: Rc<WatchdogState>, handle: Handle) -> Result<Infallible, Cancelled> {
    let me = task::current().map(|t| t.id());
    loop {
        crate::sleep(state.check_interval).await?;
        state.scan(me, &handle);
    }
}

impl WatchdogState {
    fn scan(&self, me: Option<TaskId>, handle: &Handle) {
        self.scans.set(self.scans.get() + 1);
        let now = handle.time();
        let tasks = task::all();
        let live: HashSet<TaskId> = tasks.iter().map(TaskRef::id).collect();
        self.flagged.borrow_mut().retain(|id, _| live.contains(id));
        for task in &tasks {
            if Some(task.id()) == me || (!self.watch_main && is_main(task)) {
                continue;
            }
            let since = task
                .activity()
                .and_then(|a| a.last_active)
                .unwrap_or(self.started);
            let idle = now.saturating_duration_since(since);
            if idle < self.threshold {
                continue;
            }
            if self.action == IdleAction::Cancel && task.cancelling() > 0 {
                continue; // a cancellation is already on its way
            }
            if self.flagged.borrow_mut().insert(task.id(), since) == Some(since) {
                continue; // already acted on for this idle period
            }
            self.act(task, idle, handle);
        }
    }

    fn act(&self, task: &TaskRef, idle: Duration, handle: &Handle) {
        let info = TaskInfo {
            id: task.id(),
            name: task.name(),
            location: task.location(),
        };
        let waiting = task
            .waiting_on()
            .map(|w| format!(", waiting on {w}"))
            .unwrap_or_default();
        let idle_text = Human(idle).to_string();
        let message = match self.action {
            IdleAction::Report => format!(
                "Task '{}' (spawned at {}) has been idle for {idle_text}{waiting}, \
                 past the watchdog's threshold of {:?}: it may be stuck or leaked; \
                 cancel it, or raise the threshold if it waits on purpose",
                info.name, info.location, self.threshold
            ),
            IdleAction::Cancel => {
                task.cancel_with(format!("idle for {idle_text}"));
                self.cancelled.set(self.cancelled.get() + 1);
                format!(
                    "Task '{}' (spawned at {}) was idle for {idle_text}{waiting}, \
                     past the watchdog's threshold of {:?}: the watchdog cancelled it",
                    info.name, info.location, self.threshold
                )
            }
        };
        self.reported.set(self.reported.get() + 1);
        handle.call_exception_handler(
            &ExceptionContext::new(ExceptionKind::TaskIdle, message, Some(info))
                .with_duration(idle),
        );
    }
}

/// Whether `task` is a loop's main task (the future of `run_until_complete`).
fn is_main(task: &TaskRef) -> bool {
    task.parent_id().is_none() && &*task.name() == "main"
}
