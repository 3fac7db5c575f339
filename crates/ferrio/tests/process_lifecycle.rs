//! Child processes: ports of CPython's `test_subprocess.py`
//! (`SubprocessMixin`) — stdin/stdout, shell, kill, terminate,
//! send_signal, broken stdin, empty and devnull input, cancelled wait,
//! reading after exit, concurrent waits — and the SIGCHLD fallback, no
//! zombies after an early drop.

use std::process::Stdio;

use ferrio::process::{create_subprocess_exec, create_subprocess_shell, Command};
use ferrio::signal;

// test_stdin_stdout
#[ferrio::test]
async fn stdin_to_stdout_through_cat() {
    let mut child = create_subprocess_exec("cat", [] as [&str; 0])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    stdin.write(b"Python The Winner\n").unwrap();
    stdin.drain().await.unwrap();
    stdin.close();
    stdin.wait_closed().await.unwrap();
    let out = child.stdout.as_mut().unwrap().read_to_end().await.unwrap();
    assert_eq!(out, b"Python The Winner\n");
    assert_eq!(child.wait().await.unwrap().code(), Some(0));
    assert_eq!(child.returncode(), Some(0));
}

// test_communicate / test_communicate_none_input
#[ferrio::test]
async fn communicate_with_and_without_input() {
    let mut child = create_subprocess_exec("cat", [] as [&str; 0])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.communicate(Some(b"data")).await.unwrap();
    assert_eq!(out.stdout, b"data");
    assert!(out.status.success());

    let mut child = create_subprocess_exec("cat", [] as [&str; 0])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.communicate(None).await.unwrap();
    assert_eq!(out.stdout, b"");
}

// test_shell, test_create_subprocess_env_shell
#[ferrio::test]
async fn shell_commands_and_environment() {
    let mut child = create_subprocess_shell("exit 7").spawn().unwrap();
    assert_eq!(child.wait().await.unwrap().code(), Some(7));
    assert_eq!(child.returncode(), Some(7));
    let mut child = create_subprocess_shell("echo $FERRIO_TEST_VAR")
        .env("FERRIO_TEST_VAR", "from env")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(child.communicate(None).await.unwrap().stdout, b"from env\n");
}

