//! Fuzz target bodies, one `pub fn NAME(data: &[u8])` per target in `fuzz_targets/`.
//!
//! They are the `imgedit-fuzz` crate's library, outside the shipped `imgedit` crate;
//! `tests/it/fuzz_corpus.rs` compiles this same file as a module (`#[path]`), so `cargo test`
//! replays the committed corpus and every crash the fuzzer found. Each function feeds its input
//! to a parser and panics when an invariant breaks; an input that is merely rejected is fine as
//! long as the error names what it rejects. Only `imgedit`'s public API is used.

use std::collections::HashMap;
use std::path::Path;

use image::DynamicImage;
use serde_json::Value;

use imgedit::config::Config;
use imgedit::edit::job::{CanvasSize, CanvasSpec, Extend, Length, Placement};
use imgedit::edit::model::{self, Family};
use imgedit::edit::options::Anchor;
use imgedit::error::Error;
use imgedit::image_io::{self, DecodeLimits};
use imgedit::mask::{self, Mask, Shape};
use imgedit::server::{bedrock, request};
use imgedit::wire::image_edit::{
    CanvasConfig, EditPrompt, ExtendSides, ImageEditRequest, WireMode,
};

/// Decode limits for the image targets: big enough for any real mask, small enough that a
/// decompression bomb stays far below libFuzzer's 2 GB RSS limit.
pub const LIMITS: DecodeLimits = DecodeLimits {
    max_pixels: 1 << 22,
    max_alloc_bytes: 256 << 20,
    max_file_bytes: 1 << 20,
    max_stream_bytes: 1 << 20,
};

/// Re-encoding a decoded image is checked up to this many pixels (PNG encoding is slow).
const REENCODE_MAX_PIXELS: u64 = 1 << 16;

/// `[width, height, flags, file bytes...]`: decodes the bytes as a mask file and loads it for an
/// image of `width % 64 + 1` x `height % 64 + 1` (width 0: the mask's own size); bit 0 of `flags`
/// is `--fit-mask`.
///
/// Asserts: errors name the mask; a decoded image is 8-bit RGB(A) within the limits and survives a
/// PNG round trip; the mask is the image's size, has no strength within 16 of 0 or 255 but those
/// two, reads alpha only when some pixel is transparent (an opaque alpha channel changes nothing)
/// and then has half strength or more at exactly the pixels with alpha < 128 (else at those with
/// luminance of 128 or more); loading agrees with decoding, refuses another size without
/// `--fit-mask` and fits it with it, a hard mask staying hard.
pub fn mask_file(data: &[u8]) {
    let [wb, hb, flags, ref bytes @ ..] = *data else {
        return;
    };
    let fit = flags & 1 == 1;
    let name = "mask.png";
    let load = |w, h| mask::load_mask_bytes(bytes, name, "image.png", w, h, fit, &LIMITS);
    let decoded = match image_io::decode_bytes(bytes, name, &LIMITS) {
        Ok(d) => d,
        Err(e) => {
            let msg = e.to_string();
            assert!(matches!(e, Error::Input(_)), "not an input error: {e:?}");
            assert!(
                msg.starts_with("mask.png: "),
                "error does not name the mask: {msg}"
            );
            let again = load(8, 8).expect_err("loading decoded what decoding refused");
            assert_eq!(again.to_string(), msg, "loading fails another way");
            return;
        }
    };
    let img = &decoded.image;
    let (w, h) = (img.width(), img.height());
    assert!(
        matches!(
            img,
            DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_)
        ),
        "decoded to {:?}, not 8-bit RGB(A)",
        img.color()
    );
    assert!(w > 0 && h > 0 && u64::from(w) * u64::from(h) <= LIMITS.max_pixels);
    for note in &decoded.notes {
        assert!(note.starts_with("mask.png: "), "note: {note}");
    }
    if u64::from(w) * u64::from(h) <= REENCODE_MAX_PIXELS {
        let png = image_io::encode(img, image::ImageFormat::Png).expect("PNG encoding failed");
        let back = image_io::decode_bytes(&png, name, &LIMITS).expect("re-encoded PNG rejected");
        assert_eq!(&back.image, img, "PNG round trip changed the image");
        assert!(
            back.notes.is_empty(),
            "notes on our own PNG: {:?}",
            back.notes
        );
    }

    let m = mask::mask_from_image(img);
    assert_eq!((m.width(), m.height()), (w, h));
    assert!(
        m.as_raw()
            .iter()
            .all(|&v| v == 0 || v == 255 || (16..240).contains(&v)),
        "noise strength not snapped"
    );
    let half = |m: &mask::Mask| m.as_raw().iter().filter(|&&v| v >= 128).count();
    match img {
        DynamicImage::ImageRgba8(rgba) if rgba.pixels().any(|p| p[3] < 255) => {
            let transparent = rgba.pixels().filter(|p| p[3] < 128).count();
            assert_eq!(half(&m), transparent, "alpha polarity");
        }
        _ => {
            let opaque = mask::mask_from_image(&DynamicImage::ImageRgb8(img.to_rgb8()));
            assert_eq!(m, opaque, "an opaque alpha channel changed the mask");
            let light = img.to_luma8().iter().filter(|&&v| v >= 128).count();
            assert_eq!(half(&m), light, "luminance polarity");
        }
    }

    let (tw, th) = if wb == 0 {
        (w, h)
    } else {
        (u32::from(wb % 64) + 1, u32::from(hb % 64) + 1)
    };
    match load(tw, th) {
        Ok(loaded) => {
            assert_eq!((loaded.width(), loaded.height()), (tw, th));
            if mask::is_hard(&m.0) {
                assert!(mask::is_hard(&loaded.0), "a hard mask loaded soft");
            }
            if (tw, th) == (w, h) {
                assert_eq!(loaded, m, "loading differs from decoding");
            } else {
                assert!(
                    fit,
                    "a {w}x{h} mask loaded for {tw}x{th} without --fit-mask"
                );
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!((tw, th) != (w, h), "same size refused: {msg}");
            assert!(
                msg.starts_with("mask.png"),
                "error does not name the mask: {msg}"
            );
            if !fit {
                assert!(msg.contains("--fit-mask") && msg.contains(&format!("{w}x{h}")));
            }
        }
    }
}

