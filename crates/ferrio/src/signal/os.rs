//! The signal system calls: registering the process-wide handler through
//! signal-hook-registry, and reading or setting a signal's disposition
//! with `sigaction(2)` (to restore the default when the last handler
//! goes, as asyncio does).

#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;

/// Our handler's `sigaction`, saved right after registration so that it
/// can be put back after [`set_default`].
pub(super) struct Installed {
    saved: libc::sigaction,
    _id: signal_hook_registry::SigId,
}

// SAFETY: `libc::sigaction` is plain data (a handler address, a mask and
// flags); it is only handed back to sigaction(2).
unsafe impl Send for Installed {}

/// Registers `action` for `sig` (once per signal for the process).
pub(super) fn install(sig: i32, action: fn(i32)) -> io::Result<Installed> {
    // SAFETY: `action` (`registry::on_signal`) is async-signal-safe: it
    // only does atomic operations on statics, reads `OnceLock`s that were
    // set before their slot was marked active, and calls write(2) on
    // non-blocking sockets that are never closed; it never allocates,
    // locks or panics.
    let id = unsafe { signal_hook_registry::register(sig, move || action(sig)) }?;
    Ok(Installed {
        saved: current(sig)?,
        _id: id,
    })
}

fn current(sig: i32) -> io::Result<libc::sigaction> {
    let mut old = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null new action only queries; `old` is valid for writes.
    let r = unsafe { libc::sigaction(sig, std::ptr::null(), old.as_mut_ptr()) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: sigaction(2) succeeded and filled `old`.
    Ok(unsafe { old.assume_init() })
}

/// Whether `sig`'s disposition is the default one (no handler installed
/// by anyone).
pub(super) fn is_default(sig: i32) -> bool {
    current(sig).is_ok_and(|a| a.sa_sigaction == libc::SIG_DFL)
}

/// Puts back our handler after [`set_default`].
pub(super) fn reinstall(sig: i32, installed: &Installed) -> io::Result<()> {
    // SAFETY: `saved` is the action sigaction(2) returned for our own
    // registered handler, which stays valid for the life of the process.
    let r = unsafe { libc::sigaction(sig, &installed.saved, std::ptr::null_mut()) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Restores `sig`'s default disposition (`SIG_DFL`).
pub(super) fn set_default(sig: i32) -> io::Result<()> {
    let mut action = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a zeroed sigaction is valid plain data; we then set the
    // handler to SIG_DFL and empty the mask through the pointer.
    let r = unsafe {
        let a = action.as_mut_ptr();
        (*a).sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut (*a).sa_mask);
        libc::sigaction(sig, a, std::ptr::null_mut())
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Ends the process at once with `code`, from inside a signal handler.
pub(super) fn exit_now(code: i32) -> ! {
    // SAFETY: _exit(2) is async-signal-safe and never returns.
    unsafe { libc::_exit(code) }
}

/// Sends `sig` to this process.
pub(super) fn raise(sig: i32) -> io::Result<()> {
    // SAFETY: kill(2) with our own pid has no memory effects.
    let r = unsafe { libc::kill(libc::getpid(), sig) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
