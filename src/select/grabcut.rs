//! The object inside a rectangle: GrabCut (Rother, Kolmogorov, Blake 2004) with the work done at a
//! reduced scale and the edge refined at full resolution.
//!
//! 1. The rectangle is averaged down to about [`WORK_PIXELS`] pixels (never up).
//! 2. Colour models: a Gaussian mixture for the object (the rectangle at first) and one for the
//!    background (the image outside the rectangle, sampled, plus what the cut leaves out),
//!    started by a deterministic split and k-means.
//! 3. A graph cut ([`super::maxflow`]) minimises the colour cost plus an edge-aware smoothness
//!    term on the 8-neighbourhood (weak across colour edges); pixels just outside the rectangle
//!    are background. Its contrast scale (GrabCut's beta) is measured over the rectangle and the
//!    image around it, so that a sharp object on a soft background keeps its inner edges cheap
//!    to keep. Models and cut alternate for up to [`ITERATIONS`] rounds.
//! 4. The largest piece of the object (and any piece holding an object stroke) is kept, and
//!    specks of background inside it are filled.
//! 5. When the work was done at a reduced scale, a band around the edge is cut again at full
//!    resolution with the same models, the rest fixed as the reduced cut said.
//!
//! Strokes (hints) are hard constraints at both scales. Single-threaded and in integers where
//! it matters, so the same input gives the same bytes.

use image::RgbImage;

use super::gmm::{Colour, Gmm};
use super::maxflow::Graph;
use super::{Hints, Rect};
use crate::mask::{Mask, neighbours4};

/// About how many pixels the reduced-scale cut works on.
const WORK_PIXELS: f64 = 120_000.0;
/// Rounds of model fitting and cutting.
const ITERATIONS: usize = 5;
/// The rounds stop early once a round changes fewer than one pixel in this many.
const SETTLED: usize = 1000;
/// Components per colour model.
const COMPONENTS: usize = 5;
/// The weight of the smoothness term against the colour term (GrabCut's gamma).
const GAMMA: f32 = 50.0;
/// Energies are multiplied by this and rounded to integer capacities.
const UNIT: f32 = 32.0;
/// The capacity that pins a pixel to a side.
const HARD: i32 = 1 << 24;
/// At most this many background samples from around the rectangle.
const MAX_RING_SAMPLES: usize = 40_000;
/// The share of a colour model that the strokes marking its side weigh at least.
const STROKE_SHARE: f64 = 0.25;
/// At most this many times a stroke's pixels count in a model.
const MAX_STROKE_REPEAT: usize = 256;
/// Background specks inside the object smaller than this share of it are filled.
const SPECK_SHARE: usize = 100;

const UNKNOWN: u8 = 0;
const FIXED_FG: u8 = 1;
const FIXED_BG: u8 = 2;

/// A grid of colours with a one-pixel border of the pixels just outside it (NaN where that is
/// outside the image).
struct Grid {
    w: usize,
    h: usize,
    /// (w + 2) x (h + 2), row-major.
    px: Vec<Colour>,
}

impl Grid {
    #[inline]
    fn at(&self, x: isize, y: isize) -> &Colour {
        &self.px[(y + 1) as usize * (self.w + 2) + (x + 1) as usize]
    }
}

fn sq(a: &Colour, b: &Colour) -> f32 {
    let (d0, d1, d2) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    d0 * d0 + d1 * d1 + d2 * d2
}

