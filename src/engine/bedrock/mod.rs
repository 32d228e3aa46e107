//! `--engine bedrock`: Amazon Bedrock InvokeModel through the AWS SDK, with the standard
//! credential chain, bounded retries that the user can see, and errors a person can act on.

pub mod catalogue;
pub mod fit;
pub mod wire;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::primitives::Blob;
use image::{GrayImage, RgbImage};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::retry::{Failed, Policy, with_retries};
use crate::edit::engine::{
    Engine, EngineKind, EngineOutput, EngineProgress, Generated, PreparedJob, RunContext, Withheld,
};
use crate::edit::model::{Lifecycle, ModelSpec};
use crate::edit::options::Mode;
use crate::error::{Error, Result};

/// Where and how to call Bedrock.
#[derive(Debug, Clone)]
pub struct BedrockSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    /// Attempts per call for retryable failures (throttling, 5xx, timeouts, model not ready).
    pub max_attempts: u32,
    /// First backoff delay; doubles per attempt, with jitter, capped at 20 s.
    pub retry_base: Duration,
    /// Read timeout: long enough for premium multi-image requests.
    pub read_timeout: Duration,
    /// How long an AccessDeniedException is retried before any call has succeeded: AWS
    /// Marketplace may still be setting up the subscription of a first call (up to 2 minutes).
    pub access_wait: Duration,
}

impl Default for BedrockSettings {
    fn default() -> Self {
        BedrockSettings {
            region: None,
            profile: None,
            max_attempts: super::env_u64("IMGEDIT_BEDROCK_MAX_ATTEMPTS")
                .map_or(5, |v| v.clamp(1, 20) as u32),
            retry_base: Duration::from_millis(
                super::env_u64("IMGEDIT_BEDROCK_RETRY_BASE_MS").unwrap_or(500),
            ),
            read_timeout: Duration::from_secs(
                super::env_u64("IMGEDIT_BEDROCK_TIMEOUT_SECS").map_or(300, |v| v.max(1)),
            ),
            access_wait: Duration::from_secs(
                super::env_u64("IMGEDIT_BEDROCK_ACCESS_WAIT_SECS").unwrap_or(120),
            ),
        }
    }
}

/// The AWS configuration every Bedrock client of imgedit uses (InvokeModel's and the control
/// plane's): the standard credential chain with `settings`' profile and Region, imgedit's own
/// retries (none in the SDK) and timeouts; each service's endpoint override
/// (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, `AWS_ENDPOINT_URL_BEDROCK`) is the SDK's. Returns the
/// Region too.
pub async fn sdk_config(settings: &BedrockSettings) -> Result<(aws_config::SdkConfig, String)> {
    use aws_config::{BehaviorVersion, Region, retry::RetryConfig, timeout::TimeoutConfig};
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        // imgedit retries itself, so each retry shows in the progress line.
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(settings.read_timeout)
                .build(),
        );
    if let Some(p) = &settings.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &settings.region {
        loader = loader.region(Region::new(r.clone()));
    }
    let cfg = loader.load().await;
    let region = cfg.region().map(|r| r.to_string()).ok_or_else(|| {
        Error::Usage(
            "no AWS region: pass --region, set AWS_REGION, or set region in the config or the AWS profile".into(),
        )
    })?;
    Ok((cfg, region))
}

/// The Bedrock engine; the SDK client is built on first use.
pub struct BedrockEngine {
    settings: BedrockSettings,
    client: OnceCell<(Client, String)>,
    /// Whether any call has been answered: after that an AccessDeniedException is not a
    /// subscription still being set up.
    answered: AtomicBool,
}

impl BedrockEngine {
    pub fn new(settings: BedrockSettings) -> Self {
        BedrockEngine {
            settings,
            client: OnceCell::new(),
            answered: AtomicBool::new(false),
        }
    }

    async fn client(&self) -> Result<&(Client, String)> {
        self.client
            .get_or_try_init(|| async {
                let (cfg, region) = sdk_config(&self.settings).await?;
                Ok((Client::new(&cfg), region))
            })
            .await
    }

