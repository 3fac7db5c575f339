//! Cancellation inside a task: the [`Cancelled`] value and how a pending
//! request is delivered at a ferrio awaitable ([`cancelled`]), and the
//! cancel scopes that let a timeout or a task group cancel a *part* of a
//! task ([`scope`]). Every awaitable of the layers above delivers
//! cancellation through here.

pub(crate) mod cancelled;
pub(crate) mod scope;

pub use cancelled::{poll_cancelled, until_cancelled, Cancelled, UntilCancelled};
