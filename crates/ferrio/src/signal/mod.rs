//! Unix signals on the event loop: asyncio's `loop.add_signal_handler` and
//! `remove_signal_handler`, async streams of deliveries ([`signal`],
//! [`ctrl_c`]), and the Runner's graceful Ctrl-C.
//!
//! The OS handler (registered once per signal through
//! signal-hook-registry, the only module that touches it) does nothing but
//! count the signal and write a byte to the self-pipe of each listening
//! loop; the loop wakes — also from its OS poll — and runs handlers and
//! wakes streams as ordinary loop work. When nothing listens to a signal
//! any more its default disposition is restored.
//!
//! `ferrio::run` and `Runner::run` handle Ctrl-C as asyncio's `Runner`
//! does: the first `SIGINT` cancels the main task, whose cleanup runs, and
//! the run returns [`RunError::Interrupted`](crate::RunError::Interrupted)
//! (exit code 130 by convention); a second `SIGINT` ends the process at
//! once.

mod dispatch;
mod error;
mod handler;
mod os;
mod registry;
pub(crate) mod sigint;
mod stream;

pub use error::SignalError;
pub use handler::{add_signal_handler, remove_signal_handler};
pub use stream::{ctrl_c, signal, Signals};

/// Hang-up.
pub const SIGHUP: i32 = libc::SIGHUP;
/// Interrupt (Ctrl-C).
pub const SIGINT: i32 = libc::SIGINT;
/// Quit (Ctrl-\).
pub const SIGQUIT: i32 = libc::SIGQUIT;
/// Kill: cannot be caught.
pub const SIGKILL: i32 = libc::SIGKILL;
/// User-defined signal 1 (`RunnerBuilder::dump_on_sigusr1` prints a task dump).
pub const SIGUSR1: i32 = libc::SIGUSR1;
/// User-defined signal 2.
pub const SIGUSR2: i32 = libc::SIGUSR2;
/// Broken pipe.
pub const SIGPIPE: i32 = libc::SIGPIPE;
/// Alarm clock.
pub const SIGALRM: i32 = libc::SIGALRM;
/// Termination request (what `kill` and service managers send).
pub const SIGTERM: i32 = libc::SIGTERM;
/// A child process stopped or exited.
pub const SIGCHLD: i32 = libc::SIGCHLD;
/// Stop: cannot be caught.
pub const SIGSTOP: i32 = libc::SIGSTOP;
/// Terminal window size changed.
pub const SIGWINCH: i32 = libc::SIGWINCH;

/// Sends `sig` to this process (`kill(getpid(), sig)`): for tests, and for
/// a program that wants to shut itself down the way an operator would.
///
/// # Errors
///
/// The OS's (`EINVAL` for a bad number).
pub fn raise(sig: i32) -> std::io::Result<()> {
    os::raise(sig)
}