/// `[op, a, b, text...]`: `op % 6` picks the parser: `--rect`, `--polygon`, `--ellipse` (each then
/// rasterised into a mask of `a % 64 + 1` x `b % 64 + 1`), `rect:`/`polygon:`/`ellipse:` (the TUI's
/// form), `--extend` and `--canvas`; the last two take the source's width and height as two
/// little-endian u32 at the start of `text` and resolve the placement.
///
/// Asserts: errors name the flag; a shape prints as text that parses back to itself; rasterising
/// selects only pixels of the shape (a rectangle exactly its clipped area, an ellipse inside its
/// box, a polygon exactly the pixel centres of non-zero winding) and fails exactly when it selects
/// nothing, naming the image size; a resolved canvas contains the source.
pub fn shapes(data: &[u8]) {
    let [op, a, b, ref rest @ ..] = *data else {
        return;
    };
    let op = op % 6;
    if op >= 4 {
        let [w0, w1, w2, w3, h0, h1, h2, h3, ref text @ ..] = *rest else {
            return;
        };
        let w = u32::from_le_bytes([w0, w1, w2, w3]).max(1);
        let h = u32::from_le_bytes([h0, h1, h2, h3]).max(1);
        let Ok(s) = std::str::from_utf8(text) else {
            return;
        };
        if op == 4 {
            extend(s, w, h);
        } else {
            canvas(s, w, h, a);
        }
        return;
    }
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    let (w, h) = (u32::from(a % 64) + 1, u32::from(b % 64) + 1);
    let (parsed, flag) = match op {
        0 => (Shape::parse_rect(s), "--rect "),
        1 => (Shape::parse_polygon(s), "--polygon "),
        2 => (Shape::parse_ellipse(s), "--ellipse "),
        _ => (s.parse::<Shape>(), ""),
    };
    let shape = match parsed {
        Ok(shape) => shape,
        Err(e) => {
            assert!(
                e.starts_with(flag) && (e.starts_with("--") || e.starts_with('"')),
                "error does not name the flag: {e}"
            );
            return;
        }
    };
    let text = shape.to_string();
    let again = if let Some(r) = text.strip_prefix("rectangle ") {
        Shape::parse_rect(r)
    } else if let Some(e) = text.strip_prefix("ellipse ") {
        Shape::parse_ellipse(e)
    } else {
        let p = text
            .strip_prefix("polygon \"")
            .and_then(|p| p.strip_suffix('"'));
        Shape::parse_polygon(p.unwrap_or(&text))
    };
    assert_eq!(again.as_ref(), Ok(&shape), "{text:?} does not parse back");

    let mut m = Mask::new(w, h);
    let result = shape.rasterize(&mut m);
    assert!(
        m.as_raw().iter().all(|&v| v == 0 || v == 255),
        "mask not binary"
    );
    match &result {
        Ok(()) => assert!(!m.is_empty(), "Ok but nothing selected"),
        Err(e) => {
            assert!(m.is_empty(), "an error but pixels selected: {e}");
            assert!(
                e.contains("selects no pixel") && e.contains(&format!("{w}x{h}")),
                "{e}"
            );
        }
    }
    let selected: Vec<(f64, f64)> =
        m.0.enumerate_pixels()
            .filter(|(_, _, p)| p.0[0] == 255)
            .map(|(x, y, _)| (f64::from(x) + 0.5, f64::from(y) + 0.5))
            .collect();
    match &shape {
        Shape::Rect { x, y, w: rw, h: rh } => {
            let span = |o: i64, len: u32, side: u32| {
                ((o + i64::from(len)).min(i64::from(side)) - o.max(0)).max(0)
            };
            let area = span(*x, *rw, w) * span(*y, *rh, h);
            assert_eq!(selected.len() as i64, area, "rectangle area");
            let (x0, y0) = (*x as f64, *y as f64);
            for &(px, py) in &selected {
                assert!(px > x0 && px < x0 + f64::from(*rw) && py > y0 && py < y0 + f64::from(*rh));
            }
        }
        Shape::Ellipse { cx, cy, rx, ry } => {
            // rounding may put a pixel centre a hair outside the box
            let (tx, ty) = (1e-9 * (cx.abs() + rx + 1.0), 1e-9 * (cy.abs() + ry + 1.0));
            for &(px, py) in &selected {
                assert!(
                    px >= cx - rx - tx
                        && px <= cx + rx + tx
                        && py >= cy - ry - ty
                        && py <= cy + ry + ty,
                    "pixel centre {px},{py} outside the ellipse's box"
                );
            }
        }
        Shape::Polygon(pts) => {
            for (x, y, p) in m.0.enumerate_pixels() {
                let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
                if let Some(inside) = winding_inside(pts, px, py) {
                    assert_eq!(p.0[0] == 255, inside, "polygon pixel {x},{y}");
                }
            }
        }
    }
}

