//! Fuzzes the StreamReader's framing: any input decodes into a limit, a
//! chunking and a list of reads, checked against asyncio's algorithm (the
//! check shared with the proptest in
//! `crates/ferrio/tests/stream_framing_props.rs`).

#![no_main]

#[path = "../../crates/ferrio/tests/support/framing_model.rs"]
mod framing_model;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    framing_model::check(&framing_model::decode(data));
});
