//! Running one measurement in a child process: optionally pinned to a CPU
//! with `taskset`, its stdout captured, its own CPU time and peak RSS taken
//! from `wait4`.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::sys::{self, ChildUsage};

/// A finished child: what it printed, what it used, how long it took.
#[derive(Debug)]
pub struct Finished {
    /// Its standard output.
    pub stdout: String,
    /// Its standard error (for error messages).
    pub stderr: String,
    /// CPU time, peak RSS and exit status.
    pub usage: ChildUsage,
    /// Wall time from spawn to exit.
    pub wall: Duration,
}

/// A command for `program`, under `taskset -c CPU` when `cpu` is given and
/// `taskset` exists.
pub fn command(program: impl AsRef<Path>, cpu: Option<usize>) -> Command {
    match cpu {
        Some(cpu) if taskset_available() => {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(cpu.to_string()).arg(program.as_ref());
            c
        }
        _ => Command::new(program.as_ref()),
    }
}

/// Whether `taskset` (util-linux) is installed; checked once.
pub fn taskset_available() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| crate::machine::has("taskset"))
}

/// Runs `cmd` to completion and measures it; an error says why it could
/// not start or did not succeed.
pub fn run(mut cmd: Command) -> Result<Finished, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    // Read stderr on a thread so that neither pipe can fill and block.
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut stdout = String::new();
    let _ = out.read_to_string(&mut stdout);
    let usage = sys::wait_with_usage(&mut child).map_err(|e| format!("wait4 failed: {e}"))?;
    let wall = start.elapsed();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(Finished {
        stdout,
        stderr,
        usage,
        wall,
    })
}

/// Like [`run`], but a non-zero exit is an error carrying the end of stderr.
pub fn run_ok(cmd: Command) -> Result<Finished, String> {
    let f = run(cmd)?;
    if f.usage.success {
        Ok(f)
    } else {
        Err(format!("{}: {}", sys::describe(&f.usage), tail(&f.stderr)))
    }
}

/// The last line of `s` that has text, shortened, for error messages.
pub fn tail(s: &str) -> String {
    let line = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.chars().take(160).collect()
}

/// The `"value"` of the JSON object a measuring child printed last.
pub fn json_value(stdout: &str) -> Result<f64, String> {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| format!("no JSON in the output: {}", tail(stdout)))?;
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("bad JSON {line:?}: {e}"))?;
    v["value"]
        .as_f64()
        .ok_or_else(|| format!("no numeric \"value\" in {line}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_value_takes_the_last_object() {
        assert_eq!(json_value("noise\n{\"value\": 1.5}\n"), Ok(1.5));
        assert!(json_value("nothing").is_err());
        assert!(json_value("{\"other\": 1}").is_err());
    }

    #[test]
    fn measures_a_child() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo '{\"value\": 2}'"]);
        let f = run_ok(cmd).unwrap();
        assert_eq!(json_value(&f.stdout), Ok(2.0));
        assert!(f.usage.max_rss > 0);
        let mut bad = Command::new("sh");
        bad.args(["-c", "echo oops >&2; exit 3"]);
        assert_eq!(run_ok(bad).unwrap_err(), "exit code 3: oops");
    }
}
