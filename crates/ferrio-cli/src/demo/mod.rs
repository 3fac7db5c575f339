//! `ferrio demo`: 200 API calls, one after another and then concurrently.
//! (Being written: see issue 13.)

use crate::error::CliError;

/// Raw arguments of `ferrio demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {}

/// Runs `ferrio demo`; returns the exit code.
pub fn run(_args: DemoArgs) -> Result<u8, CliError> {
    Err(CliError::Usage("ferrio demo is not built yet".into()))
}
