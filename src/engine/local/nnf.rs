//! PatchMatch nearest-neighbour fields (Barnes et al. 2009): random
//! initialisation, propagation and random search, parallelised over fixed row
//! bands so the result only depends on the seed, never on the thread count.

use super::pyramid::CH;
use rayon::prelude::*;

/// Rows per band. Bands are processed in parallel; inside a band the scan is
/// sequential (classic PatchMatch), across band borders propagation reads the
/// previous pass's field. Fixed, so results are scheduling-independent.
const BAND: usize = 16;

/// Marker for "no match" entries (pixels that are not patch targets).
pub(super) const NONE: u32 = u32::MAX;

/// SplitMix64 finaliser.
#[inline]
pub(super) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derive a stream seed from a parent seed and a label.
#[inline]
pub(super) fn derive(seed: u64, label: u64) -> u64 {
    mix64(seed ^ mix64(label.wrapping_add(0x9E37_79B9_7F4A_7C15)))
}

/// Small deterministic PRNG (SplitMix64 stream).
pub(super) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(mix64(seed))
    }
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }
    /// Uniform in `0..n` (n > 0).
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * n as u64) >> 32) as u32
    }
}

/// Read-only data of one level that PatchMatch works on.
pub(super) struct Ctx<'a> {
    pub w: usize,
    pub h: usize,
    pub r: usize,
    pub img: &'a [u8],
    pub valid: &'a [bool],
    pub valid_list: &'a [u32],
    pub target: &'a [bool],
    /// Cost added per pixel of displacement between target and source
    /// (prefers nearby sources); 0 disables it.
    pub locality: f32,
    /// Structure guide per pixel (`structure::guide`), empty for none: matching adds
    /// `guide_weight` times the squared difference of the target's and the source's.
    pub guide: &'a [[i8; 4]],
    pub guide_weight: u32,
    /// Coherence: how much lower (in patch-distance units) the distance of a random-search or
    /// exploration candidate must be to replace a target's match. Candidates propagated from a
    /// neighbour, which continue its copy, need only be lower; 0 treats all alike.
    pub coherence: u32,
    /// Cap of each pixel's squared difference in the patch distance (0: none; see
    /// [`patch_dist_capped`]).
    pub cap: u32,
}

/// Dense nearest-neighbour field: for every target centre the index
/// (`y * w + x`) of its source centre and the patch SSD.
#[derive(Clone)]
pub(super) struct Field {
    pub nnf: Vec<u32>,
    pub dist: Vec<u32>,
}

#[inline]
fn ssd(a: &[u8], b: &[u8]) -> u32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = 0u32;
    let mut ca = a.chunks_exact(16);
    let mut cb = b.chunks_exact(16);
    for (x, y) in (&mut ca).zip(&mut cb) {
        let mut s = 0u32;
        for i in 0..16 {
            let d = x[i].abs_diff(y[i]) as u32;
            s += d * d;
        }
        acc += s;
    }
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        let d = x.abs_diff(*y) as u32;
        acc += d * d;
    }
    acc
}

/// Sum of squared RGB differences between the target patch centred at `p`
/// (clipped to the image) and the source patch centred at `q` (which must lie
/// fully inside the image). Stops early once the sum reaches `bound`.
#[inline]
pub(super) fn patch_dist(
    img: &[u8],
    w: usize,
    h: usize,
    r: usize,
    p: (usize, usize),
    q: (usize, usize),
    bound: u32,
) -> u32 {
    patch_dist_with::<false>(img, w, h, r, p, q, (bound, 0))
}

/// [`patch_dist`] with each pixel's squared difference (over its [`CH`] channels) capped at
/// `cap`: a robust distance, where a source that matches part of the target exactly beats one
/// that is a little off everywhere (the mean of the target's two sides). Stops early once the
/// sum reaches `bound` (of `(bound, cap)`). A `cap` of 0 means none: [`patch_dist`].
#[inline]
pub(super) fn patch_dist_capped(
    img: &[u8],
    w: usize,
    h: usize,
    r: usize,
    p: (usize, usize),
    q: (usize, usize),
    bound_cap: (u32, u32),
) -> u32 {
    if bound_cap.1 == 0 {
        patch_dist_with::<false>(img, w, h, r, p, q, bound_cap)
    } else {
        patch_dist_with::<true>(img, w, h, r, p, q, bound_cap)
    }
}

