//! One module per subcommand: glue between the command line and the library.

pub mod config;
pub mod edit;
pub mod history;
pub mod login;
pub mod mask;
pub mod packaging;
pub mod serve;
