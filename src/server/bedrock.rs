//! `POST /model/{modelId}/invoke` in Bedrock's wire format, validated strictly as Bedrock does and
//! answered by the local engine: offline development and tests through the real AWS SDK.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use image::{DynamicImage, GrayImage, RgbImage};
use serde_json::{Map, Value};

use super::faults::Injected;
use super::{AppState, Concurrency, body};
use crate::edit::engine::{Engine, PreparedJob, RunContext};
use crate::edit::job::Placement;
use crate::edit::model::{self, BEDROCK_MAX_BODY_BYTES, Family, ModelSpec};
use crate::edit::options::{Mode, OutputFormat, ToolOptions};
use crate::edit::polarity::{self, TitanTask};
use crate::image_io::{self, DecodeLimits};
use crate::wire::bedrock::{
    BedrockErrorBody, INFERENCE_ERROR, OutPaintingMode, Seed, StabilityRequest, StabilityResponse,
    TitanRequest, TitanResponse, stability_fields,
};
use crate::wire::{self, Problem, WireError};

/// A Bedrock error: HTTP status, `x-amzn-ErrorType` code and message.
#[derive(Debug)]
pub struct BedrockError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl BedrockError {
    fn malformed(pointer: &str, reason: impl std::fmt::Display) -> Self {
        BedrockError {
            status: StatusCode::BAD_REQUEST,
            code: "ValidationException",
            message: format!(
                "Malformed input request: {pointer}: {reason}, please reformat your input and try again."
            ),
        }
    }

    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        BedrockError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for BedrockError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            axum::Json(BedrockErrorBody {
                message: self.message,
            }),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{}:http://internal.amazon.com/coral/com.amazon.bedrock/",
            self.code
        )) {
            resp.headers_mut().insert("x-amzn-ErrorType", v);
        }
        resp
    }
}

type R<T> = Result<T, BedrockError>;

/// What the Bedrock-compatible endpoint (`serve --bedrock`) needs beyond the shared state.
pub struct BedrockService {
    /// Invocations at once; beyond it a request gets 503 ServiceUnavailableException.
    pub concurrency: Concurrency,
    /// What paints the answers (the local engine), run through the `Engine` trait.
    pub engine: Arc<dyn Engine>,
}

/// The handler.
pub async fn invoke(
    State(state): State<Arc<AppState>>,
    Path(model_id): Path<String>,
    req: Request,
) -> Response {
    let Some(svc) = state.bedrock.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Like Bedrock, require a SigV4 signature or a Bedrock API key (signatures are not verified).
    let auth = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !(auth.starts_with("AWS4-HMAC-SHA256 ") || auth.starts_with("Bearer ")) {
        body::discard(req).await;
        return BedrockError::new(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            "Missing Authentication Token: sign the request with SigV4 or send a Bedrock API key",
        )
        .into_response();
    }
    state.faults.delay().await;
    let spec = match model::find(&model_id) {
        Some(s) if s.family != Family::Local => s,
        _ => {
            return BedrockError::new(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                "The provided model identifier is invalid.",
            )
            .into_response();
        }
    };
    if spec.past_end_of_life(&chrono::Utc::now().format("%Y-%m-%d").to_string()) {
        body::discard(req).await;
        return end_of_life().into_response();
    }
    if let Some(e) = invoke_refused(&state, &model_id) {
        body::discard(req).await;
        return e.into_response();
    }
    if let Some(fault) = state.faults.next(&model_id) {
        body::discard(req).await;
        return injected_response(fault, &model_id);
    }
    let Some(_permit) = svc.concurrency.try_enter() else {
        body::discard(req).await;
        return busy(svc.concurrency.max).into_response();
    };
    let body = match read_body(req, state.body_timeout).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let answer = planned_answer(&state.faults);
    let limits = state.limits;
    let engine = Arc::clone(&svc.engine);
    let result =
        tokio::task::spawn_blocking(move || handle(spec, &body, answer, &limits, engine.as_ref()))
            .await;
    match result {
        Ok(Ok(v)) => axum::Json(v).into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(e) => BedrockError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            format!("the engine crashed: {e}"),
        )
        .into_response(),
    }
}

/// The 503 for an invocation beyond the number allowed at once.
fn busy(max: usize) -> BedrockError {
    BedrockError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailableException",
        format!("The server is busy ({max} invocations running); retry in a moment"),
    )
}

/// Reads the body within InvokeModel's size limit and the server's deadline; a failure in
/// Bedrock's words.
async fn read_body(req: Request, deadline: std::time::Duration) -> R<axum::body::Bytes> {
    match body::read(req, BEDROCK_MAX_BODY_BYTES, deadline).await {
        Ok(b) => Ok(b),
        Err(e @ body::BodyError::TooLarge { .. }) => Err(BedrockError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "ValidationException",
            format!("{e} (InvokeModel's body limit)"),
        )),
        Err(e) => Err(BedrockError::new(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            e.to_string(),
        )),
    }
}

/// How to answer a valid request: as the content filter, with an inference error (when the
/// fault plan asks for one), or normally.
fn planned_answer(faults: &super::faults::Faults) -> Answer {
    if faults.take_filter() {
        Answer::Filtered
    } else if faults.take_inference_error() {
        Answer::InferenceError
    } else {
        Answer::Normal
    }
}

/// Bedrock's refusal of a model past its end of life (AWS: "requests made to this version will
/// fail"). The code and text are what Bedrock gives for other retired models (Stability SDXL v0,
/// Claude 3.5 Sonnet and Haiku, Nova Sonic, in public bug reports); for Titan v2 and Nova Canvas
/// they are UNCONFIRMED (the audit's error table has no text for them).
fn end_of_life() -> BedrockError {
    BedrockError::new(
        StatusCode::NOT_FOUND,
        "ResourceNotFoundException",
        "This model version has reached the end of its life. Please refer to the AWS documentation for more details.",
    )
}

/// The response Bedrock would give for an injected fault.
pub(super) fn injected_response(fault: Injected, model_id: &str) -> Response {
    let (status, code, message) = match fault {
        Injected::Throttle => (
            StatusCode::TOO_MANY_REQUESTS,
            "ThrottlingException",
            "Too many requests, please wait before trying again.".to_string(),
        ),
        Injected::Error500 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            "Internal server error (injected)".to_string(),
        ),
        Injected::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            "Service unavailable (injected)".to_string(),
        ),
        Injected::Legacy => (
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!(
                "This model version has reached the end of its life. The model {model_id} is marked by provider as Legacy and you have not been actively using the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock"
            ),
        ),
        Injected::AccessDenied => (
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            format!(
                "Model access is denied due to IAM user or service role is not authorized to perform the required AWS Marketplace actions (aws-marketplace:ViewSubscriptions, aws-marketplace:Subscribe) to enable access to this model ({model_id}); the subscription may still be in progress (injected)"
            ),
        ),
        Injected::Broken(b) => return b.response(),
    };
    BedrockError::new(status, code, message).into_response()
}

