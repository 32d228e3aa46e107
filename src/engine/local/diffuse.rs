//! Diffusion fill used to initialise the coarsest level (and as the fallback
//! when no patch source exists): push-pull interpolation followed by a few
//! Jacobi (membrane) sweeps over the hole pixels, or, where the edges around the
//! hole share a direction ([`ring_orientation`]), over-relaxed sweeps that spread
//! along them ([`diffuse_fill_along`]).

use super::pyramid::{CH, Level};
use crate::mask::neighbours4;

type Px = [f32; CH + 1]; // channels (premultiplied) + weight

/// Fill the hole pixels of `l` smoothly from the known pixels. With no known
/// pixel at all the hole becomes mid-grey (texture channel 0).
pub(super) fn diffuse_fill(l: &mut Level, max_sweeps: usize) {
    let Some(mut cur) = push_pull(l) else {
        return;
    };
    // Jacobi sweeps (membrane) on hole pixels to smooth the block structure.
    let (w, h) = (l.w, l.h);
    let holes: Vec<usize> = (0..w * h).filter(|&i| l.hole[i] != 0).collect();
    let sweeps = max_sweeps.min(SWEEP_WORK / holes.len().max(1));
    let mut next = cur.clone();
    for _ in 0..sweeps {
        for &i in &holes {
            let mut s = [0.0f32; CH + 1];
            for j in neighbours4(i, w, h) {
                for c in 0..CH {
                    s[c] += cur[j][c];
                }
                s[CH] += 1.0;
            }
            if s[CH] > 0.0 {
                for c in 0..CH {
                    next[i][c] = s[c] / s[CH];
                }
            }
        }
        std::mem::swap(&mut cur, &mut next);
    }
    write_holes(l, &cur);
}

/// Work bound of the sweeps: at most this many pixel updates in all.
const SWEEP_WORK: usize = 40_000_000;

/// Known pixels at most this far (level pixels) from the hole give [`ring_orientation`].
pub(super) const ORIENTATION_RING: f32 = 4.0;

/// Over-relaxation of [`diffuse_fill_along`]'s sweeps.
const OMEGA: f32 = 1.8;

/// The direction and strength of the edges around a hole: `g` is the unit direction of the
/// dominant colour gradient of the known pixels near it, `coherence` ((l1 - l2) / (l1 + l2) of
/// their structure tensor, 0..1) how strongly the gradients share it: 1 for parallel straight
/// edges (a horizon, stripes), near 0 for texture without a direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Orientation {
    pub g: (f32, f32),
    pub coherence: f32,
}

/// The [`Orientation`] of the known pixels of `l` within `ring` level pixels of its hole whose
/// four neighbours are known too (central differences of R, G and B, summed into one structure
/// tensor). `None` when they have no gradient at all (or there are none).
pub(super) fn ring_orientation(l: &Level, ring: f32) -> Option<Orientation> {
    let (w, h) = (l.w, l.h);
    let known: Vec<u8> = l.hole.iter().map(|&m| u8::from(m == 0)).collect();
    let dist = super::pyramid::hole_distance(&known, w, h);
    let (mut jxx, mut jxy, mut jyy) = (0.0f64, 0.0f64, 0.0f64);
    let px = |i: usize, c: usize| f64::from(l.img[i * CH + c]);
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let i = y * w + x;
            if dist[i] > ring
                || [i, i - 1, i + 1, i - w, i + w]
                    .iter()
                    .any(|&j| l.hole[j] != 0)
            {
                continue;
            }
            for c in 0..3 {
                let gx = (px(i + 1, c) - px(i - 1, c)) / 2.0;
                let gy = (px(i + w, c) - px(i - w, c)) / 2.0;
                jxx += gx * gx;
                jxy += gx * gy;
                jyy += gy * gy;
            }
        }
    }
    let trace = jxx + jyy;
    if trace <= 0.0 {
        return None;
    }
    let spread = ((jxx - jyy) * (jxx - jyy) + 4.0 * jxy * jxy).sqrt();
    let theta = 0.5 * (2.0 * jxy).atan2(jxx - jyy);
    Some(Orientation {
        g: (theta.cos() as f32, theta.sin() as f32),
        coherence: (spread / trace) as f32,
    })
}

