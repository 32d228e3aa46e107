//! Where login answers come from: the terminal without echo, or stdin lines for scripts.

use std::io::{BufRead, Write};

use crate::error::{Error, Result};

/// Asks for what a sign-in needs. Secrets are never echoed or logged.
pub trait Prompter {
    /// A secret (password, new password, MFA code).
    fn secret(&mut self, prompt: &str) -> Result<String>;
    /// A visible line (user name, MFA type choice).
    fn line(&mut self, prompt: &str) -> Result<String>;
    /// Shows the person something to act on (the authenticator app's secret and QR code): on
    /// stdout, never in a log.
    fn show(&mut self, text: &str) -> Result<()>;
    /// Whether a person is there to confirm a new password by typing it twice.
    fn interactive(&self) -> bool;
}

/// Writes and flushes at once: a script reading stdout needs the text before the next question.
fn to_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::Auth(format!("cannot write to stdout: {e}")))
}

/// Reads from the terminal; secrets without echo.
#[derive(Debug, Default)]
pub struct TerminalPrompter;

impl Prompter for TerminalPrompter {
    fn secret(&mut self, prompt: &str) -> Result<String> {
        rpassword::prompt_password(prompt)
            .map(|s| s.trim_end_matches(['\r', '\n']).to_string())
            .map_err(|e| {
                Error::Auth(format!(
                    "cannot read from the terminal: {e} (use --password-stdin in scripts)"
                ))
            })
    }

    fn line(&mut self, prompt: &str) -> Result<String> {
        eprint!("{prompt}");
        let mut s = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut s)
            .map_err(|e| Error::Auth(format!("cannot read from the terminal: {e}")))?;
        Ok(s.trim().to_string())
    }

    fn show(&mut self, text: &str) -> Result<()> {
        to_stdout(text)
    }

    fn interactive(&self) -> bool {
        true
    }
}

/// Reads answers from stdin, one per line, in the order they are asked (`--password-stdin`).
#[derive(Debug)]
pub struct StdinPrompter<R: BufRead> {
    input: R,
}

impl<R: BufRead> StdinPrompter<R> {
    pub fn new(input: R) -> Self {
        StdinPrompter { input }
    }

    fn next(&mut self, what: &str) -> Result<String> {
        let mut s = String::new();
        match self.input.read_line(&mut s) {
            Ok(0) => Err(Error::Auth(format!(
                "--password-stdin: stdin ended before the {what} (give one answer per line)"
            ))),
            Ok(_) => Ok(s.trim_end_matches(['\r', '\n']).to_string()),
            Err(e) => Err(Error::Auth(format!(
                "--password-stdin: cannot read stdin: {e}"
            ))),
        }
    }
}

impl<R: BufRead> Prompter for StdinPrompter<R> {
    fn secret(&mut self, prompt: &str) -> Result<String> {
        self.next(prompt.trim_end_matches([':', ' ']))
    }

    fn line(&mut self, prompt: &str) -> Result<String> {
        self.next(prompt.trim_end_matches([':', ' ']))
    }

    fn show(&mut self, text: &str) -> Result<()> {
        to_stdout(text)
    }

    fn interactive(&self) -> bool {
        false
    }
}