/// How the emulator answers a valid request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Normal,
    /// As Bedrock's content filter would (`--fault filter=N`).
    Filtered,
    /// Stability's `finish_reasons: ["Inference error"]` (`--fault inference-error=N`).
    InferenceError,
}

/// Validates the body and paints the answer with `engine`; runs on a blocking thread of the
/// server's runtime (the engine's run is awaited there).
fn handle(
    spec: &'static ModelSpec,
    body: &[u8],
    answer: Answer,
    limits: &DecodeLimits,
    engine: &dyn Engine,
) -> R<Value> {
    execute(validate(spec, body, limits)?, answer, engine)
}

/// A validated InvokeModel body: what the local engine is asked to paint.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The picture to fill (for Stability's outpainting, the enlarged canvas).
    pub image: RgbImage,
    /// The local engine's polarity: 255 = fill.
    pub mask: GrayImage,
    pub seed: u64,
    /// Images to make (Titan and Nova Canvas: `numberOfImages`; Stability: 1).
    pub count: u64,
    pub format: image::ImageFormat,
    /// Stability's response shape (`seeds`, `finish_reasons`) rather than Titan's.
    pub stability: bool,
    /// What the emulator does with the image.
    pub op: Op,
    /// Style Transfer's reference image.
    pub style: Option<RgbImage>,
}

/// The emulator's stand-in for each tool's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Fill the mask with the local engine (inpaint, outpaint, erase, replace).
    Fill,
    /// Shift the hue of the masked part (search-and-recolor).
    Recolor,
    /// Make the part outside the mask transparent (remove-background).
    RemoveBackground,
    /// Enlarge by this factor (the upscalers).
    Upscale(u32),
    /// Redraw the whole picture: its colours inverted (control-sketch, control-structure).
    Redraw,
    /// A new picture of this width and height (style-guide's `aspect_ratio`): the image
    /// stretched to it, colours inverted.
    NewPicture(u32, u32),
    /// The image halfway to the reference image's mean colour (style-transfer).
    Restyle,
}

/// Checks an InvokeModel body for `spec` as Bedrock does, decoding its images; nothing is painted.
pub fn validate(spec: &ModelSpec, body: &[u8], limits: &DecodeLimits) -> R<Invocation> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| BedrockError::malformed("#", format!("invalid JSON ({e})")))?;
    if !v.is_object() {
        return Err(BedrockError::malformed("#", "expected type: JSONObject"));
    }
    match spec.family {
        Family::Titan | Family::NovaCanvas => {
            titan(spec, wire::from_value(v).map_err(refused)?, limits)
        }
        _ => {
            // the tool's own fields first, as Bedrock lists them, then their types
            if let Value::Object(obj) = &v {
                let tool = stability_fields(spec.family);
                check_keys(obj, "#", tool.allowed, tool.required)?;
            }
            stability(spec, wire::from_value(v).map_err(refused)?, limits)
        }
    }
}

/// Bedrock's type names for serde's.
fn bedrock_type(expected: &str) -> &str {
    match wire::plain_type(expected) {
        "a string" => "String",
        "a whole number" => "Integer",
        "a number" => "Number",
        "a boolean" => "Boolean",
        "an object" => "JSONObject",
        "a list" => "JSONArray",
        other => other,
    }
}

/// A body that does not fit the wire struct, in Bedrock's words.
fn refused(e: WireError) -> BedrockError {
    match &e.problem {
        Problem::UnknownField { field, .. } => {
            let mut parent = e.clone();
            parent.path.pop();
            BedrockError::malformed(
                &parent.pointer(),
                format!("extraneous key [{field}] is not permitted"),
            )
        }
        Problem::MissingField(f) => {
            BedrockError::malformed(&e.pointer(), format!("required key [{f}] not found"))
        }
        Problem::Type { expected, got } if expected.starts_with("one of [") => {
            BedrockError::malformed(
                &e.pointer(),
                format!("{got} is not a valid enum value (expected {expected})"),
            )
        }
        Problem::Type { expected, .. } => BedrockError::malformed(
            &e.pointer(),
            format!("expected type: {}", bedrock_type(expected)),
        ),
        Problem::Other(m) => BedrockError::malformed(&e.pointer(), m),
    }
}

/// An image as the answer carries it.
fn image_b64(img: &DynamicImage, format: image::ImageFormat) -> R<String> {
    encode_dyn_b64(img, format)
}

/// The answer as JSON.
fn answer_json<T: serde::Serialize>(answer: &T) -> R<Value> {
    serde_json::to_value(answer).map_err(|e| {
        BedrockError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            e.to_string(),
        )
    })
}

/// Paints a validated request with the local engine; `filter` withholds an image as Bedrock's
/// content filter would.
fn execute(inv: Invocation, answer: Answer, engine: &dyn Engine) -> R<Value> {
    let filter = answer == Answer::Filtered;
    if inv.stability {
        return execute_stability(&inv, answer, engine);
    }
    let mut images = Vec::new();
    for i in 0..inv.count {
        let out = fill(engine, &inv.image, &inv.mask, inv.seed.wrapping_add(i))?;
        images.push(encode_b64(&out, inv.format)?);
    }
    let error = (filter && images.pop().is_some())
        .then(|| "This request has been blocked by our content filters. (injected)".to_string());
    answer_json(&TitanResponse {
        error,
        images: Some(images),
        mask_image: None,
    })
}

/// Answers a Stability request: the injected fault's shape, the tool's image, or a fill.
fn execute_stability(inv: &Invocation, answer: Answer, engine: &dyn Engine) -> R<Value> {
    // seed 0 (or none) = random; the response reports the seed used
    let seed = if inv.seed == 0 {
        u64::from(rand::random::<u32>().max(1))
    } else {
        inv.seed
    };
    match answer {
        // the filtered shape of S-ULTRA: no images, no seeds
        Answer::Filtered => {
            return answer_json(&StabilityResponse {
                finish_reasons: Some(vec![Some("Filter reason: output image".into())]),
                ..StabilityResponse::default()
            });
        }
        Answer::InferenceError => {
            return answer_json(&StabilityResponse {
                finish_reasons: Some(vec![Some(INFERENCE_ERROR.into())]),
                seeds: Some(vec![Seed(seed)]),
                images: None,
            });
        }
        Answer::Normal => {}
    }
    let delivered = |image: String| {
        answer_json(&StabilityResponse {
            finish_reasons: Some(vec![None]),
            images: Some(vec![image]),
            seeds: Some(vec![Seed(seed)]),
        })
    };
    if let Some(img) = stability_tool_image(inv) {
        return delivered(image_b64(&img, inv.format)?);
    }
    let filled = fill(engine, &inv.image, &inv.mask, seed)?;
    // grey in a Stability mask is partial strength
    let out = RgbImage::from_fn(filled.width(), filled.height(), |x, y| {
        let a = u32::from(inv.mask.get_pixel(x, y).0[0]);
        let (f, o) = (filled.get_pixel(x, y).0, inv.image.get_pixel(x, y).0);
        let mix =
            |i: usize| ((u32::from(o[i]) * (255 - a) + u32::from(f[i]) * a + 127) / 255) as u8;
        image::Rgb([mix(0), mix(1), mix(2)])
    });
    delivered(encode_b64(&out, inv.format)?)
}