/// [`patch_dist`], or with `CAPPED` [`patch_dist_capped`].
#[inline]
fn patch_dist_with<const CAPPED: bool>(
    img: &[u8],
    w: usize,
    h: usize,
    r: usize,
    p: (usize, usize),
    q: (usize, usize),
    bound_cap: (u32, u32),
) -> u32 {
    let (px, py) = p;
    // Whole patches (nearly every target) take a path whose row length is known at compile
    // time, so the byte loop is unrolled and vectorised; clipped ones take the general one.
    if px >= r && py >= r && px + r < w && py + r < h {
        match r {
            3 => return patch_dist_fixed::<7, { 7 * CH }, CAPPED>(img, w, p, q, bound_cap),
            2 => return patch_dist_fixed::<5, { 5 * CH }, CAPPED>(img, w, p, q, bound_cap),
            _ => {}
        }
    }
    patch_dist_clipped::<CAPPED>(img, w, h, r, p, q, bound_cap)
}

/// The squared differences of the pixels of `t` and `s` ([`CH`] bytes each), summed; with
/// `CAPPED` each pixel's at most `cap`.
#[inline]
fn row_sum<const CAPPED: bool>(t: &[u8], s: &[u8], cap: u32) -> u32 {
    if CAPPED {
        t.chunks_exact(CH)
            .zip(s.chunks_exact(CH))
            .map(|(a, b)| ssd(a, b).min(cap))
            .sum()
    } else {
        ssd(t, s)
    }
}

/// [`patch_dist_with`] for any patch: the target clipped to the image.
#[inline]
fn patch_dist_clipped<const CAPPED: bool>(
    img: &[u8],
    w: usize,
    h: usize,
    r: usize,
    p: (usize, usize),
    q: (usize, usize),
    (bound, cap): (u32, u32),
) -> u32 {
    let (px, py) = p;
    let (qx, qy) = q;
    let y0 = py.saturating_sub(r);
    let y1 = (py + r).min(h - 1);
    let x0 = px.saturating_sub(r);
    let x1 = (px + r).min(w - 1);
    let len = (x1 - x0 + 1) * CH;
    let sx0 = qx + x0 - px;
    let mut acc = 0u32;
    for ty in y0..=y1 {
        let sy = qy + ty - py;
        let t = &img[(ty * w + x0) * CH..][..len];
        let s = &img[(sy * w + sx0) * CH..][..len];
        acc += row_sum::<CAPPED>(t, s, cap);
        if acc >= bound {
            return acc;
        }
    }
    acc
}

/// [`patch_dist_with`] for an unclipped `S x S` patch (`L = S * CH` bytes a row).
#[inline]
fn patch_dist_fixed<const S: usize, const L: usize, const CAPPED: bool>(
    img: &[u8],
    w: usize,
    p: (usize, usize),
    q: (usize, usize),
    (bound, cap): (u32, u32),
) -> u32 {
    let rows = fixed_rows::<S, L>(img, w, p, q);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of the x86_64 baseline: every x86_64 CPU has it.
    let sum = unsafe { sse2::rows_ssd::<L, CAPPED>(rows, bound, cap) };
    #[cfg(not(target_arch = "x86_64"))]
    let sum = rows_ssd::<L, CAPPED>(rows, bound, cap);
    sum
}

