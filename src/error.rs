//! The library's error type and the exit codes it maps to.

use std::path::PathBuf;

use crate::violation::{Field, Rule, Violation};

/// Process exit codes, documented in `imgedit edit --help` and the README.
pub mod exit {
    /// Everything worked.
    pub const OK: u8 = 0;
    /// Command-line usage error (clap uses 2 as well).
    pub const USAGE: u8 = 2;
    /// Bad input: unreadable, corrupt, too large, or inconsistent files and values.
    pub const INPUT: u8 = 3;
    /// The engine or a remote service failed.
    pub const ENGINE: u8 = 4;
    /// Authentication failed or is missing.
    pub const AUTH: u8 = 5;
    /// Some items of a batch failed (the others were written).
    pub const PARTIAL: u8 = 6;
    /// A batch stopped by Ctrl-C before its end (128 + SIGINT, as shells report it).
    pub const INTERRUPTED: u8 = 130;
}

/// Everything that can go wrong in the library, each variant mapped to one exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line is inconsistent in a way clap cannot see.
    #[error("{0}")]
    Usage(String),
    /// A file or value the user gave breaks a rule; the message names it, the rule and the value.
    #[error("{0}")]
    Input(String),
    /// An edit breaks a rule (its model's, or the edit's own); each front end renders the
    /// violation in its own words (this message names no front end's).
    #[error("{0}")]
    Invalid(Box<Violation>),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An output file exists and overwriting was not asked for.
    #[error("{0} already exists")]
    OutputExists(PathBuf),
    /// The engine failed or was cancelled.
    #[error("{0}")]
    Engine(String),
    /// Authentication is missing, expired or was refused.
    #[error("{0}")]
    Auth(String),
    /// A remote service (Bedrock, the `/image-edit` API) refused or failed the request; `code` is
    /// the service's own error code (`ThrottlingException`, `ValidationException`, ...).
    #[error("{message}")]
    Service { code: String, message: String },
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Invalid(v) => match (v.rule, v.field) {
                (Rule::Unsupported | Rule::Needs | Rule::Conflicts, _)
                | (Rule::OneOf, Field::Upscaler) => exit::USAGE,
                _ => exit::INPUT,
            },
            Error::Input(_) | Error::Io { .. } | Error::OutputExists(_) => exit::INPUT,
            Error::Engine(_) => exit::ENGINE,
            Error::Auth(_) => exit::AUTH,
            Error::Service { code, .. } if code == "ValidationException" => exit::INPUT,
            Error::Service { .. } => exit::ENGINE,
        }
    }

    /// The same error with `note` appended to its message; a service error keeps its code,
    /// and the other kinds keep their exit code.
    pub fn with_note(self, note: &str) -> Self {
        match self {
            Error::Service { code, message } => Error::service(code, message + note),
            Error::Auth(m) => Error::Auth(m + note),
            Error::Input(m) => Error::Input(m + note),
            Error::Usage(m) => Error::Usage(m + note),
            Error::Engine(m) => Error::Engine(m + note),
            other => Error::Engine(format!("{other}{note}")),
        }
    }

    /// A service error with its code.
    pub fn service(code: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Service {
            code: code.into(),
            message: message.into(),
        }
    }

    /// A broken rule as an error.
    pub fn violation(v: Violation) -> Self {
        Error::Invalid(Box::new(v))
    }

    /// The first violation as an error (None when there is none).
    pub fn invalid(mut violations: Vec<Violation>) -> Result<()> {
        match violations.is_empty() {
            true => Ok(()),
            false => Err(Error::Invalid(Box::new(violations.swap_remove(0)))),
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its sources in words, `outer: inner: ...`, without a Debug dump: reqwest's and
/// the AWS SDK's own text stops at "error sending request", the cause (a refused connection, an
/// untrusted certificate) is in the sources.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        // Wrappers often repeat their source's text; keep each piece once.
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Builds an [`Error::Input`] from format arguments.
macro_rules! input_err {
    ($($arg:tt)*) => { $crate::error::Error::Input(format!($($arg)*)) };
}
pub(crate) use input_err;
