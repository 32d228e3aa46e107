//! Fitting an edit into a model's size limits: crop a window around the mask with padding (the
//! "only masked" strategy of inpainting UIs), scale only where that is still too large, and paste
//! the result back at full resolution.

use image::imageops::{self, FilterType};
use image::{GrayImage, RgbImage};

use crate::edit::job::Placement;
use crate::edit::model::ModelSpec;
use crate::error::Result;
use crate::error::input_err;

/// The part of the canvas sent to the model and the size it is sent at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub send_w: u32,
    pub send_h: u32,
}

impl Window {
    pub fn is_whole(&self, w: u32, h: u32) -> bool {
        self.x == 0 && self.y == 0 && self.w == w && self.h == h
    }

    pub fn is_scaled(&self) -> bool {
        (self.w, self.h) != (self.send_w, self.send_h)
    }
}

/// Grows the interval [lo, lo+len) to `target` length inside [0, max), keeping it centred.
fn widen(lo: u32, len: u32, target: u32, max: u32) -> (u32, u32) {
    let target = target.min(max);
    if len >= target {
        return (lo, len);
    }
    let extra = target - len;
    let mut start = lo.saturating_sub(extra / 2);
    if start + target > max {
        start = max - target;
    }
    (start, target)
}

/// Chooses the window for a canvas of `w` x `h` whose mask is `mask`.
pub fn choose(spec: &ModelSpec, mask: &GrayImage) -> Result<Window> {
    let (w, h) = mask.dimensions();
    let whole = Window {
        x: 0,
        y: 0,
        w,
        h,
        send_w: w,
        send_h: h,
    };
    let (mut x, mut y, mut ww, mut wh) = if spec.accepts_size(w, h) {
        return Ok(whole);
    } else {
        let (bx, by, bw, bh) = crate::mask::Mask(mask.clone())
            .bounding_box()
            .unwrap_or((0, 0, w, h));
        let pad = 32.max(bw.max(bh) / 4);
        let x0 = bx.saturating_sub(pad);
        let y0 = by.saturating_sub(pad);
        let x1 = (bx + bw + pad).min(w);
        let y1 = (by + bh + pad).min(h);
        (x0, y0, x1 - x0, y1 - y0)
    };
    // Meet the minimum side and the aspect ratio by widening the window where the canvas allows.
    let min_side = spec.min_side;
    (x, ww) = widen(x, ww, min_side, w);
    (y, wh) = widen(y, wh, min_side, h);
    if let Some(a) = spec.max_aspect {
        if f64::from(ww) > f64::from(a) * f64::from(wh) {
            let t = (f64::from(ww) / f64::from(a)).ceil() as u32;
            (y, wh) = widen(y, wh, t, h);
        } else if f64::from(wh) > f64::from(a) * f64::from(ww) {
            let t = (f64::from(wh) / f64::from(a)).ceil() as u32;
            (x, ww) = widen(x, ww, t, w);
        }
    }
    let pixels = f64::from(ww) * f64::from(wh);
    if pixels < spec.min_pixels as f64 {
        let s = (spec.min_pixels as f64 / pixels).sqrt();
        (x, ww) = widen(x, ww, (f64::from(ww) * s).ceil() as u32, w);
        (y, wh) = widen(y, wh, (f64::from(wh) * s).ceil() as u32, h);
    }
    // Scale what is still too large (or too small).
    let mut s: f64 = 1.0;
    if let Some(m) = spec.max_side {
        s = s.min(f64::from(m) / f64::from(ww.max(wh)));
    }
    if let Some(m) = spec.max_pixels {
        s = s.min((m as f64 / (f64::from(ww) * f64::from(wh))).sqrt());
    }
    if s >= 1.0 && ww.min(wh) < min_side {
        s = f64::from(min_side) / f64::from(ww.min(wh));
    }
    let (send_w, send_h) = if (s - 1.0).abs() < f64::EPSILON {
        (ww, wh)
    } else {
        (
            ((f64::from(ww) * s).floor() as u32).max(1),
            ((f64::from(wh) * s).floor() as u32).max(1),
        )
    };
    let win = Window {
        x,
        y,
        w: ww,
        h: wh,
        send_w,
        send_h,
    };
    if !spec.accepts_size(send_w, send_h) {
        return Err(input_err!(
            "{}: cannot fit a {w}x{h} image into the model's limits (min side {}, max side {}, pixels {}..{}, aspect up to {}); tried {}x{}",
            spec.id,
            spec.min_side,
            spec.max_side.map_or("none".to_string(), |v| v.to_string()),
            spec.min_pixels,
            spec.max_pixels.map_or("any".to_string(), |v| v.to_string()),
            spec.max_aspect
                .map_or("any".to_string(), |v| format!("{v}:1")),
            send_w,
            send_h
        ));
    }
    Ok(win)
}

