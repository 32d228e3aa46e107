//! Expectation-maximisation voting (Wexler et al. 2007): every hole pixel
//! becomes the weighted mean of the source pixels that the overlapping target
//! patches point to. Implemented as a per-pixel gather, so it is parallel and
//! bit-deterministic.

use super::nnf::{Ctx, Field, NONE, patch_pixels};
use super::pyramid::{CH, bbox};
use rayon::prelude::*;

/// Per-target vote log-weights `-k * d / (2 * sigma^2)`, where `d` is the
/// mean squared error per channel of the match and `sigma^2` the
/// `percentile`-quantile of those errors over all targets.
/// Weights are additionally multiplied by the confidence `gamma^-d` where `d`
/// is the distance of the target centre into the hole (Wexler et al.): patches
/// anchored on known pixels dominate the uncertain ones deep inside the hole.
pub(super) fn weights(
    ctx: &Ctx,
    f: &Field,
    hole_dist: &[f32],
    percentile: f32,
    sharpness: f32,
    gamma: f32,
) -> Vec<f32> {
    let decay = gamma.max(1.0).ln();
    let (w, h, r) = (ctx.w, ctx.h, ctx.r);
    let norm = |i: usize| -> f32 {
        let np = patch_pixels(w, h, r, (i % w, i / w));
        f.dist[i] as f32 / (CH as u32 * np) as f32
    };
    let mut ds: Vec<f32> = (0..w * h).filter(|&i| f.nnf[i] != NONE).map(norm).collect();
    let sigma2 = if ds.is_empty() {
        1.0
    } else {
        let k = ((ds.len() - 1) as f32 * percentile.clamp(0.0, 1.0)) as usize;
        let (_, v, _) = ds.select_nth_unstable_by(k, f32::total_cmp);
        v.max(1.0)
    };
    let inv = sharpness / (2.0 * sigma2);
    let mut out = vec![0.0f32; w * h];
    out.par_chunks_mut(w).enumerate().for_each(|(y, row)| {
        for x in 0..w {
            let i = y * w + x;
            if f.nnf[i] != NONE {
                row[x] = -norm(i) * inv - hole_dist[i] * decay;
            }
        }
    });
    out
}

