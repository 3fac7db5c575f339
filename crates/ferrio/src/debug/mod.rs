//! Diagnostics: what asyncio's debug mode shows, and the monitors every
//! async service ends up writing — a loop-lag monitor, a task-activity
//! watchdog and a task dump.
//!
//! | asyncio / pattern | ferrio |
//! |---|---|
//! | `loop.set_debug(True)`, `PYTHONASYNCIODEBUG=1` | [`EventLoop::builder().debug(true)`](crate::event_loop::Builder::debug), [`Handle::set_debug`](crate::Handle::set_debug), `FERRIO_DEBUG=1` |
//! | `slow_callback_duration` | [`Handle::set_slow_callback_duration`](crate::Handle::set_slow_callback_duration) |
//! | "Task exception was never retrieved", `set_exception_handler` | [`ExceptionKind`](crate::event_loop::ExceptionKind), [`Handle::set_exception_handler`](crate::Handle::set_exception_handler) |
//! | loop-lag monitor (aiomonitor, `loop.time()` drift) | [`LagMonitor`] |
//! | "cancel tasks idle for more than N seconds" | [`Watchdog`] with [`IdleAction`] |
//! | `asyncio.all_tasks()` + `Task.print_stack()` | [`dump()`] → [`TaskDump`] (text tree or JSON) |
//! | lock deadlock detector | debug mode: [`ExceptionKind::Deadlock`](crate::event_loop::ExceptionKind::Deadlock) reports, [`deadlocks()`], [`DeadlockAction`] |
//! | per-task counters | [`TaskRef::activity`](crate::TaskRef::activity) → [`TaskActivity`] |
//!
//! Everything here is built on hooks of the lower layers: the loop's
//! activity tracking (each task records its polls, busy time and last
//! activity while it is on — debug mode or a running [`Watchdog`] turn it
//! on), the permit engine under `Lock` and `Semaphore`, which feeds the
//! deadlock detector's wait-for graph in debug mode, and the loop's
//! exception handler, where every report goes.
//!
//! ```
//! use std::time::Duration;
//!
//! ferrio::EventLoop::builder().virtual_clock(true).debug(true).build().unwrap()
//!     .run_until_complete(async {
//!         let worker = ferrio::task::Builder::new()
//!             .name("worker")
//!             .spawn(async { ferrio::sleep(Duration::from_secs(60)).await })
//!             .unwrap();
//!         ferrio::sleep(Duration::from_secs(1)).await.unwrap();
//!         let dump = ferrio::debug::dump();
//!         let node = dump.iter().find(|t| t.name() == "worker").unwrap();
//!         assert_eq!(node.waiting_on(), Some("sleep"));
//!         assert_eq!(node.age(), Some(Duration::from_secs(1)));
//!         println!("{dump}");
//!         worker.cancel();
//!         assert!(worker.await.unwrap_err().is_cancelled());
//!     })
//!     .unwrap();
//! ```

mod activity;
pub(crate) mod deadlock;
mod dump;
mod lag;
mod monitor;
mod watchdog;

pub use crate::event_loop::DeadlockAction;
pub use activity::TaskActivity;
pub use deadlock::{deadlocks, Deadlock};
pub use dump::{dump, Iter, TaskDump, TaskNode, TaskState};
pub use lag::{LagMonitor, LagMonitorBuilder, LagStats};
pub use watchdog::{IdleAction, Watchdog, WatchdogBuilder, WatchdogStats};

use std::fmt;
use std::time::Duration;

/// Displays a duration rounded for people: to the millisecond from 1 ms
/// up, to the microsecond below: `1.5s`, `12ms`, `250µs`, `0s`.
pub(crate) struct Human(pub(crate) Duration);

impl fmt::Display for Human {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        let rounded = if d >= Duration::from_millis(1) {
            Duration::from_millis(d.as_millis().try_into().unwrap_or(u64::MAX))
        } else {
            Duration::from_micros(d.as_micros().try_into().unwrap_or(u64::MAX))
        };
        if rounded.is_zero() {
            f.write_str("0s")
        } else {
            write!(f, "{rounded:?}")
        }
    }
}
