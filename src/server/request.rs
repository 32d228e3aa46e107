//! The `/image-edit` request body: parsing and field validation, independent of HTTP so that tests
//! and fuzzers can drive it directly.
//!
//! ```json
//! { "prompt": { "text": "...", "mode": "INPAINTING", "negative_text": "..." },
//!   "base_image": "data:image/jpeg;base64,...", "mask": "data:image/png;base64,..." | null,
//!   "model": "titan", "canvas_config": { "extend": [0, 0, 256, 0] },
//!   "num_images": 2, "seed": 42, "cfg_scale": 8.0, "quality": "premium" }
//! ```
//! Everything beyond `prompt`, `base_image`, `mask`, `model` and `canvas_config` is an imgedit
//! extension with the original Lambda's behaviour as the default.

use serde_json::{Map, Value};

use crate::job::{Anchor, CanvasSize, CanvasSpec, Extend, Length, Mode, Quality};

/// Images the original Lambda always asked for.
pub const DEFAULT_NUM_IMAGES: u32 = 2;
/// The original Lambda's cfgScale.
pub const DEFAULT_CFG_SCALE: f32 = 8.0;
/// Canvas growth on each side when `mask` is null and `canvas_config` says nothing: 25 % of the
/// image's width (left, right) and height (top, bottom), so the canvas is 1.5 times the image.
pub const DEFAULT_EXTEND_PERCENT: f64 = 25.0;

/// A field that breaks a rule: the field's JSON path and what is wrong, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// A parsed `/image-edit` request; images are still base64 (decoded later, off the async runtime).
#[derive(Debug, Clone, PartialEq)]
pub struct EditRequest {
    pub text: String,
    pub negative_text: Option<String>,
    pub mode: Mode,
    /// The mode as the contract spells it (`INPAINTING`, `OUTPAINTING`, `precise-outpaint`).
    pub wire_mode: &'static str,
    pub base_image: String,
    pub mask: Option<String>,
    pub model: String,
    pub canvas: Option<CanvasSpec>,
    pub num_images: u32,
    pub seed: Option<u64>,
    pub cfg_scale: Option<f32>,
    pub quality: Quality,
}

/// The top-level fields of the contract.
pub const TOP_KEYS: &[&str] = &[
    "prompt",
    "base_image",
    "mask",
    "model",
    "canvas_config",
    "num_images",
    "seed",
    "cfg_scale",
    "quality",
];
const PROMPT_KEYS: &[&str] = &["text", "mode", "negative_text"];
const CANVAS_KEYS: &[&str] = &["width", "height", "anchor", "extend"];

fn check_keys(obj: &Map<String, Value>, at: &str, allowed: &[&str]) -> Result<(), FieldError> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(FieldError::new(
            &join(at, k),
            format!("unknown field (expected one of: {})", allowed.join(", ")),
        )),
        None => Ok(()),
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    at: &str,
    key: &str,
) -> Result<Option<&'a str>, FieldError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(FieldError::new(
            &join(at, key),
            format!("expected a string, got {}", type_name(v)),
        )),
    }
}

fn opt_uint(
    obj: &Map<String, Value>,
    at: &str,
    key: &str,
    max: u64,
) -> Result<Option<u64>, FieldError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n <= max => Ok(Some(n)),
            _ => Err(FieldError::new(
                &join(at, key),
                format!("expected a whole number from 0 to {max}, got {v}"),
            )),
        },
    }
}

