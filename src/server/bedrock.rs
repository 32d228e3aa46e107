//! `POST /model/{modelId}/invoke` in Bedrock's wire format, validated strictly as Bedrock does and
//! answered by the local engine: offline development and tests through the real AWS SDK.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use image::{DynamicImage, GrayImage, RgbImage};
use serde_json::{Map, Value, json};

use super::faults::Injected;
use super::{AppState, Concurrency, body};
use crate::engine::bedrock::polarity::{self, TitanTask};
use crate::engine::local::{self, LocalParams};
use crate::image_io::{self, DecodeLimits};
use crate::model::{self, BEDROCK_MAX_BODY_BYTES, Family, ModelSpec};

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

    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        BedrockError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for BedrockError {
    fn into_response(self) -> Response {
        let mut resp =
            (self.status, axum::Json(json!({ "message": self.message }))).into_response();
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
    if let Some(fault) = state.faults.next(&model_id) {
        body::discard(req).await;
        return injected_response(fault, &model_id);
    }
    let Some(_permit) = svc.concurrency.try_enter() else {
        body::discard(req).await;
        return BedrockError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            format!(
                "The server is busy ({} invocations running); retry in a moment",
                svc.concurrency.max
            ),
        )
        .into_response();
    };
    let body = match body::read(req, BEDROCK_MAX_BODY_BYTES, state.body_timeout).await {
        Ok(b) => b,
        Err(e @ body::BodyError::TooLarge { .. }) => {
            return BedrockError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "ValidationException",
                format!("{e} (InvokeModel's body limit)"),
            )
            .into_response();
        }
        Err(e) => {
            return BedrockError::new(
                StatusCode::BAD_REQUEST,
                "ValidationException",
                e.to_string(),
            )
            .into_response();
        }
    };
    let filter = state.faults.take_filter();
    let limits = state.limits;
    let result = tokio::task::spawn_blocking(move || handle(spec, &body, filter, &limits)).await;
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

/// The response Bedrock would give for an injected fault.
fn injected_response(fault: Injected, model_id: &str) -> Response {
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
        Injected::Broken(b) => return b.response(),
    };
    BedrockError::new(status, code, message).into_response()
}

fn handle(spec: &'static ModelSpec, body: &[u8], filter: bool, limits: &DecodeLimits) -> R<Value> {
    execute(validate(spec, body, limits)?, filter)
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
}

/// Checks an InvokeModel body for `spec` as Bedrock does, decoding its images; nothing is painted.
pub fn validate(spec: &ModelSpec, body: &[u8], limits: &DecodeLimits) -> R<Invocation> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| BedrockError::malformed("#", format!("invalid JSON ({e})")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| BedrockError::malformed("#", "expected type: JSONObject"))?;
    match spec.family {
        Family::Titan | Family::NovaCanvas => titan(spec, obj, limits),
        _ => stability(spec, obj, limits),
    }
}

/// Paints a validated request with the local engine; `filter` withholds an image as Bedrock's
/// content filter would.
fn execute(inv: Invocation, filter: bool) -> R<Value> {
    if inv.stability {
        if filter {
            return Ok(
                json!({ "seeds": [inv.seed], "finish_reasons": ["Filter reason: output image"], "images": [] }),
            );
        }
        let out = fill(&inv.image, &inv.mask, inv.seed)?;
        return Ok(json!({
            "seeds": [inv.seed],
            "finish_reasons": [null],
            "images": [encode_b64(&out, inv.format)?],
        }));
    }
    let mut images = Vec::new();
    for i in 0..inv.count {
        let out = fill(&inv.image, &inv.mask, inv.seed.wrapping_add(i))?;
        images.push(Value::String(encode_b64(&out, inv.format)?));
    }
    if filter && !images.is_empty() {
        images.pop();
        return Ok(json!({
            "images": images,
            "error": "This request has been blocked by our content filters. (injected)",
        }));
    }
    Ok(json!({ "images": images }))
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

fn string<'a>(
    obj: &'a Map<String, Value>,
    pointer: &str,
    key: &str,
    max: Option<usize>,
) -> R<Option<&'a str>> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => {
            let n = s.chars().count();
            if n == 0 {
                return Err(BedrockError::malformed(
                    &format!("{pointer}/{key}"),
                    "expected minLength: 1, actual: 0",
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
        Some(_) => Err(BedrockError::malformed(
            &format!("{pointer}/{key}"),
            "expected type: String",
        )),
    }
}

fn number(obj: &Map<String, Value>, pointer: &str, key: &str, lo: f64, hi: f64) -> R<Option<f64>> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => {
            let n = v.as_f64().ok_or_else(|| {
                BedrockError::malformed(&format!("{pointer}/{key}"), "expected type: Number")
            })?;
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
    }
}

