//! The three runtimes behind one small trait, so that every workload is
//! written once and monomorphised for each of them.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::handoff::{Receiver, Sender};

/// What a workload needs from a runtime. One value is one fresh runtime
/// instance; [`Rt::block_on`] drives a future to completion on it.
pub trait Rt {
    /// Name in the table and in `FERRIO_BENCH_CHILD`.
    const NAME: &'static str;

    /// A fresh runtime.
    fn new() -> Self;

    /// Runs `future` to completion on this runtime (as its main future).
    fn block_on<F: Future>(&self, future: F) -> F::Output;

    /// Spawns `future` as a task; the returned handle yields its output.
    /// Called from inside [`Rt::block_on`].
    fn spawn<F>(&self, future: F) -> impl Future<Output = F::Output> + Unpin + 'static
    where
        F: Future + 'static,
        F::Output: 'static;

    /// Spawns `future` as a task and forgets its handle (the task keeps
    /// running).
    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + 'static;

    /// Lets the other ready tasks run.
    fn yield_now() -> impl Future<Output = ()>;

    /// Waits `duration` on the runtime's timer.
    fn sleep(duration: Duration) -> impl Future<Output = ()>;

    /// The runtime's own bounded-1 channel: ferrio's `Queue::new(1)`, tokio's
    /// `mpsc::channel(1)`, smol's `async_channel::bounded(1)`.
    fn native_channel<T: 'static>() -> (impl Sender<T>, impl Receiver<T>);
}

/// Unwraps the `Result` of a join handle (ferrio's `Task`, tokio's
/// `JoinHandle`), so that all handles yield the bare output.
pub struct Joined<H>(H);

impl<H, T, E> Future for Joined<H>
where
    H: Future<Output = Result<T, E>> + Unpin,
    E: Debug,
{
    type Output = T;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match Pin::new(&mut self.0).poll(cx) {
            Poll::Ready(Ok(v)) => Poll::Ready(v),
            Poll::Ready(Err(e)) => panic!("task failed: {e:?}"),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// ferrio's `EventLoop` on the real clock.
pub struct Ferrio {
    event_loop: ferrio::EventLoop,
}

impl Rt for Ferrio {
    const NAME: &'static str = "ferrio";

    fn new() -> Self {
        Ferrio {
            event_loop: ferrio::EventLoop::new().expect("ferrio: cannot create the event loop"),
        }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.event_loop
            .run_until_complete(future)
            .expect("ferrio: run_until_complete failed")
    }

    fn spawn<F>(&self, future: F) -> impl Future<Output = F::Output> + Unpin + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        Joined(ferrio::spawn(future))
    }

    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + 'static,
    {
        ferrio::spawn(future).detach();
    }

    async fn yield_now() {
        ferrio::yield_now()
            .await
            .expect("ferrio: yield_now cancelled");
    }

    async fn sleep(duration: Duration) {
        ferrio::sleep(duration)
            .await
            .expect("ferrio: sleep cancelled");
    }

    fn native_channel<T: 'static>() -> (impl Sender<T>, impl Receiver<T>) {
        let queue = ferrio::queue::Queue::new(1);
        (queue.clone(), queue)
    }
}

/// tokio's current-thread `LocalRuntime` (so spawned futures need not be
/// `Send`), with its I/O and time drivers enabled like ferrio's loop (the
/// dev-dependency enables tokio's `net` feature so that `enable_all` really
/// builds an epoll driver, as ferrio always has one).
///
/// `Tokio<true>` ("tokio-u") runs the main future and every spawned task
/// under `tokio::task::unconstrained`: no cooperative budget, so none of
/// the forced yields tokio's own primitives make after 128 operations. It
/// shows what that budget costs instead of counting it silently against
/// tokio; the best peer is the faster of the two.
pub struct Tokio<const UNCONSTRAINED: bool = false> {
    runtime: tokio::runtime::LocalRuntime,
}

/// tokio without its cooperative budget (see [`Tokio`]).
pub type TokioUnconstrained = Tokio<true>;

impl<const U: bool> Rt for Tokio<U> {
    const NAME: &'static str = if U { "tokio-u" } else { "tokio" };

    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build_local(Default::default())
            .expect("tokio: cannot build the LocalRuntime");
        Tokio { runtime }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        if U {
            self.runtime.block_on(tokio::task::unconstrained(future))
        } else {
            self.runtime.block_on(future)
        }
    }

    fn spawn<F>(&self, future: F) -> impl Future<Output = F::Output> + Unpin + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        Joined(spawn_local::<U, F>(future))
    }

    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + 'static,
    {
        drop(spawn_local::<U, F>(future));
    }

    fn yield_now() -> impl Future<Output = ()> {
        tokio::task::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        tokio::time::sleep(duration)
    }

    fn native_channel<T: 'static>() -> (impl Sender<T>, impl Receiver<T>) {
        tokio::sync::mpsc::channel(1)
    }
}

/// `tokio::task::spawn_local`, under `unconstrained` if `U`.
pub fn spawn_local<const U: bool, F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    if U {
        tokio::task::spawn_local(tokio::task::unconstrained(future))
    } else {
        tokio::task::spawn_local(future)
    }
}

/// smol: an `async_executor::LocalExecutor` driven by `smol::block_on`
/// (async-io's, which also drives the reactor and timers on this thread).
pub struct Smol {
    executor: async_executor::LocalExecutor<'static>,
}

impl Rt for Smol {
    const NAME: &'static str = "smol";

    fn new() -> Self {
        Smol {
            executor: async_executor::LocalExecutor::new(),
        }
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        smol::block_on(self.executor.run(future))
    }

    fn spawn<F>(&self, future: F) -> impl Future<Output = F::Output> + Unpin + 'static
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.executor.spawn(future)
    }

    fn spawn_detached<F>(&self, future: F)
    where
        F: Future<Output = ()> + 'static,
    {
        self.executor.spawn(future).detach();
    }

    fn yield_now() -> impl Future<Output = ()> {
        smol::future::yield_now()
    }

    async fn sleep(duration: Duration) {
        smol::Timer::after(duration).await;
    }

    fn native_channel<T: 'static>() -> (impl Sender<T>, impl Receiver<T>) {
        smol::channel::bounded(1)
    }
}
