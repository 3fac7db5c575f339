//! The default `to_thread` pool's workers are gone — joined, not just told
//! to exit — by the time `ferrio::run` returns. Its own binary, so that no
//! other test's pool threads are counted. Linux: threads are counted by
//! name in `/proc/self/task`.

/// Live threads of this process named like the default pool's workers.
fn pool_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim_end() == "ferrio-blocking")
        .count()
}

/// Makes the thread that touched it take a while to exit, after the pool
/// counted it out: its destructor runs among the thread's last acts, and
/// spins (no sleep, no clock).
struct SlowExit;

impl Drop for SlowExit {
    fn drop(&mut self) {
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = std::hint::black_box(x.wrapping_add(i));
        }
        std::hint::black_box(x);
    }
}

thread_local! {
    static SLOW_EXIT: SlowExit = const { SlowExit };
}

#[test]
fn no_worker_thread_outlives_run() {
    assert_eq!(pool_threads(), 0);
    // Several rounds: a worker that merely announced its exit is caught
    // alive right after `run` returns often enough.
    for round in 0..3 {
        let total = ferrio::run(async {
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
            total
        })
        .unwrap();
        assert_eq!(total, 56);
        assert_eq!(
            pool_threads(),
            0,
            "worker threads alive after run (round {round})"
        );
    }
}
