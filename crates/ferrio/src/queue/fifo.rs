//! [`Queue`]: asyncio's `Queue`, first in, first out, and its storage
//! [`Fifo`].

use std::collections::VecDeque;
use std::fmt;

use super::base::BaseQueue;
use super::storage::Storage;

/// A first-in, first-out async queue: asyncio's `Queue`.
///
/// `Queue::new(maxsize)` holds at most `maxsize` items (0: unbounded, or
/// use [`Queue::unbounded`](BaseQueue::unbounded)). All methods are
/// [`BaseQueue`]'s: `put`/`get` wait, `put_nowait`/`get_nowait` do not,
/// `task_done`/`join` track work, `shutdown` ends it. Clone the queue to
/// share it between tasks.
///
/// ```
/// use ferrio::queue::{GetError, Queue};
///
/// ferrio::EventLoop::new().unwrap()
///     .run_until_complete(async {
///         let queue = Queue::new(2);
///         let consumer = {
///             let queue = queue.clone();
///             ferrio::spawn(async move {
///                 let mut seen = Vec::new();
///                 loop {
///                     match queue.get().await {
///                         Ok(item) => {
///                             seen.push(item);
///                             queue.task_done().unwrap();
///                         }
///                         Err(GetError::ShutDown(_)) => return Ok(seen),
///                         Err(GetError::Cancelled(c)) => return Err(c),
///                     }
///                 }
///             })
///         };
///         for i in 0..5 {
///             queue.put(i).await.unwrap(); // waits while 2 items are queued
///         }
///         queue.join().await.unwrap(); // every item processed
///         queue.shutdown();
///         assert_eq!(consumer.await.unwrap().unwrap(), [0, 1, 2, 3, 4]);
///     })
///     .unwrap();
/// ```
pub type Queue<T> = BaseQueue<T, Fifo<T>>;

/// The [`Storage`] of [`Queue`]: items come out in the order they went in.
pub struct Fifo<T> {
    items: VecDeque<T>,
}

impl<T> Default for Fifo<T> {
    fn default() -> Fifo<T> {
        Fifo {
            items: VecDeque::new(),
        }
    }
}

impl<T> Storage<T> for Fifo<T> {
    #[inline]
    fn push(&mut self, item: T) {
        self.items.push_back(item);
    }

    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.items.pop_front()
    }

    #[inline]
    fn len(&self) -> usize {
        self.items.len()
    }
}

impl<T> fmt::Debug for Fifo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fifo")
            .field("len", &self.items.len())
            .finish()
    }
}