/// Parses and checks a request body. Limits that depend on the model (prompt length, image count,
/// cfg range, image sizes) are checked later against the model's `ModelSpec`.
pub fn parse(body: &[u8]) -> Result<EditRequest, FieldError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(FieldError::new(
            "",
            "the request has no body; send a JSON object with prompt, base_image and mask",
        ));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        FieldError::new(
            "",
            format!("the body is not valid JSON ({e}); send a JSON object"),
        )
    })?;
    let obj = match v {
        Value::Object(o) => o,
        other => {
            return Err(FieldError::new(
                "",
                format!("the body must be a JSON object, got {}", type_name(&other)),
            ));
        }
    };
    check_keys(&obj, "", TOP_KEYS)?;

    let prompt = match obj.get("prompt") {
        Some(Value::Object(p)) => p,
        None | Some(Value::Null) => {
            return Err(FieldError::new(
                "prompt",
                "missing: send {\"text\": \"...\", \"mode\": \"INPAINTING\"}",
            ));
        }
        Some(v) => {
            return Err(FieldError::new(
                "prompt",
                format!(
                    "expected an object with text and mode, got {}",
                    type_name(v)
                ),
            ));
        }
    };
    check_keys(prompt, "prompt", PROMPT_KEYS)?;
    let text = opt_str(prompt, "prompt", "text")?
        .ok_or_else(|| FieldError::new("prompt.text", "missing"))?
        .to_string();
    let negative_text = opt_str(prompt, "prompt", "negative_text")?
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let (mode, wire_mode) = match opt_str(prompt, "prompt", "mode")? {
        None => (Mode::Inpaint, "INPAINTING"),
        Some(m) => match m.to_ascii_lowercase().replace('_', "-").as_str() {
            "inpainting" | "inpaint" => (Mode::Inpaint, "INPAINTING"),
            "outpainting" | "outpaint" => (Mode::Outpaint, "OUTPAINTING"),
            "precise-outpaint" | "precise-outpainting" => {
                (Mode::PreciseOutpaint, "precise-outpaint")
            }
            _ => {
                return Err(FieldError::new(
                    "prompt.mode",
                    format!(
                        "{m:?} is not a mode (expected INPAINTING, OUTPAINTING or precise-outpaint)"
                    ),
                ));
            }
        },
    };

    let base_image = opt_str(&obj, "", "base_image")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            FieldError::new(
                "base_image",
                "missing: send the image as a data URL or base64 (PNG or JPEG)",
            )
        })?
        .to_string();
    let mask = opt_str(&obj, "", "mask")?
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if mask.is_none() && mode == Mode::Inpaint {
        return Err(FieldError::new(
            "mask",
            "missing: INPAINTING needs a mask (black = the region to change, white = keep)",
        ));
    }
    let model = opt_str(&obj, "", "model")?.unwrap_or("titan").to_string();

    let canvas = match obj.get("canvas_config") {
        None | Some(Value::Null) => None,
        Some(Value::Object(c)) => parse_canvas(c)?,
        Some(v) => {
            return Err(FieldError::new(
                "canvas_config",
                format!("expected an object, got {}", type_name(v)),
            ));
        }
    };
    if canvas.is_some() && mode == Mode::Inpaint {
        return Err(FieldError::new(
            "canvas_config",
            "enlarges the image: use it with OUTPAINTING or precise-outpaint, not INPAINTING",
        ));
    }
    let canvas = match (canvas, &mask, mode.is_outpaint()) {
        (None, None, true) => Some(CanvasSpec::Extend(Extend(
            [Length::Percent(DEFAULT_EXTEND_PERCENT); 4],
        ))),
        (c, _, _) => c,
    };

    let num_images =
        opt_uint(&obj, "", "num_images", 100)?.map_or(DEFAULT_NUM_IMAGES, |n| n as u32);
    if num_images == 0 {
        return Err(FieldError::new("num_images", "must be at least 1, got 0"));
    }
    let seed = opt_uint(&obj, "", "seed", u64::from(u32::MAX))?;
    let cfg_scale = match obj.get("cfg_scale") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(f) if f.is_finite() && (f as f32).is_finite() => Some(f as f32),
            Some(_) => {
                return Err(FieldError::new("cfg_scale", format!("{v} is out of range")));
            }
            None => {
                return Err(FieldError::new(
                    "cfg_scale",
                    format!("expected a number, got {v}"),
                ));
            }
        },
    };
    let quality = match opt_str(&obj, "", "quality")? {
        None | Some("premium") => Quality::Premium,
        Some("standard") => Quality::Standard,
        Some(q) => {
            return Err(FieldError::new(
                "quality",
                format!("{q:?} is not a quality (expected standard or premium)"),
            ));
        }
    };
    Ok(EditRequest {
        text,
        negative_text,
        mode,
        wire_mode,
        base_image,
        mask,
        model,
        canvas,
        num_images,
        seed,
        cfg_scale,
        quality,
    })
}

