//! `POST /image-edit`: the serverless image editor's API, reimplemented with its defects fixed
//! (contracts.md section 1). Validation errors are 400 and name the field; engine errors keep their
//! class and code; withheld images are reported; bodies are never logged; every request writes one
//! `EditRecord`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::body::{self, BodyError};
use super::faults::Injected;
use super::jwt::{JwtVerifier, TokenError};
use super::request::{self, EditRequest, FieldError};
use super::{AppState, Concurrency};
use crate::edit::engine::{Engine, RunContext};
use crate::edit::finish::{self, InputSizes, Sink};
use crate::edit::job::{JobOptions, Selection};
use crate::edit::model::{Family, ModelSpec};
use crate::edit::options::Mode;
use crate::edit::polarity::{self, TitanTask};
use crate::edit::run::{self, Delivery};
use crate::error::Error;
use crate::image_io::{self, DecodeLimits};
use crate::mask::Mask;
use crate::record::{EditRecord, RecordSink, base64_decoded_size};
use crate::violation::Violation;
use crate::wire::image_edit::{
    ImageEditError, ImageEditResponse, WireViolation, WithheldImage, json_field, violation_message,
};

/// AWS Lambda's synchronous payload limit, the default body limit.
pub const LAMBDA_MAX_BODY_BYTES: usize = 6 * 1024 * 1024;

/// Request headers a browser may send. The original sample's client sends
/// `Access-Control-Allow-Origin` and `Access-Control-Allow-Headers` as request headers (its
/// CloudFormation OPTIONS method allowed them), so its preflight asks for both.
pub const ALLOW_HEADERS: &str = "Content-Type,Authorization,X-Amz-Date,X-Api-Key,X-Amz-Security-Token,Access-Control-Allow-Headers,Access-Control-Allow-Origin";

/// Which origins may call the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cors {
    Any,
    Origins(Vec<String>),
}

impl Cors {
    pub fn from_list(list: &[String]) -> Cors {
        if list.is_empty() || list.iter().any(|o| o == "*") {
            Cors::Any
        } else {
            Cors::Origins(list.to_vec())
        }
    }

    fn apply(&self, request_origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        let allow = match self {
            Cors::Any => Some(HeaderValue::from_static("*")),
            Cors::Origins(list) => {
                headers.insert(header::VARY, HeaderValue::from_static("Origin"));
                request_origin
                    .filter(|o| list.iter().any(|a| o.as_bytes() == a.as_bytes()))
                    .cloned()
            }
        };
        if let Some(v) = allow {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("OPTIONS,POST,GET"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOW_HEADERS),
            );
        }
    }
}

/// Everything `/image-edit` needs.
pub struct EditService {
    pub engine: Box<dyn Engine>,
    /// The model `"titan"` (and an absent `model`) maps to.
    pub model: &'static ModelSpec,
    pub limits: DecodeLimits,
    pub max_body_bytes: usize,
    /// Edits at once; beyond it requests get 503 with Retry-After.
    pub concurrency: Concurrency,
    /// None: no authentication (`--no-auth`, or API Gateway's authorizer in front).
    pub auth: Option<Arc<JwtVerifier>>,
    pub log: RecordSink,
    pub cors: Cors,
}

impl EditService {
    pub fn new(engine: Box<dyn Engine>, model: &'static ModelSpec) -> Self {
        EditService {
            engine,
            model,
            limits: DecodeLimits::default(),
            max_body_bytes: LAMBDA_MAX_BODY_BYTES,
            concurrency: Concurrency::cpus(),
            auth: None,
            log: RecordSink::None,
            cors: Cors::Any,
        }
    }

    pub fn with_max_concurrent(mut self, n: usize) -> Self {
        self.concurrency = Concurrency::new(n);
        self
    }
}

/// Writes the log entry of a request that did not run; a failure is reported on stderr and
/// never fails the request.
async fn log_record(log: &RecordSink, record: &EditRecord) {
    if let Err(e) = log.write(record).await {
        warn_log_failed(record, &e);
    }
}

