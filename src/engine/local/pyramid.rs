//! Image/mask pyramid, crop handling, masks derived from the hole
//! (valid source centres, target centres) and resampling helpers.
//!
//! All images here are packed `u8` buffers of [`CH`] channels per pixel (RGB
//! plus a texture feature) and all
//! masks are `u8` buffers (`w * h` bytes, non-zero = hole).

use rayon::prelude::*;

/// Channels per pixel: R, G, B and the texture feature T.
pub(super) const CH: usize = 4;

/// One pyramid level: the current estimate of the image (known pixels are
/// source data and never change) and the hole mask (1 = hole).
#[derive(Clone)]
pub(super) struct Level {
    pub w: usize,
    pub h: usize,
    pub img: Vec<u8>,
    pub hole: Vec<u8>,
}

impl Level {
    /// The RGB channels as a packed RGB buffer.
    #[cfg(test)]
    pub fn rgb(&self) -> Vec<u8> {
        self.img
            .chunks_exact(CH)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect()
    }

    /// Fill the texture channel of the known pixels: the mean luma gradient
    /// magnitude over a (2 * radius + 1)^2 window, times `scale`, using only
    /// gradients whose stencil is fully known (hole data is never read).
    /// Coarser levels inherit it by averaging, so they "know" the fine-scale
    /// texture energy (Newson et al. 2014) and matching prefers sources
    /// with the same texture level instead of smooth ones.
    pub fn add_texture_channel(&mut self, scale: f32, radius: usize) {
        let (w, h) = (self.w, self.h);
        let luma = |i: usize| {
            let p = &self.img[i * CH..];
            (77 * p[0] as i32 + 150 * p[1] as i32 + 29 * p[2] as i32) >> 8
        };
        let known = |i: usize| self.hole[i] == 0;
        // gradient (or None) per pixel, then a summed-area table of value and count. The row
        // prefix sums are independent (in parallel); the table adds them up row by row (the
        // same additions in the same order as a single pass, so the same bytes).
        let stride = w + 1;
        let mut sv = vec![0f32; stride * (h + 1)];
        let mut sc = vec![0u32; stride * (h + 1)];
        sv[stride..]
            .par_chunks_mut(stride)
            .zip(sc[stride..].par_chunks_mut(stride))
            .enumerate()
            .for_each(|(y, (vrow, crow))| {
                let (mut rv, mut rc) = (0f32, 0u32);
                for x in 0..w {
                    let i = y * w + x;
                    let (xm, xp) = (y * w + x.saturating_sub(1), y * w + (x + 1).min(w - 1));
                    let (ym, yp) = (y.saturating_sub(1) * w + x, (y + 1).min(h - 1) * w + x);
                    if known(i) && known(xm) && known(xp) && known(ym) && known(yp) {
                        let gx = (luma(xp) - luma(xm)) as f32 * 0.5;
                        let gy = (luma(yp) - luma(ym)) as f32 * 0.5;
                        rv += (gx * gx + gy * gy).sqrt();
                        rc += 1;
                    }
                    vrow[x + 1] = rv;
                    crow[x + 1] = rc;
                }
            });
        for y in 1..h {
            let (above, row) = sv.split_at_mut((y + 1) * stride);
            for (d, a) in row[..stride].iter_mut().zip(&above[y * stride..]) {
                *d += *a;
            }
            let (above, row) = sc.split_at_mut((y + 1) * stride);
            for (d, a) in row[..stride].iter_mut().zip(&above[y * stride..]) {
                *d += *a;
            }
        }
        // rows are independent here: in parallel (the same bytes whatever the thread count)
        let hole = &self.hole;
        self.img
            .par_chunks_mut(w * CH)
            .enumerate()
            .for_each(|(y, row)| {
                let (y0, y1) = (y.saturating_sub(radius), (y + radius + 1).min(h));
                for x in 0..w {
                    if hole[y * w + x] != 0 {
                        continue;
                    }
                    let (x0, x1) = (x.saturating_sub(radius), (x + radius + 1).min(w));
                    let b = |s: &[f32]| {
                        s[y1 * (w + 1) + x1] + s[y0 * (w + 1) + x0]
                            - s[y0 * (w + 1) + x1]
                            - s[y1 * (w + 1) + x0]
                    };
                    let c = sc[y1 * (w + 1) + x1] + sc[y0 * (w + 1) + x0]
                        - sc[y0 * (w + 1) + x1]
                        - sc[y1 * (w + 1) + x0];
                    let t = if c > 0 { b(&sv) / c as f32 } else { 0.0 };
                    row[x * CH + 3] = (t * scale).round().clamp(0.0, 255.0) as u8;
                }
            });
    }

