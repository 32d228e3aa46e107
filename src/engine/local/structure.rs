//! Structure recovery: straight edges that cross the hole (a horizon, a ridge line, the edge of
//! a road) are found on the known ring around it and continued through it as segments.
//!
//! Where an edge enters the ring on one side of the hole and an edge with the same direction and
//! the same two colours leaves on the other, the segment between them is taken to be the same
//! edge. The coarsest level's diffusion fill then treats every such segment as a barrier
//! (`diffuse::diffuse_fill_regions`): each side of the edge is filled only from the known pixels
//! on its own side, so the estimate that PatchMatch starts from already holds the edge, and the
//! patches along it match edge patches of the known region instead of a blur across it.
//!
//! Detection is deliberately strict (a coherent, contrasted edge on both sides, matching colours
//! on both sides of it, directions within [`MAX_ANGLE`] of the segment): a missed edge costs
//! nothing over the plain fill, a false one would draw a line that is not there.

use super::pyramid::{CH, Level, hole_distance};

/// Known pixels this far (level pixels) from the hole are searched for edge crossings.
const RING: (f32, f32) = (1.5, 6.5);
/// Smallest luma gradient (per pixel) of an edge pixel.
const MIN_EDGE: f32 = 10.0;
/// Smallest colour difference (RGB distance) between the two sides of an edge.
const MIN_CONTRAST: f32 = 28.0;
/// Largest angle (degrees) between an edge's direction and the segment continuing it.
const MAX_ANGLE: f32 = 20.0;
/// Smallest coherence of an edge crossing's gradients ((l1 - l2) / (l1 + l2)): straight edges only.
const MIN_COHERENCE: f32 = 0.7;
/// Distances (level pixels) from the edge at which its two side colours are sampled.
const SIDE: [f32; 3] = [2.0, 3.0, 4.0];
/// Structure is only looked for where edges cross the ring at most once per this many pixels
/// of the hole's perimeter, on average.
const MIN_SPACING: f32 = 24.0;
/// At most this many segments per hole.
const MAX_SEGMENTS: usize = 3;
/// At most this many edge crossings (the strongest) are paired.
const MAX_CROSSINGS: usize = 96;

/// An edge continued through the hole, from `a` to `b` (pixel-centre coordinates of the level
/// it was found on).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Segment {
    pub a: (f32, f32),
    pub b: (f32, f32),
}

impl Segment {
    /// The segment on a level whose pixels are `factor` times the size of this one's (2 for the
    /// next coarser level, 0.5 for the next finer).
    pub fn on_level(&self, factor: f32) -> Segment {
        let s = |(x, y): (f32, f32)| ((x + 0.5) / factor - 0.5, (y + 0.5) / factor - 0.5);
        Segment {
            a: s(self.a),
            b: s(self.b),
        }
    }

    /// Which side of the segment's line `(x, y)` lies on.
    pub fn left_of(&self, x: f32, y: f32) -> bool {
        let (dx, dy) = (self.b.0 - self.a.0, self.b.1 - self.a.1);
        dx * (y - self.a.1) - dy * (x - self.a.0) > 0.0
    }
}

/// Region labels of a level of `w x h` pixels: bit `k` is the side of segment `k`'s line.
pub(super) fn labels(segments: &[Segment], w: usize, h: usize) -> Vec<u8> {
    let mut out = vec![0u8; w * h];
    for (i, l) in out.iter_mut().enumerate() {
        let (x, y) = ((i % w) as f32, (i / w) as f32);
        for (k, s) in segments.iter().enumerate() {
            if s.left_of(x, y) {
                *l |= 1 << k;
            }
        }
    }
    out
}

/// Guide values of a level (one `[i8; 4]` per pixel, one lane per segment, at most 4): the
/// signed distance to each segment's line, clamped to `reach`. Matching adds the squared
/// difference of a target's and a source's guide, so patches along a continued edge copy from
/// the same offset across a known stretch of it, and the pixels on either side copy from their
/// own side.
pub(super) fn guide(segments: &[Segment], w: usize, h: usize, reach: f32) -> Vec<[i8; 4]> {
    let reach = reach.clamp(1.0, 100.0);
    let lines: Vec<((f32, f32), (f32, f32))> = segments
        .iter()
        .take(4)
        .map(|s| {
            let (dx, dy) = (s.b.0 - s.a.0, s.b.1 - s.a.1);
            let len = (dx * dx + dy * dy).sqrt().max(1e-6);
            (s.a, (dx / len, dy / len))
        })
        .collect();
    (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            let mut g = [0i8; 4];
            for (k, &(a, u)) in lines.iter().enumerate() {
                let d = u.0 * (y - a.1) - u.1 * (x - a.0);
                g[k] = d.clamp(-reach, reach).round() as i8;
            }
            g
        })
        .collect()
}

