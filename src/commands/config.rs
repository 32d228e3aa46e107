//! `imgedit config path|show|init`.

use crate::cli::ConfigCommand;
use crate::config::{Config, Paths, TEMPLATE};
use crate::error::{Error, Result};
use crate::image_io;

pub fn run(cmd: &ConfigCommand) -> Result<()> {
    let paths = Paths::from_env()?;
    match cmd {
        ConfigCommand::Path => println!("{}", paths.config_file.display()),
        ConfigCommand::Show => {
            let cfg = Config::load(&paths.config_file)?;
            println!("# {}", paths.config_file.display());
            print!("{}", cfg.to_toml());
        }
        ConfigCommand::Init { force } => {
            let dir = paths.config_file.parent().unwrap_or(&paths.config_dir);
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            image_io::write_atomic(&paths.config_file, TEMPLATE.as_bytes(), *force)?;
            eprintln!("wrote {}", paths.config_file.display());
        }
    }
    Ok(())
}
