//! [`Slots`]: per-loop state of the layers above the loop, kept by the
//! loop without knowing its type.
//!
//! The loop is layer 2; the default thread pool (`blocking`) and other
//! per-loop state of higher layers must live as long as their loop, yet the
//! loop may not name their types. Each keeps one value per loop here, keyed
//! by its type, created on first use; the loop only drops them, when it is
//! dropped.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::fmt;

/// One value per type, for one loop.
#[derive(Default)]
pub(crate) struct Slots {
    values: RefCell<Vec<(TypeId, Box<dyn Any>)>>,
}

impl Slots {
    /// Runs `f` on this loop's `T`, created with `T::default()` if needed.
    ///
    /// # Panics
    ///
    /// If `f` uses the slots again (nested use is not supported).
    pub(crate) fn with<T: Any + Default, R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut values = self.values.borrow_mut();
        let index = match values.iter().position(|(id, _)| *id == TypeId::of::<T>()) {
            Some(index) => index,
            None => {
                values.push((TypeId::of::<T>(), Box::new(T::default())));
                values.len() - 1
            }
        };
        let value = values[index]
            .1
            .downcast_mut::<T>()
            .expect("a slot holds the type it is keyed by");
        f(value)
    }
}

impl fmt::Debug for Slots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slots")
            .field("values", &self.values.borrow().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::Slots;

    #[test]
    fn one_value_per_type_created_on_first_use() {
        let slots = Slots::default();
        slots.with(|n: &mut u32| *n += 2);
        slots.with(|s: &mut String| s.push('x'));
        slots.with(|n: &mut u32| *n += 3);
        assert_eq!(slots.with(|n: &mut u32| *n), 5);
        assert_eq!(slots.with(|s: &mut String| s.clone()), "x");
    }
}