/// The image a Stability tool other than a fill makes (recolor, background removal, upscale).
fn stability_tool_image(inv: &Invocation) -> Option<DynamicImage> {
    match inv.op {
        Op::Fill => None,
        Op::Recolor => Some(DynamicImage::ImageRgb8(RgbImage::from_fn(
            inv.image.width(),
            inv.image.height(),
            |x, y| {
                let p = inv.image.get_pixel(x, y).0;
                if inv.mask.get_pixel(x, y).0[0] > 0 {
                    image::Rgb([p[2], p[0], p[1]])
                } else {
                    image::Rgb(p)
                }
            },
        ))),
        Op::RemoveBackground => Some(DynamicImage::ImageRgba8(image::RgbaImage::from_fn(
            inv.image.width(),
            inv.image.height(),
            |x, y| {
                let p = inv.image.get_pixel(x, y).0;
                let a = if inv.mask.get_pixel(x, y).0[0] > 0 {
                    255
                } else {
                    0
                };
                image::Rgba([p[0], p[1], p[2], a])
            },
        ))),
        Op::Upscale(f) => Some(DynamicImage::ImageRgb8(image::imageops::resize(
            &inv.image,
            inv.image.width() * f,
            inv.image.height() * f,
            image::imageops::FilterType::Triangle,
        ))),
        Op::Redraw => Some(DynamicImage::ImageRgb8(inverted(&inv.image))),
        Op::NewPicture(w, h) => Some(DynamicImage::ImageRgb8(inverted(&image::imageops::resize(
            &inv.image,
            w,
            h,
            image::imageops::FilterType::Triangle,
        )))),
        Op::Restyle => {
            let style = inv.style.as_ref()?;
            let mean = mean_colour(style);
            Some(DynamicImage::ImageRgb8(RgbImage::from_fn(
                inv.image.width(),
                inv.image.height(),
                |x, y| {
                    let p = inv.image.get_pixel(x, y).0;
                    let half = |i: usize| (u16::from(p[i]) + u16::from(mean[i])).div_ceil(2) as u8;
                    image::Rgb([half(0), half(1), half(2)])
                },
            )))
        }
    }
}

/// The emulator's redrawing: every colour inverted.
fn inverted(img: &RgbImage) -> RgbImage {
    let mut out = img.clone();
    image::imageops::invert(&mut out);
    out
}

/// The mean colour of an image, rounded.
pub fn mean_colour(img: &RgbImage) -> [u8; 3] {
    let n = u64::from(img.width()) * u64::from(img.height());
    let mut sum = [0u64; 3];
    for p in img.pixels() {
        for (s, &c) in sum.iter_mut().zip(&p.0) {
            *s += u64::from(c);
        }
    }
    let n = n.max(1);
    [0, 1, 2].map(|i| ((sum[i] + n / 2) / n) as u8)
}

/// Style Guide's output size for `ratio` (`W:H`): as wide as the image, as high as the ratio says.
fn aspect_size(ratio: &str, w: u32) -> Option<(u32, u32)> {
    let (a, b) = ratio.split_once(':')?;
    let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
    let h = (u64::from(w) * u64::from(b) / u64::from(a.max(1))).max(1);
    Some((w, u32::try_from(h).ok()?))
}

fn check_keys(
    obj: &Map<String, Value>,
    pointer: &str,
    allowed: &[&str],
    required: &[&str],
) -> R<()> {
    if let Some(k) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(BedrockError::malformed(
            pointer,
            format!("extraneous key [{k}] is not permitted"),
        ));
    }
    if let Some(k) = required.iter().find(|k| !obj.contains_key(**k)) {
        return Err(BedrockError::malformed(
            pointer,
            format!("required key [{k}] not found"),
        ));
    }
    Ok(())
}

/// A text field: `min..=max` characters.
fn text_len<'a>(
    value: Option<&'a str>,
    pointer: &str,
    key: &str,
    min: usize,
    max: Option<usize>,
) -> R<Option<&'a str>> {
    let Some(s) = value else {
        return Ok(None);
    };
    let n = s.chars().count();
    if n < min {
        return Err(BedrockError::malformed(
            &format!("{pointer}/{key}"),
            format!("expected minLength: {min}, actual: {n}"),
        ));
    }
    if let Some(max) = max
        && n > max
    {
        return Err(BedrockError::malformed(
            &format!("{pointer}/{key}"),
            format!("expected maxLength: {max}, actual: {n}"),
        ));
    }
    Ok(Some(s))
}

/// A number in `lo..=hi`.
fn in_range(value: Option<f64>, pointer: &str, key: &str, lo: f64, hi: f64) -> R<Option<f64>> {
    let Some(n) = value else {
        return Ok(None);
    };
    if n < lo {
        return Err(BedrockError::malformed(
            &format!("{pointer}/{key}"),
            format!("{n} is not greater or equal to {lo}"),
        ));
    }
    if n > hi {
        return Err(BedrockError::malformed(
            &format!("{pointer}/{key}"),
            format!("{n} is not less or equal to {hi}"),
        ));
    }
    Ok(Some(n))
}

/// A whole number in `lo..=hi`.
fn int_in_range(value: Option<i64>, pointer: &str, key: &str, lo: u64, hi: u64) -> R<Option<u64>> {
    // f64 holds every limit exactly (the largest is Stability's seed, 4,294,967,294)
    let n = in_range(value.map(|v| v as f64), pointer, key, lo as f64, hi as f64)?;
    Ok(n.map(|n| n as u64))
}

