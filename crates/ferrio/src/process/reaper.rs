//! Reaping children whose [`Process`](super::Process) was dropped before
//! they exited: a small task of the loop waits for the exit; if the loop
//! goes away first, a thread does the blocking `waitpid`. No zombie is
//! left behind either way.

use std::process::Child;

use super::watch::ExitWatch;

/// Collects `child`'s exit status whenever it comes.
pub(super) fn reap(child: Child, watch: ExitWatch) {
    let guard = Reaped(Some(child));
    let spawned = crate::task::Builder::new()
        .name(format!("ferrio.process.reap {}", guard.pid()))
        .spawn(async move {
            let mut guard = guard;
            let mut watch = watch;
            if let Some(child) = guard.0.as_mut() {
                if watch.wait(child).await.is_ok() {
                    guard.0 = None;
                }
            }
        });
    if let Ok(task) = spawned {
        task.detach();
    }
    // A failed spawn drops the guard, whose drop reaps on a thread.
}

/// Reaps the child on a thread unless it was reaped already.
struct Reaped(Option<Child>);

impl Reaped {
    fn pid(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            let _ = std::thread::Builder::new()
                .name("ferrio-reaper".into())
                .spawn(move || {
                    let _ = child.wait();
                });
        }
    }
}
