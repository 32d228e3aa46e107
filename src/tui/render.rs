//! Turning the model into terminal images: compose the visible pixels (image, mask overlay, tool
//! preview) exactly as the viewport maps them, then encode for the protocol. Runs off the UI task.

use std::sync::Arc;
use std::time::Instant;

use image::{DynamicImage, Rgb, RgbImage};
use ratatui::layout::Size;
use ratatui_image::Resize;
use ratatui_image::picker::{Picker, ProtocolType};
use ratatui_image::protocol::Protocol;
use ratatui_image::protocol::halfblocks::Halfblocks;

use crate::mask::Mask;

use super::viewport::Viewport;

/// A result as the screen shows it: transparency (a removed background) on a checkerboard, as
/// the outpaint canvas's border is; an image without alpha as it is.
pub fn on_checkerboard(image: &image::DynamicImage) -> image::RgbImage {
    let rgba = match image {
        image::DynamicImage::ImageRgb8(rgb) => return rgb.clone(),
        image::DynamicImage::ImageRgba8(rgba) => std::borrow::Cow::Borrowed(rgba),
        other if !other.color().has_alpha() => return other.to_rgb8(),
        other => std::borrow::Cow::Owned(other.to_rgba8()),
    };
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let dark = ((x / 8) + (y / 8)) % 2 == 0;
        let bg: [u8; 3] = if dark { [70, 70, 78] } else { [110, 110, 120] };
        let a = u32::from(p[3]);
        let mix = |c: u8, b: u8| ((u32::from(c) * a + u32::from(b) * (255 - a) + 127) / 255) as u8;
        Rgb([mix(p[0], bg[0]), mix(p[1], bg[1]), mix(p[2], bg[2])])
    })
}

/// Where an encoded image goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    Canvas,
    Thumb(u64),
}

/// An encoded image for one slot; `generation` tells stale ones apart.
pub struct Encoded {
    pub slot: Slot,
    pub generation: u64,
    pub protocol: Result<Protocol, String>,
    pub micros: u64,
}

impl std::fmt::Debug for Encoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoded")
            .field("slot", &self.slot)
            .field("generation", &self.generation)
            .field("ok", &self.protocol.is_ok())
            .field("micros", &self.micros)
            .finish()
    }
}

/// The tool's preview drawn into the pixels, in canvas pixel coordinates.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Preview {
    #[default]
    None,
    /// Inclusive pixel bounds.
    Rect {
        x0: i64,
        y0: i64,
        x1: i64,
        y1: i64,
    },
    Ellipse {
        cx: f64,
        cy: f64,
        rx: f64,
        ry: f64,
    },
    /// Vertices so far and the point under the mouse.
    Polygon {
        points: Vec<(f64, f64)>,
        cursor: Option<(f64, f64)>,
    },
    /// The brush outline: centre and radius.
    Brush {
        x: f64,
        y: f64,
        r: f64,
    },
}

/// Everything needed to draw the canvas, captured from the model.
#[derive(Debug, Clone)]
pub struct CanvasRequest {
    pub generation: u64,
    /// The image shown and where it sits on the canvas.
    pub base: Arc<RgbImage>,
    pub base_offset: (u32, u32),
    /// The canvas size (the base plus outpainting borders).
    pub canvas: (u32, u32),
    /// The mask, placed like the base; None = no overlay.
    pub mask: Option<Arc<Mask>>,
    /// Show the mask alone, in black (keep) and white (change), instead of tinting the base.
    pub mask_only: bool,
    pub preview: Preview,
    pub view: Viewport,
}

/// A results-strip thumbnail to encode.
#[derive(Debug, Clone)]
pub struct ThumbRequest {
    pub id: u64,
    pub image: Arc<RgbImage>,
    pub cols: u16,
    pub rows: u16,
    pub cell: (u32, u32),
}

const BACKGROUND: [u8; 3] = [24, 24, 28];
const MASK_TINT: ([u8; 3], f32) = ([255, 40, 60], 0.5);
const PREVIEW_TINT: ([u8; 3], f32) = ([255, 220, 40], 0.45);
const LINE: [u8; 3] = [255, 230, 60];

fn mix(a: [u8; 3], b: [u8; 3], t: f32) -> [u8; 3] {
    let f = |x: u8, y: u8| (f32::from(x) * (1.0 - t) + f32::from(y) * t).round() as u8;
    [f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2])]
}