fn image_field(
    spec: &ModelSpec,
    value: Option<&str>,
    pointer: &str,
    key: &str,
    limits: &DecodeLimits,
) -> R<Option<DynamicImage>> {
    let Some(s) = text_len(value, pointer, key, 1, None)? else {
        return Ok(None);
    };
    let at = format!("{pointer}/{key}");
    let bytes = image_io::decode_base64_or_data_url(s, &at)
        .map_err(|_| BedrockError::malformed(&at, "invalid base64 image"))?;
    let img = image_io::decode_bytes(&bytes, &at, limits)
        .map_err(|e| BedrockError::malformed(&at, format!("unable to decode the image ({e})")))?
        .image;
    let (w, h) = (img.width(), img.height());
    if matches!(key, "image" | "init_image" | "style_image") && !spec.accepts_size(w, h) {
        return Err(BedrockError::malformed(
            &at,
            format!(
                "image size {w}x{h} is not supported by {} (sides >= {}, longest side <= {}, pixels <= {})",
                spec.id,
                spec.min_side,
                spec.max_side.map_or("any".into(), |v| v.to_string()),
                spec.max_pixels.map_or("any".into(), |v| v.to_string())
            ),
        ));
    }
    Ok(Some(img))
}

/// The offline stand-in for text-based selection: the centre third of the image.
fn centre_region(w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        let inside = x >= w / 3 && x < w - w / 3 && y >= h / 3 && y < h - h / 3;
        image::Luma([if inside { 255 } else { 0 }])
    })
}

/// `image` with the pixels under `mask` painted by `engine`, as an inpainting with `seed`.
fn fill(engine: &dyn Engine, image: &RgbImage, mask: &GrayImage, seed: u64) -> R<RgbImage> {
    let failed = |e: String| {
        BedrockError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            e,
        )
    };
    let job = PreparedJob {
        image: Arc::new(image.clone()),
        mask: mask.clone(),
        mode: Mode::Inpaint,
        prompt: None,
        negative: None,
        mask_prompt: None,
        search: None,
        seeds: vec![seed],
        cfg_scale: None,
        quality: None,
        model: model::local(),
        placement: Placement::identity(image.width(), image.height()),
        source_size: image.dimensions(),
        tool: ToolOptions::default(),
    };
    let runtime = tokio::runtime::Handle::try_current().map_err(|e| failed(e.to_string()))?;
    let out = runtime
        .block_on(engine.run(&job, &RunContext::default()))
        .map_err(|e| failed(e.to_string()))?;
    out.images
        .into_iter()
        .next()
        .map(|g| g.image)
        .ok_or_else(|| failed("the engine returned no image".into()))
}

fn encode_b64(img: &RgbImage, format: image::ImageFormat) -> R<String> {
    encode_dyn_b64(&DynamicImage::ImageRgb8(img.clone()), format)
}

fn encode_dyn_b64(img: &DynamicImage, format: image::ImageFormat) -> R<String> {
    image_io::encode(img, format)
        .map(|b| image_io::base64_encode(&b))
        .map_err(|e| {
            BedrockError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerException",
                e.to_string(),
            )
        })
}

fn titan(spec: &ModelSpec, r: TitanRequest, limits: &DecodeLimits) -> R<Invocation> {
    let task = r
        .task_type
        .ok_or_else(|| BedrockError::malformed("#", "required key [taskType] not found"))?;
    let key = TitanRequest::params_key(task);
    let (params, other) = r.params(task);
    if other.is_some() {
        let other_key = match task {
            TitanTask::Inpainting => TitanRequest::params_key(TitanTask::Outpainting),
            TitanTask::Outpainting => TitanRequest::params_key(TitanTask::Inpainting),
        };
        return Err(BedrockError::malformed(
            "#",
            format!("extraneous key [{other_key}] is not permitted"),
        ));
    }
    let pointer = format!("#/{key}");
    let params = params
        .ok_or_else(|| BedrockError::malformed("#", format!("required key [{key}] not found")))?;
    titan_checks(spec, task, params, &pointer)?;
    let precise = params.out_painting_mode == Some(OutPaintingMode::Precise);
    let (n, seed) = titan_config(spec, &r)?;

    let image = image_field(spec, params.image.as_deref(), &pointer, "image", limits)?
        .ok_or_else(|| BedrockError::malformed(&pointer, "required key [image] not found"))?;
    if image.color().has_alpha() && image.to_rgba8().pixels().any(|p| p[3] < 255) {
        return Err(BedrockError::malformed(
            &format!("{pointer}/image"),
            "the image must not have transparent pixels",
        ));
    }
    let rgb = image.to_rgb8();
    let (w, h) = rgb.dimensions();
    let mask = titan_mask(spec, task, params, &pointer, (w, h), precise, limits)?;
    Ok(Invocation {
        image: rgb,
        mask,
        seed,
        count: n,
        format: image::ImageFormat::Png,
        stability: false,
        op: Op::Fill,
        style: None,
    })
}

/// Titan's and Nova Canvas's checks of the task's parameter object, in Bedrock's order: the
/// fields the task needs or forbids, the text lengths, and exactly one of mask prompt and mask.
fn titan_checks(
    spec: &ModelSpec,
    task: TitanTask,
    params: &crate::wire::bedrock::TitanParams,
    pointer: &str,
) -> R<()> {
    // returnMask is in both parameter objects (S-TITAN); outPaintingMode only in one.
    if task == TitanTask::Inpainting && params.out_painting_mode.is_some() {
        return Err(BedrockError::malformed(
            pointer,
            "extraneous key [outPaintingMode] is not permitted",
        ));
    }
    if params.image.is_none() {
        return Err(BedrockError::malformed(
            pointer,
            "required key [image] not found",
        ));
    }
    if task == TitanTask::Outpainting && params.text.is_none() {
        return Err(BedrockError::malformed(
            pointer,
            "required key [text] not found",
        ));
    }
    let max_text = spec.max_prompt_chars;
    text_len(params.text.as_deref(), pointer, "text", 1, max_text)?;
    text_len(
        params.negative_text.as_deref(),
        pointer,
        "negativeText",
        1,
        max_text,
    )?;
    let mask_prompt = text_len(
        params.mask_prompt.as_deref(),
        pointer,
        "maskPrompt",
        1,
        max_text,
    )?;
    if mask_prompt.is_some() == params.mask_image.is_some() {
        return Err(BedrockError::malformed(
            pointer,
            "exactly one of [maskPrompt, maskImage] is required",
        ));
    }
    Ok(())
}

