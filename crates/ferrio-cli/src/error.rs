//! The command's errors and exit codes.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code: everything succeeded.
pub const EXIT_OK: u8 = 0;
/// Exit code: the run finished but some requests failed (or were skipped).
pub const EXIT_SOME_FAILED: u8 = 1;
/// Exit code: an error stopped the command — bad usage, unreadable input,
/// an output that cannot be written, a port that cannot be bound.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: interrupted by Ctrl-C (SIGINT), after writing what finished.
pub const EXIT_INTERRUPTED: u8 = 130;

/// An error that ends the command before or outside its normal report.
///
/// Each message says what went wrong and what to do; none is a panic.
#[derive(Debug)]
pub enum CliError {
    /// The arguments do not make sense together (exit code 2).
    Usage(String),
    /// An input file could not be read (exit code 2).
    Input {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// An output could not be written, or a socket could not be opened
    /// (exit code 2; reported with what it concerns).
    Io {
        /// What was being done, e.g. "writing results.jsonl".
        what: String,
        /// Why.
        source: io::Error,
    },
    /// The runtime itself failed (exit code 2).
    Runtime(String),
}

impl CliError {
    /// The process exit code for this error: always [`EXIT_USAGE`] (2), so
    /// that 1 keeps its one meaning, "the run finished and some requests
    /// failed", as with ripgrep and grep.
    pub fn exit_code(&self) -> u8 {
        EXIT_USAGE
    }

    /// An [`CliError::Io`] for `what`.
    pub fn io(what: impl Into<String>, source: io::Error) -> CliError {
        CliError::Io {
            what: what.into(),
            source,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(message) => write!(f, "{message}"),
            CliError::Input { path, source } => write!(
                f,
                "cannot read {}: {source} (check the path, or pass - to read URLs from stdin)",
                path.display()
            ),
            CliError::Io { what, source } => write!(f, "{what}: {source}"),
            CliError::Runtime(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CliError::Input { source, .. } | CliError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<ferrio::event_loop::RunError> for CliError {
    fn from(e: ferrio::event_loop::RunError) -> CliError {
        CliError::Runtime(format!("the event loop failed: {e}"))
    }
}

/// Turns a run's result into the process exit code, printing the error.
pub fn finish(result: Result<u8, CliError>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("ferrio: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
