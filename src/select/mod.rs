//! Selecting by pointing, with no model weights: the object inside a rectangle (a graph cut on
//! colour models, the GrabCut family) and the colour region around a point (a magic wand).
//! Both answer a [`Mask`] the size of the image, 255 = selected (may change).
//!
//! SKELETON: the public API the CLI and the TUI build against; the bodies are being written
//! (issue 26). Callers check points and rectangles against the image before calling.

use image::RgbImage;

use crate::mask::Mask;

/// A rectangle in image pixels (x, y of the top-left corner, width, height), inside the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Strokes a user drew to correct an object selection: pixels marked "this is the object" and
/// "this is background" (each a mask the size of the image, > 0 = marked), or none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints<'a> {
    pub object: Option<&'a Mask>,
    pub background: Option<&'a Mask>,
}

/// The wand's tolerance when none is given: a distance in CIE Lab (Delta E 76).
pub const DEFAULT_TOLERANCE: f32 = 12.0;
/// The largest tolerance accepted.
pub const MAX_TOLERANCE: f32 = 100.0;

/// The object inside `rect`: pixels outside the rectangle are never selected.
pub fn object(image: &RgbImage, rect: Rect, hints: Hints<'_>) -> Mask {
    let _ = hints;
    let mut mask = Mask::new(image.width(), image.height());
    for y in rect.y..(rect.y + rect.h).min(image.height()) {
        for x in rect.x..(rect.x + rect.w).min(image.width()) {
            mask.0.put_pixel(x, y, image::Luma([255]));
        }
    }
    mask
}

/// The pixels whose colour is within `tolerance` of the colour at (x, y): only the region
/// connected to the point when `contiguous`, else every such pixel of the image.
pub fn wand(image: &RgbImage, x: u32, y: u32, tolerance: f32, contiguous: bool) -> Mask {
    let _ = (tolerance, contiguous);
    let mut mask = Mask::new(image.width(), image.height());
    if x < image.width() && y < image.height() {
        mask.0.put_pixel(x, y, image::Luma([255]));
    }
    mask
}
