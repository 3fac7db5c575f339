//! [`LifoQueue`]: asyncio's `LifoQueue`, last in, first out, and its
//! storage [`Lifo`].

use std::fmt;

use super::base::BaseQueue;
use super::storage::Storage;

/// A last-in, first-out async queue (a stack): asyncio's `LifoQueue`.
///
/// Everything but the order is [`Queue`](super::Queue)'s; see [`BaseQueue`]
/// for the methods.
///
/// ```
/// use ferrio::queue::LifoQueue;
///
/// let stack = LifoQueue::unbounded();
/// for i in 1..=3 {
///     stack.put_nowait(i).unwrap();
/// }
/// assert_eq!(stack.get_nowait().unwrap(), 3);
/// assert_eq!(stack.get_nowait().unwrap(), 2);
/// assert_eq!(stack.get_nowait().unwrap(), 1);
/// ```
pub type LifoQueue<T> = BaseQueue<T, Lifo<T>>;

/// The [`Storage`] of [`LifoQueue`]: the newest item comes out first.
pub struct Lifo<T> {
    items: Vec<T>,
}

impl<T> Default for Lifo<T> {
    fn default() -> Lifo<T> {
        Lifo { items: Vec::new() }
    }
}

impl<T> Storage<T> for Lifo<T> {
    #[inline]
    fn push(&mut self, item: T) {
        self.items.push(item);
    }

    #[inline]
    fn pop(&mut self) -> Option<T> {
        self.items.pop()
    }

    #[inline]
    fn len(&self) -> usize {
        self.items.len()
    }
}

impl<T> fmt::Debug for Lifo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lifo")
            .field("len", &self.items.len())
            .finish()
    }
}
