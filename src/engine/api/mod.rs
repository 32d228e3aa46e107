//! The `api` engine: a team's `/image-edit` HTTP API (API Gateway + Lambda, or `imgedit serve`),
//! authenticated with the cached Cognito ID token (or `--token` / `IMGEDIT_TOKEN`).
//!
//! The request is the browser client's (contracts.md section 1) plus imgedit's optional
//! extensions (`num_images`, `seed`, `cfg_scale`, `quality`, `prompt.negative_text`), which the
//! original Lambda ignores. The edit is fitted into the model's limits the way the Bedrock engine
//! does it (crop around the mask, scale if needed, paste back) and the body is kept under
//! Lambda's 6 MB payload limit.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use image::RgbImage;
use serde_json::{Value, json};

pub mod original;
mod request;

pub use self::original::botocore_code;

use self::original::{
    ORIGINAL_BACKOFF_FACTOR, ORIGINAL_BEDROCK_ATTEMPTS, ORIGINAL_IMAGES_PER_CALL,
    ORIGINAL_MAX_ATTEMPTS, PRECISE_OUTPAINT_HINT, SEED_NOTE, is_precise_outpaint_defect, times,
};
use self::request::build_body;
use super::bedrock::fit::{self, Window};
use super::env_u64;
use super::retry::{Failed, Policy, is_retryable_code, with_retries};
use crate::auth::CognitoSettings;
use crate::auth::cache::TokenCache;
use crate::edit::engine::{
    Engine, EngineKind, EngineOutput, EngineProgress, Generated, PreparedJob, RunContext,
    ServiceCall, Withheld,
};
use crate::edit::options::Mode;
use crate::error::{Error, Result, error_chain};
use crate::image_io::{self, DecodeLimits};
use crate::wire::{
    self, Problem,
    image_edit::{ImageEditError, ImageEditResponse},
};

/// The model the original Lambda calls for `"titan"`; its limits are the API's.
pub const API_MODEL: &str = "amazon.titan-image-generator-v2:0";
/// AWS Lambda's synchronous payload limit (request and response).
pub const PAYLOAD_LIMIT_BYTES: usize = 6 * 1024 * 1024;
/// API Gateway's default integration timeout for REST APIs.
pub const GATEWAY_TIMEOUT_SECS: u64 = 29;

/// Where the API is and how to authenticate.
#[derive(Clone, Default)]
pub struct ApiSettings {
    /// The invoke URL (`.../image-edit`, or a stage root).
    pub url: Option<String>,
    /// A token given on the command line or in `IMGEDIT_TOKEN` (used as is, never refreshed).
    pub token: Option<String>,
    /// The pool for the cached token's refresh.
    pub cognito: Option<CognitoSettings>,
    /// Where the token cache lives and which profile to use.
    pub config_dir: Option<PathBuf>,
    pub login_profile: Option<String>,
}

impl std::fmt::Debug for ApiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiSettings")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .field("cognito", &self.cognito)
            .finish_non_exhaustive()
    }
}

/// The `api` engine.
pub struct ApiEngine {
    settings: ApiSettings,
    http: reqwest::Client,
    max_attempts: u32,
    retry_base: Duration,
}

