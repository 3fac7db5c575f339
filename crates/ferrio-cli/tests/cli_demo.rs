//! `ferrio demo`: the "200 API calls" story. The library form runs on the
//! virtual clock, where the story's times are exact; the binary is run
//! once at a small size on the real clock, asserting contents and exit
//! codes only.

mod support;

use std::time::Duration;

use ferrio_cli::demo::{render, run_demo, DemoConfig};
use ferrio_cli::fetch::Summary;
use ferrio_cli::units::DurationRange;
use support::cli::run;

fn latency(ms: u64) -> DurationRange {
    let d = Duration::from_millis(ms);
    DurationRange { low: d, high: d }
}

/// Asserts that a run took at least `ms` of (virtual) time and less than
/// `ms + slack`.
#[track_caller]
fn assert_took(run: &Summary, ms: f64, slack: f64) {
    assert!(run.elapsed_ms >= ms, "{run:?}");
    assert!(run.elapsed_ms < ms + slack, "{run:?}");
}

#[ferrio::test]
async fn two_hundred_calls_take_count_times_latency_alone_and_a_twentieth_concurrently() {
    let config = DemoConfig::default();
    let mut steps = Vec::new();
    let report = run_demo(&config, |s| steps.push(s.to_string()))
        .await
        .unwrap();
    // One after another: 200 × 50 ms of (virtual) waiting, and one
    // connection kept alive for all of them.
    assert_eq!(report.sequential.ok, 200);
    assert_eq!(report.sequential.failed, 0);
    assert_took(&report.sequential, 200.0 * 50.0, 50.0);
    assert_eq!(report.sequential.connections.opened, 1);
    // Twenty in flight: ten rounds of 50 ms.
    assert_eq!(report.concurrent.ok, 200);
    assert_took(&report.concurrent, 10.0 * 50.0, 50.0);
    assert!(report.concurrent.connections.opened <= 20);
    assert!(
        report.speedup() > 18.0 && report.speedup() <= 20.0,
        "{}",
        report.speedup()
    );
    // The steps were announced in order; the blocking lesson is off by default.
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert!(steps[0].contains("one after another"));
    assert!(steps[1].contains("concurrently"));
    assert!(report.blocking.is_none());
}

#[ferrio::test]
async fn the_article_numbers_with_200_ms_latency() {
    // `--latency 200ms`: ~40 s one after another, 2 s with 20 in flight.
    let config = DemoConfig {
        latency: latency(200),
        ..DemoConfig::default()
    };
    let report = run_demo(&config, |_| {}).await.unwrap();
    assert_took(&report.sequential, 40_000.0, 100.0);
    assert_took(&report.concurrent, 2_000.0, 100.0);
}

#[ferrio::test]
async fn the_failure_lesson_keeps_every_other_result() {
    let config = DemoConfig {
        count: 400,
        fail_rate: 0.25,
        ..DemoConfig::default()
    };
    let report = run_demo(&config, |_| {}).await.unwrap();
    let f = &report.failures.summary;
    assert_eq!(f.ok + f.failed, 400);
    // A quarter fail, give or take the seeded draw; every other one is kept.
    assert!((50..150).contains(&f.failed), "{f:?}");
    assert_eq!(f.failures.len(), 1, "{:?}", f.failures);
    assert_eq!(f.failures[0].reason, "HTTP 500");
    assert_eq!(f.failures[0].count, f.failed);
    // Seeded: the same failures on every run.
    let again = run_demo(&config, |_| {}).await.unwrap();
    assert_eq!(again.failures.summary.failed, f.failed);
    let text = render(&report);
    assert!(
        text.contains(&format!("{} ok and {} failed", f.ok, f.failed)),
        "{text}"
    );
}

#[ferrio::test]
async fn the_blocking_lesson_is_named_by_debug_mode() {
    let config = DemoConfig {
        count: 10,
        concurrency: 5,
        blocking: true,
        blocking_for: Duration::from_millis(150),
        ..DemoConfig::default()
    };
    let handle = ferrio::Handle::try_current().unwrap();
    assert!(!handle.debug());
    let report = run_demo(&config, |_| {}).await.unwrap();
    let lesson = report.blocking.as_ref().unwrap();
    assert_eq!(lesson.others.ok, 6, "{:?}", lesson.others);
    assert_eq!(lesson.reports.len(), 1, "{:?}", lesson.reports);
    assert!(
        lesson.reports[0].contains("mock handler /blocking/150"),
        "{:?}",
        lesson.reports
    );
    assert!(render(&report).contains("debug mode named it"));
    // Debug mode is switched back off after the lesson.
    assert!(!handle.debug());
}

#[test]
fn the_binary_tells_the_story_and_exits_0() {
    let out = run(&[
        "demo",
        "--count",
        "20",
        "--latency",
        "10ms",
        "--concurrency",
        "10",
    ]);
    out.no_panic();
    assert_eq!(out.code, Some(0), "{out:?}");
    for needle in [
        "20 API calls",
        "one after another",
        "concurrently",
        "faster",
        "lessons:",
        "failures",
        "ferrio demo --blocking",
    ] {
        assert!(
            out.stdout.contains(needle),
            "{needle:?} missing from {}",
            out.stdout
        );
    }
    // Progress goes to stderr, in order.
    let first = out.stderr.find("one after another").unwrap();
    let second = out.stderr.find("concurrently").unwrap();
    assert!(first < second, "{}", out.stderr);
}

#[test]
fn bad_demo_arguments_are_usage_errors() {
    for (args, needle) in [
        (&["demo", "--count", "0"][..], "--count 0"),
        (&["demo", "--latency", "fast"][..], "not a duration"),
        (&["demo", "--fail-rate", "2"][..], "outside 0..1"),
        (&["demo", "--blocking-for", "10ms"][..], "100ms to 10s"),
    ] {
        let out = run(args);
        out.no_panic();
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
    let help = run(&["demo", "--help"]);
    assert_eq!(help.code, Some(0));
    assert!(help.stdout.contains("--latency 200ms"), "{}", help.stdout);
}
