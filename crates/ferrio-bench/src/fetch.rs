//! The fetch family — the seeds' job: fetch `/item/1` … `/item/N` from a
//! fresh `ferrio serve-mock --latency 5ms --fail-rate 0.05 --seed 1` (pinned
//! to CPU 0) at concurrency 200 with each client (pinned to CPU 1):
//!
//! - `ferrio fetch`: `ferrio fetch --url-template … -c 200 --json`;
//! - `tokio+reqwest`: this crate's `reqwest-fetch` (JoinSet + Semaphore);
//! - `aiohttp`: `bench/py/fetch_aiohttp.py` (gather + Semaphore);
//! - `oha`: the load generator, only if installed (`--with-oha` installs it).
//!
//! Each client is one process; reported: its wall time (spawn to exit),
//! requests per second (N ÷ wall), user + system CPU seconds and peak RSS
//! (both from `wait4`). Checked: ok + failed == N for every client.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::child;
use crate::report::{available, Better, Cell, Family, Miss, Row};
use crate::rotation::rotated;
use crate::stats::Summary;
use crate::Ctx;

/// The clients (columns), `ferrio fetch` first.
pub const CLIENTS: [&str; 4] = ["ferrio fetch", "tokio+reqwest", "aiohttp", "oha"];

/// Concurrency of every client.
pub const CONCURRENCY: usize = 200;

/// The URL counts: 200 and 10,000 (quick: 200 and 1,000).
pub fn counts(quick: bool) -> [u64; 2] {
    if quick {
        [200, 1_000]
    } else {
        [200, 10_000]
    }
}

/// One client run's outcome.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    wall_ms: f64,
    cpu_s: f64,
    rss_mib: f64,
    failed: f64,
    /// The client's own elapsed time (NaN if it does not say).
    said_ms: f64,
    /// CPU seconds the mock server used meanwhile (near the wall time:
    /// the mock, not the client, was the limit).
    mock_cpu_s: f64,
}

/// A running mock server.
struct Mock {
    child: Child,
    port: u16,
}

impl Mock {
    fn start(ferrio: &Path, pin: bool) -> Result<Mock, String> {
        let mut cmd = child::command(ferrio, pin.then_some(0));
        cmd.args([
            "serve-mock",
            "--port",
            "0",
            "--latency",
            "5ms",
            "--fail-rate",
            "0.05",
            "--seed",
            "1",
        ]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start ferrio serve-mock: {e}"))?;
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line);
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .filter(|_| line.starts_with("listening on http://127.0.0.1:"));
        match port {
            Some(port) => Ok(Mock { child, port }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("serve-mock printed {:?}", line.trim()))
            }
        }
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds `ferrio` (ferrio-cli) and `reqwest-fetch` with this binary's own
/// profile (release, or dev for a debug `ferrio-bench`), a no-op when
/// fresh, and returns their paths.
fn build_clients(repo: &Path) -> Result<(PathBuf, PathBuf), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let release = !cfg!(debug_assertions);
    let mut cmd = Command::new(cargo);
    cmd.current_dir(repo).args(["build", "--quiet"]);
    if release {
        cmd.arg("--release");
    }
    cmd.args([
        "-p",
        "ferrio-cli",
        "--bin",
        "ferrio",
        "-p",
        "ferrio-bench",
        "--bin",
        "reqwest-fetch",
    ]);
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("cargo build -p ferrio-cli -p ferrio-bench failed".into());
    }
    // The clients sit next to this executable (target/<profile>/).
    let dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| {
            repo.join("target")
                .join(if release { "release" } else { "debug" })
        });
    Ok((dir.join("ferrio"), dir.join("reqwest-fetch")))
}

/// `oha` on PATH, or installed with `cargo install oha` when asked.
fn find_oha(install: bool) -> Result<PathBuf, String> {
    if crate::machine::has("oha") {
        return Ok(PathBuf::from("oha"));
    }
    if !install {
        return Err("oha not installed; --with-oha installs it".into());
    }
    eprintln!("ferrio-bench: cargo install oha (slow)");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let ok = Command::new(cargo)
        .args(["install", "oha", "--locked"])
        .status()
        .is_ok_and(|s| s.success());
    if ok && crate::machine::has("oha") {
        Ok(PathBuf::from("oha"))
    } else {
        Err("cargo install oha failed".into())
    }
}

/// What a client says of its run: `(ok, failed, its own elapsed ms)`.
type Said = (u64, u64, Option<f64>);

/// Counts and elapsed time from a client's JSON summary.
fn counts_of(stdout: &str) -> Result<Said, String> {
    let start = stdout.find('{').ok_or("no JSON summary")?;
    let v: serde_json::Value =
        serde_json::from_str(&stdout[start..]).map_err(|e| format!("bad JSON summary: {e}"))?;
    let ok = v["ok"].as_u64().ok_or("no \"ok\" count")?;
    let failed = v["failed"].as_u64().ok_or("no \"failed\" count")?;
    Ok((ok, failed, v["elapsed_ms"].as_f64()))
}

