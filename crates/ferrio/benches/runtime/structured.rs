//! Structured-concurrency workloads: the runtimes' own "run many, collect
//! all" tools, not a generic loop over join handles.
//!
//! - ferrio: `ferrio::combinators::gather` (spawns each future, one waker
//!   per child feeding a ready queue);
//! - tokio: a `JoinSet` (`spawn_local` each, then `join_all`);
//! - smol: no such tool; spawn each on the `LocalExecutor` and await the
//!   handles in order.

use std::future::Future;
use std::hint::black_box;

use crate::runtimes::{Ferrio, Rt, Smol, Tokio};

pub const GATHER_TASKS: u64 = 100_000;

/// A runtime's way to run many futures as tasks and collect every output.
pub trait GatherAll: Rt {
    /// Spawns every future and waits for all of their outputs (in any
    /// order: tokio's `join_all` gives completion order).
    fn gather_all<F>(
        &self,
        futures: impl Iterator<Item = F>,
    ) -> impl Future<Output = Vec<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static;
}

impl GatherAll for Ferrio {
    async fn gather_all<F>(&self, futures: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        ferrio::combinators::gather(futures)
            .await
            .expect("ferrio: a gathered task failed")
    }
}

impl GatherAll for Tokio {
    async fn gather_all<F>(&self, futures: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let mut set = tokio::task::JoinSet::new();
        for future in futures {
            set.spawn_local(future);
        }
        set.join_all().await
    }
}

impl GatherAll for Smol {
    async fn gather_all<F>(&self, futures: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let handles: Vec<_> = futures.map(|f| self.spawn(f)).collect();
        let mut outputs = Vec::with_capacity(handles.len());
        for handle in handles {
            outputs.push(handle.await);
        }
        outputs
    }
}

/// Gathers `GATHER_TASKS` trivial tasks (each returns its index) and checks
/// the sum of their outputs.
pub fn gather<R: GatherAll>(rt: &R) {
    let n = GATHER_TASKS;
    let sum: u64 = rt.block_on(async {
        rt.gather_all((0..n).map(|i| async move { black_box(i) }))
            .await
            .into_iter()
            .sum()
    });
    assert_eq!(sum, n * (n - 1) / 2, "{}: gather sum", R::NAME);
}
