//! [`Process`]: a running child — asyncio's `asyncio.subprocess.Process`.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus, Output};
use std::rc::Rc;

use super::pipe::Pipe;
use super::watch::{self, ExitWatch};
use crate::reactor::sys;
use crate::stream::transport::Direct;
use crate::stream::{StreamReader, StreamWriter};

/// A child process started by [`Command::spawn`](super::Command::spawn).
///
/// Its piped standard streams are ferrio streams: `stdin` a
/// [`StreamWriter`], `stdout` and `stderr` [`StreamReader`]s (take them out
/// of the `Option`s to use them elsewhere).
///
/// Dropping a `Process` does not kill the child (as asyncio), but never
/// leaves a zombie: a running child is handed to a reaper that collects
/// its exit status when it ends.
pub struct Process {
    /// The write end of the child's standard input, if piped.
    pub stdin: Option<StreamWriter>,
    /// The read end of the child's standard output, if piped.
    pub stdout: Option<StreamReader>,
    /// The read end of the child's standard error, if piped.
    pub stderr: Option<StreamReader>,
    child: Option<Child>,
    watch: Option<ExitWatch>,
    status: Option<ExitStatus>,
    pid: u32,
}

fn reader(fd: OwnedFd, limit: usize) -> io::Result<StreamReader> {
    let pipe = Pipe::new(fd)?;
    let (reader, _writer) = crate::stream::connection::pair(Rc::new(Direct(pipe)), None, limit);
    Ok(reader)
}

fn writer(fd: OwnedFd) -> io::Result<StreamWriter> {
    let pipe = Pipe::new(fd)?;
    let (_reader, writer) = crate::stream::connection::pair(Rc::new(Direct(pipe)), None, 1);
    Ok(writer)
}