impl ApiEngine {
    /// The engine with its HTTP client. A client that cannot be built (no usable TLS set-up) is an
    /// error, never a default client that would drop the timeouts. TLS trusts the platform's
    /// roots (with `SSL_CERT_FILE`/`SSL_CERT_DIR`), as the AWS SDK does for Bedrock.
    pub fn new(settings: ApiSettings) -> Result<Self> {
        let timeout = Duration::from_secs(env_u64("IMGEDIT_API_TIMEOUT_SECS").unwrap_or(120));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| {
                Error::Engine(format!(
                    "the api engine cannot set up its HTTP client: {}",
                    error_chain(&e)
                ))
            })?;
        Ok(ApiEngine {
            settings,
            http,
            max_attempts: env_u64("IMGEDIT_API_MAX_ATTEMPTS").map_or(4, |v| v.clamp(1, 20) as u32),
            retry_base: Duration::from_millis(env_u64("IMGEDIT_API_RETRY_BASE_MS").unwrap_or(1000)),
        })
    }

    /// The API's URL, or an error saying how to set it.
    pub fn url(&self) -> Result<&str> {
        self.settings.url.as_deref().filter(|u| !u.is_empty()).ok_or_else(|| {
            Error::Usage(
                "the api engine needs the API's URL: pass --api-url URL, set api_url in the config or IMGEDIT_API_URL, or run imgedit config import config.js".into(),
            )
        })
    }

    /// The ID token to send: `--token`/`IMGEDIT_TOKEN`, else the cached one (refreshed if needed).
    async fn token(&self) -> Result<String> {
        if let Some(t) = self.settings.token.as_deref().filter(|t| !t.is_empty()) {
            return Ok(t.to_string());
        }
        let (Some(settings), Some(dir)) = (&self.settings.cognito, &self.settings.config_dir)
        else {
            return Err(Error::Auth(
                "the api engine needs a token: run imgedit login (after imgedit config import config.js), or pass --token / IMGEDIT_TOKEN".into(),
            ));
        };
        let profile = self.settings.login_profile.as_deref().unwrap_or("default");
        let cache = TokenCache::for_profile(dir, profile)?;
        let (tokens, _) = crate::auth::cognito::cached_fresh(settings, &cache, profile).await?;
        Ok(tokens.id_token)
    }
}

/// An error answer from the API, classified.
struct Refusal {
    retryable: bool,
    error: Error,
    retry_after: Option<Duration>,
    /// A 500 whose error is botocore's text: the original Lambda's, which has already retried
    /// Bedrock itself before answering.
    botocore: bool,
}

impl Refusal {
    /// A failure other than an error answer: no Retry-After, not botocore's.
    fn plain(retryable: bool, error: Error) -> Self {
        Refusal {
            retryable,
            error,
            retry_after: None,
            botocore: false,
        }
    }
}

/// The error with the call's ids appended, so that it can be matched to the API's log.
fn with_ids(error: Error, call: &ServiceCall) -> Error {
    match call.describe() {
        Some(ids) => error.with_note(&format!(" [{ids}]")),
        None => error,
    }
}

/// The answer's ids: `request_id` from its body (or `x-request-id`), API Gateway's from
/// `x-amzn-RequestId`.
fn ids_of(headers: &reqwest::header::HeaderMap, request_id: Option<&str>) -> ServiceCall {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    ServiceCall {
        request_id: request_id
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .or_else(|| header("x-request-id")),
        gateway_request_id: header("x-amzn-requestid"),
        images: 0,
    }
}

