//! Cell <-> pixel mapping of the canvas: one formula for drawing and for the mouse, at every zoom.
//!
//! The canvas area is `cols x rows` cells of `cell_w x cell_h` screen pixels (the terminal's font
//! size for sixel, kitty and iTerm2; 1x2 for half blocks). Screen pixel `s` shows image pixel
//! `floor(origin + (s + 0.5) / zoom)`, and a cell stands for the image point under its centre.

use ratatui::layout::Rect;

/// Zoom limits, in screen pixels per image pixel relative to "fit".
const MIN_ZOOM: f64 = 1.0 / 64.0;
const MAX_ZOOM: f64 = 64.0;

/// How the canvas shows an image: where the image sits under the canvas area and how large.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    /// The canvas area, in cells.
    pub area: Rect,
    /// Screen pixels per cell.
    pub cell_w: u32,
    pub cell_h: u32,
    /// Screen pixels per image pixel.
    pub zoom: f64,
    /// The image point (in pixels) at the area's top-left corner.
    pub origin_x: f64,
    pub origin_y: f64,
}

impl Viewport {
    /// The whole `img_w x img_h` image, as large as fits, centred.
    pub fn fit(img_w: u32, img_h: u32, area: Rect, cell: (u32, u32)) -> Viewport {
        let (sw, sh) = screen_size(area, cell);
        let zoom = (sw as f64 / img_w.max(1) as f64).min(sh as f64 / img_h.max(1) as f64);
        let zoom = if zoom > 0.0 { zoom } else { 1.0 };
        let mut v = Viewport {
            area,
            cell_w: cell.0,
            cell_h: cell.1,
            zoom,
            origin_x: 0.0,
            origin_y: 0.0,
        };
        v.origin_x = img_w as f64 / 2.0 - sw as f64 / zoom / 2.0;
        v.origin_y = img_h as f64 / 2.0 - sh as f64 / zoom / 2.0;
        v
    }

    /// Size of the area in screen pixels.
    pub fn screen_size(&self) -> (u32, u32) {
        screen_size(self.area, (self.cell_w, self.cell_h))
    }

    /// The image point under the centre of cell (`col`, `row`) (absolute terminal cells), or None
    /// outside the area.
    pub fn cell_to_image(&self, col: u16, row: u16) -> Option<(f64, f64)> {
        if !self.contains(col, row) {
            return None;
        }
        Some(self.cell_to_image_unclipped(col, row))
    }

    /// Like [`Self::cell_to_image`], for cells outside the area too (drags that leave the canvas).
    pub fn cell_to_image_unclipped(&self, col: u16, row: u16) -> (f64, f64) {
        let sx = (f64::from(col) - f64::from(self.area.x) + 0.5) * f64::from(self.cell_w);
        let sy = (f64::from(row) - f64::from(self.area.y) + 0.5) * f64::from(self.cell_h);
        (
            self.origin_x + sx / self.zoom,
            self.origin_y + sy / self.zoom,
        )
    }

    /// The image pixel shown by screen pixel (`sx`, `sy`) of the area (may be outside the image).
    pub fn screen_to_pixel(&self, sx: u32, sy: u32) -> (i64, i64) {
        (
            (self.origin_x + (f64::from(sx) + 0.5) / self.zoom).floor() as i64,
            (self.origin_y + (f64::from(sy) + 0.5) / self.zoom).floor() as i64,
        )
    }

    /// The screen pixel (relative to the area) where image point (`x`, `y`) is drawn.
    pub fn image_to_screen(&self, x: f64, y: f64) -> (f64, f64) {
        (
            (x - self.origin_x) * self.zoom,
            (y - self.origin_y) * self.zoom,
        )
    }

    /// Whether the absolute cell lies in the area.
    pub fn contains(&self, col: u16, row: u16) -> bool {
        col >= self.area.x
            && row >= self.area.y
            && col < self.area.x + self.area.width
            && row < self.area.y + self.area.height
    }

