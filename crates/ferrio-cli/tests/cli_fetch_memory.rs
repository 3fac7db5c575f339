//! Flat memory: the peak RSS of `ferrio fetch` on 10,000 URLs is within a
//! few MiB of its peak on 1,000 (URLs streamed, records written as they
//! finish, latencies in a fixed histogram). Its own test binary, so no
//! other test's children run meanwhile.

mod support;

use support::cli::{start, Running, Scratch};
use support::mock_process::MockProcess;

/// VmHWM (peak resident set) of a running process, in KiB.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the child to its end, sampling its peak RSS; the last sample
/// (VmHWM only grows) read while it was alive.
fn run_sampled(mut child: Running) -> (Option<i32>, u64) {
    let pid = child.pid();
    let mut peak = 0;
    let deadline = std::time::Instant::now() + support::cli::CHILD_LIMIT;
    while !child.has_exited() {
        if let Some(kib) = peak_kib(pid) {
            peak = peak.max(kib);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the child ran too long"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    (child.finish().code, peak)
}

#[test]
fn peak_memory_is_flat_from_1000_to_10000_urls() {
    if peak_kib(std::process::id()).is_none() {
        eprintln!("no /proc/<pid>/status here: skipping the memory check");
        return;
    }
    let server = MockProcess::start(&[]);
    let dir = Scratch::new("memory");
    let mut peaks = Vec::new();
    for n in [1_000, 10_000] {
        let template = server.url(&format!("/item/{{1..{n}}}"));
        let output = dir.path(&format!("r{n}.jsonl"));
        let child = start(
            &[
                "fetch",
                "--url-template",
                &template,
                "-c",
                "200",
                "-o",
                output.to_str().unwrap(),
            ],
            None,
        );
        let (code, peak) = run_sampled(child);
        assert_eq!(code, Some(0));
        assert!(peak > 0);
        let lines = std::fs::read_to_string(&output).unwrap().lines().count();
        assert_eq!(lines, n);
        peaks.push(peak);
    }
    eprintln!("peak RSS (KiB) for 1,000 and 10,000 URLs: {peaks:?}");
    let growth = peaks[1].saturating_sub(peaks[0]);
    assert!(
        growth < 5 * 1024,
        "peak RSS grew by {growth} KiB from 1,000 to 10,000 URLs: {peaks:?}"
    );
}