fn classify(
    status: u16,
    body: &[u8],
    explicit_token: bool,
    retry_after: Option<Duration>,
    mode: Mode,
) -> Refusal {
    let answer: ImageEditError = serde_json::from_slice(body).unwrap_or_default();
    let text = answer
        .text()
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned());
    let explicit_code = answer.error_code;
    let from_text = botocore_code(&text).map(str::to_string);
    let botocore = status == 500 && explicit_code.is_none() && from_text.is_some();
    let code = explicit_code.or(from_text);
    let fail = |retryable: bool, error: Error| Refusal {
        retryable,
        error,
        retry_after,
        botocore,
    };
    match status {
        401 | 403 => fail(
            false,
            Error::Auth(if explicit_token {
                format!(
                    "the API refused the token ({status} {text}): it may have expired; get a fresh one, or run imgedit login and drop --token/IMGEDIT_TOKEN"
                )
            } else {
                format!("the API refused the token ({status} {text}): run imgedit login")
            }),
        ),
        413 => fail(
            false,
            Error::Input(format!(
                "the API refused the request as too large (413): {text}"
            )),
        ),
        504 => fail(
            true,
            Error::service(
                "GatewayTimeout",
                format!(
                    "the API timed out (504): API Gateway gives the model at most {GATEWAY_TIMEOUT_SECS} s; ask for fewer images (-n 1) or --quality standard"
                ),
            ),
        ),
        429 | 502 | 503 => fail(
            true,
            Error::service(
                code.unwrap_or_else(|| format!("HTTP{status}")),
                format!("the API is overloaded or its model is unavailable ({status}): {text}"),
            ),
        ),
        _ => {
            let code = code.unwrap_or_else(|| {
                if status < 500 {
                    "ValidationException".into()
                } else {
                    "InternalServerException".into()
                }
            });
            let retryable = is_retryable_code(&code);
            let mut message = match code.as_str() {
                "ValidationException" => format!("the API rejected the request ({status}): {text}"),
                _ => format!("the API failed ({status} {code}): {text}"),
            };
            if is_precise_outpaint_defect(mode, &code, &text) {
                message.push_str(if message.ends_with('.') { " " } else { ". " });
                message.push_str(PRECISE_OUTPAINT_HINT);
            }
            fail(retryable, Error::service(code, message))
        }
    }
}

/// A 200 answer and the ids it came with.
struct Answer {
    bytes: Vec<u8>,
    call: ServiceCall,
}

impl ApiEngine {
    async fn post(
        &self,
        url: &str,
        token: &str,
        body: &[u8],
        mode: Mode,
        ctx: &RunContext,
    ) -> Result<Answer> {
        let started = Instant::now();
        let policy = Policy {
            max_attempts: self.max_attempts,
            base: self.retry_base,
        };
        with_retries(policy, ctx, |attempt| async move {
            tracing::debug!(url, attempt, bytes = body.len(), "POST /image-edit");
            match self.attempt(url, token, body, mode, ctx, started).await {
                Ok(Ok(answer)) => Ok(answer),
                Ok(Err(refusal)) => Err(self.failed(refusal)),
                Err(cancelled) => Err(Failed::new(cancelled, false)),
            }
        })
        .await
    }

    /// One POST and its answer: the answer, or why it failed (an error: the run was cancelled).
    async fn attempt(
        &self,
        url: &str,
        token: &str,
        body: &[u8],
        mode: Mode,
        ctx: &RunContext,
        started: Instant,
    ) -> Result<std::result::Result<Answer, Refusal>> {
        let send = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::AUTHORIZATION, token)
            .body(body.to_vec())
            .send();
        let resp = match ctx.unless_cancelled(send).await? {
            Ok(resp) => resp,
            Err(e) => return Ok(Err(Self::unsent(url, &e))),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let retry_after = Self::retry_after(&headers);
        let bytes = match ctx.unless_cancelled(resp.bytes()).await? {
            Ok(bytes) => bytes,
            Err(e) => return Ok(Err(Self::broken_off(url, &headers, &e))),
        };
        // the ids only: the images are skipped, not copied
        let ids: ImageEditError = serde_json::from_slice(&bytes).unwrap_or_default();
        let call = ids_of(&headers, ids.request_id.as_deref());
        tracing::debug!(
            status,
            request_id = call.request_id.as_deref().unwrap_or("-"),
            gateway_request_id = call.gateway_request_id.as_deref().unwrap_or("-"),
            ms = started.elapsed().as_millis() as u64,
            "answer from /image-edit"
        );
        if status == 200 {
            return Ok(Ok(Answer {
                bytes: bytes.to_vec(),
                call,
            }));
        }
        let r = classify(
            status,
            &bytes,
            self.settings.token.is_some(),
            retry_after,
            mode,
        );
        Ok(Err(Refusal {
            error: with_ids(r.error, &call),
            ..r
        }))
    }

