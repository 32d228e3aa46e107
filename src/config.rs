//! Configuration: defaults <- config file <- `IMGEDIT_*` environment <- flags.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::edit::engine::EngineKind;
use crate::error::input_err;
use crate::error::{Error, Result};
use crate::image_io::DecodeLimits;

/// Cognito settings for the `api` engine and `imgedit login`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CognitoConfig {
    pub user_pool_id: Option<String>,
    pub client_id: Option<String>,
    /// Only for app clients created with a secret.
    pub client_secret: Option<String>,
    pub region: Option<String>,
}

/// The config file's contents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Default engine: local, bedrock or api.
    pub engine: Option<EngineKind>,
    /// Default model id for the chosen engine.
    pub model: Option<String>,
    /// AWS region for Bedrock.
    pub region: Option<String>,
    /// AWS profile for Bedrock.
    pub profile: Option<String>,
    /// Retired models this account still has: treated as living (no retirement warning), so
    /// they may be asked for by id or be the configured default.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub living_models: Vec<String>,
    /// The `/image-edit` API's invoke URL.
    pub api_url: Option<String>,
    pub cognito: CognitoConfig,
    pub limits: DecodeLimits,
}

/// Where imgedit keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_file: PathBuf,
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    /// `IMGEDIT_CONFIG`, `IMGEDIT_CONFIG_DIR` and `IMGEDIT_DATA_DIR` override the platform defaults.
    pub fn from_env() -> Result<Paths> {
        let dirs = directories::ProjectDirs::from("", "", "imgedit");
        let env_path = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let config_dir = env_path("IMGEDIT_CONFIG_DIR")
            .or_else(|| dirs.as_ref().map(|d| d.config_dir().to_path_buf()))
            .ok_or_else(|| {
                Error::Usage("cannot find a home directory; set IMGEDIT_CONFIG_DIR".into())
            })?;
        let data_dir = env_path("IMGEDIT_DATA_DIR")
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
            .ok_or_else(|| {
                Error::Usage("cannot find a home directory; set IMGEDIT_DATA_DIR".into())
            })?;
        let config_file =
            env_path("IMGEDIT_CONFIG").unwrap_or_else(|| config_dir.join("config.toml"));
        Ok(Paths {
            config_file,
            config_dir,
            data_dir,
        })
    }
}

impl Config {
    /// Reads the file (missing = defaults), then applies the environment.
    pub fn load(path: &Path) -> Result<Config> {
        let mut cfg = match crate::image_io::files::read_text_if_exists(
            path,
            crate::image_io::files::SMALL_TEXT,
        )? {
            Some(text) => Config::parse(&text, path)?,
            None => Config::default(),
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        Ok(cfg)
    }

    /// Parses TOML text; errors name the file, the line and the key.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let cfg: Config = toml::from_str(text)
            .map_err(|e| input_err!("{}: {}", path.display(), e.to_string().trim_end()))?;
        crate::edit::model::check_living(&cfg.living_models)
            .map_err(|e| input_err!("{}: {e}", path.display()))?;
        Ok(cfg)
    }

    /// Applies `IMGEDIT_ENGINE`, `IMGEDIT_MODEL`, `IMGEDIT_REGION`, `IMGEDIT_PROFILE`, `IMGEDIT_API_URL`,
    /// `IMGEDIT_LIVING_MODELS` (comma-separated; replaces the file's list).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<()> {
        let get = |k: &str| get(k).filter(|v| !v.is_empty());
        if let Some(v) = get("IMGEDIT_ENGINE") {
            self.engine = Some(v.parse().map_err(|e| input_err!("IMGEDIT_ENGINE: {e}"))?);
        }
        if let Some(v) = get("IMGEDIT_LIVING_MODELS") {
            let ids: Vec<String> = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            crate::edit::model::check_living(&ids)
                .map_err(|e| input_err!("IMGEDIT_LIVING_MODELS: {e}"))?;
            self.living_models = ids;
        }
        for (key, slot) in [
            ("IMGEDIT_MODEL", &mut self.model),
            ("IMGEDIT_REGION", &mut self.region),
            ("IMGEDIT_PROFILE", &mut self.profile),
            ("IMGEDIT_API_URL", &mut self.api_url),
            (
                "IMGEDIT_COGNITO_USER_POOL_ID",
                &mut self.cognito.user_pool_id,
            ),
            ("IMGEDIT_COGNITO_CLIENT_ID", &mut self.cognito.client_id),
            (
                "IMGEDIT_COGNITO_CLIENT_SECRET",
                &mut self.cognito.client_secret,
            ),
            ("IMGEDIT_COGNITO_REGION", &mut self.cognito.region),
        ] {
            if let Some(v) = get(key) {
                *slot = Some(v);
            }
        }
        Ok(())
    }

    /// The `api` engine's settings: the URL and token given (else the config's URL and the cached
    /// Cognito token of the default login profile).
    pub fn api_settings(
        &self,
        paths: &Paths,
        url: Option<String>,
        token: Option<String>,
    ) -> crate::engine::api::ApiSettings {
        crate::engine::api::ApiSettings {
            url: url.or_else(|| self.api_url.clone()),
            token,
            cognito: self.cognito_settings().ok(),
            config_dir: Some(paths.config_dir.clone()),
            login_profile: None,
        }
    }

    /// The Cognito pool and app client, or an error saying how to set them.
    pub fn cognito_settings(&self) -> Result<crate::auth::CognitoSettings> {
        let c = &self.cognito;
        match (&c.user_pool_id, &c.client_id) {
            (Some(pool), Some(client)) => crate::auth::CognitoSettings::new(
                pool.clone(),
                client.clone(),
                c.client_secret.clone(),
                c.region.clone(),
            ),
            _ => Err(Error::Usage(
                "no Cognito user pool configured: set cognito.user_pool_id and cognito.client_id in the config (imgedit config init), or IMGEDIT_COGNITO_USER_POOL_ID and IMGEDIT_COGNITO_CLIENT_ID".into(),
            )),
        }
    }

    /// The effective configuration as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }
}

