//! The Runner's Ctrl-C: the first `SIGINT` cancels the main task (its
//! cleanup runs, and the run returns `RunError::Interrupted`), a second one
//! ends the process at once with exit code 130 — asyncio's `Runner`.
//!
//! Armed only on the main thread, and only while nobody else handles
//! `SIGINT` (no ferrio listener, and the OS disposition is the default).

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::Ordering;

use super::registry;
use super::stream::{listen, Signals};
use crate::reactor::sys;
use crate::task::TaskRef;

/// Whether the first `SIGINT` came.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interrupted(Rc<Cell<bool>>);

impl Interrupted {
    pub(crate) fn get(&self) -> bool {
        self.0.get()
    }
}

/// Keeps the hook armed; disarms on drop.
pub(crate) struct SigintGuard {
    _listener: Signals,
}

impl Drop for SigintGuard {
    fn drop(&mut self) {
        registry::SIGINT_EXIT_ON_SECOND.store(false, Ordering::SeqCst);
    }
}

/// Arms the hook for `main` (the running main task), if this thread may.
pub(crate) fn arm(main: TaskRef, flag: &Interrupted) -> Option<SigintGuard> {
    if !sys::is_main_thread()
        || registry::has_interest(libc::SIGINT)
        || !super::os::is_default(libc::SIGINT)
    {
        return None;
    }
    let flag = flag.clone();
    let on_sigint: Rc<dyn Fn()> = Rc::new(move || {
        if !flag.0.replace(true) {
            main.cancel_with("interrupted by SIGINT (Ctrl-C)");
        }
    });
    let listener = listen(libc::SIGINT, Some(on_sigint)).ok()?;
    registry::SIGINT_HITS.store(0, Ordering::SeqCst);
    registry::SIGINT_EXIT_ON_SECOND.store(true, Ordering::SeqCst);
    Some(SigintGuard {
        _listener: listener,
    })
}

/// The Runner's main future, with Ctrl-C handling (if `sigint`) and a
/// `SIGUSR1` handler calling `dump` (if given) while it runs.
pub(crate) async fn guard_main<F: Future>(
    future: F,
    sigint: bool,
    dump: Option<fn()>,
    interrupted: &Interrupted,
) -> F::Output {
    let main = crate::task::current().filter(|_| sigint);
    let _sigint = main.and_then(|main| arm(main, interrupted));
    let dumping = dump.is_some_and(|f| super::add_signal_handler(super::SIGUSR1, f).is_ok());
    let output = future.await;
    if dumping {
        let _ = super::remove_signal_handler(super::SIGUSR1);
    }
    output
}