    /// Why a POST got no answer: a timeout, or a connection refused or reset before the answer.
    fn unsent(url: &str, e: &reqwest::Error) -> Refusal {
        if e.is_timeout() {
            return Refusal::plain(
                false,
                Error::service(
                    "RequestTimeout",
                    format!(
                        "{url}: no answer in time ({}); API Gateway itself stops after {GATEWAY_TIMEOUT_SECS} s",
                        error_chain(e)
                    ),
                ),
            );
        }
        // refused, or reset before the answer began
        Refusal::plain(
            e.is_connect() || e.is_request(),
            Error::service(
                "ConnectionError",
                format!("cannot reach {url}: {}", error_chain(e)),
            ),
        )
    }

    /// The answer's `Retry-After` in seconds, at most 30.
    fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
        headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(30)))
    }

    /// An answer that broke off mid-way: a dropped connection, worth another try.
    fn broken_off(url: &str, headers: &reqwest::header::HeaderMap, e: &reqwest::Error) -> Refusal {
        let call = ids_of(headers, None);
        Refusal::plain(
            true,
            with_ids(
                Error::service(
                    "ConnectionError",
                    format!("{url}: the answer broke off: {}", error_chain(e)),
                ),
                &call,
            ),
        )
    }

    /// A refusal as the retry policy takes it. The original Lambda's botocore retried Bedrock up
    /// to ORIGINAL_BEDROCK_ATTEMPTS times before its 500, logging each as a failure: another try
    /// multiplies that, so such answers get fewer tries after longer waits.
    fn failed(&self, r: Refusal) -> Failed {
        if !r.botocore {
            return Failed {
                retry_after: r.retry_after,
                ..Failed::new(r.error, r.retryable)
            };
        }
        let said = format!(
            "{} (this API already tried Bedrock up to {ORIGINAL_BEDROCK_ATTEMPTS} times and logged each as a failed request: imgedit retries such answers at most {}, after a longer wait)",
            r.error,
            times(ORIGINAL_MAX_ATTEMPTS - 1),
        );
        Failed {
            retry_after: r.retry_after,
            policy: Some(Policy {
                max_attempts: self.max_attempts.min(ORIGINAL_MAX_ATTEMPTS),
                base: self.retry_base.saturating_mul(ORIGINAL_BACKOFF_FACTOR),
            }),
            said,
            gave_up: Some(Box::new(|attempt, spent| {
                format!(
                    " (gave up after {attempt} attempt{} in {:.1} s: this API retries Bedrock up to {ORIGINAL_BEDROCK_ATTEMPTS} times itself before answering, so imgedit retries such answers at most {})",
                    plural(attempt as usize),
                    spent.as_secs_f64(),
                    times(ORIGINAL_MAX_ATTEMPTS - 1),
                )
            })),
            ..Failed::new(r.error, r.retryable)
        }
    }
}

