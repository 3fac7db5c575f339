//! [`MockArgs`]: the raw flags of `ferrio serve-mock`, and their
//! validation into a [`MockConfig`].

use std::time::Duration;

use super::config::{default_burst, MockConfig, RateLimit};
use crate::error::CliError;
use crate::units::{
    parse_duration, parse_duration_range, parse_fraction, parse_rate, DurationRange,
};

const EXAMPLES: &str = "\
Examples:
  ferrio serve-mock                              # well-behaved, on port 8080
  ferrio serve-mock --port 0                     # a free port, printed on the first line
  ferrio serve-mock --latency 50..300ms --fail-rate 0.05 --seed 1
  ferrio serve-mock --rate-limit 20/s --status 503 --max-connections 10

Paths:
  GET /item/{id}        {\"id\":id,\"name\":\"item {id}\"} (subject to --fail-rate)
  GET /status/{code}    that status; 429 and 503 carry Retry-After: 1
  GET /flaky/{k}/{id}   503 for the first k requests of (k, id), then the item
  GET /redirect/{N}     302 to /redirect/{N-1}; 200 at 0
  GET /reset            the connection is reset, no response
  GET /hang             no response, ever
  GET /bytes/{N}        N bytes (at most 64 MiB)
  GET /gzip/{id}        the item, gzip-compressed (also /deflate/{id})
  GET /blocking/{ms}    blocks the server's event loop for ms (at most 10000)
  ANY /echo             the request as JSON
  GET /_stats           the server's counters as JSON

The first line on standard output is `listening on http://127.0.0.1:PORT`.
Ctrl-C stops accepting, lets requests in flight finish and exits 0.";

/// Raw arguments of `ferrio serve-mock`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct MockArgs {
    /// Port to listen on, on 127.0.0.1 only (0: a free port).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// Wait before each answer: 200ms, or a range drawn per request, 50..300ms.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_range, default_value = "0ms")]
    pub latency: DurationRange,

    /// Fraction of /item requests that fail with --status, e.g. 0.05 or 5%.
    #[arg(long, value_name = "FRACTION", value_parser = parse_fraction, default_value_t = 0.0)]
    pub fail_rate: f64,

    /// Status of the failures --fail-rate injects (400 to 599).
    #[arg(long, value_name = "CODE", default_value_t = 500)]
    pub status: u16,

    /// Stream bodies in 4 chunks, the latency spread over the pauses between them.
    #[arg(long)]
    pub slow_body: bool,

    /// Answer 429 with Retry-After above this rate, e.g. 20/s or 600/m.
    #[arg(long, value_name = "N/s", value_parser = parse_rate)]
    pub rate_limit: Option<f64>,

    /// Requests --rate-limit lets through at once after a pause (default: one second's worth).
    #[arg(long, value_name = "N", requires = "rate_limit")]
    pub burst: Option<u32>,

    /// At most N connections open at once; while at the limit the server
    /// stops accepting and new connections wait in the listen backlog.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,

    /// Seed for the latency and failure draws: the same seed fails the same requests.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// How long Ctrl-C lets requests in flight finish.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "2s")]
    pub shutdown_grace: Duration,

    /// Print one line per request to standard error.
    #[arg(long, short)]
    pub verbose: bool,
}

impl TryFrom<MockArgs> for MockConfig {
    type Error = CliError;

    fn try_from(args: MockArgs) -> Result<MockConfig, CliError> {
        let config = MockConfig {
            port: args.port,
            latency: args.latency,
            fail_rate: args.fail_rate,
            fail_status: args.status,
            slow_body: args.slow_body,
            rate_limit: args.rate_limit.map(|per_second| RateLimit {
                per_second,
                burst: args.burst.unwrap_or_else(|| default_burst(per_second)),
            }),
            max_connections: args.max_connections,
            seed: args.seed,
            shutdown_grace: args.shutdown_grace,
            verbose: args.verbose,
        };
        config
            .validate()
            .map_err(|e| CliError::Usage(e.to_string()))?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: MockArgs,
    }

    fn parse(argv: &[&str]) -> Result<MockConfig, String> {
        let wrapper =
            Wrapper::try_parse_from(std::iter::once("serve-mock").chain(argv.iter().copied()))
                .map_err(|e| e.to_string())?;
        MockConfig::try_from(wrapper.args).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.port, 8080);
        assert_eq!(config.fail_status, 500);
        assert_eq!(config.latency.high, Duration::ZERO);
        assert!(config.rate_limit.is_none());
    }

    #[test]
    fn every_flag() {
        let config = parse(&[
            "--port",
            "0",
            "--latency",
            "50..300ms",
            "--fail-rate",
            "5%",
            "--status",
            "503",
            "--slow-body",
            "--rate-limit",
            "20/s",
            "--burst",
            "5",
            "--max-connections",
            "3",
            "--seed",
            "9",
            "--shutdown-grace",
            "1s",
            "-v",
        ])
        .unwrap();
        assert_eq!(config.port, 0);
        assert_eq!(config.latency.low, Duration::from_millis(50));
        assert_eq!(config.latency.high, Duration::from_millis(300));
        assert_eq!(config.fail_rate, 0.05);
        assert_eq!(config.fail_status, 503);
        assert!(config.slow_body && config.verbose);
        assert_eq!(
            config.rate_limit,
            Some(RateLimit {
                per_second: 20.0,
                burst: 5
            })
        );
        assert_eq!(config.max_connections, Some(3));
        assert_eq!(config.seed, Some(9));
        assert_eq!(config.shutdown_grace, Duration::from_secs(1));
    }

    #[test]
    fn the_burst_defaults_to_a_second_of_the_rate() {
        let config = parse(&["--rate-limit", "600/m"]).unwrap();
        assert_eq!(config.rate_limit.unwrap().burst, 10);
    }

    #[test]
    fn bad_flags_say_what_to_write() {
        assert!(parse(&["--latency", "fast"])
            .unwrap_err()
            .contains("not a duration"));
        assert!(parse(&["--fail-rate", "2"])
            .unwrap_err()
            .contains("outside 0..1"));
        assert!(parse(&["--status", "200"])
            .unwrap_err()
            .contains("400 to 599"));
        assert!(parse(&["--max-connections", "0"])
            .unwrap_err()
            .contains("at least 1"));
        assert!(parse(&["--burst", "3"]).is_err());
        assert!(parse(&["--rate-limit", "0/s"])
            .unwrap_err()
            .contains("above zero"));
    }
}
