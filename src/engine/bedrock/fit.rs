//! Fitting an edit into a model's size limits: crop a window around the mask with padding (the
//! "only masked" strategy of inpainting UIs), scale only where that is still too large, and paste
//! the result back at full resolution.

use image::imageops::{self, FilterType};
use image::{GrayImage, RgbImage};

use crate::error::Result;
use crate::input_err;
use crate::model::ModelSpec;

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

/// The image and mask inside the window, at the size they are sent.
pub fn crop(win: &Window, image: &RgbImage, mask: &GrayImage) -> (RgbImage, GrayImage) {
    let img = imageops::crop_imm(image, win.x, win.y, win.w, win.h).to_image();
    let m = imageops::crop_imm(mask, win.x, win.y, win.w, win.h).to_image();
    if !win.is_scaled() {
        return (img, m);
    }
    let img = imageops::resize(&img, win.send_w, win.send_h, FilterType::Lanczos3);
    // Any covered pixel stays "generate" after scaling, so the model regenerates the whole hole.
    let mut m = imageops::resize(&m, win.send_w, win.send_h, FilterType::Triangle);
    for v in m.iter_mut() {
        *v = if *v > 0 { 255 } else { 0 };
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
    use crate::model;

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
}
