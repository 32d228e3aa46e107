//! The stages between an `EditJob` and files: prepare the engine's input, then composite each
//! result back into the untouched source at its original resolution.

use std::sync::Arc;

use image::{DynamicImage, Rgb, RgbImage, Rgba, RgbaImage};
use rayon::prelude::*;

use crate::edit::job::Source;

use crate::edit::engine::{Generated, PreparedJob};
use crate::edit::job::EditJob;

/// Builds the engine's input: the source flattened to RGB and placed on the output canvas. For an
/// RGB source on a canvas of its own size (every inpainting of a JPEG) that is the source's own
/// buffer, shared: no copy of the image for any front end (144 MB saved for a 48 MP photo).
pub fn prepare(job: &EditJob) -> PreparedJob {
    let p = job.placement;
    let rgb = job.source.flat();
    let image = if p.is_identity(rgb.width(), rgb.height()) {
        rgb
    } else {
        let mut canvas = RgbImage::new(p.canvas_width, p.canvas_height);
        image::imageops::replace(&mut canvas, &*rgb, i64::from(p.x), i64::from(p.y));
        Arc::new(canvas)
    };
    prepared(job, image)
}

fn prepared(job: &EditJob, image: Arc<RgbImage>) -> PreparedJob {
    PreparedJob {
        image,
        mask: job.mask.0.clone(),
        mode: job.mode,
        prompt: job.prompt.clone(),
        negative: job.negative.clone(),
        mask_prompt: job.mask_prompt.clone(),
        search: job.search.clone(),
        seeds: job.seeds(),
        cfg_scale: job.cfg_scale,
        quality: job.quality,
        model: job.model,
        placement: job.placement,
        source_size: (job.source.width(), job.source.height()),
        tool: job.tool.clone(),
    }
}

fn blend(src: u8, res: u8, a: u8) -> u8 {
    let a = u32::from(a);
    ((u32::from(src) * (255 - a) + u32::from(res) * a + 127) / 255) as u8
}

/// Pastes a result into the source: pixels where the mask is 0 are bit-identical to the source;
/// where it is 255 they are the result's; in between they are blended. Alpha is kept outside the
/// mask and made opaque where the engine painted.
pub fn composite(job: &EditJob, result: &RgbImage) -> DynamicImage {
    let started = std::time::Instant::now();
    let out = composite_pixels(job, result);
    tracing::debug!(
        stage = "composite",
        ms = started.elapsed().as_secs_f64() * 1e3,
        "composited the result into the source"
    );
    out
}

fn composite_pixels(job: &EditJob, result: &RgbImage) -> DynamicImage {
    let p = job.placement;
    let mask = &job.mask.0;
    let (sw, sh) = (job.source.width(), job.source.height());
    if p.is_identity(sw, sh) && result.dimensions() == (sw, sh) && mask.dimensions() == (sw, sh) {
        return composite_in_place(job, result);
    }
    let inside = |x: u32, y: u32| -> Option<(u32, u32)> {
        (x >= p.x && y >= p.y && x < p.x + sw && y < p.y + sh).then(|| (x - p.x, y - p.y))
    };
    match &job.source {
        Source::Rgba(src) => {
            let mut out = RgbaImage::new(p.canvas_width, p.canvas_height);
            for (x, y, px) in out.enumerate_pixels_mut() {
                let a = mask.get_pixel(x, y).0[0];
                let r = result.get_pixel(x, y).0;
                *px = match inside(x, y) {
                    Some((sx, sy)) => {
                        let s = src.get_pixel(sx, sy).0;
                        if a == 0 {
                            Rgba(s)
                        } else {
                            Rgba([
                                blend(s[0], r[0], a),
                                blend(s[1], r[1], a),
                                blend(s[2], r[2], a),
                                blend(s[3], 255, a),
                            ])
                        }
                    }
                    None => Rgba([r[0], r[1], r[2], 255]),
                };
            }
            DynamicImage::ImageRgba8(out)
        }
        Source::Rgb(src) => {
            let mut out = RgbImage::new(p.canvas_width, p.canvas_height);
            for (x, y, px) in out.enumerate_pixels_mut() {
                let a = mask.get_pixel(x, y).0[0];
                let r = result.get_pixel(x, y).0;
                *px = match inside(x, y) {
                    Some((sx, sy)) => {
                        let s = src.get_pixel(sx, sy).0;
                        if a == 0 {
                            Rgb(s)
                        } else {
                            Rgb([
                                blend(s[0], r[0], a),
                                blend(s[1], r[1], a),
                                blend(s[2], r[2], a),
                            ])
                        }
                    }
                    None => Rgb(r),
                };
            }
            DynamicImage::ImageRgb8(out)
        }
    }
}