/// Whether (`px`, `py`) has a non-zero winding number around `pts`, with the rasteriser's
/// conventions (an edge covers `lo <= y < hi`; a point on an edge lies right of it), computed by
/// cross products rather than by intersecting scanlines. None when the point is too close to an
/// edge for the two computations to be compared.
fn winding_inside(pts: &[(f64, f64)], px: f64, py: f64) -> Option<bool> {
    let mut winding = 0i64;
    for i in 0..pts.len() {
        let (ax, ay) = pts[i];
        let (bx, by) = pts[(i + 1) % pts.len()];
        if ay == by {
            continue;
        }
        let (dir, lo, hi) = if ay < by { (1, ay, by) } else { (-1, by, ay) };
        if !(py >= lo && py < hi) {
            continue;
        }
        // The crossing is left of (or at) the point when (py-ay)(bx-ax) <= (px-ax)(by-ay), the
        // inequality flipping for a downward edge.
        let l = (py - ay) * (bx - ax);
        let r = (px - ax) * (by - ay);
        if !l.is_finite() || !r.is_finite() || (l - r).abs() <= 1e-9 * (l.abs() + r.abs()) {
            return None;
        }
        let left = if by > ay { l < r } else { l > r };
        if left {
            winding += dir;
        }
    }
    Some(winding != 0)
}

