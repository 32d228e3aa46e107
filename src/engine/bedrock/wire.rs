//! Request bodies and response parsing for each Bedrock model family: the only code that knows
//! the JSON shapes. A new family is a new arm here plus a `ModelSpec` row.

use image::{DynamicImage, GrayImage, ImageFormat, RgbImage};
use serde_json::{Map, Value, json};

use super::fit::Window;
use super::polarity::{self, TitanTask};
use crate::engine::PreparedJob;
use crate::error::{Error, Result};
use crate::image_io;
use crate::input_err;
use crate::job::Mode;
use crate::model::{BEDROCK_MAX_BODY_BYTES, Family, ModelSpec};

/// One InvokeModel call: its body and the seeds of the images it asks for.
#[derive(Debug, Clone)]
pub struct Request {
    pub body: Value,
    pub seeds: Vec<u64>,
}

/// What came back from one call.
#[derive(Debug, Default)]
pub struct Parsed {
    pub images: Vec<(RgbImage, u64)>,
    pub withheld: Vec<(Option<u64>, String)>,
}

fn png_b64(img: &DynamicImage) -> Result<String> {
    Ok(image_io::base64_encode(&image_io::encode(
        img,
        ImageFormat::Png,
    )?))
}

/// The input image as base64: PNG, or JPEG at quality 95 where PNG is over the model's size limit.
fn image_b64(spec: &ModelSpec, img: &RgbImage) -> Result<String> {
    let dynimg = DynamicImage::ImageRgb8(img.clone());
    let png = image_io::encode(&dynimg, ImageFormat::Png)?;
    match spec.max_image_bytes {
        Some(max) if png.len() as u64 > max => {
            let jpg = image_io::encode(&dynimg, ImageFormat::Jpeg)?;
            if jpg.len() as u64 > max {
                return Err(input_err!(
                    "{}: image: the encoded image is {} bytes, the limit is {max}",
                    spec.id,
                    jpg.len()
                ));
            }
            Ok(image_io::base64_encode(&jpg))
        }
        _ => Ok(image_io::base64_encode(&png)),
    }
}

fn put_opt(map: &mut Map<String, Value>, key: &str, v: &Option<String>) {
    if let Some(v) = v {
        map.insert(key.into(), Value::String(v.clone()));
    }
}

/// Builds the calls for a job whose canvas window is `image`/`mask` (already fitted).
pub fn build_requests(
    job: &PreparedJob,
    win: &Window,
    image: &RgbImage,
    mask: &GrayImage,
) -> Result<Vec<Request>> {
    let spec = job.model;
    let requests = match spec.family {
        Family::Titan | Family::NovaCanvas => vec![titan_request(job, image, mask)?],
        Family::Local => {
            return Err(Error::Engine(
                "the local model is not served by Bedrock".into(),
            ));
        }
        _ => job
            .seeds
            .iter()
            .map(|&seed| stability_request(job, win, image, mask, seed))
            .collect::<Result<Vec<_>>>()?,
    };
    for r in &requests {
        let size = r.body.to_string().len();
        if size > BEDROCK_MAX_BODY_BYTES {
            return Err(input_err!(
                "{}: request body: {size} bytes, the limit is {BEDROCK_MAX_BODY_BYTES}",
                spec.id
            ));
        }
    }
    Ok(requests)
}

fn titan_request(job: &PreparedJob, image: &RgbImage, mask: &GrayImage) -> Result<Request> {
    let spec = job.model;
    let (task, key) = if job.mode.is_outpaint() {
        (TitanTask::Outpainting, "outPaintingParams")
    } else {
        (TitanTask::Inpainting, "inPaintingParams")
    };
    let mut params = Map::new();
    params.insert("image".into(), Value::String(image_b64(spec, image)?));
    put_opt(&mut params, "text", &job.prompt);
    put_opt(&mut params, "negativeText", &job.negative);
    match &job.mask_prompt {
        Some(text) => {
            params.insert("maskPrompt".into(), Value::String(text.clone()));
        }
        None => {
            let m = polarity::to_model(spec.family, task, mask);
            params.insert(
                "maskImage".into(),
                Value::String(png_b64(&DynamicImage::ImageRgb8(m))?),
            );
        }
    }
    if task == TitanTask::Outpainting {
        let mode = if job.mode == Mode::PreciseOutpaint {
            "PRECISE"
        } else {
            "DEFAULT"
        };
        params.insert("outPaintingMode".into(), Value::String(mode.into()));
    }
    let seed = job.seeds.first().copied().unwrap_or(0);
    let mut config = Map::new();
    config.insert("numberOfImages".into(), json!(job.seeds.len()));
    config.insert("seed".into(), json!(seed));
    if let Some(c) = job.cfg_scale.or(spec.default_cfg) {
        config.insert("cfgScale".into(), json!(c));
    }
    config.insert("quality".into(), json!(job.quality.unwrap_or_default()));
    let task_type = if task == TitanTask::Outpainting {
        "OUTPAINTING"
    } else {
        "INPAINTING"
    };
    Ok(Request {
        body: json!({ "taskType": task_type, key: params, "imageGenerationConfig": config }),
        seeds: job.seeds.clone(),
    })
}