/// The row pairs (target, source) of the unclipped `S x S` patches centred at `p` and `q`;
/// `None` for a row outside `img`.
#[inline]
fn fixed_rows<const S: usize, const L: usize>(
    img: &[u8],
    w: usize,
    p: (usize, usize),
    q: (usize, usize),
) -> impl Iterator<Item = Option<(&[u8; L], &[u8; L])>> {
    let r = S / 2;
    let (t0, s0) = ((p.1 - r) * w + p.0 - r, (q.1 - r) * w + q.0 - r);
    (0..S).map(move |row| {
        img.get((t0 + row * w) * CH..)
            .and_then(|t| t.first_chunk::<L>())
            .zip(
                img.get((s0 + row * w) * CH..)
                    .and_then(|s| s.first_chunk::<L>()),
            )
    })
}

/// The sum of squared differences of the row pairs (with `CAPPED`, each pixel's at most
/// `cap`), stopping once it reaches `bound` (`u32::MAX` for a missing row). The portable
/// form: x86_64 runs [`sse2::rows_ssd`].
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline]
fn rows_ssd<'a, const L: usize, const CAPPED: bool>(
    rows: impl Iterator<Item = Option<(&'a [u8; L], &'a [u8; L])>>,
    bound: u32,
    cap: u32,
) -> u32 {
    let mut acc = 0u32;
    for row in rows {
        let Some((t, s)) = row else {
            return u32::MAX;
        };
        acc += if CAPPED {
            row_sum::<true>(t, s, cap)
        } else {
            // |d| fits a u16 and so does its square: the narrow form vectorises best
            t.iter()
                .zip(s)
                .map(|(a, b)| {
                    let d = a.abs_diff(*b) as u16;
                    (d * d) as u32
                })
                .sum::<u32>()
        };
        if acc >= bound {
            return acc;
        }
    }
    acc
}

/// The SSE2 form of [`rows_ssd`]: |t - s| on 16 bytes at once, widened to 16 bits, squared
/// and summed in pairs (`pmaddwd`). The same sums in 35 instructions a 7-pixel row, against 57
/// for LLVM's code of the portable form and 87 for the 32-bit form this replaced.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    /// [`super::rows_ssd`]; with `CAPPED` four pixels' capped sums at once (`cap` at most
    /// `i32::MAX` counts).
    #[inline]
    #[target_feature(enable = "sse2")]
    pub(super) fn rows_ssd<'a, const L: usize, const CAPPED: bool>(
        rows: impl Iterator<Item = Option<(&'a [u8; L], &'a [u8; L])>>,
        bound: u32,
        cap: u32,
    ) -> u32 {
        let cap = _mm_set1_epi32(cap.min(i32::MAX as u32) as i32);
        let mut acc = _mm_setzero_si128();
        for row in rows {
            let Some((t, s)) = row else {
                return u32::MAX;
            };
            let mut i = 0;
            while i < L {
                let (a, b) = (load(&t[i..]), load(&s[i..]));
                let d = if CAPPED {
                    sq_capped(a, b, cap)
                } else {
                    sq(a, b)
                };
                acc = _mm_add_epi32(acc, d);
                i += 16;
            }
            let sum = hsum(acc);
            if sum >= bound {
                return sum;
            }
        }
        hsum(acc)
    }

    /// In lanes 0 and 2, the capped squared differences of two pixels each (four bytes a
    /// pixel) of `a` and `b` added up; lanes 1 and 3 are 0.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn sq_capped(a: __m128i, b: __m128i, cap: __m128i) -> __m128i {
        let z = _mm_setzero_si128();
        let d = _mm_or_si128(_mm_subs_epu8(a, b), _mm_subs_epu8(b, a));
        let (lo, hi) = (_mm_unpacklo_epi8(d, z), _mm_unpackhi_epi8(d, z));
        // lanes: pixel 0's channels 0+1 and 2+3, then pixel 1's (pixels 2 and 3 in `h`)
        let (l, h) = (_mm_madd_epi16(lo, lo), _mm_madd_epi16(hi, hi));
        // lanes 0 and 2: a pixel's sum (lanes 1 and 3 are dropped below)
        let l = _mm_add_epi32(l, _mm_srli_epi64::<32>(l));
        let h = _mm_add_epi32(h, _mm_srli_epi64::<32>(h));
        let min = |v: __m128i| {
            let over = _mm_cmpgt_epi32(v, cap);
            _mm_or_si128(_mm_and_si128(over, cap), _mm_andnot_si128(over, v))
        };
        let even = _mm_set_epi32(0, -1, 0, -1);
        _mm_and_si128(_mm_add_epi32(min(l), min(h)), even)
    }

    /// Up to 16 bytes of `b` in a vector, zeros after its end (the same in both operands, so
    /// they add nothing).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn load(b: &[u8]) -> __m128i {
        let half = |b: &[u8]| {
            let mut a = [0u8; 8];
            let n = b.len().min(8);
            a[..n].copy_from_slice(&b[..n]);
            i64::from_le_bytes(a)
        };
        let n = b.len().min(8);
        let m = b.len().min(16);
        _mm_set_epi64x(half(&b[n..m]), half(&b[..n]))
    }

    /// Per 32-bit lane, the sum of the squared differences of four bytes of `a` and `b`.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn sq(a: __m128i, b: __m128i) -> __m128i {
        let z = _mm_setzero_si128();
        let d = _mm_or_si128(_mm_subs_epu8(a, b), _mm_subs_epu8(b, a));
        let (lo, hi) = (_mm_unpacklo_epi8(d, z), _mm_unpackhi_epi8(d, z));
        _mm_add_epi32(_mm_madd_epi16(lo, lo), _mm_madd_epi16(hi, hi))
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn hsum(v: __m128i) -> u32 {
        let v = _mm_add_epi32(v, _mm_shuffle_epi32::<0b01_00_11_10>(v));
        let v = _mm_add_epi32(v, _mm_shuffle_epi32::<0b10_11_00_01>(v));
        _mm_cvtsi128_si32(v) as u32
    }
}

