//! The integration tests, in one binary to keep link times down.

mod batch;
mod bedrock;
mod cancel;
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
mod graphics;
mod kills;
#[cfg(feature = "lambda")]
mod lambda;
mod large;
mod limits;
mod metadata;
mod mfa;
mod original_lambda;
mod pipeline;
mod release;
mod secrets;
mod select;
mod server_api;
mod server_auth;
mod server_edit;
mod server_limits;
mod server_load;
mod server_log;
mod tls;
mod tui;
mod wire;
mod words;
