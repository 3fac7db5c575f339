//! The StreamReader framing check shared by the fuzz target
//! (`fuzz/fuzz_targets/stream_framing.rs`) and the proptest
//! (`tests/stream_framing_props.rs`): a byte string decodes into a limit,
//! a chunking of some data and a list of reads; the reads run on a real
//! `StreamReader` (pulling one chunk per transport read) and on a model —
//! asyncio's algorithm, written plainly over a `Vec` — and must agree on
//! every result, on what stays buffered, and on a bound on memory.

#![allow(dead_code)]

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferrio::stream::{ReadError, StreamReader};

/// One read.
#[derive(Debug, Clone)]
pub enum Op {
    Readline,
    Readuntil(Vec<u8>),
    ReaduntilAny(Vec<Vec<u8>>),
    Readexactly(usize),
    Read(usize),
}

/// A decoded case.
#[derive(Debug, Clone)]
pub struct Case {
    pub limit: usize,
    pub chunks: Vec<Vec<u8>>,
    pub ops: Vec<Op>,
    /// Make the transport return `Pending` before each chunk.
    pub pending_first: bool,
}

/// What a read gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Data(Vec<u8>),
    Incomplete(Vec<u8>, Option<usize>),
    Overrun(usize, bool),
    Invalid,
}

/// A small alphabet makes separators appear often.
const ALPHABET: &[u8] = b"ab\n\rxy";

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
}

fn sep(b: &mut Bytes<'_>) -> Vec<u8> {
    let len = b.next().unwrap_or(0) % 4; // 0 (invalid) ..= 3
    (0..len)
        .map(|_| ALPHABET[b.next().unwrap_or(0) as usize % ALPHABET.len()])
        .collect()
}

/// Decodes any byte string into a case (total: every input is a case).
pub fn decode(input: &[u8]) -> Case {
    let mut b = Bytes(input);
    let limit = 1 + b.next().unwrap_or(16) as usize % 40;
    let pending_first = b.next().unwrap_or(0) & 1 == 1;
    let n_ops = 1 + b.next().unwrap_or(0) as usize % 8;
    let mut ops = Vec::new();
    for _ in 0..n_ops {
        let op = match b.next().unwrap_or(0) % 5 {
            0 => Op::Readline,
            1 => Op::Readuntil(sep(&mut b)),
            2 => {
                let n = b.next().unwrap_or(0) % 4;
                Op::ReaduntilAny((0..n).map(|_| sep(&mut b)).collect())
            }
            3 => Op::Readexactly(b.next().unwrap_or(0) as usize % 64),
            _ => Op::Read(b.next().unwrap_or(0) as usize % 64),
        };
        ops.push(op);
    }
    // The rest is data, cut into chunks by a length byte each.
    let mut chunks = Vec::new();
    while let Some(len) = b.next() {
        let len = 1 + len as usize % 24;
        let chunk: Vec<u8> = (0..len)
            .map_while(|_| b.next())
            .map(|x| ALPHABET[x as usize % ALPHABET.len()])
            .collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    Case {
        limit,
        chunks,
        ops,
        pending_first,
    }
}

/// A transport that yields one chunk per read, then EOF.
struct Chunked {
    chunks: std::collections::VecDeque<Vec<u8>>,
    pending_first: bool,
    pended: bool,
}

impl futures_io::AsyncRead for Chunked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.pending_first && !self.pended {
            self.pended = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.pended = false;
        match self.chunks.pop_front() {
            None => Poll::Ready(Ok(0)),
            Some(chunk) => {
                assert!(
                    chunk.len() <= buf.len(),
                    "the reader offers room for a chunk"
                );
                buf[..chunk.len()].copy_from_slice(&chunk);
                Poll::Ready(Ok(chunk.len()))
            }
        }
    }
}

impl futures_io::AsyncWrite for Chunked {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// asyncio's algorithm over a plain buffer, pulling one chunk per wait.
struct Model {
    buf: Vec<u8>,
    chunks: std::collections::VecDeque<Vec<u8>>,
    eof: bool,
    limit: usize,
}

impl Model {
    /// `_wait_for_data`: the next chunk, or EOF.
    fn wait(&mut self) {
        match self.chunks.pop_front() {
            Some(c) => self.buf.extend_from_slice(&c),
            None => self.eof = true,
        }
    }

