//! asyncio's `Future`: [`Promise`], a cell that is set once and awaited by
//! many.
//!
//! | asyncio | ferrio |
//! |---|---|
//! | `loop.create_future()` | [`Promise::new`] |
//! | `fut.set_result(v)`, `fut.set_exception(e)` | [`Promise::set_result`], [`Promise::set_exception`] (→ [`InvalidState`] if already set) |
//! | `fut.cancel(msg)`, `cancelled()`, `done()` | [`Promise::cancel_with`], [`Promise::cancelled`], [`Promise::done`] |
//! | `fut.result()`, `fut.exception()` | [`Promise::try_result`], [`Promise::exception`] |
//! | `fut.add_done_callback(cb)` | [`Promise::add_done_callback`] |
//! | `await fut` (from many tasks) | `promise.clone().await`, `(&promise).await`, [`Promise::wait`] |

mod error;
mod promise;
mod promise_wait;

pub use error::{InvalidState, PromiseError};
pub use promise::{Promise, PromiseStats};
pub use promise_wait::PromiseWait;
