//! Stopping a run: [`StopHandle`], and the Ctrl-C watcher that pulls it.
//!
//! A stopped run launches nothing new, gives the running requests
//! [`FetchConfig::grace`](super::FetchConfig::grace) to finish, then
//! cancels them; everything finished is written and summarised.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::error::CliError;

/// A switch that stops a [`fetch_all`](super::fetch_all) run. Cheap to
/// clone; clones share the switch.
#[derive(Clone, Default)]
pub struct StopHandle {
    inner: Rc<Inner>,
}

#[derive(Default)]
struct Inner {
    stopped: Cell<bool>,
    wakers: RefCell<Vec<Waker>>,
}

impl fmt::Debug for StopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StopHandle")
            .field("stopped", &self.is_stopped())
            .finish()
    }
}

impl StopHandle {
    /// A switch not yet pulled.
    pub fn new() -> StopHandle {
        StopHandle::default()
    }

    /// Pulls it: the run stops launching requests.
    pub fn stop(&self) {
        self.inner.stopped.set(true);
        for waker in self.inner.wakers.borrow_mut().drain(..) {
            waker.wake();
        }
    }

    /// Whether it was pulled.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.get()
    }

    /// Ready once pulled.
    pub(crate) fn poll_stopped(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_stopped() {
            return Poll::Ready(());
        }
        let mut wakers = self.inner.wakers.borrow_mut();
        if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
            wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Pulls `stop` at the first Ctrl-C (SIGINT) while the returned task runs;
/// a second Ctrl-C exits at once with code 130. Call on the loop, before
/// the run starts, so no SIGINT is missed.
///
/// # Errors
///
/// [`CliError::Runtime`] if SIGINT cannot be listened to.
pub fn watch_ctrl_c(stop: StopHandle) -> Result<ferrio::Task<()>, CliError> {
    let mut signals = ferrio::signal::ctrl_c()
        .map_err(|e| CliError::Runtime(format!("cannot listen for Ctrl-C: {e}")))?;
    Ok(ferrio::spawn(async move {
        if signals.recv().await.is_err() {
            return;
        }
        eprintln!(
            "ferrio: interrupted: finishing the requests in flight (Ctrl-C again to quit now)"
        );
        stop.stop();
        if signals.recv().await.is_ok() {
            eprintln!("ferrio: interrupted twice: quitting");
            std::process::exit(i32::from(crate::error::EXIT_INTERRUPTED));
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[ferrio::test]
    async fn a_stop_wakes_the_waiter() {
        let stop = StopHandle::new();
        let waiter = {
            let stop = stop.clone();
            ferrio::spawn(async move {
                std::future::poll_fn(|cx| stop.poll_stopped(cx)).await;
                ferrio::now()
            })
        };
        ferrio::sleep(std::time::Duration::from_secs(3))
            .await
            .unwrap();
        let at = ferrio::now();
        stop.stop();
        assert!(stop.is_stopped());
        assert_eq!(waiter.await.unwrap(), at);
    }
}
