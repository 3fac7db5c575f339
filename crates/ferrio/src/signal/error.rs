//! [`SignalError`].

use std::fmt;
use std::io;

/// Why a signal could not be handled: asyncio's `ValueError` /
/// `RuntimeError` from `add_signal_handler`.
#[derive(Debug)]
#[non_exhaustive]
pub enum SignalError {
    /// Not a signal number (1 to 64).
    Invalid(i32),
    /// `SIGKILL` and `SIGSTOP` cannot be caught.
    Uncatchable(i32),
    /// `SIGILL`, `SIGFPE` and `SIGSEGV` are left to the default handler:
    /// after them the program's state cannot be trusted.
    Forbidden(i32),
    /// No event loop runs on this thread.
    NoRunningLoop,
    /// The OS refused (a failed `sigaction`, no descriptor for the pipe).
    Os(io::Error),
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignalError::Invalid(sig) => write!(f, "sig {sig} out of range(1, 65)"),
            SignalError::Uncatchable(sig) => write!(f, "sig {sig} cannot be caught"),
            SignalError::Forbidden(sig) => write!(
                f,
                "sig {sig} is a fault signal; it is left to the default handler"
            ),
            SignalError::NoRunningLoop => f.write_str(
                "no event loop is running on this thread; handle signals inside ferrio::run",
            ),
            SignalError::Os(e) => write!(f, "cannot handle the signal: {e}"),
        }
    }
}

impl std::error::Error for SignalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SignalError::Os(e) => Some(e),
            _ => None,
        }
    }
}