impl ApiEngine {
    /// One call for the images `first..` of the job: the request, then its answer read.
    #[allow(clippy::too_many_arguments)]
    async fn call(
        &self,
        job: &PreparedJob,
        url: &str,
        token: &str,
        body: Vec<u8>,
        window: Window,
        first: usize,
        ctx: &RunContext,
    ) -> Result<(Delivered, ServiceCall)> {
        let answer = self.post(url, token, &body, job.mode, ctx).await?;
        let j = job.clone();
        let data = answer.bytes;
        let delivered =
            tokio::task::spawn_blocking(move || read_response(&j, window, &data, first))
                .await
                .map_err(|e| Error::Engine(format!("cannot read the answer: {e}")))?
                .map_err(|e| with_ids(e, &answer.call))?;
        Ok((delivered, answer.call))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What one answer delivered, for the images from `first` on.
#[derive(Debug, Default)]
struct Delivered {
    images: Vec<Generated>,
    withheld: Vec<Withheld>,
    /// The answer has neither `seeds` nor `model_id`: the original Lambda's contract.
    original: bool,
}

impl Delivered {
    /// How many of the images asked for this answer settled (delivered or withheld).
    fn settled(&self) -> usize {
        self.images.len() + self.withheld.len()
    }
}

/// Reads the API's answer for the images `first..` of the job: the images (decoded to the
/// window's size) and what was withheld. An answer in the original contract settles at most
/// [`ORIGINAL_IMAGES_PER_CALL`] of them; any other settles all.
fn read_response(job: &PreparedJob, win: Window, bytes: &[u8], first: usize) -> Result<Delivered> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::service(
            "MalformedResponse",
            format!("the API's answer is not JSON: {e}"),
        )
    })?;
    let answer: ImageEditResponse = wire::from_value(v).map_err(|e| {
        let what = match &e.problem {
            Problem::Type { expected, .. } => format!("that is not {}", wire::plain_type(expected)),
            Problem::Other(m) => format!("that does not fit: {m}"),
            Problem::UnknownField { .. } | Problem::MissingField(_) => "that does not fit".into(),
        };
        Error::service(
            "MalformedResponse",
            format!("the API's answer has \"{}\" {what}", e.dotted()),
        )
    })?;
    let images = answer.images.clone().unwrap_or_default();
    let seeds = answer.seeds.as_ref();
    let original = answer.is_original();
    let asked = job.seeds.get(first..).unwrap_or_default();
    let expected = if original {
        asked.len().min(ORIGINAL_IMAGES_PER_CALL)
    } else {
        asked.len()
    };
    let limits = DecodeLimits::default();
    let mut out = Delivered {
        original,
        ..Delivered::default()
    };
    for (i, &asked_seed) in asked.iter().take(expected).enumerate() {
        let Some(item) = images.get(i) else {
            let reason = match &answer.error {
                Some(e) => e.clone(),
                None if original => format!(
                    "the API returned {} image{} where it always makes {ORIGINAL_IMAGES_PER_CALL} (Bedrock's output filter withholds images, and this API does not pass on why)",
                    images.len(),
                    plural(images.len())
                ),
                None => "the API returned fewer images than asked (the model's output filter withholds images without saying so)".into(),
            };
            out.withheld.push(Withheld {
                seed: (!original).then_some(asked_seed),
                reason,
            });
            continue;
        };
        let bytes = image_io::decode_base64_or_data_url(item, &format!("images[{i}]"))
            .map_err(|e| Error::service("MalformedResponse", format!("the API's {e}")))?;
        let decoded: RgbImage = image_io::decode_bytes(&bytes, &format!("images[{i}]"), &limits)
            .map_err(|e| Error::service("MalformedResponse", format!("the API's {e}")))?
            .image
            .to_rgb8();
        // The seed the API says it used, else the one asked for (unconfirmed when original).
        let seed = seeds
            .and_then(|s| s.get(i).copied().flatten())
            .unwrap_or(asked_seed);
        out.images.push(Generated {
            image: fit::paste_back(&win, &job.image, &decoded),
            seed,
        });
    }
    Ok(out)
}

