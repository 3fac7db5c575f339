//! The process-wide side of signals: one registered handler per signal,
//! counters it bumps, and the self-pipes it writes to — one per event
//! loop that listens — so that each loop learns of every signal.
//!
//! The handler only bumps the signal's counter and writes a byte to each
//! active pipe. A loop drains its pipe and compares the counters with the
//! values it saw last: nothing is lost to coalescing, and a loop that
//! starts listening does not see earlier signals.
//!
//! Pipes are never closed: a pipe of a loop that stops listening goes back
//! to a pool, so the handler can never write to a descriptor that was
//! closed and reused.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::error::SignalError;
use super::os;

/// Signal numbers go up to this (exclusive).
pub(crate) const NSIG: usize = 65;

/// How many loops may listen to signals at once.
const SLOTS: usize = 64;

static COUNTS: [AtomicU64; NSIG] = [const { AtomicU64::new(0) }; NSIG];
static PIPES: [OnceLock<(UnixStream, UnixStream)>; SLOTS] = [const { OnceLock::new() }; SLOTS];
static ACTIVE: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
static CREATED: AtomicUsize = AtomicUsize::new(0);
static FREE: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// The Runner's SIGINT rule: once armed, a second SIGINT ends the process
/// at once (exit code 130), even if the loop is stuck.
pub(super) static SIGINT_EXIT_ON_SECOND: AtomicBool = AtomicBool::new(false);
pub(super) static SIGINT_HITS: AtomicU32 = AtomicU32::new(0);

struct Interest {
    users: usize,
    installed: Option<os::Installed>,
    /// Our handler is in place (not replaced by `SIG_DFL`).
    active: bool,
}

static INTEREST: Mutex<Vec<Interest>> = Mutex::new(Vec::new());

/// The handler, for every registered signal. Async-signal-safe: atomics
/// and write(2) only.
fn on_signal(sig: i32) {
    let Some(count) = usize::try_from(sig).ok().and_then(|s| COUNTS.get(s)) else {
        return;
    };
    count.fetch_add(1, Ordering::SeqCst);
    if sig == libc::SIGINT && SIGINT_EXIT_ON_SECOND.load(Ordering::SeqCst) {
        let hits = SIGINT_HITS.fetch_add(1, Ordering::SeqCst) + 1;
        if hits >= 2 {
            os::exit_now(130);
        }
    }
    for (active, pipe) in ACTIVE.iter().zip(PIPES.iter()) {
        if active.load(Ordering::Acquire) {
            if let Some((_, write)) = pipe.get() {
                // Full pipe: the loop has a wake-up pending already.
                let _ = (&*write).write(&[sig as u8]);
            }
        }
    }
}

/// Checks that `sig` can be handled.
pub(crate) fn validate(sig: i32) -> Result<usize, SignalError> {
    let index = usize::try_from(sig)
        .ok()
        .filter(|&s| (1..NSIG).contains(&s))
        .ok_or(SignalError::Invalid(sig))?;
    if sig == libc::SIGKILL || sig == libc::SIGSTOP {
        return Err(SignalError::Uncatchable(sig));
    }
    if signal_hook_registry::FORBIDDEN.contains(&sig) {
        return Err(SignalError::Forbidden(sig));
    }
    Ok(index)
}

/// The number of times `sig` was received since the process started.
pub(super) fn count(sig: usize) -> u64 {
    COUNTS[sig].load(Ordering::SeqCst)
}

/// One more listener of `sig` in the process: installs the handler if
/// needed.
pub(super) fn add_interest(sig: i32) -> Result<(), SignalError> {
    let index = validate(sig)?;
    let mut all = INTEREST.lock().unwrap_or_else(|e| e.into_inner());
    while all.len() < NSIG {
        all.push(Interest {
            users: 0,
            installed: None,
            active: false,
        });
    }
    let entry = &mut all[index];
    if !entry.active {
        match &entry.installed {
            None => entry.installed = Some(os::install(sig, on_signal).map_err(SignalError::Os)?),
            Some(installed) => os::reinstall(sig, installed).map_err(SignalError::Os)?,
        }
        entry.active = true;
    }
    entry.users += 1;
    Ok(())
}

/// One listener of `sig` fewer; the last one restores the default
/// disposition.
pub(super) fn remove_interest(sig: i32) {
    let Ok(index) = validate(sig) else { return };
    let mut all = INTEREST.lock().unwrap_or_else(|e| e.into_inner());
    let Some(entry) = all.get_mut(index) else {
        return;
    };
    entry.users = entry.users.saturating_sub(1);
    if entry.users == 0 && entry.active && os::set_default(sig).is_ok() {
        entry.active = false;
    }
}

/// Whether anything in the process listens to `sig` through ferrio.
pub(super) fn has_interest(sig: i32) -> bool {
    let Ok(index) = validate(sig) else {
        return false;
    };
    INTEREST
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(index)
        .is_some_and(|e| e.users > 0)
}

/// A self-pipe for one loop.
pub(super) fn acquire_pipe() -> io::Result<usize> {
    let reused = FREE.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let slot = match reused {
        Some(slot) => slot,
        None => {
            let slot = CREATED.fetch_add(1, Ordering::SeqCst);
            if slot >= SLOTS {
                CREATED.fetch_sub(1, Ordering::SeqCst);
                return Err(io::Error::other(format!(
                    "more than {SLOTS} event loops listen to signals at once"
                )));
            }
            let (read, write) = UnixStream::pair()?;
            read.set_nonblocking(true)?;
            write.set_nonblocking(true)?;
            if PIPES[slot].set((read, write)).is_err() {
                unreachable!("a new slot's pipe is set once");
            }
            slot
        }
    };
    drain(slot);
    ACTIVE[slot].store(true, Ordering::Release);
    Ok(slot)
}

/// Gives a loop's pipe back to the pool.
pub(super) fn release_pipe(slot: usize) {
    ACTIVE[slot].store(false, Ordering::Release);
    drain(slot);
    FREE.lock().unwrap_or_else(|e| e.into_inner()).push(slot);
}

/// The read end of a slot's pipe.
pub(super) fn pipe_reader(slot: usize) -> &'static UnixStream {
    &PIPES[slot].get().expect("an acquired slot has its pipe").0
}

/// Empties a slot's pipe.
pub(super) fn drain(slot: usize) {
    if let Some((read, _)) = PIPES[slot].get() {
        let mut buf = [0u8; 256];
        while matches!((&*read).read(&mut buf), Ok(n) if n > 0) {}
    }
}
