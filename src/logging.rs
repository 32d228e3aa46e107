//! Diagnostic logging: `-v` shows what imgedit does (requests, attempts, timings), `-vv` adds the
//! AWS SDK's and the HTTP client's own debug lines. `IMGEDIT_LOG` takes a full filter
//! (`tracing_subscriber::EnvFilter` syntax, e.g. `imgedit=trace,aws_smithy_runtime=debug`).
//!
//! Secrets never reach a log line: imgedit logs sizes, ids, status codes and claims it needs, never
//! a password, token or key; the AWS SDK redacts its sensitive headers and bodies by itself.

use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use crate::error::{Error, Result};

/// The filter that `-v` repeated `verbose` times stands for.
pub fn filter_for(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "warn,imgedit=debug",
        _ => {
            "info,imgedit=trace,aws_smithy_runtime=debug,aws_config=debug,aws_sigv4=debug,reqwest=debug"
        }
    }
}

/// Installs the process-wide logger. With no `-v`, no `IMGEDIT_LOG` and no log file, nothing is set
/// up at all. Lines go to stderr, or appended to `file`.
pub fn init(verbose: u8, file: Option<&Path>) -> Result<()> {
    let env = std::env::var("IMGEDIT_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    if verbose == 0 && env.is_none() && file.is_none() {
        return Ok(());
    }
    let filter = match &env {
        Some(spec) => EnvFilter::try_new(spec).map_err(|e| {
            Error::Usage(format!(
                "IMGEDIT_LOG={spec:?}: not a log filter ({e}); e.g. IMGEDIT_LOG=imgedit=debug"
            ))
        })?,
        None => EnvFilter::new(filter_for(verbose.max(1))),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    // a second init in one process (tests calling `run` twice) keeps the first logger
    let _ = match file {
        Some(path) => {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|source| Error::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
            builder
                .with_ansi(false)
                .with_writer(Mutex::new(f))
                .try_init()
        }
        None => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .try_init(),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_level_parses_as_a_filter() {
        for v in 0..4 {
            assert!(EnvFilter::try_new(filter_for(v)).is_ok(), "level {v}");
        }
        assert!(filter_for(1).contains("imgedit=debug"));
        assert!(filter_for(2).contains("aws_smithy_runtime=debug"));
    }
}