/// `(ok, failed)` from oha's JSON: 2xx codes are ok, other codes and
/// errors failed.
fn oha_counts(stdout: &str) -> Result<Said, String> {
    let start = stdout.find('{').ok_or("no JSON from oha")?;
    let v: serde_json::Value =
        serde_json::from_str(&stdout[start..]).map_err(|e| format!("bad oha JSON: {e}"))?;
    let codes = v["statusCodeDistribution"]
        .as_object()
        .ok_or("no statusCodeDistribution in oha's JSON")?;
    let (mut ok, mut failed) = (0, 0);
    for (code, count) in codes {
        let count = count.as_u64().unwrap_or(0);
        if code.starts_with('2') {
            ok += count;
        } else {
            failed += count;
        }
    }
    if let Some(errors) = v["errorDistribution"].as_object() {
        failed += errors.values().filter_map(|c| c.as_u64()).sum::<u64>();
    }
    let elapsed = v["summary"]["total"].as_f64().map(|s| s * 1e3);
    Ok((ok, failed, elapsed))
}

struct Tools {
    ferrio: Result<PathBuf, String>,
    reqwest: Result<PathBuf, String>,
    oha: Result<PathBuf, String>,
}

fn measure(ctx: &Ctx, tools: &Tools, client: &str, n: u64) -> Result<Outcome, Miss> {
    let ferrio = available(&tools.ferrio)?;
    let cpu = ctx.plan.pin.then_some(1);
    let mock = Mock::start(ferrio, ctx.plan.pin)?;
    let prefix = format!("http://127.0.0.1:{}/item/", mock.port);
    let c = CONCURRENCY.to_string();
    let mut cmd = match client {
        "ferrio fetch" => {
            let mut cmd = child::command(ferrio, cpu);
            cmd.args(["fetch", "--url-template", &format!("{prefix}{{1..{n}}}")]);
            cmd.args(["-c", &c, "--json"]);
            cmd
        }
        "tokio+reqwest" => {
            let exe = available(&tools.reqwest)?;
            let mut cmd = child::command(exe, cpu);
            cmd.args(["--url-prefix", &prefix, "--n", &n.to_string(), "-c", &c]);
            cmd
        }
        "aiohttp" => {
            let py = available(&ctx.python)?;
            available(&py.aiohttp)?;
            let mut cmd = child::command(&py.python, cpu);
            cmd.arg(ctx.repo.join("bench/py/fetch_aiohttp.py"));
            cmd.args(["--url-prefix", &prefix, "--n", &n.to_string(), "-c", &c]);
            cmd
        }
        "oha" => {
            let exe = available(&tools.oha)?;
            let list =
                std::env::temp_dir().join(format!("ferrio-bench-urls-{}.txt", std::process::id()));
            let urls: String = (1..=n).map(|i| format!("{prefix}{i}\n")).collect();
            std::fs::write(&list, urls).map_err(|e| format!("cannot write the URL list: {e}"))?;
            let mut cmd = child::command(exe, cpu);
            cmd.args([
                "--no-tui",
                "--output-format",
                "json",
                "-n",
                &n.to_string(),
                "-c",
                &c,
            ]);
            cmd.arg("--urls-from-file").arg(&list);
            cmd
        }
        other => return Err(Miss::Fail(format!("unknown client {other:?}"))),
    };
    cmd.current_dir(&ctx.repo);
    let mock_before = crate::sys::process_cpu(mock.child.id());
    let finished = child::run(cmd)?;
    let mock_cpu = crate::sys::process_cpu(mock.child.id()).saturating_sub(mock_before);
    drop(mock);
    // `ferrio fetch` exits 1 when some URLs failed, which the mock makes sure of.
    let allowed = if client == "ferrio fetch" {
        &[0, 1][..]
    } else {
        &[0][..]
    };
    if !finished.usage.code.is_some_and(|c| allowed.contains(&c)) {
        return Err(Miss::Fail(format!(
            "{}: {}",
            crate::sys::describe(&finished.usage),
            child::tail(&finished.stderr)
        )));
    }
    let (ok, failed, said_ms) = if client == "oha" {
        oha_counts(&finished.stdout)?
    } else {
        counts_of(&finished.stdout)?
    };
    if ok + failed != n {
        return Err(Miss::Fail(format!("ok {ok} + failed {failed} != {n} URLs")));
    }
    if ok == 0 {
        return Err(Miss::Fail(format!("no URL fetched ({failed} failed)")));
    }
    Ok(Outcome {
        wall_ms: finished.wall.as_secs_f64() * 1e3,
        cpu_s: finished.usage.cpu.as_secs_f64(),
        rss_mib: finished.usage.max_rss as f64 / (1024.0 * 1024.0),
        failed: failed as f64,
        said_ms: said_ms.unwrap_or(f64::NAN),
        mock_cpu_s: mock_cpu.as_secs_f64(),
    })
}

