//! `ferrio serve-mock`: a mock JSON API. (Being written: see issue 13.)

use crate::error::CliError;

/// Raw arguments of `ferrio serve-mock`.
#[derive(Debug, clap::Args)]
pub struct MockArgs {}

/// Runs `ferrio serve-mock`; returns the exit code.
pub fn run(_args: MockArgs) -> Result<u8, CliError> {
    Err(CliError::Usage("ferrio serve-mock is not built yet".into()))
}