/// The pixels of the canvas area: `cols * cell_w` by `rows * cell_h`.
pub fn compose(req: &CanvasRequest) -> RgbImage {
    let v = &req.view;
    let (sw, sh) = v.screen_size();
    let xmap: Vec<i64> = (0..sw).map(|sx| v.screen_to_pixel(sx, 0).0).collect();
    let ymap: Vec<i64> = (0..sh).map(|sy| v.screen_to_pixel(0, sy).1).collect();
    let (cw, ch) = (i64::from(req.canvas.0), i64::from(req.canvas.1));
    let (bx, by) = (i64::from(req.base_offset.0), i64::from(req.base_offset.1));
    let (bw, bh) = (i64::from(req.base.width()), i64::from(req.base.height()));
    // zoomed out, a screen pixel covers several image pixels: it shows their average, so that a
    // thin line stays visible and a lone bright pixel does not become a block
    let spans = |n: u32, origin: f64| -> Vec<(i64, i64)> {
        (0..n)
            .map(|s| {
                let a = (origin + f64::from(s) / v.zoom).floor() as i64;
                let b = (origin + f64::from(s + 1) / v.zoom).floor() as i64;
                (a, b.max(a + 1))
            })
            .collect()
    };
    let area = v.zoom < 1.0;
    let (xspan, yspan) = if area {
        (spans(sw, v.origin_x), spans(sh, v.origin_y))
    } else {
        (Vec::new(), Vec::new())
    };
    let mut out = RgbImage::new(sw, sh);
    for (sy, &iy) in ymap.iter().enumerate() {
        for (sx, &ix) in xmap.iter().enumerate() {
            let mut c = BACKGROUND;
            if ix >= 0 && iy >= 0 && ix < cw && iy < ch {
                let (u, w) = (ix - bx, iy - by);
                if u >= 0 && w >= 0 && u < bw && w < bh {
                    let averaged = if area {
                        let ((x0, x1), (y0, y1)) = (xspan[sx], yspan[sy]);
                        average(req, (x0 - bx, x1 - bx), (y0 - by, y1 - by))
                    } else {
                        None
                    };
                    let (base, alpha) = averaged.unwrap_or_else(|| {
                        let a = req
                            .mask
                            .as_ref()
                            .map_or(0, |m| m.0.get_pixel(u as u32, w as u32).0[0]);
                        (req.base.get_pixel(u as u32, w as u32).0, a)
                    });
                    c = base;
                    if req.mask.is_some() {
                        let a = alpha;
                        if req.mask_only {
                            c = [a; 3];
                        } else if a > 0 {
                            c = mix(c, MASK_TINT.0, MASK_TINT.1 * f32::from(a) / 255.0);
                        }
                    }
                } else {
                    // Outpainting border: a checkerboard says "to be generated".
                    let dark = ((ix / 8) + (iy / 8)) % 2 == 0;
                    c = if dark { [70, 70, 78] } else { [110, 110, 120] };
                }
                if inside_preview(&req.preview, ix, iy) {
                    c = mix(c, PREVIEW_TINT.0, PREVIEW_TINT.1);
                }
            }
            out.put_pixel(sx as u32, sy as u32, Rgb(c));
        }
    }
    draw_outlines(&mut out, req);
    out
}

/// The mean colour of the base, and mean mask value, over base pixels `xs` x `ys` (half-open);
/// None when the box is not wholly inside the base (its edge is drawn point by point).
fn average(req: &CanvasRequest, xs: (i64, i64), ys: (i64, i64)) -> Option<([u8; 3], u8)> {
    let (bw, bh) = (i64::from(req.base.width()), i64::from(req.base.height()));
    if xs.0 < 0 || ys.0 < 0 || xs.1 > bw || ys.1 > bh || xs.0 >= xs.1 || ys.0 >= ys.1 {
        return None;
    }
    let (mut sum, mut alpha) = ([0u64; 3], 0u64);
    let raw = req.base.as_raw();
    let mask = req.mask.as_ref().map(|m| m.0.as_raw());
    for y in ys.0..ys.1 {
        let row = (y * bw) as usize;
        for x in xs.0..xs.1 {
            let i = row + x as usize;
            for (s, v) in sum.iter_mut().zip(&raw[i * 3..i * 3 + 3]) {
                *s += u64::from(*v);
            }
            if let Some(m) = mask {
                alpha += u64::from(m[i]);
            }
        }
    }
    let n = ((xs.1 - xs.0) * (ys.1 - ys.0)) as u64;
    let mean = |s: u64| ((s + n / 2) / n) as u8;
    Some(([mean(sum[0]), mean(sum[1]), mean(sum[2])], mean(alpha)))
}

