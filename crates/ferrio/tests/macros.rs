//! Behaviour of `#[ferrio::main]` and `#[ferrio::test]` against the real runtime.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

#[ferrio::test]
async fn returns_value() {
    assert_eq!(async { 2 }.await, 2);
}

#[ferrio::test]
async fn result_return_type() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = "42".parse()?;
    assert_eq!(n, 42);
    if n == 42 {
        // `return` leaves the test body, not some enclosing function.
        return Ok(());
    }
    Err("unreachable".into())
}

#[derive(Debug)]
struct MyError;

impl std::fmt::Display for MyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("my error")
    }
}

impl std::error::Error for MyError {}

async fn fails() -> Result<(), MyError> {
    Err(MyError)
}

#[ferrio::test]
async fn return_type_guides_coercions() -> Result<(), Box<dyn std::error::Error>> {
    // The declared return type is known inside the body, as in any `async fn`:
    // `Box<MyError>` coerces to `Box<dyn Error>` in a `return`.
    if let Err(err) = fails().await {
        if std::hint::black_box(false) {
            return Err(Box::new(err));
        }
    }
    Ok(())
}

#[ferrio::main]
async fn failing_main() -> Result<(), Box<dyn std::error::Error>> {
    fails().await?;
    Ok(())
}

#[test]
fn main_attribute_returns_the_error() {
    let err = failing_main().unwrap_err();
    assert_eq!(err.to_string(), "my error");
}

#[ferrio::test]
#[should_panic(expected = "boom")]
async fn panic_in_body_fails_the_test() {
    ferrio::sleep(Duration::from_millis(1)).await.unwrap();
    panic!("boom");
}

#[ferrio::test]
#[ignore = "checks that other test attributes are kept"]
async fn ignored_attribute_is_kept() {
    panic!("an #[ignore]d test must not run");
}

#[ferrio::test]
async fn inner_attributes_apply() {
    #![allow(unused_variables)]
    let unused = 1;
}

#[ferrio::test]
async fn locals_live_across_await_and_need_not_be_send() {
    // The body is a `!Send` future borrowing its own locals: fine on a
    // single-threaded loop.
    let counter = Rc::new(Cell::new(0));
    let local = vec![1, 2, 3];
    let borrowed = &local;
    for _ in 0..3 {
        ferrio::sleep(Duration::from_millis(10)).await.unwrap();
        counter.set(counter.get() + 1);
    }
    assert_eq!(borrowed.len(), 3);
    assert_eq!(counter.get(), 3);
}

#[ferrio::test]
async fn virtual_clock_is_the_default() {
    let wall = Instant::now();
    let t0 = ferrio::now();
    ferrio::sleep(Duration::from_secs(3600)).await.unwrap();
    assert!(ferrio::now() - t0 >= Duration::from_secs(3600));
    // The hour passed on the virtual clock only.
    assert!(wall.elapsed() < Duration::from_secs(60));
}

#[ferrio::test(clock = "virtual")]
async fn explicit_virtual_clock() {
    let wall = Instant::now();
    let t0 = ferrio::now();
    ferrio::sleep(Duration::from_secs(24 * 3600)).await.unwrap();
    ferrio::sleep(Duration::from_secs(24 * 3600)).await.unwrap();
    assert!(ferrio::now() - t0 >= Duration::from_secs(2 * 24 * 3600));
    assert!(wall.elapsed() < Duration::from_secs(60));
}

#[ferrio::test(clock = "real")]
async fn real_clock() {
    let wall = Instant::now();
    let t0 = ferrio::now();
    ferrio::sleep(Duration::from_millis(20)).await.unwrap();
    assert!(wall.elapsed() >= Duration::from_millis(20));
    assert!(ferrio::now() - t0 >= Duration::from_millis(20));
}

#[ferrio::test(crate = "::ferrio", clock = "real")]
async fn explicit_crate_path() {
    assert_eq!(async { "ok" }.await, "ok");
}

mod renamed {
    use ::ferrio as rt;

    #[rt::test(crate = "rt")]
    async fn under_another_name() {
        let t0 = rt::now();
        rt::sleep(std::time::Duration::from_secs(5)).await.unwrap();
        assert!(rt::now() - t0 >= std::time::Duration::from_secs(5));
    }
}

// `#[ferrio::main]` does not require the function to be called `main`: it
// turns any parameterless `async fn` into a blocking one on a fresh loop.
#[ferrio::main]
async fn blocking_compute() -> u32 {
    ferrio::sleep(Duration::from_millis(1)).await.unwrap();
    if std::hint::black_box(true) {
        // `return` leaves the body with the function's return type.
        return 42;
    }
    0
}

#[test]
fn main_attribute_runs_to_completion() {
    assert_eq!(blocking_compute(), 42);
    // Each call gets a fresh loop.
    assert_eq!(blocking_compute(), 42);
}

#[ferrio::main]
async fn blocking_result() -> Result<u32, std::num::ParseIntError> {
    let n: u32 = "5".parse()?;
    ferrio::sleep(Duration::from_millis(1)).await.unwrap();
    Ok(n * 2)
}

#[test]
fn main_attribute_with_result() {
    assert_eq!(blocking_result(), Ok(10));
}