fn extend(s: &str, w: u32, h: u32) {
    let e = match imgedit::cli::values::extend(s) {
        Ok(e) => e,
        Err(e) => {
            assert!(
                e.starts_with("--extend "),
                "error does not name the flag: {e}"
            );
            return;
        }
    };
    for l in e.0 {
        match l {
            Length::Px(p) => assert!(p <= 65_535),
            Length::Percent(p) => assert!(p.is_finite() && (0.0..=1000.0).contains(&p)),
        }
    }
    placement_contains(Placement::resolve(CanvasSpec::Extend(e), w, h), w, h);
}

fn canvas(s: &str, w: u32, h: u32, anchor: u8) {
    let c = match imgedit::cli::values::canvas(s) {
        Ok(c) => c,
        Err(e) => {
            assert!(
                e.starts_with("--canvas "),
                "error does not name the flag: {e}"
            );
            return;
        }
    };
    assert!((1..=65_535).contains(&c.0) && (1..=65_535).contains(&c.1));
    let anchors = <Anchor as imgedit::choice::Choice>::ALL;
    let anchor = anchors[usize::from(anchor) % anchors.len()];
    let p = Placement::resolve(CanvasSpec::Size(c, anchor), w, h);
    assert_eq!(p.is_ok(), c.0 >= w && c.1 >= h, "{c:?} for {w}x{h}: {p:?}");
    placement_contains(p, w, h);
}

fn placement_contains(p: imgedit::error::Result<Placement>, w: u32, h: u32) {
    match p {
        Ok(p) => {
            assert!(
                u64::from(p.x) + u64::from(w) <= u64::from(p.canvas_width),
                "{p:?}"
            );
            assert!(
                u64::from(p.y) + u64::from(h) <= u64::from(p.canvas_height),
                "{p:?}"
            );
        }
        // the command line's words name the flag
        Err(e) => {
            let text = imgedit::cli::words::error(&e);
            assert!(text.starts_with("--"), "{text}");
        }
    }
}

/// The `/image-edit` body parser.
///
/// Asserts: an error names a field of the contract or one the body sent (or none, for the body as
/// a whole) with a message; a parsed request obeys the contract (a mask for INPAINTING, a canvas
/// only for outpainting, 1 to 100 images, a finite cfg_scale, canvas sizes in range) and, written
/// back as JSON, parses to itself.
pub fn image_edit_request(data: &[u8]) {
    let r = match request::parse(data) {
        Ok(r) => r,
        Err(e) => {
            assert!(!e.message.is_empty(), "an error without a message");
            if !e.field.is_empty() {
                let top = e.field.split(['.', '[']).next().unwrap_or("");
                let sent = serde_json::from_slice::<Value>(data)
                    .ok()
                    .and_then(|v| v.as_object().map(|o| o.contains_key(&e.field)))
                    .unwrap_or(false);
                assert!(
                    request::TOP_KEYS.contains(&top) || sent,
                    "error names {:?}, neither a contract field nor one sent",
                    e.field
                );
            }
            return;
        }
    };
    assert!((1..=100).contains(&r.num_images));
    assert!(!r.base_image.is_empty());
    assert!(r.negative_text.as_deref() != Some(""));
    assert!(r.seed.is_none_or(|s| s <= u64::from(u32::MAX)));
    assert!(
        r.cfg_scale.is_none_or(f32::is_finite),
        "cfg_scale {:?}",
        r.cfg_scale
    );
    if r.mode.is_outpaint() {
        assert!(
            r.mask.is_some() || r.canvas.is_some(),
            "outpainting without a canvas"
        );
    } else {
        assert!(r.mask.is_some() && r.canvas.is_none(), "{r:?}");
    }
    match r.canvas {
        None => {}
        Some(CanvasSpec::Size(CanvasSize(w, h), _)) => {
            assert!((1..=65_535).contains(&w) && (1..=65_535).contains(&h));
        }
        Some(CanvasSpec::Extend(Extend(sides))) => {
            let px: Vec<u32> = sides
                .iter()
                .filter_map(|l| match l {
                    Length::Px(p) => Some(*p),
                    Length::Percent(_) => None,
                })
                .collect();
            if px.is_empty() {
                let default = Length::Percent(request::DEFAULT_EXTEND_PERCENT);
                assert_eq!(sides, [default; 4]);
                assert!(r.mask.is_none());
            } else {
                assert_eq!(px.len(), 4);
                assert!(px.iter().all(|p| *p <= 65_535) && px.iter().any(|p| *p > 0));
            }
        }
    }
    let again = request::parse(&edit_request_json(&r).to_string().into_bytes());
    assert_eq!(
        again.as_ref(),
        Ok(&r),
        "written back, the request parses differently"
    );
}

