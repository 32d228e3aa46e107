//! Request bodies and response parsing for each Bedrock model family: the only code that knows
//! the JSON shapes. A new family is a new arm here plus a `ModelSpec` row.

use image::{DynamicImage, GrayImage, ImageFormat, RgbImage};
use serde_json::Value;

use super::fit::{self, Outpaint};
use crate::edit::engine::PreparedJob;
use crate::edit::model::{BEDROCK_MAX_BODY_BYTES, Family, ModelSpec};
use crate::edit::options::{Mode, OutputFormat};
use crate::edit::polarity::{self, TitanTask};
use crate::error::input_err;
use crate::error::{Error, Result};
use crate::image_io;
use crate::wire::Problem;
pub use crate::wire::bedrock::INFERENCE_ERROR;
use crate::wire::bedrock::{
    ImageGenerationConfig, OutPaintingMode, StabilityRequest, StabilityResponse, TitanParams,
    TitanRequest, TitanResponse, takes_seed,
};

/// One InvokeModel body, in its family's wire struct.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Body {
    Titan(TitanRequest),
    Stability(StabilityRequest),
}

impl Body {
    /// The size of the body as sent, in bytes, counted without writing it out.
    pub fn size(&self) -> usize {
        struct Count(usize);
        impl std::io::Write for Count {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0 += buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut n = Count(0);
        // a struct of strings and numbers: serialising cannot fail
        let _ = serde_json::to_writer(&mut n, self);
        n.0
    }

    /// The body as JSON, for tests and `--dry-run`.
    pub fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// One InvokeModel call: its body and the seeds of the images it asks for.
#[derive(Debug, Clone)]
pub struct Request {
    pub body: Body,
    pub seeds: Vec<u64>,
}

/// What came back from one call.
#[derive(Debug, Default)]
pub struct Parsed {
    /// As decoded: background removal keeps its alpha channel.
    pub images: Vec<(DynamicImage, u64)>,
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

/// A text field's value, `None` when empty: Bedrock refuses `""` (Nova: 1..1024 characters)
/// where leaving the field out means "none".
fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .filter(|v| !v.trim().is_empty())
        .map(str::to_string)
}

/// Builds the calls for a job whose canvas window is `image`/`mask` (already fitted).
pub fn build_requests(
    job: &PreparedJob,
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
        _ => stability_requests(job, image, mask)?,
    };
    for r in &requests {
        let size = r.body.size();
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
    let task = if job.mode.is_outpaint() {
        TitanTask::Outpainting
    } else {
        TitanTask::Inpainting
    };
    let mut params = TitanParams {
        image: Some(image_b64(spec, image)?),
        text: text(&job.prompt),
        negative_text: text(&job.negative),
        ..TitanParams::default()
    };
    match text(&job.mask_prompt) {
        Some(t) => params.mask_prompt = Some(t),
        None => {
            let m = polarity::to_model(spec.family, task, mask);
            params.mask_image = Some(png_b64(&DynamicImage::ImageRgb8(m))?);
        }
    }
    if task == TitanTask::Outpainting {
        params.out_painting_mode = Some(if job.mode == Mode::PreciseOutpaint {
            OutPaintingMode::Precise
        } else {
            OutPaintingMode::Default
        });
    }
    let config = ImageGenerationConfig {
        number_of_images: Some(job.seeds.len() as i64),
        seed: Some(job.seeds.first().copied().unwrap_or(0) as i64),
        cfg_scale: job.cfg_scale.or(spec.default_cfg).map(f64::from),
        quality: Some(job.quality.unwrap_or_default()),
        ..ImageGenerationConfig::default()
    };
    Ok(Request {
        body: Body::Titan(TitanRequest::new(task, params, config)),
        seeds: job.seeds.clone(),
    })
}

/// Formats tried for the input image, in order, until the request body fits.
fn fallback_formats(spec: &ModelSpec) -> &'static [ImageFormat] {
    if spec.webp_input {
        &[ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP]
    } else {
        &[ImageFormat::Png, ImageFormat::Jpeg]
    }
}

/// The input image of a Stability call: the window, or for outpainting the original at the
/// planned scale.
fn stability_input(job: &PreparedJob, image: &RgbImage) -> Result<(RgbImage, Option<Outpaint>)> {
    if job.model.family != Family::StabilityOutpaint {
        return Ok((image.clone(), None));
    }
    let plan = fit::outpaint(job.model, &job.placement, job.source_size)?;
    let (sw, sh) = job.source_size;
    let p = job.placement;
    let src = image::imageops::crop_imm(&*job.image, p.x, p.y, sw, sh).to_image();
    let src = if (plan.input_w, plan.input_h) == (sw, sh) {
        src
    } else {
        image::imageops::resize(
            &src,
            plan.input_w,
            plan.input_h,
            image::imageops::FilterType::Lanczos3,
        )
    };
    Ok((src, Some(plan)))
}

/// The calls of a Stability job: one per seed (each tool makes one image per call), the input
/// image in the first format whose body fits Bedrock's limit.
fn stability_requests(
    job: &PreparedJob,
    image: &RgbImage,
    mask: &GrayImage,
) -> Result<Vec<Request>> {
    stability_requests_within(job, image, mask, BEDROCK_MAX_BODY_BYTES)
}

fn stability_requests_within(
    job: &PreparedJob,
    image: &RgbImage,
    mask: &GrayImage,
    limit: usize,
) -> Result<Vec<Request>> {
    let spec = job.model;
    let (input, plan) = stability_input(job, image)?;
    let dynimg = DynamicImage::ImageRgb8(input);
    let mut sizes = Vec::new();
    for &format in fallback_formats(spec) {
        let bytes = image_io::encode(&dynimg, format)?;
        let b64 = image_io::base64_encode(&bytes);
        // Style Transfer's reference image goes in the same format as the image it restyles
        let style = match &job.tool.style_image {
            Some(s) if spec.family == Family::StabilityStyleTransfer => {
                let img = DynamicImage::ImageRgb8((*s.image).clone());
                Some(image_io::base64_encode(&image_io::encode(&img, format)?))
            }
            _ => None,
        };
        let images = Images {
            image: &b64,
            style: style.as_deref(),
        };
        let requests = job
            .seeds
            .iter()
            .map(|&seed| stability_request(job, images, plan, mask, seed))
            .collect::<Result<Vec<_>>>()?;
        let largest = requests.iter().map(|r| r.body.size()).max().unwrap_or(0);
        if largest <= limit {
            if format != ImageFormat::Png {
                tracing::debug!(
                    ?format,
                    bytes = largest,
                    "input re-encoded to fit the body limit"
                );
            }
            return Ok(requests);
        }
        sizes.push(format!("{largest} as {}", image_io::format_name(format)));
    }
    Err(input_err!(
        "{}: request body: {} bytes, the limit is {limit}; use a smaller image",
        spec.id,
        sizes.join(", ")
    ))
}

/// The images of one Stability call, base64: the one the tool works on, and Style Transfer's
/// reference.
#[derive(Clone, Copy)]
struct Images<'a> {
    image: &'a str,
    style: Option<&'a str>,
}