/// The rectangle (x0, y0, w, h) averaged to ww x hh, with the border ring.
fn downsample(image: &RgbImage, x0: u32, y0: u32, w: u32, h: u32, ww: usize, hh: usize) -> Grid {
    let (iw, ih) = (image.width() as i64, image.height() as i64);
    // the source span of working column i (may be -1 or ww: just outside)
    let span = |i: isize, n: usize, origin: u32, side: u32, limit: i64| -> Option<(i64, i64)> {
        let a = i64::from(origin) + (i as i64 * i64::from(side)).div_euclid(n as i64);
        let b = i64::from(origin) + ((i as i64 + 1) * i64::from(side)).div_euclid(n as i64);
        let (a, b) = (a.max(0), b.max(a + 1).min(limit));
        (a < b).then_some((a, b))
    };
    let xs: Vec<_> = (-1..=ww as isize).map(|i| span(i, ww, x0, w, iw)).collect();
    let ys: Vec<_> = (-1..=hh as isize).map(|j| span(j, hh, y0, h, ih)).collect();
    let raw = image.as_raw();
    let stride = image.width() as usize * 3;
    let mut px = Vec::with_capacity((ww + 2) * (hh + 2));
    for ys in &ys {
        for xs in &xs {
            let (Some((ya, yb)), Some((xa, xb))) = (ys, xs) else {
                px.push([f32::NAN; 3]);
                continue;
            };
            let mut s = [0u32; 3];
            for y in *ya..*yb {
                let row = &raw[y as usize * stride..];
                for x in *xa..*xb {
                    let p = &row[x as usize * 3..x as usize * 3 + 3];
                    s[0] += u32::from(p[0]);
                    s[1] += u32::from(p[1]);
                    s[2] += u32::from(p[2]);
                }
            }
            let n = ((yb - ya) * (xb - xa)) as f32;
            px.push([s[0] as f32 / n, s[1] as f32 / n, s[2] as f32 / n]);
        }
    }
    Grid { w: ww, h: hh, px }
}

/// 1 where an object stroke marks a pixel, 2 where a background stroke does, 0 elsewhere, for
/// each pixel of the working grid (a working pixel is marked when any of its source pixels is;
/// both marks cancel).
fn hint_grid(hints: &Hints<'_>, x0: u32, y0: u32, w: u32, h: u32, ww: usize, hh: usize) -> Vec<u8> {
    let mut out = vec![UNKNOWN; ww * hh];
    let mut mark = |m: Option<&Mask>, bit: u8| {
        let Some(m) = m else { return };
        for y in y0..(y0 + h).min(m.height()) {
            let wy = ((y - y0) as usize * hh) / h as usize;
            for x in x0..(x0 + w).min(m.width()) {
                if m.0.as_raw()[(y * m.width() + x) as usize] > 0 {
                    let wx = ((x - x0) as usize * ww) / w as usize;
                    out[wy * ww + wx] |= bit;
                }
            }
        }
    };
    mark(hints.object, FIXED_FG);
    mark(hints.background, FIXED_BG);
    for v in &mut out {
        if *v == FIXED_FG | FIXED_BG {
            *v = UNKNOWN;
        }
    }
    out
}

/// Background samples: the image outside the rectangle (all of it, as GrabCut takes it: a
/// narrower ring was tried and lost where the object's colours are also near it), taken on a
/// grid of at most [`MAX_RING_SAMPLES`] points; with the neighbour contrast there.
/// What the image around the rectangle says: background colour samples, and the squared colour
/// differences between neighbours there (at 1 pixel and at `far` pixels, the working scale's
/// spacing) for the smoothness term's contrast scale.
struct Around {
    samples: Vec<Colour>,
    near: Contrast,
    far: Contrast,
}

/// A sum of squared neighbour differences and how many.
#[derive(Debug, Clone, Copy, Default)]
struct Contrast {
    sum: f64,
    n: u64,
}

fn ring_samples(image: &RgbImage, x0: u32, y0: u32, x1: u32, y1: u32, far: u32) -> Around {
    let (iw, ih) = image.dimensions();
    let area = u64::from(iw) * u64::from(ih) - u64::from(x1 - x0) * u64::from(y1 - y0);
    let step = ((area as f64 / MAX_RING_SAMPLES as f64).sqrt().ceil() as u32).max(1);
    let mut out = Vec::new();
    let (mut near, mut farc) = (Contrast::default(), Contrast::default());
    let px = |x: u32, y: u32| {
        let p = image.get_pixel(x, y).0;
        [f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]
    };
    for y in (0..ih).step_by(step as usize) {
        for x in (0..iw).step_by(step as usize) {
            if x >= x0 && x < x1 && y >= y0 && y < y1 {
                continue;
            }
            let c = px(x, y);
            out.push(c);
            for (d, acc) in [(1, &mut near), (far, &mut farc)] {
                if x + d < iw {
                    acc.sum += f64::from(sq(&c, &px(x + d, y)));
                    acc.n += 1;
                }
                if y + d < ih {
                    acc.sum += f64::from(sq(&c, &px(x, y + d)));
                    acc.n += 1;
                }
            }
        }
    }
    Around {
        samples: out,
        near,
        far: farc,
    }
}

