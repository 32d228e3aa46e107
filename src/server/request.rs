//! The `/image-edit` request body: read into the wire struct the `api` engine writes
//! ([`ImageEditRequest`]), then checked field by field, independent of HTTP so that tests and
//! fuzzers can drive it directly. Every error names the field's path (`prompt.mode`,
//! `canvas_config.extend[2]`), the rule and the value.
//!
//! Everything beyond `prompt`, `base_image`, `mask`, `model` and `canvas_config` is an imgedit
//! extension with the original Lambda's behaviour as the default.

use serde_json::Value;

use crate::edit::job::{CanvasSize, CanvasSpec, Extend, Length};

use crate::edit::options::{Mode, Quality};
use crate::wire::image_edit::{CanvasConfig, ExtendSides, ImageEditRequest, REQUEST_KEYS};
use crate::wire::{self, Problem, WireError};

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
pub const TOP_KEYS: &[&str] = REQUEST_KEYS;

/// The largest canvas side or growth, in pixels.
const MAX_CANVAS_PX: u64 = 65_535;

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

/// The largest whole number a field of the body takes.
fn max_of(field: &str) -> Option<u64> {
    match field {
        "canvas_config.width" | "canvas_config.height" => Some(MAX_CANVAS_PX),
        f if f.starts_with("canvas_config.extend[") || f.starts_with("canvas_config.extend.") => {
            Some(MAX_CANVAS_PX)
        }
        _ => None,
    }
}

