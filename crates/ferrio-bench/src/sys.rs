//! The few OS calls the suite needs that std does not offer: the resource
//! usage of one finished child (`wait4`), the clock-tick and page sizes, and
//! readings from `/proc`. The only module of the crate with `unsafe` code.

#![allow(unsafe_code)]

use std::process::Child;
use std::time::Duration;

/// What a finished child process used, from `wait4(2)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChildUsage {
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Peak resident set size, in bytes (`ru_maxrss`).
    pub max_rss: u64,
    /// Whether the child exited with status 0.
    pub success: bool,
    /// The exit code, if it exited normally.
    pub code: Option<i32>,
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
}

/// Waits for `child` with `wait4(2)` and returns its own resource usage
/// (not the sum over every child, as `RUSAGE_CHILDREN` would give).
///
/// The child is reaped here: do not call [`Child::wait`] on it afterwards.
pub fn wait_with_usage(child: &mut Child) -> std::io::Result<ChildUsage> {
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: all-zero bytes are a valid `rusage` (plain integers and timevals).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid, writable and live across
        // the call; `pid` is our own unreaped child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let exited = libc::WIFEXITED(status);
    let code = exited.then(|| libc::WEXITSTATUS(status));
    Ok(ChildUsage {
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        max_rss: usage.ru_maxrss as u64 * 1024,
        success: code == Some(0),
        code,
    })
}

/// How the child ended, for error messages.
pub fn describe(usage: &ChildUsage) -> String {
    match usage.code {
        Some(c) => format!("exit code {c}"),
        None => "killed by a signal".to_string(),
    }
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`), the unit of
/// `/proc/<pid>/stat`'s CPU times.
pub fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|&t| t > 0).unwrap_or(100)
}

/// The page size in bytes (`sysconf(_SC_PAGESIZE)`).
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(page).ok().filter(|&p| p > 0).unwrap_or(4096)
}

/// This process's resident set size in bytes, from `/proc/self/statm`.
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * page_size()
}

/// CPU time of process `pid`: the sum over its threads of the time on a
/// CPU from `/proc/<pid>/task/<tid>/schedstat` (nanoseconds), or, where
/// that file is missing, user + system time from `/proc/<pid>/stat`
/// (clock ticks).
pub fn process_cpu(pid: u32) -> Duration {
    let mut total = 0u64;
    let mut found = false;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            let path = task.path().join("schedstat");
            if let Some(ns) = std::fs::read_to_string(path)
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            {
                total += ns;
                found = true;
            }
        }
    }
    if found {
        return Duration::from_nanos(total);
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    cpu_from_stat(&stat)
}

/// Parses fields 14 and 15 (utime, stime) of a `/proc/.../stat` line; the
/// command name (field 2) may hold spaces, so fields count from its `)`.
fn cpu_from_stat(stat: &str) -> Duration {
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ")": field 3 is at index 0, so utime (14) is at 11, stime at 12.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|v| v.parse::<u64>().ok()))
        .sum();
    Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64)
}

/// The calling thread's `(pid, tid)`.
pub fn me() -> (u32, u32) {
    // SAFETY: getpid and gettid have no preconditions and cannot fail.
    let (pid, tid) = unsafe { (libc::getpid(), libc::gettid()) };
    (pid as u32, tid as u32)
}

/// Pins the calling thread to CPU `cpu` (modulo the CPUs available);
/// returns whether it worked.
pub fn pin_to(cpu: usize) -> bool {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    // SAFETY: all-zero bytes are an empty, valid `cpu_set_t`.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid cpu_set_t and the index is below CPU_SETSIZE.
    unsafe { libc::CPU_SET(cpu % cpus, &mut set) };
    // SAFETY: `set` is valid for `size_of::<cpu_set_t>()` bytes; pid 0 means
    // the calling thread.
    let r = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    r == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_the_command_name() {
        let ticks = clock_ticks() as f64;
        let line = "42 (a b) S 1 2 3 4 5 6 7 8 9 10 30 20 0 0";
        let cpu = cpu_from_stat(line).as_secs_f64();
        assert!((cpu - 50.0 / ticks).abs() < 1e-9, "{cpu}");
    }
}
