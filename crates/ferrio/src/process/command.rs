//! [`Command`], [`create_subprocess_exec`] and [`create_subprocess_shell`].

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::Stdio;

use super::child::Process;
use crate::stream::DEFAULT_LIMIT;

/// Starts building the command `program args..`: asyncio's
/// `create_subprocess_exec(program, *args)`. Nothing is piped unless asked
/// (`.stdout(Stdio::piped())`, as asyncio's `stdout=PIPE`); then
/// [`Command::spawn`].
///
/// ```
/// use std::process::Stdio;
///
/// ferrio::run(async {
///     let mut child = ferrio::process::create_subprocess_exec("echo", ["hello"])
///         .stdout(Stdio::piped())
///         .spawn()
///         .unwrap();
///     let line = child.stdout.as_mut().unwrap().readline().await.unwrap();
///     assert_eq!(line, b"hello\n");
///     assert_eq!(child.wait().await.unwrap().code(), Some(0));
///     assert_eq!(child.returncode(), Some(0));
/// })
/// .unwrap();
/// ```
pub fn create_subprocess_exec<I, S>(program: impl AsRef<OsStr>, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(program);
    command.args(args);
    command
}

/// Starts building `/bin/sh -c cmd`: asyncio's
/// `create_subprocess_shell(cmd)`. Quote what you interpolate into `cmd`.
///
/// ```
/// use std::process::Stdio;
///
/// ferrio::run(async {
///     let mut child = ferrio::process::create_subprocess_shell("echo out; echo err >&2")
///         .stdout(Stdio::piped())
///         .stderr(Stdio::piped())
///         .spawn()
///         .unwrap();
///     let output = child.communicate(None).await.unwrap();
///     assert_eq!((output.stdout.as_slice(), output.stderr.as_slice()), (&b"out\n"[..], &b"err\n"[..]));
///     assert!(output.status.success());
/// })
/// .unwrap();
/// ```
pub fn create_subprocess_shell(cmd: impl AsRef<OsStr>) -> Command {
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(cmd);
    command
}

/// A child process to start: std's `Command`, whose piped ends become
/// ferrio streams.
pub struct Command {
    inner: std::process::Command,
    limit: usize,
    force_sigchld: bool,
}

impl Command {
    /// `program`, found on `PATH` if it has no slash.
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            inner: std::process::Command::new(program),
            limit: DEFAULT_LIMIT,
            force_sigchld: false,
        }
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.inner.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.inner.args(args);
        self
    }

    /// Sets an environment variable of the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.inner.env(key, value);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.inner.env_remove(key);
        self
    }

    /// Starts the child with an empty environment.
    pub fn env_clear(&mut self) -> &mut Command {
        self.inner.env_clear();
        self
    }

    /// The child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.inner.current_dir(dir);
        self
    }

    /// The child's standard input (`Stdio::piped()` for
    /// [`Process::stdin`]).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.inner.stdin(cfg);
        self
    }

    /// The child's standard output (`Stdio::piped()` for
    /// [`Process::stdout`]).
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.inner.stdout(cfg);
        self
    }

    /// The child's standard error (`Stdio::piped()` for
    /// [`Process::stderr`]).
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.inner.stderr(cfg);
        self
    }

    /// The limit of the `StreamReader`s of the piped output (64 KiB by
    /// default), asyncio's `limit=`.
    pub fn limit(&mut self, limit: usize) -> &mut Command {
        self.limit = limit.max(1);
        self
    }

    /// Watches the child's exit through `SIGCHLD` even where pidfds work
    /// (to test the fallback).
    #[doc(hidden)]
    pub fn force_sigchld_watcher(&mut self) -> &mut Command {
        self.force_sigchld = true;
        self
    }

    /// Starts the child on the running loop.
    ///
    /// # Errors
    ///
    /// `NotFound` for a program that does not exist, the OS's otherwise,
    /// or no running loop.
    pub fn spawn(&mut self) -> io::Result<Process> {
        Process::spawn(&mut self.inner, self.limit, self.force_sigchld)
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
