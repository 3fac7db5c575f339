//! Child processes: asyncio's `create_subprocess_exec`/`_shell`,
//! `communicate`, reading a child's output line by line, `terminate`.
//!
//! ```sh
//! cargo run --example subprocess
//! ```

use std::process::Stdio;

use ferrio::process::{create_subprocess_exec, create_subprocess_shell};

#[ferrio::main]
async fn main() {
    // communicate: input in, both outputs out, no deadlock however large.
    let mut sort = create_subprocess_exec("sort", ["-r"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sort is installed");
    let out = sort
        .communicate(Some(b"apple\ncherry\nbanana\n"))
        .await
        .unwrap();
    print!("sort -r:\n{}", String::from_utf8_lossy(&out.stdout));

    // Line by line, as the child produces them.
    let mut counter =
        create_subprocess_shell("for i in 1 2 3; do echo tick $i; done; echo oops >&2")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    let stdout = counter.stdout.as_mut().unwrap();
    loop {
        let line = stdout.readline().await.unwrap();
        if line.is_empty() {
            break;
        }
        print!("child says: {}", String::from_utf8_lossy(&line));
    }
    let err = counter
        .stderr
        .as_mut()
        .unwrap()
        .read_to_end()
        .await
        .unwrap();
    print!("child's stderr: {}", String::from_utf8_lossy(&err));
    println!("exit code {:?}", counter.wait().await.unwrap().code());

    // terminate: a negative returncode, as asyncio reports a signal.
    let mut sleeper = create_subprocess_exec("sleep", ["1000"]).spawn().unwrap();
    sleeper.terminate().unwrap();
    sleeper.wait().await.unwrap();
    println!(
        "sleep 1000 terminated: returncode {:?}",
        sleeper.returncode()
    );
}
