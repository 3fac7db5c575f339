//! `map_concurrent` over 1,000,000 items in constant memory, measured by a
//! counting global allocator (its own test binary: `#[global_allocator]` is
//! per binary), with its in-flight and held bounds checked throughout.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferrio_resilience::concurrent::{map_concurrent, Order};

/// Counts live heap bytes and their peak; forwards to the system allocator.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same layout, passed through.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as given; `ptr` came from this allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ITEMS: u64 = 1_000_000;
const LIMIT: usize = 64;

#[test]
fn a_million_items_in_constant_memory_within_the_bounds() {
    let event_loop = ferrio::EventLoop::builder()
        .virtual_clock(true)
        .build()
        .unwrap();
    let (checksum, samples) = event_loop
        .run_until_complete(async {
            let running = Rc::new(Cell::new(0usize));
            let max_running = Rc::new(Cell::new(0usize));
            let (r, m) = (running.clone(), max_running.clone());
            let mut out = map_concurrent(0..ITEMS, LIMIT, Order::Input, move |i| {
                let (r, m) = (r.clone(), m.clone());
                async move {
                    r.set(r.get() + 1);
                    m.set(m.get().max(r.get()));
                    // Varied virtual durations, so completions interleave.
                    ferrio::sleep(Duration::from_micros(i % 97)).await.unwrap();
                    r.set(r.get() - 1);
                    i
                }
            });
            let mut checksum = 0u64;
            let mut expected = 0u64;
            let mut samples = Vec::new();
            while let Some(outcome) = out.next().await {
                let i = outcome.unwrap();
                assert_eq!(i, expected, "input order");
                expected += 1;
                checksum = checksum.wrapping_add(i);
                assert!(out.running() <= LIMIT && out.outstanding() <= LIMIT);
                if i % 1000 == 0 {
                    // A slow reader now and then: results pile up to the bound only.
                    ferrio::sleep(Duration::from_micros(500)).await.unwrap();
                    assert!(out.held() <= LIMIT);
                }
                if (i + 1) % 100_000 == 0 {
                    // The peak of live bytes over the last 100,000 items.
                    samples.push((
                        i + 1,
                        PEAK.swap(LIVE.load(Ordering::Relaxed), Ordering::Relaxed),
                    ));
                }
            }
            assert_eq!(expected, ITEMS);
            assert_eq!(max_running.get(), LIMIT);
            (checksum, samples)
        })
        .unwrap();
    assert_eq!(checksum, ITEMS * (ITEMS - 1) / 2);
    // After warm-up (item 100,000), live memory and the peak since then stay
    // within a small margin of the warm level: nothing grows with the input.
    eprintln!("(items read, peak live bytes over the last 100,000) = {samples:?}");
    // The first 100,000 items reach the steady state (every bound hit, every
    // buffer grown); no later stretch of 100,000 needs more: nothing grows
    // with the input. (The slack is for the allocator's own noise.)
    let warm = samples[0].1;
    for &(i, peak) in &samples[1..] {
        assert!(
            peak <= warm + 8 * 1024,
            "up to item {i}: peak {peak} bytes, {warm} in the first 100,000: memory grows with the input"
        );
    }
    // And the working set is small: 64 tasks and their bookkeeping.
    assert!(warm < 1024 * 1024, "{warm} bytes at peak");
}