/// The smoothness weights: for each pixel, towards right, down, down-right and down-left.
const OFFSETS: [(isize, isize, f32); 4] = [
    (1, 0, 1.0),
    (0, 1, 1.0),
    (1, 1, std::f32::consts::FRAC_1_SQRT_2),
    (-1, 1, std::f32::consts::FRAC_1_SQRT_2),
];

/// GrabCut's beta: 1 / (2 mean squared colour difference between neighbours).
fn beta_of(pairs: impl Iterator<Item = f32>, around: Contrast) -> f32 {
    let (mut sum, mut n) = (around.sum, around.n);
    for d in pairs {
        sum += f64::from(d);
        n += 1;
    }
    if n == 0 || sum <= 0.0 {
        0.0
    } else {
        (n as f64 / (2.0 * sum)) as f32
    }
}

#[inline]
fn smooth(beta: f32, d2: f32, k: f32) -> i32 {
    (GAMMA * k * (-beta * d2).exp() * UNIT).round() as i32
}

#[inline]
fn data(fg: &Gmm, bg: &Gmm, c: &Colour) -> (i32, i32) {
    // source (object) side pays the sink capacity: the object's cost; and the other way round
    let to_src = (bg.cost(c) * UNIT).round().clamp(-1e7, 1e7) as i32;
    let to_sink = (fg.cost(c) * UNIT).round().clamp(-1e7, 1e7) as i32;
    (to_src, to_sink)
}

/// The smoothness weights of a grid, once: 4 per pixel (towards [`OFFSETS`]), and each border
/// pixel's pull towards the background (its neighbours outside the grid but inside the image).
fn grid_weights(grid: &Grid, around: &Around) -> (Vec<i32>, Vec<i32>) {
    let (w, h) = (grid.w, grid.h);
    let n = w * h;
    let inside = |x: isize, y: isize| x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h;
    let beta = beta_of(
        (0..h as isize).flat_map(|y| {
            (0..w as isize).flat_map(move |x| {
                OFFSETS
                    .iter()
                    .filter(move |&&(dx, dy, _)| inside(x + dx, y + dy))
                    .map(move |&(dx, dy, _)| sq(grid.at(x, y), grid.at(x + dx, y + dy)))
            })
        }),
        around.far,
    );
    let mut weights = vec![0i32; n * 4];
    let mut border = vec![0i32; n];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let i = y as usize * w + x as usize;
            let c = grid.at(x, y);
            for (k, &(dx, dy, f)) in OFFSETS.iter().enumerate() {
                let o = grid.at(x + dx, y + dy);
                if inside(x + dx, y + dy) {
                    weights[i * 4 + k] = smooth(beta, sq(c, o), f);
                }
            }
            // every neighbour outside the grid (that is inside the image) is background
            for dy in -1..=1isize {
                for dx in -1..=1isize {
                    if (dx, dy) == (0, 0) || inside(x + dx, y + dy) {
                        continue;
                    }
                    let o = grid.at(x + dx, y + dy);
                    if !o[0].is_nan() {
                        let f = if dx != 0 && dy != 0 {
                            OFFSETS[2].2
                        } else {
                            1.0
                        };
                        border[i] += smooth(beta, sq(c, o), f);
                    }
                }
            }
        }
    }
    (weights, border)
}

