//! Synchronisation and queue workloads: ferrio's `sync` and `queue` against
//! tokio's `sync` (Semaphore, Mutex, mpsc) and smol's async-lock and
//! async-channel, each written once over [`SyncRt`].
//!
//! - `semaphore_fanout`: `SEM_TASKS` tasks through a semaphore of
//!   `SEM_PERMITS` permits; each holds its permit across one yield, so
//!   nearly all of them queue. Measures acquire, queueing and hand-off.
//! - `queue_throughput`: one producer task sends `QUEUE_ITEMS` integers
//!   through a bounded queue of `QUEUE_CAPACITY`; the main task receives and
//!   sums them. Measures put/get and the backpressure wake-ups.
//! - `lock_contention`: `LOCK_TASKS` tasks each take one lock
//!   `LOCKS_PER_TASK` times, yielding while they hold it, so every
//!   acquire queues behind the others. Checks mutual exclusion.
//!
//! These rows compare unlike things, and the table says so: ferrio's
//! primitives are single-threaded (`!Send`, a `Cell` and an intrusive wait
//! list), tokio's and async-lock's are thread-safe (atomics, a mutex around
//! the wait list). ferrio's and tokio's are FIFO-fair; async-lock's are not
//! (a released lock or permit may go to a newcomer before the oldest
//! waiter), which lets it skip some hand-offs.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use crate::handoff::{Receiver, Sender};
use crate::runtimes::{Ferrio, Rt, Smol, Tokio};

pub const SEM_TASKS: u64 = 100_000;
pub const SEM_PERMITS: usize = 100;
pub const QUEUE_ITEMS: u64 = 10_000_000;
pub const QUEUE_CAPACITY: usize = 1_024;
pub const LOCK_TASKS: u64 = 1_000;
pub const LOCKS_PER_TASK: u64 = 100;

/// The synchronisation primitives a runtime brings.
pub trait SyncRt: Rt {
    /// A counting semaphore.
    type Semaphore: 'static;
    /// An async mutex (holding `()`).
    type Mutex: 'static;

    fn semaphore(permits: usize) -> Self::Semaphore;

    /// Takes a permit; dropping the output gives it back.
    fn acquire(semaphore: &Self::Semaphore) -> impl Future<Output = impl Sized + '_>;

    fn mutex() -> Self::Mutex;

    /// Takes the lock; dropping the output releases it.
    fn lock(mutex: &Self::Mutex) -> impl Future<Output = impl Sized + '_>;

    /// A bounded queue of `capacity` as a sender and a receiver.
    fn queue<T: 'static>(capacity: usize) -> (impl Sender<T>, impl Receiver<T>);
}

impl SyncRt for Ferrio {
    type Semaphore = ferrio::sync::Semaphore;
    type Mutex = ferrio::sync::Lock;

    fn semaphore(permits: usize) -> Self::Semaphore {
        ferrio::sync::Semaphore::new(permits)
    }

    async fn acquire(semaphore: &Self::Semaphore) -> impl Sized + '_ {
        semaphore
            .acquire()
            .await
            .expect("ferrio: acquire cancelled")
    }

    fn mutex() -> Self::Mutex {
        ferrio::sync::Lock::new()
    }

    async fn lock(mutex: &Self::Mutex) -> impl Sized + '_ {
        mutex.acquire().await.expect("ferrio: lock cancelled")
    }

    fn queue<T: 'static>(capacity: usize) -> (impl Sender<T>, impl Receiver<T>) {
        let queue = ferrio::queue::Queue::new(capacity);
        (queue.clone(), queue)
    }
}

impl<const U: bool> SyncRt for Tokio<U> {
    type Semaphore = tokio::sync::Semaphore;
    type Mutex = tokio::sync::Mutex<()>;

    fn semaphore(permits: usize) -> Self::Semaphore {
        tokio::sync::Semaphore::new(permits)
    }

    async fn acquire(semaphore: &Self::Semaphore) -> impl Sized + '_ {
        semaphore.acquire().await.expect("tokio: semaphore closed")
    }

    fn mutex() -> Self::Mutex {
        tokio::sync::Mutex::new(())
    }

    async fn lock(mutex: &Self::Mutex) -> impl Sized + '_ {
        mutex.lock().await
    }

    fn queue<T: 'static>(capacity: usize) -> (impl Sender<T>, impl Receiver<T>) {
        tokio::sync::mpsc::channel(capacity)
    }
}

