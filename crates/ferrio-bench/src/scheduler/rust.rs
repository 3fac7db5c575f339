//! The scheduler workloads on the Rust runtimes. They are written once, in
//! `workloads!`, and expanded in one module per runtime; each module
//! brings the runtime's own `spawn`, `sleep`, `yield_now`, gather, task
//! group, semaphore and queue, and a `Shared` pointer (`Rc` where tasks
//! stay on one thread, `Arc` for tokio, whose spawn needs `Send`). Shared
//! counters are atomics for all, so the workload code is identical.

/// Expands the workloads over the enclosing module's runtime functions.
macro_rules! workloads {
    () => {
        use std::hint::black_box;
        use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
        use std::time::{Duration, Instant};

        use crate::scheduler::{Params, Workload};

        /// Runs `workload` on `rt` and returns the value to report.
        fn run_on(rt: &Rt, workload: Workload, p: Params) -> f64 {
            let timed = |f: &dyn Fn()| {
                let start = Instant::now();
                f();
                start.elapsed().as_secs_f64() * 1e3
            };
            match workload {
                Workload::SpawnJoin => timed(&|| rt.block_on(spawn_join(p.n))),
                Workload::Pingpong => timed(&|| rt.block_on(pingpong(p.n))),
                Workload::Yield => timed(&|| rt.block_on(yield_many(p.n, p.m))),
                Workload::Timers => rt.block_on(timers(p.n, p.m)),
                Workload::Gather => timed(&|| rt.block_on(gather(p.n))),
                Workload::TaskGroup => timed(&|| rt.block_on(task_group(p.n))),
                Workload::Semaphore => timed(&|| rt.block_on(semaphore(p.n, p.m))),
                Workload::Queue => timed(&|| rt.block_on(queue_throughput(p.n, p.m))),
                Workload::IdleMemory => rt.block_on(idle_memory(p.n)),
            }
        }

        async fn spawn_join(n: u64) {
            let mut handles = Vec::with_capacity(n as usize);
            for i in 0..n {
                handles.push(spawn(async move { black_box(i) }));
            }
            let mut sum = 0u64;
            for h in handles {
                sum += h.await;
            }
            assert_eq!(sum, n * (n - 1) / 2, "spawn_join sum");
        }

        async fn pingpong(n: u64) {
            let (ping_tx, ping_rx) = async_channel::bounded::<u64>(1);
            let (pong_tx, pong_rx) = async_channel::bounded::<u64>(1);
            let ponger = spawn(async move {
                for _ in 0..n {
                    let v = ping_rx.recv().await.expect("ping closed");
                    pong_tx.send(v + 1).await.expect("pong closed");
                }
            });
            let pinger = spawn(async move {
                let mut sum = 0u64;
                for i in 0..n {
                    ping_tx.send(i).await.expect("ping closed");
                    let v = pong_rx.recv().await.expect("pong closed");
                    assert_eq!(v, i + 1);
                    sum += v;
                }
                sum
            });
            let sum = pinger.await;
            ponger.await;
            assert_eq!(sum, n * (n + 1) / 2, "pingpong sum");
        }

        async fn yield_many(n: u64, m: u64) {
            let count = Shared::new(AtomicU64::new(0));
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let count = count.clone();
                    spawn(async move {
                        for _ in 0..m {
                            yield_now().await;
                            count.fetch_add(1, Relaxed);
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await;
            }
            assert_eq!(count.load(Relaxed), n * m, "yield count");
        }

        async fn timers(n: u64, m: u64) -> f64 {
            let start = Instant::now();
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    spawn(async move {
                        let ms = 1 + i % m;
                        sleep(Duration::from_millis(ms)).await;
                        ms
                    })
                })
                .collect();
            let mut sum = 0u64;
            for h in handles {
                sum += h.await;
            }
            let elapsed = start.elapsed();
            let expected: u64 = (0..n).map(|i| 1 + i % m).sum();
            assert_eq!(sum, expected, "timers sum");
            assert!(elapsed >= Duration::from_millis(m), "timers fired early");
            (elapsed.as_secs_f64() * 1e3 - m as f64).max(0.0)
        }

        async fn gather(n: u64) {
            let outputs = gather_all((0..n).map(|i| async move { black_box(i) })).await;
            assert_eq!(outputs.len() as u64, n, "gather count");
            let sum: u64 = outputs.into_iter().sum();
            assert_eq!(sum, n * (n - 1) / 2, "gather sum");
        }

        async fn task_group(n: u64) {
            let sum = group_sum(n).await;
            assert_eq!(sum, n * (n - 1) / 2, "task_group sum");
        }

        async fn semaphore(n: u64, m: u64) {
            let sem = Shared::new(new_semaphore(m as usize));
            let holding = Shared::new(AtomicU64::new(0));
            let done = Shared::new(AtomicU64::new(0));
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let (sem, holding, done) = (sem.clone(), holding.clone(), done.clone());
                    spawn(async move {
                        let _permit = acquire(&sem).await;
                        let now = holding.fetch_add(1, Relaxed) + 1;
                        assert!(now <= m, "semaphore bound broken");
                        yield_now().await;
                        holding.fetch_sub(1, Relaxed);
                        done.fetch_add(1, Relaxed);
                    })
                })
                .collect();
            for h in handles {
                h.await;
            }
            assert_eq!(done.load(Relaxed), n, "semaphore count");
        }

        async fn queue_throughput(n: u64, m: u64) {
            let (tx, mut rx) = new_queue(m as usize);
            let producer = spawn(async move {
                for i in 0..n {
                    put(&tx, i).await;
                }
            });
            let mut sum = 0u64;
            for _ in 0..n {
                sum += get(&mut rx).await;
            }
            producer.await;
            assert_eq!(sum, n * (n - 1) / 2, "queue sum");
        }

        async fn idle_memory(n: u64) -> f64 {
            let started = Shared::new(AtomicU64::new(0));
            yield_now().await;
            let before = crate::sys::rss_bytes();
            let mut handles = Vec::with_capacity(n as usize);
            let mut spawned = 0u64;
            while spawned < n {
                let batch = (n - spawned).min(1_000);
                for _ in 0..batch {
                    let started = started.clone();
                    handles.push(spawn(async move {
                        started.fetch_add(1, Relaxed);
                        sleep(Duration::from_secs(3600)).await;
                    }));
                }
                spawned += batch;
                while started.load(Relaxed) < spawned {
                    yield_now().await;
                }
            }
            assert_eq!(started.load(Relaxed), n, "idle tasks started");
            let after = crate::sys::rss_bytes();
            let per_task = after.saturating_sub(before) as f64 / n as f64;
            // The handles are part of the cost (asyncio must keep them too).
            drop(black_box(handles));
            per_task
        }
    };
}

