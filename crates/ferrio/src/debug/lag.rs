//! [`LagMonitor`]: how late the loop runs its timers — the symptom of
//! anything that blocks it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use super::monitor::MonitorTask;
use super::Human;
use crate::event_loop::clock::deadline_after;
use crate::event_loop::SpawnError;
use crate::task::Cancelled;

/// Samples kept by default.
const DEFAULT_CAPACITY: usize = 1024;

/// The shortest interval: a zero interval would never suspend.
const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// Measures event-loop lag: a background task sleeps `interval` again and
/// again and records how late each wake-up comes, on the loop clock (when
/// it actually runs minus when it was due). A loop that nothing blocks
/// shows lags near zero; a blocking call shows up as a lag as long as it
/// blocked.
///
/// The most recent samples are kept (1024 unless
/// [`LagMonitorBuilder::capacity`] says otherwise) and summed up by
/// [`percentiles`](Self::percentiles). The monitor runs until
/// [`stop`](Self::stop) or until it is dropped. On a virtual-clock loop
/// every lag is zero: time only moves when the loop is idle.
///
/// ```
/// use std::time::Duration;
/// use ferrio::debug::LagMonitor;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let monitor = LagMonitor::start(Duration::from_millis(100));
///         ferrio::sleep(Duration::from_millis(1050)).await.unwrap();
///         let stats = monitor.percentiles();
///         assert_eq!(stats.samples, 10);
///         assert_eq!(stats.max, Duration::ZERO);
///     })
///     .unwrap();
/// ```
pub struct LagMonitor {
    state: Rc<LagState>,
    task: MonitorTask,
}

struct LagState {
    interval: Duration,
    capacity: usize,
    samples: RefCell<VecDeque<Duration>>,
    ticks: Cell<u64>,
}

impl LagState {
    fn record(&self, lag: Duration) {
        let mut samples = self.samples.borrow_mut();
        if samples.len() == self.capacity {
            samples.pop_front();
        }
        samples.push_back(lag);
        self.ticks.set(self.ticks.get() + 1);
    }
}

impl LagMonitor {
    /// Starts a monitor on the running loop that wakes every `interval` (a
    /// zero interval is taken as 1 ms), keeping the last 1024 samples.
    ///
    /// # Panics
    ///
    /// If no loop is running on this thread, or it is closing; see
    /// [`LagMonitorBuilder::start`] for a `Result`.
    #[track_caller]
    pub fn start(interval: Duration) -> LagMonitor {
        match LagMonitor::builder(interval).start() {
            Ok(monitor) => monitor,
            Err(e) => panic!("LagMonitor::start: {e}"),
        }
    }

    /// A builder, to set how many samples to keep.
    pub fn builder(interval: Duration) -> LagMonitorBuilder {
        LagMonitorBuilder {
            interval,
            capacity: DEFAULT_CAPACITY,
        }
    }

    /// Percentiles of the samples kept (all zero if there are none yet).
    pub fn percentiles(&self) -> LagStats {
        let mut sorted: Vec<Duration> = self.state.samples.borrow().iter().copied().collect();
        sorted.sort_unstable();
        LagStats::of_sorted(&sorted)
    }

    /// The samples kept, oldest first.
    pub fn samples(&self) -> Vec<Duration> {
        self.state.samples.borrow().iter().copied().collect()
    }

    /// How many wake-ups were measured since the start, including those no
    /// longer kept.
    pub fn ticks(&self) -> u64 {
        self.state.ticks.get()
    }

    /// The interval between measurements.
    pub fn interval(&self) -> Duration {
        self.state.interval
    }

    /// Whether the monitor still runs.
    pub fn is_running(&self) -> bool {
        self.task.is_running()
    }

    /// Stops measuring; the samples stay readable. Dropping the monitor
    /// stops it too.
    pub fn stop(&self) {
        self.task.stop();
    }
}

impl fmt::Debug for LagMonitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LagMonitor")
            .field("interval", &self.state.interval)
            .field("capacity", &self.state.capacity)
            .field("ticks", &self.state.ticks.get())
            .field("running", &self.is_running())
            .field("stats", &self.percentiles())
            .finish()
    }
}