impl SyncRt for Smol {
    type Semaphore = smol::lock::Semaphore;
    type Mutex = smol::lock::Mutex<()>;

    fn semaphore(permits: usize) -> Self::Semaphore {
        smol::lock::Semaphore::new(permits)
    }

    async fn acquire(semaphore: &Self::Semaphore) -> impl Sized + '_ {
        semaphore.acquire().await
    }

    fn mutex() -> Self::Mutex {
        smol::lock::Mutex::new(())
    }

    async fn lock(mutex: &Self::Mutex) -> impl Sized + '_ {
        mutex.lock().await
    }

    fn queue<T: 'static>(capacity: usize) -> (impl Sender<T>, impl Receiver<T>) {
        smol::channel::bounded(capacity)
    }
}

/// ferrio's queue as the workloads' channel: both ends are clones of one
/// `Queue`.
impl<T: 'static> Sender<T> for ferrio::queue::Queue<T> {
    async fn send(&mut self, value: T) {
        if self.put(value).await.is_err() {
            panic!("ferrio: put failed");
        }
    }
}

impl<T: 'static> Receiver<T> for ferrio::queue::Queue<T> {
    async fn recv(&mut self) -> T {
        self.get().await.expect("ferrio: get failed")
    }
}

/// `SEM_TASKS` tasks each take a permit of `SEM_PERMITS`, yield once while
/// holding it, and finish; checks that all ran and the bound held.
pub fn semaphore_fanout<R: SyncRt>(rt: &R) {
    let semaphore = Rc::new(R::semaphore(SEM_PERMITS));
    let holding = Rc::new(Cell::new(0usize));
    let done = Rc::new(Cell::new(0u64));
    rt.block_on(async {
        let handles: Vec<_> = (0..SEM_TASKS)
            .map(|_| {
                let (semaphore, holding, done) = (semaphore.clone(), holding.clone(), done.clone());
                rt.spawn(async move {
                    let _permit = R::acquire(&semaphore).await;
                    holding.set(holding.get() + 1);
                    assert!(holding.get() <= SEM_PERMITS, "{}: bound broken", R::NAME);
                    R::yield_now().await;
                    holding.set(holding.get() - 1);
                    done.set(done.get() + 1);
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
    });
    assert_eq!(done.get(), SEM_TASKS, "{}: semaphore_fanout count", R::NAME);
}

/// A producer task sends `QUEUE_ITEMS` integers through a bounded queue of
/// `QUEUE_CAPACITY`; the main task receives them and checks the sum.
pub fn queue_throughput<R: SyncRt>(rt: &R) {
    let n = QUEUE_ITEMS;
    let sum = rt.block_on(async {
        let (mut tx, mut rx) = R::queue::<u64>(QUEUE_CAPACITY);
        let producer = rt.spawn(async move {
            for i in 0..n {
                tx.send(i).await;
            }
        });
        let mut sum = 0u64;
        for _ in 0..n {
            sum += rx.recv().await;
        }
        producer.await;
        sum
    });
    assert_eq!(sum, n * (n - 1) / 2, "{}: queue_throughput sum", R::NAME);
}

/// `LOCK_TASKS` tasks each take one lock `LOCKS_PER_TASK` times, yielding
/// while holding it; checks mutual exclusion and the count.
pub fn lock_contention<R: SyncRt>(rt: &R) {
    let mutex = Rc::new(R::mutex());
    let inside = Rc::new(Cell::new(false));
    let count = Rc::new(Cell::new(0u64));
    rt.block_on(async {
        let handles: Vec<_> = (0..LOCK_TASKS)
            .map(|_| {
                let (mutex, inside, count) = (mutex.clone(), inside.clone(), count.clone());
                rt.spawn(async move {
                    for _ in 0..LOCKS_PER_TASK {
                        let _guard = R::lock(&mutex).await;
                        assert!(!inside.replace(true), "{}: two holders", R::NAME);
                        R::yield_now().await;
                        inside.set(false);
                        count.set(count.get() + 1);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await;
        }
    });
    assert_eq!(
        count.get(),
        LOCK_TASKS * LOCKS_PER_TASK,
        "{}: lock_contention count",
        R::NAME
    );
}
