//! What each finished URL produces — a [`FetchRecord`] — and where it goes:
//! any [`RecordSink`]; the command's are [`JsonlWriter`] (`--output`) and
//! [`SaveDir`] (`--save-dir`). Records are written as they finish, so an
//! interrupted or failing run keeps every result it got.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::error::ErrorKind;
use super::shard::fnv1a;
use crate::error::CliError;

/// How a URL ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A 2xx answer.
    Ok,
    /// An error, or a status outside 2xx (after retries).
    Failed,
    /// Not sent: its host's circuit breaker was open.
    Skipped,
    /// Still running when the run was interrupted, and cancelled.
    Cancelled,
}

/// Why a URL failed, as written to `--output`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// The kind, stable for scripts (`timeout`, `connect`, `http_status`, …).
    pub kind: ErrorKind,
    /// A human message.
    pub message: String,
}

/// One finished URL: a line of `--output`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FetchRecord {
    /// The URL as given.
    pub url: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The final HTTP status, if an answer came.
    pub status: Option<u16>,
    /// Body bytes received (after decoding gzip/deflate).
    pub bytes: u64,
    /// From the first attempt's start to the end, retries included.
    pub elapsed_ms: f64,
    /// Attempts made (0 if never sent).
    pub attempts: u32,
    /// Redirects followed on the last attempt.
    pub redirects: u32,
    /// Whether the last attempt ran on a kept-alive connection.
    pub reused: bool,
    /// Why it failed (`None` when ok).
    pub error: Option<ErrorInfo>,
    /// The body (for `--save-dir`; not written to the JSONL).
    #[serde(skip)]
    pub body: Option<Bytes>,
}

/// Where finished records go, one at a time, as they finish.
pub trait RecordSink {
    /// Takes one record.
    ///
    /// # Errors
    ///
    /// An error stops the run (no new requests; the ones running are
    /// cancelled) and is returned by the engine.
    fn record(&mut self, record: &FetchRecord) -> Result<(), CliError>;

    /// Called once at the end (flush files).
    ///
    /// # Errors
    ///
    /// As [`record`](Self::record).
    fn finish(&mut self) -> Result<(), CliError> {
        Ok(())
    }
}

/// A sink that keeps nothing (the summary still counts everything).
#[derive(Debug, Default, Clone, Copy)]
pub struct Discard;

impl RecordSink for Discard {
    fn record(&mut self, _: &FetchRecord) -> Result<(), CliError> {
        Ok(())
    }
}

/// Keeps every record in memory: for tests and small runs.
impl RecordSink for Vec<FetchRecord> {
    fn record(&mut self, record: &FetchRecord) -> Result<(), CliError> {
        self.push(record.clone());
        Ok(())
    }
}

/// `--output results.jsonl`: one JSON object per line, flushed per record
/// so a killed run keeps whole lines.
#[derive(Debug)]
pub struct JsonlWriter {
    path: PathBuf,
    out: BufWriter<File>,
    line: Vec<u8>,
}

impl JsonlWriter {
    /// Creates (or truncates) `path`; with `append`, adds to it instead
    /// (what `--resume` does when it writes to its own file).
    ///
    /// # Errors
    ///
    /// [`CliError::Io`] if the file cannot be opened.
    pub fn create(path: &Path, append: bool) -> Result<JsonlWriter, CliError> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(path)
            .map_err(|e| CliError::io(format!("opening {} for the results", path.display()), e))?;
        Ok(JsonlWriter {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            line: Vec::with_capacity(512),
        })
    }
}

impl RecordSink for JsonlWriter {
    fn record(&mut self, record: &FetchRecord) -> Result<(), CliError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record).expect("a record always serialises");
        self.line.push(b'\n');
        self.out
            .write_all(&self.line)
            .and_then(|()| self.out.flush())
            .map_err(|e| CliError::io(format!("writing {}", self.path.display()), e))
    }

    fn finish(&mut self) -> Result<(), CliError> {
        self.out
            .flush()
            .map_err(|e| CliError::io(format!("writing {}", self.path.display()), e))
    }
}