/// ferrio: a fresh `EventLoop` per run.
pub mod ferrio_rt {
    use std::future::Future;
    use std::rc::Rc as Shared;

    struct Rt(ferrio::EventLoop);

    impl Rt {
        fn block_on<F: Future>(&self, f: F) -> F::Output {
            self.0
                .run_until_complete(f)
                .expect("ferrio: run_until_complete failed")
        }
    }

    /// Runs `workload` on a fresh ferrio event loop.
    pub fn run(workload: Workload, p: Params) -> f64 {
        let rt = Rt(ferrio::EventLoop::new().expect("ferrio: cannot create the loop"));
        run_on(&rt, workload, p)
    }

    fn spawn<F>(f: F) -> impl Future<Output = F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let task = ferrio::spawn(f);
        async move { task.await.expect("ferrio: task failed") }
    }

    async fn yield_now() {
        ferrio::yield_now().await.expect("ferrio: cancelled");
    }

    async fn sleep(d: Duration) {
        ferrio::sleep(d).await.expect("ferrio: cancelled");
    }

    async fn gather_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        ferrio::gather(futures)
            .await
            .expect("ferrio: gather failed")
    }

    async fn group_sum(n: u64) -> u64 {
        let children = ferrio::TaskGroup::run(|group| async move {
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
        let mut sum = 0;
        for child in children {
            sum += child.await.expect("ferrio: a child failed");
        }
        sum
    }

    fn new_semaphore(permits: usize) -> ferrio::sync::Semaphore {
        ferrio::sync::Semaphore::new(permits)
    }

    async fn acquire(s: &ferrio::sync::Semaphore) -> impl Sized + '_ {
        s.acquire().await.expect("ferrio: acquire cancelled")
    }

    type Queue = ferrio::queue::Queue<u64>;

    fn new_queue(capacity: usize) -> (Queue, Queue) {
        let q = Queue::new(capacity);
        (q.clone(), q)
    }

    async fn put(q: &Queue, v: u64) {
        if q.put(v).await.is_err() {
            panic!("ferrio: put failed");
        }
    }

    async fn get(q: &mut Queue) -> u64 {
        q.get().await.expect("ferrio: get failed")
    }

    workloads!();
}

/// tokio: a fresh `current_thread` runtime, or a `multi_thread` one with
/// two workers, per run (`enable_all`, as ferrio always has a reactor).
pub mod tokio_rt {
    use std::future::Future;
    use std::sync::Arc as Shared;

    struct Rt(tokio::runtime::Runtime);

    impl Rt {
        fn block_on<F: Future>(&self, f: F) -> F::Output {
            self.0.block_on(f)
        }
    }