fn image_field(
    spec: &ModelSpec,
    obj: &Map<String, Value>,
    pointer: &str,
    key: &str,
    limits: &DecodeLimits,
) -> R<Option<DynamicImage>> {
    let Some(s) = string(obj, pointer, key, None)? else {
        return Ok(None);
    };
    let at = format!("{pointer}/{key}");
    let bytes = image_io::decode_base64_or_data_url(s, &at)
        .map_err(|_| BedrockError::malformed(&at, "invalid base64 image"))?;
    let img = image_io::decode_bytes(&bytes, &at, limits)
        .map_err(|e| BedrockError::malformed(&at, format!("unable to decode the image ({e})")))?
        .image;
    let (w, h) = (img.width(), img.height());
    if key == "image" && !spec.accepts_size(w, h) {
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

fn fill(image: &RgbImage, mask: &GrayImage, seed: u64) -> R<RgbImage> {
    let cancel = AtomicBool::new(false);
    let params = LocalParams {
        seed,
        ..LocalParams::default()
    };
    local::inpaint(image, mask, &params, &|_| {}, &cancel).map_err(|_| {
        BedrockError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerException",
            "cancelled",
        )
    })
}

fn encode_b64(img: &RgbImage, format: image::ImageFormat) -> R<String> {
    image_io::encode(&DynamicImage::ImageRgb8(img.clone()), format)
        .map(|b| image_io::base64_encode(&b))
        .map_err(|e| {
            BedrockError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerException",
                e.to_string(),
            )
        })
}

fn titan(spec: &ModelSpec, obj: &Map<String, Value>, limits: &DecodeLimits) -> R<Invocation> {
    check_keys(
        obj,
        "#",
        &[
            "taskType",
            "inPaintingParams",
            "outPaintingParams",
            "imageGenerationConfig",
        ],
        &["taskType"],
    )?;
    let task = match obj.get("taskType").and_then(Value::as_str) {
        Some("INPAINTING") => TitanTask::Inpainting,
        Some("OUTPAINTING") => TitanTask::Outpainting,
        other => {
            return Err(BedrockError::malformed(
                "#/taskType",
                format!(
                    "{} is not a valid enum value (this endpoint serves INPAINTING and OUTPAINTING)",
                    other.map_or("null".into(), |s| s.to_string())
                ),
            ));
        }
    };
    let key = if task == TitanTask::Inpainting {
        "inPaintingParams"
    } else {
        "outPaintingParams"
    };
    let other = if task == TitanTask::Inpainting {
        "outPaintingParams"
    } else {
        "inPaintingParams"
    };
    if obj.contains_key(other) {
        return Err(BedrockError::malformed(
            "#",
            format!("extraneous key [{other}] is not permitted"),
        ));
    }
    let pointer = format!("#/{key}");
    let params = obj
        .get(key)
        .ok_or_else(|| BedrockError::malformed("#", format!("required key [{key}] not found")))?
        .as_object()
        .ok_or_else(|| BedrockError::malformed(&pointer, "expected type: JSONObject"))?;
    let mut allowed = vec!["image", "text", "negativeText", "maskPrompt", "maskImage"];
    allowed.push(if task == TitanTask::Inpainting {
        "returnMask"
    } else {
        "outPaintingMode"
    });
    let required: &[&str] = if task == TitanTask::Outpainting {
        &["image", "text"]
    } else {
        &["image"]
    };
    check_keys(params, &pointer, &allowed, required)?;
    let max_text = spec.max_prompt_chars;
    string(params, &pointer, "text", max_text)?;
    string(params, &pointer, "negativeText", max_text)?;
    let mask_prompt = string(params, &pointer, "maskPrompt", max_text)?;
    if mask_prompt.is_some() == params.contains_key("maskImage") {
        return Err(BedrockError::malformed(
            &pointer,
            "exactly one of [maskPrompt, maskImage] is required",
        ));
    }
    let precise = match params.get("outPaintingMode").map(|v| v.as_str()) {
        None | Some(Some("DEFAULT")) => false,
        Some(Some("PRECISE")) => true,
        Some(_) => {
            return Err(BedrockError::malformed(
                &format!("{pointer}/outPaintingMode"),
                "expected one of [DEFAULT, PRECISE]",
            ));
        }
    };
    let cfg_pointer = "#/imageGenerationConfig";
    let config = match obj.get("imageGenerationConfig") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(BedrockError::malformed(
                cfg_pointer,
                "expected type: JSONObject",
            ));
        }
    };
    check_keys(
        &config,
        cfg_pointer,
        &[
            "numberOfImages",
            "cfgScale",
            "seed",
            "quality",
            "width",
            "height",
        ],
        &[],
    )?;
    let n = number(
        &config,
        cfg_pointer,
        "numberOfImages",
        1.0,
        f64::from(spec.max_images),
    )?
    .unwrap_or(1.0) as u64;
    let (lo, hi) = spec.cfg_range.unwrap_or((1.1, 10.0));
    number(
        &config,
        cfg_pointer,
        "cfgScale",
        f64::from(lo),
        f64::from(hi),
    )?;
    let seed =
        number(&config, cfg_pointer, "seed", 0.0, spec.seed_max as f64)?.unwrap_or(0.0) as u64;
    if let Some(q) = config.get("quality")
        && !matches!(q.as_str(), Some("standard" | "premium"))
    {
        return Err(BedrockError::malformed(
            &format!("{cfg_pointer}/quality"),
            "expected one of [standard, premium]",
        ));
    }

    let image = image_field(spec, params, &pointer, "image", limits)?
        .ok_or_else(|| BedrockError::malformed(&pointer, "required key [image] not found"))?;
    if image.color().has_alpha() && image.to_rgba8().pixels().any(|p| p[3] < 255) {
        return Err(BedrockError::malformed(
            &format!("{pointer}/image"),
            "the image must not have transparent pixels",
        ));
    }
    let rgb = image.to_rgb8();
    let (w, h) = rgb.dimensions();
    let mut mask = match image_field(spec, params, &pointer, "maskImage", limits)? {
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
        m.feather(crate::job::OUTPAINT_SEAM_PX);
        mask = m.0;
    }
    Ok(Invocation {
        image: rgb,
        mask,
        seed,
        count: n,
        format: image::ImageFormat::Png,
        stability: false,
    })
}

