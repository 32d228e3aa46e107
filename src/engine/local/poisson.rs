//! Gradient-domain refinement of the final sharp reconstruction (in the
//! spirit of Image Melding, Darabi et al. 2012): hole pixels near the
//! boundary are re-solved from a Poisson equation whose guidance gradients
//! are those of the copied source pixels and whose boundary values are the
//! known pixels. The copied texture stays, but colour offsets between the
//! copied patches and the surrounding image are spread smoothly over the
//! band instead of showing as an error at the boundary.

use super::nnf::NONE;
use super::pyramid::{CH, Level};
use rayon::prelude::*;

/// Re-solve the RGB of every hole pixel within `band` (chamfer distance to
/// the nearest known pixel) that has a source pixel `src[i]` (a pixel index
/// of the level). Deeper hole pixels keep their value and act as boundary.
/// `sweeps` red-black SOR sweeps starting from the current values. Where
/// neighbours copy from different sources, the guidance is the mean of both
/// sources' gradients plus `mix` times (stronger one - mean): 1 takes the stronger, 0 the mean,
/// -1 the weaker.
pub(super) fn refine(
    l: &mut Level,
    src: &[u32],
    hole_dist: &[f32],
    band: f32,
    sweeps: usize,
    mix: f32,
) {
    let (w, h) = (l.w, l.h);
    let parity_of = |i: usize| (i % w + i / w) % 2;
    // the red unknowns (even x + y) first, then the black ones: a colour's updates read only
    // the other colour, so each half is updated in parallel, in any order, to the same values
    let mut unknown: Vec<u32> = (0..w * h)
        .filter(|&i| l.hole[i] != 0 && src[i] != NONE && hole_dist[i] <= band)
        .map(|i| i as u32)
        .collect();
    if unknown.is_empty() {
        return;
    }
    unknown.sort_by_key(|&i| parity_of(i as usize));
    let reds = unknown.partition_point(|&i| parity_of(i as usize) == 0);
    let mut slot = vec![NONE; w * h];
    for (k, &i) in unknown.iter().enumerate() {
        slot[i as usize] = k as u32;
    }
    let (rhs, nbr, cnt) = system(l, src, &unknown, &slot, mix);
    let img = &l.img;
    let px = |i: usize, c: usize| img[i * CH + c] as f32;
    let mut f: Vec<[f32; 3]> = unknown
        .iter()
        .map(|&i| {
            let i = i as usize;
            [px(i, 0), px(i, 1), px(i, 2)]
        })
        .collect();
    sor(&mut f, &rhs, &nbr, &cnt, reds, sweeps);
    for (k, &i) in unknown.iter().enumerate() {
        let i = i as usize;
        for c in 0..3 {
            l.img[i * CH + c] = f[k][c].round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// The Poisson system of the `unknown` pixels (`slot`: each pixel's index among them, or NONE):
/// per unknown, the constant right-hand side per channel (the guidance gradients plus the values
/// of known neighbours), the slots of its unknown neighbours, and its number of neighbours.
fn system(
    l: &Level,
    src: &[u32],
    unknown: &[u32],
    slot: &[u32],
    mix: f32,
) -> (Vec<[f32; 3]>, Vec<[u32; 4]>, Vec<u8>) {
    let (w, h) = (l.w, l.h);
    let img = &l.img;
    let px = |i: usize, c: usize| img[i * CH + c] as f32;
    // Per unknown: constant right-hand side (per channel), neighbour slots, count.
    let n = unknown.len();
    let mut rhs = vec![[0.0f32; 3]; n];
    let mut nbr = vec![[NONE; 4]; n];
    let mut cnt = vec![0u8; n];
    // each unknown's row of the system reads only the image: built in parallel
    rhs.par_iter_mut()
        .zip(nbr.par_iter_mut())
        .zip(cnt.par_iter_mut())
        .zip(unknown.par_iter())
        .with_min_len(1024)
        .for_each(|(((rhs, nbr), cnt), &i)| {
            let i = i as usize;
            let (x, y) = (i % w, i / w);
            let si = src[i] as usize;
            let mut m = 0usize;
            for (dx, dy) in [(-1i64, 0i64), (1, 0), (0, -1), (0, 1)] {
                let (nx, ny) = (x as i64 + dx, y as i64 + dy);
                if nx < 0 || ny < 0 || nx as usize >= w || ny as usize >= h {
                    continue;
                }
                let j = ny as usize * w + nx as usize;
                *cnt += 1;
                let g = guidance(l, src, (i, si), j, (dx, dy), mix);
                for c in 0..3 {
                    rhs[c] += g[c];
                }
                if slot[j] != NONE {
                    nbr[m] = slot[j];
                    m += 1;
                } else {
                    for c in 0..3 {
                        rhs[c] += px(j, c);
                    }
                }
            }
        });
    (rhs, nbr, cnt)
}

/// The guidance gradient f_i - f_j between unknown `i` (copied from `si`) and its neighbour `j`,
/// one step (dx, dy) away: the sources' own differences (mixed towards the stronger one where
/// both copy from different places), or the current values' difference where neither gives one.
fn guidance(
    l: &Level,
    src: &[u32],
    (i, si): (usize, usize),
    j: usize,
    (dx, dy): (i64, i64),
    mix: f32,
) -> [f32; 3] {
    let (w, h) = (l.w, l.h);
    let img = &l.img;
    let px = |i: usize, c: usize| img[i * CH + c] as f32;
    // Source pixel one step (dx, dy) away from `s`, if inside the level.
    let step = |s: usize, dx: i64, dy: i64| -> Option<usize> {
        let (x, y) = ((s % w) as i64 + dx, (s / w) as i64 + dy);
        (x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h)
            .then(|| y as usize * w + x as usize)
    };
    // Guidance gradient f_i - f_j: the sources' own differences.
    let mut g = [0.0f32; 3];
    let mut ng = 0.0f32;
    let mut ga: Option<[f32; 3]> = None;
    let mut gb: Option<[f32; 3]> = None;
    if let Some(a2) = step(si, dx, dy) {
        ga = Some([0, 1, 2].map(|c| px(si, c) - px(a2, c)));
    }
    if l.hole[j] != 0 && src[j] != NONE {
        let sj = src[j] as usize;
        if let Some(b2) = step(sj, -dx, -dy) {
            gb = Some([0, 1, 2].map(|c| px(b2, c) - px(sj, c)));
        }
    }
    // Where the two sources disagree (a seam between copied
    // patches) mix the stronger gradient into their mean: the mean
    // alone blurs texture, the stronger one alone keeps noise.
    let mag = |v: &[f32; 3]| v.iter().map(|x| x * x).sum::<f32>();
    if let (Some(a), Some(b)) = (ga, gb) {
        let (s, o) = if mag(&a) >= mag(&b) { (a, b) } else { (b, a) };
        ga = Some([0, 1, 2].map(|c| mix * s[c] + (1.0 - mix) * 0.5 * (s[c] + o[c])));
        gb = None;
    }
    for v in [ga, gb].into_iter().flatten() {
        for c in 0..3 {
            g[c] += v[c];
        }
        ng += 1.0;
    }
    if ng > 0.0 {
        for c in 0..3 {
            g[c] /= ng;
        }
    } else {
        for c in 0..3 {
            g[c] = px(i, c) - px(j, c);
        }
    }
    g
}

/// `sweeps` red-black SOR sweeps over the unknowns' values `f`, from their current values; the
/// first `reds` unknowns are the red ones (their neighbours all black), the rest black.
fn sor(
    f: &mut [[f32; 3]],
    rhs: &[[f32; 3]],
    nbr: &[[u32; 4]],
    cnt: &[u8],
    reds: usize,
    sweeps: usize,
) {
    const OMEGA: f32 = 1.7;
    // unknowns a parallel task updates
    const CHUNK: usize = 4096;
    // one colour's unknowns `mine` (the first at index `base`) from the other colour's `other`
    // (the first at `other_base`)
    let update = |mine: &mut [[f32; 3]], base: usize, other: &[[f32; 3]], other_base: usize| {
        mine.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(ci, chunk)| {
                for (j, fk) in chunk.iter_mut().enumerate() {
                    let k = base + ci * CHUNK + j;
                    if cnt[k] == 0 {
                        continue;
                    }
                    let mut s = rhs[k];
                    for &q in nbr[k].iter().take_while(|&&q| q != NONE) {
                        let v = other[q as usize - other_base];
                        for c in 0..3 {
                            s[c] += v[c];
                        }
                    }
                    let inv = 1.0 / cnt[k] as f32;
                    for c in 0..3 {
                        fk[c] += OMEGA * (s[c] * inv - fk[c]);
                    }
                }
            });
    };
    for _ in 0..sweeps {
        let (red, black) = f.split_at_mut(reds);
        update(red, 0, black, reds);
        update(black, reds, red, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A thin hole copied from a source with the right texture but a colour
    /// offset: the refinement removes the offset and keeps the texture.
    #[test]
    fn removes_offset_keeps_gradients() {
        let (w, h) = (24, 9);
        // Vertical stripes; the right half (the source) is 60 brighter.
        let val =
            |x: usize| (if x.is_multiple_of(2) { 40 } else { 80 }) + if x >= 12 { 60 } else { 0 };
        let mut img = vec![0u8; w * h * CH];
        let mut hole = vec![0u8; w * h];
        let mut src = vec![NONE; w * h];
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                img[i * CH..i * CH + 3].fill(val(x));
                if (3..6).contains(&y) && (2..10).contains(&x) {
                    hole[i] = 1;
                    // copy from 12 px to the right (same stripe phase, +60)
                    let s = i + 12;
                    src[i] = s as u32;
                    img[i * CH..i * CH + 3].fill(val(x + 12));
                }
            }
        }
        let mut l = Level { w, h, img, hole };
        let d = super::super::pyramid::hole_distance(&l.hole, w, h);
        refine(&mut l, &src, &d, 16.0, 200, 0.5);
        for y in 3..6 {
            for x in 2..10 {
                let v = l.img[(y * w + x) * CH] as i32;
                assert!(
                    (v - val(x) as i32).abs() <= 4,
                    "({x},{y}) = {v}, want {}",
                    val(x)
                );
            }
        }
    }
}