    /// One InvokeModel call with bounded retries; returns the response body.
    async fn invoke(
        &self,
        spec: &ModelSpec,
        mode: Mode,
        body: Vec<u8>,
        ctx: &RunContext,
    ) -> Result<Vec<u8>> {
        let (client, region) = self.client().await?;
        let started = Instant::now();
        let policy = Policy {
            max_attempts: self.settings.max_attempts,
            base: self.settings.retry_base,
        };
        with_retries(policy, ctx, |attempt| {
            let (client, body) = (&client, &body);
            async move {
                tracing::debug!(model = spec.id, region = %region, attempt, bytes = body.len(), "InvokeModel");
                // raced with the cancel token: a cancelled run drops the call at once
                let sent = ctx
                    .unless_cancelled(
                        client
                            .invoke_model()
                            .model_id(spec.id)
                            .content_type("application/json")
                            .accept("application/json")
                            .body(Blob::new(body.clone()))
                            .send(),
                    )
                    .await
                    .map_err(|e| Failed::new(e, false))?;
                match sent {
                    Ok(out) => {
                        tracing::debug!(
                            ms = started.elapsed().as_millis() as u64,
                            bytes = out.body.as_ref().len(),
                            "InvokeModel answered"
                        );
                        self.answered.store(true, Ordering::Relaxed);
                        Ok(out.body.into_inner())
                    }
                    Err(err) => Err(self.failed(&err, spec, mode, region, ctx)),
                }
            }
        })
        .await
    }

    /// A failed InvokeModel call as the retry policy takes it.
    fn failed<E, R>(
        &self,
        err: &SdkError<E, R>,
        spec: &ModelSpec,
        mode: Mode,
        region: &str,
        ctx: &RunContext,
    ) -> Failed
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let failure = classify(err, spec, mode, region);
        // A third-party model's first call may be denied while AWS Marketplace sets up the
        // subscription: retry that for a bounded time, saying why.
        let subscribing = failure.code == "AccessDeniedException"
            && spec.profile_prefix.is_some()
            && !self.answered.load(Ordering::Relaxed)
            && !ctx.is_cancelled();
        if subscribing {
            return Failed {
                within: Some(self.settings.access_wait),
                said: format!(
                    "AccessDeniedException: the AWS Marketplace subscription to {} may still be being set up (it can take a few minutes on first use)",
                    spec.id
                ),
                gave_up: Some(Box::new(|_, spent| {
                    format!(
                        " (still denied after {:.0} s of retries while the subscription could be setting up)",
                        spent.as_secs_f64()
                    )
                })),
                ..Failed::new(failure.error, true)
            };
        }
        let throttled = failure.code.contains("Throttl");
        Failed {
            // a model that timed out once is likely to again
            policy: (failure.code == "ModelTimeoutException").then(|| Policy {
                max_attempts: self.settings.max_attempts.min(2),
                base: self.settings.retry_base,
            }),
            said: failure.code.clone(),
            gave_up: Some(Box::new(move |attempt, spent| {
                if attempt < 2 {
                    return String::new();
                }
                let advice = if throttled {
                    "try again later, or ask for a higher Bedrock quota"
                } else {
                    "try again later"
                };
                format!(
                    " (gave up after {attempt} attempts in {:.1} s; {advice})",
                    spent.as_secs_f64()
                )
            })),
            ..Failed::new(failure.error, failure.retryable)
        }
    }
}

/// An InvokeModel error, classified: its code, whether to retry, the error in words.
struct Classified {
    code: String,
    retryable: bool,
    error: Error,
}

