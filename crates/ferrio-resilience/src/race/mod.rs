//! Racing futures: [`race`] (the first to finish) and [`first_ok`] (the
//! first success); see also [`hedge`](crate::hedge::hedge).
//!
//! | asyncio / JavaScript | ferrio-resilience |
//! |---|---|
//! | `Promise.race(ps)`; `done, pending = await wait(ts, return_when=FIRST_COMPLETED)`, then `for t in pending: t.cancel()` and `await gather(*pending, return_exceptions=True)` | [`race(futures)`](race) |
//! | `Promise.any(ps)` / `AggregateError` | [`first_ok(futures)`](first_ok) / [`FirstOkError::AllFailed`] |
//! | `AbortController` passed to every contender, `abort()` once one wins | built in: the losers are cancelled and their cleanup awaited |
//!
//! The contenders run as child tasks; the losers get a `Cancelled` at their
//! next await, may clean up (and await while doing so), and the combinator
//! returns only once they have finished. JavaScript cannot cancel the
//! losing promises at all, and the asyncio version is three steps that are
//! easy to get wrong (forgetting to await the cancelled tasks leaves their
//! cleanup racing the caller).

mod contest;
mod error;
mod first_finished;
mod first_ok;

pub(crate) use contest::{Contest, Next};
pub use error::{Failure, FirstOkError, RaceError};
pub use first_finished::{race, Race};
pub use first_ok::{first_ok, FirstOk};