fn stability_request(
    job: &PreparedJob,
    win: &Window,
    image: &RgbImage,
    mask: &GrayImage,
    seed: u64,
) -> Result<Request> {
    let spec = job.model;
    let mut body = Map::new();
    let mask_b64 = || -> Result<Value> {
        let m = polarity::to_model(spec.family, TitanTask::Inpainting, mask);
        Ok(Value::String(png_b64(&DynamicImage::ImageRgb8(m))?))
    };
    match spec.family {
        Family::StabilityOutpaint => {
            // Send the original and the border widths, scaled like the window.
            let p = job.placement;
            let (sw, sh) = job.source_size;
            let sx = f64::from(win.send_w) / f64::from(win.w);
            let sy = f64::from(win.send_h) / f64::from(win.h);
            let scale = |v: u32, s: f64| (f64::from(v) * s).round() as u32;
            let (left, up) = (scale(p.x, sx), scale(p.y, sy));
            let (iw, ih) = (scale(sw, sx).max(1), scale(sh, sy).max(1));
            let right = win.send_w.saturating_sub(left + iw);
            let down = win.send_h.saturating_sub(up + ih);
            if left + right + up + down == 0 {
                return Err(input_err!(
                    "{}: outpainting needs a larger canvas (--extend or --canvas)",
                    spec.id
                ));
            }
            let src =
                image::imageops::crop_imm(image, left, up, iw.min(win.send_w), ih.min(win.send_h))
                    .to_image();
            body.insert("image".into(), Value::String(image_b64(spec, &src)?));
            for (k, v) in [("left", left), ("right", right), ("up", up), ("down", down)] {
                body.insert(k.into(), json!(v));
            }
            put_opt(&mut body, "prompt", &job.prompt);
        }
        Family::StabilityErase => {
            body.insert("image".into(), Value::String(image_b64(spec, image)?));
            body.insert("mask".into(), mask_b64()?);
        }
        Family::StabilitySearchReplace => {
            body.insert("image".into(), Value::String(image_b64(spec, image)?));
            put_opt(&mut body, "prompt", &job.prompt);
            put_opt(&mut body, "search_prompt", &job.search);
            put_opt(&mut body, "negative_prompt", &job.negative);
        }
        _ => {
            body.insert("image".into(), Value::String(image_b64(spec, image)?));
            body.insert("mask".into(), mask_b64()?);
            put_opt(&mut body, "prompt", &job.prompt);
            put_opt(&mut body, "negative_prompt", &job.negative);
        }
    }
    body.insert("seed".into(), json!(seed));
    body.insert("output_format".into(), json!("png"));
    Ok(Request {
        body: Value::Object(body),
        seeds: vec![seed],
    })
}

fn malformed(what: &str) -> Error {
    Error::Engine(format!("Bedrock returned a malformed response: {what}"))
}

fn decode_image(b64: &Value, i: usize) -> Result<RgbImage> {
    let s = b64
        .as_str()
        .ok_or_else(|| malformed(&format!("images[{i}] is not a string")))?;
    let bytes = image_io::decode_base64_or_data_url(s, &format!("images[{i}]"))
        .map_err(|e| malformed(&e.to_string()))?;
    let decoded = image_io::decode_bytes(
        &bytes,
        &format!("images[{i}]"),
        &image_io::DecodeLimits::default(),
    )
    .map_err(|e| malformed(&e.to_string()))?;
    Ok(decoded.image.to_rgb8())
}