/// How a Stability outpaint is sent: the original, scaled by `scale`, and the border widths in
/// pixels of the image sent. The tool's size limits apply to that input image, not the canvas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outpaint {
    pub input_w: u32,
    pub input_h: u32,
    pub left: u32,
    pub right: u32,
    pub up: u32,
    pub down: u32,
    pub scale: f64,
}

impl Outpaint {
    /// The whole canvas as a window: the result comes back at the scaled canvas size.
    pub fn window(&self, p: &Placement) -> Window {
        Window {
            x: 0,
            y: 0,
            w: p.canvas_width,
            h: p.canvas_height,
            send_w: self.input_w + self.left + self.right,
            send_h: self.input_h + self.up + self.down,
        }
    }
}

/// Plans an outpaint of a `source` image placed at `p`: scales it down until it meets the input
/// limits and each side's extension fits `max_extend`, or up to the minimum side; refuses with the
/// numbers when no scale works (an aspect ratio beyond the limit, for example).
pub fn outpaint(spec: &ModelSpec, p: &Placement, source: (u32, u32)) -> Result<Outpaint> {
    let (sw, sh) = source;
    let ext = [
        p.x,
        p.canvas_width.saturating_sub(p.x + sw),
        p.y,
        p.canvas_height.saturating_sub(p.y + sh),
    ];
    let widest = ext.iter().copied().max().unwrap_or(0);
    if widest == 0 {
        return Err(input_err!(
            "{}: outpainting needs a larger canvas (--extend or --canvas)",
            spec.id
        ));
    }
    let (long, short) = (sw.max(sh), sw.min(sh));
    if let Some(a) = spec.max_aspect
        && f64::from(long) > f64::from(a) * f64::from(short)
    {
        return Err(input_err!(
            "{}: the image to extend is {sw}x{sh} (aspect {:.2}:1); the tool accepts input images from 1:{a} to {a}:1 (the canvas may be wider)",
            spec.id,
            f64::from(long) / f64::from(short)
        ));
    }
    let pixels = f64::from(sw) * f64::from(sh);
    let mut s: f64 = 1.0;
    if let Some(m) = spec.max_pixels {
        s = s.min((m as f64 / pixels).sqrt());
    }
    if let Some(m) = spec.max_extend {
        s = s.min(f64::from(m) / f64::from(widest));
    }
    if f64::from(short) * s < f64::from(spec.min_side) {
        if s < 1.0 {
            return Err(input_err!(
                "{}: extending {sw}x{sh} by {widest} px needs scaling to {:.0}% (each side at most {} px), which leaves the image under {} px a side; extend by less",
                spec.id,
                s * 100.0,
                spec.max_extend.unwrap_or(u32::MAX),
                spec.min_side
            ));
        }
        s = f64::from(spec.min_side) / f64::from(short);
    }
    let sized = |v: u32| {
        if s < 1.0 {
            (f64::from(v) * s).floor() as u32
        } else {
            (f64::from(v) * s - 1e-6).ceil() as u32
        }
    };
    let side = |v: u32| {
        let e = (f64::from(v) * s).round() as u32;
        spec.max_extend.map_or(e, |m| e.min(m))
    };
    let plan = Outpaint {
        input_w: sized(sw).max(1),
        input_h: sized(sh).max(1),
        left: side(ext[0]),
        right: side(ext[1]),
        up: side(ext[2]),
        down: side(ext[3]),
        scale: s,
    };
    let too_wide = spec.max_extend.is_some_and(|m| {
        [plan.left, plan.right, plan.up, plan.down]
            .iter()
            .any(|&e| e > m)
    });
    if !spec.accepts_size(plan.input_w, plan.input_h) || too_wide {
        return Err(input_err!(
            "{}: cannot fit the outpaint of {sw}x{sh} into the tool's limits (input sides >= {} px, pixels <= {}, each extension <= {} px); tried {}x{} extended by {},{},{},{} (left, right, up, down)",
            spec.id,
            spec.min_side,
            spec.max_pixels.map_or("any".to_string(), |v| v.to_string()),
            spec.max_extend.map_or("any".to_string(), |v| v.to_string()),
            plan.input_w,
            plan.input_h,
            plan.left,
            plan.right,
            plan.up,
            plan.down
        ));
    }
    if plan.left + plan.right + plan.up + plan.down == 0 {
        return Err(input_err!(
            "{}: the extension of {sw}x{sh} rounds to 0 px after scaling to {:.0}%; extend by more",
            spec.id,
            s * 100.0
        ));
    }
    Ok(plan)
}

