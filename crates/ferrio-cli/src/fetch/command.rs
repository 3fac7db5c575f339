//! The `ferrio fetch` command: raw [`FetchArgs`] validated into a
//! [`Command`], then run on a ferrio loop whose Ctrl-C is ours.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::PathBuf;

use bytes::Bytes;

use super::args::FetchArgs;
use super::config::{parse_header, parse_method, FetchConfig};
use super::engine::Fetcher;
use super::error::ErrorKind;
use super::input::{UrlLine, UrlSource};
use super::interrupt::{watch_ctrl_c, StopHandle};
use super::output::{FetchRecord, JsonlWriter, RecordSink, SaveDir};
use super::progress::Progress;
use super::resume::Done;
use super::shard::Shard;
use crate::error::CliError;

/// Malformed input lines named on stderr, at most (all are in the report).
const MALFORMED_WARNINGS: u64 = 20;

/// Where the URLs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file.
    File(PathBuf),
    /// Standard input.
    Stdin,
    /// A `--url-template`.
    Template(String),
}

/// A validated `ferrio fetch` command line.
#[derive(Debug, Clone)]
pub struct Command {
    /// How to fetch.
    pub fetch: FetchConfig,
    /// What.
    pub input: Input,
    /// `--output`, and whether to append to it.
    pub output: Option<(PathBuf, bool)>,
    /// `--save-dir`.
    pub save_dir: Option<PathBuf>,
    /// `--json`.
    pub json: bool,
    /// `--resume`.
    pub resume: Option<PathBuf>,
    /// `--shard`.
    pub shard: Option<Shard>,
}

impl TryFrom<FetchArgs> for Command {
    type Error = CliError;

    fn try_from(args: FetchArgs) -> Result<Command, CliError> {
        let FetchArgs {
            input,
            url_template,
            limits,
            request,
            output,
        } = args;
        let (limits, request, output) = (*limits, *request, *output);
        let headers = request
            .headers
            .iter()
            .map(|h| parse_header(h))
            .collect::<Result<Vec<_>, _>>()?;
        let body = match &request.data {
            None => None,
            Some(data) => Some(match data.strip_prefix('@') {
                Some(path) => {
                    Bytes::from(std::fs::read(path).map_err(|source| CliError::Input {
                        path: PathBuf::from(path),
                        source,
                    })?)
                }
                None => Bytes::from(data.clone()),
            }),
        };
        let method = match (&request.method, &body) {
            (Some(m), _) => parse_method(m)?,
            (None, Some(_)) => hyper::http::Method::POST,
            (None, None) => hyper::http::Method::GET,
        };
        let fetch = FetchConfig {
            concurrency: limits.concurrency,
            per_host: limits.per_host,
            rate: limits.rate,
            connect_timeout: Some(limits.connect_timeout),
            timeout: Some(limits.timeout),
            retries: limits.retries,
            backoff: limits.backoff,
            seed: limits.seed,
            breaker: limits.breaker,
            breaker_cooldown: limits.breaker_cooldown,
            max_redirects: request.max_redirects,
            method,
            headers,
            body,
            grace: limits.grace,
            keep_bodies: output.save_dir.is_some(),
            #[cfg(feature = "tls")]
            tls: request.cacert.as_deref().map(trust_only).transpose()?,
        };
        #[cfg(not(feature = "tls"))]
        if request.cacert.is_some() {
            return Err(CliError::Usage(
                "--cacert: this ferrio was built without the tls feature; rebuild with --features tls"
                    .into(),
            ));
        }
        fetch.validate()?;
        let input = match (input, url_template) {
            (Some(path), None) if path.as_os_str() == "-" => Input::Stdin,
            (Some(path), None) => Input::File(path),
            (None, Some(template)) => Input::Template(template),
            _ => {
                return Err(CliError::Usage(
                    "give a file of URLs (or - for stdin), or --url-template, not both".into(),
                ))
            }
        };
        let shard = output.shard.as_deref().map(str::parse).transpose()?;
        // --resume appends: to --output if given, else to the resume file.
        let jsonl = match (output.output, &output.resume) {
            (Some(path), resume) => Some((path, resume.is_some())),
            (None, Some(resume)) => Some((resume.clone(), true)),
            (None, None) => None,
        };
        Ok(Command {
            fetch,
            input,
            output: jsonl,
            save_dir: output.save_dir,
            json: output.json,
            resume: output.resume,
            shard,
        })
    }
}

