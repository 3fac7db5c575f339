//! `--resume results.jsonl`: the URLs an earlier run already fetched ok.
//!
//! The set holds a 128-bit hash per URL (two independent FNV-1a
//! variants), not the URL, so resuming a million-line run costs 16 bytes
//! per URL done.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use super::output::Outcome;
use super::shard::fnv1a;
use crate::error::CliError;

/// The URLs recorded with outcome `ok` in an earlier results file.
#[derive(Debug, Default, Clone)]
pub struct Done {
    hashes: HashSet<u128>,
}

fn key(url: &str) -> u128 {
    let low = fnv1a(url.as_bytes());
    // The second half: FNV-1a of the reversed bytes, salted.
    let mut salted = Vec::with_capacity(url.len() + 1);
    salted.push(0x5a);
    salted.extend(url.bytes().rev());
    (u128::from(fnv1a(&salted)) << 64) | u128::from(low)
}

#[derive(serde::Deserialize)]
struct Line {
    url: String,
    outcome: Outcome,
}

impl Done {
    /// Reads `path`, a JSONL file written by `--output`.
    ///
    /// # Errors
    ///
    /// [`CliError::Input`] if the file cannot be read, or a line is not a
    /// result record (the error names the line).
    pub fn load(path: &Path) -> Result<Done, CliError> {
        let input = |source| CliError::Input {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(input)?;
        Done::read(BufReader::new(file)).map_err(input)
    }

    /// Reads result records from `reader`.
    ///
    /// # Errors
    ///
    /// `InvalidData` naming the first line that is not a record.
    pub fn read(reader: impl BufRead) -> io::Result<Done> {
        let mut done = Done::default();
        for (i, line) in reader.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let record: Line = serde_json::from_str(&line).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "line {} is not a result record ({e}); pass the file --output wrote",
                        i + 1
                    ),
                )
            })?;
            if record.outcome == Outcome::Ok {
                done.insert(&record.url);
            }
        }
        Ok(done)
    }

    /// Marks `url` done.
    pub fn insert(&mut self, url: &str) {
        self.hashes.insert(key(url));
    }

    /// Whether `url` was fetched ok.
    pub fn contains(&self, url: &str) -> bool {
        self.hashes.contains(&key(url))
    }

    /// How many URLs are done.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ok_urls_are_done() {
        let text = r#"{"url":"http://a/1","outcome":"ok","status":200}
{"url":"http://a/2","outcome":"failed","status":503}

{"url":"http://a/3","outcome":"skipped"}
{"url":"http://a/4","outcome":"ok"}
"#;
        let done = Done::read(text.as_bytes()).unwrap();
        assert_eq!(done.len(), 2);
        assert!(done.contains("http://a/1") && done.contains("http://a/4"));
        assert!(!done.contains("http://a/2") && !done.contains("http://a/3"));
    }

    #[test]
    fn a_corrupt_line_is_an_error_naming_it() {
        let text = "{\"url\":\"http://a/1\",\"outcome\":\"ok\"}\n{\"url\":\"http://a/2\",\"outc\n";
        let err = Done::read(text.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("line 2"), "{err}");
        let err = Done::read(&b"{\"url\":1}\n"[..]).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn a_missing_file_is_an_input_error() {
        match Done::load(Path::new("/nonexistent/ferrio/results.jsonl")) {
            Err(CliError::Input { path, .. }) => assert!(path.ends_with("results.jsonl")),
            other => panic!("{other:?}"),
        }
    }
}