/// The `imageGenerationConfig` checks: the number of images (1 by default) and the seed (0 by
/// default); the cfg scale is only checked.
fn titan_config(spec: &ModelSpec, r: &TitanRequest) -> R<(u64, u64)> {
    let cfg_pointer = "#/imageGenerationConfig";
    let config = r.image_generation_config.clone().unwrap_or_default();
    let n = int_in_range(
        config.number_of_images,
        cfg_pointer,
        "numberOfImages",
        1,
        u64::from(spec.max_images),
    )?
    .unwrap_or(1);
    let (lo, hi) = spec.cfg_range.unwrap_or((1.1, 10.0));
    in_range(
        config.cfg_scale,
        cfg_pointer,
        "cfgScale",
        f64::from(lo),
        f64::from(hi),
    )?;
    let seed = int_in_range(config.seed, cfg_pointer, "seed", 0, spec.seed_max)?.unwrap_or(0);
    Ok((n, seed))
}

/// The mask to fill (the local engine's polarity): the decoded mask image, or without one the
/// centre third standing in for the mask prompt's region; an outpainting mask that is not
/// precise is feathered at the seam.
fn titan_mask(
    spec: &ModelSpec,
    task: TitanTask,
    params: &crate::wire::bedrock::TitanParams,
    pointer: &str,
    (w, h): (u32, u32),
    precise: bool,
    limits: &DecodeLimits,
) -> R<GrayImage> {
    let mask_image = image_field(
        spec,
        params.mask_image.as_deref(),
        pointer,
        "maskImage",
        limits,
    )?;
    let mut mask = match mask_image {
        Some(m) => {
            if (m.width(), m.height()) != (w, h) {
                return Err(BedrockError::malformed(
                    &format!("{pointer}/maskImage"),
                    format!(
                        "mask size {}x{} does not match image size {w}x{h}",
                        m.width(),
                        m.height()
                    ),
                ));
            }
            polarity::from_model(spec.family, task, &m)
        }
        None => {
            let c = centre_region(w, h);
            if task == TitanTask::Outpainting {
                // maskPrompt names what to keep when outpainting.
                let mut inv = crate::mask::Mask(c);
                inv.invert();
                inv.0
            } else {
                c
            }
        }
    };
    if task == TitanTask::Outpainting && !precise {
        let mut m = crate::mask::Mask(mask);
        m.feather(crate::edit::job::OUTPAINT_SEAM_PX);
        mask = m.0;
    }
    Ok(mask)
}

fn stability(spec: &ModelSpec, r: StabilityRequest, limits: &DecodeLimits) -> R<Invocation> {
    let (seed, grow) = stability_checks(spec, &r)?;
    let format = match r.output_format {
        None | Some(OutputFormat::Png) => image::ImageFormat::Png,
        Some(OutputFormat::Jpeg) => image::ImageFormat::Jpeg,
        Some(OutputFormat::Webp) => image::ImageFormat::WebP,
    };
    let (key, source) = if spec.family == Family::StabilityStyleTransfer {
        ("init_image", r.init_image.as_deref())
    } else {
        ("image", r.image.as_deref())
    };
    let image = image_field(spec, source, "#", key, limits)?
        .ok_or_else(|| BedrockError::malformed("#", format!("required key [{key}] not found")))?;
    let style = match image_field(spec, r.style_image.as_deref(), "#", "style_image", limits)? {
        Some(s) => Some(s.to_rgb8()),
        None if spec.family == Family::StabilityStyleTransfer => {
            return Err(BedrockError::malformed(
                "#",
                "required key [style_image] not found",
            ));
        }
        None => None,
    };
    let (w, h) = (image.width(), image.height());
    let op = match (spec.family, r.aspect_ratio.as_deref()) {
        (Family::StabilityStyleGuide, ratio) => {
            let (nw, nh) = aspect_size(ratio.unwrap_or("1:1"), w).unwrap_or((w, w));
            Op::NewPicture(nw, nh)
        }
        _ => stability_op(spec.family, w, h),
    };
    let (canvas, mask) = match spec.family {
        Family::StabilityOutpaint => outpaint_canvas(spec, &r, &image)?,
        Family::StabilitySearchReplace
        | Family::StabilitySearchRecolor
        | Family::StabilityRemoveBackground => (image.to_rgb8(), centre_region(w, h)),
        Family::StabilityFastUpscale
        | Family::StabilityConservativeUpscale
        | Family::StabilityCreativeUpscale
        | Family::StabilityControlSketch
        | Family::StabilityControlStructure
        | Family::StabilityStyleGuide
        | Family::StabilityStyleTransfer => (image.to_rgb8(), GrayImage::new(w, h)),
        _ => (
            image.to_rgb8(),
            stability_mask(spec, &r, &image, grow, limits)?,
        ),
    };
    Ok(Invocation {
        image: canvas,
        mask,
        seed,
        count: 1,
        format,
        stability: true,
        op,
        style,
    })
}

/// The checks every Stability tool shares (text lengths, seed, grow_mask, creativity, style
/// preset); returns the seed (0 by default) and how far to grow the mask.
fn stability_checks(spec: &ModelSpec, r: &StabilityRequest) -> R<(u64, u32)> {
    // a text field of a Stability tool: 0..=max characters (an empty prompt is allowed)
    let max = spec.max_prompt_chars.or(Some(10_000));
    for (k, v) in [
        ("prompt", &r.prompt),
        ("negative_prompt", &r.negative_prompt),
        ("search_prompt", &r.search_prompt),
        ("select_prompt", &r.select_prompt),
    ] {
        text_len(v.as_deref(), "#", k, 0, max)?;
    }
    let seed = int_in_range(r.seed, "#", "seed", 0, spec.seed_max)?.unwrap_or(0);
    let (grow_max, grow_default) = spec.grow_mask.unwrap_or((0, 0));
    let grow = int_in_range(r.grow_mask, "#", "grow_mask", 0, u64::from(grow_max))?
        .unwrap_or(u64::from(grow_default)) as u32;
    if let Some((lo, hi)) = spec.creativity {
        in_range(
            r.creativity,
            "#",
            "creativity",
            f64::from(lo),
            f64::from(hi),
        )?;
    }
    // the control and style tools' numbers, each in the tool's range
    for k in spec.knobs {
        // compared as the f32 the limits are: a body's 0.1 is the limit 0.1, not below it
        in_range(
            r.knob(k.knob).map(|v| f64::from(v as f32)),
            "#",
            k.knob.key(),
            f64::from(k.lo),
            f64::from(k.hi),
        )?;
    }
    if let Some(a) = &r.aspect_ratio
        && !spec.aspect_ratios.contains(&a.as_str())
    {
        return Err(BedrockError::malformed(
            "#/aspect_ratio",
            format!(
                "{a:?} is not a valid enum value (expected one of [{}])",
                spec.aspect_ratios.join(", ")
            ),
        ));
    }
    if let Some(p) = &r.style_preset
        && !model::STYLE_PRESETS.contains(&p.as_str())
    {
        return Err(BedrockError::malformed(
            "#/style_preset",
            format!(
                "{p:?} is not a valid enum value (expected one of [{}])",
                model::STYLE_PRESETS.join(", ")
            ),
        ));
    }
    Ok((seed, grow))
}

