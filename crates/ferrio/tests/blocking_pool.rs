//! `ThreadPool` and `run_in_executor`: the bound, lazy threads, the idle
//! timeout, shutdown, statistics.
//!
//! Jobs run on real threads, sequenced with std channels and barriers; the
//! only waits on the wall clock are hang guards.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::*;
use ferrio::blocking::{BlockingError, PoolStats, ThreadPool};

/// Polls `pool`'s statistics until `done` holds (a bounded wait for a
/// state another thread reaches; no timing is asserted).
fn wait_for_stats(pool: &ThreadPool, done: impl Fn(&PoolStats) -> bool) -> PoolStats {
    let start = Instant::now();
    loop {
        let stats = pool.statistics();
        if done(&stats) {
            return stats;
        }
        assert!(start.elapsed() < GUARD, "watchdog: pool stuck at {stats:?}");
        std::thread::yield_now();
    }
}

#[test]
fn threads_start_on_demand() {
    let pool = ThreadPool::builder().max_threads(3).build();
    let stats = pool.statistics();
    assert_eq!((stats.threads, stats.threads_started), (0, 0));
    assert_eq!(stats.max_threads, 3);
    let v = on_thread_with_watchdog(move || {
        let v = run_virtual(ferrio::run_in_executor(&pool, || 40 + 2)).unwrap();
        assert_eq!(pool.statistics().threads_started, 1);
        v
    });
    assert_eq!(v, 42);
}

#[test]
fn the_default_size_is_asyncios() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(
        ThreadPool::new().statistics().max_threads,
        (cpus + 4).min(32)
    );
}

#[test]
fn no_more_than_max_threads_jobs_run_at_once() {
    const N: usize = 2;
    let pool = ThreadPool::builder().max_threads(N).build();
    // The first N jobs meet the test thread at the barrier: proof that N
    // run at once. Then all wait for a release.
    let barrier = Arc::new(Barrier::new(N + 1));
    let arrived = Arc::new(AtomicUsize::new(0));
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Arc::new(Mutex::new(release_rx));
    let (started_tx, started_rx) = mpsc::channel::<usize>();
    let jobs: Vec<_> = (0..=N)
        .map(|i| {
            let (barrier, arrived, release_rx, started_tx) = (
                barrier.clone(),
                arrived.clone(),
                release_rx.clone(),
                started_tx.clone(),
            );
            pool.spawn(move || {
                started_tx.send(i).unwrap();
                if arrived.fetch_add(1, Ordering::SeqCst) < N {
                    barrier.wait();
                }
                release_rx.lock().unwrap().recv_timeout(GUARD).unwrap();
                i
            })
        })
        .collect();
    barrier.wait();
    let stats = pool.statistics();
    assert_eq!(stats.threads, N, "{stats:?}");
    assert_eq!(stats.running, N, "{stats:?}");
    assert_eq!(stats.queued, 1, "the extra job waits: {stats:?}");
    for _ in 0..N {
        started_rx.recv_timeout(GUARD).unwrap();
    }
    assert!(
        started_rx.try_recv().is_err(),
        "the extra job has not started"
    );
    // One job done frees a thread for the extra one.
    release_tx.send(()).unwrap();
    started_rx.recv_timeout(GUARD).unwrap();
    for _ in 0..N {
        release_tx.send(()).unwrap();
    }
    let results = on_thread_with_watchdog(move || {
        run_virtual(async move {
            let mut out = Vec::new();
            for job in jobs {
                out.push(job.await.unwrap());
            }
            out
        })
    });
    assert_eq!(results, (0..=N).collect::<Vec<_>>());
    // A worker counts a job done just after handing its result over.
    let stats = wait_for_stats(&pool, |s| s.completed == N as u64 + 1);
    assert_eq!(
        stats.threads_started, N as u64,
        "threads were reused: {stats:?}"
    );
}