fn classify<E, R>(err: &SdkError<E, R>, spec: &ModelSpec, mode: Mode, region: &str) -> Classified
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let id = spec.id;
    match err {
        SdkError::ServiceError(se) => classify_service(se.err(), spec, mode, region),
        SdkError::TimeoutError(_) => Classified {
            code: "timeout".into(),
            retryable: true,
            error: Error::service(
                "RequestTimeout",
                format!("{id}: Bedrock did not answer in time"),
            ),
        },
        SdkError::DispatchFailure(d) if d.is_timeout() => Classified {
            code: "timeout".into(),
            retryable: true,
            error: Error::service(
                "RequestTimeout",
                format!(
                    "{id}: Bedrock did not answer in time ({})",
                    short_context(err)
                ),
            ),
        },
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            let text = short_context(err);
            if text.contains("credential") || text.contains("identity") {
                return Classified {
                    code: "credentials".into(),
                    retryable: false,
                    error: Error::Auth(format!(
                        "no usable AWS credentials: set a profile (--profile, AWS_PROFILE), run `aws sso login`, or set AWS_BEARER_TOKEN_BEDROCK ({text})"
                    )),
                };
            }
            let at = endpoint(region);
            let what = if matches!(err, SdkError::ResponseError(_)) {
                format!("Bedrock's answer from {at} broke off")
            } else {
                format!("cannot reach Bedrock at {at}")
            };
            Classified {
                code: "connection".into(),
                retryable: true,
                error: Error::service("ConnectionError", format!("{id}: {what}: {text}")),
            }
        }
        _ => {
            let text = short_context(err);
            let auth = text.contains("credential") || text.contains("identity");
            Classified {
                code: "request".into(),
                retryable: false,
                error: if auth {
                    Error::Auth(format!(
                        "no usable AWS credentials: set a profile (--profile, AWS_PROFILE), run `aws sso login`, or set AWS_BEARER_TOKEN_BEDROCK ({text})"
                    ))
                } else {
                    Error::Engine(format!("{id}: cannot build the request: {text}"))
                },
            }
        }
    }
}

/// A service error Bedrock answered with, classified by its code and message.
fn classify_service<E: ProvideErrorMetadata>(
    e: &E,
    spec: &ModelSpec,
    mode: Mode,
    region: &str,
) -> Classified {
    let id = spec.id;
    let code = e.code().unwrap_or("Unknown").to_string();
    let msg = e.message().unwrap_or("").to_string();
    let retryable = super::retry::is_retryable_code(&code);
    let message = match code.as_str() {
        "AccessDeniedException" => format!(
            "access denied to {id} in {region}: Bedrock grants access to a model on its first call, through AWS Marketplace (the console's Model access page is retired). The caller needs bedrock:InvokeModel on the model and aws-marketplace:Subscribe, aws-marketplace:Unsubscribe and aws-marketplace:ViewSubscriptions, and the account a valid payment method; setting up a subscription can take up to 15 minutes. `imgedit models --region {region}` says which of these it is (agreement, IAM or Region). Bedrock said: {msg}"
        ),
        "ResourceNotFoundException" => model_refused(spec, mode, region, &msg),
        "ValidationException" if refuses_the_id(&msg) => model_refused(spec, mode, region, &msg),
        "ValidationException" if msg.contains("content filter") => {
            format!("{id}: blocked by Bedrock's content filters: {msg}")
        }
        "ValidationException" => format!("{id}: Bedrock rejected the request: {msg}"),
        "ServiceQuotaExceededException" => {
            format!("{id}: service quota exceeded in {region}: {msg}")
        }
        _ => format!("Bedrock {code} for {id}: {msg}"),
    };
    let error = match code.as_str() {
        "UnrecognizedClientException" | "InvalidSignatureException" | "ExpiredTokenException" => {
            Error::Auth(format!("AWS rejected the credentials ({code}): {msg}"))
        }
        // A content-filter block is not the user's input being malformed.
        "ValidationException" if msg.contains("content filter") => {
            Error::service("ContentFilterBlocked", message)
        }
        _ => Error::service(code.clone(), message),
    };
    Classified {
        code,
        retryable,
        error,
    }
}

/// The endpoint the SDK calls for `region`: the `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` (or
/// `AWS_ENDPOINT_URL`) override, else Bedrock's own, so that a connection error says where it
/// tried.
fn endpoint(region: &str) -> String {
    ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| format!("https://bedrock-runtime.{region}.amazonaws.com"))
}

