//! The `ferrio` binary: parse, run, exit. Everything else is the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A bug must not greet a user with a Rust panic and a backtrace: say
    // what happened in one line, and exit 101 as a panic would.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".to_string());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "ferrio: internal error: {message}{place}. This is a bug in ferrio; please report it \
             with the command line that caused it."
        );
    }));
    let cli = match ferrio_cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and exit 0; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                ferrio_cli::error::EXIT_USAGE
            } else {
                0
            });
        }
    };
    match std::panic::catch_unwind(|| ferrio_cli::run(cli)) {
        Ok(result) => ferrio_cli::error::finish(result),
        Err(_) => ExitCode::from(101),
    }
}