/// The body a client would send for `r`, in the wire struct the `api` engine sends.
fn edit_request_json(r: &request::EditRequest) -> Value {
    let canvas_config = match r.canvas {
        Some(CanvasSpec::Size(CanvasSize(w, h), a)) => Some(CanvasConfig {
            width: Some(u64::from(w)),
            height: Some(u64::from(h)),
            anchor: Some(a),
            extend: None,
        }),
        Some(CanvasSpec::Extend(Extend(sides))) => match sides.map(|l| match l {
            Length::Px(p) => Some(u64::from(p)),
            Length::Percent(_) => None,
        }) {
            [Some(l), Some(t), Some(r), Some(b)] => Some(CanvasConfig {
                extend: Some(ExtendSides::List([l, t, r, b])),
                ..CanvasConfig::default()
            }),
            _ => None,
        },
        None => None,
    };
    let body = ImageEditRequest {
        base_image: Some(r.base_image.clone()),
        canvas_config,
        cfg_scale: r.cfg_scale.map(f64::from),
        mask: r.mask.clone(),
        model: Some(r.model.clone()),
        num_images: Some(u64::from(r.num_images)),
        prompt: Some(EditPrompt {
            mode: Some(WireMode(r.mode)),
            negative_text: r.negative_text.clone(),
            text: Some(r.text.clone()),
        }),
        quality: Some(r.quality),
        seed: r.seed,
    };
    serde_json::to_value(&body).expect("a wire struct serialises")
}

/// `[model, body...]`: the Bedrock endpoint's validation of an InvokeModel body for the model
/// `model % N` of the non-local models.
///
/// Asserts: every refusal is a 400 `ValidationException` in Bedrock's "Malformed input request:
/// #..." wording; a valid body yields an image the model accepts (Titan, Nova Canvas), a mask of
/// the picture's size and an image count within the model's limit.
pub fn bedrock_request(data: &[u8]) {
    let [pick, ref body @ ..] = *data else {
        return;
    };
    let models: Vec<_> = model::MODELS
        .iter()
        .filter(|m| m.family != Family::Local)
        .collect();
    let spec = models[usize::from(pick) % models.len()];
    match bedrock::validate(spec, body, &LIMITS) {
        Ok(inv) => {
            assert_eq!(inv.image.dimensions(), inv.mask.dimensions());
            assert!(inv.count >= 1 && inv.count <= u64::from(spec.max_images));
            assert!(inv.seed <= spec.seed_max);
            let (w, h) = inv.image.dimensions();
            if matches!(spec.family, Family::Titan | Family::NovaCanvas) {
                assert!(spec.accepts_size(w, h), "{w}x{h} accepted for {}", spec.id);
            }
        }
        Err(e) => {
            assert_eq!(e.status.as_u16(), 400, "{e:?}");
            assert_eq!(e.code, "ValidationException");
            assert!(
                e.message.starts_with("Malformed input request: #")
                    && e.message
                        .ends_with(", please reformat your input and try again."),
                "{}",
                e.message
            );
        }
    }
}

