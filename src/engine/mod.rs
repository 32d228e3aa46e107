//! The `Engine` trait and engine selection. `local` is the embedded classical engine; the cloud
//! engines (`bedrock`, `api`) plug into the same trait.

pub mod api;
pub mod bedrock;
pub mod local;
mod local_engine;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use image::{GrayImage, RgbImage};
use serde::Serialize;
pub use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::job::{Mode, Placement, Quality};
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
    /// The job's own source buffer, shared, when the canvas is the source itself and it is RGB
    /// (see `pipeline::prepare`).
    pub image: Arc<RgbImage>,
    /// 255 = generate, 0 = keep (values between: generate, then blend).
    pub mask: GrayImage,
    pub mode: Mode,
    pub prompt: Option<String>,
    pub negative: Option<String>,
    pub mask_prompt: Option<String>,
    pub search: Option<String>,
    pub seeds: Vec<u64>,
    pub cfg_scale: Option<f32>,
    pub quality: Option<Quality>,
    pub model: &'static ModelSpec,
    /// Where the source sits on the canvas (identity for inpainting).
    pub placement: Placement,
    /// The source's own size.
    pub source_size: (u32, u32),
    /// Settings only some tools take.
    pub tool: crate::job::ToolOptions,
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
    /// One-line status messages, such as "throttled, retry 2 of 5 in 1.3 s".
    pub status: Arc<dyn Fn(String) + Send + Sync>,
    /// Cancelled by whoever runs the job (the TUI's cancel key, a server whose client went away);
    /// async engines race their calls with it, the local engine polls it between iterations.
    pub cancel: CancellationToken,
    /// Called before each retry of a throttled call (the service asking to slow down), so that
    /// a batch can lower the number of items in flight.
    pub pushback: Arc<dyn Fn(crate::batch::Pushback) + Send + Sync>,
}

impl Default for RunContext {
    fn default() -> Self {
        RunContext {
            progress: Arc::new(|_| {}),
            status: Arc::new(|_| {}),
            cancel: CancellationToken::new(),
            pushback: Arc::new(|_| {}),
        }
    }
}

impl RunContext {
    /// Sleeps for `d`, returning early with "cancelled" when the run is cancelled.
    pub async fn sleep_unless_cancelled(&self, d: Duration) -> Result<()> {
        self.unless_cancelled(tokio::time::sleep(d)).await
    }

    /// Runs `fut` to its end, or stops it (dropping it) as soon as the run is cancelled and
    /// returns "cancelled".
    pub async fn unless_cancelled<T>(
        &self,
        fut: impl std::future::Future<Output = T>,
    ) -> Result<T> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(cancelled()),
            v = fut => Ok(v),
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

/// The error of a cancelled run.
pub fn cancelled() -> Error {
    Error::Engine("cancelled".into())
}

/// Exponential backoff with jitter for the cloud engines' retries: between half and all of
/// `base * 2^(attempt-1)`, at most 20 s.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let full = base
        .saturating_mul(1 << (attempt - 1).min(10))
        .min(Duration::from_secs(20));
    let jitter = 0.5 + rand::random::<f64>() * 0.5;
    full.mul_f64(jitter)
}

/// Bedrock error codes worth retrying (also when the `/image-edit` API passes them on).
pub(crate) fn is_retryable_code(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingException"
            | "ModelNotReadyException"
            | "InternalServerException"
            | "ServiceUnavailableException"
            | "ModelTimeoutException"
    )
}

/// A whole number from the environment (tuning knobs such as retry counts).
pub(crate) fn env_u64(key: &str) -> Option<u64> {
    std::env::var(key).ok().and_then(|v| v.trim().parse().ok())
}

/// One generated image, the size of the prepared canvas.
#[derive(Debug, Clone)]
pub struct Generated {
    pub image: RgbImage,
    pub seed: u64,
}

/// An image that was asked for but not returned (for example withheld by a content filter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Withheld {
    pub seed: Option<u64>,
    pub reason: String,
}

/// The ids of one call to a remote service, to match an edit to the service's own log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServiceCall {
    /// The service's id for the call (the `/image-edit` answer's `request_id`: the key of its log item).
    pub request_id: Option<String>,
    /// API Gateway's `x-amzn-RequestId`, when the answer came through API Gateway.
    pub gateway_request_id: Option<String>,
    /// How many of the output's images (in order) this call delivered.
    pub images: usize,
}