/// The cut on the working grid: true = object.
fn cut_grid(grid: &Grid, fixed: &[u8], around: &Around) -> (Vec<bool>, Gmm, Gmm) {
    let ring = &around.samples[..];
    let (w, h) = (grid.w, grid.h);
    let n = w * h;
    let inside = |x: isize, y: isize| x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h;

    let (weights, border) = grid_weights(grid, around);

    let colour = |i: usize| grid.at((i % w) as isize, (i / w) as isize);
    let mut labels: Vec<bool> = fixed.iter().map(|&f| f != FIXED_BG).collect();
    // A model's samples: the pixels with its label (and the ring, for the background). Strokes
    // are the user's word on what the colours under them are: they weigh as a quarter of the
    // model, however few their pixels, so that one stroke across a region can move all of it.
    let samples = |labels: &[bool], want: bool| -> Vec<Colour> {
        let mut v: Vec<Colour> = (0..n)
            .filter(|&i| labels[i] == want)
            .map(|i| *colour(i))
            .collect();
        if !want {
            v.extend_from_slice(ring);
        }
        let mark = if want { FIXED_FG } else { FIXED_BG };
        let stroke: Vec<Colour> = (0..n)
            .filter(|&i| fixed[i] == mark)
            .map(|i| *colour(i))
            .collect();
        if !stroke.is_empty() {
            let extra = (v.len() as f64 * STROKE_SHARE / stroke.len() as f64).ceil() as usize;
            for _ in 1..extra.clamp(1, MAX_STROKE_REPEAT) {
                v.extend_from_slice(&stroke);
            }
        }
        v
    };
    let mut bg_samples = samples(&labels, false);
    if bg_samples.len() < 64 {
        // the rectangle covers (nearly) the whole image: its outer band stands in for background
        let band = (w.min(h) / 20).max(1);
        bg_samples.extend((0..n).filter_map(|i| {
            let (x, y) = (i % w, i / w);
            (x < band || y < band || x >= w - band || y >= h - band).then(|| *colour(i))
        }));
    }
    let mut fg = Gmm::init(&samples(&labels, true), COMPONENTS);
    let mut bg = Gmm::init(&bg_samples, COMPONENTS);
    let (mut t_model, mut t_graph, mut t_flow) = (0f64, 0f64, 0f64);
    let mut rounds = 0;
    for round in 0..ITERATIONS {
        rounds += 1;
        let t0 = std::time::Instant::now();
        if round > 0 {
            fg = fg.refit(&samples(&labels, true));
            bg = bg.refit(&samples(&labels, false));
        }
        let t1 = std::time::Instant::now();
        let mut g = Graph::new(n, n * 4);
        for i in 0..n {
            match fixed[i] {
                FIXED_FG => g.add_terminal(i, HARD, 0),
                FIXED_BG => g.add_terminal(i, 0, HARD),
                _ => {
                    let (s, t) = data(&fg, &bg, colour(i));
                    g.add_terminal(i, s, t);
                }
            }
            g.add_terminal(i, 0, border[i]);
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            for (k, &(dx, dy, _)) in OFFSETS.iter().enumerate() {
                if inside(x + dx, y + dy) {
                    let j = (y + dy) as usize * w + (x + dx) as usize;
                    let wt = weights[i * 4 + k];
                    g.add_edge(i, j, wt, wt);
                }
            }
        }
        let t2 = std::time::Instant::now();
        g.max_flow();
        let t3 = std::time::Instant::now();
        t_model += (t1 - t0).as_secs_f64() * 1e3;
        t_graph += (t2 - t1).as_secs_f64() * 1e3;
        t_flow += (t3 - t2).as_secs_f64() * 1e3;
        let next: Vec<bool> = (0..n).map(|i| g.source_side(i)).collect();
        let changed = next.iter().zip(&labels).filter(|(a, b)| a != b).count();
        labels = next;
        // settled: another round would move at most a pixel in a thousand
        if changed * SETTLED <= n {
            break;
        }
    }
    tracing::debug!(
        rounds,
        model_ms = t_model,
        graph_ms = t_graph,
        flow_ms = t_flow,
        "object cut"
    );
    (labels, fg, bg)
}

/// Connected pieces (4-neighbourhood) of the pixels where `set[i] == want`: a piece id per
/// pixel (u32::MAX elsewhere) and each piece's size.
fn pieces(set: &[bool], w: usize, h: usize, want: bool) -> (Vec<u32>, Vec<usize>) {
    let mut id = vec![u32::MAX; set.len()];
    let mut sizes = Vec::new();
    let mut stack = Vec::new();
    for start in 0..set.len() {
        if set[start] != want || id[start] != u32::MAX {
            continue;
        }
        let piece = sizes.len() as u32;
        let mut size = 0usize;
        id[start] = piece;
        stack.push(start);
        while let Some(i) = stack.pop() {
            size += 1;
            for j in neighbours4(i, w, h) {
                if set[j] == want && id[j] == u32::MAX {
                    id[j] = piece;
                    stack.push(j);
                }
            }
        }
        sizes.push(size);
    }
    (id, sizes)
}