    pub fn hole_count(&self) -> usize {
        self.hole.iter().filter(|&&m| m != 0).count()
    }
}

/// Halve a level. A coarse pixel is a hole when any of its children is a hole
/// (so coarse known pixels only ever average known fine pixels).
pub(super) fn downsample(l: &Level) -> Level {
    let w = l.w.div_ceil(2);
    let h = l.h.div_ceil(2);
    let mut img = vec![0u8; w * h * CH];
    let mut hole = vec![0u8; w * h];
    img.par_chunks_mut(w * CH)
        .zip(hole.par_chunks_mut(w))
        .enumerate()
        .for_each(|(y, (irow, hrow))| {
            for x in 0..w {
                let mut sum = [0u32; CH];
                let mut n = 0u32;
                let mut any_hole = false;
                for fy in 2 * y..(2 * y + 2).min(l.h) {
                    for fx in 2 * x..(2 * x + 2).min(l.w) {
                        let i = fy * l.w + fx;
                        if l.hole[i] != 0 {
                            any_hole = true;
                        } else {
                            n += 1;
                            for c in 0..CH {
                                sum[c] += l.img[i * CH + c] as u32;
                            }
                        }
                    }
                }
                if any_hole {
                    hrow[x] = 1;
                } else {
                    for c in 0..CH {
                        irow[x * CH + c] = ((sum[c] + n / 2) / n) as u8;
                    }
                }
            }
        });
    Level { w, h, img, hole }
}

/// Bilinearly upsample `coarse` (any RGB buffer of size cw x ch) to w x h and
/// write the result into the hole pixels of `fine` only.
pub(super) fn upsample_into_hole(coarse: &[u8], cw: usize, ch: usize, fine: &mut Level) {
    let (w, h) = (fine.w, fine.h);
    let sx = cw as f32 / w as f32;
    let sy = ch as f32 / h as f32;
    let hole = &fine.hole;
    fine.img
        .par_chunks_mut(w * CH)
        .enumerate()
        .for_each(|(y, row)| {
            let fy = ((y as f32 + 0.5) * sy - 0.5).clamp(0.0, (ch - 1) as f32);
            let y0 = fy.floor() as usize;
            let y1 = (y0 + 1).min(ch - 1);
            let ty = fy - y0 as f32;
            for x in 0..w {
                if hole[y * w + x] == 0 {
                    continue;
                }
                let fx = ((x as f32 + 0.5) * sx - 0.5).clamp(0.0, (cw - 1) as f32);
                let x0 = fx.floor() as usize;
                let x1 = (x0 + 1).min(cw - 1);
                let tx = fx - x0 as f32;
                for c in 0..CH {
                    let p = |xx: usize, yy: usize| coarse[(yy * cw + xx) * CH + c] as f32;
                    let top = p(x0, y0) * (1.0 - tx) + p(x1, y0) * tx;
                    let bot = p(x0, y1) * (1.0 - tx) + p(x1, y1) * tx;
                    row[x * CH + c] = (top * (1.0 - ty) + bot * ty).round().clamp(0.0, 255.0) as u8;
                }
            }
        });
}

/// Texture anchor of `fine`: per pixel, `scale` times the texture channel of
/// `coarse` (a diffusion-filled coarser level of the same crop) bilinearly
/// upsampled, on hole pixels deeper than `min_depth`; 0 elsewhere.
pub(super) fn texture_anchor(
    coarse: &Level,
    fine: &Level,
    hole_dist: &[f32],
    min_depth: f32,
    scale: f32,
) -> Vec<u8> {
    let (w, h, cw, ch) = (fine.w, fine.h, coarse.w, coarse.h);
    let sx = cw as f32 / w as f32;
    let sy = ch as f32 / h as f32;
    let mut out = vec![0u8; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        let fy = ((y as f32 + 0.5) * sy - 0.5).clamp(0.0, (ch - 1) as f32);
        let y0 = fy.floor() as usize;
        let y1 = (y0 + 1).min(ch - 1);
        let ty = fy - y0 as f32;
        for x in 0..w {
            let i = y * w + x;
            if fine.hole[i] == 0 || hole_dist[i] <= min_depth {
                continue;
            }
            let fx = ((x as f32 + 0.5) * sx - 0.5).clamp(0.0, (cw - 1) as f32);
            let x0 = fx.floor() as usize;
            let x1 = (x0 + 1).min(cw - 1);
            let tx = fx - x0 as f32;
            let t = |xx: usize, yy: usize| coarse.img[(yy * cw + xx) * CH + 3] as f32;
            let top = t(x0, y0) * (1.0 - tx) + t(x1, y0) * tx;
            let bot = t(x0, y1) * (1.0 - tx) + t(x1, y1) * tx;
            row[x] = ((top * (1.0 - ty) + bot * ty) * scale)
                .round()
                .clamp(0.0, 255.0) as u8;
        }
    });
    out
}