fn warn_log_failed(record: &EditRecord, e: &Error) {
    eprintln!(
        "{} request {}: warning: the request log write failed: {e}",
        now(),
        record.id
    );
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A failed request: status, JSON body, and what the log records.
struct Refused {
    status: StatusCode,
    body: Box<ImageEditError>,
    retry_after: Option<u64>,
    log_message: String,
}

/// An `/image-edit` error body with `error` and `error_code`.
fn coded(error: impl Into<String>, code: &str) -> Box<ImageEditError> {
    Box::new(ImageEditError {
        error: Some(error.into()),
        error_code: Some(code.into()),
        ..ImageEditError::default()
    })
}

impl Refused {
    fn field(e: FieldError) -> Self {
        let text = e.to_string();
        Refused {
            status: StatusCode::BAD_REQUEST,
            body: Box::new(ImageEditError {
                error: Some(text.clone()),
                field: Some(e.field).filter(|f| !f.is_empty()),
                ..ImageEditError::default()
            }),
            retry_after: None,
            log_message: text,
        }
    }

    fn violation(v: &Violation) -> Self {
        let text = violation_message(v);
        Refused {
            status: StatusCode::BAD_REQUEST,
            body: Box::new(ImageEditError {
                error: Some(text.clone()),
                field: Some(json_field(v.field).into()),
                violation: Some(WireViolation::from(v)),
                ..ImageEditError::default()
            }),
            retry_after: None,
            log_message: text,
        }
    }

    fn unauthorized(reason: &TokenError) -> Self {
        Refused {
            status: StatusCode::UNAUTHORIZED,
            body: Box::new(ImageEditError {
                message: Some("Unauthorized".into()),
                ..ImageEditError::default()
            }),
            retry_after: None,
            log_message: format!("unauthorized: {reason}"),
        }
    }
}

/// Maps an engine error to the HTTP class the caller can act on, keeping the service's code.
fn engine_failure(e: &Error, model: &ModelSpec) -> Refused {
    let (status, code) = match e {
        Error::Service { code, .. } => {
            let status = match code.as_str() {
                "ValidationException"
                | "ServiceQuotaExceededException"
                | "ContentFilterBlocked" => StatusCode::BAD_REQUEST,
                "ThrottlingException" | "ModelNotReadyException" => StatusCode::TOO_MANY_REQUESTS,
                "ServiceUnavailableException" => StatusCode::SERVICE_UNAVAILABLE,
                "ModelTimeoutException" | "RequestTimeout" => StatusCode::GATEWAY_TIMEOUT,
                _ => StatusCode::BAD_GATEWAY,
            };
            (status, code.clone())
        }
        Error::Input(_) | Error::Usage(_) => {
            (StatusCode::BAD_REQUEST, "ValidationException".to_string())
        }
        Error::Auth(_) => (StatusCode::BAD_GATEWAY, "UpstreamCredentials".to_string()),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "EngineError".to_string()),
    };
    let text = e.to_string();
    Refused {
        retry_after: (status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::SERVICE_UNAVAILABLE)
            .then_some(2),
        body: Box::new(ImageEditError {
            model_attempted: Some(model.id.into()),
            ..*coded(text.clone(), &code)
        }),
        status,
        log_message: text,
    }
}

/// OPTIONS preflight.
pub async fn preflight(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let mut resp = StatusCode::OK.into_response();
    if let Some(svc) = &state.edit {
        svc.cors
            .apply(headers.get(header::ORIGIN), resp.headers_mut());
    }
    resp
}

/// `POST /image-edit` (and the stage root).
pub async fn handle(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let Some(svc) = state.edit.as_ref() else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "Not Found"})),
        )
            .into_response();
    };
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let origin = req.headers().get(header::ORIGIN).cloned();
    let mut logged = false;
    let mut record = EditRecord::new("unknown", "", "");
    record.id = request_id.clone();
    record.engine = Some(svc.engine.kind().as_str().to_string());

    state.faults.delay().await;
    let outcome = match state.faults.next("image-edit") {
        Some(fault) => {
            body::discard(req).await;
            match injected(fault) {
                Ok(resp) => {
                    record.fail(&format!("injected fault: {fault:?}"));
                    eprintln!("{} request {request_id}: injected fault {fault:?}", now());
                    log_record(&svc.log, &record).await;
                    return resp;
                }
                Err(f) => Err(f),
            }
        }
        None => process(svc, req, state.body_timeout, &mut record, &mut logged).await,
    };
    let (status, mut resp) = match outcome {
        Ok(body) => (StatusCode::OK, axum::Json(body).into_response()),
        Err(f) => {
            record.fail(&f.log_message);
            let mut body = f.body;
            if f.status != StatusCode::UNAUTHORIZED {
                body.request_id = Some(request_id.clone());
            }
            let mut resp = (f.status, axum::Json(body)).into_response();
            if let Some(s) = f.retry_after {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(s));
            }
            (f.status, resp)
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    svc.cors.apply(origin.as_ref(), resp.headers_mut());
    eprintln!(
        "{} request {request_id}: POST /image-edit {} {} ms mode={} model={}{}",
        now(),
        status.as_u16(),
        started.elapsed().as_millis(),
        if record.mode.is_empty() {
            "-"
        } else {
            &record.mode
        },
        record.model_id,
        record
            .error_message
            .as_deref()
            .map(|m| format!(" error={m:?}"))
            .unwrap_or_default()
    );
    if !logged {
        log_record(&svc.log, &record).await;
    }
    resp
}