/// Vote every hole pixel of `img` from the field (weights given as logs, so
/// deep-hole confidences never underflow). Known pixels are never touched.
///
/// Each target's weight is exponentiated once, against the largest log-weight of the level;
/// a window whose weights all lie so far below that largest one that their sum is not a
/// normal `f32` (about 87 units of log-weight: deep in a large hole) is weighed against its
/// own largest instead, one exponential per window target.
pub(super) fn vote(ctx: &Ctx, f: &Field, wts: &[f32], hole: &[u8]) -> Vec<u8> {
    let (w, h, r) = (ctx.w, ctx.h, ctx.r);
    let img = ctx.img;
    let live = |pi: usize| f.nnf[pi] != NONE;
    let top = (0..w * h)
        .filter(|&pi| live(pi))
        .fold(f32::NEG_INFINITY, |m, pi| m.max(wts[pi]));
    let e: Vec<f32> = (0..w * h)
        .into_par_iter()
        .map(|pi| if live(pi) { (wts[pi] - top).exp() } else { 0.0 })
        .collect();
    let mut out = img.to_vec();
    out.par_chunks_mut(w * CH).enumerate().for_each(|(y, row)| {
        let (py0, py1) = (y.saturating_sub(r), (y + r).min(h - 1));
        for x in 0..w {
            let i = y * w + x;
            if hole[i] == 0 {
                continue;
            }
            let (px0, px1) = (x.saturating_sub(r), (x + r).min(w - 1));
            // the window's targets (pixel indices)
            let window = || {
                (py0..=py1)
                    .flat_map(|py| py * w + px0..=py * w + px1)
                    .filter(|&pi| live(pi))
            };
            let span = (py0, py1, px0, px1);
            let (mut acc, mut wsum) = window_sum(img, f, w, i, span, |pi| e[pi]);
            if !wsum.is_normal() && window().next().is_some() {
                let lmax = window().fold(f32::NEG_INFINITY, |m, pi| m.max(wts[pi]));
                (acc, wsum) = window_sum(img, f, w, i, span, |pi| (wts[pi] - lmax).exp());
            }
            if wsum > 0.0 {
                for c in 0..CH {
                    row[x * CH + c] = (acc[c] / wsum).round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    });
    out
}

/// The weighted sum of the sources that the window's targets (rows `py0..=py1`, columns
/// `px0..=px1`; targets without a match skipped) give pixel `i`, each weighted by
/// `weight(target)`, and the sum of the weights.
#[inline]
fn window_sum(
    img: &[u8],
    f: &Field,
    w: usize,
    i: usize,
    (py0, py1, px0, px1): (usize, usize, usize, usize),
    weight: impl Fn(usize) -> f32,
) -> ([f32; CH], f32) {
    let mut acc = [0.0f32; CH];
    let mut wsum = 0.0f32;
    for py in py0..=py1 {
        for pi in py * w + px0..=py * w + px1 {
            if f.nnf[pi] == NONE {
                continue;
            }
            let wt = weight(pi);
            // source pixel = q + (x - px, y - py): a shift of the linear index, as a source
            // patch lies whole inside the image
            let s = &img[(f.nnf[pi] as usize + i - pi) * CH..][..CH];
            for c in 0..CH {
                acc[c] += wt * f32::from(s[c]);
            }
            wsum += wt;
        }
    }
    (acc, wsum)
}

/// Sharp reconstruction: every hole pixel copies the source pixel of the
/// overlapping patch with the highest weight (no averaging, keeps texture).
pub(super) fn vote_best(ctx: &Ctx, f: &Field, wts: &[f32], hole: &[u8]) -> Vec<u8> {
    vote_best_src(ctx, f, wts, hole).0
}

/// [`vote_best`] that also returns, per pixel, the index of the copied source
/// pixel ([`NONE`] for known pixels and pixels without a vote).
///
/// The highest weight over a pixel's `(2r + 1)^2` window is found in two passes, along each
/// row and then down the column, over the hole's bounding box only. Ties go to the first
/// target in row-major order, as a scan of the whole window would give.
pub(super) fn vote_best_src(ctx: &Ctx, f: &Field, wts: &[f32], hole: &[u8]) -> (Vec<u8>, Vec<u32>) {
    let (w, h, r) = (ctx.w, ctx.h, ctx.r);
    let img = ctx.img;
    let mut out = img.to_vec();
    let mut src = vec![NONE; w * h];
    let Some(bb) = bbox(hole, w, h) else {
        return (out, src);
    };
    let (x0, y0, x1, y1) = (bb.x0, bb.y0, bb.x1 - 1, bb.y1 - 1);
    // the best target of each row window: (weight, its column), for the rows the hole's
    // windows reach and the hole's columns
    let (ry0, ry1) = (y0.saturating_sub(r), (y1 + r).min(h - 1));
    let bw = x1 - x0 + 1;
    let mut row_best = vec![(f32::NEG_INFINITY, u32::MAX); bw * (ry1 - ry0 + 1)];
    row_best
        .par_chunks_mut(bw)
        .enumerate()
        .for_each(|(k, cells)| {
            let py = ry0 + k;
            for (j, cell) in cells.iter_mut().enumerate() {
                let x = x0 + j;
                for px in x.saturating_sub(r)..=(x + r).min(w - 1) {
                    let pi = py * w + px;
                    if f.nnf[pi] != NONE && wts[pi] > cell.0 {
                        *cell = (wts[pi], px as u32);
                    }
                }
            }
        });
    out.par_chunks_mut(w * CH)
        .zip(src.par_chunks_mut(w))
        .enumerate()
        .skip(y0)
        .take(y1 - y0 + 1)
        .for_each(|(y, (row, srow))| {
            for x in x0..=x1 {
                if hole[y * w + x] == 0 {
                    continue;
                }
                let mut best = (f32::NEG_INFINITY, usize::MAX);
                for py in y.saturating_sub(r)..=(y + r).min(h - 1) {
                    let (wt, px) = row_best[(py - ry0) * bw + x - x0];
                    if px != u32::MAX && wt > best.0 {
                        best = (wt, py * w + px as usize);
                    }
                }
                if best.1 == usize::MAX {
                    continue;
                }
                let (pi, q) = (best.1, f.nnf[best.1] as usize);
                // source pixel = q + (x - px, y - py), as in `vote`
                let s = q + (y * w + x) - pi;
                row[x * CH..x * CH + CH].copy_from_slice(&img[s * CH..s * CH + CH]);
                srow[x] = s as u32;
            }
        });
    (out, src)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::local::nnf::Rng;

    /// A random image (`w` x `h`, [`CH`] channels) and a random field over it: each pixel is a
    /// target with a chance of `tenths` / 10, its source a random pixel whose patch of radius `r`
    /// lies inside the image, its log-weight `weight(pixel, rng)`.
    fn random_field(
        (w, h, r): (usize, usize, usize),
        rng: &mut Rng,
        tenths: u32,
        mut weight: impl FnMut(usize, &mut Rng) -> f32,
    ) -> (Vec<u8>, Field, Vec<f32>) {
        let img: Vec<u8> = (0..w * h * CH).map(|_| rng.below(256) as u8).collect();
        let mut f = Field {
            nnf: vec![NONE; w * h],
            dist: vec![0; w * h],
        };
        let mut wts = vec![0.0f32; w * h];
        for i in 0..w * h {
            if rng.below(10) < tenths {
                let (qx, qy) = (
                    r + rng.below((w - 2 * r) as u32) as usize,
                    r + rng.below((h - 2 * r) as u32) as usize,
                );
                f.nnf[i] = (qy * w + qx) as u32;
                wts[i] = weight(i, rng);
            }
        }
        (img, f, wts)
    }

    /// A voting context over `img` with nothing else set (`none`: `w * h` falses).
    fn ctx_over<'a>((w, h, r): (usize, usize, usize), img: &'a [u8], none: &'a [bool]) -> Ctx<'a> {
        Ctx {
            w,
            h,
            r,
            img,
            valid: none,
            valid_list: &[],
            target: none,
            locality: 0.0,
            guide: &[],
            guide_weight: 0,
            coherence: 0,
            cap: 0,
        }
    }

    /// The mean vote is the weighted mean of each window's candidates, as computed pixel by pixel
    /// against the window's largest weight: also where every weight of a window is thousands of
    /// e-folds below the level's largest (nothing underflows to "no vote"); known pixels kept.
    #[test]
    fn the_mean_vote_is_each_window_s_weighted_mean() {
        let (w, h, r) = (31, 23, 3);
        let mut rng = Rng::new(5);
        // the right part: far below the rest (deep-hole confidences of a huge hole)
        let (img, f, wts) = random_field((w, h, r), &mut rng, 8, |i, rng| {
            let far = if i % w > 20 { -3000.0 } else { 0.0 };
            far - rng.below(40) as f32 * 0.25
        });
        let hole: Vec<u8> = (0..w * h)
            .map(|i| u8::from(i % w > 4 && i / w > 3) * 255)
            .collect();
        let none = vec![false; w * h];
        let ctx = ctx_over((w, h, r), &img, &none);
        let out = vote(&ctx, &f, &wts, &hole);
        let (mut same, mut voted) = (0, 0);
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let px = &out[i * CH..][..CH];
                if hole[i] == 0 {
                    assert_eq!(px, &img[i * CH..][..CH], "({x}, {y}) changed");
                    continue;
                }
                let window: Vec<usize> = (y.saturating_sub(r)..=(y + r).min(h - 1))
                    .flat_map(|py| {
                        (x.saturating_sub(r)..=(x + r).min(w - 1)).map(move |px| py * w + px)
                    })
                    .filter(|&pi| f.nnf[pi] != NONE)
                    .collect();
                let lmax = window.iter().map(|&pi| wts[pi]).fold(f32::MIN, f32::max);
                let (mut acc, mut sum) = ([0.0f64; CH], 0.0f64);
                for &pi in &window {
                    let (qx, qy) = (f.nnf[pi] as usize % w, f.nnf[pi] as usize / w);
                    let s = (qy + y - pi / w) * w + qx + x - pi % w;
                    let e = f64::from(wts[pi] - lmax).exp();
                    for c in 0..CH {
                        acc[c] += e * f64::from(img[s * CH + c]);
                    }
                    sum += e;
                }
                assert!(sum > 0.0);
                voted += 1;
                for c in 0..CH {
                    let want = (acc[c] / sum).round() as i32;
                    let d = (i32::from(px[c]) - want).abs();
                    assert!(d <= 1, "({x}, {y}) channel {c}: {} vs {want}", px[c]);
                    same += usize::from(d == 0);
                }
            }
        }
        assert!(voted > 300, "{voted}");
        assert!(same * 100 >= voted * CH * 99, "{same} of {}", voted * CH);
    }

    /// The two-pass window maximum picks what a scan of each whole window picks, ties included
    /// (weights from four values), on a hole that touches the borders.
    #[test]
    fn the_two_pass_vote_copies_what_a_whole_window_scan_picks() {
        let (w, h, r) = (23, 17, 3);
        let mut rng = Rng::new(11);
        let (img, f, wts) = random_field((w, h, r), &mut rng, 7, |_, rng| -(rng.below(4) as f32));
        let hole: Vec<u8> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                u8::from((x < 9 && y > 4) || (x + y) % 5 == 0) * 255
            })
            .collect();
        let none = vec![false; w * h];
        let ctx = ctx_over((w, h, r), &img, &none);
        let (out, src) = vote_best_src(&ctx, &f, &wts, &hole);
        let mut picked = 0;
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let mut best = (f32::NEG_INFINITY, NONE);
                if hole[i] != 0 {
                    for py in y.saturating_sub(r)..=(y + r).min(h - 1) {
                        for px in x.saturating_sub(r)..=(x + r).min(w - 1) {
                            let pi = py * w + px;
                            let q = f.nnf[pi] as usize;
                            if f.nnf[pi] != NONE && wts[pi] > best.0 {
                                best = (wts[pi], ((q / w + y - py) * w + q % w + x - px) as u32);
                            }
                        }
                    }
                }
                assert_eq!(src[i], best.1, "({x}, {y})");
                let s = if best.1 == NONE { i } else { best.1 as usize };
                picked += usize::from(best.1 != NONE);
                assert_eq!(out[i * CH..][..CH], img[s * CH..][..CH], "({x}, {y})");
            }
        }
        assert!(picked > 100, "{picked}");
    }
}
