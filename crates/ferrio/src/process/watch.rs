//! Seeing a child exit: through a pidfd where the kernel has one (Linux
//! 5.3+; readable once the child has exited), through `SIGCHLD` otherwise.
//! Either way the child is reaped with `waitpid` (std's `try_wait`).

use std::future::poll_fn;
use std::io;
use std::os::fd::OwnedFd;
use std::process::{Child, ExitStatus};
use std::task::Poll;

use crate::net::io::{pending, register};
use crate::reactor::{sys, Direction, IoSource};
use crate::signal::{self, Signals};

/// How a child's exit is noticed.
pub(crate) enum ExitWatch {
    Pidfd(IoSource<OwnedFd>),
    Sigchld(Signals),
}

impl ExitWatch {
    /// Watches the child `pid`, by pidfd unless `force_sigchld`.
    /// `sigchld` is the listener taken before the child was spawned (so
    /// that its exit cannot be missed).
    pub(crate) fn new(pid: u32, sigchld: Option<Signals>) -> io::Result<ExitWatch> {
        if let Some(signals) = sigchld {
            return Ok(ExitWatch::Sigchld(signals));
        }
        Ok(ExitWatch::Pidfd(register(sys::pidfd_open(pid)?)?))
    }

    /// Waits until `child` has exited and reaps it.
    pub(crate) async fn wait(&mut self, child: &mut Child) -> io::Result<ExitStatus> {
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            match self {
                ExitWatch::Pidfd(source) => {
                    source.clear_ready(Direction::Read);
                    poll_fn(|cx| {
                        if child.try_wait().ok().flatten().is_some() {
                            return Poll::Ready(Ok(()));
                        }
                        match source.poll_ready(Direction::Read, cx) {
                            Poll::Ready(()) => Poll::Ready(Ok(())),
                            Poll::Pending => pending("child exit"),
                        }
                    })
                    .await?;
                }
                ExitWatch::Sigchld(signals) => {
                    signals
                        .recv()
                        .await
                        .map_err(crate::net::io::cancelled_error)?;
                }
            }
        }
    }
}

/// Whether pidfds work here (or a test forces the `SIGCHLD` watcher).
pub(crate) fn sigchld_listener(force: bool) -> io::Result<Option<Signals>> {
    static PIDFD: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let supported = *PIDFD.get_or_init(|| match sys::pidfd_open(std::process::id()) {
        Ok(_) => true,
        Err(e) => e.kind() != io::ErrorKind::Unsupported,
    });
    let pidfd_works = !force && supported;
    if pidfd_works {
        return Ok(None);
    }
    signal::signal(signal::SIGCHLD)
        .map(Some)
        .map_err(io::Error::other)
}