/// Parses one response body; images the model withheld are listed with the reason.
pub fn parse_response(family: Family, body: &[u8], req: &Request) -> Result<Parsed> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| malformed(&format!("not JSON ({e})")))?;
    let images = match v.get("images") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(malformed("\"images\" is not a list")),
    };
    let mut out = Parsed::default();
    match family {
        Family::Titan | Family::NovaCanvas => {
            let error = v
                .get("error")
                .and_then(Value::as_str)
                .filter(|e| !e.is_empty());
            for (i, img) in images.iter().enumerate() {
                out.images.push((
                    decode_image(img, i)?,
                    req.seeds.first().copied().unwrap_or(0),
                ));
            }
            let asked = req.seeds.len();
            let reason = error
                .map(str::to_string)
                .unwrap_or_else(|| "withheld by the content filter".into());
            if out.images.is_empty() && error.is_some() {
                return Err(Error::Engine(format!(
                    "Bedrock returned no image: {reason}"
                )));
            }
            for _ in out.images.len()..asked {
                out.withheld.push((None, reason.clone()));
            }
        }
        _ => {
            let reasons = v
                .get("finish_reasons")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let seeds = v
                .get("seeds")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut next_image = images.iter().enumerate();
            for (i, &asked_seed) in req.seeds.iter().enumerate() {
                let seed = seeds.get(i).and_then(Value::as_u64).unwrap_or(asked_seed);
                match reasons.get(i).and_then(Value::as_str) {
                    Some(reason) => out.withheld.push((Some(seed), reason.to_string())),
                    None => match next_image.next() {
                        Some((k, img)) => out.images.push((decode_image(img, k)?, seed)),
                        None => out
                            .withheld
                            .push((Some(seed), "no image in the response".into())),
                    },
                }
            }
        }
    }
    Ok(out)
}

/// The body with long base64 fields shortened, for `--dry-run`.
pub fn redacted(body: &Value) -> Value {
    match body {
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), redacted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(redacted).collect()),
        // by characters, never bytes: a long prompt may be multi-byte text
        Value::String(s) if s.chars().count() > 120 => {
            let head: String = s.chars().take(24).collect();
            Value::String(format!("{head}...({} base64 characters)", s.chars().count()))
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(seeds: &[u64]) -> Request {
        Request {
            body: Value::Null,
            seeds: seeds.to_vec(),
        }
    }

    fn png_b64_of(w: u32, h: u32) -> String {
        png_b64(&DynamicImage::ImageRgb8(RgbImage::new(w, h))).unwrap()
    }

    #[test]
    fn titan_error_and_fewer_images_are_withheld_not_success() {
        let body = json!({"images": [png_b64_of(4, 4)], "error": "blocked by our content filters"});
        let p =
            parse_response(Family::Titan, body.to_string().as_bytes(), &req(&[1, 2, 3])).unwrap();
        assert_eq!(p.images.len(), 1);
        assert_eq!(p.withheld.len(), 2);
        assert!(p.withheld[0].1.contains("content filters"));
        let none = json!({"images": null, "error": "blocked"});
        assert!(parse_response(Family::Titan, none.to_string().as_bytes(), &req(&[1])).is_err());
    }

    #[test]
    fn stability_finish_reasons_are_reported_per_image() {
        let body =
            json!({"seeds": [9], "finish_reasons": ["Filter reason: output image"], "images": []});
        let p = parse_response(
            Family::StabilityInpaint,
            body.to_string().as_bytes(),
            &req(&[9]),
        )
        .unwrap();
        assert!(p.images.is_empty());
        assert_eq!(
            p.withheld,
            vec![(Some(9), "Filter reason: output image".to_string())]
        );
        let ok = json!({"seeds": [9], "finish_reasons": [null], "images": [png_b64_of(2, 2)]});
        let p = parse_response(
            Family::StabilityInpaint,
            ok.to_string().as_bytes(),
            &req(&[9]),
        )
        .unwrap();
        assert_eq!((p.images.len(), p.images[0].1), (1, 9));
    }

    #[test]
    fn malformed_bodies_are_engine_errors() {
        for body in [
            &b"{not json"[..],
            br#"{"images": "x"}"#,
            br#"{"images": ["@@@"]}"#,
        ] {
            let e = parse_response(Family::Titan, body, &req(&[1]))
                .unwrap_err()
                .to_string();
            assert!(e.contains("malformed response"), "{e}");
        }
    }

    #[test]
    fn redaction_shortens_base64_only() {
        let v = redacted(&json!({"image": "A".repeat(500), "text": "a cat"}));
        assert_eq!(v["text"], "a cat");
        assert!(
            v["image"]
                .as_str()
                .unwrap()
                .contains("500 base64 characters")
        );
    }
}