/// Keeps the largest piece of the object and those holding an object stroke; fills background
/// specks inside it that touch neither the rectangle's edge nor a background stroke.
fn tidy(labels: &mut [bool], fixed: &[u8], w: usize, h: usize) {
    let (id, sizes) = pieces(labels, w, h, true);
    let Some(largest) = (0..sizes.len()).max_by_key(|&p| (sizes[p], std::cmp::Reverse(p))) else {
        return;
    };
    let mut keep = vec![false; sizes.len()];
    keep[largest] = true;
    for (i, &f) in fixed.iter().enumerate() {
        if f == FIXED_FG && id[i] != u32::MAX {
            keep[id[i] as usize] = true;
        }
    }
    for (l, &p) in labels.iter_mut().zip(&id) {
        if p != u32::MAX && !keep[p as usize] {
            *l = false;
        }
    }
    let object: usize = labels.iter().filter(|&&l| l).count();
    let (id, sizes) = pieces(labels, w, h, false);
    let mut open = vec![false; sizes.len()];
    for (i, &p) in id.iter().enumerate() {
        if p == u32::MAX {
            continue;
        }
        let (x, y) = (i % w, i / w);
        if x == 0 || y == 0 || x + 1 == w || y + 1 == h || fixed[i] == FIXED_BG {
            open[p as usize] = true;
        }
    }
    for (l, &p) in labels.iter_mut().zip(&id) {
        if p != u32::MAX && !open[p as usize] && sizes[p as usize] * SPECK_SHARE < object {
            *l = true;
        }
    }
}

/// See the module's documentation.
pub fn object(image: &RgbImage, rect: Rect, hints: Hints<'_>) -> Mask {
    let (iw, ih) = image.dimensions();
    let mut out = Mask::new(iw, ih);
    let x0 = rect.x.min(iw);
    let y0 = rect.y.min(ih);
    let x1 = (u64::from(rect.x) + u64::from(rect.w)).min(u64::from(iw)) as u32;
    let y1 = (u64::from(rect.y) + u64::from(rect.h)).min(u64::from(ih)) as u32;
    if x1 <= x0 || y1 <= y0 {
        return out;
    }
    let (w, h) = (x1 - x0, y1 - y0);
    let scale = (WORK_PIXELS / (f64::from(w) * f64::from(h)))
        .sqrt()
        .min(1.0);
    let ww = ((f64::from(w) * scale).round() as usize).clamp(1, w as usize);
    let hh = ((f64::from(h) * scale).round() as usize).clamp(1, h as usize);

    let t0 = std::time::Instant::now();
    let grid = downsample(image, x0, y0, w, h, ww, hh);
    let fixed = hint_grid(&hints, x0, y0, w, h, ww, hh);
    let spacing = (f64::from(w) / ww as f64).round().max(1.0) as u32;
    let around = ring_samples(image, x0, y0, x1, y1, spacing);
    let t1 = std::time::Instant::now();
    let (mut labels, fg, bg) = cut_grid(&grid, &fixed, &around);
    tidy(&mut labels, &fixed, ww, hh);
    let t2 = std::time::Instant::now();

    let full = if ww == w as usize && hh == h as usize {
        labels
    } else {
        refine(
            image,
            (x0, y0, w, h),
            &hints,
            &labels,
            (ww, hh),
            &around,
            (&fg, &bg),
        )
    };
    let ms = |a: std::time::Instant, b: std::time::Instant| (b - a).as_secs_f64() * 1e3;
    tracing::debug!(
        box_px = format!("{w}x{h}"),
        work_px = format!("{ww}x{hh}"),
        prepare_ms = ms(t0, t1),
        cut_ms = ms(t1, t2),
        refine_ms = ms(t2, std::time::Instant::now()),
        "object selection"
    );
    let marked = |m: Option<&Mask>, x: u32, y: u32| {
        m.is_some_and(|m| x < m.width() && y < m.height() && m.0.get_pixel(x, y).0[0] > 0)
    };
    let raw = &mut out.0;
    for y in 0..h {
        for x in 0..w {
            let (ax, ay) = (x0 + x, y0 + y);
            // strokes are hard constraints: a pixel both strokes mark is left to the cut
            let selected = match (
                marked(hints.object, ax, ay),
                marked(hints.background, ax, ay),
            ) {
                (true, false) => true,
                (false, true) => false,
                _ => full[(y * w + x) as usize],
            };
            if selected {
                raw.put_pixel(ax, ay, image::Luma([255]));
            }
        }
    }
    out
}

