//! Stress: a task dump at depth 1,000,000 — a chain of a million tasks,
//! each awaiting the one it spawned — is built, cloned, formatted,
//! serialised and dropped without recursion, in linear space.
//!
//! The depth is the one the dump must survive, so it is not reduced: this
//! is the slowest of the stress tests, about 10 s in a debug build on 2
//! cores (half of it the loop running the million tasks, half formatting a
//! million lines of text and of JSON).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use ferrio::debug::{self, TaskDump};
use ferrio::EventLoop;

const DEPTH: usize = 1_000_000;

type Slot = Rc<RefCell<Option<TaskDump>>>;

/// One task of the chain: spawns the next and awaits it; the innermost
/// takes the dump.
fn link(left: usize, out: Slot) -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async move {
        if left == 0 {
            *out.borrow_mut() = Some(debug::dump());
        } else {
            ferrio::spawn(link(left - 1, out)).await.unwrap();
        }
    })
}

#[test]
fn a_dump_at_depth_one_million() {
    let out: Slot = Rc::default();
    let o = out.clone();
    EventLoop::builder()
        .virtual_clock(true)
        .build()
        .unwrap()
        .run_until_complete(async move { ferrio::spawn(link(DEPTH - 1, o)).await.unwrap() })
        .unwrap();
    let dump = out.borrow_mut().take().unwrap();
    assert_eq!(dump.len(), DEPTH + 1, "the main task and the chain");
    assert_eq!(dump.roots().len(), 1);

    let copy = dump.clone();
    assert_eq!(copy.len(), dump.len());
    drop(copy);

    let text = dump.to_string();
    assert_eq!(text.lines().count(), DEPTH + 1);
    assert!(
        text.len() < 200 * (DEPTH + 1),
        "{} bytes of text",
        text.len()
    );
    let last = text.lines().last().unwrap();
    assert!(last.contains(&format!("(depth {DEPTH}) [")), "{last}");
    drop(text);

    let json = dump.to_json();
    assert!(
        json.len() < 400 * (DEPTH + 1),
        "{} bytes of JSON",
        json.len()
    );
    assert!(json.starts_with(&format!("{{\"task_count\":{},\"tasks\":[", DEPTH + 1)));
    let tail = &json[json.rfind("{\"id\":").unwrap()..];
    assert!(tail.contains(&format!("\"depth\":{DEPTH},")), "{tail}");
    drop(json);
    drop(dump);
}