fn stability_request(
    job: &PreparedJob,
    images: Images<'_>,
    plan: Option<Outpaint>,
    mask: &GrayImage,
    seed: u64,
) -> Result<Request> {
    let image_b64 = images.image;
    let spec = job.model;
    let mask_b64 = || -> Result<Option<String>> {
        let m = polarity::to_model(spec.family, TitanTask::Inpainting, mask);
        Ok(Some(png_b64(&DynamicImage::ImageRgb8(m))?))
    };
    let mut body = StabilityRequest {
        image: Some(image_b64.to_string()),
        ..StabilityRequest::default()
    };
    match (spec.family, plan) {
        (Family::StabilityOutpaint, Some(o)) => {
            body.left = Some(i64::from(o.left));
            body.right = Some(i64::from(o.right));
            body.up = Some(i64::from(o.up));
            body.down = Some(i64::from(o.down));
            body.prompt = text(&job.prompt);
        }
        (Family::StabilityErase, _) => body.mask = mask_b64()?,
        (Family::StabilitySearchReplace, _) => {
            body.prompt = text(&job.prompt);
            // --mask-prompt ("find the region from text") is search-and-replace's search_prompt
            body.search_prompt = text(&job.search.clone().or_else(|| job.mask_prompt.clone()));
            body.negative_prompt = text(&job.negative);
        }
        (Family::StabilitySearchRecolor, _) => {
            body.prompt = text(&job.prompt);
            body.select_prompt = text(&job.tool.select);
            body.negative_prompt = text(&job.negative);
        }
        (Family::StabilityRemoveBackground | Family::StabilityFastUpscale, _) => {}
        (Family::StabilityConservativeUpscale | Family::StabilityCreativeUpscale, _) => {
            // the prompt is required; an empty one is allowed (0..10,000 characters)
            body.prompt = Some(job.prompt.clone().unwrap_or_default());
            body.negative_prompt = text(&job.negative);
        }
        (
            Family::StabilityControlSketch
            | Family::StabilityControlStructure
            | Family::StabilityStyleGuide,
            _,
        ) => {
            body.prompt = text(&job.prompt);
            body.negative_prompt = text(&job.negative);
            if !spec.aspect_ratios.is_empty() {
                body.aspect_ratio = text(&job.tool.aspect_ratio);
            }
        }
        (Family::StabilityStyleTransfer, _) => {
            // the tool restyles init_image after style_image; it takes no `image`
            body.init_image = body.image.take();
            body.style_image = Some(
                images
                    .style
                    .ok_or_else(|| {
                        input_err!(
                            "{}: style transfer needs a reference image (--style-image)",
                            spec.id
                        )
                    })?
                    .to_string(),
            );
            body.prompt = text(&job.prompt);
            body.negative_prompt = text(&job.negative);
        }
        _ => {
            body.mask = mask_b64()?;
            body.prompt = text(&job.prompt);
            body.negative_prompt = text(&job.negative);
        }
    }
    if let Some((_, default)) = spec.grow_mask {
        body.grow_mask = Some(i64::from(job.tool.grow_mask.unwrap_or(default)));
    }
    if spec.creativity.is_some() {
        body.creativity = job.tool.creativity.map(f64::from);
    }
    // the numbers the tool takes, as asked (the tool's own default otherwise)
    for r in spec.knobs {
        if let Some(v) = job.tool.knob(r.knob) {
            body.set_knob(r.knob, f64::from(v));
        }
    }
    if spec.style_preset {
        body.style_preset = text(&job.tool.style_preset);
    }
    if takes_seed(spec.family) {
        body.seed = Some(seed as i64);
    }
    body.output_format = Some(job.tool.output_format.unwrap_or(OutputFormat::Png));
    Ok(Request {
        body: Body::Stability(body),
        seeds: vec![seed],
    })
}

