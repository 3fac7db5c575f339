//! Structured-concurrency workloads: the runtimes' own "run many, collect
//! all" tools, not a generic loop over join handles.
//!
//! - ferrio: `ferrio::combinators::gather` (spawns each future, one waker
//!   per child feeding a ready queue);
//! - tokio: a `JoinSet` (`spawn_local` each, then `join_all`);
//! - smol: no such tool; spawn each on the `LocalExecutor` and await the
//!   handles in order.
//!
//! `task_group` compares ferrio's `TaskGroup` with a tokio `JoinSet` that
//! aborts the rest on the first error; smol has no peer for it.

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

impl<const U: bool> GatherAll for Tokio<U> {
    async fn gather_all<F>(&self, futures: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let mut set = tokio::task::JoinSet::new();
        for future in futures {
            if U {
                set.spawn_local(tokio::task::unconstrained(future));
            } else {
                set.spawn_local(future);
            }
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

/// A runtime's structured-concurrency scope with TaskGroup semantics: every
/// child is waited for, and the first child to fail cancels the others.
/// smol has no such tool, so the `task_group` row has no smol value.
pub trait GroupAll: Rt {
    /// Runs `n` fallible children (child `i` returns `Ok(i)`) in one group
    /// and returns their outputs.
    fn group_all(&self, n: u64) -> impl Future<Output = Vec<u64>>;
}

impl GroupAll for Ferrio {
    async fn group_all(&self, n: u64) -> Vec<u64> {
        use ferrio::task_group::TaskGroup;
        let children = TaskGroup::run(|group| async move {
            let mut children = Vec::with_capacity(n as usize);
            for i in 0..n {
                let child = group
                    .spawn(async move { Ok::<u64, ferrio::Cancelled>(black_box(i)) })
                    .expect("ferrio: the group is open");
                children.push(child);
            }
            Ok::<_, ferrio::Cancelled>(children)
        })
        .await
        .expect("ferrio: the task group failed");
        let mut outputs = Vec::with_capacity(children.len());
        for child in children {
            outputs.push(child.await.expect("ferrio: a child failed"));
        }
        outputs
    }
}

/// tokio's task group is a `JoinSet` driven to the end, aborting the rest
/// on the first error, as `TaskGroup` cancels the siblings of a failed
/// child (the children here never fail, but the check is paid per child,
/// as ferrio's group pays it).
impl<const U: bool> GroupAll for Tokio<U> {
    async fn group_all(&self, n: u64) -> Vec<u64> {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..n {
            let child = async move { Ok::<u64, &'static str>(black_box(i)) };
            if U {
                set.spawn_local(tokio::task::unconstrained(child));
            } else {
                set.spawn_local(child);
            }
        }
        let mut outputs = Vec::with_capacity(n as usize);
        while let Some(joined) = set.join_next().await {
            match joined.expect("tokio: a child panicked") {
                Ok(v) => outputs.push(v),
                Err(e) => {
                    set.abort_all();
                    while set.join_next().await.is_some() {}
                    panic!("tokio: a child failed: {e}");
                }
            }
        }
        outputs
    }
}

/// A task group of `GATHER_TASKS` trivial children (tokio: a `JoinSet`
/// that aborts the rest on the first error); checks the sum of their
/// outputs.
pub fn task_group<R: GroupAll>(rt: &R) {
    let n = GATHER_TASKS;
    let sum: u64 = rt.block_on(async { rt.group_all(n).await.into_iter().sum() });
    assert_eq!(sum, n * (n - 1) / 2, "{}: task_group sum", R::NAME);
}
