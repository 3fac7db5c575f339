//! `ferrio fetch`: many URLs, concurrently, with limits, retries, a
//! per-host circuit breaker, a progress bar and a report of what failed.
//!
//! The command follows ripgrep's shape: [`FetchArgs`] (clap) is validated
//! into a [`Command`], which runs a [`Fetcher`]. The library part is what
//! `ferrio demo` and the tests call directly, on any ferrio loop (the
//! virtual clock included):
//!
//! - [`FetchConfig`]: how to fetch (limits, timeouts, retries, breaker,
//!   request), with defaults;
//! - [`UrlSource`] / [`UrlLine`]: what to fetch, streamed;
//! - [`fetch_all`] or [`Fetcher::run`] (or [`Fetcher::run_streamed`],
//!   which reads a slow source off the loop): the run, giving each
//!   [`FetchRecord`] to a [`RecordSink`] as it finishes and returning a
//!   [`Summary`] (counts, failures by reason, percentiles, throughput,
//!   retries, connections), which renders as text or JSON.
//!
//! ```no_run
//! use ferrio_cli::fetch::{fetch_all, FetchConfig, UrlSource};
//!
//! ferrio::run(async {
//!     let urls = UrlSource::template("http://127.0.0.1:8080/item/{1..200}").unwrap();
//!     let mut records = Vec::new();
//!     let summary = fetch_all(&FetchConfig::default(), urls, &mut records).await.unwrap();
//!     assert_eq!(summary.ok as usize, records.len());
//!     print!("{}", summary.render_text());
//! })
//! .unwrap();
//! ```

mod args;
mod client;
mod command;
mod config;
mod decode;
mod engine;
mod error;
mod feed;
mod histogram;
mod input;
mod interrupt;
mod output;
mod pool;
mod progress;
mod report;
mod request;
mod resume;
mod shard;
mod stream_io;
mod template;

pub use args::{FetchArgs, LimitArgs, OutputArgs, RequestArgs};
pub use client::{Client, ClientStats, Response};
#[cfg(feature = "tls")]
pub use command::trust_only;
pub use command::{run, Command, Input};
pub use config::{parse_header, parse_method, FetchConfig, MAX_RETRIES};
pub use engine::{fetch_all, Fetcher};
pub use error::{ErrorKind, FetchError};
pub use feed::{CHUNK, READ_AHEAD};
pub use histogram::Histogram;
pub use input::{check_url, UrlLine, UrlSource, MAX_LINE};
pub use interrupt::{watch_ctrl_c, StopHandle};
pub use output::{Discard, ErrorInfo, FetchRecord, JsonlWriter, Outcome, RecordSink, SaveDir};
pub use progress::Progress;
pub use report::{Connections, FailureGroup, Latency, Summary, Tally, EXAMPLES_PER_REASON};
pub use resume::Done;
pub use shard::{fnv1a, Shard};
pub use stream_io::StreamPairIo;