/// The reduced-scale labels (`ww` x `hh`) bilinearly upsampled to `w` x `h`, cut at one half.
fn upsample(labels: &[bool], (ww, hh): (usize, usize), (w, h): (usize, usize)) -> Vec<bool> {
    let sx = ww as f32 / w as f32;
    let sy = hh as f32 / h as f32;
    let lab = |x: isize, y: isize| -> f32 {
        let x = x.clamp(0, ww as isize - 1) as usize;
        let y = y.clamp(0, hh as isize - 1) as usize;
        if labels[y * ww + x] { 1.0 } else { 0.0 }
    };
    let mut up = vec![false; w * h];
    for y in 0..h {
        let fy = (y as f32 + 0.5) * sy - 0.5;
        let (jy, ty) = (fy.floor() as isize, fy - fy.floor());
        for x in 0..w {
            let fx = (x as f32 + 0.5) * sx - 0.5;
            let (jx, tx) = (fx.floor() as isize, fx - fx.floor());
            let v = (lab(jx, jy) * (1.0 - tx) + lab(jx + 1, jy) * tx) * (1.0 - ty)
                + (lab(jx, jy + 1) * (1.0 - tx) + lab(jx + 1, jy + 1) * tx) * ty;
            up[y * w + x] = v >= 0.5;
        }
    }
    up
}

/// The pixels within `r` of a pixel whose right or lower neighbour has the other label
/// (a separable square dilation of the edge).
fn edge_band(up: &[bool], w: usize, h: usize, r: usize) -> Vec<bool> {
    let mut edge = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            edge[i] = (x + 1 < w && up[i] != up[i + 1]) || (y + 1 < h && up[i] != up[i + w]);
        }
    }
    let mut rows = vec![false; w * h];
    for y in 0..h {
        let mut last: Option<usize> = None; // the last edge pixel to the left
        for x in 0..w {
            if edge[y * w + x] {
                last = Some(x);
            }
            if last.is_some_and(|l| x - l <= r) {
                rows[y * w + x] = true;
            }
        }
        let mut next: Option<usize> = None;
        for x in (0..w).rev() {
            if edge[y * w + x] {
                next = Some(x);
            }
            if next.is_some_and(|l| l - x <= r) {
                rows[y * w + x] = true;
            }
        }
    }
    let mut band = vec![false; w * h];
    for x in 0..w {
        let mut last: Option<usize> = None;
        for y in 0..h {
            if rows[y * w + x] {
                last = Some(y);
            }
            if last.is_some_and(|l| y - l <= r) {
                band[y * w + x] = true;
            }
        }
        let mut next: Option<usize> = None;
        for y in (0..h).rev() {
            if rows[y * w + x] {
                next = Some(y);
            }
            if next.is_some_and(|l| l - y <= r) {
                band[y * w + x] = true;
            }
        }
    }
    band
}

