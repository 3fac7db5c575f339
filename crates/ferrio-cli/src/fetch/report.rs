//! [`Summary`]: what a run did — counts, failures grouped by reason with
//! examples, latency percentiles, throughput, retries, connections — as
//! text for people or JSON for scripts. Built in fixed memory from the
//! records as they finish ([`Tally`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use super::client::ClientStats;
use super::error::reason;
use super::histogram::Histogram;
use super::output::{FetchRecord, Outcome};
use crate::error::{EXIT_INTERRUPTED, EXIT_OK, EXIT_SOME_FAILED};

/// Example URLs kept per failure reason.
pub const EXAMPLES_PER_REASON: usize = 3;

/// Failures of one reason (`HTTP 503`, `timeout`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureGroup {
    /// The reason.
    pub reason: String,
    /// How many URLs failed (or were skipped) for it.
    pub count: u64,
    /// Up to [`EXAMPLES_PER_REASON`] of them, first seen first.
    pub examples: Vec<String>,
}

/// Latency of the URLs that were sent, retries included, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

/// Connections opened, and exchanges that reused one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Connections {
    /// Opened.
    pub opened: u64,
    /// Exchanges on a kept-alive connection.
    pub reused: u64,
}

/// The report of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// URLs finished (every outcome, malformed lines included).
    pub total: u64,
    /// 2xx answers.
    pub ok: u64,
    /// Failed (malformed lines included).
    pub failed: u64,
    /// Skipped by an open circuit breaker.
    pub skipped: u64,
    /// Cancelled by an interruption.
    pub cancelled: u64,
    /// Input lines that were not URLs (counted in `failed` too).
    pub malformed: u64,
    /// Whether Ctrl-C (or the caller) stopped the run early.
    pub interrupted: bool,
    /// Failures by reason, most frequent first.
    pub failures: Vec<FailureGroup>,
    /// Latency percentiles.
    pub latency: Latency,
    /// Wall time of the run, in milliseconds.
    pub elapsed_ms: f64,
    /// URLs finished per second.
    pub throughput_per_s: f64,
    /// Retries made (attempts beyond each URL's first).
    pub retries: u64,
    /// Connections.
    pub connections: Connections,
    /// Body bytes received.
    pub bytes: u64,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

impl Summary {
    /// The exit code: 130 if interrupted, 1 if anything failed or was
    /// skipped, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            EXIT_INTERRUPTED
        } else if self.failed + self.skipped + self.cancelled > 0 {
            EXIT_SOME_FAILED
        } else {
            EXIT_OK
        }
    }

    /// The summary as one JSON object (what `--json` prints).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a summary always serialises")
    }

    /// The summary for people (what the command prints without `--json`).
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        let mut head = format!(
            "{} URLs: {} ok, {} failed, {} skipped by breaker",
            self.total, self.ok, self.failed, self.skipped
        );
        if self.cancelled > 0 {
            let _ = write!(head, ", {} cancelled", self.cancelled);
        }
        if self.interrupted {
            head.push_str(" (interrupted)");
        }
        line(head);
        if !self.failures.is_empty() {
            line("failures:".into());
            for group in &self.failures {
                line(format!("  {:>7}  {}", group.count, group.reason));
                for url in &group.examples {
                    line(format!("           e.g. {url}"));
                }
            }
        }
        let l = &self.latency;
        line(format!(
            "latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms
        ));
        line(format!(
            "time: {:.3} s, {:.1} URLs/s, {} bytes",
            self.elapsed_ms / 1e3,
            self.throughput_per_s,
            self.bytes
        ));
        line(format!(
            "retries: {}; connections: {} opened, {} reused",
            self.retries, self.connections.opened, self.connections.reused
        ));
        out
    }
}

/// Counts records as they finish, in fixed memory.
#[derive(Debug, Default)]
pub struct Tally {
    ok: u64,
    failed: u64,
    skipped: u64,
    cancelled: u64,
    malformed: u64,
    retries: u64,
    bytes: u64,
    groups: BTreeMap<String, FailureGroup>,
    latency: Histogram,
}

impl Tally {
    /// An empty tally.
    pub fn new() -> Tally {
        Tally::default()
    }

    /// Counts one record.
    pub fn add(&mut self, record: &FetchRecord) {
        match record.outcome {
            Outcome::Ok => self.ok += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Cancelled => self.cancelled += 1,
        }
        self.bytes += record.bytes;
        self.retries += u64::from(record.attempts.saturating_sub(1));
        if record.attempts > 0 && record.outcome != Outcome::Cancelled {
            self.latency
                .record(Duration::from_secs_f64(record.elapsed_ms.max(0.0) / 1e3));
        }
        if let Some(error) = &record.error {
            if error.kind == super::error::ErrorKind::MalformedUrl {
                self.malformed += 1;
            }
            let key = reason(error.kind, record.status);
            let group = self
                .groups
                .entry(key.clone())
                .or_insert_with(|| FailureGroup {
                    reason: key,
                    count: 0,
                    examples: Vec::new(),
                });
            group.count += 1;
            if group.examples.len() < EXAMPLES_PER_REASON {
                group.examples.push(record.url.clone());
            }
        }
    }

    /// URLs counted so far: (ok, failed, skipped).
    pub fn counts(&self) -> (u64, u64, u64) {
        (self.ok, self.failed, self.skipped)
    }

