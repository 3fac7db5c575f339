//! The timed workloads, each written once over [`Rt`]. Every one checks its
//! result, so none can be optimised into a no-op.

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use crate::handoff::{handoff, Receiver, Sender};
use crate::runtimes::Rt;

pub const SPAWN_JOIN_TASKS: u64 = 1_000_000;
pub const PINGPONG_ROUND_TRIPS: u64 = 1_000_000;
pub const TIMER_TASKS: u64 = 100_000;
pub const YIELD_TASKS: u64 = 1_000;
pub const YIELDS_PER_TASK: u64 = 1_000;

/// Spawns `SPAWN_JOIN_TASKS` trivial tasks, then awaits every handle in
/// spawn order and checks the sum of their outputs.
pub fn spawn_join<R: Rt>(rt: &R) {
    let n = SPAWN_JOIN_TASKS;
    let sum = rt.block_on(async {
        let mut handles = Vec::with_capacity(n as usize);
        for i in 0..n {
            handles.push(rt.spawn(async move { black_box(i) }));
        }
        let mut sum = 0u64;
        for handle in handles {
            sum += handle.await;
        }
        sum
    });
    assert_eq!(sum, n * (n - 1) / 2, "{}: spawn_join sum", R::NAME);
}

/// Two tasks pass a counter back and forth over a pair of bounded-1
/// channels made by `channel`: `PINGPONG_ROUND_TRIPS` round trips, i.e.
/// twice as many hand-offs, each a wake of the other task.
fn pingpong_with<R, S, Q>(rt: &R, channel: impl Fn() -> (S, Q))
where
    R: Rt,
    S: Sender<u64>,
    Q: Receiver<u64>,
{
    let n = PINGPONG_ROUND_TRIPS;
    let sum = rt.block_on(async {
        let (mut ping_tx, mut ping_rx) = channel();
        let (mut pong_tx, mut pong_rx) = channel();
        let ponger = rt.spawn(async move {
            let mut seen = 0u64;
            for _ in 0..n {
                let v = ping_rx.recv().await;
                seen += 1;
                pong_tx.send(v + 1).await;
            }
            seen
        });
        let pinger = rt.spawn(async move {
            let mut sum = 0u64;
            for i in 0..n {
                ping_tx.send(i).await;
                let v = pong_rx.recv().await;
                assert_eq!(v, i + 1);
                sum += v;
            }
            sum
        });
        let sum = pinger.await;
        assert_eq!(ponger.await, n);
        sum
    });
    assert_eq!(sum, n * (n + 1) / 2, "{}: pingpong sum", R::NAME);
}

/// Ping-pong over async-channel's `bounded(1)` (the channel smol
/// re-exports; ferrio did not write it) on every runtime: the headline
/// hand-off row. The channel's code is the same on all three, so
/// what differs is each executor's waker (clone, wake, drop) and its
/// schedule → poll path.
pub fn pingpong<R: Rt>(rt: &R) {
    pingpong_with(rt, || smol::channel::bounded::<u64>(1));
}

/// Ping-pong over the runtime-neutral [`handoff`] (an `Rc<RefCell>` slot
/// that keeps its waker when `will_wake`), on every runtime: the bare
/// wake → schedule → poll path, without a channel's own cost.
pub fn pingpong_wake<R: Rt>(rt: &R) {
    pingpong_with(rt, handoff::<u64>);
}

/// Ping-pong over each runtime's own bounded-1 channel: ferrio's
/// `Queue::new(1)`, tokio's `mpsc::channel(1)`, smol's async-channel.
pub fn pingpong_native<R: Rt>(rt: &R) {
    pingpong_with(rt, R::native_channel::<u64>);
}

/// `TIMER_TASKS` tasks, task `i` sleeping `i % 100` ms on the real clock;
/// awaits all and checks that each slept at least its duration.
pub fn timers<R: Rt>(rt: &R) {
    let n = TIMER_TASKS;
    let sum = rt.block_on(async {
        let start = std::time::Instant::now();
        let handles: Vec<_> = (0..n)
            .map(|i| {
                rt.spawn(async move {
                    let ms = i % 100;
                    R::sleep(Duration::from_millis(ms)).await;
                    ms
                })
            })
            .collect();
        let mut sum = 0u64;
        for handle in handles {
            sum += handle.await;
        }
        assert!(
            start.elapsed() >= Duration::from_millis(99),
            "{}: timers fired early",
            R::NAME
        );
        sum
    });
    assert_eq!(sum, (n / 100) * (99 * 100 / 2), "{}: timers sum", R::NAME);
}

/// `YIELD_TASKS` tasks each yielding `YIELDS_PER_TASK` times; a shared
/// counter checks that every yield returned.
pub fn yield_many<R: Rt>(rt: &R) {
    let total = rt.block_on(async {
        let count = Rc::new(Cell::new(0u64));
        let handles: Vec<_> = (0..YIELD_TASKS)
            .map(|_| {
                let count = count.clone();
                rt.spawn(async move {
                    for _ in 0..YIELDS_PER_TASK {
                        R::yield_now().await;
                        count.set(count.get() + 1);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
        count.get()
    });
    assert_eq!(
        total,
        YIELD_TASKS * YIELDS_PER_TASK,
        "{}: yield count",
        R::NAME
    );
}
