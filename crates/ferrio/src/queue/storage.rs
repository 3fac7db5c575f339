//! [`Storage`]: how a queue keeps its items and which one comes out next —
//! the one thing that differs between [`Queue`](super::Queue),
//! [`LifoQueue`](super::LifoQueue) and [`PriorityQueue`](super::PriorityQueue)
//! (asyncio's `_init`/`_put`/`_get`/`_qsize` hooks).

/// The container behind a [`BaseQueue`](super::BaseQueue): it decides the
/// order in which items come out. Everything else — capacity, waiting,
/// fairness, cancellation, `task_done`/`join`, shutdown — is the queue's.
///
/// ferrio provides [`Fifo`](super::Fifo), [`Lifo`](super::Lifo) and
/// [`Priority`](super::Priority); implement it for another discipline, as
/// asyncio code subclasses `Queue` and overrides `_put`/`_get`.
///
/// The contract: `push` stores the item (`len` grows by one) and `pop`
/// removes one (`len` shrinks by one), returning `Some` whenever `len` is
/// not zero. The queue counts on it for capacity and for the items it
/// promises to woken getters; a storage that breaks it makes the queue
/// panic.
///
/// ```
/// use ferrio::queue::{BaseQueue, Storage};
///
/// /// Serves the shortest string first.
/// #[derive(Default)]
/// struct Shortest(Vec<String>);
///
/// impl Storage<String> for Shortest {
///     fn push(&mut self, item: String) {
///         self.0.push(item);
///     }
///     fn pop(&mut self) -> Option<String> {
///         let i = (0..self.0.len()).min_by_key(|&i| self.0[i].len())?;
///         Some(self.0.remove(i))
///     }
///     fn len(&self) -> usize {
///         self.0.len()
///     }
/// }
///
/// let queue: BaseQueue<String, Shortest> = BaseQueue::unbounded();
/// for word in ["queue", "a", "to"] {
///     queue.put_nowait(word.to_string()).unwrap();
/// }
/// assert_eq!(queue.get_nowait().unwrap(), "a");
/// assert_eq!(queue.get_nowait().unwrap(), "to");
/// ```
pub trait Storage<T>: Default {
    /// Stores `item`.
    fn push(&mut self, item: T);

    /// Removes and returns the item to get next, if any.
    fn pop(&mut self) -> Option<T>;

    /// The number of items stored.
    fn len(&self) -> usize;

    /// Whether no item is stored.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