/// Summed-area table of the hole mask, (w+1) x (h+1).
fn hole_integral(hole: &[u8], w: usize, h: usize) -> Vec<u32> {
    let mut s = vec![0u32; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut run = 0u32;
        for x in 0..w {
            run += (hole[y * w + x] != 0) as u32;
            s[(y + 1) * (w + 1) + x + 1] = s[y * (w + 1) + x + 1] + run;
        }
    }
    s
}

/// Masks derived from the hole for a patch radius `r`.
pub(super) struct PatchMasks {
    /// Patch centres whose whole (2r+1)^2 patch lies inside the level and is known.
    pub valid: Vec<bool>,
    /// Indices of the valid centres (for uniform random sampling).
    pub valid_list: Vec<u32>,
    /// Patch centres whose (clipped) patch overlaps the hole: these get an NNF entry.
    pub target: Vec<bool>,
}

pub(super) fn patch_masks(hole: &[u8], w: usize, h: usize, r: usize) -> PatchMasks {
    let s = hole_integral(hole, w, h);
    let count = |x0: usize, y0: usize, x1: usize, y1: usize| -> u32 {
        // inclusive-exclusive box [x0,x1) x [y0,y1)
        s[y1 * (w + 1) + x1] + s[y0 * (w + 1) + x0] - s[y0 * (w + 1) + x1] - s[y1 * (w + 1) + x0]
    };
    let mut valid = vec![false; w * h];
    let mut target = vec![false; w * h];
    valid
        .par_chunks_mut(w)
        .zip(target.par_chunks_mut(w))
        .enumerate()
        .for_each(|(y, (vrow, trow))| {
            let y0 = y.saturating_sub(r);
            let y1 = (y + r + 1).min(h);
            for x in 0..w {
                let x0 = x.saturating_sub(r);
                let x1 = (x + r + 1).min(w);
                let c = count(x0, y0, x1, y1);
                trow[x] = c > 0;
                let inside = x >= r && y >= r && x + r < w && y + r < h;
                vrow[x] = inside && c == 0;
            }
        });
    let valid_list = valid
        .iter()
        .enumerate()
        .filter_map(|(i, &v)| v.then_some(i as u32))
        .collect();
    PatchMasks {
        valid,
        valid_list,
        target,
    }
}

/// Chamfer (1, sqrt 2) distance of every pixel to the nearest known pixel
/// (0 on known pixels). Without any known pixel every distance is large.
pub(super) fn hole_distance(hole: &[u8], w: usize, h: usize) -> Vec<f32> {
    const D: f32 = std::f32::consts::SQRT_2;
    let big = (w + h) as f32 * 2.0;
    let mut d: Vec<f32> = hole
        .iter()
        .map(|&m| if m != 0 { big } else { 0.0 })
        .collect();
    // Known pixels stay 0, so the sweeps need only the hole's box: the same distances.
    let Some(b) = bbox(hole, w, h) else {
        return d;
    };
    for y in b.y0..b.y1 {
        for x in b.x0..b.x1 {
            let i = y * w + x;
            let mut v = d[i];
            if x > 0 {
                v = v.min(d[i - 1] + 1.0);
            }
            if y > 0 {
                v = v.min(d[i - w] + 1.0);
                if x > 0 {
                    v = v.min(d[i - w - 1] + D);
                }
                if x + 1 < w {
                    v = v.min(d[i - w + 1] + D);
                }
            }
            d[i] = v;
        }
    }
    for y in (b.y0..b.y1).rev() {
        for x in (b.x0..b.x1).rev() {
            let i = y * w + x;
            let mut v = d[i];
            if x + 1 < w {
                v = v.min(d[i + 1] + 1.0);
            }
            if y + 1 < h {
                v = v.min(d[i + w] + 1.0);
                if x + 1 < w {
                    v = v.min(d[i + w + 1] + D);
                }
                if x > 0 {
                    v = v.min(d[i + w - 1] + D);
                }
            }
            d[i] = v;
        }
    }
    d
}

