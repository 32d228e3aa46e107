//! imgedit: mask-based inpainting and outpainting from the terminal.
//!
//! One pipeline, three front ends, several engines. A front end turns its input into
//! `edit::job::JobOptions`, builds an `EditJob` (the rules of `edit::rules`, read from the
//! `edit::model` table, refuse a bad one as a [`violation::Violation`]), and calls
//! [`edit::run::run`]: prepare, the engine's run, finish (composite, write), the request-log
//! record. Each front end renders violations and errors in its own words.
//!
//! The map, from the ground up (a module imports only from the rows above it, never below):
//!
//! | module | owns | may not import |
//! |---|---|---|
//! | [`choice`] | `Choice`: a closed set of named values (one spelling each) | anything of the crate |
//! | [`violation`] | a broken rule as data (field, rule, typed limit, value) and the `Words` a front end supplies | anything of the crate |
//! | [`error`] | `Error`, `Result`, the exit codes | the pipeline, the front ends |
//! | [`logging`] | the diagnostic log (`-v`, `--log-file`) | the pipeline, the front ends |
//! | [`image_io`] | decoding with limits, encoding, JPEG strips, EXIF, bounded reads, atomic writes | the pipeline, the front ends |
//! | [`mask`] | `Mask` (255 = may change), shapes, mask files, grow/shrink/feather | the pipeline, the front ends |
//! | [`select`] | selecting by pointing: the object in a rectangle (graph cut), the colour region at a point (wand) | the pipeline, the front ends |
//! | [`auth`] | Cognito sign-in (SRP, password, MFA) and the token cache | the pipeline, the front ends |
//! | [`record`] | `EditRecord` and where records go (a local file, DynamoDB) | the pipeline, the front ends |
//! | [`edit`] | the pipeline: options, the model table, rules, jobs, the `Engine` trait, prepare, finish, run | engines, wire formats, front ends |
//! | [`wire`] | one typed definition per wire format, shared by client and server | engines, front ends |
//! | [`batch`] | the batch scheduler: rate limits, the journal, the summary | engines, front ends |
//! | [`engine`] | the engines (`local`, `bedrock`, `api`), their selection and one retry policy | front ends |
//! | [`config`], [`config_import`] | the config file and its defaults; importing a web client's config | front ends |
//! | [`server`] | `imgedit serve`: `/image-edit` and the Bedrock-compatible endpoint | the CLI, the TUI |
//! | [`tui`] | `imgedit tui`: model / update / view, effects, its words | the CLI's words |
//! | [`cli`], [`commands`] | the command line: clap definitions, flag words, one module per subcommand | — |
//!
//! Only `cli`, `commands` and this file know clap.

pub mod auth;
pub mod batch;
pub mod choice;
pub mod cli;
pub mod commands;
pub mod config;
pub mod config_import;
pub mod edit;
pub mod engine;
pub mod error;
pub mod image_io;
pub mod logging;
pub mod mask;
pub mod record;
pub mod select;
pub mod server;
pub mod tui;
pub mod violation;
pub mod wire;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::{Error, exit};

/// Parses the command line, runs the command and maps the outcome to an exit code.
pub fn main_entry() -> ExitCode {
    let cli = match Cli::try_parse_from(with_implied_tui(std::env::args_os().collect())) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {}", cli::words::error(&e));
            ExitCode::from(e.exit_code())
        }
    }
}

/// `imgedit photo.png` is `imgedit tui photo.png`: a first argument that names no subcommand but
/// an existing file opens the editor on it.
pub fn with_implied_tui(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    use clap::CommandFactory;
    let Some(first) = args.get(1) else {
        return args;
    };
    let name = first.to_string_lossy();
    let is_subcommand = Cli::command()
        .get_subcommands()
        .any(|c| c.get_name() == name || c.get_all_aliases().any(|a| a == name));
    if !is_subcommand && !name.starts_with('-') && std::path::Path::new(first).is_file() {
        args.insert(1, "tui".into());
    }
    args
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<u8, Error> {
    // One runtime for the whole process, built only by the commands that need it.
    let client = || runtime(Workers::Client);
    if matches!(cli.command, Command::Tui(_))
        && cli.log_file.is_none()
        && (cli.verbose > 0 || std::env::var_os("IMGEDIT_LOG").is_some())
    {
        return Err(Error::Usage(
            "the TUI owns the terminal, so its log needs a file: add --log-file PATH".into(),
        ));
    }
    logging::init(cli.verbose, cli.log_file.as_deref())?;
    match cli.command {
        Command::Edit(args) => commands::edit::run(&args, &client()?),
        Command::Tui(args) => tui::run(&args, &client()?),
        Command::Serve(args) => {
            commands::serve::run(&args, &runtime(Workers::Server)?).map(|()| exit::OK)
        }
        Command::Login(args) => commands::login::login(&args, &client()?).map(|()| exit::OK),
        Command::Logout(args) => commands::login::logout(&args, &client()?).map(|()| exit::OK),
        Command::Whoami(args) => commands::login::whoami(&args, &client()?).map(|()| exit::OK),
        Command::History(args) => commands::history::run(&args, &client()?).map(|()| exit::OK),
        Command::Config(cmd) => commands::config::run(&cmd).map(|()| exit::OK),
        Command::Completions { shell } => {
            commands::packaging::print(&commands::packaging::completions(shell)).map(|()| exit::OK)
        }
        Command::Man => {
            commands::packaging::print(&commands::packaging::man_page()?).map(|()| exit::OK)
        }
    }
}

/// Who the async runtime works for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workers {
    /// A client command (edit, tui, login, history...): it waits on a few HTTP calls at a time,
    /// and image work runs on rayon's pool, so two workers are plenty.
    Client,
    /// `imgedit serve`: many requests at once, so one worker per core (tokio's default, which
    /// `TOKIO_WORKER_THREADS` overrides).
    Server,
}

/// The number of worker threads a client command's runtime has.
pub const CLIENT_WORKER_THREADS: usize = 2;

/// The multi-threaded tokio runtime for `workers`.
pub fn runtime(workers: Workers) -> Result<tokio::runtime::Runtime, Error> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if workers == Workers::Client {
        builder.worker_threads(CLIENT_WORKER_THREADS);
    }
    builder
        .enable_all()
        .build()
        .map_err(|e| Error::Engine(format!("cannot start the async runtime: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_get_two_workers_and_the_server_one_per_core() {
        let client = runtime(Workers::Client).unwrap();
        assert_eq!(client.metrics().num_workers(), CLIENT_WORKER_THREADS);
        let server = runtime(Workers::Server).unwrap();
        let expected = std::env::var("TOKIO_WORKER_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        assert_eq!(server.metrics().num_workers(), expected);
    }

    #[test]
    fn an_image_as_the_first_argument_opens_the_editor() {
        let dir = tempfile::tempdir().unwrap();
        let photo = dir.path().join("photo.png");
        std::fs::write(&photo, b"x").unwrap();
        let args = |v: &[&std::ffi::OsStr]| v.iter().map(|a| a.to_os_string()).collect::<Vec<_>>();
        let bin = std::ffi::OsStr::new("imgedit");
        assert_eq!(
            with_implied_tui(args(&[bin, photo.as_os_str()])),
            args(&[bin, "tui".as_ref(), photo.as_os_str()])
        );
        // a subcommand, a flag or a missing file is left to the parser
        for first in ["edit", "--help", "missing.png"] {
            let given = args(&[bin, first.as_ref()]);
            assert_eq!(with_implied_tui(given.clone()), given);
        }
    }
}