#[test]
fn idle_threads_exit_after_the_idle_timeout() {
    let pool = ThreadPool::builder()
        .max_threads(2)
        .idle_timeout(Duration::from_millis(1))
        .build();
    let first = on_thread_with_watchdog({
        let pool = pool.clone();
        move || run_virtual(pool.spawn(|| std::thread::current().id())).unwrap()
    });
    let stats = wait_for_stats(&pool, |s| s.threads == 0);
    assert_eq!(
        (stats.idle, stats.running, stats.threads_started),
        (0, 0, 1)
    );
    // The next job starts a new thread.
    let second = on_thread_with_watchdog({
        let pool = pool.clone();
        move || run_virtual(pool.spawn(|| std::thread::current().id())).unwrap()
    });
    assert_ne!(first, second);
    assert_eq!(pool.statistics().threads_started, 2);
}

#[test]
fn an_idle_thread_is_reused_within_the_idle_timeout() {
    let pool = ThreadPool::builder().max_threads(4).build();
    let first = pool.spawn(|| ());
    on_thread_with_watchdog(move || run_virtual(first).unwrap());
    // Wait until the worker is idle, then give it another job.
    wait_for_stats(&pool, |s| s.idle == 1);
    let second = pool.spawn(|| ());
    on_thread_with_watchdog(move || run_virtual(second).unwrap());
    assert_eq!(pool.statistics().threads_started, 1);
}

#[test]
fn run_in_executor_reports_a_panic_as_a_typed_error() {
    let pool = ThreadPool::builder().max_threads(1).build();
    on_thread_with_watchdog(move || {
        run_virtual(async move {
            let err = ferrio::run_in_executor(&pool, || -> u8 { panic!("bad row {}", 7) })
                .await
                .unwrap_err();
            assert!(matches!(&err, BlockingError::Panicked(p) if p.message() == "bad row 7"));
            // The pool's one thread survived.
            assert_eq!(ferrio::run_in_executor(&pool, || 1).await.unwrap(), 1);
            assert_eq!(pool.statistics().threads_started, 1);
        })
    });
}

#[test]
fn shutdown_refuses_new_jobs_and_waits_for_running_ones() {
    let pool = ThreadPool::builder().max_threads(2).build();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let finished = Arc::new(AtomicUsize::new(0));
    let f = finished.clone();
    let job = pool.spawn(move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(GUARD).unwrap();
        f.fetch_add(1, Ordering::SeqCst);
    });
    started_rx.recv_timeout(GUARD).unwrap();
    let shutting = {
        let pool = pool.clone();
        std::thread::spawn(move || pool.shutdown())
    };
    // The shutdown is under way once the pool refuses jobs.
    wait_for_stats(&pool, |s| s.shut_down);
    assert!(pool.is_shut_down());
    let refused = on_thread_with_watchdog({
        let pool = pool.clone();
        move || run_virtual(pool.spawn(|| ())).unwrap_err()
    });
    assert!(matches!(refused, BlockingError::ShutDown), "{refused:?}");
    release_tx.send(()).unwrap();
    shutting.join().unwrap().expect("finished within the bound");
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "shutdown waited for the job"
    );
    assert_eq!(pool.statistics().threads, 0);
    on_thread_with_watchdog(move || run_virtual(job).unwrap());
}

#[test]
fn shutdown_gives_up_at_its_bound_and_detaches_the_job() {
    let pool = ThreadPool::builder()
        .max_threads(1)
        .shutdown_timeout(Duration::from_millis(1))
        .build();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let job = pool.spawn(move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(GUARD).unwrap();
        done_tx.send(()).unwrap();
    });
    started_rx.recv_timeout(GUARD).unwrap();
    let err = pool.shutdown().unwrap_err();
    assert_eq!(err.threads, 1);
    assert_eq!(err.waited, Duration::from_millis(1));
    assert!(err.to_string().contains("detached"), "{err}");
    // The job runs on and finishes after the shutdown gave up.
    release_tx.send(()).unwrap();
    done_rx.recv_timeout(GUARD).unwrap();
    on_thread_with_watchdog(move || run_virtual(job).unwrap());
}