/// The image and mask inside the window, at the size they are sent.
pub fn crop(win: &Window, image: &RgbImage, mask: &GrayImage) -> (RgbImage, GrayImage) {
    let img = imageops::crop_imm(image, win.x, win.y, win.w, win.h).to_image();
    let m = imageops::crop_imm(mask, win.x, win.y, win.w, win.h).to_image();
    if !win.is_scaled() {
        return (img, m);
    }
    let img = imageops::resize(&img, win.send_w, win.send_h, FilterType::Lanczos3);
    // A hard mask stays hard: any covered pixel stays "generate" after scaling, so the model
    // regenerates the whole hole. A soft (feathered) mask keeps its grey levels.
    let hard = m.iter().all(|&v| v == 0 || v == 255);
    let mut m = imageops::resize(&m, win.send_w, win.send_h, FilterType::Triangle);
    if hard {
        for v in m.iter_mut() {
            *v = if *v > 0 { 255 } else { 0 };
        }
    }
    (img, m)
}

/// Puts a model result for the window back onto a copy of the full canvas.
pub fn paste_back(win: &Window, canvas: &RgbImage, result: &RgbImage) -> RgbImage {
    let mut out = canvas.clone();
    let fitted;
    let result = if result.dimensions() != (win.w, win.h) {
        fitted = imageops::resize(result, win.w, win.h, FilterType::Lanczos3);
        &fitted
    } else {
        result
    };
    imageops::replace(&mut out, result, i64::from(win.x), i64::from(win.y));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::model;

    fn mask_with_box(w: u32, h: u32, x: u32, y: u32, s: u32) -> GrayImage {
        GrayImage::from_fn(w, h, |px, py| {
            image::Luma([if px >= x && px < x + s && py >= y && py < y + s {
                255
            } else {
                0
            }])
        })
    }

    #[test]
    fn small_images_are_sent_whole() {
        let spec = model::find("amazon.titan-image-generator-v2:0").unwrap();
        let win = choose(spec, &mask_with_box(800, 600, 10, 10, 20)).unwrap();
        assert!(win.is_whole(800, 600) && !win.is_scaled());
    }

    #[test]
    fn a_large_photo_sends_a_window_around_the_mask_unscaled() {
        let spec = model::find("amazon.titan-image-generator-v2:0").unwrap();
        let win = choose(spec, &mask_with_box(6000, 4000, 3000, 2000, 100)).unwrap();
        assert!(!win.is_scaled(), "{win:?}");
        assert!(win.x <= 3000 && win.x + win.w >= 3100 && win.y <= 2000 && win.y + win.h >= 2100);
        assert!(spec.accepts_size(win.send_w, win.send_h));
    }

    #[test]
    fn a_mask_larger_than_the_limit_is_scaled() {
        let spec = model::find("amazon.titan-image-generator-v2:0").unwrap();
        let win = choose(spec, &mask_with_box(6000, 4000, 500, 500, 3000)).unwrap();
        assert!(win.is_scaled());
        assert!(win.send_w.max(win.send_h) <= 1408);
        assert!(win.x <= 500 && win.x + win.w >= 3500);
    }

    #[test]
    fn nova_minimum_side_and_aspect_are_met() {
        let spec = model::find("amazon.nova-canvas-v1:0").unwrap();
        // a long thin strip near the edge of a big image
        let win = choose(spec, &mask_with_box(5000, 5000, 0, 0, 40)).unwrap();
        assert!(spec.accepts_size(win.send_w, win.send_h), "{win:?}");
        // an image smaller than the minimum side is scaled up
        let win = choose(spec, &mask_with_box(200, 200, 50, 50, 20)).unwrap();
        assert!(win.send_w >= 320 && win.send_h >= 320, "{win:?}");
    }

    #[test]
    fn paste_back_restores_the_full_canvas() {
        let canvas = RgbImage::from_pixel(100, 80, image::Rgb([1, 2, 3]));
        let win = Window {
            x: 10,
            y: 20,
            w: 30,
            h: 20,
            send_w: 15,
            send_h: 10,
        };
        let out = paste_back(
            &win,
            &canvas,
            &RgbImage::from_pixel(15, 10, image::Rgb([9, 9, 9])),
        );
        assert_eq!(out.dimensions(), (100, 80));
        assert_eq!(out.get_pixel(0, 0).0, [1, 2, 3]);
        assert_eq!(out.get_pixel(25, 30).0, [9, 9, 9]);
    }

    /// The audit's three examples (bedrock-2026.md, M3).
    #[test]
    fn outpaint_limits_apply_to_the_input_and_each_side() {
        let spec = model::find("us.stability.stable-outpaint-v1:0").unwrap();
        let place = |w: u32, h: u32, l: u32, t: u32, r: u32, b: u32| Placement {
            canvas_width: w + l + r,
            canvas_height: h + t + b,
            x: l,
            y: t,
        };
        // 4000x3000 extended right by 1000: 12 MP input is scaled under 9,437,184 px and
        // the extension is measured from the image sent
        let p = place(4000, 3000, 0, 0, 1000, 0);
        let o = outpaint(spec, &p, (4000, 3000)).unwrap();
        assert!(
            u64::from(o.input_w) * u64::from(o.input_h) <= 9_437_184,
            "{o:?}"
        );
        assert!(
            o.input_w >= 3500 && (o.left, o.up, o.down) == (0, 0, 0),
            "{o:?}"
        );
        assert_eq!(o.right, (1000.0 * o.scale).round() as u32);
        let win = o.window(&p);
        assert_eq!((win.w, win.h), (5000, 3000));
        assert_eq!(win.send_w, o.input_w + o.right);
        // 1000x1000 to 3000x1000: the canvas's aspect 3 is fine, the input is 1000x1000
        let p = place(1000, 1000, 0, 0, 2000, 0);
        let o = outpaint(spec, &p, (1000, 1000)).unwrap();
        assert_eq!(
            (o.input_w, o.input_h, o.right, o.scale),
            (1000, 1000, 2000, 1.0)
        );
        // 2000x2000 extended left by 2500: scaled so the extension is 2000
        let p = place(2000, 2000, 2500, 0, 0, 0);
        let o = outpaint(spec, &p, (2000, 2000)).unwrap();
        assert_eq!(
            (o.input_w, o.input_h, o.left, o.right),
            (1600, 1600, 2000, 0)
        );
        // a tiny original is scaled up to the minimum side
        let p = place(50, 50, 0, 0, 50, 0);
        let o = outpaint(spec, &p, (50, 50)).unwrap();
        assert_eq!((o.input_w, o.input_h, o.right), (64, 64, 64));
        // an input beyond the aspect limit is refused with the numbers
        let e = outpaint(spec, &place(3000, 1000, 0, 0, 100, 0), (3000, 1000))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("3000x1000") && e.contains("3.00:1") && e.contains("2.5:1"),
            "{e}"
        );
        // an extension that would shrink the input under 64 px is refused
        let e = outpaint(spec, &place(100, 100, 0, 0, 5000, 0), (100, 100))
            .unwrap_err()
            .to_string();
        assert!(e.contains("5000 px") && e.contains("64 px"), "{e}");
    }
}