/// Configures a [`LagMonitor`].
#[derive(Debug, Clone)]
pub struct LagMonitorBuilder {
    interval: Duration,
    capacity: usize,
}

impl LagMonitorBuilder {
    /// How many recent samples to keep (default 1024, at least 1).
    pub fn capacity(mut self, samples: usize) -> LagMonitorBuilder {
        self.capacity = samples.max(1);
        self
    }

    /// Starts the monitor on the running loop, as a detached task named
    /// `ferrio-lag-monitor`.
    ///
    /// # Errors
    ///
    /// [`SpawnError::NoRunningLoop`] outside a running loop,
    /// [`SpawnError::LoopClosed`] if it is closing.
    #[track_caller]
    pub fn start(self) -> Result<LagMonitor, SpawnError> {
        let interval = self.interval.max(MIN_INTERVAL);
        let state = Rc::new(LagState {
            interval,
            capacity: self.capacity,
            samples: RefCell::new(VecDeque::with_capacity(self.capacity.min(DEFAULT_CAPACITY))),
            ticks: Cell::new(0),
        });
        let recorder = state.clone();
        let task = MonitorTask::start("ferrio-lag-monitor", measure(recorder))?;
        Ok(LagMonitor { state, task })
    }
}

/// The monitor's task: sleeps one interval at a time and records how late
/// each wake-up came, until cancelled or aborted.
async fn measure(state: Rc<LagState>) -> Result<Infallible, Cancelled> {
    loop {
        let due = deadline_after(crate::now(), state.interval);
        crate::sleep_until(due).await?;
        state.record(crate::now().saturating_duration_since(due));
    }
}

/// A summary of loop lag, from [`LagMonitor::percentiles`]
/// (nearest-rank percentiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct LagStats {
    /// Half of the wake-ups were at most this late.
    pub p50: Duration,
    /// 90% were at most this late.
    pub p90: Duration,
    /// 99% were at most this late.
    pub p99: Duration,
    /// The latest wake-up.
    pub max: Duration,
    /// How many samples these figures are drawn from.
    pub samples: usize,
}

impl LagStats {
    fn of_sorted(sorted: &[Duration]) -> LagStats {
        LagStats {
            p50: percentile(sorted, 50),
            p90: percentile(sorted, 90),
            p99: percentile(sorted, 99),
            max: sorted.last().copied().unwrap_or_default(),
            samples: sorted.len(),
        }
    }
}

impl fmt::Display for LagStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "loop lag over {} samples: p50 {}, p90 {}, p99 {}, max {}",
            self.samples,
            Human(self.p50),
            Human(self.p90),
            Human(self.p99),
            Human(self.max)
        )
    }
}

/// The nearest-rank `p`th percentile of `sorted` (zero if empty).
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let sorted = ms(&(1..=100).collect::<Vec<_>>());
        let stats = LagStats::of_sorted(&sorted);
        assert_eq!(
            (stats.p50, stats.p90, stats.p99, stats.max, stats.samples),
            (
                Duration::from_millis(50),
                Duration::from_millis(90),
                Duration::from_millis(99),
                Duration::from_millis(100),
                100
            )
        );
        let one = LagStats::of_sorted(&ms(&[7]));
        assert_eq!(
            (one.p50, one.p99, one.max),
            (ms(&[7])[0], ms(&[7])[0], ms(&[7])[0])
        );
        assert_eq!(LagStats::of_sorted(&[]), LagStats::default());
        let few = LagStats::of_sorted(&ms(&[1, 2, 3]));
        assert_eq!((few.p50, few.p90), (ms(&[2])[0], ms(&[3])[0]));
    }

    #[test]
    fn the_ring_keeps_the_most_recent_samples() {
        let state = LagState {
            interval: MIN_INTERVAL,
            capacity: 3,
            samples: RefCell::default(),
            ticks: Cell::new(0),
        };
        for m in 1..=5 {
            state.record(Duration::from_millis(m));
        }
        assert_eq!(
            state.samples.borrow().iter().copied().collect::<Vec<_>>(),
            ms(&[3, 4, 5])
        );
        assert_eq!(state.ticks.get(), 5);
    }
}
