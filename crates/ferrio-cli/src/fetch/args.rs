//! The raw command line of `ferrio fetch`, as clap parses it. Checking
//! what the values mean together is [`super::command`]'s job.

use std::path::PathBuf;
use std::time::Duration;

use clap::ArgGroup;

use crate::units::{parse_duration, parse_rate};

const EXAMPLES: &str = "\
Examples:
  # 200 items from a local API, 20 at a time, a summary at the end
  ferrio fetch --url-template 'http://127.0.0.1:8080/item/{1..200}' -c 20

  # a list of URLs (one per line, # comments), results as JSON lines
  ferrio fetch urls.txt --output results.jsonl --save-dir bodies/

  # flaky API: 3 retries with backoff, 5 failures in a row open a host's breaker
  ferrio fetch urls.txt --retries 3 --breaker 5 --timeout 2s --rate 50/s

  # a huge list split over 4 machines; run K=1..4 on each, resume after a crash
  ferrio fetch urls.txt --shard 2/4 --output part2.jsonl
  ferrio fetch urls.txt --shard 2/4 --resume part2.jsonl

  # an internal HTTPS API with its own certificate authority
  ferrio fetch --url-template 'https://api.internal:8443/v1/users/{1..500}' --cacert ca.pem

  # POST JSON, read the URLs from stdin, print the summary as JSON
  cat urls.txt | ferrio fetch - -X POST -H 'Content-Type: application/json' --data '{\"q\":1}' --json

Exit codes: 0 all ok, 1 some failed or skipped, 2 an error that stopped the command (usage, unreadable input, unwritable output), 130 interrupted (Ctrl-C).";

/// Raw arguments of `ferrio fetch`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = EXAMPLES,
    group(ArgGroup::new("source").required(true).args(["input", "url_template"]))
)]
pub struct FetchArgs {
    /// A file of URLs, one per line (blank lines and # comments skipped), or - for stdin.
    pub input: Option<PathBuf>,

    /// Generate the URLs: each {LOW..HIGH} range expands, e.g. 'http://127.0.0.1:8080/item/{1..200}'.
    #[arg(long, value_name = "TEMPLATE")]
    pub url_template: Option<String>,

    /// Limits, timeouts, retries and the breaker.
    #[command(flatten, next_help_heading = "Limits")]
    pub limits: Box<LimitArgs>,

    /// The request.
    #[command(flatten, next_help_heading = "Request")]
    pub request: Box<RequestArgs>,

    /// What to write, and which URLs to take.
    #[command(flatten, next_help_heading = "Output")]
    pub output: Box<OutputArgs>,
}

/// Limits, timeouts, retries and the breaker (boxed in [`FetchArgs`]).
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Requests in flight at most.
    #[arg(short = 'c', long, default_value_t = 50, value_name = "N")]
    pub concurrency: usize,

    /// Requests in flight at most per host [default: --concurrency].
    #[arg(long, value_name = "N")]
    pub per_host: Option<usize>,

    /// Requests per second at most, retries included, e.g. 100/s or 600/m.
    #[arg(long, value_parser = parse_rate, value_name = "N/s")]
    pub rate: Option<f64>,

    /// Time limit to open a connection.
    #[arg(long, value_parser = parse_duration, default_value = "10s", value_name = "DURATION")]
    pub connect_timeout: Duration,

    /// Time limit of each attempt, from sending to the last byte of the body.
    #[arg(long, value_parser = parse_duration, default_value = "30s", value_name = "DURATION")]
    pub timeout: Duration,

    /// Retries after a connect error, a timeout, a 429 or a 5xx (exponential backoff with jitter; Retry-After honoured).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub retries: u32,

    /// The first retry's delay before jitter (doubling after, up to 10s).
    #[arg(long, value_parser = parse_duration, default_value = "100ms", value_name = "DURATION")]
    pub backoff: Duration,

    /// Seed for the backoff jitter, for reproducible runs.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Per-host circuit breaker: after N failures in a row, skip that host's URLs for --breaker-cooldown.
    #[arg(long, value_name = "N")]
    pub breaker: Option<u32>,

    /// How long an open breaker skips its host before one trial request.
    #[arg(long, value_parser = parse_duration, default_value = "10s", value_name = "DURATION")]
    pub breaker_cooldown: Duration,

    /// After Ctrl-C, how long requests in flight may finish before they are cancelled.
    #[arg(long, value_parser = parse_duration, default_value = "5s", value_name = "DURATION")]
    pub grace: Duration,
}

/// The request (boxed in [`FetchArgs`]).
#[derive(Debug, Clone, clap::Args)]
pub struct RequestArgs {
    /// Redirects followed at most.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub max_redirects: u32,

    /// An extra request header, 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// The request method [default: GET, or POST with --data].
    #[arg(short = 'X', long = "method", value_name = "METHOD")]
    pub method: Option<String>,

    /// The request body; @FILE reads it from a file.
    #[arg(long, value_name = "DATA")]
    pub data: Option<String>,

    /// Trust the certificates in this PEM file for https (instead of Mozilla's roots).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
}

/// What to write, and which URLs to take (boxed in [`FetchArgs`]).
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Write one JSON line per finished URL to this file, as each finishes.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Save each successful body in DIR (file names made safe from the URL).
    #[arg(long, value_name = "DIR")]
    pub save_dir: Option<PathBuf>,

    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// Skip the URLs recorded ok in FILE (from --output) and append the new results to --output (default: FILE).
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,

    /// Fetch only slice K of N (1 <= K <= N), chosen by a stable hash of each URL.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
}