fn inside_preview(p: &Preview, ix: i64, iy: i64) -> bool {
    match *p {
        Preview::Rect { x0, y0, x1, y1 } => ix >= x0 && ix <= x1 && iy >= y0 && iy <= y1,
        Preview::Ellipse { cx, cy, rx, ry } => {
            let dx = (ix as f64 + 0.5 - cx) / rx;
            let dy = (iy as f64 + 0.5 - cy) / ry;
            rx > 0.0 && ry > 0.0 && dx * dx + dy * dy <= 1.0
        }
        _ => false,
    }
}

fn draw_outlines(out: &mut RgbImage, req: &CanvasRequest) {
    let v = &req.view;
    match &req.preview {
        Preview::Polygon { points, cursor } => {
            let pts: Vec<(f64, f64)> = points
                .iter()
                .map(|&(x, y)| v.image_to_screen(x, y))
                .collect();
            for w in pts.windows(2) {
                line(out, w[0], w[1]);
            }
            if let (Some(last), Some(c)) = (pts.last(), cursor) {
                line(out, *last, v.image_to_screen(c.0, c.1));
            }
            for p in &pts {
                let r = f64::from(v.cell_w.max(v.cell_h)) / 2.0;
                for dy in -(r as i64)..=(r as i64) {
                    for dx in -(r as i64)..=(r as i64) {
                        put(out, p.0 + dx as f64, p.1 + dy as f64, LINE);
                    }
                }
            }
        }
        Preview::Brush { x, y, r } => {
            let (cx, cy) = v.image_to_screen(*x, *y);
            let rs = (r * v.zoom).max(1.0);
            let steps = (rs * 8.0).max(16.0) as usize;
            for i in 0..steps {
                let t = i as f64 / steps as f64 * std::f64::consts::TAU;
                put(out, cx + rs * t.cos(), cy + rs * t.sin(), [255, 255, 255]);
            }
        }
        _ => {}
    }
}

fn put(out: &mut RgbImage, x: f64, y: f64, c: [u8; 3]) {
    if x >= 0.0 && y >= 0.0 && (x as u32) < out.width() && (y as u32) < out.height() {
        out.put_pixel(x as u32, y as u32, Rgb(c));
    }
}

fn line(out: &mut RgbImage, a: (f64, f64), b: (f64, f64)) {
    let n = (b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil().max(1.0) as usize;
    for i in 0..=n {
        let t = i as f64 / n as f64;
        put(out, a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t, LINE);
    }
}

/// Encodes pixels that fill exactly `cols x rows` cells.
pub fn to_protocol(
    img: RgbImage,
    cols: u16,
    rows: u16,
    picker: &Picker,
) -> Result<Protocol, String> {
    let size = Size::new(cols, rows);
    let img = DynamicImage::ImageRgb8(img);
    match picker.protocol_type() {
        ProtocolType::Halfblocks => Halfblocks::new(img, size)
            .map(Protocol::Halfblocks)
            .map_err(|e| e.to_string()),
        _ => picker
            .new_protocol(img, size, Resize::Fit(None))
            .map_err(|e| e.to_string()),
    }
}

/// Composes and encodes the canvas.
pub fn encode_canvas(req: &CanvasRequest, picker: &Picker) -> Encoded {
    let t = Instant::now();
    let img = compose(req);
    let protocol = to_protocol(img, req.view.area.width, req.view.area.height, picker);
    Encoded {
        slot: Slot::Canvas,
        generation: req.generation,
        protocol,
        micros: t.elapsed().as_micros() as u64,
    }
}

/// Scales a result into its thumbnail cells (letterboxed) and encodes it.
pub fn encode_thumb(req: &ThumbRequest, picker: &Picker) -> Encoded {
    let t = Instant::now();
    let (w, h) = (
        u32::from(req.cols) * req.cell.0,
        u32::from(req.rows) * req.cell.1,
    );
    let (iw, ih) = (req.image.width().max(1), req.image.height().max(1));
    let scale = (w as f64 / iw as f64).min(h as f64 / ih as f64);
    let (tw, th) = (
        ((iw as f64 * scale).round() as u32).clamp(1, w.max(1)),
        ((ih as f64 * scale).round() as u32).clamp(1, h.max(1)),
    );
    let small = image::imageops::thumbnail(&*req.image, tw, th);
    let mut out = RgbImage::from_pixel(w.max(1), h.max(1), Rgb(BACKGROUND));
    image::imageops::replace(
        &mut out,
        &small,
        i64::from((w - tw) / 2),
        i64::from((h - th) / 2),
    );
    Encoded {
        slot: Slot::Thumb(req.id),
        generation: 0,
        protocol: to_protocol(out, req.cols, req.rows, picker),
        micros: t.elapsed().as_micros() as u64,
    }
}