    fn readuntil(&mut self, seps: &[Vec<u8>]) -> Outcome {
        let mut seps: Vec<&[u8]> = seps.iter().map(|s| s.as_slice()).collect();
        seps.sort_by_key(|s| s.len());
        if seps.is_empty() || seps[0].is_empty() {
            return Outcome::Invalid;
        }
        let (min, max) = (seps[0].len(), seps[seps.len() - 1].len());
        let mut offset = 0usize;
        loop {
            let buflen = self.buf.len();
            if buflen >= offset + min {
                let mut best: Option<(usize, usize)> = None;
                for s in &seps {
                    if let Some(i) = self.buf[offset..].windows(s.len()).position(|w| w == *s) {
                        let (start, end) = (offset + i, offset + i + s.len());
                        if best.is_none_or(|(_, e)| end < e) {
                            best = Some((start, end));
                        }
                    }
                }
                if let Some((start, end)) = best {
                    if start > self.limit {
                        return Outcome::Overrun(start, true);
                    }
                    return Outcome::Data(self.buf.drain(..end).collect());
                }
                offset = (buflen + 1).saturating_sub(max);
                if offset > self.limit {
                    return Outcome::Overrun(offset, false);
                }
            }
            if self.eof {
                return Outcome::Incomplete(std::mem::take(&mut self.buf), None);
            }
            self.wait();
        }
    }

    fn run(&mut self, op: &Op) -> Outcome {
        match op {
            Op::Readuntil(s) => self.readuntil(std::slice::from_ref(s)),
            Op::ReaduntilAny(s) => self.readuntil(s),
            Op::Readline => match self.readuntil(&[b"\n".to_vec()]) {
                Outcome::Incomplete(p, _) => Outcome::Data(p),
                Outcome::Overrun(consumed, found) => {
                    if self.buf[consumed.min(self.buf.len())..].starts_with(b"\n") {
                        self.buf.drain(..consumed + 1);
                    } else {
                        self.buf.clear();
                    }
                    Outcome::Overrun(consumed, found)
                }
                other => other,
            },
            Op::Readexactly(n) => {
                if *n == 0 {
                    return Outcome::Data(Vec::new());
                }
                while self.buf.len() < *n {
                    if self.eof {
                        return Outcome::Incomplete(std::mem::take(&mut self.buf), Some(*n));
                    }
                    self.wait();
                }
                Outcome::Data(self.buf.drain(..*n).collect())
            }
            Op::Read(n) => {
                if *n == 0 {
                    return Outcome::Data(Vec::new());
                }
                while self.buf.is_empty() && !self.eof {
                    self.wait();
                }
                let n = (*n).min(self.buf.len());
                Outcome::Data(self.buf.drain(..n).collect())
            }
        }
    }
}

fn outcome(r: Result<Vec<u8>, ReadError>) -> Outcome {
    match r {
        Ok(d) => Outcome::Data(d),
        Err(ReadError::IncompleteRead(e)) => Outcome::Incomplete(e.partial, e.expected),
        Err(ReadError::LimitOverrun(e)) => Outcome::Overrun(e.consumed, e.separator_found),
        Err(ReadError::InvalidSeparator) => Outcome::Invalid,
        Err(e) => panic!("unexpected read error {e:?}"),
    }
}

async fn real_op(reader: &mut StreamReader, op: &Op) -> Outcome {
    outcome(match op {
        Op::Readline => reader.readline().await,
        Op::Readuntil(s) => reader.readuntil(s).await,
        Op::ReaduntilAny(s) => reader.readuntil_any(s).await,
        Op::Readexactly(n) => reader.readexactly(*n).await,
        Op::Read(n) => reader.read(*n).await,
    })
}

/// Runs `case` on a real reader and on the model; panics on any
/// disagreement. Returns the outcomes.
pub fn check(case: &Case) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let event_loop = ferrio::EventLoop::builder()
        .virtual_clock(true)
        .build()
        .unwrap();
    event_loop
        .run_until_complete(async {
            let source = Chunked {
                chunks: case.chunks.iter().cloned().collect(),
                pending_first: case.pending_first,
                pended: false,
            };
            let (mut reader, _writer) = ferrio::stream::from_io(source, case.limit);
            let mut model = Model {
                buf: Vec::new(),
                chunks: case.chunks.iter().cloned().collect(),
                eof: false,
                limit: case.limit,
            };
            let longest_chunk = case.chunks.iter().map(Vec::len).max().unwrap_or(0);
            for (i, op) in case.ops.iter().enumerate() {
                let got = real_op(&mut reader, op).await;
                let want = model.run(op);
                assert_eq!(got, want, "op {i} {op:?} of {case:?}");
                outcomes.push(got);
                assert_eq!(
                    reader.buffered(),
                    model.buf,
                    "buffer after op {i} {op:?} of {case:?}"
                );
                // Memory stays bounded by what the reads needed, not by
                // what the peer sent.
                let needed = case.limit + 4 + 64 + longest_chunk;
                assert!(
                    reader.buffer_capacity() <= 2 * (needed + 64 * 1024),
                    "buffer grew to {} for {case:?}",
                    reader.buffer_capacity()
                );
            }
        })
        .unwrap();
    outcomes
}
