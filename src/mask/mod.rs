//! `Mask`: one byte per pixel, 255 = the engine may change it, 0 = keep. The only convention inside
//! imgedit; model polarities are converted at the engine boundary.

mod file;
mod ops;
mod shapes;

pub use file::{is_hard, load_mask_bytes, load_mask_file, mask_from_image, save_mask};
pub use shapes::Shape;

pub(crate) use ops::neighbours4;

use image::GrayImage;

/// A selection over an image: 255 = may change, 0 = keep, values between = partial strength
/// (feathering, grey mask files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mask(pub GrayImage);

impl Mask {
    /// An empty (nothing selected) mask.
    pub fn new(width: u32, height: u32) -> Self {
        Mask(GrayImage::new(width, height))
    }

    pub fn width(&self) -> u32 {
        self.0.width()
    }

    pub fn height(&self) -> u32 {
        self.0.height()
    }

    /// The raw bytes, row-major.
    pub fn as_raw(&self) -> &[u8] {
        self.0.as_raw()
    }

    /// How many pixels are selected at all (value > 0).
    pub fn selected_count(&self) -> usize {
        self.0.as_raw().iter().filter(|&&v| v > 0).count()
    }

    /// True when no pixel is selected.
    pub fn is_empty(&self) -> bool {
        self.0.as_raw().iter().all(|&v| v == 0)
    }

    /// Adds `other` to this mask (per-pixel maximum).
    pub fn union(&mut self, other: &Mask) {
        debug_assert_eq!(self.0.dimensions(), other.0.dimensions());
        for (a, &b) in self.0.iter_mut().zip(other.0.iter()) {
            *a = (*a).max(b);
        }
    }

    /// Swaps selected and unselected pixels.
    pub fn invert(&mut self) {
        for v in self.0.iter_mut() {
            *v = 255 - *v;
        }
    }

    /// The bounding box of selected pixels as (x, y, w, h), or None when empty.
    pub fn bounding_box(&self) -> Option<(u32, u32, u32, u32)> {
        let (w, h) = self.0.dimensions();
        let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
        for y in 0..h {
            let row = &self.0.as_raw()[(y * w) as usize..((y + 1) * w) as usize];
            if let Some(first) = row.iter().position(|&v| v > 0) {
                let last = row.iter().rposition(|&v| v > 0).unwrap_or(first);
                x0 = x0.min(first as u32);
                x1 = x1.max(last as u32);
                y0 = y0.min(y);
                y1 = y;
            }
        }
        (x0 != u32::MAX).then(|| (x0, y0, x1 - x0 + 1, y1 - y0 + 1))
    }

    /// Places this mask at (`x`, `y`) on a larger canvas of `width` x `height`.
    pub fn placed_on(&self, width: u32, height: u32, x: u32, y: u32) -> Mask {
        let mut out = Mask::new(width, height);
        image::imageops::replace(&mut out.0, &self.0, i64::from(x), i64::from(y));
        out
    }

    /// Grows the selection by `px` pixels (Euclidean distance).
    pub fn grow(&mut self, px: u32) {
        ops::grow(&mut self.0, px);
    }

    /// Shrinks the selection by `px` pixels (Euclidean distance).
    pub fn shrink(&mut self, px: u32) {
        ops::shrink(&mut self.0, px);
    }

    /// Adds a soft edge `px` wide outside the selection: 255 inside, falling linearly to 0.
    pub fn feather(&mut self, px: u32) {
        ops::feather(&mut self.0, px);
    }
}
