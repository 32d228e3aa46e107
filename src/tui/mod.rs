//! `imgedit tui`: the interactive editor (work in progress in this tree).

use crate::cli::TuiArgs;
use crate::error::{Error, Result};

/// Runs the TUI until the user quits; returns the exit code.
pub fn run(_args: &TuiArgs, _rt: &tokio::runtime::Runtime) -> Result<u8> {
    Err(Error::Usage("the TUI is not built yet".into()))
}