/// `--save-dir DIR`: each ok body in a file named after its URL.
#[derive(Debug)]
pub struct SaveDir {
    dir: PathBuf,
}

impl SaveDir {
    /// Creates `dir` if needed.
    ///
    /// # Errors
    ///
    /// [`CliError::Io`] if it cannot be created.
    pub fn create(dir: &Path) -> Result<SaveDir, CliError> {
        fs::create_dir_all(dir)
            .map_err(|e| CliError::io(format!("creating --save-dir {}", dir.display()), e))?;
        Ok(SaveDir {
            dir: dir.to_path_buf(),
        })
    }

    /// The file name a URL's body is saved under: the URL without its
    /// scheme, every character outside `[A-Za-z0-9._-]` made `_`, cut to
    /// 100 characters, then `-` and 16 hex digits of the URL's hash (so
    /// two URLs never share a file), then `.body`.
    pub fn file_name(url: &str) -> String {
        let bare = url.split_once("://").map_or(url, |(_, rest)| rest);
        let mut name: String = bare
            .chars()
            .map(|c| match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' => c,
                _ => '_',
            })
            .take(100)
            .collect();
        // No name starts with a dot (hidden, or `..`).
        if name.starts_with('.') {
            name.insert(0, '_');
        }
        format!("{name}-{:016x}.body", fnv1a(url.as_bytes()))
    }
}

impl RecordSink for SaveDir {
    fn record(&mut self, record: &FetchRecord) -> Result<(), CliError> {
        let (Outcome::Ok, Some(body)) = (record.outcome, &record.body) else {
            return Ok(());
        };
        let path = self.dir.join(SaveDir::file_name(&record.url));
        fs::write(&path, body).map_err(|e| CliError::io(format!("saving {}", path.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(url: &str, outcome: Outcome) -> FetchRecord {
        FetchRecord {
            url: url.into(),
            outcome,
            status: Some(200),
            bytes: 2,
            elapsed_ms: 1.5,
            attempts: 1,
            redirects: 0,
            reused: true,
            error: None,
            body: Some(Bytes::from_static(b"{}")),
        }
    }

    #[test]
    fn safe_file_names() {
        let a = SaveDir::file_name("http://127.0.0.1:8080/item/1?x=../../etc");
        assert!(a.starts_with("127.0.0.1_8080_item_1_x_.._.._etc-"), "{a}");
        assert!(!a.contains('/'));
        assert_ne!(
            a,
            SaveDir::file_name("http://127.0.0.1:8080/item/1?x=../../etd")
        );
        assert!(SaveDir::file_name("http://../x").starts_with("_.."));
        assert!(SaveDir::file_name(&format!("http://h/{}", "a".repeat(500))).len() < 130);
    }

    #[test]
    fn jsonl_lines_parse_back() {
        let dir = std::env::temp_dir().join(format!("ferrio-out-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.jsonl");
        let mut w = JsonlWriter::create(&path, false).unwrap();
        w.record(&record("http://a/1", Outcome::Ok)).unwrap();
        let mut failed = record("http://a/2", Outcome::Failed);
        failed.error = Some(ErrorInfo {
            kind: ErrorKind::Timeout,
            message: "no answer within 1s".into(),
        });
        w.record(&failed).unwrap();
        drop(w);
        let mut w = JsonlWriter::create(&path, true).unwrap();
        w.record(&record("http://a/3", Outcome::Skipped)).unwrap();
        w.finish().unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["outcome"], "ok");
        assert_eq!(lines[0]["reused"], true);
        assert!(lines[0].get("body").is_none());
        assert_eq!(lines[1]["error"]["kind"], "timeout");
        assert_eq!(lines[2]["outcome"], "skipped");
        let mut save = SaveDir::create(&dir.join("bodies")).unwrap();
        save.record(&record("http://a/1", Outcome::Ok)).unwrap();
        save.record(&record("http://a/9", Outcome::Failed)).unwrap();
        let saved: Vec<_> = fs::read_dir(dir.join("bodies")).unwrap().collect();
        assert_eq!(saved.len(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