/// Number of pixels in the (clipped) patch centred at `p`.
#[inline]
pub(super) fn patch_pixels(w: usize, h: usize, r: usize, p: (usize, usize)) -> u32 {
    let (px, py) = p;
    let nx = (px + r).min(w - 1) - px.saturating_sub(r) + 1;
    let ny = (py + r).min(h - 1) - py.saturating_sub(r) + 1;
    (nx * ny) as u32
}

impl Ctx<'_> {
    #[inline]
    fn dist(&self, p: (usize, usize), q: u32, bound: u32) -> u32 {
        // 32-bit division: noticeably cheaper than 64-bit
        let w = self.w as u32;
        self.dist_at(p, ((q % w) as usize, (q / w) as usize), bound)
    }

    /// [`Ctx::dist`] of a source given as `(x, y)`. PatchMatch's candidates come with their
    /// coordinates: a division per candidate cost 3% of the instructions and more of the time.
    #[inline]
    fn dist_at(&self, p: (usize, usize), q: (usize, usize), bound: u32) -> u32 {
        let mut pen = 0u32;
        if let (Some(gp), Some(gq)) = (
            self.guide.get(p.1 * self.w + p.0),
            self.guide.get(q.1 * self.w + q.0),
        ) {
            let d2: u32 = gp
                .iter()
                .zip(gq)
                .map(|(a, b)| (*a as i32 - *b as i32).pow(2) as u32)
                .sum();
            pen = d2.saturating_mul(self.guide_weight);
            if pen >= bound {
                return pen;
            }
        }
        // The locality term without its square root first: a lower bound (the larger axis
        // distance, less a margin for rounding) that is enough to reject most candidates.
        let (dx, dy) = (p.0.abs_diff(q.0), p.1.abs_diff(q.1));
        let near = if self.locality > 0.0 {
            (dx.max(dy) as f32 * self.locality * 0.999) as u32
        } else {
            0
        };
        let rest = bound - pen;
        if near >= rest {
            return bound;
        }
        let ssd = patch_dist_capped(
            self.img,
            self.w,
            self.h,
            self.r,
            p,
            q,
            (rest - near, self.cap),
        );
        if ssd >= rest - near {
            return bound;
        }
        if self.locality > 0.0 {
            let d = (dx * dx + dy * dy) as f32;
            pen = pen.saturating_add((d.sqrt() * self.locality) as u32);
        }
        pen.saturating_add(ssd)
    }

    #[inline]
    fn random_valid(&self, rng: &mut Rng) -> u32 {
        self.valid_list[rng.below(self.valid_list.len() as u32) as usize]
    }
}