/// [`diffuse_fill`] that spreads along edges of direction `o` more than across them: each of a
/// hole pixel's 8 neighbours, in unit direction `u`, weighs `(1 - strength (u.g)^2) / |u|^2`
/// (`strength` in 0..1, `g` the gradient direction, across the edges). Where the known pixels
/// around the hole have such edges (a horizon, a tower, stripes), the estimate continues them
/// through it instead of blending the colours of both sides into its middle. The sweeps are
/// symmetric successive over-relaxation (forward, then backward), which at `max_sweeps` (200)
/// settles a coarsest level's hole (under 80 pixels across).
pub(super) fn diffuse_fill_along(l: &mut Level, max_sweeps: usize, o: Orientation, strength: f32) {
    let Some(mut cur) = push_pull(l) else {
        return;
    };
    const N: [(isize, isize); 8] = [
        (-1, 0),
        (1, 0),
        (0, -1),
        (0, 1),
        (-1, -1),
        (1, 1),
        (-1, 1),
        (1, -1),
    ];
    let a = strength.clamp(0.0, 0.98);
    let wts = N.map(|(dx, dy)| {
        let len2 = (dx * dx + dy * dy) as f32;
        let along_g = (dx as f32 * o.g.0 + dy as f32 * o.g.1) / len2.sqrt();
        (1.0 - a * along_g * along_g) / len2
    });
    let (w, h) = (l.w as isize, l.h as isize);
    // every hole pixel with its neighbours and their weights (normalised to sum 1)
    let stencil: Vec<(usize, [(usize, f32); 8])> = (0..l.w * l.h)
        .filter(|&i| l.hole[i] != 0)
        .map(|i| {
            let (x, y) = ((i % l.w) as isize, (i / l.w) as isize);
            let mut nb = [(i, 0.0f32); 8];
            for (k, (dx, dy)) in N.into_iter().enumerate() {
                let (nx, ny) = (x + dx, y + dy);
                if nx >= 0 && ny >= 0 && nx < w && ny < h {
                    nb[k] = ((ny * w + nx) as usize, wts[k]);
                }
            }
            let total: f32 = nb.iter().map(|n| n.1).sum();
            for n in &mut nb {
                n.1 /= total;
            }
            (i, nb)
        })
        .collect();
    let step = |cur: &mut [Px], (i, nb): &(usize, [(usize, f32); 8])| {
        let mut s = [0.0f32; CH];
        for &(j, wt) in nb {
            for c in 0..CH {
                s[c] += wt * cur[j][c];
            }
        }
        for c in 0..CH {
            cur[*i][c] += OMEGA * (s[c] - cur[*i][c]);
        }
    };
    let sweeps = max_sweeps.min(SWEEP_WORK / stencil.len().max(1));
    for sweep in 0..sweeps {
        if sweep % 2 == 0 {
            stencil.iter().for_each(|st| step(&mut cur, st));
        } else {
            stencil.iter().rev().for_each(|st| step(&mut cur, st));
        }
    }
    write_holes(l, &cur);
}

