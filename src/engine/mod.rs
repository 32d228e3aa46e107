//! The engines and their selection: `local` is the embedded classical engine; the cloud engines
//! (`bedrock`, `api`) share one retry policy ([`retry`]). Each implements `edit::engine::Engine`.

pub mod api;
pub mod bedrock;
pub mod local;
mod local_engine;
pub mod retry;

use crate::edit::engine::{Engine, EngineKind};
use crate::edit::model::ModelSpec;
use crate::edit::options::Mode;
use crate::error::{Error, Result};

pub use local_engine::LocalEngine;

/// A whole number from the environment (tuning knobs such as retry counts).
pub(crate) fn env_u64(key: &str) -> Option<u64> {
    std::env::var(key).ok().and_then(|v| v.trim().parse().ok())
}

/// Engine settings that come from flags and the config file.
#[derive(Debug, Clone, Default)]
pub struct EngineSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// The `/image-edit` API's URL and credentials, for the `api` engine.
    pub api: api::ApiSettings,
    /// Retired models the account still has (the config's `living_models`).
    pub living_models: Vec<String>,
}

/// The model a job runs on: `model` (any id; `family` for ids imgedit does not know), or the
/// engine's default for `mode` (the local engine's one model, or the active cloud model that does it).
pub fn resolve_model(
    kind: EngineKind,
    model: Option<&str>,
    family: Option<&str>,
    mode: Option<Mode>,
) -> Result<&'static ModelSpec> {
    resolve_model_for(kind, model, family, mode, None, &[])
}

/// `resolve_model`, with the upscaler `--mode upscale` asked for, and the retired models the
/// user's account still has (`living_models`), treated as living when asked for.
pub fn resolve_model_for(
    kind: EngineKind,
    model: Option<&str>,
    family: Option<&str>,
    mode: Option<Mode>,
    upscaler: Option<crate::edit::options::Upscaler>,
    living: &[String],
) -> Result<&'static ModelSpec> {
    use crate::edit::model;
    match (kind, model) {
        (EngineKind::Local, None | Some("local")) => Ok(model::local()),
        (EngineKind::Local, Some(other)) => Err(Error::Usage(format!(
            "--model {other}: the local engine has one model, \"local\" (cloud models need --engine bedrock or api)"
        ))),
        // The API serves "titan": its limits are the original Lambda's model's.
        (EngineKind::Api, None | Some("titan")) => model::find(api::API_MODEL).ok_or_else(|| {
            Error::Engine(format!(
                "{} is missing from the model table",
                api::API_MODEL
            ))
        }),
        (_, Some(id)) => {
            let family = family.and_then(model::family_by_name);
            let spec = model::resolve(id, family).map_err(Error::Usage)?;
            Ok(model::treat_as_living(spec, living))
        }
        (_, None) => {
            model::active_for_tool(mode.unwrap_or(Mode::Inpaint), upscaler).ok_or_else(|| {
                let known: Vec<&str> = model::MODELS.iter().map(|m| m.id).collect();
                Error::Usage(format!(
                    "no model given: pass --model (known: {})",
                    known.join(", ")
                ))
            })
        }
    }
}

/// Builds the engine for `kind` with default settings (the standard AWS chain for Bedrock).
pub fn create(kind: EngineKind) -> Result<Box<dyn Engine>> {
    create_with(kind, &EngineSettings::default())
}

/// Builds the engine for `kind`.
pub fn create_with(kind: EngineKind, settings: &EngineSettings) -> Result<Box<dyn Engine>> {
    match kind {
        EngineKind::Local => Ok(Box::new(LocalEngine)),
        EngineKind::Bedrock => Ok(Box::new(bedrock::BedrockEngine::new(
            bedrock::BedrockSettings {
                region: settings.region.clone(),
                profile: settings.profile.clone(),
                ..Default::default()
            },
        ))),
        EngineKind::Api => {
            let engine = api::ApiEngine::new(settings.api.clone())?;
            engine.url()?; // say at once, before any image is read
            Ok(Box::new(engine))
        }
    }
}
