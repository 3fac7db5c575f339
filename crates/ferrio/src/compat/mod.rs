//! Adapters from ferrio to other libraries' runtime traits.
//!
//! [`hyper`](mod@hyper) (the `hyper` feature): hyper 1's `rt::Read`/`rt::Write`
//! over any futures-io stream, and an `rt::Executor` on the running loop.
//! tokio's `AsyncRead`/`AsyncWrite` need no wrapper: the `tokio` feature
//! implements them on the socket types themselves.

pub mod hyper;