/// The hole pixels of `l` set from `px` (rounded, clamped to 0..255).
fn write_holes(l: &mut Level, px: &[Px]) {
    for (i, p) in px.iter().enumerate().filter(|&(i, _)| l.hole[i] != 0) {
        for c in 0..CH {
            l.img[i * CH + c] = p[c].round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// Push-pull interpolation of the hole pixels of `l` from its known pixels: every pixel of the
/// level as channels with weight 1. `None` (and the hole mid-grey, texture channel 0) when no
/// pixel is known.
fn push_pull(l: &mut Level) -> Option<Vec<Px>> {
    let (w, h) = (l.w, l.h);
    if l.hole.iter().all(|&m| m != 0) {
        for px in l.img.chunks_exact_mut(CH) {
            px.fill(0);
            px[..3].fill(128);
        }
        return None;
    }
    // Push: weighted (premultiplied) pyramid down to 1x1.
    let base: Vec<Px> = (0..w * h)
        .map(|i| {
            let mut p = [0.0; CH + 1];
            if l.hole[i] == 0 {
                for c in 0..CH {
                    p[c] = l.img[i * CH + c] as f32;
                }
                p[CH] = 1.0;
            }
            p
        })
        .collect();
    let mut levels: Vec<(usize, usize, Vec<Px>)> = vec![(w, h, base)];
    loop {
        let (cw, ch, cur) = levels.last().expect("non-empty");
        let (cw, ch) = (*cw, *ch);
        if cw == 1 && ch == 1 {
            break;
        }
        let (nw, nh) = (cw.div_ceil(2), ch.div_ceil(2));
        let mut next = vec![[0.0f32; CH + 1]; nw * nh];
        for y in 0..ch {
            for x in 0..cw {
                let s = cur[y * cw + x];
                let d = &mut next[(y / 2) * nw + x / 2];
                for c in 0..=CH {
                    d[c] += s[c];
                }
            }
        }
        levels.push((nw, nh, next));
    }
    // Pull: fill low-weight pixels from the (normalised) coarser level.
    for k in (0..levels.len() - 1).rev() {
        let (cw, _, ref coarse) = levels[k + 1];
        let coarse = coarse.clone();
        let (fw, _, ref mut fine) = levels[k];
        for (i, p) in fine.iter_mut().enumerate() {
            let (x, y) = (i % fw, i / fw);
            let c = coarse[(y / 2) * cw + x / 2];
            if c[CH] > 0.0 {
                let a = p[CH].min(1.0);
                for ch in 0..CH {
                    let cv = c[ch] / c[CH];
                    let pv = if p[CH] > 0.0 { p[ch] / p[CH] } else { 0.0 };
                    p[ch] = pv * a + cv * (1.0 - a);
                }
                p[CH] = 1.0;
            } else if p[CH] > 0.0 {
                for ch in 0..CH {
                    p[ch] /= p[CH];
                }
                p[CH] = 1.0;
            }
        }
    }
    Some(std::mem::take(&mut levels[0].2))
}

/// [`diffuse_fill`] with barriers: `labels` (one per pixel) split the level into regions, and
/// the hole pixels of each region are filled only from the known pixels of the same region (so
/// an edge continued through the hole stays an edge). A region without known pixels gets the
/// plain fill.
pub(super) fn diffuse_fill_regions(l: &mut Level, labels: &[u8], max_sweeps: usize) {
    let mut filled = l.img.clone();
    let mut seen = [false; 256];
    // regions whose hole pixels have no known pixel of their own to be filled from
    let mut orphan = [false; 256];
    let copy_region = |to: &mut [u8], from: &[u8], lab: u8| {
        for j in 0..l.w * l.h {
            if l.hole[j] != 0 && labels[j] == lab {
                to[j * CH..j * CH + CH].copy_from_slice(&from[j * CH..j * CH + CH]);
            }
        }
    };
    for i in 0..l.w * l.h {
        let lab = labels[i];
        if l.hole[i] == 0 || std::mem::replace(&mut seen[lab as usize], true) {
            continue;
        }
        let hole: Vec<u8> = l
            .hole
            .iter()
            .zip(labels)
            .map(|(&m, &k)| u8::from(m != 0 || k != lab))
            .collect();
        if !hole.contains(&0) {
            orphan[lab as usize] = true;
            continue;
        }
        let mut region = Level {
            w: l.w,
            h: l.h,
            img: l.img.clone(),
            hole,
        };
        diffuse_fill(&mut region, max_sweeps);
        copy_region(&mut filled, &region.img, lab);
    }
    if orphan.contains(&true) {
        let mut plain = l.clone();
        diffuse_fill(&mut plain, max_sweeps);
        for lab in (0..=255u8).filter(|&k| orphan[k as usize]) {
            copy_region(&mut filled, &plain.img, lab);
        }
    }
    l.img = filled;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_between_two_colours_smoothly() {
        let (w, h) = (16, 4);
        let mut img = vec![0u8; w * h * CH];
        let mut hole = vec![1u8; w * h];
        for y in 0..h {
            hole[y * w] = 0;
            hole[y * w + w - 1] = 0;
            img[(y * w + w - 1) * CH..(y * w + w) * CH].fill(200);
        }
        let mut l = Level { w, h, img, hole };
        diffuse_fill(&mut l, 500);
        let mid = l.img[(2 * w + 8) * CH] as i32;
        assert!((mid - 100).abs() < 30, "mid {mid}");
        assert_eq!(l.img[(2 * w + w - 1) * CH], 200);
        assert_eq!(l.img[2 * w * CH], 0);
    }

    #[test]
    fn regions_are_filled_from_their_own_side_only() {
        // dark above row 8, bright below, a hole over the middle columns of every row
        let (w, h) = (24, 16);
        let labels: Vec<u8> = (0..w * h).map(|i| u8::from(i / w >= 8)).collect();
        let mut plain = level(w, h, [6, 0, 18, h], |_, y| if y < 8 { 20 } else { 220 });
        let mut split = plain.clone();
        diffuse_fill(&mut plain, 300);
        diffuse_fill_regions(&mut split, &labels, 300);
        let at = |l: &Level, x: usize, y: usize| l.img[(y * w + x) * CH];
        // next to the edge, in the middle of the hole: the plain fill blurs across it
        assert!(at(&plain, 12, 7) > 60, "plain {}", at(&plain, 12, 7));
        assert_eq!(at(&split, 12, 7), 20);
        assert_eq!(at(&split, 12, 8), 220);
        // known pixels are untouched
        assert_eq!(at(&split, 0, 7), 20);
    }

    #[test]
    fn a_region_without_known_pixels_gets_the_plain_fill() {
        let (w, h) = (12, 6);
        let mut img = vec![0u8; w * h * CH];
        let mut hole = vec![1u8; w * h];
        for y in 0..h {
            hole[y * w] = 0;
            img[y * w * CH..][..3].fill(200);
        }
        // label 1: the right half, all of it hole
        let labels: Vec<u8> = (0..w * h).map(|i| u8::from(i % w >= 6)).collect();
        let mut plain = Level { w, h, img, hole };
        let mut split = plain.clone();
        diffuse_fill(&mut plain, 100);
        diffuse_fill_regions(&mut split, &labels, 100);
        for i in (0..w * h).filter(|i| i % w >= 6) {
            assert_eq!(split.img[i * CH..][..CH], plain.img[i * CH..][..CH]);
        }
        assert_eq!(split.img[(2 * w + 3) * CH], 200);
    }

    /// A level of `w x h` whose pixels are `f(x, y)` (grey, texture channel 0), with the hole
    /// `x0..x1, y0..y1`.
    fn level(w: usize, h: usize, hole: [usize; 4], f: impl Fn(usize, usize) -> u8) -> Level {
        let [x0, y0, x1, y1] = hole;
        let mut l = Level {
            w,
            h,
            img: vec![0; w * h * CH],
            hole: vec![0; w * h],
        };
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                l.img[i * CH..i * CH + 3].fill(f(x, y));
                l.hole[i] = u8::from((x0..x1).contains(&x) && (y0..y1).contains(&y));
            }
        }
        l
    }

    /// Horizontal stripes have a vertical gradient, vertical ones a horizontal one, both fully
    /// coherent; a checkerboard has no direction.
    #[test]
    fn the_ring_orientation_is_the_edges_gradient_direction() {
        let hole = [12, 12, 28, 28];
        let rows = level(40, 40, hole, |_, y| if y % 6 < 3 { 30 } else { 200 });
        let o = ring_orientation(&rows, ORIENTATION_RING).unwrap();
        assert!(o.g.1.abs() > 0.99 && o.coherence > 0.99, "{o:?}");
        let cols = level(40, 40, hole, |x, _| if x % 6 < 3 { 30 } else { 200 });
        let o = ring_orientation(&cols, ORIENTATION_RING).unwrap();
        assert!(o.g.0.abs() > 0.99 && o.coherence > 0.99, "{o:?}");
        let checker = level(40, 40, hole, |x, y| {
            if (x / 3 + y / 3) % 2 == 0 { 30 } else { 200 }
        });
        let o = ring_orientation(&checker, ORIENTATION_RING).unwrap();
        assert!(o.coherence < 0.1, "{o:?}");
        assert_eq!(ring_orientation(&level(40, 40, hole, |_, _| 90), 4.0), None);
    }

    /// A bright band crossing the hole from side to side: the plain fill blends it with the
    /// dark above and below into the hole's middle, the fill along its direction carries more
    /// of it through (and keeps the dark above it dark). Known pixels are untouched.
    #[test]
    fn the_fill_along_the_edges_continues_a_band_through_the_hole() {
        let band = |_: usize, y: usize| if (18..24).contains(&y) { 220 } else { 20 };
        let mut plain = level(48, 40, [12, 6, 36, 34], band);
        let mut along = plain.clone();
        let o = ring_orientation(&along, ORIENTATION_RING).unwrap();
        diffuse_fill(&mut plain, 200);
        diffuse_fill_along(&mut along, 200, o, o.coherence);
        let at = |l: &Level, x: usize, y: usize| i32::from(l.img[(y * l.w + x) * CH]);
        // the band's middle, in the middle of the hole: 58 plain, 95 along (the band is 220,
        // the dark 20); above the band both stay dark (34 and 36)
        let (p, a) = (at(&plain, 24, 21), at(&along, 24, 21));
        assert!(a >= p + 25, "band: plain {p}, along {a}");
        let (p, a) = (at(&plain, 24, 10), at(&along, 24, 10));
        assert!(
            a <= p + 10 && a < 50,
            "above the band: plain {p}, along {a}"
        );
        for i in (0..48 * 40).filter(|&i| along.hole[i] == 0) {
            assert_eq!(along.img[i * CH], band(i % 48, i / 48), "known pixel {i}");
        }
    }

    #[test]
    fn all_hole_is_grey() {
        let mut l = Level {
            w: 2,
            h: 2,
            img: vec![0; 4 * CH],
            hole: vec![1; 4],
        };
        diffuse_fill(&mut l, 10);
        assert_eq!(l.rgb(), vec![128; 12]);
    }
}
