//! [`join!`](crate::join): await several futures of different types
//! concurrently, inside the current task.

/// Polls several futures concurrently **in the current task**, without
/// spawning, and returns the tuple of their outputs once all are done.
///
/// The futures may have different output types, may borrow from the
/// enclosing scope and need not be `'static` — the difference from
/// [`gather`](crate::combinators::gather), which runs tasks. Each operand
/// may be anything `IntoFuture`. On every wake-up of the task, each branch
/// that is not done is polled, in the order written; a finished branch is
/// never polled again.
///
/// Unlike `gather`, a panic in a branch is not caught: it unwinds through
/// the task, like any panic in it.
///
/// # Cancel safety
///
/// `join!` adds no cancellation point of its own: a cancellation request is
/// delivered to the first ferrio awaitable that a branch polls (sleep,
/// lock, queue, awaiting a task, …), in that branch, which then sees
/// `Err(Cancelled)` as usual. The other branches run on; `join!` waits for
/// all of them. To stop the others when one fails, have them share the
/// cancellation (a `TaskGroup`, or spawned tasks and `gather`).
///
/// ```
/// use std::time::Duration;
///
/// ferrio::EventLoop::builder().virtual_clock(true).build().unwrap()
///     .run_until_complete(async {
///         let t0 = ferrio::now();
///         let name = String::from("ferrio");
///         let (len, n, unit) = ferrio::join!(
///             async {
///                 ferrio::sleep(Duration::from_secs(2)).await.unwrap();
///                 name.len() // borrows from the enclosing scope
///             },
///             async {
///                 ferrio::sleep(Duration::from_secs(1)).await.unwrap();
///                 42u8
///             },
///             std::future::ready(()),
///         );
///         assert_eq!((len, n, unit), (6, 42, ()));
///         // Concurrent: two seconds in all, not three.
///         assert_eq!(ferrio::now() - t0, Duration::from_secs(2));
///     })
///     .unwrap();
/// ```
#[macro_export]
macro_rules! join {
    ($($future:expr),+ $(,)?) => {
        $crate::__join_internal!(@collect [] $($future,)+)
    };
}

/// The machinery of [`join!`]: gives each operand its own pinned future and
/// output slot. Every recursion step introduces `future` and `output`
/// afresh; macro hygiene keeps the bindings of different steps apart.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_internal {
    (@collect [$($done:tt)*] $head:expr, $($rest:expr,)*) => {
        $crate::__join_internal!(@collect [$($done)* (future output $head)] $($rest,)*)
    };
    (@collect [$(($future:ident $output:ident $e:expr))+]) => {{
        $(
            let mut $future = ::core::pin::pin!(::core::future::IntoFuture::into_future($e));
            let mut $output = ::core::option::Option::None;
        )+
        ::core::future::poll_fn(|cx| {
            let mut all_done = true;
            $(
                if $output.is_none() {
                    match ::core::future::Future::poll($future.as_mut(), cx) {
                        ::core::task::Poll::Ready(value) => $output = ::core::option::Option::Some(value),
                        ::core::task::Poll::Pending => all_done = false,
                    }
                }
            )+
            if all_done {
                ::core::task::Poll::Ready(($(
                    $output.take().expect("join!: each output is taken once"),
                )+))
            } else {
                ::core::task::Poll::Pending
            }
        })
        .await
    }};
}
