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
        ConfigCommand::Import { file, force } => import(&paths, file, *force)?,
    }
    Ok(())
}

fn import(paths: &Paths, file: &std::path::Path, force: bool) -> Result<()> {
    let text = crate::image_io::files::read_text(file, crate::image_io::files::SMALL_TEXT)?;
    let found = crate::config_import::parse_workshop_config(&text, &file.display().to_string())?;
    let existing = crate::image_io::files::read_text_if_exists(
        &paths.config_file,
        crate::image_io::files::SMALL_TEXT,
    )?;
    if existing.is_some() && !force {
        return Err(Error::OutputExists(paths.config_file.clone()));
    }
    let mut cfg = match &existing {
        Some(t) => Config::parse(t, &paths.config_file)?,
        None => Config::default(),
    };
    if found.user_pool_id.is_some() {
        cfg.cognito.user_pool_id = found.user_pool_id.clone();
    }
    if found.client_id.is_some() {
        cfg.cognito.client_id = found.client_id.clone();
    }
    if found.region.is_some() {
        cfg.cognito.region = found.region.clone();
    }
    if found.api_url.is_some() {
        cfg.api_url = found.api_url.clone();
    }
    let dir = paths.config_file.parent().unwrap_or(&paths.config_dir);
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    if let Some(old) = &existing {
        let backup = paths.config_file.with_extension("toml.bak");
        image_io::write_atomic(&backup, old.as_bytes(), true)?;
        eprintln!("kept the previous file as {}", backup.display());
    }
    image_io::write_atomic(&paths.config_file, cfg.to_toml().as_bytes(), true)?;
    eprintln!(
        "imported {} into {}: pool {}, client {}, API {}",
        file.display(),
        paths.config_file.display(),
        found.user_pool_id.as_deref().unwrap_or("-"),
        found.client_id.as_deref().unwrap_or("-"),
        found.api_url.as_deref().unwrap_or("-")
    );
    Ok(())
}
