//! The `Engine` trait and engine selection. `local` is the embedded classical engine; the cloud
//! engines (`bedrock`, `api`) plug into the same trait.

pub mod local;
mod local_engine;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use async_trait::async_trait;
use image::{GrayImage, RgbImage};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::job::Mode;
use crate::model::ModelSpec;

pub use local_engine::LocalEngine;

/// Which engine runs a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum EngineKind {
    /// The embedded classical engine: offline, no account, prompts ignored.
    Local,
    /// Amazon Bedrock InvokeModel (Titan, Nova Canvas, Stability).
    Bedrock,
    /// A team's `/image-edit` HTTP API, authenticated with Cognito.
    Api,
}

impl EngineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EngineKind::Local => "local",
            EngineKind::Bedrock => "bedrock",
            EngineKind::Api => "api",
        }
    }
}

impl std::str::FromStr for EngineKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        <EngineKind as clap::ValueEnum>::from_str(s, true)
            .map_err(|_| format!("unknown engine {s:?} (expected local, bedrock or api)"))
    }
}

/// The engine's input: the canvas in RGB, the mask in imgedit's convention, and the settings.
#[derive(Debug, Clone)]
pub struct PreparedJob {
    /// The output canvas with the source placed on it; pixels under the mask are undefined.
    pub image: RgbImage,
    /// 255 = generate, 0 = keep (values between: generate, then blend).
    pub mask: GrayImage,
    pub mode: Mode,
    pub prompt: Option<String>,
    pub negative: Option<String>,
    pub seeds: Vec<u64>,
    pub cfg_scale: Option<f32>,
    pub model: &'static ModelSpec,
}

/// How far an engine has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineProgress {
    /// Which image of the request (0-based) and how many.
    pub image: usize,
    pub images: usize,
    /// Work done and total, in engine-defined steps.
    pub done: u64,
    pub total: u64,
}

/// Progress reporting and cancellation shared between a job and whoever runs it.
#[derive(Clone)]
pub struct RunContext {
    pub progress: Arc<dyn Fn(EngineProgress) + Send + Sync>,
    pub cancel: Arc<AtomicBool>,
}

impl Default for RunContext {
    fn default() -> Self {
        RunContext {
            progress: Arc::new(|_| {}),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// One generated image, the size of the prepared canvas.
#[derive(Debug, Clone)]
pub struct Generated {
    pub image: RgbImage,
    pub seed: u64,
}

/// An engine turns a prepared job into images.
#[async_trait]
pub trait Engine: Send + Sync {
    /// The engine's name as `--engine` spells it.
    fn kind(&self) -> EngineKind;
    /// Runs the job; one result per seed unless some were withheld (then the error says so).
    async fn run(&self, job: &PreparedJob, ctx: &RunContext) -> Result<Vec<Generated>>;
}

/// Builds the engine for `kind`.
pub fn create(kind: EngineKind) -> Result<Box<dyn Engine>> {
    match kind {
        EngineKind::Local => Ok(Box::new(LocalEngine)),
        other => Err(Error::Engine(format!(
            "the {} engine is not available in this build yet; use --engine local",
            other.as_str()
        ))),
    }
}