impl Process {
    pub(super) fn spawn(
        command: &mut std::process::Command,
        limit: usize,
        force_sigchld: bool,
    ) -> io::Result<Process> {
        crate::net::io::driver()?;
        // Listen before the child exists, so that its SIGCHLD is not missed.
        let sigchld = watch::sigchld_listener(force_sigchld)?;
        let mut child = command.spawn()?;
        let pid = child.id();
        let watch = match ExitWatch::new(pid, sigchld) {
            Ok(w) => w,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let stdin = child
            .stdin
            .take()
            .map(|s| writer(OwnedFd::from(s)))
            .transpose()?;
        let stdout = child
            .stdout
            .take()
            .map(|s| reader(OwnedFd::from(s), limit))
            .transpose()?;
        let stderr = child
            .stderr
            .take()
            .map(|s| reader(OwnedFd::from(s), limit))
            .transpose()?;
        Ok(Process {
            stdin,
            stdout,
            stderr,
            child: Some(child),
            watch: Some(watch),
            status: None,
            pid,
        })
    }

    /// The child's process id: asyncio's `pid`.
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// The exit code once the child has been waited for: asyncio's
    /// `returncode` — `None` while it runs, `-N` if signal `N` killed it.
    pub fn returncode(&self) -> Option<i32> {
        self.status.map(|s| match s.code() {
            Some(code) => code,
            None => -s.signal().unwrap_or(0),
        })
    }

    /// The exit status if the child has exited (reaping it), without
    /// waiting.
    ///
    /// # Errors
    ///
    /// The OS's.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            if let Some(child) = &mut self.child {
                self.status = child.try_wait()?;
            }
        }
        Ok(self.status)
    }

    /// Waits for the child to exit and reaps it: asyncio's `wait()`. While
    /// it waits, a virtual clock is held still (the child runs in real
    /// time).
    ///
    /// Waiting with piped output nobody reads can deadlock, as in asyncio,
    /// once the child fills the pipe: use [`communicate`](Self::communicate).
    ///
    /// # Errors
    ///
    /// The OS's; a cancellation (see
    /// [`net::is_cancelled`](crate::net::is_cancelled)).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the child runs on, and a later `wait` finds its status.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        let _hold = crate::event_loop::context::current().map(|inner| inner.hold_clock());
        let (Some(child), Some(watch)) = (self.child.as_mut(), self.watch.as_mut()) else {
            unreachable!("a process without status has its child and watch");
        };
        let status = watch.wait(child).await?;
        self.status = Some(status);
        Ok(status)
    }

    /// Writes `input` to the child's standard input and closes it, reads
    /// its standard output and error to the end — all at once, so a child
    /// that fills one pipe while another is unread cannot deadlock — then
    /// waits for it: asyncio's `communicate(input)`. The streams it needs
    /// must be piped; those not piped give empty output.
    ///
    /// # Errors
    ///
    /// A read error of stdout or stderr, the wait's error, a cancellation.
    /// A child that exits without reading its input is not an error (its
    /// broken pipe is ignored, as asyncio does).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: output read so far is lost with the cancelled
    /// future (the child runs on).
    pub async fn communicate(&mut self, input: Option<&[u8]>) -> io::Result<Output> {
        let _hold = crate::event_loop::context::current().map(|inner| inner.hold_clock());
        let stdin = self.stdin.take();
        let feed = async move {
            let Some(writer) = stdin else {
                return Ok(());
            };
            if let Some(input) = input {
                if writer.write(input).is_err() {
                    return Ok(());
                }
            }
            writer.close();
            match writer.wait_closed().await {
                Err(crate::stream::WriteError::Cancelled(c)) => {
                    Err(crate::net::io::cancelled_error(c))
                }
                // The child did not read it all: asyncio ignores that.
                _ => Ok(()),
            }
        };
        let out = read_all(self.stdout.as_mut());
        let err = read_all(self.stderr.as_mut());
        let (fed, out, err) = join3(feed, out, err).await;
        fed?;
        let (stdout, stderr) = (out?, err?);
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }

    /// Sends `sig` to the child: asyncio's `send_signal(sig)`. Does nothing
    /// once the child has been reaped.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a number that is not a signal; the OS's.
    pub fn send_signal(&mut self, sig: i32) -> io::Result<()> {
        // A bad number is an error even once the child is gone.
        sys::check_signal(sig)?;
        if self.try_wait()?.is_some() {
            return Ok(());
        }
        sys::send_signal(self.pid, sig)
    }

    /// Sends `SIGTERM`: asyncio's `terminate()`.
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Self::send_signal).
    pub fn terminate(&mut self) -> io::Result<()> {
        self.send_signal(crate::signal::SIGTERM)
    }

    /// Sends `SIGKILL`: asyncio's `kill()`.
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Self::send_signal).
    pub fn kill(&mut self) -> io::Result<()> {
        self.send_signal(crate::signal::SIGKILL)
    }
}

/// Reads `reader` to the end (nothing if there is no reader).
async fn read_all(reader: Option<&mut StreamReader>) -> io::Result<Vec<u8>> {
    match reader {
        Some(r) => r.read_to_end().await.map_err(io::Error::from),
        None => Ok(Vec::new()),
    }
}

/// Polls three futures together until all are done.
async fn join3<A, B, C>(
    a: impl std::future::Future<Output = A>,
    b: impl std::future::Future<Output = B>,
    c: impl std::future::Future<Output = C>,
) -> (A, B, C) {
    use std::task::Poll;
    let (mut a, mut b, mut c) = (std::pin::pin!(a), std::pin::pin!(b), std::pin::pin!(c));
    let (mut ra, mut rb, mut rc) = (None, None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if rc.is_none() {
            if let Poll::Ready(v) = c.as_mut().poll(cx) {
                rc = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() && rc.is_some() {
            Poll::Ready((ra.take().unwrap(), rb.take().unwrap(), rc.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.status.is_some() {
            return;
        }
        let (Some(mut child), Some(watch)) = (self.child.take(), self.watch.take()) else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        super::reaper::reap(child, watch);
    }
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process")
            .field("pid", &self.pid)
            .field("returncode", &self.returncode())
            .finish()
    }
}
