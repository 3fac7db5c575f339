//! Sliding windows of call outcomes, for the failure-rate trigger: the last
//! `n` calls, or the calls of the last `span` of time in buckets.

use std::time::{Duration, Instant};

use super::config::Window;

/// Calls and failures currently in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Counts {
    pub(crate) calls: u32,
    pub(crate) failures: u32,
}

/// A sliding window of outcomes.
#[derive(Debug)]
pub(crate) enum Outcomes {
    Calls(CallWindow),
    Time(TimeWindow),
}

impl Outcomes {
    pub(crate) fn new(window: Window) -> Outcomes {
        match window {
            Window::Calls(n) => Outcomes::Calls(CallWindow::new(n)),
            Window::Time { span, buckets } => Outcomes::Time(TimeWindow::new(span, buckets)),
        }
    }

    /// Whether recording needs the time (only time windows do).
    pub(crate) fn needs_time(&self) -> bool {
        matches!(self, Outcomes::Time(_))
    }

    /// Records one call at `now` and returns the window's counts.
    pub(crate) fn record(&mut self, failed: bool, now: Option<Instant>) -> Counts {
        match self {
            Outcomes::Calls(w) => w.record(failed),
            Outcomes::Time(w) => {
                w.record(failed, now.expect("a time window records with the time"))
            }
        }
    }

    /// The counts as of `now` (`None` is fine for a call window).
    pub(crate) fn counts(&mut self, now: Option<Instant>) -> Counts {
        match self {
            Outcomes::Calls(w) => w.counts,
            Outcomes::Time(w) => match now {
                Some(now) => w.counts_at(now),
                None => w.total(),
            },
        }
    }

    pub(crate) fn clear(&mut self) {
        match self {
            Outcomes::Calls(w) => w.clear(),
            Outcomes::Time(w) => w.clear(),
        }
    }
}

/// The last `n` outcomes, in a ring.
#[derive(Debug)]
pub(crate) struct CallWindow {
    /// `true` = failure. Grows to `n`, then overwrites the oldest.
    ring: Vec<bool>,
    next: usize,
    size: usize,
    counts: Counts,
}

impl CallWindow {
    fn new(n: u32) -> CallWindow {
        CallWindow {
            ring: Vec::new(),
            next: 0,
            size: n as usize,
            counts: Counts::default(),
        }
    }

    fn record(&mut self, failed: bool) -> Counts {
        if self.ring.len() < self.size {
            self.ring.push(failed);
            self.counts.calls += 1;
        } else {
            let evicted = std::mem::replace(&mut self.ring[self.next], failed);
            self.counts.failures -= u32::from(evicted);
        }
        self.counts.failures += u32::from(failed);
        self.next = (self.next + 1) % self.size;
        self.counts
    }

    fn clear(&mut self) {
        self.ring.clear();
        self.next = 0;
        self.counts = Counts::default();
    }
}

/// Outcomes of the last `span`, in `buckets` slots of `span / buckets`,
/// numbered from the first recorded call.
#[derive(Debug)]
pub(crate) struct TimeWindow {
    width: Duration,
    /// Slot `i % len` holds bucket number `i`, if it is recent.
    slots: Vec<Slot>,
    origin: Option<Instant>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    bucket: u64,
    counts: Counts,
}

impl TimeWindow {
    fn new(span: Duration, buckets: u32) -> TimeWindow {
        let width = (span / buckets).max(Duration::from_nanos(1));
        TimeWindow {
            width,
            slots: vec![Slot::default(); buckets as usize],
            origin: None,
        }
    }

    fn bucket_of(&mut self, now: Instant) -> u64 {
        let origin = *self.origin.get_or_insert(now);
        let offset = now.saturating_duration_since(origin).as_nanos();
        u64::try_from(offset / self.width.as_nanos()).unwrap_or(u64::MAX)
    }

    fn record(&mut self, failed: bool, now: Instant) -> Counts {
        let bucket = self.bucket_of(now);
        let len = self.slots.len() as u64;
        let slot = &mut self.slots[(bucket % len) as usize];
        if slot.bucket != bucket {
            *slot = Slot {
                bucket,
                counts: Counts::default(),
            };
        }
        slot.counts.calls += 1;
        slot.counts.failures += u32::from(failed);
        self.counts_at(now)
    }

    /// Sums the slots whose bucket is among the last `len` as of `now`.
    fn counts_at(&mut self, now: Instant) -> Counts {
        if self.origin.is_none() {
            return Counts::default();
        }
        let current = self.bucket_of(now);
        let len = self.slots.len() as u64;
        let oldest = current.saturating_sub(len - 1);
        self.slots
            .iter()
            .filter(|s| s.bucket >= oldest && s.bucket <= current)
            .fold(Counts::default(), |acc, s| Counts {
                calls: acc.calls + s.counts.calls,
                failures: acc.failures + s.counts.failures,
            })
    }

    fn total(&self) -> Counts {
        self.slots.iter().fold(Counts::default(), |acc, s| Counts {
            calls: acc.calls + s.counts.calls,
            failures: acc.failures + s.counts.failures,
        })
    }

    fn clear(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = Slot::default());
        self.origin = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_window_keeps_the_last_n() {
        let mut w = Outcomes::new(Window::Calls(3));
        let seq = [true, true, false, false, true, false];
        let counts: Vec<_> = seq.iter().map(|&f| w.record(f, None)).collect();
        let failures: Vec<_> = counts.iter().map(|c| (c.calls, c.failures)).collect();
        assert_eq!(failures, [(1, 1), (2, 2), (3, 2), (3, 1), (3, 1), (3, 1)]);
        w.clear();
        assert_eq!(w.counts(None), Counts::default());
    }

    #[test]
    fn time_window_drops_whole_buckets_at_their_boundary() {
        let t0 = Instant::now();
        let s = |ms: u64| t0 + Duration::from_millis(ms);
        // 10 s in 10 buckets of 1 s, numbered from the first call, at t0.
        let mut w = Outcomes::new(Window::Time {
            span: Duration::from_secs(10),
            buckets: 10,
        });
        w.record(true, Some(s(0)));
        w.record(false, Some(s(9_999)));
        assert_eq!(
            w.counts(Some(s(9_999))),
            Counts {
                calls: 2,
                failures: 1
            }
        );
        // Bucket 0 leaves the window when bucket 10 begins, at 10 s.
        assert_eq!(
            w.counts(Some(s(10_000))),
            Counts {
                calls: 1,
                failures: 0
            }
        );
        // Bucket 9 (9..10 s) stays until 19 s.
        assert_eq!(
            w.counts(Some(s(18_999))),
            Counts {
                calls: 1,
                failures: 0
            }
        );
        assert_eq!(w.counts(Some(s(19_000))), Counts::default());
        // A slot is reused for a later bucket.
        w.record(true, Some(s(20_100)));
        assert_eq!(
            w.counts(Some(s(20_100))),
            Counts {
                calls: 1,
                failures: 1
            }
        );
    }
}