/// What `serve --fault` makes /image-edit answer: the original Lambda's error shapes (a botocore
/// text in a 500, as the original sends), or a broken 200 (`Ok`: sent as it is).
fn injected(fault: Injected) -> Result<Response, Refused> {
    let (status, code, message) = match fault {
        Injected::Throttle => (
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            "Too many requests, please wait before trying again.",
        ),
        Injected::Error500 | Injected::Legacy | Injected::AccessDenied => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            "An error occurred (InternalServerException) when calling the InvokeModel operation: injected",
        ),
        Injected::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            "Service unavailable (injected)",
        ),
        Injected::Broken(b) => return Ok(b.response()),
    };
    Err(Refused {
        status,
        body: coded(message, code),
        retry_after: (status == StatusCode::TOO_MANY_REQUESTS).then_some(1),
        log_message: format!("injected fault: {code}"),
    })
}

/// Answers one request; `record` is filled as it goes, and `logged` is set once the run has
/// written it to the request log.
async fn process(
    svc: &EditService,
    req: Request,
    body_timeout: Duration,
    record: &mut EditRecord,
    logged: &mut bool,
) -> Result<ImageEditResponse, Refused> {
    let (_permit, body) = admit(svc, req, body_timeout).await?;

    let limits = svc.limits;
    let model = svc.model;
    let parsed = tokio::task::spawn_blocking(move || -> Result<_, Refused> {
        let r = request::parse(&body).map_err(Refused::field)?;
        let job = build_job(&r, model, &limits)?;
        Ok((r, job))
    })
    .await
    .map_err(|e| internal(&e.to_string()))?;
    let (r, job) = match parsed {
        Ok(v) => v,
        Err(f) => return Err(f),
    };
    let sizes = InputSizes {
        image_bytes: payload_size(&r.base_image),
        mask_bytes: r.mask.as_deref().map_or(0, payload_size),
        image_path: None,
    };
    let mut started = finish::record_for(&job, svc.engine.kind(), sizes);
    (started.id, started.timestamp) = (record.id.clone(), record.timestamp.clone());
    // the mode as the request named it (precise-outpaint with a mask runs as a hard-edged outpaint)
    started.mode = r.wire_mode.to_string();
    *record = started.clone();

    // a request dropped mid-run (client gone, a timeout) cancels its run, the local engine's too
    let run_ctx = RunContext::default();
    let _cancel_when_dropped = run_ctx.cancel.clone().drop_guard();
    let model = job.model;
    let delivery = Delivery {
        record: started,
        sink: Sink::Memory,
        jpeg_quality: None,
        each: None,
    };
    let outcome = run::run(
        Arc::new(job),
        svc.engine.as_ref(),
        &run_ctx,
        &svc.log,
        delivery,
    )
    .await;
    *record = outcome.record;
    *logged = true;
    if let Some(e) = &outcome.log_error {
        warn_log_failed(record, e);
    }
    let finished = outcome.finished.map_err(|e| engine_failure(&e, model))?;
    Ok(response_body(finished, record, &r.model))
}

