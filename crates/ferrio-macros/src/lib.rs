//! Procedural macros for the [ferrio] async runtime: [`#[ferrio::main]`](macro@main)
//! and [`#[ferrio::test]`](macro@test).
//!
//! Do not depend on this crate directly; use the re-exports `ferrio::main` and
//! `ferrio::test`. Both attributes turn an `async fn` into a plain function
//! that runs the original body as the main task of a fresh event loop, the way
//! Python's `asyncio.run` does.
//!
//! [ferrio]: https://docs.rs/ferrio

#![forbid(unsafe_code)]
#![warn(missing_docs, rust_2018_idioms, unreachable_pub)]

mod args;
mod entry;

use proc_macro::TokenStream;

/// Runs an `async fn` as the program's entry point, like `asyncio.run(main())`.
///
/// The function is rewritten into an ordinary function that creates a fresh
/// event loop on the real clock and runs the body on it as the main task
/// until it completes. Attributes, visibility and the return type are kept,
/// so `main` may return anything `main` can return, such as
/// `Result<(), Box<dyn std::error::Error>>`, and `return` and `?` work in the
/// body as usual.
///
/// If the event loop fails, the error is printed and the process exits with
/// status 1. A panic in the body propagates out of `main`.
///
/// ```ignore
/// use std::time::Duration;
///
/// #[ferrio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     ferrio::sleep(Duration::from_millis(10)).await?;
///     println!("hello after 10ms");
///     Ok(())
/// }
/// ```
///
/// expands to
///
/// ```ignore
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     async fn main() -> Result<(), Box<dyn std::error::Error>> {
///         ferrio::sleep(Duration::from_millis(10)).await?;
///         println!("hello after 10ms");
///         Ok(())
///     }
///     ::ferrio::__private::block_on_main(main())
/// }
/// ```
///
/// The original `async fn` is kept as it was, nested in the generated
/// function, so the body means exactly what it meant before, down to
/// `return Err(Box::new(MyError))` coercing to the declared return type.
///
/// The function does not have to be called `main`; any parameterless,
/// non-generic `async fn` can be turned into a blocking one this way.
///
/// # Arguments
///
/// - `crate = "path"`: the path of the ferrio crate, for when it is not
///   reachable as `::ferrio` (it was renamed or is re-exported by another
///   crate). Defaults to `"::ferrio"`.
///
/// ```ignore
/// #[my_framework::ferrio::main(crate = "my_framework::ferrio")]
/// async fn main() {}
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::main(args.into(), item.into()).into()
}

/// Marks an `async fn` as a test that runs on a fresh ferrio event loop.
///
/// The function becomes an ordinary `#[test]` function that runs the body as
/// the main task of a new event loop. By default the loop uses ferrio's
/// *virtual clock*: time is paused and jumps forward whenever every task is
/// waiting on a timer, so `sleep(Duration::from_secs(3600))` completes
/// instantly while `ferrio::now()` still advances by an hour. Tests never
/// wait on the wall clock unless they ask for it.
///
/// The test fails if the body panics or if the event loop fails. Other test
/// attributes (`#[should_panic]`, `#[ignore]`, ...) are kept. Do not add
/// `#[test]` yourself: it is added for you.
///
/// ```ignore
/// use std::time::Duration;
///
/// #[ferrio::test]
/// async fn sleeping_an_hour_takes_no_time() {
///     let start = ferrio::now();
///     ferrio::sleep(Duration::from_secs(3600)).await.unwrap();
///     assert!(ferrio::now() - start >= Duration::from_secs(3600));
/// }
///
/// #[ferrio::test]
/// async fn may_return_a_result() -> Result<(), Box<dyn std::error::Error>> {
///     ferrio::sleep(Duration::from_millis(5)).await?;
///     Ok(())
/// }
/// ```
///
/// The first test above expands to
///
/// ```ignore
/// #[::core::prelude::v1::test]
/// fn sleeping_an_hour_takes_no_time() {
///     async fn sleeping_an_hour_takes_no_time() {
///         let start = ferrio::now();
///         ferrio::sleep(Duration::from_secs(3600)).await.unwrap();
///         assert!(ferrio::now() - start >= Duration::from_secs(3600));
///     }
///     // `true`: the virtual clock.
///     ::ferrio::__private::block_on_test(sleeping_an_hour_takes_no_time(), true)
/// }
/// ```
///
/// # Arguments
///
/// - `clock = "virtual"` (the default) or `clock = "real"`: the clock the
///   event loop runs on. Use the real clock for tests that wait on actual I/O
///   or on other threads.
/// - `crate = "path"`: the path of the ferrio crate, for when it is not
///   reachable as `::ferrio`; for example `crate = "crate"` in ferrio's own
///   unit tests.
///
/// ```ignore
/// #[ferrio::test(clock = "real")]
/// async fn talks_to_a_real_socket() {
///     // ...
/// }
///
/// // Inside the ferrio crate itself:
/// #[crate::test(crate = "crate")]
/// async fn internal() {}
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::test(args.into(), item.into()).into()
}