/// The reduced cut brought to full resolution: bilinear upsampling, then a band around the edge
/// (a few working pixels wide) cut again on full-resolution colours, its outside fixed.
#[allow(clippy::too_many_arguments)]
fn refine(
    image: &RgbImage,
    (x0, y0, w, h): (u32, u32, u32, u32),
    hints: &Hints<'_>,
    labels: &[bool],
    (ww, hh): (usize, usize),
    around: &Around,
    (fg, bg): (&Gmm, &Gmm),
) -> Vec<bool> {
    let (w, h) = (w as usize, h as usize);
    let sx = ww as f32 / w as f32;
    let sy = hh as f32 / h as f32;
    let mut up = upsample(labels, (ww, hh), (w, h));
    // the band: within r pixels of an edge pixel
    let r = ((1.0 / sx.min(sy)).ceil() as usize + 1).min(12);
    let band = edge_band(&up, w, h, r);
    let mut index = vec![u32::MAX; w * h];
    let mut nodes = Vec::new();
    for (i, &b) in band.iter().enumerate() {
        if b {
            index[i] = nodes.len() as u32;
            nodes.push(i);
        }
    }
    if nodes.is_empty() {
        return up;
    }
    let (iw, ih) = (image.width() as isize, image.height() as isize);
    let colour = |x: isize, y: isize| -> Option<Colour> {
        let (ax, ay) = (x + x0 as isize, y + y0 as isize);
        (ax >= 0 && ay >= 0 && ax < iw && ay < ih).then(|| {
            let p = image.get_pixel(ax as u32, ay as u32).0;
            [f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]
        })
    };
    let hinted = |m: Option<&Mask>, x: usize, y: usize| {
        m.is_some_and(|m| {
            let (ax, ay) = (x0 as usize + x, y0 as usize + y);
            ax < m.width() as usize
                && ay < m.height() as usize
                && m.0.as_raw()[ay * m.width() as usize + ax] > 0
        })
    };
    let beta = beta_of(
        nodes.iter().flat_map(|&i| {
            let (x, y) = ((i % w) as isize, (i / w) as isize);
            OFFSETS.iter().filter_map(move |&(dx, dy, _)| {
                let (a, b) = (colour(x, y)?, colour(x + dx, y + dy)?);
                Some(sq(&a, &b))
            })
        }),
        around.near,
    );
    let mut g = Graph::new(nodes.len(), nodes.len() * 4);
    for (n, &i) in nodes.iter().enumerate() {
        let (x, y) = ((i % w) as isize, (i / w) as isize);
        let Some(c) = colour(x, y) else { continue };
        let (fo, fb) = (
            hinted(hints.object, x as usize, y as usize),
            hinted(hints.background, x as usize, y as usize),
        );
        match (fo, fb) {
            (true, false) => g.add_terminal(n, HARD, 0),
            (false, true) => g.add_terminal(n, 0, HARD),
            _ => {
                let (s, t) = data(fg, bg, &c);
                g.add_terminal(n, s, t);
            }
        }
        for dy in -1..=1isize {
            for dx in -1..=1isize {
                if (dx, dy) == (0, 0) {
                    continue;
                }
                let (nx, ny) = (x + dx, y + dy);
                let Some(o) = colour(nx, ny) else { continue };
                let f = if dx != 0 && dy != 0 {
                    OFFSETS[2].2
                } else {
                    1.0
                };
                let wt = smooth(beta, sq(&c, &o), f);
                let inside = nx >= 0 && ny >= 0 && (nx as usize) < w && (ny as usize) < h;
                if !inside {
                    g.add_terminal(n, 0, wt);
                    continue;
                }
                let j = ny as usize * w + nx as usize;
                if index[j] != u32::MAX {
                    // each pair once: from the earlier node in row-major order
                    if j > i {
                        g.add_edge(n, index[j] as usize, wt, wt);
                    }
                } else if up[j] {
                    g.add_terminal(n, wt, 0);
                } else {
                    g.add_terminal(n, 0, wt);
                }
            }
        }
    }
    g.max_flow();
    for (n, &i) in nodes.iter().enumerate() {
        up[i] = g.source_side(n);
    }
    up
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// A deterministic noisy colour.
    fn jitter(seed: &mut u64, c: [i32; 3], amp: i32) -> Rgb<u8> {
        let mut one = |v: i32| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (v + ((*seed >> 33) % (2 * amp as u64 + 1)) as i32 - amp).clamp(0, 255) as u8
        };
        Rgb([one(c[0]), one(c[1]), one(c[2])])
    }

    /// A striped blue-grey background with two blobs side by side: red (left) and green (right).
    fn two_blobs(w: u32, h: u32) -> (RgbImage, Vec<bool>, Vec<bool>) {
        let mut seed = 1;
        let (mut red, mut green) = (vec![false; (w * h) as usize], vec![false; (w * h) as usize]);
        let s = w as f32 / 300.0;
        let img = RgbImage::from_fn(w, h, |x, y| {
            let (fx, fy) = (x as f32 / s, y as f32 / s);
            let i = (y * w + x) as usize;
            if (fx - 110.0).hypot(fy - 100.0) < 45.0 {
                red[i] = true;
                jitter(&mut seed, [200, 40, 40], 12)
            } else if (fx - 190.0).hypot(fy - 100.0) < 40.0 && fx > 150.0 {
                green[i] = true;
                jitter(&mut seed, [40, 180, 60], 12)
            } else if (fy as u32 / 12).is_multiple_of(2) {
                jitter(&mut seed, [70, 90, 130], 10)
            } else {
                jitter(&mut seed, [120, 130, 150], 10)
            }
        });
        (img, red, green)
    }

    fn share(m: &Mask, set: &[bool]) -> f64 {
        let n = set.iter().filter(|&&b| b).count();
        let hit = set
            .iter()
            .zip(m.as_raw())
            .filter(|(b, v)| **b && **v > 0)
            .count();
        hit as f64 / n as f64
    }

    #[test]
    fn both_blobs_are_the_object_until_a_background_stroke_marks_one() {
        let (img, red, green) = two_blobs(300, 200);
        let rect = Rect {
            x: 50,
            y: 40,
            w: 200,
            h: 120,
        };
        let plain = object(&img, rect, Hints::default());
        assert!(share(&plain, &red) > 0.97, "red {}", share(&plain, &red));
        assert!(
            share(&plain, &green) > 0.97,
            "green {}",
            share(&plain, &green)
        );
        // a short stroke across the green blob
        let mut stroke = Mask::new(300, 200);
        for x in 175..205 {
            for y in 98..102 {
                stroke.0.put_pixel(x, y, image::Luma([255]));
            }
        }
        let hinted = object(
            &img,
            rect,
            Hints {
                object: None,
                background: Some(&stroke),
            },
        );
        assert!(share(&hinted, &red) > 0.97, "red {}", share(&hinted, &red));
        assert!(
            share(&hinted, &green) < 0.05,
            "green {}",
            share(&hinted, &green)
        );
        // and an object stroke brings a background stripe in
        let mut keep = Mask::new(300, 200);
        for x in 60..70 {
            keep.0.put_pixel(x, 50, image::Luma([255]));
        }
        let with = object(
            &img,
            rect,
            Hints {
                object: Some(&keep),
                background: None,
            },
        );
        assert_eq!(with.0.get_pixel(65, 50).0[0], 255);
        assert_eq!(plain.0.get_pixel(65, 50).0[0], 0);
    }

    #[test]
    fn a_large_box_works_at_a_reduced_scale_and_keeps_a_sharp_edge() {
        let (img, red, green) = two_blobs(1200, 800);
        let rect = Rect {
            x: 200,
            y: 160,
            w: 800,
            h: 480,
        };
        let m = object(&img, rect, Hints::default());
        let object: Vec<bool> = red.iter().zip(&green).map(|(a, b)| *a || *b).collect();
        let inter = object
            .iter()
            .zip(m.as_raw())
            .filter(|(o, v)| **o && **v > 0)
            .count();
        let union = object
            .iter()
            .zip(m.as_raw())
            .filter(|(o, v)| **o || **v > 0)
            .count();
        let iou = inter as f64 / union as f64;
        assert!(iou > 0.97, "IoU {iou:.4}");
        // the mask is hard: the refinement cut at full resolution leaves no blur
        assert!(m.as_raw().iter().all(|&v| v == 0 || v == 255));
    }

    #[test]
    fn a_rectangle_outside_the_image_selects_nothing() {
        let (img, _, _) = two_blobs(300, 200);
        let m = object(
            &img,
            Rect {
                x: 400,
                y: 10,
                w: 20,
                h: 20,
            },
            Hints::default(),
        );
        assert!(m.is_empty());
    }
}