/// The SDK's error chain without its trailing Debug dump.
pub(crate) fn short_context<E: std::error::Error + 'static, R: std::fmt::Debug>(
    err: &SdkError<E, R>,
) -> String {
    let text = DisplayErrorContext(err).to_string();
    match text.find(" (") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Whether a ValidationException is about the model id rather than the body: the two texts
/// Bedrock gives for an unknown id, a wrong Region, or a profile-only model called by bare id.
fn refuses_the_id(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("provided model identifier is invalid")
        || (m.contains("on-demand throughput") && m.contains("isn't supported"))
}

/// The living model to use instead of `spec` for `mode`.
fn replacement(spec: &ModelSpec, mode: Mode) -> Option<&'static str> {
    crate::edit::model::active_for(mode)
        .map(|m| m.id)
        .or(spec.successor)
}

/// One message for "Bedrock does not serve this model here": retired, Legacy, or the wrong id
/// form or Region.
fn model_refused(spec: &ModelSpec, mode: Mode, region: &str, msg: &str) -> String {
    let id = spec.id;
    let instead = replacement(spec, mode).unwrap_or(crate::edit::model::STABILITY_INPAINT_ID);
    let retired = || {
        let when = match (spec.end_of_life, spec.lifecycle) {
            (Some(d), _) => format!("reached end of life on {d}"),
            (None, Lifecycle::EndOfLife) => {
                "reached end of life (AWS lists no lifecycle for it; imgedit treats it as retired)"
                    .to_string()
            }
            (None, _) => "reached end of life".to_string(),
        };
        format!(
            "{id} ({}) {when}; use {instead} instead (--model {instead}). Bedrock said: {msg}",
            spec.name
        )
    };
    match spec.lifecycle {
        Lifecycle::EndOfLife => return retired(),
        Lifecycle::Legacy => {
            return format!(
                "{id} ({}) is Legacy: Bedrock no longer serves it to this account; use {instead} instead (--model {instead}). Bedrock said: {msg}",
                spec.name
            );
        }
        Lifecycle::Active | Lifecycle::Unknown => {}
    }
    if msg.contains("Legacy") {
        return format!(
            "{id} is marked Legacy by its provider and is not served to this account; use {instead} instead. Bedrock said: {msg}"
        );
    }
    // A model listed in living_models (or unknown to imgedit) that Bedrock says is retired.
    if msg.contains("end of its life") {
        return retired();
    }
    let regions = if spec.regions.is_empty() {
        crate::edit::model::STABILITY_REGIONS
    } else {
        spec.regions
    };
    let form = match spec.profile_prefix {
        Some(p) if !id.starts_with(p) => format!("use the {p} inference-profile id {p}{id}"),
        Some(p) => format!("keep the {p} inference-profile id"),
        None => format!("use an id of the form {instead}"),
    };
    format!(
        "{id} is not served in {region} under this id: {form}, from one of the Regions {} (--region). Bedrock said: {msg}",
        regions.join(", ")
    )
}

/// A line to show before calling `spec` in `region`, when the call is likely to fail.
pub fn pre_call_warning(spec: &ModelSpec, mode: Mode, region: &str) -> Option<String> {
    if spec.lifecycle == Lifecycle::EndOfLife {
        let instead = replacement(spec, mode).unwrap_or(crate::edit::model::STABILITY_INPAINT_ID);
        let when = spec.end_of_life.map_or_else(
            || "is treated as retired".to_string(),
            |d| format!("reached end of life on {d}"),
        );
        return Some(format!(
            "warning: {} {when}; sending it as asked, but Bedrock will probably refuse it (use {instead})",
            spec.id
        ));
    }
    if !spec.regions.is_empty() && !spec.regions.contains(&region) {
        return Some(format!(
            "warning: {} is served in {}, not in {region}; Bedrock will probably refuse the call (pass --region)",
            spec.id,
            spec.regions.join(", ")
        ));
    }
    None
}

