//! The run: [`Fetcher`] / [`fetch_all`] fetch every URL of a source
//! concurrently, through the toolkit — `map_concurrent` for the total
//! limit and backpressure, `KeyedSemaphore` per host, `RateLimiter`,
//! `retry` with backoff, jitter and `Retry-After`, a `BreakerRegistry` per
//! host — and hand each record to the sink as it finishes.
//!
//! Memory is flat: URLs are pulled from the source only as a slot frees,
//! records leave as they finish, latencies go to a fixed histogram.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use ferrio_resilience::breaker::{BreakerConfig, BreakerRegistry};
use ferrio_resilience::concurrent::{map_concurrent, KeyedSemaphore, MapConcurrent, Order};
use ferrio_resilience::limiter::RateLimiter;
use ferrio_resilience::retry::RetryPolicy;
use futures_core::Stream;

use super::client::Client;
use super::config::FetchConfig;
use super::feed::{Feed, READ_AHEAD};
use super::input::UrlLine;
use super::interrupt::StopHandle;
use super::output::{FetchRecord, RecordSink};
use super::report::{Summary, Tally};
use super::request::{fetch_one, lost, Ctx};
use crate::error::CliError;

/// The longest backoff between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Fetches with one [`FetchConfig`] and one [`Client`] (so one keep-alive
/// pool) over any number of runs.
///
/// ```no_run
/// use ferrio_cli::fetch::{Fetcher, FetchConfig, StopHandle, UrlSource};
///
/// ferrio::run(async {
///     let fetcher = Fetcher::new(FetchConfig { concurrency: 10, ..FetchConfig::default() }).unwrap();
///     let urls = UrlSource::template("http://127.0.0.1:8080/item/{1..200}").unwrap();
///     let mut records = Vec::new();
///     let summary = fetcher.run(urls, &mut records, &StopHandle::new()).await.unwrap();
///     println!("{}", summary.render_text());
/// })
/// .unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Fetcher {
    ctx: Rc<Ctx>,
}

