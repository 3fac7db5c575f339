//! Allocation counts of the task engine's hot paths, in steady state: one
//! allocation per `spawn` of a small future (the task cell, nothing else,
//! in debug mode too), none per wake and none per `yield_now`.
//!
//! Its own binary: it installs a global allocator that counts the
//! allocations made *on the calling thread* (a thread-local counter), so
//! that other tests' threads cannot disturb a measurement. Each measurement
//! runs on a warm loop — one round of the same work first, so that the run
//! queue, the live list and the test's own vectors already have the
//! capacity the work needs — and subtracts a baseline: the same loop with
//! the measured operation left out.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::poll_fn;
use std::hint::black_box;
use std::rc::Rc;
use std::task::{Poll, Waker};

use ferrio::EventLoop;

/// Forwards to the system allocator and counts this thread's allocations
/// (`alloc`, `alloc_zeroed` and `realloc` each count as one).
struct CountingPerThread;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: a thread being torn down may still allocate.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

/// Allocations made on this thread so far.
fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

// SAFETY: every call forwards to `System` with the caller's arguments,
// which upholds `GlobalAlloc`'s contract; the counting touches only a
// const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for CountingPerThread {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is; `ptr` came from this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: forwarded as is; `ptr` came from this allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: CountingPerThread = CountingPerThread;

const N: u64 = 10_000;

/// A loop without debug mode (whatever `FERRIO_DEBUG` says): the counts
/// are those of the ordinary path.
fn event_loop() -> EventLoop {
    EventLoop::builder().debug(false).build().unwrap()
}

/// Spawns `n` small tasks into `handles` (capacity reserved by the caller),
/// then awaits them all; returns the allocations made by the spawns alone.
async fn spawn_then_join(n: u64, handles: &mut Vec<ferrio::Task<u64>>) -> u64 {
    let before = allocations();
    for i in 0..n {
        handles.push(ferrio::spawn(async move { black_box(i) }));
    }
    let spawned = allocations() - before;
    let mut sum = 0;
    for handle in handles.drain(..) {
        sum += handle.await.unwrap();
    }
    assert_eq!(sum, n * n.saturating_sub(1) / 2);
    spawned
}

#[test]
fn a_spawn_of_a_small_future_allocates_once() {
    let counts = event_loop()
        .run_until_complete(async {
            let mut handles = Vec::with_capacity(N as usize);
            // Warm-up: the run queue and the live list reach their size.
            spawn_then_join(N, &mut handles).await;
            let baseline = spawn_then_join(0, &mut handles).await;
            let spawned = spawn_then_join(N, &mut handles).await;
            (baseline, spawned)
        })
        .unwrap();
    let (baseline, spawned) = counts;
    assert_eq!(
        spawned - baseline,
        N,
        "{N} spawns made {} allocations (baseline {baseline}): exactly one per task expected",
        spawned - baseline
    );
}

#[test]
fn a_spawn_allocates_once_in_debug_mode_too() {
    // Debug mode records every task's activity, in the task's own cell.
    let event_loop = EventLoop::builder().debug(true).build().unwrap();
    let (baseline, spawned) = event_loop
        .run_until_complete(async {
            let mut handles = Vec::with_capacity(N as usize);
            spawn_then_join(N, &mut handles).await;
            let baseline = spawn_then_join(0, &mut handles).await;
            (baseline, spawn_then_join(N, &mut handles).await)
        })
        .unwrap();
    assert_eq!(
        spawned - baseline,
        N,
        "{N} spawns in debug mode made {} allocations: exactly one per task expected",
        spawned - baseline
    );
}

#[test]
fn spawning_running_and_joining_allocates_only_the_cells() {
    let (baseline, total) = event_loop()
        .run_until_complete(async {
            let mut handles = Vec::with_capacity(N as usize);
            spawn_then_join(N, &mut handles).await;
            let before = allocations();
            spawn_then_join(0, &mut handles).await;
            let baseline = allocations() - before;
            let before = allocations();
            spawn_then_join(N, &mut handles).await;
            (baseline, allocations() - before)
        })
        .unwrap();
    assert_eq!(
        total - baseline,
        N,
        "spawning, running and joining {N} tasks made {} allocations: one per task expected",
        total - baseline
    );
}

/// A task parked on a future that stores its waker; the main task wakes it
/// `rounds` times (by reference and by value, alternately), letting it run
/// after each wake. Returns the allocations of the whole exchange.
async fn wake_rounds(rounds: u64) -> u64 {
    let slot: Rc<Cell<Option<Waker>>> = Rc::new(Cell::new(None));
    let polls = Rc::new(Cell::new(0u64));
    let (s, p) = (slot.clone(), polls.clone());
    let parked = ferrio::spawn(poll_fn(move |cx| {
        p.set(p.get() + 1);
        // Parked for the first poll and the `rounds` wakes; the last wake
        // finishes it.
        if p.get() > rounds + 1 {
            return Poll::Ready(());
        }
        // Keep the waker we hold if it wakes the same task: no clone.
        match s.take() {
            Some(w) if w.will_wake(cx.waker()) => s.set(Some(w)),
            _ => s.set(Some(cx.waker().clone())),
        }
        Poll::Pending
    }));
    ferrio::yield_now().await.unwrap();
    let before = allocations();
    for i in 0..rounds {
        let waker = slot.take().expect("the parked task left its waker");
        if i % 2 == 0 {
            waker.wake_by_ref();
            slot.set(Some(waker));
        } else {
            // Woken by value: the task stores a fresh clone when it runs.
            waker.wake();
        }
        ferrio::yield_now().await.unwrap();
        assert_eq!(polls.get(), i + 2);
    }
    let made = allocations() - before;
    slot.take().expect("parked again").wake();
    parked.await.unwrap();
    made
}

#[test]
fn a_wake_allocates_nothing() {
    let (baseline, woken) = event_loop()
        .run_until_complete(async {
            wake_rounds(N).await;
            let baseline = wake_rounds(0).await;
            (baseline, wake_rounds(N).await)
        })
        .unwrap();
    assert_eq!(
        woken - baseline,
        0,
        "{N} wakes (and the polls they caused) allocated"
    );
}

/// `tasks` tasks each yielding `yields` times; returns the allocations made
/// while they yield (after all have started, before any finishes).
async fn yield_rounds(tasks: u64, yields: u64) -> u64 {
    let started = Rc::new(Cell::new(0u64));
    let done = Rc::new(Cell::new(0u64));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (started, done) = (started.clone(), done.clone());
            ferrio::spawn(async move {
                started.set(started.get() + 1);
                for _ in 0..yields {
                    ferrio::yield_now().await.unwrap();
                }
                done.set(done.get() + 1);
            })
        })
        .collect();
    // Let every task start (and the run queue reach its size).
    ferrio::yield_now().await.unwrap();
    assert_eq!(started.get(), tasks);
    let before = allocations();
    for _ in 0..yields {
        ferrio::yield_now().await.unwrap();
    }
    let made = allocations() - before;
    for handle in handles {
        handle.await.unwrap();
    }
    assert_eq!(done.get(), tasks);
    made
}

#[test]
fn a_yield_allocates_nothing() {
    let (baseline, yielded) = event_loop()
        .run_until_complete(async {
            yield_rounds(100, 100).await;
            let baseline = yield_rounds(100, 0).await;
            (baseline, yield_rounds(100, 100).await)
        })
        .unwrap();
    assert_eq!(
        yielded - baseline,
        0,
        "10,000 yields (100 tasks × 100) allocated"
    );
}
