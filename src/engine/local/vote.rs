//! Expectation-maximisation voting (Wexler et al. 2007): every hole pixel
//! becomes the weighted mean of the source pixels that the overlapping target
//! patches point to. Implemented as a per-pixel gather, so it is parallel and
//! bit-deterministic.

use super::nnf::{Ctx, Field, NONE, patch_pixels};
use super::pyramid::CH;
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
pub(super) fn vote(ctx: &Ctx, f: &Field, wts: &[f32], hole: &[u8]) -> Vec<u8> {
    let (w, h, r) = (ctx.w, ctx.h, ctx.r);
    let img = ctx.img;
    let mut out = img.to_vec();
    out.par_chunks_mut(w * CH).enumerate().for_each(|(y, row)| {
        let py0 = y.saturating_sub(r);
        let py1 = (y + r).min(h - 1);
        for x in 0..w {
            if hole[y * w + x] == 0 {
                continue;
            }
            let px0 = x.saturating_sub(r);
            let px1 = (x + r).min(w - 1);
            let mut lmax = f32::NEG_INFINITY;
            for py in py0..=py1 {
                for px in px0..=px1 {
                    let pi = py * w + px;
                    if f.nnf[pi] != NONE {
                        lmax = lmax.max(wts[pi]);
                    }
                }
            }
            let mut acc = [0.0f32; CH];
            let mut wsum = 0.0f32;
            for py in py0..=py1 {
                for px in px0..=px1 {
                    let pi = py * w + px;
                    let q = f.nnf[pi];
                    if q == NONE {
                        continue;
                    }
                    let wt = (wts[pi] - lmax).exp();
                    // source pixel = q + (x - px, y - py)
                    let q = q as usize;
                    let sx = q % w + x - px;
                    let sy = q / w + y - py;
                    let s = &img[(sy * w + sx) * CH..][..CH];
                    for c in 0..CH {
                        acc[c] += wt * s[c] as f32;
                    }
                    wsum += wt;
                }
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

/// Sharp reconstruction: every hole pixel copies the source pixel of the
/// overlapping patch with the highest weight (no averaging, keeps texture).
pub(super) fn vote_best(ctx: &Ctx, f: &Field, wts: &[f32], hole: &[u8]) -> Vec<u8> {
    vote_best_src(ctx, f, wts, hole).0
}

/// [`vote_best`] that also returns, per pixel, the index of the copied source
/// pixel ([`NONE`] for known pixels and pixels without a vote).
pub(super) fn vote_best_src(ctx: &Ctx, f: &Field, wts: &[f32], hole: &[u8]) -> (Vec<u8>, Vec<u32>) {
    let (w, h, r) = (ctx.w, ctx.h, ctx.r);
    let img = ctx.img;
    let mut out = img.to_vec();
    let mut src = vec![NONE; w * h];
    out.par_chunks_mut(w * CH)
        .zip(src.par_chunks_mut(w))
        .enumerate()
        .for_each(|(y, (row, srow))| {
            let py0 = y.saturating_sub(r);
            let py1 = (y + r).min(h - 1);
            for x in 0..w {
                if hole[y * w + x] == 0 {
                    continue;
                }
                let px0 = x.saturating_sub(r);
                let px1 = (x + r).min(w - 1);
                let mut best = (f32::NEG_INFINITY, usize::MAX);
                for py in py0..=py1 {
                    for px in px0..=px1 {
                        let pi = py * w + px;
                        let q = f.nnf[pi];
                        if q == NONE || wts[pi] <= best.0 {
                            continue;
                        }
                        let q = q as usize;
                        best = (wts[pi], (q / w + y - py) * w + q % w + x - px);
                    }
                }
                if best.1 != usize::MAX {
                    row[x * CH..x * CH + CH].copy_from_slice(&img[best.1 * CH..best.1 * CH + CH]);
                    srow[x] = best.1 as u32;
                }
            }
        });
    (out, src)
}
