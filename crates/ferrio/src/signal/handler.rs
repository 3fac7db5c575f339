//! asyncio's `loop.add_signal_handler` / `loop.remove_signal_handler`.

use std::cell::RefCell;
use std::rc::Rc;

use super::dispatch::LoopSignals;
use super::error::SignalError;

/// Calls `callback` on the running loop each time `sig` is received:
/// asyncio's `loop.add_signal_handler(sig, callback)`.
///
/// The callback runs as a loop callback (never inside the OS signal
/// handler), after the loop wakes through its self-pipe — also when the
/// loop was waiting in the OS poll. Signals that arrive together may be
/// coalesced into one call, as the OS does. A second handler for the same
/// signal replaces the first. Unlike asyncio, any thread's loop may handle
/// signals; each loop listening to a signal sees every occurrence.
///
/// # Errors
///
/// [`SignalError::Invalid`] for a number that is not a signal,
/// [`SignalError::Uncatchable`] for `SIGKILL`/`SIGSTOP`,
/// [`SignalError::Forbidden`] for `SIGSEGV`/`SIGILL`/`SIGFPE`,
/// [`SignalError::NoRunningLoop`] outside a loop.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use ferrio::signal::{self, SIGUSR2};
///
/// ferrio::run(async {
///     let hits = Rc::new(Cell::new(0));
///     let h = hits.clone();
///     signal::add_signal_handler(SIGUSR2, move || h.set(h.get() + 1)).unwrap();
///     let mut stream = signal::signal(SIGUSR2).unwrap();
///     signal::raise(SIGUSR2).unwrap();
///     stream.recv().await.unwrap();
///     assert_eq!(hits.get(), 1);
///     assert!(signal::remove_signal_handler(SIGUSR2).unwrap());
///     assert!(matches!(
///         signal::add_signal_handler(signal::SIGKILL, || {}),
///         Err(signal::SignalError::Uncatchable(_))
///     ));
/// })
/// .unwrap();
/// ```
pub fn add_signal_handler(sig: i32, callback: impl FnMut() + 'static) -> Result<(), SignalError> {
    let state = LoopSignals::current()?;
    let replaced = state
        .handlers
        .borrow_mut()
        .insert(sig, Rc::new(RefCell::new(Box::new(callback))));
    if replaced.is_none() {
        if let Err(e) = state.add_interest(sig) {
            state.handlers.borrow_mut().remove(&sig);
            return Err(e);
        }
    }
    Ok(())
}

/// Removes the handler of `sig`: asyncio's `loop.remove_signal_handler`.
/// Returns whether there was one. When nothing in the process listens to
/// `sig` any more, its default disposition is restored (`SIGINT` and
/// `SIGTERM` terminate again).
///
/// # Errors
///
/// [`SignalError::Invalid`], [`SignalError::Uncatchable`],
/// [`SignalError::Forbidden`] as for [`add_signal_handler`];
/// [`SignalError::NoRunningLoop`].
pub fn remove_signal_handler(sig: i32) -> Result<bool, SignalError> {
    super::registry::validate(sig)?;
    let state = LoopSignals::current()?;
    let removed = state.handlers.borrow_mut().remove(&sig);
    if removed.is_some() {
        state.remove_interest(sig);
    }
    Ok(removed.is_some())
}
