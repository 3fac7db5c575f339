//! Auto traits of the public types, checked at compile time.
//!
//! Loop-thread types (`Task<T>`, `TaskRef`, `Handle`, `EventLoop`, ...) must
//! be `!Send` and `!Sync`; `ThreadsafeHandle` must be `Send + Sync`; the
//! error types must be `Send + Sync + 'static + std::error::Error` so that
//! they fit in `Box<dyn Error + Send + Sync>`.
//!
//! The negative checks use the ambiguity trick of `static_assertions`
//! (written out here, no dependency): a trait gets two blanket impls, one for
//! every type and one for types implementing the trait under test. Naming
//! the trait's item with an inferred parameter compiles only if exactly one
//! impl applies, i.e. only if the type does *not* implement it.

use std::error::Error;
use std::time::Duration;

use ferrio::event_loop::{LoopClosed, LoopId};
use ferrio::task::{PanicError, TaskId};
use ferrio::{
    CallbackHandle, Cancelled, EventLoop, Handle, JoinError, RunError, Runner, SpawnError, Task,
    TaskRef, ThreadsafeHandle, TimerHandle,
};

/// Compiles only if `$t` does not implement `$trait`.
macro_rules! assert_not_impl {
    ($t:ty: $trait:path) => {
        const _: fn() = || {
            #[allow(dead_code)]
            trait AmbiguousIfImpl<A> {
                fn some_item() {}
            }
            impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
            #[allow(dead_code)]
            struct Invalid;
            impl<T: ?Sized + $trait> AmbiguousIfImpl<Invalid> for T {}
            let _ = <$t as AmbiguousIfImpl<_>>::some_item;
        };
    };
}

/// `$t` is neither `Send` nor `Sync`.
macro_rules! assert_loop_thread_only {
    ($($t:ty),* $(,)?) => {
        $(
            assert_not_impl!($t: Send);
            assert_not_impl!($t: Sync);
        )*
    };
}

// A `Task` is `!Send` whatever its output, even a `Send` one.
assert_loop_thread_only!(
    Task<()>,
    Task<u32>,
    Task<String>,
    TaskRef,
    Handle,
    EventLoop,
    Runner,
    CallbackHandle,
    TimerHandle,
);

fn assert_send_sync<T: Send + Sync>() {}
fn assert_error<T: Error + Send + Sync + 'static>() {}

#[test]
fn threadsafe_handle_is_send_and_sync() {
    assert_send_sync::<ThreadsafeHandle>();
    // ...and usable from another thread once moved there.
    let event_loop = EventLoop::new().unwrap();
    let remote = event_loop.handle().threadsafe();
    let id = event_loop.handle().id();
    let seen = std::thread::spawn(move || remote.id()).join().unwrap();
    assert_eq!(seen, id);
}

#[test]
fn sleep_and_yield_futures_are_send_so_send_futures_can_await_them() {
    assert_send_sync::<ferrio::time::Sleep>();
    assert_send_sync::<ferrio::time::YieldNow>();
    fn assert_send<T: Send>(_: &T) {}
    let fut = async {
        ferrio::sleep(Duration::from_secs(1)).await.unwrap();
        ferrio::yield_now().await.unwrap();
    };
    assert_send(&fut);
}

#[test]
fn ids_are_send_and_sync() {
    assert_send_sync::<TaskId>();
    assert_send_sync::<LoopId>();
}

#[test]
fn error_types_are_send_sync_static_errors() {
    assert_error::<Cancelled>();
    assert_error::<JoinError>();
    assert_error::<PanicError>();
    assert_error::<RunError>();
    assert_error::<SpawnError>();
    assert_error::<LoopClosed>();
}

#[test]
fn errors_cross_threads_as_boxed_dyn_error() {
    let errors: Vec<Box<dyn Error + Send + Sync>> = vec![
        Box::new(RunError::LoopClosed(LoopClosed)),
        Box::new(SpawnError::NoRunningLoop),
        Box::new(JoinError::ForeignLoop),
        Box::new(LoopClosed),
    ];
    let shown =
        std::thread::spawn(move || errors.iter().map(|e| e.to_string()).collect::<Vec<_>>())
            .join()
            .unwrap();
    assert_eq!(shown.len(), 4);
    assert!(shown.iter().all(|s| !s.is_empty()));
}

#[test]
fn a_join_error_obtained_on_the_loop_can_leave_the_loop_thread() {
    let shown = EventLoop::builder()
        .virtual_clock(true)
        .build()
        .unwrap()
        .run_until_complete(async {
            let task = ferrio::spawn(async {
                ferrio::sleep(std::time::Duration::from_secs(1)).await?;
                Ok::<(), Cancelled>(())
            });
            ferrio::yield_now().await.unwrap();
            task.cancel_with("sent away");
            let err: JoinError = task.await.unwrap_err();
            // Handed to another thread (e.g. a reporting thread) and back.
            std::thread::spawn(move || err.to_string()).join().unwrap()
        })
        .unwrap();
    assert_eq!(shown, "cancelled: sent away");
}

// The primitives are single-threaded (Cell/RefCell): never shared across
// threads. (A fresh `Lock` may be moved to another thread's loop: `Send`
// is harmless, since waiting borrows it.)
assert_not_impl!(ferrio::sync::Lock: Sync);
assert_not_impl!(ferrio::sync::Event: Sync);
assert_not_impl!(ferrio::sync::Semaphore: Sync);
// Shared handles (Rc inside) stay on their thread.
assert_loop_thread_only!(
    ferrio::queue::Queue<u32>,
    ferrio::TaskGroup<()>,
    ferrio::future::Promise<u32>,
);

#[test]
fn cross_thread_types_are_send() {
    assert_send_sync::<ferrio::blocking::ThreadPool>();
    assert_send_sync::<ferrio::submit::Submitted<u32>>();
    fn assert_send<T: Send>() {}
    assert_send::<ferrio::blocking::Offload<u32>>();
    assert_error::<ferrio::blocking::BlockingError>();
    assert_error::<ferrio::submit::SubmitError>();
    assert_error::<ferrio::TimeoutError>();
}
