//! The demo's report, as the user reads it.

use std::fmt::Write as _;

use super::DemoReport;
use crate::fetch::Summary;

fn latency_text(report: &DemoReport) -> String {
    let l = &report.config.latency;
    if l.low == l.high {
        format!("{} ms each", l.low.as_millis())
    } else {
        format!("{}..{} ms each", l.low.as_millis(), l.high.as_millis())
    }
}

fn row(out: &mut String, label: &str, in_flight: usize, s: &Summary) {
    let _ = writeln!(
        out,
        "  {label:<18} {in_flight:>9} {:>9.2} s {:>9.1} {:>5} {:>7} {:>8.1} ms {:>8.1} ms",
        s.elapsed_ms / 1e3,
        s.throughput_per_s,
        s.ok,
        s.failed,
        s.latency.p50_ms,
        s.latency.p99_ms,
    );
}

/// Renders the demo's report: the two runs side by side, the speed-up, and
/// the lessons one line each.
pub fn render(report: &DemoReport) -> String {
    let mut out = String::new();
    let c = &report.config;
    let _ = writeln!(
        out,
        "\nferrio demo: {} API calls to the mock API at {} ({})\n",
        c.count,
        report.server.trim_end_matches('/'),
        latency_text(report)
    );
    let _ = writeln!(
        out,
        "  {:<18} {:>9} {:>11} {:>9} {:>5} {:>7} {:>11} {:>11}",
        "", "in flight", "time", "calls/s", "ok", "failed", "p50", "p99"
    );
    row(&mut out, "one after another", 1, &report.sequential);
    row(&mut out, "concurrently", c.concurrency, &report.concurrent);
    let _ = writeln!(
        out,
        "\n  concurrently: {:.1}× faster. Each call waits on the network, not on the CPU,\n  so {} of them can wait at the same time on one thread.\n",
        report.speedup(),
        c.concurrency
    );

    let _ = writeln!(out, "lessons:");
    let f = &report.failures.summary;
    let reasons: Vec<String> = f
        .failures
        .iter()
        .map(|g| format!("{} × {}", g.count, g.reason))
        .collect();
    let _ = writeln!(
        out,
        "  failures  with {:.0}% of calls failing: {} ok and {} failed ({}), every ok result kept; a bare gather would have lost them all at the first error",
        report.failures.fail_rate * 100.0,
        f.ok,
        f.failed,
        if reasons.is_empty() { "none".to_string() } else { reasons.join(", ") },
    );
    match &report.blocking {
        Some(b) => {
            let _ = writeln!(
                out,
                "  blocking  one handler called std::thread::sleep({} ms) on the loop: the {} calls in flight with it took p50 {:.0} ms instead of {} ms",
                b.blocked_for.as_millis(),
                b.others.total.saturating_sub(1),
                b.others.latency.p50_ms,
                c.latency.low.as_millis(),
            );
            match b.reports.first() {
                Some(r) => {
                    let _ = writeln!(out, "            debug mode named it: {r}");
                }
                None => {
                    let _ = writeln!(out, "            (debug mode did not report it: the block was shorter than slow_callback_duration)");
                }
            }
        }
        None => {
            let _ = writeln!(
                out,
                "  blocking  run `ferrio demo --blocking` to see a blocking call hidden in a handler, caught by debug mode"
            );
        }
    }
    let _ = writeln!(
        out,
        "  limits    next: `ferrio fetch --concurrency 50 --per-host 10 --rate 100/s --retries 3 --breaker 5 urls.txt`"
    );
    out
}