    /// The summary of what was counted.
    pub fn finish(
        &self,
        elapsed: Duration,
        connections: ClientStats,
        interrupted: bool,
    ) -> Summary {
        let total = self.ok + self.failed + self.skipped + self.cancelled;
        let mut failures: Vec<FailureGroup> = self.groups.values().cloned().collect();
        failures.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
        let h = &self.latency;
        let secs = elapsed.as_secs_f64();
        Summary {
            total,
            ok: self.ok,
            failed: self.failed,
            skipped: self.skipped,
            cancelled: self.cancelled,
            malformed: self.malformed,
            interrupted,
            failures,
            latency: Latency {
                p50_ms: ms(h.quantile(0.5)),
                p90_ms: ms(h.quantile(0.9)),
                p99_ms: ms(h.quantile(0.99)),
                max_ms: ms(h.max()),
                mean_ms: ms(h.mean()),
            },
            elapsed_ms: ms(elapsed),
            throughput_per_s: if secs > 0.0 { total as f64 / secs } else { 0.0 },
            retries: self.retries,
            connections: Connections {
                opened: connections.opened,
                reused: connections.reused,
            },
            bytes: self.bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::error::ErrorKind;
    use crate::fetch::output::ErrorInfo;

    fn record(
        url: &str,
        outcome: Outcome,
        kind: Option<ErrorKind>,
        status: Option<u16>,
        ms: f64,
    ) -> FetchRecord {
        FetchRecord {
            url: url.into(),
            outcome,
            status,
            bytes: 10,
            elapsed_ms: ms,
            attempts: if outcome == Outcome::Skipped { 0 } else { 2 },
            redirects: 0,
            reused: false,
            error: kind.map(|kind| ErrorInfo {
                kind,
                message: "m".into(),
            }),
            body: None,
        }
    }

    fn sample() -> Summary {
        let mut t = Tally::new();
        for i in 0..10 {
            t.add(&record(
                &format!("http://a/{i}"),
                Outcome::Ok,
                None,
                Some(200),
                10.0 * (i + 1) as f64,
            ));
        }
        for i in 0..5 {
            t.add(&record(
                &format!("http://a/f{i}"),
                Outcome::Failed,
                Some(ErrorKind::HttpStatus),
                Some(503),
                5.0,
            ));
        }
        t.add(&record(
            "http://a/t",
            Outcome::Failed,
            Some(ErrorKind::Timeout),
            None,
            1000.0,
        ));
        t.add(&record(
            "http://b/s",
            Outcome::Skipped,
            Some(ErrorKind::BreakerOpen),
            None,
            0.0,
        ));
        t.finish(
            Duration::from_secs(2),
            ClientStats {
                opened: 3,
                reused: 14,
            },
            false,
        )
    }

    #[test]
    fn counts_groups_and_examples() {
        let s = sample();
        assert_eq!(
            (s.total, s.ok, s.failed, s.skipped, s.cancelled),
            (17, 10, 6, 1, 0)
        );
        assert_eq!(s.failures.len(), 3);
        assert_eq!(s.failures[0].reason, "HTTP 503");
        assert_eq!(s.failures[0].count, 5);
        assert_eq!(
            s.failures[0].examples,
            ["http://a/f0", "http://a/f1", "http://a/f2"]
        );
        assert_eq!(s.retries, 16);
        assert_eq!(s.latency.max_ms, 1000.0);
        assert_eq!(s.throughput_per_s, 8.5);
        assert_eq!(s.exit_code(), EXIT_SOME_FAILED);
    }

    #[test]
    fn summary_json_has_every_field() {
        let v: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        for key in [
            "total",
            "ok",
            "failed",
            "skipped",
            "cancelled",
            "interrupted",
            "failures",
            "latency",
            "elapsed_ms",
            "throughput_per_s",
            "retries",
            "connections",
            "bytes",
        ] {
            assert!(v.get(key).is_some(), "{key}");
        }
        assert_eq!(v["connections"]["reused"], 14);
        assert_eq!(v["failures"][1]["reason"], "breaker_open");
        assert!(
            v["latency"]["p99_ms"].as_f64().unwrap() >= v["latency"]["p50_ms"].as_f64().unwrap()
        );
    }

    #[test]
    fn text_names_counts_reasons_and_percentiles() {
        let text = sample().render_text();
        assert!(
            text.starts_with("17 URLs: 10 ok, 6 failed, 1 skipped by breaker\n"),
            "{text}"
        );
        assert!(text.contains("HTTP 503") && text.contains("e.g. http://a/f0"));
        assert!(text.contains("p50") && text.contains("p99"));
        assert!(text.contains("3 opened, 14 reused"));
    }

    #[test]
    fn exit_codes() {
        let empty = Tally::new().finish(Duration::ZERO, ClientStats::default(), false);
        assert_eq!(empty.exit_code(), EXIT_OK);
        let mut t = Tally::new();
        t.add(&record("http://a/1", Outcome::Ok, None, Some(200), 1.0));
        assert_eq!(
            t.finish(Duration::from_secs(1), ClientStats::default(), false)
                .exit_code(),
            EXIT_OK
        );
        assert_eq!(
            t.finish(Duration::from_secs(1), ClientStats::default(), true)
                .exit_code(),
            EXIT_INTERRUPTED
        );
    }
}
