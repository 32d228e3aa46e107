//! Diffusion fill used to initialise the coarsest level (and as the fallback
//! when no patch source exists): push-pull interpolation followed by a few
//! Jacobi (membrane) sweeps over the hole pixels.

use super::pyramid::{CH, Level};

type Px = [f32; CH + 1]; // channels (premultiplied) + weight

/// Fill the hole pixels of `l` smoothly from the known pixels. With no known
/// pixel at all the hole becomes mid-grey (texture channel 0).
pub(super) fn diffuse_fill(l: &mut Level, max_sweeps: usize) {
    let (w, h) = (l.w, l.h);
    if l.hole.iter().all(|&m| m != 0) {
        for px in l.img.chunks_exact_mut(CH) {
            px.fill(0);
            px[..3].fill(128);
        }
        return;
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
    let mut cur: Vec<Px> = std::mem::take(&mut levels[0].2);
    // Jacobi sweeps (membrane) on hole pixels to smooth the block structure.
    let holes: Vec<usize> = (0..w * h).filter(|&i| l.hole[i] != 0).collect();
    let sweeps = max_sweeps.min(40_000_000 / holes.len().max(1));
    let mut next = cur.clone();
    for _ in 0..sweeps {
        for &i in &holes {
            let (x, y) = (i % w, i / w);
            let mut s = [0.0f32; CH + 1];
            let mut add = |j: usize| {
                for c in 0..CH {
                    s[c] += cur[j][c];
                }
                s[CH] += 1.0;
            };
            if x > 0 {
                add(i - 1);
            }
            if x + 1 < w {
                add(i + 1);
            }
            if y > 0 {
                add(i - w);
            }
            if y + 1 < h {
                add(i + w);
            }
            if s[CH] > 0.0 {
                for c in 0..CH {
                    next[i][c] = s[c] / s[CH];
                }
            }
        }
        std::mem::swap(&mut cur, &mut next);
    }
    for &i in &holes {
        for c in 0..CH {
            l.img[i * CH + c] = cur[i][c].round().clamp(0.0, 255.0) as u8;
        }
    }
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
        let mut img = vec![0u8; w * h * CH];
        let mut hole = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                let v = if y < 8 { 20 } else { 220 };
                img[(y * w + x) * CH..][..3].fill(v);
                hole[y * w + x] = u8::from((6..18).contains(&x));
            }
        }
        let labels: Vec<u8> = (0..w * h).map(|i| u8::from(i / w >= 8)).collect();
        let mut plain = Level { w, h, img, hole };
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
