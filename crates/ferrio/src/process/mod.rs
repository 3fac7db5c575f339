//! Child processes: asyncio's `create_subprocess_exec` /
//! `create_subprocess_shell` and `Process` — piped standard streams as
//! ferrio streams, `wait`, `communicate` without deadlock on large
//! outputs, `kill`, `terminate`, `send_signal`, `returncode`.
//!
//! A child's exit is seen through a pidfd where the kernel has one
//! (Linux 5.3+), through `SIGCHLD` otherwise; no zombie is left behind,
//! also when a `Process` is dropped before its child exits.

mod child;
mod command;
mod pipe;
mod reaper;
mod watch;

pub use child::Process;
pub use command::{create_subprocess_exec, create_subprocess_shell, Command};