    /// Multiplies the zoom, keeping the image point under cell (`col`, `row`) in place.
    pub fn zoom_at(&mut self, factor: f64, col: u16, row: u16, fit_zoom: f64) {
        let (px, py) = self.cell_to_image_unclipped(col, row);
        let new = (self.zoom * factor).clamp(fit_zoom * MIN_ZOOM, fit_zoom * MAX_ZOOM);
        let sx = (f64::from(col) - f64::from(self.area.x) + 0.5) * f64::from(self.cell_w);
        let sy = (f64::from(row) - f64::from(self.area.y) + 0.5) * f64::from(self.cell_h);
        self.zoom = new;
        self.origin_x = px - sx / new;
        self.origin_y = py - sy / new;
    }

    /// Multiplies the zoom around the area's centre.
    pub fn zoom_centre(&mut self, factor: f64, fit_zoom: f64) {
        let col = self.area.x + self.area.width / 2;
        let row = self.area.y + self.area.height / 2;
        self.zoom_at(factor, col, row, fit_zoom);
    }

    /// Moves the view by whole cells (positive = show what is right / below).
    pub fn pan_cells(&mut self, dcols: i32, drows: i32) {
        self.origin_x += f64::from(dcols) * f64::from(self.cell_w) / self.zoom;
        self.origin_y += f64::from(drows) * f64::from(self.cell_h) / self.zoom;
    }

    /// Whether this view is (to rounding) `other`: same area, zoom and origin.
    pub fn same_as(&self, other: &Viewport) -> bool {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        self.area == other.area
            && close(self.zoom, other.zoom)
            && close(self.origin_x, other.origin_x)
            && close(self.origin_y, other.origin_y)
    }

    /// The same view in a new area (after a resize), keeping zoom and the centre point.
    pub fn moved_to(&self, area: Rect) -> Viewport {
        let (sw, sh) = self.screen_size();
        let cx = self.origin_x + sw as f64 / 2.0 / self.zoom;
        let cy = self.origin_y + sh as f64 / 2.0 / self.zoom;
        let mut v = Viewport { area, ..*self };
        let (nw, nh) = v.screen_size();
        v.origin_x = cx - nw as f64 / 2.0 / v.zoom;
        v.origin_y = cy - nh as f64 / 2.0 / v.zoom;
        v
    }
}

fn screen_size(area: Rect, cell: (u32, u32)) -> (u32, u32) {
    (
        u32::from(area.width) * cell.0,
        u32::from(area.height) * cell.1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_centres_round_trip_at_every_zoom() {
        let area = Rect::new(3, 2, 40, 20);
        for cell in [(1, 2), (9, 19)] {
            let mut v = Viewport::fit(640, 427, area, cell);
            let fit = v.zoom;
            for _ in 0..8 {
                for (col, row) in [(3, 2), (10, 7), (42, 21)] {
                    let (x, y) = v.cell_to_image(col, row).unwrap();
                    let (sx, sy) = v.image_to_screen(x, y);
                    let want_x = (f64::from(col - area.x) + 0.5) * cell.0 as f64;
                    let want_y = (f64::from(row - area.y) + 0.5) * cell.1 as f64;
                    assert!((sx - want_x).abs() < 1e-6 && (sy - want_y).abs() < 1e-6);
                    // the pixel a cell stands for is one of those drawn in that cell
                    let sx0 = u32::from(col - area.x) * cell.0;
                    let sy0 = u32::from(row - area.y) * cell.1;
                    let first = v.screen_to_pixel(sx0, sy0);
                    let last = v.screen_to_pixel(sx0 + cell.0 - 1, sy0 + cell.1 - 1);
                    let (px, py) = (x.floor() as i64, y.floor() as i64);
                    assert!(first.0 <= px && px <= last.0 && first.1 <= py && py <= last.1);
                }
                v.zoom_at(1.5, 20, 10, fit);
            }
        }
    }

    #[test]
    fn zoom_keeps_the_point_under_the_cursor() {
        let area = Rect::new(0, 0, 50, 20);
        let mut v = Viewport::fit(100, 100, area, (1, 2));
        let before = v.cell_to_image(30, 5).unwrap();
        v.zoom_at(2.0, 30, 5, v.zoom);
        let after = v.cell_to_image(30, 5).unwrap();
        assert!((before.0 - after.0).abs() < 1e-9 && (before.1 - after.1).abs() < 1e-9);
        assert!(v.cell_to_image(50, 5).is_none());
    }
}