/// Where an edge meets the known ring around the hole.
#[derive(Debug, Clone, Copy)]
struct Crossing {
    c: (f32, f32),
    /// Unit direction of the edge (either sense).
    d: (f32, f32),
    strength: f32,
}

/// The straight edges crossing the hole of `l` (at most [`MAX_SEGMENTS`]).
pub(super) fn find(l: &Level) -> Vec<Segment> {
    let (w, h) = (l.w, l.h);
    if w < 8 || h < 8 {
        return Vec::new();
    }
    let inv: Vec<u8> = l.hole.iter().map(|&m| u8::from(m == 0)).collect();
    let out_dist = hole_distance(&inv, w, h);
    let known = |x: usize, y: usize| l.hole[y * w + x] == 0;
    let luma = |i: usize| {
        let p = &l.img[i * CH..i * CH + 3];
        0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
    };
    // Sobel gradients of the ring pixels whose 3x3 stencil is known.
    let mut grad = vec![(0.0f32, 0.0f32, 0.0f32); w * h];
    let mut in_ring = Vec::new();
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            let d = out_dist[i];
            if l.hole[i] != 0 || d < RING.0 || d > RING.1 {
                continue;
            }
            if !(y - 1..=y + 1).all(|yy| (x - 1..=x + 1).all(|xx| known(xx, yy))) {
                continue;
            }
            let v = |dx: isize, dy: isize| {
                luma(((y as isize + dy) as usize) * w + (x as isize + dx) as usize)
            };
            let gx =
                (v(1, -1) + 2.0 * v(1, 0) + v(1, 1) - v(-1, -1) - 2.0 * v(-1, 0) - v(-1, 1)) / 8.0;
            let gy =
                (v(-1, 1) + 2.0 * v(0, 1) + v(1, 1) - v(-1, -1) - 2.0 * v(0, -1) - v(1, -1)) / 8.0;
            // not f32::hypot: hypotf needs glibc 2.35, newer than the Lambda runtime's (scripts/lambda-zip)
            let m = (gx * gx + gy * gy).sqrt();
            grad[i] = (gx, gy, m);
            if m >= MIN_EDGE {
                in_ring.push(i);
            }
        }
    }
    // Edge pixels: maxima of the magnitude across the edge.
    let edge: Vec<usize> = in_ring
        .into_iter()
        .filter(|&i| {
            let (gx, gy, m) = grad[i];
            let (ox, oy) = ((gx / m).round() as isize, (gy / m).round() as isize);
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            [(ox, oy), (-ox, -oy)].iter().all(|&(dx, dy)| {
                let (nx, ny) = (x + dx, y + dy);
                nx < 0
                    || ny < 0
                    || nx >= w as isize
                    || ny >= h as isize
                    || grad[ny as usize * w + nx as usize].2 <= m
            })
        })
        .collect();
    let crossings = cluster(&edge, &grad, w);
    // Textured surroundings (fur, grass, brick) cross the ring with an edge every few pixels:
    // their "edges" are texture, which PatchMatch continues better than any line.
    let perimeter = out_dist.iter().filter(|&&d| d > 0.5 && d < 1.5).count();
    if crossings.len() as f32 * MIN_SPACING > perimeter as f32 {
        return Vec::new();
    }
    pair(l, &crossings)
}

