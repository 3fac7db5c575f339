//! What an `accept` error means for the loop that got it.
//!
//! Every accept loop meets the same errors and must tell them apart: the
//! connection that died in the backlog (accept the next one), the process
//! out of file descriptors (wait, then accept again — the listener is
//! fine), the accepting task's own cancellation (stop), and the listener
//! itself failing (stop). `stream::start_server` uses this; so can a
//! hyper server on a [`TcpListener`](super::TcpListener).

use std::io;

use rustix::io::Errno;

/// What an error from `accept` means for the accept loop.
///
/// ```
/// use ferrio::net::{accept_error_kind, AcceptErrorKind};
///
/// let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
/// assert_eq!(accept_error_kind(&reset), AcceptErrorKind::Connection);
/// let emfile = std::io::Error::from_raw_os_error(24); // EMFILE
/// assert_eq!(accept_error_kind(&emfile), AcceptErrorKind::OutOfResources);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AcceptErrorKind {
    /// The accepting task is being cancelled: stop, and return the
    /// cancellation (see [`into_cancelled`](super::into_cancelled)).
    Cancelled,
    /// Only the connection being accepted failed (reset or aborted in the
    /// backlog, refused by a firewall hook, a protocol error): accept the
    /// next one at once.
    Connection,
    /// The process or the system ran out of file descriptors, buffers or
    /// memory: the listener is fine; wait a moment (connections closing
    /// free descriptors), then accept again.
    OutOfResources,
    /// The listener itself failed: stop accepting.
    Fatal,
}

/// Classifies an error returned by `accept` (see [`AcceptErrorKind`]).
pub fn accept_error_kind(e: &io::Error) -> AcceptErrorKind {
    if super::is_cancelled(e) {
        return AcceptErrorKind::Cancelled;
    }
    let code = e.raw_os_error();
    let is = |errnos: &[Errno]| code.is_some_and(|c| errnos.iter().any(|n| n.raw_os_error() == c));
    if is(&[Errno::MFILE, Errno::NFILE, Errno::NOBUFS, Errno::NOMEM]) {
        return AcceptErrorKind::OutOfResources;
    }
    let one_connection = matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::PermissionDenied
    ) || is(&[Errno::PROTO]);
    if one_connection {
        AcceptErrorKind::Connection
    } else {
        AcceptErrorKind::Fatal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_errno_family_has_its_meaning() {
        let os = |errno: Errno| io::Error::from_raw_os_error(errno.raw_os_error());
        for errno in [Errno::MFILE, Errno::NFILE, Errno::NOBUFS, Errno::NOMEM] {
            assert_eq!(
                accept_error_kind(&os(errno)),
                AcceptErrorKind::OutOfResources
            );
        }
        for errno in [
            Errno::CONNABORTED,
            Errno::CONNRESET,
            Errno::INTR,
            Errno::PERM,
            Errno::PROTO,
        ] {
            assert_eq!(
                accept_error_kind(&os(errno)),
                AcceptErrorKind::Connection,
                "{errno:?}"
            );
        }
        for errno in [Errno::BADF, Errno::INVAL, Errno::NOTSOCK] {
            assert_eq!(
                accept_error_kind(&os(errno)),
                AcceptErrorKind::Fatal,
                "{errno:?}"
            );
        }
        let cancelled = crate::net::io::cancelled_error(crate::task::Cancelled::untracked(None));
        assert_eq!(accept_error_kind(&cancelled), AcceptErrorKind::Cancelled);
    }
}