/// What the emulator does for the tool; an upscaler's factor depends on the image's size.
fn stability_op(family: Family, w: u32, h: u32) -> Op {
    match family {
        Family::StabilitySearchRecolor => Op::Recolor,
        Family::StabilityRemoveBackground => Op::RemoveBackground,
        Family::StabilityControlSketch | Family::StabilityControlStructure => Op::Redraw,
        Family::StabilityStyleTransfer => Op::Restyle,
        // the emulator's choice: 4x (Fast Upscale's factor) for every upscaler, less where the
        // result would pass 16 megapixels (the real ones stop at about 4K)
        Family::StabilityFastUpscale
        | Family::StabilityConservativeUpscale
        | Family::StabilityCreativeUpscale => {
            let room = 16_777_216.0 / (f64::from(w) * f64::from(h));
            Op::Upscale((room.sqrt().floor() as u32).clamp(1, 4))
        }
        _ => Op::Fill,
    }
}

/// Stability's outpainting: the image on the canvas enlarged by left, right, up and down, and
/// the mask of the new border.
fn outpaint_canvas(
    spec: &ModelSpec,
    r: &StabilityRequest,
    image: &DynamicImage,
) -> R<(RgbImage, GrayImage)> {
    let (w, h) = (image.width(), image.height());
    let mut side = [0u32; 4];
    let max = spec.max_extend.map_or(u64::from(u32::MAX), u64::from);
    for (i, (k, v)) in [
        ("left", r.left),
        ("right", r.right),
        ("up", r.up),
        ("down", r.down),
    ]
    .into_iter()
    .enumerate()
    {
        side[i] = int_in_range(v, "#", k, 0, max)?.unwrap_or(0) as u32;
    }
    if side.iter().all(|&v| v == 0) {
        return Err(BedrockError::malformed(
            "#",
            "at least one of [left, right, up, down] must be greater than 0",
        ));
    }
    let (cw, ch) = (w + side[0] + side[1], h + side[2] + side[3]);
    let mut canvas = RgbImage::new(cw, ch);
    image::imageops::replace(
        &mut canvas,
        &image.to_rgb8(),
        i64::from(side[0]),
        i64::from(side[2]),
    );
    let mask = GrayImage::from_fn(cw, ch, |x, y| {
        let inside = x >= side[0] && x < side[0] + w && y >= side[2] && y < side[2] + h;
        image::Luma([if inside { 0 } else { 255 }])
    });
    Ok((canvas, mask))
}

/// The mask of an inpainting tool: the mask image (resized to the image), or the image's alpha;
/// grown and feathered by grow_mask.
fn stability_mask(
    spec: &ModelSpec,
    r: &StabilityRequest,
    image: &DynamicImage,
    grow: u32,
    limits: &DecodeLimits,
) -> R<GrayImage> {
    let (w, h) = (image.width(), image.height());
    let mask = match image_field(spec, r.mask.as_deref(), "#", "mask", limits)? {
        // "In the event the mask is a different size than the image parameter, it will
        // be automatically resized."
        Some(m) => {
            let m = if (m.width(), m.height()) != (w, h) {
                m.resize_exact(w, h, image::imageops::FilterType::Triangle)
            } else {
                m
            };
            // white = full strength, grey = partial
            m.to_luma8()
        }
        None if image.color().has_alpha() => crate::mask::mask_from_image(image).0,
        None => {
            return Err(BedrockError::malformed(
                "#",
                "required key [mask] not found (or give the image an alpha channel)",
            ));
        }
    };
    // grow_mask: grow the edges outward and blur the grown band
    let mut m = crate::mask::Mask(mask);
    m.grow(grow);
    m.feather(grow);
    Ok(m.0)
}

