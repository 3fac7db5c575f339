//! [`TaskActivity`]: what a task did, as recorded while the loop tracks
//! activity, and [`TaskRef::activity`] to read it.

use std::time::{Duration, Instant};

use crate::task::header::Activity;
use crate::TaskRef;

/// What a task did, as recorded while its loop tracks activity (in debug
/// mode, and once a [`Watchdog`](super::Watchdog) has started): a snapshot,
/// from [`TaskRef::activity`].
///
/// Instants are on the loop clock ([`now()`](crate::now())), so on a
/// virtual-clock loop they are virtual too; `busy` is wall-clock time spent
/// inside the task's polls.
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).debug(true).build().unwrap()
///     .run_until_complete(async {
///         let task = ferrio::spawn(async {
///             ferrio::sleep(Duration::from_secs(5)).await?;
///             ferrio::sleep(Duration::from_secs(5)).await
///         });
///         ferrio::sleep(Duration::from_secs(7)).await.unwrap();
///         let activity = task.activity().unwrap();
///         assert_eq!(activity.polls, 2);
///         assert_eq!(activity.idle_for(ferrio::now()), Some(Duration::from_secs(2)));
///         task.await.unwrap().unwrap();
///     })
///     .unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TaskActivity {
    /// Polls recorded (those made while the loop tracked activity).
    pub polls: u64,
    /// Wall-clock time spent inside those polls.
    pub busy: Duration,
    /// Loop time at the end of the last recorded poll (or of the spawn, if
    /// the task has not been polled since).
    pub last_active: Option<Instant>,
    /// Loop time of the spawn, if the loop tracked activity then.
    pub spawned_at: Option<Instant>,
}

impl TaskActivity {
    pub(crate) fn from_raw(activity: Activity) -> TaskActivity {
        TaskActivity {
            polls: activity.polls,
            busy: activity.busy,
            last_active: activity.last_active,
            spawned_at: activity.spawned_at,
        }
    }

    /// How long the task has been idle at loop time `now`: since it was
    /// last active. `None` if that is unknown.
    pub fn idle_for(&self, now: Instant) -> Option<Duration> {
        self.last_active
            .map(|last| now.saturating_duration_since(last))
    }

    /// How old the task is at loop time `now`. `None` if it was spawned
    /// while the loop did not track activity.
    pub fn age(&self, now: Instant) -> Option<Duration> {
        self.spawned_at
            .map(|spawned| now.saturating_duration_since(spawned))
    }
}

impl TaskRef {
    /// What the task did: its polls, busy time and last activity, recorded
    /// while its loop tracks activity (debug mode, a running
    /// [`Watchdog`](crate::debug::Watchdog)).
    ///
    /// `None` if nothing was recorded: the loop does not track activity, or
    /// started to after the task's spawn and the task has not been polled
    /// since. See [`TaskActivity`].
    pub fn activity(&self) -> Option<TaskActivity> {
        let raw = self.raw();
        match raw.tracked() {
            Some(tracked) => Some(tracked.activity()),
            None => raw.meta().cold(|c| c.activity),
        }
        .filter(|a| a.last_active.is_some())
        .map(TaskActivity::from_raw)
    }

    /// What the task last suspended on, as noted while its loop tracks
    /// activity (see `task::note_wait`).
    pub(crate) fn waiting_on(&self) -> Option<&'static str> {
        let raw = self.raw();
        match raw.tracked() {
            Some(tracked) => tracked.waiting_on(),
            None => raw.meta().cold(|c| c.waiting_on).flatten(),
        }
    }
}
