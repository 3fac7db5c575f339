//! Facts about the machine and the checkout for the report's header: the
//! date, the commit, the CPU model, the load, and whether `taskset` exists.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    date_of(secs / 86_400)
}

/// The civil date of day `days` since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
pub fn date_of(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

/// The current time (UTC) as `HH:MM`.
pub fn time_of_day() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{:02}:{:02} UTC", secs / 3600 % 24, secs / 60 % 60)
}

/// The checkout's commit (`git rev-parse --short HEAD`), with `+dirty` if
/// tracked files differ from it.
pub fn commit(repo: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        None => "unknown (not a git checkout)".to_string(),
        Some(hash) => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{hash}+dirty")
            } else {
                hash
            }
        }
    }
}

/// The CPU model from `/proc/cpuinfo`, and the number of CPUs.
pub fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']))
        })
        .unwrap_or("unknown CPU")
        .trim()
        .to_string();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{model} ({cpus} CPUs)")
}

/// The 1-minute load average from `/proc/loadavg`.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Whether `program` runs (`program --version` exits 0).
pub fn has(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(59), "1970-03-01");
        assert_eq!(date_of(11_016), "2000-02-29");
        assert_eq!(date_of(20_788), "2026-12-01");
    }
}

/// The version of package `name` in `Cargo.lock` (the first entry, if the
/// lock holds several).
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let next = lines.next()?;
            return next
                .trim()
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_string);
        }
    }
    None
}

/// `name version` of each Rust peer, from the repository's `Cargo.lock`.
pub fn peer_versions(repo: &Path) -> String {
    let lock = std::fs::read_to_string(repo.join("Cargo.lock")).unwrap_or_default();
    let mut parts: Vec<String> = [
        "tokio",
        "smol",
        "async-executor",
        "async-channel",
        "reqwest",
    ]
    .iter()
    .filter_map(|n| locked_version(&lock, n).map(|v| format!("{n} {v}")))
    .collect();
    if let Some(v) = Command::new("oha")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
    {
        parts.push(String::from_utf8_lossy(&v.stdout).trim().to_string());
    }
    parts.join(", ")
}

#[cfg(test)]
mod lock_tests {
    use super::*;

    #[test]
    fn reads_a_version_from_the_lock() {
        let lock = "[[package]]\nname = \"tokio\"\nversion = \"1.54.1\"\n\n[[package]]\nname = \"tokio-util\"\nversion = \"0.7.20\"\n";
        assert_eq!(locked_version(lock, "tokio").as_deref(), Some("1.54.1"));
        assert_eq!(
            locked_version(lock, "tokio-util").as_deref(),
            Some("0.7.20")
        );
        assert_eq!(locked_version(lock, "smol"), None);
    }
}