fn malformed(what: &str) -> Error {
    Error::Engine(format!("Bedrock returned a malformed response: {what}"))
}

fn decode_image(b64: &str, i: usize) -> Result<DynamicImage> {
    let bytes = image_io::decode_base64_or_data_url(b64, &format!("images[{i}]"))
        .map_err(|e| malformed(&e.to_string()))?;
    let decoded = image_io::decode_bytes(
        &bytes,
        &format!("images[{i}]"),
        &image_io::DecodeLimits::default(),
    )
    .map_err(|e| malformed(&e.to_string()))?;
    Ok(decoded.image)
}

/// A response body as `T`, or a malformed-response error naming the field that does not fit.
fn response<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| malformed(&format!("not JSON ({e})")))?;
    crate::wire::from_value(v).map_err(|e| {
        let what = match &e.problem {
            Problem::Type { expected, got } => {
                format!("is {got}, not {}", crate::wire::plain_type(expected))
            }
            Problem::Other(m) => m.clone(),
            Problem::UnknownField { .. } | Problem::MissingField(_) => "does not fit".into(),
        };
        malformed(&format!("\"{}\" {what}", e.dotted()))
    })
}

/// Parses one response body; images the model withheld are listed with the reason. A content
/// filter's verdict is a withheld image whatever the shape (Titan's `error`, Stability's
/// `finish_reasons`, with or without `images`), so it takes the same path as a 400 block.
pub fn parse_response(family: Family, body: &[u8], req: &Request) -> Result<Parsed> {
    let mut out = Parsed::default();
    match family {
        Family::Titan | Family::NovaCanvas => {
            let r: TitanResponse = response(body)?;
            let error = r.error.filter(|e| !e.is_empty());
            for (i, img) in r.images.unwrap_or_default().iter().enumerate() {
                out.images.push((
                    decode_image(img, i)?,
                    req.seeds.first().copied().unwrap_or(0),
                ));
            }
            let asked = req.seeds.len();
            let reason = error.unwrap_or_else(|| "withheld by the content filter".into());
            for _ in out.images.len()..asked {
                out.withheld.push((None, reason.clone()));
            }
        }
        _ => {
            let r: StabilityResponse = response(body)?;
            let reasons = r.finish_reasons.unwrap_or_default();
            let seeds = r.seeds.unwrap_or_default();
            let images = r.images.unwrap_or_default();
            let mut next_image = images.iter().enumerate();
            for (i, &asked_seed) in req.seeds.iter().enumerate() {
                let seed = seeds.get(i).map_or(asked_seed, |s| s.0);
                match reasons.get(i).cloned().flatten() {
                    Some(reason) => out.withheld.push((Some(seed), reason)),
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
pub fn redacted<T: serde::Serialize>(body: &T) -> Value {
    redact(&serde_json::to_value(body).unwrap_or(Value::Null))
}

fn redact(body: &Value) -> Value {
    match body {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), redact(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(redact).collect()),
        // base64 only: a long prompt (any UTF-8) is shown as it is
        Value::String(s)
            if s.len() > 120
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)) =>
        {
            Value::String(format!("{}...({} base64 characters)", &s[..24], s.len()))
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(seeds: &[u64]) -> Request {
        Request {
            body: Body::Stability(StabilityRequest::default()),
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
        let p = parse_response(Family::Titan, none.to_string().as_bytes(), &req(&[1])).unwrap();
        assert_eq!(p.withheld, vec![(None, "blocked".to_string())]);
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
    fn a_bodys_size_is_the_length_of_what_is_sent() {
        let body = Body::Stability(StabilityRequest {
            image: Some("A".repeat(1000)),
            prompt: Some("日本".into()),
            seed: Some(7),
            ..StabilityRequest::default()
        });
        assert_eq!(body.size(), serde_json::to_vec(&body).unwrap().len());
        assert_eq!(body.json()["seed"], 7);
    }

    #[test]
    fn redaction_shortens_base64_only() {
        let long_prompt = format!("a{}", "日本".repeat(100));
        let v =
            redacted(&json!({"image": "A".repeat(500), "text": "a cat", "prompt": long_prompt}));
        assert_eq!(v["text"], "a cat");
        assert_eq!(
            v["prompt"],
            long_prompt.as_str(),
            "prompts are not cut (nor cut mid-character)"
        );
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
    use crate::edit::job::Placement;
    use crate::edit::model;
    use crate::edit::options::Quality;

    fn job(id: &str, mode: Mode) -> PreparedJob {
        let spec = model::find(id).unwrap();
        let (w, h) = (64u32, 64u32);
        // generate = the left half, keep = the right half
        let mask = GrayImage::from_fn(w, h, |x, _| image::Luma([if x < 32 { 255 } else { 0 }]));
        PreparedJob {
            image: RgbImage::new(w, h).into(),
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
            tool: Default::default(),
        }
    }

    /// (colour sent where imgedit says "generate", colour where it says "keep")
    fn sent_mask(id: &str, mode: Mode) -> ([u8; 3], [u8; 3]) {
        let j = job(id, mode);
        let reqs = build_requests(&j, &j.image, &j.mask).unwrap();
        let body = &reqs[0].body.json();
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

    /// The mask sent for a mask file of `values` (one per 32-pixel column band of a 128x64 image),
    /// read as a user's `--mask FILE --feather 0` is: file -> job -> prepared job -> body.
    fn sent_for_file(id: &str, values: [u8; 4]) -> Vec<[u8; 3]> {
        use crate::edit::job::{JobOptions, Selection};
        use crate::edit::options::ToolOptions;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mask.png");
        let file = GrayImage::from_fn(128, 64, |x, _| image::Luma([values[x as usize / 32]]));
        file.save(&path).unwrap();
        let opts = JobOptions {
            selection: Selection {
                mask_file: Some(path),
                feather: Some(0),
                ..Default::default()
            },
            mode: None,
            canvas: None,
            prompt: Some("p".into()),
            negative: None,
            mask_prompt: None,
            search: None,
            num_images: 1,
            seed: 1,
            cfg_scale: None,
            quality: None,
            model: model::find(id).unwrap(),
            limits: crate::image_io::DecodeLimits::default(),
            tool: ToolOptions::default(),
        };
        let source = image::DynamicImage::ImageRgb8(RgbImage::new(128, 64));
        let job = opts.build(source, "in.png").unwrap();
        let prepared = crate::edit::prepare::prepare(&job);
        let reqs = build_requests(&prepared, &prepared.image, &prepared.mask).unwrap();
        let body = &reqs[0].body.json();
        let b64 = body
            .pointer("/inPaintingParams/maskImage")
            .or_else(|| body.get("mask"))
            .and_then(Value::as_str)
            .unwrap();
        let bytes = image_io::decode_base64_or_data_url(b64, "mask").unwrap();
        let m = image::load_from_memory(&bytes).unwrap().to_rgb8();
        let (w, h) = m.dimensions();
        (0..4)
            .map(|band| m.get_pixel(band * w / 4 + w / 8, h / 2).0)
            .collect()
    }

    #[test]
    fn a_grey_mask_file_keeps_its_strength_for_stability_and_a_hard_one_stays_hard() {
        let inpaint = "us.stability.stable-image-inpaint-v1:0";
        assert_eq!(
            sent_for_file(inpaint, [0, 64, 200, 255]),
            vec![B, [64; 3], [200; 3], W]
        );
        assert_eq!(sent_for_file(inpaint, [0, 255, 0, 255]), vec![B, W, B, W]);
        // Titan takes no grey: every pixel the file gives any strength is regenerated (black), and
        // imgedit's composite blends it back by the file's strength
        assert_eq!(
            sent_for_file("amazon.titan-image-generator-v1", [0, 64, 200, 255]),
            vec![W, B, B, B]
        );
    }

    #[test]
    fn titan_outpainting_modes_are_named() {
        let j = job("amazon.titan-image-generator-v1", Mode::PreciseOutpaint);
        let r = build_requests(&j, &j.image, &j.mask).unwrap();
        assert_eq!(r[0].body.json()["taskType"], "OUTPAINTING");
        assert_eq!(
            r[0].body.json()["outPaintingParams"]["outPaintingMode"],
            "PRECISE"
        );
        let j = job("amazon.titan-image-generator-v1", Mode::Outpaint);
        let r = build_requests(&j, &j.image, &j.mask).unwrap();
        assert_eq!(
            r[0].body.json()["outPaintingParams"]["outPaintingMode"],
            "DEFAULT"
        );
    }
}

/// The client's bodies and parsing against the request and response bodies of AWS's own examples
/// (tests/fixtures/bedrock/stability.json), not only against imgedit's emulator.
#[cfg(test)]
mod doc_fixtures {
    use super::*;
    use crate::edit::job::Placement;
    use crate::edit::model;
    use crate::edit::options::ToolOptions;
    use serde_json::{Map, json};

    fn fixture() -> Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/bedrock/stability.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn prepared(id: &str, mode: Mode, source: (u32, u32), placement: Placement) -> PreparedJob {
        let (cw, ch) = (placement.canvas_width, placement.canvas_height);
        let mask = GrayImage::from_fn(cw, ch, |x, y| {
            image::Luma([if x < cw / 2 && y < ch / 2 { 255 } else { 0 }])
        });
        PreparedJob {
            image: RgbImage::from_fn(cw, ch, |x, y| image::Rgb([x as u8, y as u8, 9])).into(),
            mask,
            mode,
            prompt: Some("artificer of time and space".into()),
            negative: Some("blur".into()),
            mask_prompt: None,
            search: Some("the man".into()),
            seeds: vec![0],
            cfg_scale: None,
            quality: None,
            model: model::find(id).unwrap(),
            placement,
            source_size: source,
            tool: ToolOptions::default(),
        }
    }

    fn body(job: &PreparedJob) -> Map<String, Value> {
        let r = build_requests(job, &job.image, &job.mask).unwrap();
        r[0].body.json().as_object().unwrap().clone()
    }

    /// Every field the client sends is one the doc lists for the tool, with the doc's type, and
    /// one the server's table (the same one) allows; every field it requires is sent.
    fn assert_fields(id: &str, body: &Map<String, Value>) {
        let tool = crate::wire::bedrock::stability_fields(model::find(id).unwrap().family);
        for k in body.keys() {
            assert!(tool.allowed.contains(&k.as_str()), "{id}: {k} not allowed");
        }
        for k in tool.required {
            assert!(body.contains_key(*k), "{id}: {k} required");
        }
        let f = fixture();
        let types = f["field_types"][id].as_object().unwrap();
        for (k, v) in body {
            let want = types
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{id}: {k} is not a field of the tool"));
            let ok = match want {
                "string" => v.is_string(),
                "integer" => v.is_u64(),
                "number" => v.is_number(),
                _ => false,
            };
            assert!(ok, "{id}: {k} = {v} is not a {want}");
        }
    }

    #[test]
    fn inpaint_body_matches_the_doc_example() {
        let id = "us.stability.stable-image-inpaint-v1:0";
        let j = prepared(id, Mode::Inpaint, (128, 128), Placement::identity(128, 128));
        let b = body(&j);
        assert_fields(id, &b);
        let example = fixture()["requests"][id].as_object().unwrap().clone();
        for k in example.keys() {
            assert!(b.contains_key(k), "{k} missing");
        }
        assert_eq!(b["prompt"], example["prompt"]);
        assert_eq!(b["grow_mask"], 5);
        assert_eq!(b["output_format"], "png");
    }

    #[test]
    fn outpaint_body_matches_the_doc_example() {
        let id = "us.stability.stable-outpaint-v1:0";
        let place = Placement {
            canvas_width: 640 + 1024,
            canvas_height: 480 + 300,
            x: 512,
            y: 200,
        };
        let j = prepared(id, Mode::Outpaint, (640, 480), place);
        let b = body(&j);
        assert_fields(id, &b);
        let example = &fixture()["requests"][id];
        for k in ["left", "right", "up", "down"] {
            assert_eq!(b[k], example[k], "{k}");
        }
        let img =
            image_io::decode_base64_or_data_url(b["image"].as_str().unwrap(), "image").unwrap();
        let img = image::load_from_memory(&img).unwrap();
        assert_eq!(
            (img.width(), img.height()),
            (640, 480),
            "the original is sent, not the canvas"
        );
    }

    #[test]
    fn every_tool_sends_only_its_fields_with_the_docs_types() {
        for (id, mode) in [
            ("us.stability.stable-image-erase-object-v1:0", Mode::Erase),
            (
                "us.stability.stable-image-search-replace-v1:0",
                Mode::Replace,
            ),
            (
                "us.stability.stable-image-search-recolor-v1:0",
                Mode::Recolor,
            ),
            (
                "us.stability.stable-image-remove-background-v1:0",
                Mode::RemoveBackground,
            ),
            ("us.stability.stable-fast-upscale-v1:0", Mode::Upscale),
            (
                "us.stability.stable-conservative-upscale-v1:0",
                Mode::Upscale,
            ),
            ("us.stability.stable-creative-upscale-v1:0", Mode::Upscale),
        ] {
            let mut j = prepared(id, mode, (96, 96), Placement::identity(96, 96));
            j.tool.select = Some("the jacket".into());
            j.tool.style_preset = Some("photographic".into());
            j.tool.creativity = Some(0.3);
            let b = body(&j);
            assert_fields(id, &b);
            // the fields of the doc's example request are sent too
            if let Some(example) = fixture()["requests"][id].as_object() {
                for k in example.keys() {
                    assert!(b.contains_key(k), "{id}: {k} missing");
                }
            }
        }
    }

    #[test]
    fn the_control_and_style_tools_send_the_docs_fields() {
        use crate::edit::model::Knob;
        use crate::edit::options::StyleImage;
        let style = StyleImage {
            name: "style.png".into(),
            image: std::sync::Arc::new(RgbImage::from_pixel(80, 64, image::Rgb([200, 10, 10]))),
        };
        for (id, mode, knobs) in [
            (
                "us.stability.stable-image-control-sketch-v1:0",
                Mode::Sketch,
                vec![(Knob::ControlStrength, 0.25)],
            ),
            (
                "us.stability.stable-image-control-structure-v1:0",
                Mode::Structure,
                vec![(Knob::ControlStrength, 1.0)],
            ),
            (
                "us.stability.stable-image-style-guide-v1:0",
                Mode::StyleGuide,
                vec![(Knob::Fidelity, 0.5)],
            ),
            (
                "us.stability.stable-style-transfer-v1:0",
                Mode::StyleTransfer,
                vec![
                    (Knob::CompositionFidelity, 0.5),
                    (Knob::StyleStrength, 0.75),
                    (Knob::ChangeStrength, 0.125),
                ],
            ),
        ] {
            let mut j = prepared(id, mode, (96, 96), Placement::identity(96, 96));
            j.tool.knobs = knobs.clone();
            j.tool.style_preset = Some("photographic".into());
            j.tool.aspect_ratio = Some("16:9".into());
            j.tool.style_image = Some(style.clone());
            j.tool.style_preset = model::find(id)
                .unwrap()
                .style_preset
                .then(|| "anime".to_string());
            let b = body(&j);
            assert_fields(id, &b);
            let example = fixture()["requests"][id].as_object().unwrap().clone();
            for k in example.keys() {
                assert!(b.contains_key(k), "{id}: {k} missing");
            }
            for (k, v) in knobs {
                assert_eq!(b[k.key()], json!(f64::from(v)), "{id}: {}", k.key());
            }
            // the whole picture is sent, at its own size
            let key = if mode == Mode::StyleTransfer {
                "init_image"
            } else {
                "image"
            };
            let sent = image_io::decode_base64_or_data_url(b[key].as_str().unwrap(), key).unwrap();
            let sent = image::load_from_memory(&sent).unwrap();
            assert_eq!((sent.width(), sent.height()), (96, 96), "{id}");
        }
        let st = "us.stability.stable-style-transfer-v1:0";
        let mut j = prepared(
            st,
            Mode::StyleTransfer,
            (96, 96),
            Placement::identity(96, 96),
        );
        j.tool.style_image = Some(style.clone());
        let b = body(&j);
        let sent =
            image_io::decode_base64_or_data_url(b["style_image"].as_str().unwrap(), "s").unwrap();
        let sent = image::load_from_memory(&sent).unwrap().to_rgb8();
        assert_eq!(sent.dimensions(), (80, 64));
        assert_eq!(sent.get_pixel(3, 3).0, [200, 10, 10]);
        assert!(!b.contains_key("image"));
        // a style transfer without its reference is refused before any call
        j.tool.style_image = None;
        let e = build_requests(&j, &j.image, &j.mask)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--style-image"), "{e}");
        // the guide's aspect ratio goes only to the guide
        let guide = "us.stability.stable-image-style-guide-v1:0";
        let mut j = prepared(
            guide,
            Mode::StyleGuide,
            (96, 96),
            Placement::identity(96, 96),
        );
        j.tool.aspect_ratio = Some("9:16".into());
        assert_eq!(body(&j)["aspect_ratio"], "9:16");
    }

    #[test]
    fn empty_prompts_are_left_out() {
        let id = "us.stability.stable-image-search-replace-v1:0";
        let mut j = prepared(id, Mode::Replace, (96, 96), Placement::identity(96, 96));
        j.negative = Some(String::new());
        assert!(!body(&j).contains_key("negative_prompt"));
        let mut j = prepared(
            "amazon.nova-canvas-v1:0",
            Mode::Inpaint,
            (320, 320),
            Placement::identity(320, 320),
        );
        j.prompt = Some("  ".into());
        let r = build_requests(&j, &j.image, &j.mask).unwrap();
        assert!(r[0].body.json()["inPaintingParams"].get("text").is_none());
    }

    #[test]
    fn output_format_follows_the_job() {
        let id = "us.stability.stable-image-inpaint-v1:0";
        let mut j = prepared(id, Mode::Inpaint, (96, 96), Placement::identity(96, 96));
        j.tool.output_format = Some(OutputFormat::Webp);
        j.tool.grow_mask = Some(0);
        let b = body(&j);
        assert_eq!(
            (b["output_format"].clone(), b["grow_mask"].clone()),
            (json!("webp"), json!(0))
        );
    }

    fn response(v: &Value, seeds: &[u64]) -> Parsed {
        let png = png_b64(&DynamicImage::ImageRgb8(RgbImage::new(8, 8))).unwrap();
        let text = v.to_string().replace("\"...\"", &format!("\"{png}\""));
        let req = Request {
            body: Body::Stability(StabilityRequest::default()),
            seeds: seeds.to_vec(),
        };
        parse_response(Family::StabilityInpaint, text.as_bytes(), &req).unwrap()
    }

    #[test]
    fn the_doc_responses_parse() {
        let f = fixture();
        // seed 0 asked (random): the seed reported is the one used
        let p = response(&f["responses"]["ok"], &[0]);
        assert_eq!((p.images.len(), p.images[0].1), (1, 2130420379));
        // the doc types seeds as strings
        let mut as_strings = f["responses"]["ok"].clone();
        as_strings["seeds"] = json!(["2130420379"]);
        assert_eq!(response(&as_strings, &[0]).images[0].1, 2130420379);
        // the filtered shape has no images and no seeds
        let p = response(&f["responses"]["filtered"], &[7]);
        assert!(p.images.is_empty());
        assert_eq!(
            p.withheld,
            vec![(Some(7), "Filter reason: prompt".to_string())]
        );
        for reason in [
            "Filter reason: output image",
            "Filter reason: input image",
            INFERENCE_ERROR,
        ] {
            let p = response(&json!({"seeds": [3], "finish_reasons": [reason]}), &[3]);
            assert_eq!(p.withheld, vec![(Some(3), reason.to_string())]);
        }
    }

    #[test]
    fn a_body_over_the_limit_falls_back_to_jpeg_then_webp() {
        let id = "us.stability.stable-image-inpaint-v1:0";
        let mut j = prepared(id, Mode::Inpaint, (256, 256), Placement::identity(256, 256));
        // noise: PNG cannot compress it
        j.image = std::sync::Arc::new(RgbImage::from_fn(256, 256, |x, y| {
            let n = (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503)).rotate_left(7);
            image::Rgb([n as u8, (n >> 8) as u8, (n >> 16) as u8])
        }));
        let sent = |limit: usize| -> Vec<u8> {
            let r = stability_requests_within(&j, &j.image, &j.mask, limit).unwrap();
            image_io::decode_base64_or_data_url(r[0].body.json()["image"].as_str().unwrap(), "i")
                .unwrap()
        };
        let png = sent(usize::MAX);
        assert!(png.starts_with(b"\x89PNG"));
        let jpeg = sent(png.len() * 4 / 3);
        assert!(
            jpeg.starts_with(&[0xFF, 0xD8]),
            "JPEG when PNG does not fit"
        );
        let e = stability_requests_within(&j, &j.image, &j.mask, 1000)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("as PNG")
                && e.contains("as JPEG")
                && e.contains("as WebP")
                && e.contains("the limit is 1000"),
            "{e}"
        );
    }
}