/// Composites a result the size of the source: the source copied, blended where the mask is set.
fn composite_in_place(job: &EditJob, result: &RgbImage) -> DynamicImage {
    // Inpainting: copy the source whole, then blend the masked pixels row by row (rows with
    // nothing selected cost one scan of the mask row).
    let m = job.mask.0.as_raw();
    let res = result.as_raw();
    let w = job.source.width() as usize;
    let rows = m
        .chunks_exact(w)
        .enumerate()
        .filter(|(_, r)| r.iter().any(|&a| a != 0));
    match &job.source {
        Source::Rgb(src) => {
            let mut out = (**src).clone();
            let buf: &mut [u8] = &mut out;
            for (y, mrow) in rows {
                for (x, &a) in mrow.iter().enumerate().filter(|(_, a)| **a != 0) {
                    let i = (y * w + x) * 3;
                    for c in 0..3 {
                        buf[i + c] = blend(buf[i + c], res[i + c], a);
                    }
                }
            }
            DynamicImage::ImageRgb8(out)
        }
        Source::Rgba(src) => {
            let mut out = (**src).clone();
            let buf: &mut [u8] = &mut out;
            for (y, mrow) in rows {
                for (x, &a) in mrow.iter().enumerate().filter(|(_, a)| **a != 0) {
                    let (i, j) = ((y * w + x) * 4, (y * w + x) * 3);
                    for c in 0..3 {
                        buf[i + c] = blend(buf[i + c], res[j + c], a);
                    }
                    buf[i + 3] = blend(buf[i + 3], 255, a);
                }
            }
            DynamicImage::ImageRgba8(out)
        }
    }
}

/// The images to write for an engine's output: each result composited into the source, or,
/// for modes whose result replaces the image (upscale, background removal), the results as made.
pub fn finish_output(job: &EditJob, out: &crate::edit::engine::EngineOutput) -> Vec<DynamicImage> {
    if job.mode.replaces_image() {
        return out.replacing.clone();
    }
    finish(job, &out.images)
}

/// Like [`finish_output`], taking the results out of `out` (their images are left empty; seeds,
/// calls and the rest stay) to composite each one in its own buffer where it can: an RGB source on
/// a canvas of its own size, as in inpainting a JPEG. Same pixels as [`finish_output`], without a
/// second full-size image per result (144 MB for a 48 MP photo).
pub fn finish_output_owned(
    job: &EditJob,
    out: &mut crate::edit::engine::EngineOutput,
) -> Vec<DynamicImage> {
    if job.mode.replaces_image() {
        return out.replacing.clone();
    }
    out.images
        .iter_mut()
        .map(|g| composite_owned(job, std::mem::replace(&mut g.image, RgbImage::new(0, 0))))
        .collect()
}

/// [`composite`] into `result`'s own buffer when the source is RGB and the canvas is the source
/// (bit-identical: each pixel is the source's where the mask is 0, the same blend elsewhere).
fn composite_owned(job: &EditJob, mut result: RgbImage) -> DynamicImage {
    let started = std::time::Instant::now();
    let mask = &job.mask.0;
    let (sw, sh) = (job.source.width(), job.source.height());
    let Source::Rgb(src) = &job.source else {
        return composite(job, &result);
    };
    if !job.placement.is_identity(sw, sh)
        || result.dimensions() != (sw, sh)
        || mask.dimensions() != (sw, sh)
    {
        return composite(job, &result);
    }
    let w = sw as usize;
    let buf: &mut [u8] = &mut result;
    // rows are independent: on every core (a 12 MP photo's 36 MB)
    buf.par_chunks_exact_mut(w * 3)
        .zip(src.as_raw().par_chunks_exact(w * 3))
        .zip(mask.as_raw().par_chunks_exact(w))
        .for_each(|((row, srow), mrow)| {
            if mrow.iter().all(|&a| a == 0) {
                row.copy_from_slice(srow);
                return;
            }
            for ((px, s), &a) in row.chunks_exact_mut(3).zip(srow.chunks_exact(3)).zip(mrow) {
                for c in 0..3 {
                    px[c] = if a == 0 { s[c] } else { blend(s[c], px[c], a) };
                }
            }
        });
    tracing::debug!(
        stage = "composite",
        ms = started.elapsed().as_secs_f64() * 1e3,
        "composited the result into the source"
    );
    DynamicImage::ImageRgb8(result)
}

