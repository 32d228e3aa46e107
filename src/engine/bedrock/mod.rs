//! `--engine bedrock`: Amazon Bedrock InvokeModel through the AWS SDK, with the standard
//! credential chain, bounded retries that the user can see, and errors a person can act on.

pub mod fit;
pub mod polarity;
pub mod wire;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::primitives::Blob;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::{
    Engine, EngineKind, EngineOutput, EngineProgress, Generated, PreparedJob, RunContext, Withheld,
};
use crate::error::{Error, Result};
use crate::model::{Lifecycle, ModelSpec};

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
        }
    }
}

/// The Bedrock engine; the SDK client is built on first use.
pub struct BedrockEngine {
    settings: BedrockSettings,
    client: OnceCell<(Client, String)>,
}

impl BedrockEngine {
    pub fn new(settings: BedrockSettings) -> Self {
        BedrockEngine {
            settings,
            client: OnceCell::new(),
        }
    }

    async fn client(&self) -> Result<&(Client, String)> {
        self.client
            .get_or_try_init(|| async {
                use aws_config::{BehaviorVersion, Region, retry::RetryConfig, timeout::TimeoutConfig};
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    // imgedit retries itself, so each retry shows in the progress line.
                    .retry_config(RetryConfig::disabled())
                    .timeout_config(
                        TimeoutConfig::builder()
                            .connect_timeout(Duration::from_secs(10))
                            .read_timeout(self.settings.read_timeout)
                            .build(),
                    );
                if let Some(p) = &self.settings.profile {
                    loader = loader.profile_name(p);
                }
                if let Some(r) = &self.settings.region {
                    loader = loader.region(Region::new(r.clone()));
                }
                let cfg = loader.load().await;
                let region = cfg.region().map(|r| r.to_string()).ok_or_else(|| {
                    Error::Usage(
                        "no AWS region: pass --region, set AWS_REGION, or set region in the config or the AWS profile".into(),
                    )
                })?;
                Ok((Client::new(&cfg), region))
            })
            .await
    }

    /// One InvokeModel call with bounded retries; returns the response body.
    async fn invoke(&self, spec: &ModelSpec, body: Vec<u8>, ctx: &RunContext) -> Result<Vec<u8>> {
        let (client, region) = self.client().await?;
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            tracing::debug!(model = spec.id, region = %region, attempt, bytes = body.len(), "InvokeModel");
            let sent = client
                .invoke_model()
                .model_id(spec.id)
                .content_type("application/json")
                .accept("application/json")
                .body(Blob::new(body.clone()))
                .send()
                .await;
            let err = match sent {
                Ok(out) => {
                    tracing::debug!(
                        ms = started.elapsed().as_millis() as u64,
                        bytes = out.body.as_ref().len(),
                        "InvokeModel answered"
                    );
                    return Ok(out.body.into_inner());
                }
                Err(e) => e,
            };
            let failure = classify(&err, spec, region);
            let max = match failure.code.as_str() {
                "ModelTimeoutException" => self.settings.max_attempts.min(2),
                _ => self.settings.max_attempts,
            };
            if !failure.retryable || attempt >= max || ctx.cancel.load(Ordering::Relaxed) {
                let mut e = failure.error;
                if failure.retryable && attempt > 1 {
                    let advice = if failure.code.contains("Throttl") {
                        "try again later, or ask for a higher Bedrock quota"
                    } else {
                        "try again later"
                    };
                    e = e.with_note(&format!(
                        " (gave up after {attempt} attempts in {:.1} s; {advice})",
                        started.elapsed().as_secs_f64()
                    ));
                }
                return Err(e);
            }
            let delay = super::backoff(self.settings.retry_base, attempt);
            (ctx.status)(format!(
                "{}: retry {attempt} of {} in {:.1} s",
                failure.code,
                max - 1,
                delay.as_secs_f64()
            ));
            ctx.sleep_unless_cancelled(delay).await?;
            attempt += 1;
        }
    }
}

struct Failure {
    code: String,
    retryable: bool,
    error: Error,
}