/// Uniformly random valid source for every target (needs a non-empty `valid_list`).
pub(super) fn init_random(ctx: &Ctx, seed: u64) -> Field {
    let n = ctx.w * ctx.h;
    let mut nnf = vec![NONE; n];
    let mut dist = vec![u32::MAX; n];
    nnf.par_chunks_mut(ctx.w)
        .zip(dist.par_chunks_mut(ctx.w))
        .enumerate()
        .for_each(|(y, (nrow, drow))| {
            let mut rng = Rng::new(derive(seed, y as u64));
            for x in 0..ctx.w {
                let i = y * ctx.w + x;
                if ctx.target[i] {
                    let q = ctx.random_valid(&mut rng);
                    nrow[x] = q;
                    drow[x] = ctx.dist((x, y), q, u32::MAX);
                }
            }
        });
    Field { nnf, dist }
}

/// Recompute all distances (after the image estimate changed).
pub(super) fn recompute_dist(ctx: &Ctx, f: &mut Field) {
    let w = ctx.w;
    f.dist
        .par_chunks_mut(w)
        .zip(f.nnf.par_chunks(w))
        .enumerate()
        .for_each(|(y, (drow, nrow))| {
            for x in 0..w {
                if nrow[x] != NONE {
                    drow[x] = ctx.dist((x, y), nrow[x], u32::MAX);
                }
            }
        });
}

/// Upsample a coarse field (cw x ch) to the level of `ctx` (about twice the size).
pub(super) fn upsample_field(coarse: &Field, cw: usize, ch: usize, ctx: &Ctx, seed: u64) -> Field {
    let (w, h) = (ctx.w, ctx.h);
    let mut nnf = vec![NONE; w * h];
    let mut dist = vec![u32::MAX; w * h];
    nnf.par_chunks_mut(w)
        .zip(dist.par_chunks_mut(w))
        .enumerate()
        .for_each(|(y, (nrow, drow))| {
            let mut rng = Rng::new(derive(seed, y as u64));
            for x in 0..w {
                let i = y * w + x;
                if !ctx.target[i] {
                    continue;
                }
                let ci = (y / 2).min(ch - 1) * cw + (x / 2).min(cw - 1);
                let qc = coarse.nnf[ci];
                let mut q = NONE;
                if qc != NONE {
                    let (qcx, qcy) = ((qc as usize % cw) * 2, (qc as usize / cw) * 2);
                    for (ox, oy) in [(x % 2, y % 2), (0, 0), (1, 1)] {
                        let (sx, sy) = ((qcx + ox).min(w - 1), (qcy + oy).min(h - 1));
                        if ctx.valid[sy * w + sx] {
                            q = (sy * w + sx) as u32;
                            break;
                        }
                    }
                }
                if q == NONE {
                    q = ctx.random_valid(&mut rng);
                }
                nrow[x] = q;
                drow[x] = ctx.dist((x, y), q, u32::MAX);
            }
        });
    Field { nnf, dist }
}