impl ServiceCall {
    /// "request id R, API Gateway request id G", or None when the answer carried neither.
    pub fn describe(&self) -> Option<String> {
        let parts: Vec<String> = [
            self.request_id.as_ref().map(|r| format!("request id {r}")),
            self.gateway_request_id
                .as_ref()
                .map(|g| format!("API Gateway request id {g}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// What an engine returns: the images it made and those it could not deliver.
#[derive(Debug, Clone, Default)]
pub struct EngineOutput {
    pub images: Vec<Generated>,
    pub withheld: Vec<Withheld>,
    /// Set when the service did not confirm that it used the seeds: says so, and what follows
    /// (the results will not repeat). The images' `seed` is then only what was asked for.
    pub seed_note: Option<String>,
    /// The calls to a remote service that delivered `images`, in order (empty for local work).
    pub calls: Vec<ServiceCall>,
    /// For modes whose result replaces the image (upscale, background removal): each image of
    /// `images` as the model made it (new size, alpha kept), written as it is. Empty otherwise.
    pub replacing: Vec<image::DynamicImage>,
}

impl EngineOutput {
    /// The seed image `i` was made with, when the engine knows it was used.
    pub fn confirmed_seed(&self, i: usize) -> Option<u64> {
        match self.seed_note {
            Some(_) => None,
            None => self.images.get(i).map(|g| g.seed),
        }
    }

    /// The call that delivered image `i`.
    pub fn call_for(&self, i: usize) -> Option<&ServiceCall> {
        let mut end = 0;
        self.calls.iter().find(|c| {
            end += c.images;
            i < end
        })
    }

    /// "2 of 3 images were withheld by the content filter (...)", or None when all arrived.
    pub fn withheld_message(&self) -> Option<String> {
        if self.withheld.is_empty() {
            return None;
        }
        let total = self.images.len() + self.withheld.len();
        let mut reasons: Vec<&str> = self.withheld.iter().map(|w| w.reason.as_str()).collect();
        reasons.dedup();
        Some(format!(
            "{} of {total} images were withheld: {}",
            self.withheld.len(),
            reasons.join("; ")
        ))
    }
}

/// An engine turns a prepared job into images.
#[async_trait]
pub trait Engine: Send + Sync {
    /// The engine's name as `--engine` spells it.
    fn kind(&self) -> EngineKind;
    /// What `--dry-run` shows beyond the job itself (for example the exact request), if anything.
    fn plan(&self, _job: &PreparedJob) -> Result<Option<serde_json::Value>> {
        Ok(None)
    }
    /// Runs the job: one image per seed, or a `Withheld` entry saying why one is missing.
    async fn run(&self, job: &PreparedJob, ctx: &RunContext) -> Result<EngineOutput>;
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
    upscaler: Option<crate::job::Upscaler>,
    living: &[String],
) -> Result<&'static ModelSpec> {
    use crate::model;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        let base = Duration::from_millis(100);
        for attempt in 1..8 {
            let d = backoff(base, attempt);
            let full = (base * (1 << (attempt - 1))).min(Duration::from_secs(20));
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
        assert!(backoff(Duration::from_secs(5), 30) <= Duration::from_secs(20));
    }

    #[test]
    fn images_map_to_the_call_that_made_them_and_seeds_to_their_confirmation() {
        let g = |seed| Generated {
            image: RgbImage::new(1, 1),
            seed,
        };
        let call = |id: &str, images| ServiceCall {
            request_id: Some(id.into()),
            gateway_request_id: None,
            images,
        };
        let mut out = EngineOutput {
            images: vec![g(7), g(8), g(9)],
            calls: vec![call("a", 2), call("b", 1)],
            ..EngineOutput::default()
        };
        let ids: Vec<_> = (0..4)
            .map(|i| out.call_for(i).and_then(|c| c.request_id.as_deref()))
            .collect();
        assert_eq!(ids, [Some("a"), Some("a"), Some("b"), None]);
        assert_eq!(out.confirmed_seed(1), Some(8));
        out.seed_note = Some("not confirmed".into());
        assert_eq!(out.confirmed_seed(1), None);
        assert_eq!(call("r", 0).describe().as_deref(), Some("request id r"));
        assert_eq!(ServiceCall::default().describe(), None);
    }

    #[tokio::test]
    async fn a_backoff_sleep_ends_when_the_run_is_cancelled() {
        let ctx = RunContext::default();
        let token = ctx.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            token.cancel();
        });
        let t = std::time::Instant::now();
        let r = ctx.sleep_unless_cancelled(Duration::from_secs(30)).await;
        assert_eq!(r.unwrap_err().to_string(), "cancelled");
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        assert!(ctx.is_cancelled());
        // uncancelled, the sleep is whole
        let fresh = RunContext::default();
        let t = std::time::Instant::now();
        fresh
            .sleep_unless_cancelled(Duration::from_millis(30))
            .await
            .unwrap();
        assert!(t.elapsed() >= Duration::from_millis(30));
    }
}