/// The commented file `imgedit config init` writes.
pub const TEMPLATE: &str = r#"# imgedit configuration. Environment variables IMGEDIT_ENGINE, IMGEDIT_MODEL, IMGEDIT_REGION,
# IMGEDIT_PROFILE, IMGEDIT_API_URL and IMGEDIT_LIVING_MODELS override these values; command-line
# flags override both.

# Default engine: "local" (offline, the default), "bedrock" or "api".
# engine = "local"

# Default model id for the bedrock engine. Without it imgedit picks the living Stability AI tool
# for each mode (us.stability.* inference profiles, served from us-east-1, us-east-2, us-west-2).
# model = "us.stability.stable-image-inpaint-v1:0"

# Retired models your account still has (Bedrock still answers it for you): imgedit treats them
# as living, so no retirement warning, and one may be the default model above.
# living_models = ["amazon.titan-image-generator-v1"]  # a retired model, listed by you

# AWS region and profile for the bedrock engine.
# region = "us-east-1"
# profile = "default"

# The /image-edit API's invoke URL for the api engine.
# api_url = "https://abc123.execute-api.us-east-1.amazonaws.com/prod"

[cognito]
# user_pool_id = "us-east-1_AbCdEfGhI"
# client_id = "1234567890abcdefghijklmnop"
# client_secret = "only for app clients created with a secret"
# region = "us-east-1"

[limits]
# Largest image accepted (width x height) and largest decoder allocation in bytes.
max_pixels = 120000000
max_alloc_bytes = 1073741824
# Largest image or mask file read, in bytes, and from a pipe or FIFO.
max_file_bytes = 268435456
max_stream_bytes = 67108864
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_to_defaults() {
        let c = Config::parse(TEMPLATE, Path::new("t.toml")).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_file_and_key() {
        let e = Config::parse("engin = \"local\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml") && e.contains("engin"), "{e}");
        let e = Config::parse("engine = \"gpu\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml") && e.contains("gpu"), "{e}");
    }

    #[test]
    fn env_overrides_file() {
        let mut c = Config::parse(
            "engine = \"local\"\nregion = \"eu-west-1\"\n",
            Path::new("c"),
        )
        .unwrap();
        c.apply_env(|k| match k {
            "IMGEDIT_ENGINE" => Some("bedrock".into()),
            "IMGEDIT_REGION" => Some("us-west-2".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.engine, Some(EngineKind::Bedrock));
        assert_eq!(c.region.as_deref(), Some("us-west-2"));
        assert!(c.apply_env(|_| Some("warp".into())).is_err());
    }

    #[test]
    fn living_models_come_from_the_file_or_the_env_and_must_be_known() {
        let mut c = Config::parse(
            "living_models = [\"amazon.titan-image-generator-v1\"]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.living_models, ["amazon.titan-image-generator-v1"]);
        assert!(c.to_toml().contains("living_models"));
        c.apply_env(|k| {
            (k == "IMGEDIT_LIVING_MODELS").then(|| {
                " amazon.titan-image-generator-v2:0, amazon.nova-canvas-v1:0 ,".to_string()
            })
        })
        .unwrap();
        assert_eq!(
            c.living_models,
            [
                "amazon.titan-image-generator-v2:0",
                "amazon.nova-canvas-v1:0"
            ]
        );
        let e = Config::parse("living_models = [\"titan-v9\"]\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("c.toml") && e.contains("living_models") && e.contains("titan-v9"),
            "{e}"
        );
        let e = c
            .apply_env(|k| (k == "IMGEDIT_LIVING_MODELS").then(|| "nope".to_string()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("IMGEDIT_LIVING_MODELS") && e.contains("nope"),
            "{e}"
        );
        assert!(!Config::default().to_toml().contains("living_models"));
    }
}