/// Composites every result of a job.
pub fn finish(job: &EditJob, results: &[Generated]) -> Vec<DynamicImage> {
    results.iter().map(|g| composite(job, &g.image)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::job::{JobOptions, Selection};
    use crate::image_io::DecodeLimits;
    use crate::mask::Shape;

    fn job(source: DynamicImage, feather: Option<u32>) -> EditJob {
        options(feather).build(source, "t.png").unwrap()
    }

    fn options(feather: Option<u32>) -> JobOptions {
        JobOptions {
            selection: Selection {
                shapes: vec![Shape::parse_rect("2,2,3,3").unwrap()],
                feather,
                ..Default::default()
            },
            mode: None,
            canvas: None,
            prompt: None,
            negative: None,
            mask_prompt: None,
            search: None,
            num_images: 1,
            seed: 0,
            cfg_scale: None,
            quality: None,
            model: crate::edit::model::local(),
            limits: DecodeLimits::default(),
            tool: Default::default(),
        }
    }

    #[test]
    fn an_rgb_source_is_the_engines_input_without_a_copy() {
        let src = RgbImage::from_fn(9, 7, |x, y| Rgb([x as u8 * 20, y as u8 * 30, 7]));
        let shared = std::sync::Arc::new(src.clone());
        let j = job(DynamicImage::ImageRgb8(src.clone()), Some(1));
        let Source::Rgb(own) = &j.source else {
            panic!("an RGB source")
        };
        // the engine's input is the job's buffer itself, for a moved-in source and a shared one
        let p = prepare(&j);
        assert!(Arc::ptr_eq(&p.image, own));
        assert_eq!(*p.image, src);
        assert_eq!(p.source_size, (9, 7));
        let j2 = options(None)
            .build(Source::Rgb(Arc::clone(&shared)), "t.png")
            .unwrap();
        assert!(Arc::ptr_eq(&prepare(&j2).image, &shared));
        // the source is unchanged while and after the engine holds it; compositing reads it
        let res = RgbImage::from_pixel(9, 7, Rgb([255, 0, 255]));
        let out = composite(&j, &res).to_rgb8();
        assert_eq!(out.get_pixel(0, 0), src.get_pixel(0, 0));
        drop(p);
        assert_eq!(j.source, Source::Rgb(Arc::new(src)));
        // a source with alpha is flattened into a new buffer, and the job keeps its source
        let rgba = RgbaImage::from_pixel(9, 7, Rgba([10, 20, 30, 128]));
        let j = job(DynamicImage::ImageRgba8(rgba.clone()), None);
        let p = prepare(&j);
        assert_eq!(p.image.get_pixel(0, 0).0, [132, 137, 142]);
        assert_eq!(j.source, Source::Rgba(Arc::new(rgba)));
    }

    #[test]
    fn compositing_in_the_results_buffer_gives_the_same_pixels() {
        let src = RgbImage::from_fn(9, 7, |x, y| Rgb([x as u8 * 20, y as u8 * 30, 7]));
        let res = RgbImage::from_fn(9, 7, |x, y| Rgb([255, (x * y) as u8, 3]));
        let rgba = DynamicImage::ImageRgba8(RgbaImage::from_pixel(9, 7, Rgba([10, 20, 30, 128])));
        // feathered (values between 0 and 255), hard, and an RGBA source (the copying path)
        for j in [
            job(DynamicImage::ImageRgb8(src.clone()), Some(2)),
            job(DynamicImage::ImageRgb8(src.clone()), None),
            job(rgba, Some(1)),
        ] {
            let mut out = crate::edit::engine::EngineOutput {
                images: vec![Generated {
                    image: res.clone(),
                    seed: 5,
                }],
                ..Default::default()
            };
            let owned = finish_output_owned(&j, &mut out);
            assert_eq!(owned, vec![composite(&j, &res)]);
            assert_eq!(out.images[0].seed, 5);
        }
    }

    #[test]
    fn composite_changes_only_masked_pixels() {
        let src = RgbImage::from_fn(9, 7, |x, y| Rgb([x as u8 * 20, y as u8 * 30, 7]));
        let j = job(DynamicImage::ImageRgb8(src.clone()), Some(1));
        let res = RgbImage::from_pixel(9, 7, Rgb([255, 0, 255]));
        let out = composite(&j, &res).to_rgb8();
        for (x, y, p) in out.enumerate_pixels() {
            let a = j.mask.0.get_pixel(x, y).0[0];
            match a {
                0 => assert_eq!(p, src.get_pixel(x, y)),
                255 => assert_eq!(p.0, [255, 0, 255]),
                _ => assert_ne!(p, src.get_pixel(x, y)),
            }
        }
    }

    #[test]
    fn alpha_is_kept_outside_and_opaque_inside() {
        let src = RgbaImage::from_pixel(9, 7, Rgba([10, 20, 30, 40]));
        let j = job(DynamicImage::ImageRgba8(src), None);
        let out = composite(&j, &RgbImage::from_pixel(9, 7, Rgb([1, 2, 3]))).to_rgba8();
        assert_eq!(out.get_pixel(0, 0).0, [10, 20, 30, 40]);
        assert_eq!(out.get_pixel(3, 3).0, [1, 2, 3, 255]);
    }
}

/// The seam at a mask's edge after a Stability tool: the tool grows the mask by `grow_mask` and
/// blends that band (S-STAB); imgedit's composite must keep a band as wide, or it cuts a hard edge.
#[cfg(test)]
mod seam {
    use super::*;
    use crate::edit::job::{JobOptions, Selection};
    use crate::edit::options::ToolOptions;
    use crate::image_io::DecodeLimits;
    use crate::mask::{Mask, Shape};

    /// What the tool returns per the doc: its picture (a flat colour here) blended into the
    /// source through the mask grown by `grow` and blurred over `grow` pixels, grey = strength.
    fn tool_result(src: &RgbImage, sent_mask: &image::GrayImage, grow: u32) -> RgbImage {
        let mut m = Mask(sent_mask.clone());
        m.grow(grow);
        m.feather(grow);
        RgbImage::from_fn(src.width(), src.height(), |x, y| {
            let a = m.0.get_pixel(x, y).0[0];
            let s = src.get_pixel(x, y).0;
            Rgb([blend(s[0], 250, a), blend(s[1], 20, a), blend(s[2], 20, a)])
        })
    }

    /// The composited row y = 32 across the left edge of the selection (x = 24 .. 40), and the
    /// largest step between neighbours there.
    fn row_and_step(feather: Option<u32>) -> (Vec<u8>, u8) {
        let src = RgbImage::from_pixel(96, 64, Rgb([40, 90, 160]));
        let job = JobOptions {
            selection: Selection {
                shapes: vec![Shape::parse_rect("32,16,32,32").unwrap()],
                feather,
                ..Default::default()
            },
            mode: None,
            canvas: None,
            prompt: Some("red".into()),
            negative: None,
            mask_prompt: None,
            search: None,
            num_images: 1,
            seed: 1,
            cfg_scale: None,
            quality: None,
            model: crate::edit::model::find("us.stability.stable-image-inpaint-v1:0").unwrap(),
            limits: DecodeLimits::default(),
            tool: ToolOptions::default(),
        }
        .build(DynamicImage::ImageRgb8(src.clone()), "t.png")
        .unwrap();
        let grow = job.model.grow_mask.map_or(0, |g| g.1);
        let out = composite(&job, &tool_result(&src, &job.mask.0, grow)).to_rgb8();
        let row: Vec<u8> = (24..40).map(|x| out.get_pixel(x, 32).0[0]).collect();
        let step = row
            .windows(2)
            .map(|w| w[0].abs_diff(w[1]))
            .max()
            .unwrap_or(0);
        (row, step)
    }

    #[test]
    fn the_default_leaves_no_hard_edge_at_the_selection() {
        let (hard_row, hard) = row_and_step(Some(0));
        let (soft_row, soft) = row_and_step(None);
        eprintln!("red channel, x = 24..39 at y = 32 (selection starts at x = 32)");
        eprintln!(
            "  --feather 0 (composite restores the tool's band): {hard_row:?}, largest step {hard}"
        );
        eprintln!(
            "  default (band kept as wide as grow_mask 5):      {soft_row:?}, largest step {soft}"
        );
        assert!(hard >= 150, "{hard_row:?}");
        assert!(soft * 3 <= hard, "{soft_row:?}");
    }
}
