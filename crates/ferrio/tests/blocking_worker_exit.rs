//! The default `to_thread` pool's workers are gone — joined, not just told
//! to exit — by the time `ferrio::run` returns. Its own binary, so that no
//! other test's pool threads are counted.
//!
//! "Gone" is observed through the last thing a thread does in user space:
//! its thread-local destructors. Every worker that ran a job here owns a
//! `SlowExit`, whose destructor takes a while (it spins, no sleep, no clock)
//! and is counted when it finishes; `run` must not return before every one
//! of them has. (Counting threads in `/proc/self/task` cannot show this: a
//! joined thread stays listed for a moment while the kernel tears it down.)

use std::sync::atomic::{AtomicUsize, Ordering};

/// Workers that touched `SLOW_EXIT`, and those whose destructor finished.
static STARTED: AtomicUsize = AtomicUsize::new(0);
static FINISHED: AtomicUsize = AtomicUsize::new(0);

/// Makes the thread that touched it take a while to exit, after the pool
/// counted it out: its destructor runs among the thread's last acts.
struct SlowExit;

impl SlowExit {
    fn new() -> SlowExit {
        STARTED.fetch_add(1, Ordering::SeqCst);
        SlowExit
    }
}

impl Drop for SlowExit {
    fn drop(&mut self) {
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        std::hint::black_box(x);
        FINISHED.fetch_add(1, Ordering::SeqCst);
    }
}

thread_local! {
    static SLOW_EXIT: SlowExit = SlowExit::new();
}

#[test]
fn no_worker_thread_outlives_run() {
    // Several rounds: a worker that merely announced its exit would be
    // caught in its destructor right after `run` returns often enough.
    for round in 0..3 {
        let before = STARTED.load(Ordering::SeqCst);
        let (total, threads) = ferrio::run(async {
            let jobs: Vec<_> = (0..8u64)
                .map(|i| {
                    ferrio::spawn(ferrio::to_thread(move || {
                        SLOW_EXIT.with(|_| ());
                        i * 2
                    }))
                })
                .collect();
            let mut total = 0;
            for job in jobs {
                total += job.await.unwrap().unwrap();
            }
            let threads = ferrio::blocking::default_pool()
                .statistics()
                .threads_started;
            (total, threads)
        })
        .unwrap();
        assert_eq!(total, 56);
        let started = STARTED.load(Ordering::SeqCst);
        // Workers that found the queue empty touched nothing.
        assert!(
            threads >= 1 && started > before,
            "round {round} ran its jobs on workers"
        );
        assert_eq!(
            FINISHED.load(Ordering::SeqCst),
            started,
            "a worker thread was still exiting after run (round {round})"
        );
    }
}