#[async_trait]
impl Engine for ApiEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Api
    }

    fn plan(&self, job: &PreparedJob) -> Result<Option<Value>> {
        let body = build_body(job)?;
        let mut shown = body.request.clone();
        for s in [&mut shown.base_image, &mut shown.mask]
            .into_iter()
            .flatten()
        {
            *s = format!("<{} characters>", s.len());
        }
        Ok(Some(json!({
            "url": self.settings.url,
            "request": shown,
            "request_bytes": body.bytes,
            "payload_limit_bytes": PAYLOAD_LIMIT_BYTES,
            "image_sent_as": if body.jpeg { "jpeg" } else { "png" },
            "fitted": body.fitted,
            "window": {"x": body.window.x, "y": body.window.y, "w": body.window.w, "h": body.window.h,
                        "sent_w": body.window.send_w, "sent_h": body.window.send_h},
        })))
    }

    async fn run(&self, job: &PreparedJob, ctx: &RunContext) -> Result<EngineOutput> {
        let url = self.url()?.to_string();
        let token = self.token().await?;
        let images = job.seeds.len();
        let report = |done, total| {
            (ctx.progress)(EngineProgress {
                image: 0,
                images,
                done,
                total,
            })
        };
        report(0, 2);
        let j = job.clone();
        let body = tokio::task::spawn_blocking(move || build_body(&j))
            .await
            .map_err(|e| Error::Engine(format!("cannot build the request: {e}")))??;
        if let Some(how) = &body.fitted {
            (ctx.status)(format!("note: {how}"));
        } else if body.jpeg {
            (ctx.status)(format!(
                "note: as PNG the request would pass the 6 MB payload limit; sending the image as JPEG ({:.1} MB; the kept region is pasted back from the original)",
                body.bytes as f64 / 1e6
            ));
        }
        let window = body.window;
        let mut request = body.request;
        let mut out = EngineOutput::default();
        let mut next = 0;
        let mut calls_planned = 1;
        while next < images {
            if next > 0 {
                // a further call, for the images the original's fixed 2 per call left out
                request.num_images = Some((images - next) as u64);
                request.seed = job.seeds.get(next).copied();
            }
            let bytes = serde_json::to_vec(&request)
                .map_err(|e| Error::Engine(format!("cannot serialise the request: {e}")))?;
            let call = self.call(job, &url, &token, bytes, window, next, ctx);
            let (delivered, call) = match call.await {
                Ok(v) => v,
                Err(e) if next == 0 || ctx.is_cancelled() => return Err(e),
                Err(e) => {
                    // keep what earlier calls delivered (and were billed for)
                    let left = images - next;
                    out.withheld.extend((0..left).map(|_| Withheld {
                        seed: None,
                        reason: format!("the further call for them failed: {e}"),
                    }));
                    break;
                }
            };
            report(out.calls.len() as u64 * 2 + 1, calls_planned * 2);
            if delivered.original && out.seed_note.is_none() {
                out.seed_note = Some(SEED_NOTE.to_string());
                original::warn_once(job, ctx);
            }
            next += delivered.settled().max(1);
            out.calls.push(ServiceCall {
                images: delivered.images.len(),
                ..call
            });
            // each call's images are handed on as it lands, before any further call
            // (not an answer whose seeds are unconfirmed: the note comes with the run's end)
            if !job.mode.replaces_image() && !delivered.original {
                for (k, g) in delivered.images.iter().enumerate() {
                    (ctx.image)(out.images.len() + k, g);
                }
            }
            out.images.extend(delivered.images);
            out.withheld.extend(delivered.withheld);
            if next < images {
                let left = images - next;
                let more = left.div_ceil(ORIGINAL_IMAGES_PER_CALL);
                calls_planned = out.calls.len() as u64 + more as u64;
                (ctx.status)(format!(
                    "note: the API returned {} of the {images} images asked for: this API returns at most {ORIGINAL_IMAGES_PER_CALL} per call, so imgedit calls it {more} more time{} for the other {left} (each call makes, and is billed for, {ORIGINAL_IMAGES_PER_CALL} images)",
                    out.images.len(),
                    plural(more),
                ));
            }
        }
        report(calls_planned * 2, calls_planned * 2);
        Ok(out)
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_http_client_builds_with_the_platform_roots() {
        let engine = ApiEngine::new(ApiSettings::default()).expect("the client builds");
        assert!(engine.max_attempts >= 1);
        // a usage error for the missing URL, not a client failure
        assert!(engine.url().is_err());
    }

    #[test]
    fn the_originals_500s_keep_their_class() {
        let body = br#"{"error": "An error occurred (ValidationException) when calling the InvokeModel operation: Malformed input request", "model_attempted": "amazon.titan-image-generator-v2:0"}"#;
        let f = classify(500, body, false, None, Mode::Inpaint);
        assert!(!f.retryable);
        assert_eq!(f.error.exit_code(), crate::error::exit::INPUT);
        let body = br#"{"error": "An error occurred (ThrottlingException) when calling the InvokeModel operation: slow down"}"#;
        assert!(classify(500, body, false, None, Mode::Inpaint).retryable);
        let f = classify(
            401,
            br#"{"message":"Unauthorized"}"#,
            false,
            None,
            Mode::Inpaint,
        );
        assert!(
            f.error.to_string().contains("run imgedit login"),
            "{}",
            f.error
        );
        assert_eq!(f.error.exit_code(), crate::error::exit::AUTH);
        assert!(
            classify(
                504,
                br#"{"message": "Endpoint request timed out"}"#,
                false,
                None,
                Mode::Inpaint
            )
            .error
            .to_string()
            .contains("29 s")
        );
        assert!(classify(503, b"busy", false, None, Mode::Inpaint).retryable);
        assert!(
            !classify(
                400,
                br#"{"error": "mask: missing"}"#,
                false,
                None,
                Mode::Inpaint
            )
            .retryable
        );
    }

    #[test]
    fn only_the_originals_botocore_500s_count_as_already_retried() {
        let text = br#"{"error": "An error occurred (ThrottlingException) when calling the InvokeModel operation (reached max retries: 4): Too many requests", "request_id": "r-1"}"#;
        let f = classify(500, text, false, None, Mode::Inpaint);
        assert!(f.botocore && f.retryable);
        // imgedit serve names the code itself: its 500s are not botocore's
        let serve = br#"{"error": "An error occurred (ThrottlingException) when", "error_code": "ThrottlingException"}"#;
        assert!(!classify(500, serve, false, None, Mode::Inpaint).botocore);
        assert!(!classify(429, text, false, None, Mode::Inpaint).botocore);
    }

    #[test]
    fn precise_outpaint_refused_by_the_original_gets_a_hint() {
        let body = br#"{"error": "An error occurred (ValidationException) when calling the InvokeModel operation: Malformed input request: #/taskType: precise-outpaint is not a valid enum value, please reformat your input and try again.", "model_attempted": "amazon.titan-image-generator-v2:0", "request_id": "r-2"}"#;
        let f = classify(500, body, false, None, Mode::PreciseOutpaint);
        let msg = f.error.to_string();
        assert!(msg.contains("--mode outpaint"), "{msg}");
        assert!(msg.contains("imgedit serve"), "{msg}");
        // the same text for another mode, or another error for precise-outpaint: no hint
        let f = classify(500, body, false, None, Mode::Outpaint);
        assert!(!f.error.to_string().contains("--mode outpaint"));
        let other = br#"{"error": "An error occurred (ValidationException) when calling the InvokeModel operation: Malformed input request: #/outPaintingParams/text: expected maxLength: 512, actual: 536"}"#;
        let f = classify(500, other, false, None, Mode::PreciseOutpaint);
        assert!(!f.error.to_string().contains("--mode outpaint"));
    }

    #[test]
    fn ids_are_appended_without_changing_the_kind_of_error() {
        let call = ServiceCall {
            request_id: Some("abc".into()),
            gateway_request_id: Some("gw-1".into()),
            images: 0,
        };
        let e = with_ids(Error::Auth("refused".into()), &call);
        assert_eq!(e.exit_code(), crate::error::exit::AUTH);
        assert_eq!(
            e.to_string(),
            "refused [request id abc, API Gateway request id gw-1]"
        );
        let e = with_ids(Error::service("ValidationException", "bad"), &call);
        assert_eq!(e.exit_code(), crate::error::exit::INPUT);
        let none = with_ids(Error::Engine("x".into()), &ServiceCall::default());
        assert_eq!(none.to_string(), "x");
    }
}