/// One PatchMatch pass (propagation + random search) over every target.
/// `forward` selects the scan order; `seed` must differ per pass; the random
/// search starts at `max_radius` (clamped to the level size) and halves; `explore` adds one
/// uniformly random source per target.
pub(super) fn pm_pass(
    ctx: &Ctx,
    f: &mut Field,
    forward: bool,
    seed: u64,
    max_radius: usize,
    explore: bool,
) {
    let w = ctx.w;
    let h = ctx.h;
    let prev = f.nnf.clone();
    let w32 = w as u32;
    let max_rad = max_radius.clamp(1, w.max(h)) as i64;
    f.nnf
        .par_chunks_mut(BAND * w)
        .zip(f.dist.par_chunks_mut(BAND * w))
        .enumerate()
        .for_each(|(b, (nnf, dist))| {
            let y_base = b * BAND;
            let rows = nnf.len() / w;
            let mut rng = Rng::new(derive(seed, b as u64));
            let step: i64 = if forward { -1 } else { 1 };
            for k in 0..rows {
                let ly = if forward { k } else { rows - 1 - k };
                let y = y_base + ly;
                for kx in 0..w {
                    let x = if forward { kx } else { w - 1 - kx };
                    let i = y * w + x;
                    if !ctx.target[i] {
                        continue;
                    }
                    let li = ly * w + x;
                    let mut best = nnf[li];
                    let mut bd = dist[li];
                    // a candidate: its index and its (x, y), and the margin it must win by
                    let consider =
                        |q: u32, qxy: (usize, usize), margin: u32, best: &mut u32, bd: &mut u32| {
                            if q != *best && ctx.valid[q as usize] {
                                let bound = bd.saturating_sub(margin);
                                let d = ctx.dist_at((x, y), qxy, bound);
                                if d < bound {
                                    *best = q;
                                    *bd = d;
                                }
                            }
                        };
                    let xy = |q: u32| ((q % w32) as usize, (q / w32) as usize);
                    // Propagation from the horizontal neighbour (same row: this band).
                    let nx = x as i64 + step;
                    if nx >= 0 && (nx as usize) < w && ctx.target[y * w + nx as usize] {
                        let q = nnf[ly * w + nx as usize];
                        if q != NONE {
                            let (qx, qy) = xy(q);
                            let qx = qx as i64 - step;
                            if qx >= 0 && (qx as usize) < w {
                                let qx = qx as usize;
                                consider((qy * w + qx) as u32, (qx, qy), 0, &mut best, &mut bd);
                            }
                        }
                    }
                    // Propagation from the vertical neighbour.
                    let ny = y as i64 + step;
                    if ny >= 0 && (ny as usize) < h && ctx.target[ny as usize * w + x] {
                        let ny = ny as usize;
                        let q = if ny >= y_base && ny < y_base + rows {
                            nnf[(ny - y_base) * w + x]
                        } else {
                            prev[ny * w + x]
                        };
                        if q != NONE {
                            let (qx, qy) = xy(q);
                            let qy = qy as i64 - step;
                            if qy >= 0 && (qy as usize) < h {
                                let qy = qy as usize;
                                consider((qy * w + qx) as u32, (qx, qy), 0, &mut best, &mut bd);
                            }
                        }
                    }
                    // Random search around the current best, halving the radius.
                    let (bx, by) = xy(best);
                    let (bx, by) = (bx as i64, by as i64);
                    let mut rad = max_rad;
                    while rad >= 1 {
                        let span = (2 * rad + 1) as u32;
                        let cx = (bx + rng.below(span) as i64 - rad).clamp(0, w as i64 - 1);
                        let cy = (by + rng.below(span) as i64 - rad).clamp(0, h as i64 - 1);
                        let (cx, cy) = (cx as usize, cy as usize);
                        consider(
                            (cy * w + cx) as u32,
                            (cx, cy),
                            ctx.coherence,
                            &mut best,
                            &mut bd,
                        );
                        rad /= 2;
                    }
                    // One global exploration sample.
                    if explore {
                        let g = ctx.random_valid(&mut rng);
                        consider(g, xy(g), ctx.coherence, &mut best, &mut bd);
                    }
                    nnf[li] = best;
                    dist[li] = bd;
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_dist_clips_target_and_terminates_early() {
        let (w, h) = (8, 8);
        let mut img = vec![0u8; w * h * CH];
        img[(4 * w + 4) * CH] = 10;
        assert_eq!(patch_dist(&img, w, h, 1, (0, 0), (2, 2), u32::MAX), 0);
        assert_eq!(patch_dist(&img, w, h, 1, (0, 0), (4, 4), u32::MAX), 100);
        assert_eq!(patch_dist(&img, w, h, 1, (1, 1), (4, 4), u32::MAX), 100);
        assert_eq!(patch_pixels(w, h, 1, (0, 0)), 4);
        assert!(patch_dist(&img, w, h, 1, (1, 1), (4, 4), 50) >= 50);
    }

    #[test]
    fn whole_patches_take_the_fixed_path_with_the_same_sums() {
        let (w, h) = (23, 19);
        let mut rng = Rng::new(7);
        let img: Vec<u8> = (0..w * h * CH).map(|_| rng.below(256) as u8).collect();
        for r in [2, 3] {
            for py in 0..h {
                for px in 0..w {
                    let q = (
                        r + rng.below((w - 2 * r) as u32) as usize,
                        r + rng.below((h - 2 * r) as u32) as usize,
                    );
                    let full =
                        patch_dist_clipped::<false>(&img, w, h, r, (px, py), q, (u32::MAX, 0));
                    assert_eq!(patch_dist(&img, w, h, r, (px, py), q, u32::MAX), full);
                    if px >= r && py >= r && px + r < w && py + r < h {
                        let rows = |p| match r {
                            3 => rows_ssd::<28, false>(
                                fixed_rows::<7, 28>(&img, w, p, q),
                                u32::MAX,
                                0,
                            ),
                            _ => rows_ssd::<20, false>(
                                fixed_rows::<5, 20>(&img, w, p, q),
                                u32::MAX,
                                0,
                            ),
                        };
                        assert_eq!(rows((px, py)), full, "the portable form");
                    }
                    let bound = full / 2 + 1;
                    let early = patch_dist(&img, w, h, r, (px, py), q, bound);
                    assert!(
                        early <= full && (early >= bound || early == full),
                        "{early} {bound} {full}"
                    );
                }
            }
        }
    }

    /// The capped distance on both paths (whole patches: SSE2 on x86_64 and the portable form;
    /// clipped ones) against a plain per-pixel reference, with early termination.
    #[test]
    fn the_capped_distance_caps_each_pixel_on_every_path() {
        let (w, h) = (23, 19);
        let mut rng = Rng::new(11);
        let img: Vec<u8> = (0..w * h * CH).map(|_| rng.below(256) as u8).collect();
        let reference = |r: usize, p: (usize, usize), q: (usize, usize), cap: u32| {
            let mut acc = 0u32;
            for ty in p.1.saturating_sub(r)..=(p.1 + r).min(h - 1) {
                for tx in p.0.saturating_sub(r)..=(p.0 + r).min(w - 1) {
                    let (sx, sy) = (q.0 + tx - p.0, q.1 + ty - p.1);
                    let px: u32 = (0..CH)
                        .map(|c| {
                            let d =
                                img[(ty * w + tx) * CH + c].abs_diff(img[(sy * w + sx) * CH + c]);
                            d as u32 * d as u32
                        })
                        .sum();
                    acc += px.min(cap);
                }
            }
            acc
        };
        for cap in [1, 4000, 60_000, u32::MAX] {
            for r in [2, 3] {
                for py in 0..h {
                    for px in 0..w {
                        let q = (
                            r + rng.below((w - 2 * r) as u32) as usize,
                            r + rng.below((h - 2 * r) as u32) as usize,
                        );
                        let want = reference(r, (px, py), q, cap);
                        let got = patch_dist_capped(&img, w, h, r, (px, py), q, (u32::MAX, cap));
                        assert_eq!(got, want, "r {r} cap {cap} at {px},{py}");
                        if px >= r && py >= r && px + r < w && py + r < h {
                            let rows = |p| match r {
                                3 => rows_ssd::<28, true>(
                                    fixed_rows::<7, 28>(&img, w, p, q),
                                    u32::MAX,
                                    cap,
                                ),
                                _ => rows_ssd::<20, true>(
                                    fixed_rows::<5, 20>(&img, w, p, q),
                                    u32::MAX,
                                    cap,
                                ),
                            };
                            assert_eq!(rows((px, py)), want, "the portable form");
                        }
                        let bound = want / 2 + 1;
                        let early = patch_dist_capped(&img, w, h, r, (px, py), q, (bound, cap));
                        assert!(early <= want && (early >= bound || early == want));
                    }
                }
            }
        }
    }

    /// What the cap is for: a target half red, half blue. The plain distance finds a purple
    /// source (their mean, off by half the difference everywhere) closer than a red one (exact
    /// on half the patch, far off on the other); with the cap the red one is closer.
    #[test]
    fn capped_a_source_that_matches_half_the_target_beats_their_mean() {
        let (w, h, r) = (15, 5, 2);
        let (red, blue, purple) = ([200, 40, 40, 0], [40, 40, 200, 0], [120, 40, 120, 0]);
        let img: Vec<u8> = (0..w * h)
            .flat_map(|i| match i % w {
                // the target: columns 0-4, red left of its centre, blue from it on
                0..=1 => red,
                2..=4 => blue,
                5..=9 => red,
                _ => purple,
            })
            .collect();
        let (target, red_src, purple_src) = ((2, 2), (7, 2), (12, 2));
        let plain = |q| patch_dist(&img, w, h, r, target, q, u32::MAX);
        let capped = |q| patch_dist_capped(&img, w, h, r, target, q, (u32::MAX, 4000));
        assert!(plain(purple_src) < plain(red_src));
        assert!(capped(red_src) < capped(purple_src));
    }

    /// A field that copies one block whole (every target 20 px right of its source) on random
    /// noise: random search finds better single matches, so a pass without a coherence margin
    /// breaks the copy up, while a margin larger than any gain keeps it (its propagated
    /// candidates are its own matches), and a moderate one lets fewer matches go.
    #[test]
    fn a_coherence_margin_keeps_a_whole_copy_that_random_search_breaks_up() {
        let (w, h, r) = (40, 30, 2);
        let mut rng = Rng::new(3);
        let img: Vec<u8> = (0..w * h * CH).map(|_| rng.below(256) as u8).collect();
        let target: Vec<bool> = (0..w * h)
            .map(|i| (24..34).contains(&(i % w)) && (10..20).contains(&(i / w)))
            .collect();
        let valid: Vec<bool> = (0..w * h)
            .map(|i| (r..20 - r).contains(&(i % w)) && (r..h - r).contains(&(i / w)))
            .collect();
        let valid_list: Vec<u32> = (0..w * h).filter(|&i| valid[i]).map(|i| i as u32).collect();
        let changed = |coherence: u32| {
            let ctx = Ctx {
                w,
                h,
                r,
                img: &img,
                valid: &valid,
                valid_list: &valid_list,
                target: &target,
                locality: 0.0,
                guide: &[],
                guide_weight: 0,
                cap: 0,
                coherence,
            };
            let nnf: Vec<u32> = (0..w * h)
                .map(|i| if target[i] { (i - 20) as u32 } else { NONE })
                .collect();
            let mut f = Field {
                dist: vec![0; w * h],
                nnf: nnf.clone(),
            };
            recompute_dist(&ctx, &mut f);
            pm_pass(&ctx, &mut f, true, 9, w, true);
            (0..w * h).filter(|&i| f.nnf[i] != nnf[i]).count()
        };
        let (free, moderate) = (changed(0), changed(25 * 2000));
        assert!(free > 30, "{free} of 100 matches replaced without a margin");
        assert!(moderate < free, "{moderate} with a margin, {free} without");
        assert_eq!(changed(u32::MAX), 0);
    }

    #[test]
    fn rng_is_uniform_enough() {
        let mut r = Rng::new(1);
        let mut c = [0u32; 4];
        for _ in 0..4000 {
            c[r.below(4) as usize] += 1;
        }
        assert!(c.iter().all(|&k| (800..1200).contains(&k)));
    }
}