/// Lets a request in (its token, a free slot) and reads its body; the permit holds the slot.
async fn admit(
    svc: &EditService,
    req: Request,
    body_timeout: Duration,
) -> Result<(tokio::sync::OwnedSemaphorePermit, axum::body::Bytes), Refused> {
    if let Some(auth) = &svc.auth {
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if let Err(e) = auth.verify_header(header).await {
            body::discard(req).await;
            return Err(Refused::unauthorized(&e));
        }
    }
    // Beyond the limit, answer at once instead of queueing: the caller retries after a pause.
    let Some(permit) = svc.concurrency.try_enter() else {
        body::discard(req).await;
        return Err(Refused {
            status: StatusCode::SERVICE_UNAVAILABLE,
            body: coded(
                format!(
                    "the server is busy ({} edits running); retry in a moment",
                    svc.concurrency.max
                ),
                "ServerBusy",
            ),
            retry_after: Some(1),
            log_message: "server busy".into(),
        });
    };
    let body = body::read(req, svc.max_body_bytes, body_timeout)
        .await
        .map_err(body_failure)?;
    Ok((permit, body))
}

/// The answer to an edit that ran: its images as base64, the seeds, and what was withheld.
fn response_body(
    finished: finish::Finished,
    record: &EditRecord,
    model_used: &str,
) -> ImageEditResponse {
    let images: Vec<String> = finished
        .images
        .iter()
        .map(|im| image_io::base64_encode(im.bytes.as_deref().unwrap_or_default()))
        .collect();
    let seeds: Vec<Option<u64>> = finished.images.iter().map(|im| im.seed).collect();
    let (withheld, withheld_message) = (finished.withheld_detail, finished.withheld);
    let withheld_images = (!withheld.is_empty()).then(|| {
        withheld
            .iter()
            .map(|w| WithheldImage {
                reason: w.reason.clone(),
                seed: w.seed,
            })
            .collect()
    });
    ImageEditResponse {
        error: withheld_message,
        generation_time_ms: Some(record.generation_time_ms),
        images: Some(images),
        model_id: Some(record.model_id.clone()),
        model_used: Some(model_used.to_string()),
        request_id: Some(record.id.clone()),
        seeds: Some(seeds),
        withheld: withheld_images,
    }
}

fn internal(msg: &str) -> Refused {
    Refused {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        body: coded(format!("internal error: {msg}"), "InternalError"),
        retry_after: None,
        log_message: format!("internal error: {msg}"),
    }
}

/// The contract's size estimate of an image field (it decoded, so it is a base64 payload).
fn payload_size(s: &str) -> u64 {
    base64_decoded_size(image_io::base64_payload(s).unwrap_or(s))
}

fn too_large(size: Option<usize>, limit: usize) -> Refused {
    let what = BodyError::TooLarge { size, limit };
    Refused {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        body: coded(
            format!(
                "{what} (AWS Lambda's 6 MB payload limit). Send a smaller image: the browser client scales to 768 px and JPEG q=0.7"
            ),
            "PayloadTooLarge",
        ),
        retry_after: None,
        log_message: format!("request body over {limit} bytes"),
    }
}

/// A body that was not read, as `/image-edit` answers it.
fn body_failure(e: BodyError) -> Refused {
    match e {
        BodyError::TooLarge { size, limit } => too_large(size, limit),
        BodyError::Timeout(_) => Refused {
            status: StatusCode::REQUEST_TIMEOUT,
            body: coded(e.to_string(), "RequestTimeout"),
            retry_after: None,
            log_message: e.to_string(),
        },
        BodyError::Broken(_) => Refused::field(FieldError::new("body", e.to_string())),
    }
}

/// Decodes the images and builds the job, checking every model limit with the field's name.
fn build_job(
    r: &EditRequest,
    configured: &'static ModelSpec,
    limits: &DecodeLimits,
) -> Result<crate::edit::job::EditJob, Refused> {
    let named = resolve_model(&r.model, configured).map_err(Refused::field)?;
    // Titan's OUTPAINTING on an unchanged canvas regenerates the mask's white part: for a
    // Stability tool (whose outpainting only enlarges) that is inpainting.
    let stability_same_canvas =
        named.profile_prefix.is_some() && r.mode.is_outpaint() && r.canvas.is_none();
    let job_mode = if stability_same_canvas {
        Mode::Inpaint
    } else {
        r.mode
    };
    // A Stability tool does one mode; its living siblings serve the others.
    let model = crate::edit::model::for_mode(named, job_mode);
    let decoded = decode_field("base_image", &r.base_image, limits)?;
    // the answer keeps the image's colour profile (a Display-P3 phone photo) and EXIF fields
    let (source, metadata) = (decoded.image, decoded.metadata);
    let (w, h) = (source.width(), source.height());
    let mut options = JobOptions {
        selection: Selection::default(),
        mode: Some(job_mode),
        canvas: r.canvas,
        prompt: Some(r.text.clone()).filter(|t| !t.is_empty()),
        negative: r.negative_text.clone(),
        mask_prompt: None,
        search: None,
        num_images: r.num_images,
        seed: r.seed.unwrap_or_else(|| model.random_seed()),
        cfg_scale: r
            .cfg_scale
            .or(Some(request::DEFAULT_CFG_SCALE).filter(|_| model.cfg_range.is_some())),
        quality: Some(r.quality),
        model,
        limits: *limits,
        tool: Default::default(),
    };
    // The model's rules before the mask is decoded, named as this API names its fields.
    options.check(w, h).map_err(job_failure)?;
    let (selection_mask, mode, feather) = match &r.mask {
        None => (None, r.mode, None),
        Some(m) => {
            let (mask, mode, feather) =
                decode_mask(m, (w, h), r.mode, stability_same_canvas, limits)?;
            (Some(mask), mode, feather)
        }
    };
    options.selection = Selection {
        mask: selection_mask,
        feather,
        ..Selection::default()
    };
    options.mode = Some(mode);
    let mut job = options.build(source, "base_image").map_err(job_failure)?;
    job.metadata = metadata;
    Ok(job)
}

