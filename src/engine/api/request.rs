//! The `/image-edit` request for a job: the browser client's fields plus imgedit's extensions,
//! fitted to the model's limits and to Lambda's 6 MB payload limit.

use image::{DynamicImage, ImageFormat};

use super::{API_MODEL, PAYLOAD_LIMIT_BYTES};
use crate::choice::Choice;
use crate::edit::engine::PreparedJob;
use crate::edit::model::Family;
use crate::edit::options::Mode;
use crate::edit::polarity::{self, TitanTask};
use crate::engine::bedrock::fit::{self, Window};
use crate::error::{Error, Result};
use crate::image_io;
use crate::wire::image_edit::{CanvasConfig, EditPrompt, ImageEditRequest, WireMode};

/// The Titan task of a mode `/image-edit` does; other modes are a usage error.
fn titan_task(mode: Mode) -> Result<TitanTask> {
    match mode {
        Mode::Inpaint => Ok(TitanTask::Inpainting),
        Mode::Outpaint | Mode::PreciseOutpaint => Ok(TitanTask::Outpainting),
        other => Err(Error::Usage(format!(
            "the /image-edit API does inpaint, outpaint and precise-outpaint, not {}",
            other.name()
        ))),
    }
}

/// What the request carries besides the images.
pub(super) struct Body {
    pub(super) request: ImageEditRequest,
    pub(super) window: Window,
    /// The image went as JPEG because PNG would have broken the payload limit.
    pub(super) jpeg: bool,
    pub(super) bytes: usize,
    /// How the request was made to fit the payload limit, if it had to be.
    pub(super) fitted: Option<String>,
}

fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!("data:{mime};base64,{}", image_io::base64_encode(bytes))
}

/// The mask's bounding box with a margin of half its size (at least 64 px), widened to the
/// model's smallest side: the "only masked" window, sent unscaled.
fn crop_window(job: &PreparedJob, whole: &Window) -> Option<Window> {
    let (cw, ch) = job.mask.dimensions();
    let (bx, by, bw, bh) = crate::mask::Mask(job.mask.clone()).bounding_box()?;
    let margin = (bw.max(bh) / 2).max(64);
    let side = |lo: u32, len: u32, max: u32| {
        let start = lo.saturating_sub(margin);
        let end = (lo + len + margin).min(max);
        let min = job.model.min_side.min(max);
        let len = (end - start).max(min);
        (start.min(max - len), len)
    };
    let (x, w) = side(bx, bw, cw);
    let (y, h) = side(by, bh, ch);
    let win = Window {
        x,
        y,
        w,
        h,
        send_w: w,
        send_h: h,
    };
    (win.w * win.h < whole.w * whole.h && job.model.accepts_size(w, h)).then_some(win)
}

/// `win` sent at `factor` of its size (never below the model's smallest side).
fn scaled(win: &Window, factor: f64, min_side: u32) -> Window {
    let f = factor
        .max(f64::from(min_side) / f64::from(win.w.min(win.h)))
        .min(1.0);
    Window {
        send_w: ((f64::from(win.w) * f).round() as u32).max(1),
        send_h: ((f64::from(win.h) * f).round() as u32).max(1),
        ..*win
    }
}

/// The request for one window: PNG if it fits the payload limit, else the image as JPEG.
fn body_for(job: &PreparedJob, window: Window) -> Result<Body> {
    let task = titan_task(job.mode)?;
    let (img, mask) = fit::crop(&window, &job.image, &job.mask);
    let model_mask = polarity::to_model(Family::Titan, task, &mask);
    let mask_png = image_io::encode(&DynamicImage::ImageRgb8(model_mask), ImageFormat::Png)?;
    let image = DynamicImage::ImageRgb8(img);
    let model = if job.model.id == API_MODEL || job.model.family == Family::Local {
        "titan".to_string()
    } else {
        job.model.id.to_string()
    };
    let mut body = ImageEditRequest {
        base_image: Some(String::new()),
        canvas_config: Some(CanvasConfig::default()),
        cfg_scale: job.cfg_scale.map(f64::from),
        mask: Some(data_url("image/png", &mask_png)),
        model: Some(model),
        num_images: Some(job.seeds.len() as u64),
        prompt: Some(EditPrompt {
            mode: Some(WireMode(job.mode)),
            negative_text: job.negative.clone(),
            text: Some(job.prompt.clone().unwrap_or_default()),
        }),
        quality: Some(
            job.quality
                .unwrap_or(crate::edit::options::Quality::Premium),
        ),
        seed: Some(job.seeds.first().copied().unwrap_or(0)),
    };
    let overhead = serde_json::to_vec(&body).map(|v| v.len()).unwrap_or(0);
    let b64_len = |n: usize| n.div_ceil(3) * 4;
    let png = image_io::encode(&image, ImageFormat::Png)?;
    // The original is pasted back outside the mask, so a JPEG of the kept region costs nothing.
    let (bytes, mime, jpeg) = if overhead + b64_len(png.len()) + 32 <= PAYLOAD_LIMIT_BYTES {
        (png, "image/png", false)
    } else {
        (
            image_io::encode(&image, ImageFormat::Jpeg)?,
            "image/jpeg",
            true,
        )
    };
    let size = overhead + b64_len(bytes.len()) + 32;
    body.base_image = Some(data_url(mime, &bytes));
    Ok(Body {
        request: body,
        window,
        jpeg,
        bytes: size,
        fitted: None,
    })
}

/// Builds the request for `job`: fitted to the model's limits, then to the payload limit (the
/// image as JPEG, then only the region around the mask, then that region scaled down).
pub(super) fn build_body(job: &PreparedJob) -> Result<Body> {
    let whole = fit::choose(job.model, &job.mask)?;
    let first = body_for(job, whole)?;
    if first.bytes <= PAYLOAD_LIMIT_BYTES {
        return Ok(first);
    }
    let too_big = first.bytes;
    let mut base = whole;
    if let Some(crop) = crop_window(job, &whole) {
        let b = body_for(job, crop)?;
        if b.bytes <= PAYLOAD_LIMIT_BYTES {
            return Ok(Body {
                fitted: Some(format!(
                    "the whole image would be {:.1} MB, over the 6 MB payload limit: sending only the {}x{} region around the mask",
                    too_big as f64 / 1e6,
                    crop.w,
                    crop.h
                )),
                ..b
            });
        }
        base = crop;
    }
    let mut factor = 1.0;
    for _ in 0..6 {
        factor *= 0.75;
        let win = scaled(&base, factor, job.model.min_side);
        if (win.send_w, win.send_h) == (base.w, base.h) {
            break; // already at the model's smallest side: scaling cannot help
        }
        let b = body_for(job, win)?;
        if b.bytes <= PAYLOAD_LIMIT_BYTES {
            return Ok(Body {
                fitted: Some(format!(
                    "the request would be {:.1} MB, over the 6 MB payload limit: sending the {}x{} region scaled to {}x{} (the result is scaled back and pasted in)",
                    too_big as f64 / 1e6,
                    win.w,
                    win.h,
                    win.send_w,
                    win.send_h
                )),
                ..b
            });
        }
    }
    Err(Error::Input(format!(
        "the request would be {:.1} MB, over the 6 MB payload limit of API Gateway and Lambda, even as JPEG, cropped and scaled: use a smaller image",
        too_big as f64 / 1e6
    )))
}
