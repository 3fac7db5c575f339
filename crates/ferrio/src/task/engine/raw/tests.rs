//! Unit tests of the raw cell: stage transitions, drops, the tracked
//! trailer, the cell's size.

use super::super::header::RUNNING;
use super::*;
use std::rc::Rc;

struct DropCount(Rc<std::cell::Cell<u32>>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// One poll, with `RUNNING` set around it as `schedule::run` does.
fn poll(raw: &RawTask) -> PollOutcome {
    raw.meta().set(RUNNING);
    let outcome = raw.poll();
    raw.meta().clear(RUNNING);
    outcome
}

/// Drops the future, with `RUNNING` set around it as `abort_now` does.
fn abort(raw: &RawTask) -> Option<Box<dyn Any + Send>> {
    raw.meta().set(RUNNING);
    let panic = raw.drop_future();
    raw.meta().clear(RUNNING);
    panic
}

#[test]
fn output_is_stored_and_dropped_once() {
    let drops = Rc::new(std::cell::Cell::new(0));
    let d = DropCount(drops.clone());
    let Allocated {
        handle,
        queued,
        live,
    } = RawTask::allocate(async move { d }, Meta::for_tests(), None);
    drop((queued, live));
    let raw = handle.raw().clone();
    assert!(matches!(poll(&raw), PollOutcome::Ready));
    assert_eq!(drops.get(), 0);
    let out: Option<DropCount> = handle.take_output();
    assert!(out.is_some());
    drop(out);
    assert_eq!(drops.get(), 1);
    assert!(matches!(poll(&raw), PollOutcome::Gone));
    drop((raw, handle));
    assert_eq!(drops.get(), 1);
}

fn single<F: Future + 'static>(future: F) -> RawTask {
    let Allocated {
        handle,
        queued,
        live,
    } = RawTask::allocate(future, Meta::for_tests(), None);
    drop((queued, live));
    handle.raw().clone()
}

#[test]
fn panicking_future_is_dropped_and_reported() {
    let drops = Rc::new(std::cell::Cell::new(0));
    let d = DropCount(drops.clone());
    let raw = single(async move {
        let _d = d;
        panic!("boom")
    });
    let PollOutcome::Panicked(payload) = poll(&raw) else {
        panic!("expected a panic")
    };
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    assert_eq!(drops.get(), 1);
}

#[test]
fn pending_future_is_dropped_once_and_the_cell_freed_by_the_last_reference() {
    let drops = Rc::new(std::cell::Cell::new(0));
    let d = DropCount(drops.clone());
    let raw = single(async move {
        let _d = d;
        std::future::pending::<()>().await
    });
    assert!(matches!(poll(&raw), PollOutcome::Pending));
    let clone = raw.clone();
    assert!(abort(&raw).is_none());
    assert_eq!(drops.get(), 1);
    assert!(abort(&raw).is_none(), "a second drop does nothing");
    assert!(matches!(poll(&raw), PollOutcome::Gone));
    drop(raw);
    drop(clone);
    assert_eq!(drops.get(), 1);
}

#[test]
fn an_output_whose_destructor_panics_is_dropped_once() {
    struct Boom(Rc<std::cell::Cell<u32>>);
    impl Drop for Boom {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
            panic!("boom");
        }
    }
    let drops = Rc::new(std::cell::Cell::new(0));
    let d = drops.clone();
    let raw = single(async move { Boom(d) });
    assert!(matches!(poll(&raw), PollOutcome::Ready));
    // No loop is registered for the test meta: the panic goes to the
    // default handler, and never unwinds out of `drop_output`.
    raw.drop_output();
    assert_eq!(drops.get(), 1);
    raw.drop_output();
    drop(raw);
    assert_eq!(drops.get(), 1, "the cell did not drop the output again");
}

#[test]
fn a_tracked_cell_keeps_its_record_and_is_freed_whole() {
    let drops = Rc::new(std::cell::Cell::new(0));
    let d = DropCount(drops.clone());
    let now = 12_345;
    let Allocated {
        handle,
        queued,
        live,
    } = RawTask::allocate(
        async move { (d, [7u8; 3]) },
        Meta::for_tests(),
        Some(Tracked::spawned_at(now)),
    );
    drop((queued, live));
    let raw = handle.raw().clone();
    let tracked = raw.tracked().expect("spawned with a record");
    assert_eq!(
        tracked.activity().spawned_at,
        Some(crate::event_loop::clock::instant_at(now))
    );
    tracked.note_wait("test");
    assert!(matches!(poll(&raw), PollOutcome::Ready));
    assert_eq!(raw.tracked().unwrap().waiting_on(), Some("test"));
    let out = handle.take_output().expect("finished");
    assert_eq!(out.1, [7; 3]);
    drop(out);
    assert_eq!(drops.get(), 1);
    drop((raw, handle));
}

/// The size of the cell of `F`'s task.
#[cfg(all(target_pointer_width = "64", not(ferrio_loom)))]
fn cell_size<F: Future>(_: &F) -> usize {
    std::mem::size_of::<Cell<F>>()
}

#[test]
#[cfg(all(target_pointer_width = "64", not(ferrio_loom)))]
fn a_task_parked_on_a_small_future_fits_a_112_byte_malloc_chunk() {
    // The memory bench's task: an `Rc` captured, parked on `pending()`.
    let counter = Rc::new(std::cell::Cell::new(0u64));
    let parked = async move {
        counter.set(counter.get() + 1);
        std::future::pending::<()>().await
    };
    // glibc's chunk is the request plus 8, rounded up to 16.
    assert_eq!(cell_size(&parked), 104);
    assert_eq!(cell_size(&async { 1u64 }), 96);
}

#[test]
fn an_untracked_cell_has_no_record() {
    let raw = single(async {});
    assert!(raw.tracked().is_none());
    assert!(matches!(poll(&raw), PollOutcome::Ready));
    raw.drop_output();
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "freed with its future or output in place")]
fn freeing_a_cell_whose_future_is_in_place_is_caught() {
    let raw = single(std::future::pending::<()>());
    drop(raw);
}