/// Decodes the image in field `f` (base64 or a data URL), refusing it with the field's name.
fn decode_field(f: &str, s: &str, limits: &DecodeLimits) -> Result<image_io::Decoded, Refused> {
    let field = |f: &str, m: String| Refused::field(FieldError::new(f, m));
    let bytes = image_io::decode_base64_or_data_url(s, f)
        .map_err(|e| field(f, strip_field(&e.to_string(), f)))?;
    image_io::decode_bytes(&bytes, f, limits).map_err(|e| field(f, strip_field(&e.to_string(), f)))
}

/// Decodes the `mask` field (Titan's polarity); returns it with the mode and feather it runs as.
fn decode_mask(
    m: &str,
    (w, h): (u32, u32),
    mut mode: Mode,
    stability_same_canvas: bool,
    limits: &DecodeLimits,
) -> Result<(Mask, Mode, Option<u32>), Refused> {
    let field = |f: &str, m: String| Refused::field(FieldError::new(f, m));
    let mut feather = None;
    let img = decode_field("mask", m, limits)?.image;
    if (img.width(), img.height()) != (w, h) {
        return Err(field(
            "mask",
            format!(
                "is {}x{} but base_image is {w}x{h}; they must match",
                img.width(),
                img.height()
            ),
        ));
    }
    let task = if mode == Mode::Inpaint {
        TitanTask::Inpainting
    } else {
        TitanTask::Outpainting
    };
    let m = Mask(polarity::from_model(Family::Titan, task, &img));
    if m.is_empty() {
        let what = if task == TitanTask::Inpainting {
            "has no black pixel: INPAINTING changes the black region (white = keep)"
        } else {
            "is all black: OUTPAINTING keeps the black region and generates the white one"
        };
        return Err(field("mask", what.to_string()));
    }
    if mode == Mode::PreciseOutpaint {
        // PRECISE keeps the black region untouched: a hard-edged outpaint of the white part.
        mode = Mode::Outpaint;
        feather = Some(0);
    }
    if stability_same_canvas {
        mode = Mode::Inpaint;
    }
    Ok((m, mode, feather))
}

/// A job the library refused, as this API answers it: a broken rule names its JSON field and
/// carries the violation as data; what is left (the pixels themselves) is the image's.
fn job_failure(e: Error) -> Refused {
    match e {
        Error::Invalid(v) => Refused::violation(&v),
        e => Refused::field(FieldError::new(
            "base_image",
            strip_field(&e.to_string(), "base_image"),
        )),
    }
}

fn strip_field(msg: &str, f: &str) -> String {
    msg.strip_prefix(&format!("{f}: "))
        .unwrap_or(msg)
        .to_string()
}

/// `"titan"` (or nothing) is the configured model; a model id must be the configured one.
fn resolve_model(
    name: &str,
    configured: &'static ModelSpec,
) -> Result<&'static ModelSpec, FieldError> {
    if name.eq_ignore_ascii_case("titan") || name == configured.id {
        return Ok(configured);
    }
    Err(FieldError::new(
        "model",
        format!(
            "{name:?} is not supported by this server (use \"titan\", which is {} here)",
            configured.id
        ),
    ))
}
