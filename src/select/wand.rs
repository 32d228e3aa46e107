//! The magic wand: pixels whose colour is within a tolerance (Delta E 76, a distance in CIE Lab)
//! of the seed's colour, connected to the seed (4-neighbourhood) or anywhere in the image.
//!
//! The seed colour is the per-channel median of the 5x5 pixels around the point, so sensor noise
//! at the clicked pixel does not decide the selection. Each distinct RGB colour is converted and
//! judged once (a 16 M-entry table, touched only where colours occur), which keeps a 12 MP photo
//! fast enough to re-run on every tolerance change.

use image::RgbImage;

use crate::mask::Mask;

/// sRGB (0..255) to CIE Lab (D65).
pub(crate) fn lab(p: [u8; 3]) -> [f32; 3] {
    fn linear(v: u8) -> f32 {
        let c = f32::from(v) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }
    fn f(t: f32) -> f32 {
        if t > 216.0 / 24389.0 {
            t.cbrt()
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    }
    let (r, g, b) = (linear(p[0]), linear(p[1]), linear(p[2]));
    let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) / 0.950_47;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
    let z = (0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b) / 1.088_83;
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// The per-channel median of the pixels within 2 of (x, y) (fewer at the image's edge).
fn seed_colour(image: &RgbImage, x: u32, y: u32) -> [u8; 3] {
    let (w, h) = image.dimensions();
    let mut ch: [Vec<u8>; 3] = Default::default();
    for yy in y.saturating_sub(2)..(y + 3).min(h) {
        for xx in x.saturating_sub(2)..(x + 3).min(w) {
            let p = image.get_pixel(xx, yy).0;
            for c in 0..3 {
                ch[c].push(p[c]);
            }
        }
    }
    let mut out = [0u8; 3];
    for c in 0..3 {
        ch[c].sort_unstable();
        out[c] = ch[c][ch[c].len() / 2];
    }
    out
}

/// Whether each RGB colour is within the tolerance of the seed, computed on first use.
struct Judge {
    seed: [f32; 3],
    tol2: f32,
    /// 0 = not yet judged, 1 = inside, 2 = outside; indexed by 0xRRGGBB.
    memo: Vec<u8>,
}

impl Judge {
    #[inline]
    fn inside(&mut self, p: &[u8]) -> bool {
        let key = (usize::from(p[0]) << 16) | (usize::from(p[1]) << 8) | usize::from(p[2]);
        match self.memo[key] {
            1 => true,
            2 => false,
            _ => {
                let l = lab([p[0], p[1], p[2]]);
                let d = (l[0] - self.seed[0]).powi(2)
                    + (l[1] - self.seed[1]).powi(2)
                    + (l[2] - self.seed[2]).powi(2);
                let yes = d <= self.tol2;
                self.memo[key] = if yes { 1 } else { 2 };
                yes
            }
        }
    }
}

/// See [`super::wand`].
pub fn wand(image: &RgbImage, x: u32, y: u32, tolerance: f32, contiguous: bool) -> Mask {
    let (w, h) = image.dimensions();
    let mut out = Mask::new(w, h);
    if x >= w || y >= h {
        return out;
    }
    let tolerance = if tolerance.is_finite() {
        tolerance.clamp(0.0, super::MAX_TOLERANCE)
    } else {
        super::DEFAULT_TOLERANCE
    };
    let mut judge = Judge {
        seed: lab(seed_colour(image, x, y)),
        tol2: tolerance * tolerance,
        memo: vec![0u8; 1 << 24],
    };
    let raw = image.as_raw();
    let m: &mut [u8] = &mut out.0;
    let (w, h) = (w as usize, h as usize);
    let start = y as usize * w + x as usize;
    if !contiguous {
        for (px, v) in raw.chunks_exact(3).zip(m.iter_mut()) {
            if judge.inside(px) {
                *v = 255;
            }
        }
        // the clicked pixel is always part of its own selection
        m[start] = 255;
        return out;
    }
    // scanline flood fill from the seed; the clicked pixel itself is always selected
    let mut stack: Vec<(usize, usize)> = vec![(x as usize, y as usize)];
    m[start] = 255;
    while let Some((sx, sy)) = stack.pop() {
        let row = sy * w;
        // extend left and right from (sx, sy), which is selected
        let mut l = sx;
        while l > 0 && m[row + l - 1] == 0 && judge.inside(&raw[(row + l - 1) * 3..][..3]) {
            l -= 1;
            m[row + l] = 255;
        }
        let mut r = sx;
        while r + 1 < w && m[row + r + 1] == 0 && judge.inside(&raw[(row + r + 1) * 3..][..3]) {
            r += 1;
            m[row + r] = 255;
        }
        // seed the rows above and below
        for ny in [sy.wrapping_sub(1), sy + 1] {
            if ny >= h {
                continue;
            }
            let nrow = ny * w;
            for nx in l..=r {
                let i = nrow + nx;
                if m[i] == 0 && judge.inside(&raw[i * 3..][..3]) {
                    m[i] = 255;
                    stack.push((nx, ny));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_of_known_colours() {
        let white = lab([255, 255, 255]);
        assert!((white[0] - 100.0).abs() < 0.05 && white[1].abs() < 0.05 && white[2].abs() < 0.05);
        let red = lab([255, 0, 0]);
        // CIE Lab of sRGB red: 53.24, 80.09, 67.20
        assert!((red[0] - 53.24).abs() < 0.1, "{red:?}");
        assert!((red[1] - 80.09).abs() < 0.2, "{red:?}");
        assert!((red[2] - 67.20).abs() < 0.2, "{red:?}");
    }
}