fn classify<E, R>(err: &SdkError<E, R>, spec: &ModelSpec, region: &str) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let id = spec.id;
    match err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Unknown").to_string();
            let msg = e.message().unwrap_or("").to_string();
            let retryable = super::is_retryable_code(&code);
            let message = match code.as_str() {
                "AccessDeniedException" => format!(
                    "access denied to {id} in {region}: enable access to this model in the Bedrock console (Model access) for {region}, and allow bedrock:InvokeModel in IAM. Bedrock said: {msg}"
                ),
                "ResourceNotFoundException" => not_found(spec, region, &msg),
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
                "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "ExpiredTokenException" => {
                    Error::Auth(format!("AWS rejected the credentials ({code}): {msg}"))
                }
                // A content-filter block is not the user's input being malformed.
                "ValidationException" if msg.contains("content filter") => {
                    Error::service("ContentFilterBlocked", message)
                }
                _ => Error::service(code.clone(), message),
            };
            Failure {
                code,
                retryable,
                error,
            }
        }
        SdkError::TimeoutError(_) => Failure {
            code: "timeout".into(),
            retryable: true,
            error: Error::service(
                "RequestTimeout",
                format!("{id}: Bedrock did not answer in time"),
            ),
        },
        SdkError::DispatchFailure(d) if d.is_timeout() => Failure {
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
                return Failure {
                    code: "credentials".into(),
                    retryable: false,
                    error: Error::Auth(format!(
                        "no usable AWS credentials: set a profile (--profile, AWS_PROFILE), run `aws sso login`, or set AWS_BEARER_TOKEN_BEDROCK ({text})"
                    )),
                };
            }
            let what = if matches!(err, SdkError::ResponseError(_)) {
                "Bedrock's answer broke off"
            } else {
                "cannot reach Bedrock"
            };
            Failure {
                code: "connection".into(),
                retryable: true,
                error: Error::service("ConnectionError", format!("{id}: {what}: {text}")),
            }
        }
        _ => {
            let text = short_context(err);
            let auth = text.contains("credential") || text.contains("identity");
            Failure {
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

/// The SDK's error chain without its trailing Debug dump.
fn short_context<E: std::error::Error + 'static, R: std::fmt::Debug>(
    err: &SdkError<E, R>,
) -> String {
    let text = DisplayErrorContext(err).to_string();
    match text.find(" (") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn not_found(spec: &ModelSpec, region: &str, msg: &str) -> String {
    let id = spec.id;
    let status = match spec.lifecycle {
        Lifecycle::Legacy => Some("is Legacy"),
        Lifecycle::EndOfLife => Some("has reached end of life"),
        Lifecycle::Active | Lifecycle::Unknown => None,
    };
    let suggestion = spec
        .successor
        .map(|s| format!(" Use an active model instead, for example --model {s}."))
        .unwrap_or_default();
    match status {
        Some(s) => format!(
            "{id} ({}) {s}: Bedrock no longer serves it to this account.{suggestion} Bedrock said: {msg}",
            spec.name
        ),
        None if msg.contains("Legacy") => format!(
            "{id} is marked Legacy by its provider and is not served to this account.{suggestion} Bedrock said: {msg}"
        ),
        None => format!(
            "{id} was not found in {region}: check the model id and that the model is offered in {region} (some need a us./eu. inference profile prefix). Bedrock said: {msg}"
        ),
    }
}

#[async_trait]
impl Engine for BedrockEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Bedrock
    }

    fn plan(&self, job: &PreparedJob) -> Result<Option<Value>> {
        let win = fit::choose(job.model, &job.mask)?;
        let (img, mask) = fit::crop(&win, &job.image, &job.mask);
        let requests = wire::build_requests(job, &win, &img, &mask)?;
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
        let spec = job.model;
        let win = fit::choose(spec, &job.mask)?;
        let (img, mask) = fit::crop(&win, &job.image, &job.mask);
        let requests = wire::build_requests(job, &win, &img, &mask)?;
        let total = requests.len() as u64;
        let mut out = EngineOutput::default();
        for (i, req) in requests.iter().enumerate() {
            (ctx.progress)(EngineProgress {
                image: i,
                images: requests.len(),
                done: i as u64,
                total,
            });
            let body = serde_json::to_vec(&req.body)
                .map_err(|e| Error::Engine(format!("cannot serialise the request: {e}")))?;
            let response = self.invoke(spec, body, ctx).await?;
            let parsed = wire::parse_response(spec.family, &response, req)?;
            for (image, seed) in parsed.images {
                out.images.push(Generated {
                    image: fit::paste_back(&win, &job.image, &image),
                    seed,
                });
            }
            out.withheld.extend(
                parsed
                    .withheld
                    .into_iter()
                    .map(|(seed, reason)| Withheld { seed, reason }),
            );
        }
        (ctx.progress)(EngineProgress {
            image: requests.len().saturating_sub(1),
            images: requests.len(),
            done: total,
            total,
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_not_found_names_the_model_and_a_successor() {
        let spec = crate::model::find("amazon.titan-image-generator-v2:0").unwrap();
        let m = not_found(
            spec,
            "us-east-1",
            "The model is marked by provider as Legacy",
        );
        assert!(
            m.contains("amazon.titan-image-generator-v2:0") && m.contains("end of life"),
            "{m}"
        );
        assert!(
            m.contains("--model stability.stable-image-inpaint-v1:0"),
            "{m}"
        );
    }
}
