//! Graceful shutdown by signal, in child processes (a signal is
//! process-wide, and the Runner's Ctrl-C handling is for the main thread):
//! this binary has no test harness, so `main` runs on the main thread. Run
//! without arguments it is the parent: it runs itself once per scenario
//! with `FERRIO_SIGNAL_CHILD=<scenario>` and checks the child's output and
//! exit code.
//!
//! - `sigterm`: the child sends SIGTERM to itself; a `signal(SIGTERM)`
//!   stream ends the main task, and `ferrio::run` cancels the worker task,
//!   whose async cleanup runs.
//! - `sigint`: the first SIGINT cancels the main task; its cleanup runs and
//!   `run` returns `RunError::Interrupted` (exit code 130).
//! - `sigint_twice`: a second SIGINT during the cleanup exits at once (130).
//! - `sigusr1_dump`: with `dump_on_sigusr1`, SIGUSR1 prints the task dump.

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ferrio::signal;

fn main() {
    match std::env::var("FERRIO_SIGNAL_CHILD") {
        Ok(scenario) => child(&scenario),
        Err(_) => parent(),
    }
}

fn child(scenario: &str) {
    match scenario {
        "sigterm" => {
            ferrio::run(async {
                let worker = ferrio::spawn(async {
                    if ferrio::sleep(Duration::from_secs(3600)).await.is_err() {
                        // Async cleanup: it awaits.
                        ferrio::yield_now().await.ok();
                        println!("worker cleanup done");
                    }
                });
                let mut term = signal::signal(signal::SIGTERM).unwrap();
                signal::raise(signal::SIGTERM).unwrap();
                term.recv().await.unwrap();
                println!("got SIGTERM");
                drop(worker);
            })
            .unwrap();
            println!("exited cleanly");
        }
        "sigint" | "sigint_twice" => {
            let twice = scenario == "sigint_twice";
            // The Runner arms its Ctrl-C only over the default disposition
            // (as asyncio's does), and a harness started as a background
            // job hands its children SIGINT ignored: restore the default.
            // SAFETY: no other thread exists yet, and SIG_DFL is a valid
            // disposition for SIGINT.
            unsafe { libc::signal(libc::SIGINT, libc::SIG_DFL) };
            let result = ferrio::run(async move {
                signal::raise(signal::SIGINT).unwrap();
                match ferrio::sleep(Duration::from_secs(3600)).await {
                    Ok(()) => println!("slept (unexpected)"),
                    Err(cancelled) => {
                        println!("main cleanup: {cancelled}");
                        if twice {
                            signal::raise(signal::SIGINT).unwrap();
                            // The second SIGINT ends the process here.
                            let _ = ferrio::sleep(Duration::from_secs(3600)).await;
                            println!("after the second SIGINT (unexpected)");
                        }
                    }
                }
            });
            match result {
                Err(ferrio::RunError::Interrupted) => {
                    println!("interrupted");
                    std::process::exit(130);
                }
                other => println!("unexpected: {other:?}"),
            }
        }
        "sigusr1_dump" => {
            let runner = ferrio::Runner::builder()
                .dump_on_sigusr1(true)
                .build()
                .unwrap();
            runner
                .run(async {
                    let _named = ferrio::task::Builder::new()
                        .name("visible-in-dump")
                        .spawn(async {
                            let _ = ferrio::sleep(Duration::from_secs(3600)).await;
                        })
                        .unwrap();
                    ferrio::yield_now().await.unwrap();
                    // The Runner's dump handler was installed first: once
                    // this stream sees the signal, the dump is printed.
                    let mut usr1 = signal::signal(signal::SIGUSR1).unwrap();
                    signal::raise(signal::SIGUSR1).unwrap();
                    usr1.recv().await.unwrap();
                })
                .unwrap();
            runner.close().unwrap();
        }
        other => panic!("unknown scenario {other}"),
    }
}

fn run_child(scenario: &str) -> (Option<i32>, String, String) {
    let exe = std::env::current_exe().unwrap();
    let child = Command::new(exe)
        .env("FERRIO_SIGNAL_CHILD", scenario)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A safety net, not a timing check: a child that hangs is killed (and
    // its scenario fails) instead of holding the suite up forever.
    let pid = child.id();
    let (done, finished) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) =
            finished.recv_timeout(Duration::from_secs(120))
        {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    });
    let out = child.wait_with_output().unwrap();
    let _ = done.send(());
    watchdog.join().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn parent() {
    let mut passed = 0;
    let mut failed = Vec::new();
    let mut check = |name: &str, ok: bool, detail: String| {
        if ok {
            passed += 1;
            println!("test {name} ... ok");
        } else {
            println!("test {name} ... FAILED\n{detail}");
            failed.push(name.to_owned());
        }
    };

    let (code, out, err) = run_child("sigterm");
    check(
        "sigterm_triggers_graceful_shutdown_with_cleanup",
        code == Some(0)
            && out.contains("got SIGTERM")
            && out.contains("worker cleanup done")
            && out.contains("exited cleanly"),
        format!("code {code:?}\nstdout:\n{out}\nstderr:\n{err}"),
    );

    let (code, out, err) = run_child("sigint");
    check(
        "first_sigint_cancels_main_runs_cleanup_and_interrupts",
        code == Some(130)
            && out.contains("main cleanup: cancelled: interrupted by SIGINT")
            && out.contains("interrupted"),
        format!("code {code:?}\nstdout:\n{out}\nstderr:\n{err}"),
    );

    let (code, out, err) = run_child("sigint_twice");
    check(
        "second_sigint_exits_at_once",
        code == Some(130) && out.contains("main cleanup") && !out.contains("unexpected"),
        format!("code {code:?}\nstdout:\n{out}\nstderr:\n{err}"),
    );

    let (code, out, err) = run_child("sigusr1_dump");
    check(
        "sigusr1_prints_the_task_dump",
        code == Some(0) && err.contains("visible-in-dump"),
        format!("code {code:?}\nstdout:\n{out}\nstderr:\n{err}"),
    );

    println!("\n{passed} passed, {} failed", failed.len());
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
