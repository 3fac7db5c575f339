//! The StreamReader's framing (`readuntil`/`readline`/`readexactly`/`read`
//! over arbitrary chunkings and limits) against asyncio's algorithm: first
//! on every input of the fuzz corpus (`fuzz/corpus/stream_framing/`), then
//! on random inputs. The fuzz target runs the same check
//! (`fuzz/fuzz_targets/stream_framing.rs`).

#[path = "support/framing_model.rs"]
mod framing_model;

use proptest::prelude::*;

#[test]
fn every_corpus_input_agrees_with_the_model() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/stream_framing");
    use framing_model::Outcome;
    let mut seen = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let input = std::fs::read(entry.unwrap().path()).unwrap();
        for outcome in framing_model::check(&framing_model::decode(&input)) {
            kinds.insert(match outcome {
                Outcome::Data(_) => "data",
                Outcome::Incomplete(_, None) => "incomplete readuntil",
                Outcome::Incomplete(_, Some(_)) => "incomplete readexactly",
                Outcome::Overrun(_, true) => "overrun, separator found",
                Outcome::Overrun(_, false) => "overrun, not found",
                Outcome::Invalid => "invalid separator",
            });
        }
        seen += 1;
    }
    assert!(seen >= 10, "the corpus has {seen} inputs");
    // The corpus reaches every outcome.
    assert_eq!(kinds.len(), 6, "{kinds:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_inputs_agree_with_the_model(input in proptest::collection::vec(any::<u8>(), 0..400)) {
        framing_model::check(&framing_model::decode(&input));
    }
}
