//! The integration tests, in one binary to keep link times down.

mod bedrock;
mod cli_edit;
mod cli_errors;
mod cli_misc;
mod cognito;
mod common;
#[cfg(feature = "lambda")]
mod deploy;
mod dynamo;
mod exposure;
mod fuzz_corpus;
mod kills;
#[cfg(feature = "lambda")]
mod lambda;
mod large;
mod limits;
mod mfa;
mod original_lambda;
mod pipeline;
mod release;
mod secrets;
mod server;
mod tls;
mod tui;