/// InvokeModel's refusal of a model the faults block (agreement or IAM), as Bedrock words it.
fn invoke_refused(state: &AppState, model_id: &str) -> Option<BedrockError> {
    let access = state.faults.access(model_id);
    if access.unauthorized {
        return Some(BedrockError::new(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            format!(
                "User: arn:aws:iam::123456789012:user/imgedit-test is not authorized to perform: bedrock:InvokeModel on resource: {model_id} (injected)"
            ),
        ));
    }
    if access.agreement_blocked {
        return Some(BedrockError::new(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            format!(
                "You don't have access to the model with the specified model ID {model_id}: the account has not accepted the model's AWS Marketplace offer (injected)"
            ),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`handle`] on a blocking thread of a runtime, painting with the local engine.
    fn handled(spec: &'static ModelSpec, body: &[u8], answer: Answer) -> R<Value> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let body = body.to_vec();
        rt.block_on(async move {
            tokio::task::spawn_blocking(move || {
                handle(
                    spec,
                    &body,
                    answer,
                    &DecodeLimits::default(),
                    &crate::engine::LocalEngine,
                )
            })
            .await
        })
        .unwrap()
    }
    use serde_json::json;

    fn b64_png(w: u32, h: u32) -> String {
        let img = DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 9) as u8, (y * 7) as u8, 50])
        }));
        image_io::base64_encode(&image_io::encode(&img, image::ImageFormat::Png).unwrap())
    }

    fn titan_body(params: Value, config: Value) -> Vec<u8> {
        json!({"taskType": "INPAINTING", "inPaintingParams": params, "imageGenerationConfig": config})
            .to_string()
            .into_bytes()
    }

    fn err(spec_id: &str, body: &[u8]) -> BedrockError {
        let spec = model::find(spec_id).unwrap();
        handled(spec, body, Answer::Normal).unwrap_err()
    }

    const TITAN: &str = "amazon.titan-image-generator-v1";

    #[test]
    fn unknown_and_missing_keys_are_rejected_as_bedrock_does() {
        let e = err(
            TITAN,
            br#"{"taskType":"INPAINTING","inPaintingParams":{},"color":"red"}"#,
        );
        assert_eq!(
            (e.status, e.code),
            (StatusCode::BAD_REQUEST, "ValidationException")
        );
        assert_eq!(
            e.message,
            "Malformed input request: #: extraneous key [color] is not permitted, please reformat your input and try again."
        );
        let e = err(TITAN, br#"{"inPaintingParams":{}}"#);
        assert!(
            e.message.contains("#: required key [taskType] not found"),
            "{}",
            e.message
        );
        let e = err(TITAN, &titan_body(json!({"text": "x"}), json!({})));
        assert!(
            e.message
                .contains("#/inPaintingParams: required key [image] not found"),
            "{}",
            e.message
        );
    }

    #[test]
    fn lengths_and_ranges_use_bedrocks_wording() {
        let img = b64_png(64, 64);
        let e = err(
            TITAN,
            &titan_body(
                json!({"image": img, "text": "a".repeat(536), "maskPrompt": "x"}),
                json!({}),
            ),
        );
        assert!(
            e.message
                .contains("#/inPaintingParams/text: expected maxLength: 512, actual: 536"),
            "{}",
            e.message
        );
        let e = err(
            TITAN,
            &titan_body(
                json!({"image": img, "maskPrompt": "x"}),
                json!({"numberOfImages": 6}),
            ),
        );
        assert!(
            e.message
                .contains("#/imageGenerationConfig/numberOfImages: 6 is not less or equal to 5"),
            "{}",
            e.message
        );
        let e = err(
            TITAN,
            &titan_body(
                json!({"image": img, "maskPrompt": "x"}),
                json!({"cfgScale": 0.5}),
            ),
        );
        assert!(
            e.message
                .contains("cfgScale: 0.5 is not greater or equal to"),
            "{}",
            e.message
        );
        let e = err(TITAN, &titan_body(json!({"image": img}), json!({})));
        assert!(
            e.message.contains("exactly one of [maskPrompt, maskImage]"),
            "{}",
            e.message
        );
    }

    #[test]
    fn mask_size_must_match_and_images_must_fit_the_model() {
        let e = err(
            TITAN,
            &titan_body(
                json!({"image": b64_png(64, 64), "maskImage": b64_png(32, 32)}),
                json!({}),
            ),
        );
        assert!(
            e.message
                .contains("mask size 32x32 does not match image size 64x64"),
            "{}",
            e.message
        );
        let e = err(
            "amazon.nova-canvas-v1:0",
            &titan_body(
                json!({"image": b64_png(64, 64), "maskPrompt": "x"}),
                json!({}),
            ),
        );
        assert!(
            e.message.contains("image size 64x64 is not supported"),
            "{}",
            e.message
        );
        let e = err(
            TITAN,
            &titan_body(
                json!({"image": "@@notbase64", "maskPrompt": "x"}),
                json!({}),
            ),
        );
        assert!(
            e.message
                .contains("#/inPaintingParams/image: invalid base64"),
            "{}",
            e.message
        );
    }

    #[test]
    fn titan_inpainting_fills_the_black_part_of_the_mask_only() {
        let spec = model::find(TITAN).unwrap();
        let img = RgbImage::from_fn(64, 64, |x, y| {
            image::Rgb([(x * 3) as u8, (y * 3) as u8, ((x + y) % 7 * 30) as u8])
        });
        // Titan polarity: black = the area to repaint (a 10x10 square), white = keep.
        let mask = RgbImage::from_fn(64, 64, |x, y| {
            if (20..30).contains(&x) && (20..30).contains(&y) {
                image::Rgb([0, 0, 0])
            } else {
                image::Rgb([255, 255, 255])
            }
        });
        let enc = |i: &RgbImage| {
            image_io::base64_encode(
                &image_io::encode(&DynamicImage::ImageRgb8(i.clone()), image::ImageFormat::Png)
                    .unwrap(),
            )
        };
        let body = titan_body(
            json!({"image": enc(&img), "maskImage": enc(&mask)}),
            json!({"numberOfImages": 2, "seed": 3}),
        );
        let v = handled(spec, &body, Answer::Normal).unwrap();
        let images = v["images"].as_array().unwrap();
        assert_eq!(images.len(), 2);
        let out = image_io::decode_bytes(
            &image_io::decode_base64_or_data_url(images[0].as_str().unwrap(), "i").unwrap(),
            "i",
            &DecodeLimits::default(),
        )
        .unwrap()
        .image
        .to_rgb8();
        for (x, y, p) in img.enumerate_pixels() {
            let inside = (20..30).contains(&x) && (20..30).contains(&y);
            if !inside {
                assert_eq!(out.get_pixel(x, y), p, "kept pixel {x},{y} changed");
            }
        }
    }

    #[test]
    fn stability_requires_its_fields() {
        let body = json!({"image": b64_png(64, 64), "mask": b64_png(64, 64)}).to_string();
        let e = err("stability.stable-image-inpaint-v1:0", body.as_bytes());
        assert!(
            e.message.contains("required key [prompt] not found"),
            "{}",
            e.message
        );
        let body = json!({"image": b64_png(64, 64), "prompt": "x", "strength": 1}).to_string();
        let e = err("stability.stable-image-inpaint-v1:0", body.as_bytes());
        assert!(
            e.message.contains("extraneous key [strength]"),
            "{}",
            e.message
        );
        let body = json!({"image": b64_png(64, 64)}).to_string();
        let e = err("stability.stable-outpaint-v1:0", body.as_bytes());
        assert!(
            e.message
                .contains("at least one of [left, right, up, down]"),
            "{}",
            e.message
        );
    }

    fn ok(spec_id: &str, body: &Value) -> Value {
        let spec = model::find(spec_id).unwrap();
        handled(spec, body.to_string().as_bytes(), Answer::Normal)
            .unwrap_or_else(|e| panic!("{spec_id}: {}", e.message))
    }

    #[test]
    fn the_doc_examples_are_accepted() {
        let f: Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/bedrock/stability.json"
        )))
        .unwrap();
        for (id, req) in f["requests"].as_object().unwrap() {
            let text = req
                .to_string()
                .replace("\"<image>\"", &format!("\"{}\"", b64_png(128, 128)))
                .replace("\"<mask>\"", &format!("\"{}\"", b64_png(128, 128)))
                .replace("\"<style_image>\"", &format!("\"{}\"", b64_png(96, 64)));
            let spec = model::find(id).unwrap();
            let inv = validate(spec, text.as_bytes(), &DecodeLimits::default())
                .unwrap_or_else(|e| panic!("{id}: {}", e.message));
            if spec.family == Family::StabilityOutpaint {
                assert_eq!(inv.image.dimensions(), (128 + 1024, 128 + 300));
            }
        }
    }

    #[test]
    fn the_control_and_style_tools_take_the_docs_ranges_and_enums() {
        let f: Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/bedrock/stability.json"
        )))
        .unwrap();
        let base = |id: &str| -> Value {
            if id.contains("style-transfer") {
                json!({"init_image": b64_png(64, 64), "style_image": b64_png(64, 64)})
            } else {
                json!({"image": b64_png(64, 64), "prompt": "x"})
            }
        };
        for (id, ranges) in f["ranges"].as_object().unwrap() {
            for (key, r) in ranges.as_object().unwrap() {
                let (lo, hi) = (r[0].as_f64().unwrap(), r[1].as_f64().unwrap());
                let with = |v: f64| {
                    let mut b = base(id);
                    b[key.as_str()] = json!(v);
                    b
                };
                ok(id, &with(lo));
                ok(id, &with(hi));
                ok(id, &with(r[2].as_f64().unwrap()));
                let e = err(id, with(lo - 0.05).to_string().as_bytes());
                assert!(
                    e.message.contains(&format!("#/{key}:"))
                        && e.message.contains("is not greater or equal to"),
                    "{id} {key}: {}",
                    e.message
                );
                let e = err(id, with(hi + 0.5).to_string().as_bytes());
                assert!(
                    e.message.contains("is not less or equal to"),
                    "{id} {key}: {}",
                    e.message
                );
            }
        }
        let guide = "us.stability.stable-image-style-guide-v1:0";
        for ratio in f["aspect_ratios"].as_array().unwrap() {
            let mut b = base(guide);
            b["aspect_ratio"] = ratio.clone();
            ok(guide, &b);
        }
        let mut b = base(guide);
        b["aspect_ratio"] = json!("7:5");
        let e = err(guide, b.to_string().as_bytes());
        assert!(
            e.message.contains("#/aspect_ratio") && e.message.contains("9:21"),
            "{}",
            e.message
        );
        // style transfer takes init_image, never image, and needs its reference
        let st = "us.stability.stable-style-transfer-v1:0";
        let e = err(
            st,
            json!({"image": b64_png(64, 64), "style_image": b64_png(64, 64)})
                .to_string()
                .as_bytes(),
        );
        assert!(
            e.message.contains("extraneous key [image]"),
            "{}",
            e.message
        );
        let e = err(
            st,
            json!({"init_image": b64_png(64, 64)})
                .to_string()
                .as_bytes(),
        );
        assert!(
            e.message.contains("required key [style_image] not found"),
            "{}",
            e.message
        );
        // both images are held to the tool's size limits
        let e = err(
            st,
            json!({"init_image": b64_png(64, 64), "style_image": b64_png(200, 64)})
                .to_string()
                .as_bytes(),
        );
        assert!(
            e.message.contains("#/style_image") && e.message.contains("200x64"),
            "{}",
            e.message
        );
        // the sketch and structure tools need their prompt
        let e = err(
            "us.stability.stable-image-control-sketch-v1:0",
            json!({"image": b64_png(64, 64)}).to_string().as_bytes(),
        );
        assert!(
            e.message.contains("required key [prompt] not found"),
            "{}",
            e.message
        );
    }

    #[test]
    fn the_emulator_makes_a_new_picture_for_the_control_and_style_tools() {
        let decode = |v: &Value| {
            image_io::decode_bytes(
                &image_io::decode_base64_or_data_url(v["images"][0].as_str().unwrap(), "i")
                    .unwrap(),
                "i",
                &DecodeLimits::default(),
            )
            .unwrap()
            .image
            .to_rgb8()
        };
        let mut b = json!({"image": b64_png(64, 64), "prompt": "x", "aspect_ratio": "16:9"});
        let out = decode(&ok("us.stability.stable-image-style-guide-v1:0", &b));
        assert_eq!(out.dimensions(), (64, 36));
        b = json!({"image": b64_png(64, 64), "prompt": "x"});
        let out = decode(&ok("us.stability.stable-image-control-sketch-v1:0", &b));
        assert_eq!(out.dimensions(), (64, 64));
    }

    #[test]
    fn stability_ranges_and_enums_are_the_docs() {
        let inpaint = "us.stability.stable-image-inpaint-v1:0";
        let base = || json!({"image": b64_png(64, 64), "mask": b64_png(64, 64), "prompt": "x"});
        let with = |k: &str, v: Value| {
            let mut b = base();
            b[k] = v;
            b
        };
        ok(inpaint, &with("grow_mask", json!(20)));
        let e = err(inpaint, with("grow_mask", json!(21)).to_string().as_bytes());
        assert!(
            e.message
                .contains("#/grow_mask: 21 is not less or equal to 20"),
            "{}",
            e.message
        );
        let e = err(inpaint, with("seed", json!(1.5)).to_string().as_bytes());
        assert!(
            e.message.contains("#/seed: expected type: Integer"),
            "{}",
            e.message
        );
        ok(inpaint, &with("style_preset", json!("photographic")));
        let e = err(
            inpaint,
            with("style_preset", json!("watercolour"))
                .to_string()
                .as_bytes(),
        );
        assert!(
            e.message.contains("#/style_preset") && e.message.contains("tile-texture"),
            "{}",
            e.message
        );
        // an empty prompt is allowed (0..10000 characters)
        ok(inpaint, &with("prompt", json!("")));
        // a mask of another size is resized, not refused
        ok(inpaint, &with("mask", json!(b64_png(32, 32))));
        let outpaint = "us.stability.stable-outpaint-v1:0";
        let out = |k: &str, v: Value| json!({"image": b64_png(64, 64), "left": 8, k: v});
        ok(outpaint, &out("creativity", json!(1.0)));
        let e = err(
            outpaint,
            out("creativity", json!(0.05)).to_string().as_bytes(),
        );
        assert!(e.message.contains("#/creativity"), "{}", e.message);
        let e = err(outpaint, out("right", json!(2001)).to_string().as_bytes());
        assert!(
            e.message
                .contains("#/right: 2001 is not less or equal to 2000"),
            "{}",
            e.message
        );
        // Titan lists returnMask for outpainting too
        let body = json!({"taskType": "OUTPAINTING", "outPaintingParams": {
            "image": b64_png(64, 64), "text": "x", "maskPrompt": "sky", "returnMask": false}});
        ok(TITAN, &body);
    }

    #[test]
    fn stability_answers_in_the_docs_shapes() {
        let spec = model::find("us.stability.stable-image-erase-object-v1:0").unwrap();
        let body = json!({"image": b64_png(64, 64), "mask": b64_png(64, 64)}).to_string();
        let v = handled(spec, body.as_bytes(), Answer::Normal).unwrap();
        // seed 0 (omitted) is random, and the seed used is reported
        assert!(v["seeds"][0].as_u64().unwrap() > 0);
        assert_eq!(v["finish_reasons"], json!([null]));
        let v = handled(spec, body.as_bytes(), Answer::Filtered).unwrap();
        assert_eq!(
            v,
            json!({"finish_reasons": ["Filter reason: output image"]})
        );
        let v = handled(spec, body.as_bytes(), Answer::InferenceError).unwrap();
        assert_eq!(v["finish_reasons"], json!(["Inference error"]));
        assert!(v.get("images").is_none());
    }
}
