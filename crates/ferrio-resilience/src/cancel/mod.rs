//! How the toolkit's combinators see and forward cancellation, using only
//! ferrio's public API.
//!
//! Every combinator here runs the caller's work *inline* (retry, the
//! breaker's `call`, a pipeline) or in child tasks (the concurrent map,
//! race, hedging). Both need the same two things:
//!
//! - **To notice its own caller being cancelled before the work inside
//!   does.** A cancellation request is delivered once, to whichever ferrio
//!   awaitable the task polls first. If the user's future took it, the
//!   combinator could not tell "the attempt failed" from "we are being
//!   cancelled" without a trait on every error type. So each combinator
//!   checks [`ferrio::task::poll_cancelled`] first, which delivers a
//!   pending cancellation to the combinator itself.
//! - **To cancel work it polls inline and wait for its cleanup.**
//!   [`Cancellable`] boxes the future and, when cancelled, moves it into a
//!   ferrio timeout whose deadline is *now*: the timeout's cancel scope
//!   delivers one `Cancelled` at the work's next await, lets its cleanup
//!   run, and reports whether the work ended by that cancellation.

mod cancellable;

pub(crate) use cancellable::{Cancellable, Finished};
pub(crate) use ferrio::task::poll_cancelled;
