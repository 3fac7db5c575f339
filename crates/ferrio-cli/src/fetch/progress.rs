//! The progress bar on stderr — done/total, rate, ok/failed, ETA — shown
//! only when stderr is a terminal, so pipes and logs stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::output::{FetchRecord, Outcome, RecordSink};
use crate::error::CliError;

/// A progress bar fed with each finished record (a [`RecordSink`]).
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
    ok: u64,
    failed: u64,
    skipped: u64,
}

impl Progress {
    /// A bar for `total` URLs (a spinner if unknown), drawn only if stderr
    /// is a terminal.
    pub fn new(total: Option<u64>) -> Progress {
        Progress::with_visibility(total, std::io::stderr().is_terminal())
    }

    /// A bar drawn if `visible`.
    pub fn with_visibility(total: Option<u64>, visible: bool) -> Progress {
        let bar = visible.then(|| {
            let (bar, template) = match total {
                Some(n) => (
                    ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
                    "{bar:30} {pos}/{len} {per_sec} {msg} ETA {eta}",
                ),
                None => (
                    ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
                    "{spinner} {pos} done {per_sec} {msg} {elapsed}",
                ),
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            ok: 0,
            failed: 0,
            skipped: 0,
        }
    }

    /// Whether the bar is drawn.
    pub fn is_visible(&self) -> bool {
        self.bar.is_some()
    }

    /// Removes the bar (before the summary is printed).
    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl RecordSink for Progress {
    fn record(&mut self, record: &FetchRecord) -> Result<(), CliError> {
        match record.outcome {
            Outcome::Ok => self.ok += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Failed | Outcome::Cancelled => self.failed += 1,
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!(
                "ok {} failed {} skipped {}",
                self.ok, self.failed, self.skipped
            ));
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), CliError> {
        self.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_bar_still_counts() {
        let mut p = Progress::with_visibility(Some(3), false);
        assert!(!p.is_visible());
        let mut record = FetchRecord {
            url: "http://a/".into(),
            outcome: Outcome::Ok,
            status: Some(200),
            bytes: 0,
            elapsed_ms: 0.0,
            attempts: 1,
            redirects: 0,
            reused: false,
            error: None,
            body: None,
        };
        p.record(&record).unwrap();
        record.outcome = Outcome::Skipped;
        p.record(&record).unwrap();
        assert_eq!((p.ok, p.failed, p.skipped), (1, 0, 1));
        p.finish().unwrap();
    }
}