/// Groups 8-connected edge pixels into crossings (straight, coherent ones only).
fn cluster(edge: &[usize], grad: &[(f32, f32, f32)], w: usize) -> Vec<Crossing> {
    let mut parent: Vec<usize> = (0..edge.len()).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let pos: std::collections::HashMap<usize, usize> =
        edge.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    for (k, &i) in edge.iter().enumerate() {
        let (x, y) = (i % w, i / w);
        for (dx, dy) in [(1isize, 0isize), (-1, 1), (0, 1), (1, 1)] {
            let (nx, ny) = (x as isize + dx, y as isize + dy);
            if nx < 0 || nx >= w as isize {
                continue;
            }
            if let Some(&j) = pos.get(&(ny as usize * w + nx as usize)) {
                let (a, b) = (root(&mut parent, k), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    // per cluster: weight, centroid sums, structure tensor, count
    let mut acc: std::collections::BTreeMap<usize, [f32; 7]> = Default::default();
    for (k, &i) in edge.iter().enumerate() {
        let (gx, gy, m) = grad[i];
        let a = acc.entry(root(&mut parent, k)).or_default();
        a[0] += m;
        a[1] += m * (i % w) as f32;
        a[2] += m * (i / w) as f32;
        a[3] += gx * gx;
        a[4] += gx * gy;
        a[5] += gy * gy;
        a[6] += 1.0;
    }
    let mut out: Vec<Crossing> = acc
        .values()
        .filter(|a| a[6] >= 3.0)
        .filter_map(|a| {
            let (jxx, jxy, jyy) = (a[3], a[4], a[5]);
            let tr = jxx + jyy;
            let disc = ((jxx - jyy).powi(2) + 4.0 * jxy * jxy).sqrt();
            if tr <= 0.0 || disc / tr < MIN_COHERENCE {
                return None;
            }
            let phi = 0.5 * (2.0 * jxy).atan2(jxx - jyy); // gradient orientation
            Some(Crossing {
                c: (a[1] / a[0], a[2] / a[0]),
                d: (-phi.sin(), phi.cos()),
                strength: a[0] / a[6],
            })
        })
        .collect();
    out.sort_by(|a, b| b.strength.total_cmp(&a.strength));
    out.truncate(MAX_CROSSINGS);
    out
}

/// Mean colour of the known pixels at `SIDE` distances from `c` along `n`.
fn side_colour(l: &Level, c: (f32, f32), n: (f32, f32)) -> Option<[f32; 3]> {
    let mut sum = [0.0f32; 3];
    let mut k = 0.0;
    for t in SIDE {
        let (x, y) = ((c.0 + n.0 * t).round(), (c.1 + n.1 * t).round());
        if x < 0.0 || y < 0.0 || x >= l.w as f32 || y >= l.h as f32 {
            continue;
        }
        let i = y as usize * l.w + x as usize;
        if l.hole[i] != 0 {
            continue;
        }
        for (s, v) in sum.iter_mut().zip(&l.img[i * CH..i * CH + 3]) {
            *s += *v as f32;
        }
        k += 1.0;
    }
    (k > 0.0).then(|| sum.map(|s| s / k))
}

fn colour_dist(a: [f32; 3], b: [f32; 3]) -> f32 {
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f32>()
        .sqrt()
}

/// Pairs crossings into segments through the hole, best first.
fn pair(l: &Level, cs: &[Crossing]) -> Vec<Segment> {
    let cos_max = MAX_ANGLE.to_radians().cos();
    let mut cands: Vec<(f32, usize, usize)> = Vec::new();
    for i in 0..cs.len() {
        for j in i + 1..cs.len() {
            let (a, b) = (cs[i], cs[j]);
            let v = (b.c.0 - a.c.0, b.c.1 - a.c.1);
            let len = (v.0 * v.0 + v.1 * v.1).sqrt();
            if len < 8.0 {
                continue;
            }
            let u = (v.0 / len, v.1 / len);
            let ca = (u.0 * a.d.0 + u.1 * a.d.1).abs();
            let cb = (u.0 * b.d.0 + u.1 * b.d.1).abs();
            if ca < cos_max || cb < cos_max {
                continue;
            }
            // most of the segment runs through the hole
            let steps = len.ceil() as usize;
            let inside = (0..=steps)
                .filter(|&s| {
                    let t = s as f32 / steps as f32;
                    let (x, y) = (
                        (a.c.0 + v.0 * t).round() as usize,
                        (a.c.1 + v.1 * t).round() as usize,
                    );
                    l.hole
                        .get(y * l.w + x.min(l.w - 1))
                        .is_some_and(|&m| m != 0)
                })
                .count();
            if (inside as f32) < 0.6 * steps as f32 {
                continue;
            }
            let n = (-u.1, u.0);
            let m = (u.1, -u.0);
            let (Some(la), Some(ra), Some(lb), Some(rb)) = (
                side_colour(l, a.c, n),
                side_colour(l, a.c, m),
                side_colour(l, b.c, n),
                side_colour(l, b.c, m),
            ) else {
                continue;
            };
            let contrast = colour_dist(la, ra).min(colour_dist(lb, rb));
            if contrast < MIN_CONTRAST {
                continue;
            }
            let (dl, dr) = (colour_dist(la, lb), colour_dist(ra, rb));
            let tol = 0.4 * contrast;
            if dl > tol || dr > tol {
                continue;
            }
            let angle = (ca.clamp(-1.0, 1.0).acos() + cb.clamp(-1.0, 1.0).acos()).to_degrees();
            cands.push((angle / MAX_ANGLE + (dl + dr) / contrast, i, j));
        }
    }
    cands.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut used = vec![false; cs.len()];
    let mut out: Vec<Segment> = Vec::new();
    for (_, i, j) in cands {
        if out.len() == MAX_SEGMENTS {
            break;
        }
        if used[i] || used[j] {
            continue;
        }
        let s = Segment {
            a: cs[i].c,
            b: cs[j].c,
        };
        if out.iter().any(|o| crosses(o, &s)) {
            continue;
        }
        used[i] = true;
        used[j] = true;
        out.push(s);
    }
    out
}

/// Whether two segments intersect.
fn crosses(p: &Segment, q: &Segment) -> bool {
    p.left_of(q.a.0, q.a.1) != p.left_of(q.b.0, q.b.1)
        && q.left_of(p.a.0, p.a.1) != q.left_of(p.b.0, p.b.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `w x h` level: sky above the line y = y0 + slope * x, ground below, a box hole.
    fn scene(w: usize, h: usize, slope: f32, hole: (usize, usize, usize, usize)) -> Level {
        let mut img = vec![0u8; w * h * CH];
        let mut mask = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let above = (y as f32) < h as f32 * 0.5 + slope * (x as f32 - w as f32 * 0.5);
                let c = if above { [90, 140, 220] } else { [60, 120, 40] };
                // a little deterministic texture
                let t = ((x * 7 + y * 13) % 9) as u8;
                img[i * CH..i * CH + 3].copy_from_slice(&c.map(|v: u8| v + t));
                let (hx, hy, hw, hh) = hole;
                if x >= hx && x < hx + hw && y >= hy && y < hy + hh {
                    mask[i] = 1;
                }
            }
        }
        Level {
            w,
            h,
            img,
            hole: mask,
        }
    }

    #[test]
    fn a_horizon_through_a_box_is_found_and_continued() {
        let l = scene(120, 100, 0.2, (40, 30, 40, 40));
        let segs = find(&l);
        assert_eq!(segs.len(), 1, "{segs:?}");
        let s = segs[0];
        // both ends lie on the true line y = 50 + 0.2 (x - 60), within a pixel
        for (x, y) in [s.a, s.b] {
            let want = 50.0 + 0.2 * (x - 60.0);
            assert!((y - want).abs() < 1.5, "({x}, {y}) vs {want}");
        }
        assert!((s.a.0 - s.b.0).abs() > 40.0);
    }

    #[test]
    fn no_segment_without_an_edge_or_where_the_colours_differ() {
        // an edge that ends inside the hole: ground on the left, sky on the right of the box
        let mut l = scene(120, 100, 0.0, (40, 30, 40, 40));
        for y in 0..100 {
            for x in 80..120 {
                let i = y * 120 + x;
                l.img[i * CH..i * CH + 3].copy_from_slice(&[90, 140, 220]);
            }
        }
        assert!(find(&l).is_empty());
        // no edge at all
        let mut flat = scene(120, 100, 0.0, (40, 30, 40, 40));
        for p in flat.img.chunks_exact_mut(CH) {
            p[..3].copy_from_slice(&[100, 100, 100]);
        }
        assert!(find(&flat).is_empty());
    }

    #[test]
    fn segments_scale_between_levels_and_label_sides() {
        let s = Segment {
            a: (1.5, 3.5),
            b: (9.5, 3.5),
        };
        let c = s.on_level(2.0);
        assert_eq!(c.a, (0.5, 1.5));
        assert_eq!(c.on_level(0.5), s);
        let lab = labels(&[s], 12, 8);
        assert_ne!(lab[12 + 5], lab[6 * 12 + 5]);
        assert_eq!(lab[0], lab[12 + 11]);
    }
}