/// Runs the fetch family.
pub fn run(ctx: &Ctx) -> Family {
    let built = build_clients(&ctx.repo);
    let tools = Tools {
        ferrio: built.as_ref().map(|b| b.0.clone()).map_err(|e| e.clone()),
        reqwest: built.as_ref().map(|b| b.1.clone()).map_err(|e| e.clone()),
        oha: find_oha(ctx.plan.with_oha),
    };
    let mut values: HashMap<(u64, &str), Vec<Outcome>> = HashMap::new();
    let mut failures: HashMap<(u64, &str), Miss> = HashMap::new();
    let sizes = counts(ctx.plan.quick);
    for run in 0..ctx.plan.runs as usize {
        for (i, n) in sizes.into_iter().enumerate() {
            for client in rotated(&CLIENTS, run + i) {
                if failures.contains_key(&(n, client)) {
                    continue;
                }
                match measure(ctx, &tools, client, n) {
                    Ok(o) => values.entry((n, client)).or_default().push(o),
                    Err(e) => {
                        if let Miss::Fail(why) = &e {
                            eprintln!("  fetch {n} with {client} FAILED: {why}");
                        }
                        failures.insert((n, client), e);
                    }
                }
            }
            eprint!(".");
        }
        eprintln!(" fetch run {}/{}", run + 1, ctx.plan.runs);
    }
    let rows = sizes
        .into_iter()
        .map(|n| Row {
            workload: format!("fetch {}", crate::report::fmt_value(n as f64)),
            unit: "ms".into(),
            better: Better::Lower,
            cells: CLIENTS
                .iter()
                .map(|&c| {
                    let cell = match (failures.get(&(n, c)), values.get(&(n, c))) {
                        (Some(miss), _) => miss.to_cell(),
                        (None, Some(v)) => {
                            let s = |f: &dyn Fn(&Outcome) -> f64| {
                                Summary::of(&v.iter().map(f).collect::<Vec<_>>()).expect("a run")
                            };
                            let mut extras = vec![
                                (
                                    "rate".into(),
                                    "req/s".into(),
                                    s(&|o| n as f64 / (o.wall_ms / 1e3)),
                                ),
                                ("CPU".into(), "s".into(), s(&|o| o.cpu_s)),
                                ("peak RSS".into(), "MiB".into(), s(&|o| o.rss_mib)),
                                ("failed (mock's 5%)".into(), "URLs".into(), s(&|o| o.failed)),
                                ("mock server CPU".into(), "s".into(), s(&|o| o.mock_cpu_s)),
                            ];
                            if let Some(said) =
                                Summary::of(&v.iter().map(|o| o.said_ms).collect::<Vec<_>>())
                            {
                                extras.push((
                                    "own elapsed (start-up excluded)".into(),
                                    "ms".into(),
                                    said,
                                ));
                            }
                            Cell::Measured {
                                summary: s(&|o| o.wall_ms),
                                extras,
                            }
                        }
                        (None, None) => Cell::Skipped("not run".into()),
                    };
                    (c.to_string(), cell)
                })
                .collect(),
        })
        .collect();
    Family {
        name: "fetch".into(),
        title: "Fetch: the seeds' job against `ferrio serve-mock`".into(),
        notes: vec![
            format!(
                "fetch `/item/1` … `/item/N` (N = {} and {}) from a fresh `ferrio serve-mock \
                 --latency 5ms --fail-rate 0.05 --seed 1` (CPU 0) at concurrency {CONCURRENCY}, \
                 each client one process on CPU 1; checked: ok + failed == N",
                sizes[0], sizes[1]
            ),
            "`ferrio fetch` = `ferrio fetch --url-template … -c 200 --json` (one loop, retries off); \
             `tokio+reqwest` = `reqwest-fetch` (tokio `current_thread`, one task per URL, a \
             `Semaphore` of 200, one `reqwest::Client`); `aiohttp` = `bench/py/fetch_aiohttp.py` \
             (`gather` + `Semaphore(200)`, one `ClientSession`); `oha` picks URLs from the list \
             at random (with repeats) and is only run when installed"
                .into(),
            "metric: the client process's wall time, spawn to exit (start-up included); \
             secondary: N ÷ wall, user + system CPU seconds and peak RSS from `wait4`, the \
             client's own elapsed time, and the mock server's CPU seconds meanwhile (close to \
             the wall time means the one-loop mock, not the client, was the limit)"
                .into(),
        ],
        runtimes: CLIENTS.iter().map(|s| s.to_string()).collect(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_clients_summaries() {
        let ferrio =
            "{\n  \"total\": 200,\n  \"ok\": 191,\n  \"failed\": 9,\n  \"elapsed_ms\": 91.0\n}\n";
        assert_eq!(counts_of(ferrio), Ok((191, 9, Some(91.0))));
        assert!(counts_of("oops").is_err());
        let oha = r#"{"summary": {"total": 0.5}, "statusCodeDistribution": {"200": 95, "500": 5}, "errorDistribution": {"timeout": 2}}"#;
        assert_eq!(oha_counts(oha), Ok((95, 7, Some(500.0))));
    }
}