/// A TLS client configuration trusting only the certificates of the PEM
/// file at `path` (`--cacert`).
///
/// # Errors
///
/// [`CliError::Input`] if the file cannot be read, holds no certificate,
/// or one that is not a valid trust anchor.
#[cfg(feature = "tls")]
pub fn trust_only(
    path: &std::path::Path,
) -> Result<std::sync::Arc<ferrio::stream::tls::rustls::ClientConfig>, CliError> {
    use ferrio::stream::tls::rustls::{self, pki_types::pem::PemObject, pki_types::CertificateDer};
    let input = |why: String| CliError::Input {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, why),
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| input(format!("{e} (--cacert takes a PEM file of certificates)")))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| input(format!("not a PEM file of certificates: {e}")))?;
    if certs.is_empty() {
        return Err(input(
            "no certificate in it (--cacert takes a PEM file of certificates)".into(),
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| input(format!("a certificate that cannot be trusted: {e}")))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(ferrio::stream::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::Runtime(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(std::sync::Arc::new(config))
}

/// What the command writes as records finish: the JSONL, the bodies, the
/// progress bar, and a warning per malformed line.
struct CommandSink {
    jsonl: Option<JsonlWriter>,
    save: Option<SaveDir>,
    progress: Progress,
    malformed: u64,
}

impl RecordSink for CommandSink {
    fn record(&mut self, record: &FetchRecord) -> Result<(), CliError> {
        if let Some(error) = &record.error {
            if error.kind == ErrorKind::MalformedUrl {
                self.malformed += 1;
                if self.malformed <= MALFORMED_WARNINGS {
                    eprintln!(
                        "ferrio: skipping a malformed URL: {} ({})",
                        error.message, record.url
                    );
                } else if self.malformed == MALFORMED_WARNINGS + 1 {
                    eprintln!("ferrio: more malformed URLs; the report counts them all");
                }
            }
        }
        if let Some(jsonl) = &mut self.jsonl {
            jsonl.record(record)?;
        }
        if let Some(save) = &mut self.save {
            save.record(record)?;
        }
        self.progress.record(record)
    }

    fn finish(&mut self) -> Result<(), CliError> {
        self.progress.finish()?;
        if let Some(jsonl) = &mut self.jsonl {
            jsonl.finish()?;
        }
        Ok(())
    }
}

impl Command {
    /// Opens the input (before any loop starts, so a bad path fails fast).
    ///
    /// # Errors
    ///
    /// [`CliError::Input`] for a file that cannot be opened;
    /// [`CliError::Usage`] for a bad template.
    pub fn open_input(&self) -> Result<UrlSource, CliError> {
        match &self.input {
            Input::Stdin => Ok(UrlSource::reader(BufReader::new(std::io::stdin()))),
            Input::Template(t) => UrlSource::template(t),
            Input::File(path) => {
                let file = File::open(path).map_err(|source| CliError::Input {
                    path: path.clone(),
                    source,
                })?;
                if file.metadata().is_ok_and(|m| m.is_dir()) {
                    return Err(CliError::Input {
                        path: path.clone(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::InvalidInput,
                            "it is a directory",
                        ),
                    });
                }
                Ok(UrlSource::reader(BufReader::new(file)))
            }
        }
    }

    /// Runs the command; returns the exit code.
    ///
    /// # Errors
    ///
    /// Input, output and runtime errors, as [`CliError`].
    pub fn run(self) -> Result<u8, CliError> {
        let source = self.open_input()?;
        let done = match &self.resume {
            Some(path) => Some(Done::load(path)?),
            None => None,
        };
        let total = match (source.total(), &done, &self.shard) {
            (Some(n), None, None) => Some(n),
            _ => None,
        };
        let jsonl = match &self.output {
            Some((path, append)) => Some(JsonlWriter::create(path, *append)?),
            None => None,
        };
        let save = self.save_dir.as_deref().map(SaveDir::create).transpose()?;
        let fetcher = Fetcher::new(self.fetch.clone())?;
        if let Some(done) = &done {
            eprintln!(
                "ferrio: resuming: {} URLs already fetched ok are skipped",
                done.len()
            );
        }
        let shard = self.shard;
        let urls = source.filter(move |line| match line {
            UrlLine::Url { url, .. } => {
                shard.is_none_or(|s| s.contains(url))
                    && done.as_ref().is_none_or(|d| !d.contains(url))
            }
            UrlLine::Malformed { .. } => true,
        });
        let mut sink = CommandSink {
            jsonl,
            save,
            progress: Progress::new(total),
            malformed: 0,
        };
        // Ctrl-C is ours: the runner must not cancel the main task on it.
        let runner = ferrio::Runner::builder().handle_sigint(false).build()?;
        let json = self.json;
        let summary = runner.run(async move {
            let stop = StopHandle::new();
            let watcher = watch_ctrl_c(stop.clone())?;
            let summary = fetcher.run_streamed(urls, &mut sink, &stop).await;
            watcher.cancel();
            summary
        })??;
        let text = if json {
            summary.to_json() + "\n"
        } else {
            summary.render_text()
        };
        let mut stdout = std::io::stdout().lock();
        // A closed stdout (`| head`) is not worth an error.
        let _ = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush());
        Ok(summary.exit_code())
    }
}

/// Runs `ferrio fetch`; returns the exit code.
///
/// # Errors
///
/// As [`Command::try_from`] and [`Command::run`].
pub fn run(args: FetchArgs) -> Result<u8, CliError> {
    Command::try_from(args)?.run()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn command(args: &[&str]) -> Result<Command, CliError> {
        let mut argv = vec!["ferrio", "fetch"];
        argv.extend_from_slice(args);
        match crate::Cli::try_parse_from(argv)
            .expect("clap accepts it")
            .command
        {
            crate::Command::Fetch(args) => Command::try_from(args),
            other => panic!("{other:?}"),
        }
    }

    const T: &str = "http://127.0.0.1:9/item/{1..3}";

    #[test]
    fn flags_land_in_the_config() {
        let c = command(&[
            "--url-template",
            T,
            "-c",
            "7",
            "--per-host",
            "3",
            "--rate",
            "20/s",
            "--retries",
            "2",
            "--backoff",
            "50ms",
            "--seed",
            "9",
            "--breaker",
            "4",
            "--breaker-cooldown",
            "3s",
            "--max-redirects",
            "1",
            "-H",
            "A: 1",
            "-H",
            "B: 2",
            "--data",
            "x",
            "--grace",
            "1s",
            "--timeout",
            "2s",
            "--connect-timeout",
            "500ms",
            "--shard",
            "2/3",
            "--json",
        ])
        .unwrap();
        let f = &c.fetch;
        assert_eq!(
            (f.concurrency, f.per_host, f.rate, f.retries),
            (7, Some(3), Some(20.0), 2)
        );
        assert_eq!((f.seed, f.breaker, f.max_redirects), (Some(9), Some(4), 1));
        assert_eq!(f.backoff, std::time::Duration::from_millis(50));
        assert_eq!(f.breaker_cooldown, std::time::Duration::from_secs(3));
        assert_eq!(f.grace, std::time::Duration::from_secs(1));
        assert_eq!(f.timeout, Some(std::time::Duration::from_secs(2)));
        assert_eq!(
            f.connect_timeout,
            Some(std::time::Duration::from_millis(500))
        );
        assert_eq!(f.headers.len(), 2);
        assert_eq!(f.method, hyper::http::Method::POST, "--data means POST");
        assert_eq!(f.body.as_deref(), Some(&b"x"[..]));
        assert_eq!(c.shard, Some(Shard::new(2, 3).unwrap()));
        assert!(c.json && !f.keep_bodies);
        assert_eq!(c.input, Input::Template(T.into()));
    }

    #[test]
    fn resume_appends_to_its_own_file_or_to_output() {
        let c = command(&["urls.txt", "--resume", "r.jsonl"]).unwrap();
        assert_eq!(c.output, Some((PathBuf::from("r.jsonl"), true)));
        assert_eq!(c.input, Input::File("urls.txt".into()));
        let c = command(&["-", "--resume", "r.jsonl", "-o", "new.jsonl"]).unwrap();
        assert_eq!(c.output, Some((PathBuf::from("new.jsonl"), true)));
        assert_eq!(c.input, Input::Stdin);
        let c = command(&["-", "-o", "new.jsonl", "--save-dir", "d"]).unwrap();
        assert_eq!(c.output, Some((PathBuf::from("new.jsonl"), false)));
        assert!(c.fetch.keep_bodies);
    }

    #[test]
    fn every_bad_value_is_a_usage_error() {
        for args in [
            vec!["--url-template", T, "-H", "nocolon"],
            vec!["--url-template", T, "-X", "GE T"],
            vec!["--url-template", T, "--shard", "0/2"],
            vec!["--url-template", T, "--shard", "x"],
            vec!["--url-template", T, "-c", "0"],
            vec!["--url-template", T, "--per-host", "0"],
            vec!["--url-template", T, "--breaker", "0"],
            vec!["--url-template", T, "--retries", "1000"],
            vec!["--url-template", T, "--timeout", "0s"],
            vec!["--url-template", T, "-X", "GET", "--data", "x"],
        ] {
            assert!(
                matches!(command(&args), Err(CliError::Usage(_))),
                "{args:?}"
            );
        }
    }

    #[test]
    fn unreadable_inputs_are_input_errors() {
        assert!(matches!(
            command(&["--url-template", T, "--data", "@/nonexistent/ferrio/body"]),
            Err(CliError::Input { .. })
        ));
        let missing = command(&["/nonexistent/ferrio/urls.txt"]).unwrap();
        assert!(matches!(missing.open_input(), Err(CliError::Input { .. })));
        let dir = command(&["/"]).unwrap();
        assert!(matches!(dir.open_input(), Err(CliError::Input { .. })));
        let bad_template = command(&["--url-template", "http://h/{2..1}"]).unwrap();
        assert!(matches!(bad_template.open_input(), Err(CliError::Usage(_))));
        let resume = command(&[
            "--url-template",
            T,
            "--resume",
            "/nonexistent/ferrio/r.jsonl",
        ])
        .unwrap();
        assert!(matches!(resume.run(), Err(CliError::Input { .. })));
    }
}
