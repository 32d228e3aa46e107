//! `imgedit completions` and `imgedit man`: generated from the clap definitions.

use std::io::Write;

use clap_complete::Generator;

use crate::cli;
use crate::error::{Error, Result};

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "imgedit", &mut out);
    out
}

/// The file name a completion script is committed under in `completions/`.
pub fn completion_file_name(shell: clap_complete::Shell) -> String {
    let cmd = cli::command();
    shell.file_name(cmd.get_name())
}

/// The man page in roff.
pub fn man_page() -> Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cli::command())
        .render(&mut out)
        .map_err(|e| Error::io("<man page>", e))?;
    Ok(out)
}

/// Writes bytes to stdout.
pub fn print(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("<stdout>", e))
}