    /// Runs `workload` on a fresh tokio runtime: `multi_thread` with two
    /// workers if `multi`, else `current_thread`.
    pub fn run(multi: bool, workload: Workload, p: Params) -> f64 {
        let mut builder = if multi {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(2);
            b
        } else {
            tokio::runtime::Builder::new_current_thread()
        };
        let runtime = builder
            .enable_all()
            .build()
            .expect("tokio: cannot build the runtime");
        run_on(&Rt(runtime), workload, p)
    }

    fn spawn<F>(f: F) -> impl Future<Output = F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = tokio::spawn(f);
        async move { handle.await.expect("tokio: task failed") }
    }

    fn yield_now() -> impl Future<Output = ()> {
        tokio::task::yield_now()
    }

    fn sleep(d: Duration) -> impl Future<Output = ()> {
        tokio::time::sleep(d)
    }

    /// tokio has no gather: spawn each, await the handles in order.
    async fn gather_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handles: Vec<_> = futures.map(tokio::spawn).collect();
        let mut out = Vec::with_capacity(handles.len());
        for h in handles {
            out.push(h.await.expect("tokio: task failed"));
        }
        out
    }

    async fn group_sum(n: u64) -> u64 {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..n {
            set.spawn(async move { black_box(i) });
        }
        set.join_all().await.into_iter().sum()
    }

    fn new_semaphore(permits: usize) -> tokio::sync::Semaphore {
        tokio::sync::Semaphore::new(permits)
    }

    async fn acquire(s: &tokio::sync::Semaphore) -> tokio::sync::SemaphorePermit<'_> {
        s.acquire().await.expect("tokio: semaphore closed")
    }

    fn new_queue(
        capacity: usize,
    ) -> (
        tokio::sync::mpsc::Sender<u64>,
        tokio::sync::mpsc::Receiver<u64>,
    ) {
        tokio::sync::mpsc::channel(capacity)
    }

    async fn put(q: &tokio::sync::mpsc::Sender<u64>, v: u64) {
        q.send(v).await.expect("tokio: receiver gone");
    }

    async fn get(q: &mut tokio::sync::mpsc::Receiver<u64>) -> u64 {
        q.recv().await.expect("tokio: sender gone")
    }

    workloads!();
}

/// smol: a fresh `async_executor::LocalExecutor` per run, driven by
/// `smol::block_on` (async-io's reactor and timers on this thread).
pub mod smol_rt {
    use std::future::Future;
    use std::rc::Rc as Shared;

    struct Rt(Shared<async_executor::LocalExecutor<'static>>);

    thread_local! {
        static EXECUTOR: std::cell::RefCell<Option<Shared<async_executor::LocalExecutor<'static>>>> =
            const { std::cell::RefCell::new(None) };
    }

    impl Rt {
        fn block_on<F: Future>(&self, f: F) -> F::Output {
            smol::block_on(self.0.run(f))
        }
    }

    /// Runs `workload` on a fresh smol `LocalExecutor`.
    pub fn run(workload: Workload, p: Params) -> f64 {
        let executor = Shared::new(async_executor::LocalExecutor::new());
        EXECUTOR.with(|e| *e.borrow_mut() = Some(executor.clone()));
        let value = run_on(&Rt(executor), workload, p);
        EXECUTOR.with(|e| *e.borrow_mut() = None);
        value
    }

    fn spawn<F>(f: F) -> smol::Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        EXECUTOR.with(|e| {
            e.borrow()
                .as_ref()
                .expect("smol: no executor on this thread")
                .spawn(f)
        })
    }

    fn yield_now() -> impl Future<Output = ()> {
        smol::future::yield_now()
    }

    async fn sleep(d: Duration) {
        smol::Timer::after(d).await;
    }

    /// smol has no gather: spawn each, await the tasks in order.
    async fn gather_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let tasks: Vec<_> = futures.map(spawn).collect();
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await);
        }
        out
    }

    /// smol has no task group: a `Vec` of tasks.
    async fn group_sum(n: u64) -> u64 {
        let tasks: Vec<_> = (0..n).map(|i| spawn(async move { black_box(i) })).collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await;
        }
        sum
    }

    fn new_semaphore(permits: usize) -> smol::lock::Semaphore {
        smol::lock::Semaphore::new(permits)
    }

    async fn acquire(s: &smol::lock::Semaphore) -> smol::lock::SemaphoreGuard<'_> {
        s.acquire().await
    }

    fn new_queue(capacity: usize) -> (smol::channel::Sender<u64>, smol::channel::Receiver<u64>) {
        smol::channel::bounded(capacity)
    }

    async fn put(q: &smol::channel::Sender<u64>, v: u64) {
        q.send(v).await.expect("smol: receiver gone");
    }

    async fn get(q: &mut smol::channel::Receiver<u64>) -> u64 {
        q.recv().await.expect("smol: sender gone")
    }

    workloads!();
}