/// Axis-aligned rectangle [x0, x1) x [y0, y1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rect {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

impl Rect {
    pub fn w(&self) -> usize {
        self.x1 - self.x0
    }
    pub fn h(&self) -> usize {
        self.y1 - self.y0
    }
}

/// Bounding box of the non-zero mask pixels, `None` when the mask is empty.
pub(super) fn bbox(mask: &[u8], w: usize, h: usize) -> Option<Rect> {
    let mut r = Rect {
        x0: usize::MAX,
        y0: usize::MAX,
        x1: 0,
        y1: 0,
    };
    for y in 0..h {
        let row = &mask[y * w..(y + 1) * w];
        if let Some(first) = row.iter().position(|&m| m != 0) {
            let last = row.iter().rposition(|&m| m != 0).unwrap_or(first);
            r.x0 = r.x0.min(first);
            r.x1 = r.x1.max(last + 1);
            r.y0 = r.y0.min(y);
            r.y1 = y + 1;
        }
    }
    (r.x0 != usize::MAX).then_some(r)
}

/// Expand `r` by `margin` on every side, clamped to the image.
pub(super) fn expand(r: Rect, margin: usize, w: usize, h: usize) -> Rect {
    Rect {
        x0: r.x0.saturating_sub(margin),
        y0: r.y0.saturating_sub(margin),
        x1: (r.x1 + margin).min(w),
        y1: (r.y1 + margin).min(h),
    }
}

/// Copy a crop out of a full RGB buffer / mask into a [`Level`]. Hole pixels
/// are zeroed so their (garbage) input values are never used as data.
pub(super) fn crop_level(rgb: &[u8], mask: &[u8], w: usize, c: Rect) -> Level {
    let (cw, ch) = (c.w(), c.h());
    let mut img = vec![0u8; cw * ch * CH];
    let mut hole = vec![0u8; cw * ch];
    for y in 0..ch {
        for x in 0..cw {
            let si = (c.y0 + y) * w + c.x0 + x;
            let di = y * cw + x;
            if mask[si] != 0 {
                hole[di] = 1;
            } else {
                img[di * CH..di * CH + 3].copy_from_slice(&rgb[si * 3..si * 3 + 3]);
            }
        }
    }
    Level {
        w: cw,
        h: ch,
        img,
        hole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsample_marks_any_hole_child() {
        let l = Level {
            w: 3,
            h: 3,
            img: vec![100; 9 * CH],
            hole: vec![0, 0, 0, 0, 0, 0, 0, 0, 1],
        };
        let d = downsample(&l);
        assert_eq!((d.w, d.h), (2, 2));
        assert_eq!(d.hole, vec![0, 0, 0, 1]);
        assert_eq!(&d.img[..3], &[100, 100, 100]);
    }

    #[test]
    fn texture_anchor_only_on_deep_hole_pixels() {
        let coarse = Level {
            w: 2,
            h: 2,
            img: [0, 0, 0, 20].repeat(4),
            hole: vec![0; 4],
        };
        let (w, h) = (8, 8);
        let mut hole = vec![0u8; w * h];
        for y in 2..6 {
            for x in 2..6 {
                hole[y * w + x] = 1;
            }
        }
        let fine = Level {
            w,
            h,
            img: vec![0; w * h * CH],
            hole,
        };
        let d = hole_distance(&fine.hole, w, h);
        let a = texture_anchor(&coarse, &fine, &d, 1.5, 1.5);
        assert_eq!(a[3 * w + 3], 30); // depth 2
        assert_eq!(a[2 * w + 3], 0); // depth 1
        assert_eq!(a[0], 0); // known
    }

    #[test]
    fn masks_and_bbox() {
        let (w, h) = (10, 10);
        let mut hole = vec![0u8; w * h];
        hole[5 * w + 5] = 1;
        let m = patch_masks(&hole, w, h, 1);
        assert!(m.target[4 * w + 4] && !m.target[3 * w + 5]);
        assert!(!m.valid[4 * w + 4] && m.valid[3 * w + 3] && !m.valid[0]);
        let b = bbox(&hole, w, h).unwrap();
        assert_eq!(
            b,
            Rect {
                x0: 5,
                y0: 5,
                x1: 6,
                y1: 6
            }
        );
        assert_eq!(bbox(&[0u8; 4], 2, 2), None);
    }
}