fn stability(spec: &ModelSpec, obj: &Map<String, Value>, limits: &DecodeLimits) -> R<Invocation> {
    let (allowed, required): (&[&str], &[&str]) = match spec.family {
        Family::StabilityInpaint => (
            &[
                "image",
                "prompt",
                "mask",
                "negative_prompt",
                "grow_mask",
                "seed",
                "output_format",
                "style_preset",
            ],
            &["image", "prompt"],
        ),
        Family::StabilityErase => (
            &["image", "mask", "grow_mask", "seed", "output_format"],
            &["image"],
        ),
        Family::StabilityOutpaint => (
            &[
                "image",
                "left",
                "right",
                "up",
                "down",
                "prompt",
                "creativity",
                "seed",
                "output_format",
                "style_preset",
            ],
            &["image"],
        ),
        _ => (
            &[
                "image",
                "prompt",
                "search_prompt",
                "negative_prompt",
                "grow_mask",
                "seed",
                "output_format",
                "style_preset",
            ],
            &["image", "prompt", "search_prompt"],
        ),
    };
    check_keys(obj, "#", allowed, required)?;
    let max = spec.max_prompt_chars;
    for k in ["prompt", "negative_prompt", "search_prompt"] {
        string(obj, "#", k, max)?;
    }
    let seed = number(obj, "#", "seed", 0.0, spec.seed_max as f64)?.unwrap_or(0.0) as u64;
    let grow = number(obj, "#", "grow_mask", 0.0, 100.0)?.unwrap_or(5.0) as u32;
    let format = match obj.get("output_format").map(|v| v.as_str()) {
        None | Some(Some("png")) => image::ImageFormat::Png,
        Some(Some("jpeg")) => image::ImageFormat::Jpeg,
        Some(Some("webp")) => image::ImageFormat::WebP,
        Some(_) => {
            return Err(BedrockError::malformed(
                "#/output_format",
                "expected one of [png, jpeg, webp]",
            ));
        }
    };
    let image = image_field(spec, obj, "#", "image", limits)?
        .ok_or_else(|| BedrockError::malformed("#", "required key [image] not found"))?;
    let (w, h) = (image.width(), image.height());
    let (canvas, mask) = match spec.family {
        Family::StabilityOutpaint => {
            let mut side = [0u32; 4];
            for (i, k) in ["left", "right", "up", "down"].iter().enumerate() {
                side[i] = number(obj, "#", k, 0.0, 2000.0)?.unwrap_or(0.0) as u32;
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
            (canvas, mask)
        }
        Family::StabilitySearchReplace => (image.to_rgb8(), centre_region(w, h)),
        _ => {
            let mask = match image_field(spec, obj, "#", "mask", limits)? {
                Some(m) if (m.width(), m.height()) != (w, h) => {
                    return Err(BedrockError::malformed(
                        "#/mask",
                        format!(
                            "mask size {}x{} does not match image size {w}x{h}",
                            m.width(),
                            m.height()
                        ),
                    ));
                }
                Some(m) => polarity::from_model(spec.family, TitanTask::Inpainting, &m),
                None if image.color().has_alpha() => crate::mask::mask_from_image(&image).0,
                None => {
                    return Err(BedrockError::malformed(
                        "#",
                        "required key [mask] not found (or give the image an alpha channel)",
                    ));
                }
            };
            let mut m = crate::mask::Mask(mask);
            m.grow(grow);
            (image.to_rgb8(), m.0)
        }
    };
    Ok(Invocation {
        image: canvas,
        mask,
        seed,
        count: 1,
        format,
        stability: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        handle(spec, body, false, &DecodeLimits::default()).unwrap_err()
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
        let v = handle(spec, &body, false, &DecodeLimits::default()).unwrap();
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
}