/// A value that does not fit the wire struct, in this contract's words.
fn field_error(e: WireError) -> FieldError {
    let at = e.dotted();
    match e.problem {
        Problem::UnknownField { expected, .. } => FieldError::new(
            &at,
            format!("unknown field (expected one of: {})", expected.join(", ")),
        ),
        Problem::MissingField(f) => FieldError::new(&join(&at, &f), "missing"),
        Problem::Type { expected, got } if expected.starts_with("one of [") => {
            let names: Vec<&str> = expected
                .trim_start_matches("one of [")
                .trim_end_matches(']')
                .split(", ")
                .collect();
            let list = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                _ => names.join(""),
            };
            let what = match at.as_str() {
                "prompt.mode" => "a mode",
                "quality" => "a quality",
                "canvas_config.anchor" => "an anchor",
                _ => "a value",
            };
            FieldError::new(&at, format!("{got:?} is not {what} (expected {list})"))
        }
        Problem::Type { got, .. } if max_of(&at).is_some() => {
            let max = max_of(&at).unwrap_or(0);
            FieldError::new(
                &at,
                format!("expected a whole number from 0 to {max}, got {got}"),
            )
        }
        Problem::Type { expected, got } => FieldError::new(
            &at,
            format!("expected {}, got {got}", wire::plain_type(&expected)),
        ),
        Problem::Other(m) => FieldError::new(&at, m),
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// `value` if it is at most `max`, else the error for `field`.
fn at_most(field: &str, value: u64, max: u64) -> Result<u64, FieldError> {
    if value <= max {
        Ok(value)
    } else {
        Err(FieldError::new(
            field,
            format!("expected a whole number from 0 to {max}, got {value}"),
        ))
    }
}

/// Parses and checks a request body. Limits that depend on the model (prompt length, image count,
/// cfg range, image sizes) are checked later against the model's `ModelSpec`.
pub fn parse(body: &[u8]) -> Result<EditRequest, FieldError> {
    let r = wire_request(body)?;

    let Some(prompt) = r.prompt else {
        return Err(FieldError::new(
            "prompt",
            "missing: send {\"text\": \"...\", \"mode\": \"INPAINTING\"}",
        ));
    };
    let text = prompt
        .text
        .ok_or_else(|| FieldError::new("prompt.text", "missing"))?;
    let negative_text = prompt.negative_text.filter(|s| !s.is_empty());
    let mode = prompt.mode.map_or(Mode::Inpaint, |m| m.0);

    let base_image = r.base_image.filter(|s| !s.is_empty()).ok_or_else(|| {
        FieldError::new(
            "base_image",
            "missing: send the image as a data URL or base64 (PNG or JPEG)",
        )
    })?;
    let mask = r.mask.filter(|s| !s.is_empty());
    if mask.is_none() && mode == Mode::Inpaint {
        return Err(FieldError::new(
            "mask",
            "missing: INPAINTING needs a mask (black = the region to change, white = keep)",
        ));
    }
    let model = r.model.unwrap_or_else(|| "titan".to_string());
    let canvas = request_canvas(r.canvas_config.as_ref(), mode, mask.is_some())?;
    let num_images = parse_num_images(r.num_images)?;
    let seed = r.seed;
    let cfg_scale = parse_cfg_scale(r.cfg_scale)?;
    Ok(EditRequest {
        text,
        negative_text,
        mode,
        wire_mode: mode.wire_name(),
        base_image,
        mask,
        model,
        canvas,
        num_images,
        seed,
        cfg_scale,
        quality: r.quality.unwrap_or(Quality::Premium),
    })
}

/// The body as the wire struct: refuses an empty body, invalid JSON and anything but an object.
fn wire_request(body: &[u8]) -> Result<ImageEditRequest, FieldError> {
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
    if !v.is_object() {
        return Err(FieldError::new(
            "",
            format!("the body must be a JSON object, got {}", type_name(&v)),
        ));
    }
    wire::from_value(v).map_err(field_error)
}

/// The canvas asked for (default growth for an outpaint without a mask); refused for inpainting.
fn request_canvas(
    config: Option<&CanvasConfig>,
    mode: Mode,
    has_mask: bool,
) -> Result<Option<CanvasSpec>, FieldError> {
    let canvas = match config {
        None => None,
        Some(c) => parse_canvas(c)?,
    };
    if canvas.is_some() && mode == Mode::Inpaint {
        return Err(FieldError::new(
            "canvas_config",
            "enlarges the image: use it with OUTPAINTING or precise-outpaint, not INPAINTING",
        ));
    }
    Ok(match (canvas, has_mask, mode.is_outpaint()) {
        (None, false, true) => Some(CanvasSpec::Extend(Extend(
            [Length::Percent(DEFAULT_EXTEND_PERCENT); 4],
        ))),
        (c, _, _) => c,
    })
}

/// `num_images`, the original Lambda's 2 when absent; at least 1.
fn parse_num_images(n: Option<u64>) -> Result<u32, FieldError> {
    let num_images = match n {
        None => DEFAULT_NUM_IMAGES,
        // the served model's limit is a rule of the rule set (src/edit/rules.rs), checked with the job
        Some(n) => u32::try_from(n).unwrap_or(u32::MAX),
    };
    if num_images == 0 {
        return Err(FieldError::new("num_images", "must be at least 1, got 0"));
    }
    Ok(num_images)
}

/// `cfg_scale` as the engines take it, refused when it does not fit an `f32`.
fn parse_cfg_scale(f: Option<f64>) -> Result<Option<f32>, FieldError> {
    match f {
        None => Ok(None),
        Some(f) if f.is_finite() && (f as f32).is_finite() => Ok(Some(f as f32)),
        Some(f) => Err(FieldError::new("cfg_scale", format!("{f} is out of range"))),
    }
}

/// `canvas_config`: `{"width": W, "height": H, "anchor": "center"}` (the canvas size and where the
/// original sits) or `{"extend": [left, top, right, bottom]}` / `{"extend": {"left": .., ...}}` in
/// pixels. An empty object means "not given".
fn parse_canvas(c: &CanvasConfig) -> Result<Option<CanvasSpec>, FieldError> {
    let side = |key: &str, v: Option<u64>| {
        v.map(|n| at_most(&format!("canvas_config.{key}"), n, MAX_CANVAS_PX))
            .transpose()
    };
    let (w, h) = (side("width", c.width)?, side("height", c.height)?);
    let anchor = c.anchor.unwrap_or_default();
    let extend = match c.extend {
        None => None,
        Some(e) => {
            let mut px = [0u32; 4];
            for (i, v) in e.sides().into_iter().enumerate() {
                let at = match e {
                    ExtendSides::List(_) => format!("canvas_config.extend[{i}]"),
                    ExtendSides::Named(_) => format!(
                        "canvas_config.extend.{}",
                        ["left", "top", "right", "bottom"][i]
                    ),
                };
                px[i] = at_most(&at, v, MAX_CANVAS_PX)? as u32;
            }
            Some(px)
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
    use crate::edit::options::Anchor;

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
        let e = parse(&body(serde_json::json!({"prompt": {"text": "x", "mode": "PAINT"}, "base_image": "A", "mask": "B"}))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "prompt.mode: \"PAINT\" is not a mode (expected INPAINTING, OUTPAINTING or precise-outpaint)"
        );
        let e = parse(&body(serde_json::json!({"prompt": {"text": "x"}, "base_image": "A", "mask": "B", "seed": -1}))).unwrap_err();
        assert_eq!(e.to_string(), "seed: expected a whole number, got -1");
        let e = parse(&body(
            serde_json::json!({"prompt": {"text": 3}, "base_image": "A", "mask": "B"}),
        ))
        .unwrap_err();
        assert_eq!(e.to_string(), "prompt.text: expected a string, got 3");
        let e = parse(&body(serde_json::json!({"prompt": {"text": "x", "colour": 1}, "base_image": "A", "mask": "B"}))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "prompt.colour: unknown field (expected one of: mode, negative_text, text)"
        );
        let e = parse(&body(serde_json::json!({"prompt": {"text": "x", "mode": "OUTPAINTING"}, "base_image": "A", "canvas_config": {"extend": [1, 2, 70000, 0]}}))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "canvas_config.extend[2]: expected a whole number from 0 to 65535, got 70000"
        );
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