// test_kill, test_terminate, test_send_signal
#[ferrio::test]
async fn kill_terminate_and_send_signal_give_negative_returncodes() {
    for (how, sig) in [
        ("kill", signal::SIGKILL),
        ("terminate", signal::SIGTERM),
        // Not SIGHUP: a child inherits an ignored disposition, and a
        // harness started under `nohup` (or as a background job, for
        // SIGINT and SIGQUIT) ignores it, so `sleep` would never end.
        ("usr1", signal::SIGUSR1),
    ] {
        let mut child = create_subprocess_exec("sleep", ["1000"]).spawn().unwrap();
        assert_eq!(child.returncode(), None);
        match how {
            "kill" => child.kill().unwrap(),
            "terminate" => child.terminate().unwrap(),
            _ => child.send_signal(sig).unwrap(),
        }
        child.wait().await.unwrap();
        assert_eq!(child.returncode(), Some(-sig), "{how}");
        // Once reaped, signalling does nothing.
        child.kill().unwrap();
    }
    let mut child = create_subprocess_exec("true", [] as [&str; 0])
        .spawn()
        .unwrap();
    assert_eq!(
        child.send_signal(1000).unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
    child.wait().await.unwrap();
    // Still a bad number after the child was reaped: the check comes first.
    assert_eq!(
        child.send_signal(1000).unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
}

// test_stdin_broken_pipe / test_communicate_ignore_broken_pipe
#[ferrio::test]
async fn a_child_that_does_not_read_its_input() {
    let big = vec![b'x'; 4 * 1024 * 1024];
    let mut child = create_subprocess_exec("true", [] as [&str; 0])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    // communicate ignores the broken pipe.
    let out = child.communicate(Some(&big)).await.unwrap();
    assert!(out.status.success());

    let mut child = create_subprocess_exec("true", [] as [&str; 0])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    child.wait().await.unwrap();
    // Writing by hand reports it.
    let mut failed = false;
    for _ in 0..64 {
        if stdin.write(&big[..65536]).is_err() || stdin.drain().await.is_err() {
            failed = true;
            break;
        }
    }
    assert!(failed, "writing to a dead child's stdin fails");
}

// test_empty_input / test_devnull_input / test_devnull_output
#[ferrio::test]
async fn empty_and_devnull_streams() {
    let mut child = create_subprocess_exec("cat", [] as [&str; 0])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(child.communicate(Some(b"")).await.unwrap().stdout, b"");
    let mut child = create_subprocess_exec("cat", [] as [&str; 0])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(child.stdin.is_none());
    assert_eq!(child.communicate(None).await.unwrap().stdout, b"");
    let mut child = create_subprocess_shell("echo hidden")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    assert!(child.stdout.is_none());
    assert_eq!(child.communicate(None).await.unwrap().stdout, b"");
}

// test_cancel_process_wait
#[ferrio::test]
async fn a_cancelled_wait_leaves_the_child_running() {
    let mut child = create_subprocess_exec("sleep", ["1000"]).spawn().unwrap();
    let waiter = ferrio::spawn(async move {
        let err = child.wait().await.unwrap_err();
        assert!(ferrio::net::is_cancelled(&err));
        child
    });
    ferrio::yield_now().await.unwrap();
    waiter.cancel();
    let mut child = waiter.await.unwrap();
    assert_eq!(child.try_wait().unwrap(), None, "still running");
    child.kill().unwrap();
    child.wait().await.unwrap();
    assert_eq!(child.returncode(), Some(-signal::SIGKILL));
}

// test_popen_error
#[ferrio::test]
async fn a_missing_program_is_not_found() {
    let err = create_subprocess_exec("/nonexistent/ferrio-program", [] as [&str; 0])
        .spawn()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
}

// test_read_stdout_after_process_exit
#[ferrio::test]
async fn stdout_is_readable_after_the_child_exited() {
    let mut child = create_subprocess_shell("printf 'kept after exit'")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.wait().await.unwrap();
    let out = child.stdout.as_mut().unwrap().read_to_end().await.unwrap();
    assert_eq!(out, b"kept after exit");
}

// test_subprocess_concurrent_wait: several children waited at once.
#[ferrio::test]
async fn many_children_waited_concurrently() {
    let waits: Vec<_> = (0..8)
        .map(|i| {
            ferrio::spawn(async move {
                let mut child = create_subprocess_shell(format!("exit {i}"))
                    .spawn()
                    .unwrap();
                child.wait().await.unwrap().code()
            })
        })
        .collect();
    for (i, w) in waits.into_iter().enumerate() {
        assert_eq!(w.await.unwrap(), Some(i as i32));
    }
}

#[ferrio::test]
async fn the_sigchld_watcher_sees_exits_too() {
    let mut children: Vec<_> = (0..4)
        .map(|i| {
            Command::new("/bin/sh")
                .args(["-c", &format!("exit {}", 10 + i)])
                .force_sigchld_watcher()
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in children.iter_mut().enumerate() {
        assert_eq!(child.wait().await.unwrap().code(), Some(10 + i as i32));
    }
}

/// Whether `pid` is a zombie of ours (exited, not reaped).
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[ferrio::test]
async fn dropping_a_process_early_leaves_no_zombie() {
    // The child exits after the Process is gone; the reaper collects it.
    let mut child = create_subprocess_shell("read line")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stdin = child.stdin.take().unwrap();
    drop(child);
    stdin.write(b"go\n").unwrap();
    stdin.close();
    stdin.wait_closed().await.unwrap();
    // The reaper task waits for the exit: give the loop a few turns.
    let mut turns = 0;
    while exists(pid) && turns < 100_000 {
        ferrio::yield_now().await.unwrap();
        turns += 1;
        assert!(!is_zombie(pid) || turns < 99_999, "left a zombie");
    }
    assert!(!exists(pid), "the child {pid} was reaped");
}

#[test]
fn a_child_outliving_its_loop_is_reaped_by_a_thread() {
    let pid = ferrio::EventLoop::new()
        .unwrap()
        .run_until_complete(async {
            let mut child = create_subprocess_shell("read line")
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            let pid = child.id();
            // Keep stdin open past the loop: the child exits when it closes.
            let stdin = child.stdin.take().unwrap();
            drop(child);
            (pid, stdin)
        })
        .unwrap();
    let (pid, stdin) = pid;
    // Closing the loop dropped the reaper task, which handed the child to a
    // thread; closing stdin now lets the child exit.
    drop(stdin);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while exists(pid) {
        assert!(
            std::time::Instant::now() < deadline,
            "child {pid} never reaped"
        );
        std::thread::yield_now();
    }
}