impl Fetcher {
    /// A fetcher for `config`.
    ///
    /// # Errors
    ///
    /// [`CliError::Usage`] if `config` does not [validate](FetchConfig::validate).
    pub fn new(config: FetchConfig) -> Result<Fetcher, CliError> {
        config.validate()?;
        let breakers = config.breaker.map(|n| {
            BreakerRegistry::new(
                BreakerConfig::default()
                    .consecutive_failures(n)
                    .cool_down(config.breaker_cooldown),
            )
        });
        // A smooth rate: one permit every 1/rate seconds, bursts of one.
        // (A rate past a billion a second is no limit: one per nanosecond.)
        let limiter = config.rate.map(|rate| {
            let every = Duration::from_secs_f64(1.0 / rate).max(Duration::from_nanos(1));
            RateLimiter::token_bucket(1, every, 1)
        });
        let policy = RetryPolicy::exponential(config.backoff.max(Duration::from_micros(1)))
            .max_attempts(config.retries + 1)
            .max_delay(MAX_BACKOFF.max(config.backoff));
        Ok(Fetcher {
            ctx: Rc::new(Ctx {
                client: Client::new(&config),
                per_host: (config.per_host_limit() < config.concurrency)
                    .then(|| KeyedSemaphore::new(config.per_host_limit())),
                breakers,
                limiter,
                policy,
                config,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &FetchConfig {
        &self.ctx.config
    }

    /// The client (its pool and counters).
    pub fn client(&self) -> &Client {
        &self.ctx.client
    }

    /// Fetches every URL of `urls`, at most `concurrency` at a time,
    /// giving each record to `sink` as it finishes, until the source ends
    /// or `stop` is pulled (then running requests get the grace period,
    /// and are cancelled after it). Malformed lines become failed records.
    ///
    /// # Errors
    ///
    /// The sink's error, if it fails (the run stops at once; what finished
    /// before it was recorded).
    ///
    /// # Cancel safety
    ///
    /// Cancelling the caller counts as pulling `stop` with no grace: the
    /// running requests are cancelled, and the summary is still returned.
    pub async fn run<I, S>(
        &self,
        urls: I,
        sink: &mut S,
        stop: &StopHandle,
    ) -> Result<Summary, CliError>
    where
        I: IntoIterator<Item = UrlLine>,
        S: RecordSink + ?Sized,
    {
        let launch = stop.clone();
        let ctx = self.ctx.clone();
        let map = map_concurrent(
            urls.into_iter().take_while(move |_| !launch.is_stopped()),
            self.ctx.config.concurrency,
            Order::Completion,
            move |line| {
                let ctx = ctx.clone();
                async move { Some(fetch_one(ctx, line).await) }
            },
        );
        self.drain(map, sink, stop).await
    }

    /// As [`run`](Self::run), but the source is read on a worker thread
    /// (`ferrio::to_thread`), a chunk at a time, into a bounded queue of
    /// [`READ_AHEAD`] lines: a slow source (a pipe on stdin, a network
    /// file system) never blocks the loop, so the requests in flight go on
    /// while it waits. What the command uses.
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    ///
    /// # Cancel safety
    ///
    /// As [`run`](Self::run); the reader thread stops at its next line.
    pub async fn run_streamed<I, S>(
        &self,
        urls: I,
        sink: &mut S,
        stop: &StopHandle,
    ) -> Result<Summary, CliError>
    where
        I: Iterator<Item = UrlLine> + Send + 'static,
        S: RecordSink + ?Sized,
    {
        let (feed, pump) = Feed::start(urls, READ_AHEAD, stop.clone());
        let more = feed.clone();
        let launch = stop.clone();
        let ctx = self.ctx.clone();
        let stopped = stop.clone();
        // Each item is a slot that takes its URL from the queue when it
        // runs; slots stop being made once the queue is shut and empty.
        let slots =
            std::iter::from_fn(move || (!launch.is_stopped() && more.has_more()).then_some(()));
        let map = map_concurrent(
            slots,
            self.ctx.config.concurrency,
            Order::Completion,
            move |()| {
                let (ctx, feed, stopped) = (ctx.clone(), feed.clone(), stopped.clone());
                async move {
                    let line = feed.next().await?;
                    if stopped.is_stopped() {
                        return None;
                    }
                    Some(fetch_one(ctx, line).await)
                }
            },
        );
        let summary = self.drain(map, sink, stop).await;
        pump.cancel();
        summary
    }

    /// Reads the map's records to the end, into the sink and the tally,
    /// watching `stop` and the grace period.
    async fn drain<I, F, Fut, S>(
        &self,
        mut map: MapConcurrent<I, F, Fut>,
        sink: &mut S,
        stop: &StopHandle,
    ) -> Result<Summary, CliError>
    where
        I: Iterator,
        F: FnMut(I::Item) -> Fut,
        Fut: Future<Output = Option<FetchRecord>> + 'static,
        S: RecordSink + ?Sized,
    {
        let start = ferrio::now();
        let stats_before = self.ctx.client.stats();
        let mut tally = Tally::new();
        let mut grace: Option<ferrio::time::Sleep> = None;
        let mut interrupted = false;
        let mut stopped = false;
        let mut failure = None;
        loop {
            let next = poll_fn(|cx| {
                if !interrupted && stop.poll_stopped(cx).is_ready() {
                    interrupted = true;
                    grace = Some(ferrio::sleep(self.ctx.config.grace));
                }
                if let Some(sleep) = grace.as_mut() {
                    if Pin::new(sleep).poll(cx).is_ready() {
                        grace = None;
                        stopped = true;
                        map.stop();
                    }
                }
                Pin::new(&mut map).poll_next(cx)
            })
            .await;
            match next {
                None => break,
                Some(Ok(None)) => {}
                Some(Ok(Some(record))) => {
                    tally.add(&record);
                    if failure.is_none() {
                        if let Err(e) = sink.record(&record) {
                            failure = Some(e);
                            stopped = true;
                            map.stop();
                        }
                    }
                }
                // Our own cancellation: stop, and drain what is left.
                Some(Err(e)) if e.is_cancelled() && !stopped => {
                    interrupted = true;
                    stopped = true;
                    grace = None;
                    map.stop();
                }
                // A slot cancelled before it took a URL lost nothing.
                Some(Err(e)) if e.is_cancelled() => {}
                Some(Err(e)) => tally.add(&lost(e)),
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        sink.finish()?;
        let after = self.ctx.client.stats();
        let connections = super::client::ClientStats {
            opened: after.opened - stats_before.opened,
            reused: after.reused - stats_before.reused,
        };
        Ok(tally.finish(ferrio::now() - start, connections, interrupted))
    }
}

/// Fetches every URL of `urls` with `config` (a new [`Fetcher`]), giving
/// each record to `sink`: the library's one-call entry, on the running
/// ferrio loop.
///
/// # Errors
///
/// As [`Fetcher::new`] and [`Fetcher::run`].
///
/// # Cancel safety
///
/// As [`Fetcher::run`]: cancelled, it cancels the requests in flight and
/// still returns the summary of what finished.
pub async fn fetch_all<I, S>(
    config: &FetchConfig,
    urls: I,
    sink: &mut S,
) -> Result<Summary, CliError>
where
    I: IntoIterator<Item = UrlLine>,
    S: RecordSink + ?Sized,
{
    Fetcher::new(config.clone())?
        .run(urls, sink, &StopHandle::new())
        .await
}