/// Polarity fixtures at the wire level: for every family and mode, decode the mask the request
/// carries and check that the pixel imgedit marked "generate" has the colour the family expects.
#[cfg(test)]
mod polarity_fixtures {
    use super::*;
    use crate::job::{Placement, Quality};
    use crate::model;

    fn job(id: &str, mode: Mode) -> (PreparedJob, Window) {
        let spec = model::find(id).unwrap();
        let (w, h) = (64u32, 64u32);
        // generate = the left half, keep = the right half
        let mask = GrayImage::from_fn(w, h, |x, _| image::Luma([if x < 32 { 255 } else { 0 }]));
        let job = PreparedJob {
            image: RgbImage::new(w, h),
            mask,
            mode,
            prompt: Some("p".into()),
            negative: None,
            mask_prompt: None,
            search: Some("s".into()),
            seeds: vec![1],
            cfg_scale: None,
            quality: Some(Quality::Standard),
            model: spec,
            placement: Placement::identity(w, h),
            source_size: (w, h),
        };
        let win = Window {
            x: 0,
            y: 0,
            w,
            h,
            send_w: w,
            send_h: h,
        };
        (job, win)
    }

    /// (colour sent where imgedit says "generate", colour where it says "keep")
    fn sent_mask(id: &str, mode: Mode) -> ([u8; 3], [u8; 3]) {
        let (j, win) = job(id, mode);
        let reqs = build_requests(&j, &win, &j.image, &j.mask).unwrap();
        let body = &reqs[0].body;
        let b64 = body
            .pointer("/inPaintingParams/maskImage")
            .or_else(|| body.pointer("/outPaintingParams/maskImage"))
            .or_else(|| body.get("mask"))
            .and_then(Value::as_str)
            .expect("the request carries a mask");
        let bytes = image_io::decode_base64_or_data_url(b64, "mask").unwrap();
        let m = image::load_from_memory(&bytes).unwrap();
        assert!(!m.color().has_alpha(), "masks are sent without alpha");
        let m = m.to_rgb8();
        (m.get_pixel(10, 10).0, m.get_pixel(50, 10).0)
    }

    const B: [u8; 3] = [0, 0, 0];
    const W: [u8; 3] = [255, 255, 255];

    #[test]
    fn titan_v1_v2_and_nova() {
        for id in [
            "amazon.titan-image-generator-v1",
            "amazon.titan-image-generator-v2:0",
            "amazon.nova-canvas-v1:0",
        ] {
            assert_eq!(
                sent_mask(id, Mode::Inpaint),
                (B, W),
                "{id} inpaint: black = repaint"
            );
            assert_eq!(
                sent_mask(id, Mode::Outpaint),
                (W, B),
                "{id} outpaint: black = keep"
            );
            assert_eq!(
                sent_mask(id, Mode::PreciseOutpaint),
                (W, B),
                "{id} precise: black = keep"
            );
        }
    }

    #[test]
    fn stability_inpaint_and_erase() {
        assert_eq!(
            sent_mask("stability.stable-image-inpaint-v1:0", Mode::Inpaint),
            (W, B)
        );
        assert_eq!(
            sent_mask("stability.stable-image-erase-object-v1:0", Mode::Erase),
            (W, B)
        );
    }

    #[test]
    fn titan_outpainting_modes_are_named() {
        let (j, win) = job("amazon.titan-image-generator-v1", Mode::PreciseOutpaint);
        let r = build_requests(&j, &win, &j.image, &j.mask).unwrap();
        assert_eq!(r[0].body["taskType"], "OUTPAINTING");
        assert_eq!(r[0].body["outPaintingParams"]["outPaintingMode"], "PRECISE");
        let (j, win) = job("amazon.titan-image-generator-v1", Mode::Outpaint);
        let r = build_requests(&j, &win, &j.image, &j.mask).unwrap();
        assert_eq!(r[0].body["outPaintingParams"]["outPaintingMode"], "DEFAULT");
    }
}
