//! `communicate` without deadlock on large outputs (issue 11's
//! acceptance: 10 MiB on both stdout and stderr), and a child killed in
//! the middle of `communicate`.

use std::process::Stdio;

use ferrio::process::create_subprocess_shell;

const MIB10: usize = 10 * 1024 * 1024;

#[ferrio::test]
async fn ten_mib_on_stdout_and_stderr_and_ten_mib_of_input() {
    // stderr is written first and completely: a reader that drains stdout
    // first would deadlock, and so would a writer that pushes all of stdin
    // before reading (cat blocks once stdout's pipe is full).
    let mut child =
        create_subprocess_shell(format!("head -c {MIB10} /dev/zero | tr '\\0' e >&2; cat"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    let input: Vec<u8> = (0..MIB10).map(|i| b'a' + (i % 26) as u8).collect();
    let out = child.communicate(Some(&input)).await.unwrap();
    assert!(out.status.success());
    assert_eq!(out.stderr.len(), MIB10);
    assert!(out.stderr.iter().all(|&b| b == b'e'));
    assert_eq!(out.stdout.len(), MIB10);
    assert!(out.stdout == input, "stdout echoes the input in order");
}

#[ferrio::test]
async fn a_child_killed_mid_communicate() {
    let mut child = create_subprocess_shell("echo started; exec sleep 1000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let talk = ferrio::spawn(async move { child.communicate(None).await });
    // Once the shell has exec'd `sleep`, "started" is in the pipe; then
    // kill the child from outside, while communicate reads.
    let comm = format!("/proc/{pid}/comm");
    while std::fs::read_to_string(&comm).unwrap_or_default().trim() != "sleep" {
        ferrio::yield_now().await.unwrap();
    }
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid as i32).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    let out = talk.await.unwrap().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(libc::SIGKILL));
    // What it wrote before dying is not lost.
    assert_eq!(out.stdout, b"started\n");
}
