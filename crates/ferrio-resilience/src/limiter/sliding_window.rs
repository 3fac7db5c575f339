//! The sliding-window log: at most `limit` permits in any window of
//! `window` length, exactly, with memory for at most `limit` grants.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Sliding-window state: the grants still inside the window, oldest first.
#[derive(Debug)]
pub(crate) struct SlidingWindow {
    limit: u32,
    window: Duration,
    /// (time, permits), each with permits > 0; their sum is `in_window`.
    log: VecDeque<(Instant, u32)>,
    in_window: u32,
}

impl SlidingWindow {
    pub(crate) fn new(limit: u32, window: Duration) -> SlidingWindow {
        SlidingWindow {
            limit,
            window,
            log: VecDeque::new(),
            in_window: 0,
        }
    }

    pub(crate) fn capacity(&self) -> u32 {
        self.limit
    }

    /// Forgets grants that left the window by `now`: a grant at `t` counts
    /// in `[t, t + window)`.
    fn expire(&mut self, now: Instant) {
        while let Some(&(at, n)) = self.log.front() {
            if at + self.window > now {
                break;
            }
            self.log.pop_front();
            self.in_window -= n;
        }
    }

    /// Takes `n` permits at `now`, or says when enough will have left the
    /// window. `n` must be at most the limit.
    pub(crate) fn try_take(&mut self, n: u32, now: Instant) -> Result<(), Instant> {
        self.expire(now);
        if n == 0 {
            return Ok(());
        }
        if self.in_window + n <= self.limit {
            match self.log.back_mut() {
                Some((at, m)) if *at == now => *m += n,
                _ => self.log.push_back((now, n)),
            }
            self.in_window += n;
            return Ok(());
        }
        let mut left = self.in_window;
        for &(at, m) in &self.log {
            left -= m;
            if left + n <= self.limit {
                return Err(at + self.window);
            }
        }
        unreachable!("n <= limit, so the window empties enough at last")
    }

    /// Permits available at `now`.
    pub(crate) fn available(&mut self, now: Instant) -> u32 {
        self.expire(now);
        self.limit - self.in_window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_leaves_the_window_exactly_one_window_later() {
        let t0 = Instant::now();
        let s = |n| t0 + Duration::from_secs(n);
        let mut w = SlidingWindow::new(3, Duration::from_secs(10));
        assert_eq!(w.try_take(2, s(0)), Ok(()));
        assert_eq!(w.try_take(1, s(4)), Ok(()));
        assert_eq!(w.try_take(1, s(9)), Err(s(10)));
        assert_eq!(w.try_take(3, s(9)), Err(s(14)));
        assert_eq!(w.available(s(10)), 2);
        assert_eq!(w.try_take(2, s(10)), Ok(()));
        assert_eq!(w.log.len(), 2, "the log holds only grants in the window");
    }
}