/// `TOML [NUL KEY=VALUE lines]`: the config file's parser, then the `IMGEDIT_*` environment.
///
/// Asserts: errors name the file (or the variable); a parsed config renders as TOML that parses
/// back to itself, before and after the environment; each non-empty variable lands in its field.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (toml_text, env_text) = text.split_once('\0').unwrap_or((text, ""));
    let path = Path::new("fuzz/config.toml");
    let mut cfg = match Config::parse(toml_text, path) {
        Ok(c) => c,
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("fuzz/config.toml: "), "{msg}");
            return;
        }
    };
    round_trips(&cfg);
    let env: HashMap<&str, &str> = env_text.lines().filter_map(|l| l.split_once('=')).collect();
    let before = cfg.clone();
    match cfg.apply_env(|k| env.get(k).map(|v| v.to_string())) {
        Ok(()) => {
            let set = |k: &str| env.get(k).copied().filter(|v| !v.is_empty());
            for (k, field, old) in [
                ("IMGEDIT_MODEL", &cfg.model, &before.model),
                ("IMGEDIT_REGION", &cfg.region, &before.region),
                ("IMGEDIT_PROFILE", &cfg.profile, &before.profile),
                ("IMGEDIT_API_URL", &cfg.api_url, &before.api_url),
                (
                    "IMGEDIT_COGNITO_USER_POOL_ID",
                    &cfg.cognito.user_pool_id,
                    &before.cognito.user_pool_id,
                ),
                (
                    "IMGEDIT_COGNITO_CLIENT_ID",
                    &cfg.cognito.client_id,
                    &before.cognito.client_id,
                ),
                (
                    "IMGEDIT_COGNITO_CLIENT_SECRET",
                    &cfg.cognito.client_secret,
                    &before.cognito.client_secret,
                ),
                (
                    "IMGEDIT_COGNITO_REGION",
                    &cfg.cognito.region,
                    &before.cognito.region,
                ),
            ] {
                match set(k) {
                    Some(v) => assert_eq!(field.as_deref(), Some(v), "{k}"),
                    None => assert_eq!(field, old, "{k} unset but the field changed"),
                }
            }
            if let Some(v) = set("IMGEDIT_ENGINE") {
                assert_eq!(cfg.engine, v.parse().ok(), "IMGEDIT_ENGINE");
            }
            assert_eq!(cfg.limits, before.limits);
            round_trips(&cfg);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("IMGEDIT_ENGINE: "), "{msg}");
        }
    }
}

fn round_trips(cfg: &Config) {
    let text = cfg.to_toml();
    assert!(!text.starts_with("# cannot render"), "{text}");
    match Config::parse(&text, Path::new("rendered.toml")) {
        Ok(back) => assert_eq!(&back, cfg, "rendered as {text:?}"),
        Err(e) => panic!("the rendered config does not parse: {e}\n{text}"),
    }
}

/// The base64 / data URL decoder (`base_image`, `mask`, Bedrock's images).
///
/// Asserts: errors name the field; [`image_io::base64_payload`] is None exactly for a data URL
/// that is not base64 and otherwise a suffix of the input; what decodes re-encodes to the same
/// base64 (up to whitespace and padding) and has the size the request log estimates.
pub fn data_url(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let field = "base_image";
    let payload = image_io::base64_payload(&s);
    match payload {
        Some(p) => assert!(s.ends_with(p)),
        None => assert!(s.starts_with("data:")),
    }
    match image_io::decode_base64_or_data_url(&s, field) {
        Ok(bytes) => {
            let p = payload.expect("decoded without a base64 payload");
            let cleaned: String = p.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let encoded = image_io::base64_encode(&bytes);
            assert_eq!(
                encoded.trim_end_matches('='),
                cleaned.trim_end_matches('='),
                "decodes to bytes that encode differently"
            );
            if cleaned.len() == p.len() {
                assert_eq!(
                    imgedit::record::base64_decoded_size(p),
                    bytes.len() as u64,
                    "the size estimate of {p:?}"
                );
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("base_image: "), "{msg}");
            if payload.is_none() {
                assert!(msg.contains("must be base64-encoded"), "{msg}");
            }
        }
    }
}