#[test]
fn queued_jobs_still_run_after_shutdown_nowait() {
    let pool = ThreadPool::builder().max_threads(1).build();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let first = pool.spawn(move || release_rx.recv_timeout(GUARD).unwrap());
    let second = pool.spawn(|| "queued, then run");
    pool.shutdown_nowait();
    assert!(pool.is_shut_down());
    release_tx.send(()).unwrap();
    let out = on_thread_with_watchdog(move || {
        run_virtual(async move {
            first.await.unwrap();
            second.await.unwrap()
        })
    });
    assert_eq!(out, "queued, then run");
    wait_for_stats(&pool, |s| s.threads == 0);
}

#[test]
fn a_job_may_shut_its_own_pool_down() {
    let pool = ThreadPool::builder().max_threads(1).build();
    let p = pool.clone();
    let job = pool.spawn(move || p.shutdown_timeout(GUARD));
    let out = on_thread_with_watchdog(move || run_virtual(job).unwrap());
    assert_eq!(out, Ok(()), "it does not wait for itself");
}

#[test]
fn dropping_the_last_handle_lets_idle_threads_go() {
    let pool = ThreadPool::builder().max_threads(1).build();
    let job = pool.spawn(|| ());
    on_thread_with_watchdog(move || run_virtual(job).unwrap());
    let observer = pool.clone();
    drop(pool);
    // `observer` is a handle too: the pool is still open.
    assert!(!observer.is_shut_down());
    let (tx, rx) = mpsc::channel();
    let job = observer.spawn(move || tx.send(()).unwrap());
    rx.recv_timeout(GUARD).unwrap();
    drop(observer);
    // The job (holding the pool's engine, not a handle) still completes.
    on_thread_with_watchdog(move || run_virtual(job).unwrap());
}

#[test]
fn statistics_and_debug() {
    let pool = ThreadPool::builder()
        .max_threads(2)
        .thread_name("db-io")
        .build();
    let text = format!("{pool:?}");
    assert!(
        text.contains("db-io") && text.contains("max_threads: 2"),
        "{text}"
    );
    let name = on_thread_with_watchdog({
        let pool = pool.clone();
        move || {
            run_virtual(pool.spawn(|| std::thread::current().name().map(str::to_owned))).unwrap()
        }
    });
    assert_eq!(name.as_deref(), Some("db-io"));
    let stats = wait_for_stats(&pool, |s| s.completed == 1);
    assert_eq!((stats.queued, stats.shut_down), (0, false));
}

#[test]
#[should_panic(expected = "at least one thread")]
fn zero_threads_is_refused() {
    let _ = ThreadPool::builder().max_threads(0);
}

#[test]
fn dropping_a_spawned_job_detaches_it() {
    let pool = ThreadPool::builder().max_threads(1).build();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (ran_tx, ran_rx) = mpsc::channel::<()>();
    let busy = pool.spawn(move || release_rx.recv_timeout(GUARD).unwrap());
    // Queued behind `busy`, then its handle is dropped: it runs anyway,
    // as a dropped `Task` runs on.
    drop(pool.spawn(move || ran_tx.send(()).unwrap()));
    release_tx.send(()).unwrap();
    ran_rx.recv_timeout(GUARD).expect("the detached job ran");
    on_thread_with_watchdog(move || run_virtual(busy).unwrap());
}

#[test]
fn auto_traits() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send + 'static>() {}
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    send_sync::<ThreadPool>();
    send_sync::<PoolStats>();
    send::<ferrio::blocking::Offload<String>>();
    error::<BlockingError>();
    error::<ferrio::blocking::WorkerPanic>();
    error::<ferrio::blocking::ShutdownTimeout>();
}