/// The part of the canvas a job sends, with the image and mask cut from it. A Stability outpaint
/// sends the original and border widths (`wire` builds them), and its result is the whole canvas.
fn window(job: &PreparedJob) -> Result<(fit::Window, RgbImage, GrayImage)> {
    if job.mode.replaces_image() {
        // the whole image, as it is (its size was checked against the tool's limits)
        let (w, h) = job.image.dimensions();
        let whole = fit::Window {
            x: 0,
            y: 0,
            w,
            h,
            send_w: w,
            send_h: h,
        };
        return Ok((whole, (*job.image).clone(), job.mask.clone()));
    }
    if job.model.family == crate::edit::model::Family::StabilityOutpaint {
        let plan = fit::outpaint(job.model, &job.placement, job.source_size)?;
        return Ok((
            plan.window(&job.placement),
            (*job.image).clone(),
            job.mask.clone(),
        ));
    }
    let win = fit::choose(job.model, &job.mask)?;
    let (img, mask) = fit::crop(&win, &job.image, &job.mask);
    Ok((win, img, mask))
}

#[async_trait]
impl Engine for BedrockEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Bedrock
    }

    fn plan(&self, job: &PreparedJob) -> Result<Option<Value>> {
        let (win, img, mask) = window(job)?;
        let requests = wire::build_requests(job, &img, &mask)?;
        let images = job.seeds.len();
        Ok(Some(json!({
            "model_id": job.model.id,
            "model": job.model.name,
            "lifecycle": job.model.lifecycle,
            "window": {"x": win.x, "y": win.y, "width": win.w, "height": win.h,
                       "sent_width": win.send_w, "sent_height": win.send_h},
            "requests": requests.iter().map(|r| wire::redacted(&r.body)).collect::<Vec<_>>(),
            "estimated_price_usd": job.model.price_per_image_usd * images as f64,
        })))
    }

    async fn run(&self, job: &PreparedJob, ctx: &RunContext) -> Result<EngineOutput> {
        use futures_util::StreamExt;
        let spec = job.model;
        let (win, img, mask) = window(job)?;
        let requests = wire::build_requests(job, &img, &mask)?;
        // loading the AWS config may fetch credentials (SSO, a process): cancellable too
        let (_, region) = ctx.unless_cancelled(self.client()).await??;
        if let Some(w) = pre_call_warning(spec, job.mode, region) {
            (ctx.status)(w);
        }
        let images = requests.len();
        let done = AtomicUsize::new(0);
        let report = |n: usize| {
            (ctx.progress)(EngineProgress {
                image: n.min(images.saturating_sub(1)),
                images,
                done: n as u64,
                total: images as u64,
            })
        };
        report(0);
        // One call per seed for the Stability tools: up to max_images of them at once.
        let parallel = spec.max_images.clamp(1, 5) as usize;
        let mut calls = Vec::with_capacity(images);
        for req in &requests {
            let (done, report, win) = (&done, &report, &win);
            calls.push(Box::pin(async move {
                let r = self.call(job, req, ctx).await;
                report(done.fetch_add(1, Ordering::Relaxed) + 1);
                // each call's images are handed on as it lands, the others still in flight
                r.map(|parsed| landed(job, req, win, parsed, ctx))
            }));
        }
        let answers: Vec<Result<Landed>> = futures_util::stream::iter(calls)
            .buffered(parallel)
            .collect()
            .await;
        let mut out = EngineOutput::default();
        for answer in answers {
            let (made, replacing, withheld) = answer?;
            out.images.extend(made);
            out.replacing.extend(replacing);
            out.withheld.extend(withheld);
        }
        Ok(out)
    }
}

/// What one call delivered: its images on the canvas, the images a replacing mode writes as
/// they are, and the ones withheld.
type Landed = (Vec<Generated>, Vec<image::DynamicImage>, Vec<Withheld>);

/// One call's answer as the run's images, each handed to the run context as it lands.
fn landed(
    job: &PreparedJob,
    req: &wire::Request,
    win: &fit::Window,
    parsed: wire::Parsed,
    ctx: &RunContext,
) -> Landed {
    let (mut made, mut replacing) = (Vec::new(), Vec::new());
    // the request's images are the job's from its first seed on
    let first = req
        .seeds
        .first()
        .and_then(|s| job.seeds.iter().position(|j| j == s))
        .unwrap_or(0);
    for (k, (image, seed)) in parsed.images.into_iter().enumerate() {
        if job.mode.replaces_image() {
            made.push(Generated {
                image: image.to_rgb8(),
                seed,
            });
            replacing.push(image);
        } else {
            let g = Generated {
                image: fit::paste_back(win, &job.image, &image.to_rgb8()),
                seed,
            };
            (ctx.image)(first + k, &g);
            made.push(g);
        }
    }
    let withheld = parsed
        .withheld
        .into_iter()
        .map(|(seed, reason)| Withheld { seed, reason })
        .collect();
    (made, replacing, withheld)
}

