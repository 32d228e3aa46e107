//! The integration tests, in one binary to keep link times down.

mod cli_edit;
mod cli_errors;
mod bedrock;
mod cli_misc;
mod cognito;
mod common;
mod tui;
