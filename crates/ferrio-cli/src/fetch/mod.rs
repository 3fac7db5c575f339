//! `ferrio fetch`: many URLs, concurrently, with limits, retries, a breaker
//! and a report. (Being written: see issue 13.)

use crate::error::CliError;

/// Raw arguments of `ferrio fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {}

/// Runs `ferrio fetch`; returns the exit code.
pub fn run(_args: FetchArgs) -> Result<u8, CliError> {
    Err(CliError::Usage("ferrio fetch is not built yet".into()))
}