impl BedrockEngine {
    /// One request: its answer, with a content-filter block (a 400 or a 200) as withheld images
    /// and Stability's "Inference error" retried.
    async fn call(
        &self,
        job: &PreparedJob,
        req: &wire::Request,
        ctx: &RunContext,
    ) -> Result<wire::Parsed> {
        let spec = job.model;
        let body = serde_json::to_vec(&req.body)
            .map_err(|e| Error::Engine(format!("cannot serialise the request: {e}")))?;
        let policy = Policy {
            max_attempts: self.settings.max_attempts.min(3),
            base: self.settings.retry_base,
        };
        with_retries(policy, ctx, |attempt| {
            let body = &body;
            async move {
                let response = match self.invoke(spec, job.mode, body.clone(), ctx).await {
                    Ok(r) => r,
                    Err(Error::Service { code, message }) if code == "ContentFilterBlocked" => {
                        return Ok(wire::Parsed {
                            images: Vec::new(),
                            withheld: req
                                .seeds
                                .iter()
                                .map(|&s| (Some(s), message.clone()))
                                .collect(),
                        });
                    }
                    Err(e) => return Err(Failed::new(e, false)),
                };
                let parsed = wire::parse_response(spec.family, &response, req)
                    .map_err(|e| Failed::new(e, false))?;
                let failed = parsed
                    .withheld
                    .iter()
                    .any(|(_, r)| r == wire::INFERENCE_ERROR);
                // the last attempt's answer is delivered as it is, its images withheld
                if !failed || attempt >= policy.max_attempts {
                    return Ok(parsed);
                }
                Err(Failed {
                    said: wire::INFERENCE_ERROR.to_string(),
                    ..Failed::new(
                        Error::service("InferenceError", wire::INFERENCE_ERROR),
                        true,
                    )
                })
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retired_model_names_its_date_and_a_living_replacement() {
        let spec = crate::edit::model::find("amazon.nova-canvas-v1:0").unwrap();
        let m = model_refused(spec, Mode::Outpaint, "us-east-1", "gone");
        assert!(
            m.contains("amazon.nova-canvas-v1:0")
                && m.contains("reached end of life on 2026-09-30; use us.stability.stable-outpaint-v1:0 instead"),
            "{m}"
        );
        let spec = crate::edit::model::find("amazon.titan-image-generator-v2:0").unwrap();
        let m = model_refused(spec, Mode::Inpaint, "us-east-1", "x");
        assert!(
            m.contains("reached end of life on 2026-06-30; use us.stability.stable-image-inpaint-v1:0 instead"),
            "{m}"
        );
    }

    #[test]
    fn bedrocks_end_of_life_refusal_is_explained_for_a_model_marked_living() {
        let eol = "This model version has reached the end of its life. Please refer to the AWS documentation for more details.";
        let v2 = crate::edit::model::find("amazon.titan-image-generator-v2:0").unwrap();
        let living = crate::edit::model::treat_as_living(v2, &[v2.id.to_string()]);
        let m = model_refused(living, Mode::Inpaint, "us-east-1", eol);
        assert!(
            m.contains("reached end of life on 2026-06-30; use us.stability.stable-image-inpaint-v1:0 instead")
                && m.contains(eol),
            "{m}"
        );
        let unknown = crate::edit::model::resolve(
            "amazon.titan-image-generator-v9",
            Some(crate::edit::model::Family::Titan),
        )
        .unwrap();
        let m = model_refused(unknown, Mode::Inpaint, "us-east-1", eol);
        assert!(
            m.contains("amazon.titan-image-generator-v9")
                && m.contains(
                    "reached end of life; use us.stability.stable-image-inpaint-v1:0 instead"
                ),
            "{m}"
        );
    }

    #[test]
    fn the_id_refusals_map_to_one_message_with_regions_and_the_us_form() {
        let bare =
            crate::edit::model::resolve("stability.stable-image-erase-object-v1:0", None).unwrap();
        let texts = [
            "The provided model identifier is invalid.",
            "Invocation of model ID stability.stable-image-erase-object-v1:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
        ];
        for t in texts {
            assert!(refuses_the_id(t), "{t}");
            let m = model_refused(bare, Mode::Erase, "eu-west-1", t);
            assert!(
                m.contains("us.stability.stable-image-erase-object-v1:0")
                    && m.contains("us-east-1, us-east-2, us-west-2")
                    && m.contains("eu-west-1"),
                "{m}"
            );
        }
        assert!(!refuses_the_id(
            "Malformed input request: #/prompt: expected maxLength: 10000"
        ));
    }

    #[test]
    fn warnings_before_the_call() {
        let s = crate::edit::model::find("us.stability.stable-image-inpaint-v1:0").unwrap();
        assert!(pre_call_warning(s, Mode::Inpaint, "us-west-2").is_none());
        let w = pre_call_warning(s, Mode::Inpaint, "eu-central-1").unwrap();
        assert!(
            w.contains("us-east-1, us-east-2, us-west-2") && w.contains("eu-central-1"),
            "{w}"
        );
        let t = crate::edit::model::find("amazon.titan-image-generator-v1").unwrap();
        assert!(
            pre_call_warning(t, Mode::Inpaint, "us-east-1")
                .unwrap()
                .contains("retired")
        );
    }

    /// A run against a Bedrock endpoint that takes the request and never answers (an in-test
    /// listener on 127.0.0.1) stops as soon as it is cancelled, with "cancelled", not when the
    /// read timeout ends.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_run_stops_at_once_while_bedrock_is_silent() {
        use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((conn, _)) = listener.accept().await {
                let _ = seen_tx.send(());
                held.push(conn); // read nothing, answer nothing, close nothing
            }
        });
        let conf = aws_sdk_bedrockruntime::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(&url)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDIMGEDITTEST", "x", None, None, "test"))
            .build();
        let engine = BedrockEngine {
            settings: BedrockSettings {
                max_attempts: 5,
                read_timeout: Duration::from_secs(60),
                ..BedrockSettings::default()
            },
            client: OnceCell::new_with(Some((Client::from_conf(conf), "us-east-1".into()))),
            answered: AtomicBool::new(false),
        };
        let spec = crate::edit::model::find("us.stability.stable-image-inpaint-v1:0").unwrap();
        assert!(spec.lifecycle.is_living());
        let (w, h) = (320u32, 320u32);
        let job = PreparedJob {
            image: RgbImage::new(w, h).into(),
            mask: GrayImage::from_fn(w, h, |x, _| image::Luma([if x < 160 { 255 } else { 0 }])),
            mode: Mode::Inpaint,
            prompt: Some("grass".into()),
            negative: None,
            mask_prompt: None,
            search: None,
            seeds: vec![1],
            cfg_scale: None,
            quality: None,
            model: spec,
            placement: crate::edit::job::Placement::identity(w, h),
            source_size: (w, h),
            tool: Default::default(),
        };
        let ctx = RunContext::default();
        let token = ctx.cancel.clone();
        let run = tokio::spawn(async move { engine.run(&job, &ctx).await });
        // the request has reached the silent server: cancel it there
        tokio::time::timeout(Duration::from_secs(20), seen_rx.recv())
            .await
            .expect("the engine never connected")
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!run.is_finished(), "the run ended before it was cancelled");
        let cancelled_at = Instant::now();
        token.cancel();
        let out = tokio::time::timeout(Duration::from_secs(5), run)
            .await
            .expect("the cancelled run did not stop within 5 s")
            .unwrap();
        // the 5 s bound above tells a dropped call from one that runs to its timeout (minutes);
        // a tighter one would only measure the machine's load
        let _ = cancelled_at;
        match out {
            Err(e) => assert_eq!(e.to_string(), crate::edit::engine::cancelled().to_string()),
            Ok(_) => panic!("a silent server gave images"),
        }
    }
}