/// `canvas_config`: `{"width": W, "height": H, "anchor": "center"}` (the canvas size and where the
/// original sits) or `{"extend": [left, top, right, bottom]}` / `{"extend": {"left": .., ...}}` in
/// pixels. An empty object means "not given".
fn parse_canvas(c: &Map<String, Value>) -> Result<Option<CanvasSpec>, FieldError> {
    check_keys(c, "canvas_config", CANVAS_KEYS)?;
    let side = |key: &str| opt_uint(c, "canvas_config", key, 65_535);
    let (w, h) = (side("width")?, side("height")?);
    let anchor = match opt_str(c, "canvas_config", "anchor")? {
        None => Anchor::default(),
        Some(a) => <Anchor as clap::ValueEnum>::from_str(&a.replace('_', "-"), true).map_err(|_| {
            FieldError::new(
                "canvas_config.anchor",
                format!("{a:?} is not an anchor (expected center, top-left, top, top-right, left, right, bottom-left, bottom or bottom-right)"),
            )
        })?,
    };
    let extend = match c.get("extend") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) if a.len() == 4 => {
            let mut px = [0u32; 4];
            for (i, v) in a.iter().enumerate() {
                px[i] = v.as_u64().filter(|n| *n <= 65_535).ok_or_else(|| {
                    FieldError::new(
                        &format!("canvas_config.extend[{i}]"),
                        format!("expected a pixel count from 0 to 65535, got {v}"),
                    )
                })? as u32;
            }
            Some(px)
        }
        Some(Value::Object(o)) => {
            check_keys(
                o,
                "canvas_config.extend",
                &["left", "top", "right", "bottom"],
            )?;
            let mut px = [0u32; 4];
            for (i, k) in ["left", "top", "right", "bottom"].iter().enumerate() {
                px[i] = opt_uint(o, "canvas_config.extend", k, 65_535)?.unwrap_or(0) as u32;
            }
            Some(px)
        }
        Some(v) => {
            return Err(FieldError::new(
                "canvas_config.extend",
                format!("expected [left, top, right, bottom] in pixels, got {v}"),
            ));
        }
    };
    match (w, h, extend) {
        (None, None, None) => Ok(None),
        (None, None, Some(px)) => {
            if px.iter().all(|p| *p == 0) {
                return Err(FieldError::new(
                    "canvas_config.extend",
                    "all four sides are 0: nothing to outpaint",
                ));
            }
            Ok(Some(CanvasSpec::Extend(Extend(px.map(Length::Px)))))
        }
        (Some(w), Some(h), None) if w > 0 && h > 0 => Ok(Some(CanvasSpec::Size(
            CanvasSize(w as u32, h as u32),
            anchor,
        ))),
        (Some(_), Some(_), None) => Err(FieldError::new(
            "canvas_config",
            "width and height must be at least 1",
        )),
        (_, _, Some(_)) => Err(FieldError::new(
            "canvas_config",
            "give either extend or width and height, not both",
        )),
        _ => Err(FieldError::new(
            "canvas_config",
            "width and height go together: give both",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn the_browser_clients_request_parses_with_the_originals_defaults() {
        let r = parse(&body(serde_json::json!({
            "prompt": {"text": "a lake", "mode": "INPAINTING"},
            "base_image": "data:image/jpeg;base64,AAAA",
            "mask": "data:image/png;base64,BBBB",
            "model": "titan",
            "canvas_config": {}
        })))
        .unwrap();
        assert_eq!(r.mode, Mode::Inpaint);
        assert_eq!(r.num_images, 2);
        assert_eq!(r.quality, Quality::Premium);
        assert_eq!(r.canvas, None);
        assert_eq!(r.model, "titan");
    }

    #[test]
    fn outpainting_without_mask_or_canvas_gets_the_default_canvas() {
        let r = parse(&body(serde_json::json!({
            "prompt": {"text": "sky", "mode": "OUTPAINTING"},
            "base_image": "AAAA", "mask": null
        })))
        .unwrap();
        assert_eq!(
            r.canvas,
            Some(CanvasSpec::Extend(Extend([Length::Percent(25.0); 4])))
        );
        let r = parse(&body(serde_json::json!({
            "prompt": {"text": "sky", "mode": "precise-outpaint"},
            "base_image": "AAAA", "mask": null,
            "canvas_config": {"width": 640, "height": 512, "anchor": "top-left"}
        })))
        .unwrap();
        assert_eq!(r.mode, Mode::PreciseOutpaint);
        assert_eq!(
            r.canvas,
            Some(CanvasSpec::Size(CanvasSize(640, 512), Anchor::TopLeft))
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (
                serde_json::json!({"base_image": "A", "mask": "B"}),
                "prompt",
            ),
            (
                serde_json::json!({"prompt": {"mode": "INPAINTING"}, "base_image": "A", "mask": "B"}),
                "prompt.text",
            ),
            (
                serde_json::json!({"prompt": {"text": 3}, "base_image": "A", "mask": "B"}),
                "prompt.text",
            ),
            (
                serde_json::json!({"prompt": {"text": "x", "mode": "PAINT"}, "base_image": "A", "mask": "B"}),
                "prompt.mode",
            ),
            (
                serde_json::json!({"prompt": {"text": "x"}, "mask": "B"}),
                "base_image",
            ),
            (
                serde_json::json!({"prompt": {"text": "x"}, "base_image": "A"}),
                "mask",
            ),
            (
                serde_json::json!({"prompt": {"text": "x"}, "base_image": "A", "mask": "B", "colour": 1}),
                "colour",
            ),
            (
                serde_json::json!({"prompt": {"text": "x"}, "base_image": "A", "mask": "B", "num_images": 0}),
                "num_images",
            ),
            (
                serde_json::json!({"prompt": {"text": "x"}, "base_image": "A", "mask": "B", "seed": -1}),
                "seed",
            ),
            (
                // 1e300 became an infinite f32 and passed as a finite number
                serde_json::json!({"prompt": {"text": "x"}, "base_image": "A", "mask": "B", "cfg_scale": 1e300}),
                "cfg_scale",
            ),
            (
                serde_json::json!({"prompt": {"text": "x"}, "base_image": "A", "mask": "B", "quality": "ultra"}),
                "quality",
            ),
            (
                serde_json::json!({"prompt": {"text": "x", "mode": "OUTPAINTING"}, "base_image": "A", "canvas_config": {"width": 10}}),
                "canvas_config",
            ),
            (
                serde_json::json!({"prompt": {"text": "x", "mode": "OUTPAINTING"}, "base_image": "A", "canvas_config": {"extend": [1, 2]}}),
                "canvas_config.extend",
            ),
            (
                serde_json::json!({"prompt": {"text": "x", "mode": "OUTPAINTING"}, "base_image": "A", "canvas_config": {"anchor": "middle", "width": 5, "height": 5}}),
                "canvas_config.anchor",
            ),
            (
                serde_json::json!({"prompt": {"text": "x"}, "base_image": "A", "mask": "B", "canvas_config": {"extend": [1, 1, 1, 1]}}),
                "canvas_config",
            ),
        ];
        for (v, field) in cases {
            let e = parse(&body(v.clone())).unwrap_err();
            assert_eq!(e.field, field, "{v}: {e}");
        }
        assert_eq!(parse(b"").unwrap_err().field, "");
        assert!(
            parse(b"{nope")
                .unwrap_err()
                .message
                .contains("not valid JSON")
        );
        assert!(parse(b"[1]").unwrap_err().message.contains("an array"));
    }
}
