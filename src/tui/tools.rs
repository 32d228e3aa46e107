//! What the drawing tools do to the mask, in canvas pixel coordinates (the source sits at
//! `offset` on the canvas while outpainting).

use image::Luma;

use crate::mask::{Mask, Shape};

use super::render::Preview;

/// Inclusive pixel bounds of a drag from `a` to `b`.
pub fn drag_bounds(a: (f64, f64), b: (f64, f64)) -> (i64, i64, i64, i64) {
    let (x0, x1) = (a.0.min(b.0).floor() as i64, a.0.max(b.0).floor() as i64);
    let (y0, y1) = (a.1.min(b.1).floor() as i64, a.1.max(b.1).floor() as i64);
    (x0, y0, x1, y1)
}

/// The rectangle a drag selects, in source coordinates.
pub fn rect_shape(a: (f64, f64), b: (f64, f64), offset: (u32, u32)) -> Shape {
    let (x0, y0, x1, y1) = drag_bounds(a, b);
    Shape::Rect {
        x: x0 - i64::from(offset.0),
        y: y0 - i64::from(offset.1),
        w: (x1 - x0 + 1) as u32,
        h: (y1 - y0 + 1) as u32,
    }
}

/// The ellipse inscribed in a drag's bounds: (cx, cy, rx, ry) in canvas coordinates.
pub fn ellipse_of(a: (f64, f64), b: (f64, f64)) -> (f64, f64, f64, f64) {
    let (x0, y0, x1, y1) = drag_bounds(a, b);
    let (x0, y0, x1, y1) = (x0 as f64, y0 as f64, (x1 + 1) as f64, (y1 + 1) as f64);
    (
        (x0 + x1) / 2.0,
        (y0 + y1) / 2.0,
        (x1 - x0) / 2.0,
        (y1 - y0) / 2.0,
    )
}

/// The ellipse a drag selects, in source coordinates.
pub fn ellipse_shape(a: (f64, f64), b: (f64, f64), offset: (u32, u32)) -> Shape {
    let (cx, cy, rx, ry) = ellipse_of(a, b);
    Shape::Ellipse {
        cx: cx - f64::from(offset.0),
        cy: cy - f64::from(offset.1),
        rx,
        ry,
    }
}

/// A polygon from canvas vertices, in source coordinates.
pub fn polygon_shape(points: &[(f64, f64)], offset: (u32, u32)) -> Shape {
    Shape::Polygon(
        points
            .iter()
            .map(|&(x, y)| (x - f64::from(offset.0), y - f64::from(offset.1)))
            .collect(),
    )
}

/// The preview of a rectangle or ellipse drag.
pub fn drag_preview(ellipse: bool, a: (f64, f64), b: (f64, f64)) -> Preview {
    if ellipse {
        let (cx, cy, rx, ry) = ellipse_of(a, b);
        Preview::Ellipse { cx, cy, rx, ry }
    } else {
        let (x0, y0, x1, y1) = drag_bounds(a, b);
        Preview::Rect { x0, y0, x1, y1 }
    }
}

/// Paints (or erases) a round brush of `diameter` along the segment `a`..`b` (canvas coords).
pub fn stroke(
    mask: &mut Mask,
    a: (f64, f64),
    b: (f64, f64),
    diameter: u32,
    offset: (u32, u32),
    erase: bool,
) {
    let r = f64::from(diameter.max(1)) / 2.0;
    let (ox, oy) = (f64::from(offset.0), f64::from(offset.1));
    let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    let steps = (len / (r / 2.0).max(0.5)).ceil().max(1.0) as usize;
    for i in 0..=steps {
        let t = i as f64 / steps as f64;
        stamp(
            mask,
            a.0 + (b.0 - a.0) * t - ox,
            a.1 + (b.1 - a.1) * t - oy,
            r,
            erase,
        );
    }
}

fn stamp(mask: &mut Mask, cx: f64, cy: f64, r: f64, erase: bool) {
    let (w, h) = (i64::from(mask.width()), i64::from(mask.height()));
    let value = Luma([if erase { 0 } else { 255 }]);
    let (y0, y1) = (
        ((cy - r).floor() as i64).max(0),
        ((cy + r).ceil() as i64).min(h),
    );
    let (x0, x1) = (
        ((cx - r).floor() as i64).max(0),
        ((cx + r).ceil() as i64).min(w),
    );
    for y in y0..y1 {
        for x in x0..x1 {
            let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
            if dx * dx + dy * dy <= r * r {
                mask.0.put_pixel(x as u32, y as u32, value);
            }
        }
    }
}
