//! What the pipeline asks of an engine: the [`Engine`] trait, its input ([`PreparedJob`]), its
//! output ([`EngineOutput`]) and the [`RunContext`] it reports to and is cancelled through. The
//! engines themselves (`crate::engine`) implement the trait; the pipeline never names one.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use image::{GrayImage, RgbImage};
use serde::Serialize;
pub use tokio_util::sync::CancellationToken;

use crate::edit::job::Placement;
use crate::edit::model::ModelSpec;
use crate::edit::options::{Mode, Quality, ToolOptions};
use crate::error::{Error, Result};

/// A service's request to slow down, as an engine saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushback {
    /// The service's error code (`ThrottlingException`, `HTTP429`, ...).
    pub code: String,
    /// How long the service asked to wait (`Retry-After`), if it said.
    pub retry_after: Option<Duration>,
}

/// Which engine runs a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineKind {
    /// The embedded classical engine: offline, no account, prompts ignored.
    Local,
    /// Amazon Bedrock InvokeModel (Titan, Nova Canvas, Stability).
    Bedrock,
    /// A team's `/image-edit` HTTP API, authenticated with Cognito.
    Api,
}

crate::choice::choice!(EngineKind { Local => "local", Bedrock => "bedrock", Api => "api" });

impl EngineKind {
    pub fn as_str(self) -> &'static str {
        crate::choice::Choice::name(self)
    }
}

impl std::str::FromStr for EngineKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        <EngineKind as crate::choice::Choice>::parse(s)
            .ok_or_else(|| format!("unknown engine {s:?} (expected local, bedrock or api)"))
    }
}

/// The engine's input: the canvas in RGB, the mask in imgedit's convention, and the settings.
#[derive(Debug, Clone)]
pub struct PreparedJob {
    /// The output canvas with the source placed on it; pixels under the mask are undefined.
    /// The job's own source buffer, shared, when the canvas is the source itself and it is RGB
    /// (see `prepare::prepare`).
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
    pub tool: ToolOptions,
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
    pub pushback: Arc<dyn Fn(Pushback) + Send + Sync>,
    /// Each image as soon as the engine has it, before the run ends, with its index among the
    /// request's seeds: front ends that show results as they arrive use it. The image is the
    /// canvas-sized one that `EngineOutput` will hold too (not for modes that replace the image).
    pub image: ImageReady,
}

/// The callback an engine hands each finished image to (see [`RunContext::image`]).
pub type ImageReady = Arc<dyn Fn(usize, &Generated) + Send + Sync>;

impl Default for RunContext {
    fn default() -> Self {
        RunContext {
            progress: Arc::new(|_| {}),
            status: Arc::new(|_| {}),
            cancel: CancellationToken::new(),
            pushback: Arc::new(|_| {}),
            image: Arc::new(|_, _| {}),
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
    Error::Engine(crate::record::CANCELLED.into())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
        // a 30 s sleep ends at the cancel: 10 s tells the two apart on any machine
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
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
