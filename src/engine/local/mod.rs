//! Embedded classical inpainting engine: multi-scale PatchMatch
//! (Barnes et al. 2009) with EM voting (Wexler et al. 2007) over an image
//! pyramid, initialised by a diffusion fill at the coarsest level.
//!
//! The engine works on a crop around the hole's bounding box plus a source
//! margin (and, for very large crops, on a power-of-two downscale of it), so
//! memory is bounded by the hole, not the image. A mask with several holes is
//! split into regions (`regions.rs`: every connected hole, or cluster of holes
//! whose crops would reach each other), each solved on its own crop, the
//! regions in parallel: many small holes cost their areas, not the box around
//! all of them. Everything is deterministic
//! for a given seed: random streams are derived from (seed, level, iteration,
//! pass, row band) and the row bands are fixed, independent of the thread count.
//!
//! Pipeline (`run_pyramid`):
//! 1. crop = hole bounding box + source margin; pyramid by 2x2 averaging of
//!    known pixels (a coarse pixel is a hole if any child is); the number of
//!    levels follows the crop size and the hole depth (thin strokes get few).
//! 2. pixels carry R, G, B and a texture feature T (local mean gradient
//!    magnitude, Newson et al. 2014) so matching distinguishes textured from
//!    smooth sources even at coarse levels where the texture is averaged away.
//! 3. coarsest level: diffusion fill (along the edges around the hole where they share a
//!    direction, `orient_fill`), random field; every level then runs EM
//!    iterations: PatchMatch pass(es) over row bands (propagation + random
//!    search + one global sample; sources are fully known patches) and a vote
//!    weighted by match quality and a confidence decaying with depth into the
//!    hole. By default (`sharp_mode` 4) the coarse levels' iterations take the
//!    weighted mean, which settles their structure, and their last iteration and
//!    every one of the finest level take a sharp best-patch vote, which keeps
//!    texture. Coarse levels use a stronger locality cost than the finest one, so
//!    big holes keep their structure local; the finest level's PatchMatch is
//!    coherent (`coherence`): a random candidate must beat a match by a margin
//!    that a neighbour's continued copy need not, so copies stay whole.
//!    After every vote, the texture channel of deep hole pixels is raised to
//!    (a multiple of) the texture level diffused in from the surroundings
//!    (`texture_anchor` at a border, `inner_anchor` for a surrounded hole), so
//!    deep fills keep asking for textured sources instead of settling on smooth
//!    ones.
//! 4. the field is upsampled to the next level and voted to initialise it.
//! 5. the last sharp vote of the finest level is refined in the gradient
//!    domain (`poisson.rs`): the copied sources' gradients (the weaker one where
//!    neighbours copy from different places) with the known pixels as boundary
//!    values, near the boundary of a border (`poisson_band`) and through the
//!    whole of a surrounded hole (`inner_band`), where fills from different
//!    sides meet.
//!
//! Files: `regions.rs` (splitting the mask), `pyramid.rs` (levels, masks, resampling, texture channel),
//! `diffuse.rs` (push-pull + Jacobi fill), `nnf.rs` (PatchMatch),
//! `vote.rs` (EM voting), `poisson.rs` (gradient-domain refinement).

// Pixel kernels index several parallel buffers; index loops read clearer there.
#![allow(clippy::needless_range_loop)]

mod diffuse;
mod nnf;
mod poisson;
mod pyramid;
mod regions;
mod structure;
mod vote;

use image::{GrayImage, RgbImage};
use nnf::{Ctx, Field, derive};
use pyramid::{CH, Level, bbox, crop_level, expand, patch_masks};
use rayon::prelude::*;
use tokio_util::sync::CancellationToken;

/// Tuning knobs of the engine. `Default` gives the recommended settings.
#[derive(Debug, Clone)]
pub struct LocalParams {
    /// Seed of every random choice; same seed, same bytes.
    pub seed: u64,
    /// Patch side (odd) at all but the coarsest level.
    pub patch_size: usize,
    /// Patch side (odd) at the coarsest level.
    pub coarse_patch_size: usize,
    /// Stop building coarser levels once the smaller crop side would drop below this.
    pub min_level_size: usize,
    /// Coarser levels are only used while the hole stays at least this deep
    /// (largest distance of a hole pixel to a known pixel, in level pixels).
    pub min_hole_depth: f32,
    /// Maximum number of pyramid levels that run PatchMatch.
    pub max_levels: usize,
    /// EM iterations at the coarsest level (interpolated linearly to `iters_fine`).
    pub iters_coarse: usize,
    /// EM iterations at the finest level.
    pub iters_fine: usize,
    /// PatchMatch passes per EM iteration.
    pub pm_passes: usize,
    /// Work budget of the finest level, in target patches: holes with fewer
    /// targets than `fine_budget / k` get `k` (at most 3) EM iterations more
    /// than `iters_fine` there (small holes are cheap, and the extra
    /// iterations let structure propagate in, e.g. along a brush stroke).
    pub fine_budget: usize,
    /// Work budget per EM iteration of the coarser levels, in target-patch
    /// passes: levels with few targets get up to 4 PatchMatch passes
    /// (`pm_passes` is the minimum; the finest level always uses `pm_passes`).
    pub pm_budget: usize,
    /// Source margin around the hole's bounding box, as a fraction of its larger side.
    pub source_margin: f32,
    /// Minimum source margin in pixels (a dust spot's region: 40 px around it gives as good a
    /// fill as 64 on the benchmark's dust masks, at two thirds of the time).
    pub min_source_margin: usize,
    /// Largest crop (in pixels) processed at full resolution; bigger crops are
    /// solved on a power-of-two downscale and upsampled into the hole. With the default
    /// margin a square hole up to about 940 px on a side is filled at full resolution.
    pub max_work_pixels: usize,
    /// Quantile of match errors used as sigma^2 of the vote weights.
    pub vote_percentile: f32,
    /// Multiplier of the vote weight exponent (higher = sharper, less blending).
    pub vote_sharpness: f32,
    /// Confidence decay per pixel of depth into the hole (gamma^-depth, 1 = off).
    pub confidence_gamma: f32,
    /// Scale of the texture feature channel (mean luma gradient magnitude
    /// around each pixel) in the patch distance; 0 disables it.
    pub texture_weight: f32,
    /// Window radius of the texture feature at full resolution.
    pub texture_radius: usize,
    /// Cost (in patch-SSD units, per full-resolution pixel) of the distance
    /// between a target and its source at the finest level; biases matches
    /// towards nearby sources.
    pub locality: f32,
    /// The same cost at all coarser levels (stronger: keeps the coarse
    /// structure local, so big holes are not filled from far smooth areas).
    pub coarse_locality: f32,
    /// Random-search start radius at all but the coarsest level, as a
    /// fraction of the level's larger side (the coarsest searches everywhere).
    pub fine_search_radius: f32,
    /// Where the sharp best-patch reconstruction replaces the weighted mean
    /// (keeps texture, may show more seams): 0 never, 1 last iteration of the
    /// finest level, 2 last iteration of every level, 3 every vote (also the
    /// one that initialises a level from the upsampled field), 4 last
    /// iteration of every level and every vote of the finest (its initialising one too).
    pub sharp_mode: u8,
    /// Texture anchor: after every vote, the texture channel of hole pixels
    /// deeper than `anchor_depth` is raised to at least this multiple of the
    /// texture level diffused in from the known surroundings (0 disables it).
    /// Without it, deep hole pixels (outpainting) drift to smooth sources,
    /// because a smooth estimate matches smooth sources best; the anchor
    /// makes matching ask for the texture energy of the surroundings.
    /// This one serves holes that reach the region's edge (outpainting, a hole at the photo's
    /// border): filled from one side, 1.2 gives them about the ground truth's texture.
    pub texture_anchor: f32,
    /// The texture anchor of a hole the region surrounds: there fills from every side meet and
    /// the votes average more of them, so deep pixels need a stronger pull to keep the
    /// surroundings' texture (2.0 on the coarser levels and 1.3 on the finest, see
    /// `anchor_fine`, gives the benchmark's large boxes 0.85 of the ground truth's).
    pub inner_anchor: f32,
    /// Depth (full-resolution pixels to the nearest known pixel) below which
    /// the texture anchor is not applied (thin holes are better served by
    /// their boundary).
    pub anchor_depth: f32,
    /// The share of the hole kind's anchor (`texture_anchor` or `inner_anchor`) applied on the
    /// finest level. The coarser levels choose the fill's texture energy; at full resolution a
    /// floor at the full multiple makes the matching ask for texture at every pixel, so a
    /// texture of flat areas and thin lines (brick, with its mortar) becomes a mosaic of line
    /// fragments. At 0.65 a surrounded hole's finest level keeps a floor of 1.3x (inner 2.0)
    /// and an outpainted border's (1.2 x 0.65 < 1) none.
    pub anchor_fine: f32,
    /// Gradient-domain refinement of the final reconstruction: hole pixels
    /// within this distance (full-resolution pixels) of the boundary are
    /// re-solved as a Poisson problem with the copied sources' gradients and
    /// the known pixels as boundary values (0 disables it). Spreads colour
    /// offsets of the copied patches smoothly instead of leaving them at the
    /// boundary; only used with a sharp last vote (`sharp_mode` >= 1).
    pub poisson_band: f32,
    /// SOR sweeps of that refinement.
    pub poisson_sweeps: usize,
    /// Guidance where neighbours copy from different sources: their mean gradient (0) .. the
    /// stronger one (1); negative values lean to the weaker of the two (-1: the weaker alone),
    /// so a seam between two copies takes the smaller step either side would make instead of a
    /// half-strength copy of both edges (ghost mortar lines in brick).
    pub poisson_mix: f32,
    /// Depth (full-resolution pixels) of the gradient-domain refinement in a hole the region
    /// surrounds, when larger than `poisson_band`: there fills from different sides meet deep
    /// inside (a large box's diagonals), and re-solving those pixels too spreads the step
    /// between the fills out instead of leaving a seam. An outpainted border keeps
    /// `poisson_band`.
    pub inner_band: f32,
    /// Structure recovery (`structure.rs`) for holes at least this deep (largest distance of a
    /// hole pixel to a known pixel, in pixels of the level the engine works on): straight edges
    /// crossing the hole are continued through it, as barriers of the coarsest level's fill and
    /// as a guide in matching (`structure_weight`). 0 disables it.
    pub structure_depth: f32,
    /// Structure is looked for on the finest level where the hole's bounding box is at most
    /// this many pixels on its larger side (coarser levels see fewer texture edges).
    pub structure_side: usize,
    /// Weight of the structure guide in matching, per squared pixel of difference between a
    /// target's and a source's signed distance to a continued edge (0: the edges only shape the
    /// coarsest level's fill).
    pub structure_weight: u32,
    /// Whether the finest level's PatchMatch also tries one uniformly random source per target
    /// and pass when coarser levels ran before it (they always do: that is where distant
    /// sources are found; a level that runs alone always explores).
    pub explore_fine: bool,
    /// Most PatchMatch passes per EM iteration that `pm_budget` gives a coarse level.
    pub max_passes: usize,
    /// Coherence of the finest level's PatchMatch, per patch pixel (patch-distance units): a
    /// random-search or exploration candidate replaces a target's match only when its distance
    /// is lower by this much times the patch's pixels, while a candidate propagated from a
    /// neighbour (which continues that neighbour's copy) need only be lower. Copies stay
    /// whole, so regular patterns (brick) show fewer seams, and the bound cuts distance sums
    /// short sooner. Coarser levels search freely: that is where the fill's structure is
    /// chosen. 0 disables it.
    pub coherence: f32,
    /// Robust matching of thin holes: on the coarser levels of a hole at most `robust_depth`
    /// deep (full-resolution pixels from the nearest known pixel), each pixel's squared
    /// difference (summed over its channels) counts at most `robust_cap` in the patch distance.
    /// A coarse target on a brush stroke is mostly the known pixels of the stroke's two sides;
    /// with the plain sum the best source is one a little off everywhere (a third region whose
    /// colour is the sides' mean), with the cap one that matches a side exactly. 0 disables it.
    pub robust_cap: u32,
    /// See `robust_cap`. Deeper holes (large boxes, outpainting) match with the plain sum:
    /// capped, they lost 0.1-0.2 dB on the extra benchmark set.
    pub robust_depth: f32,
    /// Oriented fill of the coarsest level: where the known pixels around a hole the region
    /// surrounds have edges of one direction (a horizon, a tower, grass blades, stripes), its
    /// diffusion estimate spreads along them, each neighbour weighing `1 - orient_fill *
    /// coherence * (u.g)^2` (`diffuse::diffuse_fill_along`), so the estimate continues them
    /// through the hole instead of blending both sides into its middle, and the coarse matches
    /// copy the continued structure (a rocket's body, not floating bits of its gantry). 0
    /// disables it.
    pub orient_fill: f32,
    /// The least coherence (0..1, see `diffuse::Orientation`) of the edges around the hole for
    /// the oriented fill; below it the fill is isotropic.
    pub orient_coherence: f32,
    /// Holes at most this deep (full-resolution pixels to the nearest known pixel) keep the
    /// isotropic fill: a brush stroke's estimate comes from its two sides.
    pub orient_depth: f32,
}

impl Default for LocalParams {
    fn default() -> Self {
        LocalParams {
            seed: 0,
            patch_size: 7,
            coarse_patch_size: 5,
            min_level_size: 40,
            min_hole_depth: 6.0,
            max_levels: 6,
            iters_coarse: 8,
            iters_fine: 2,
            pm_passes: 1,
            pm_budget: 30_000,
            fine_budget: 64_000,
            source_margin: 0.6,
            min_source_margin: 40,
            max_work_pixels: 4_300_000,
            vote_percentile: 0.75,
            vote_sharpness: 1.0,
            confidence_gamma: 1.5,
            sharp_mode: 4,
            locality: 40.0,
            coarse_locality: 100.0,
            fine_search_radius: 0.25,
            texture_weight: 3.0,
            texture_radius: 2,
            texture_anchor: 1.2,
            inner_anchor: 2.0,
            anchor_depth: 32.0,
            anchor_fine: 0.65,
            poisson_band: 16.0,
            poisson_sweeps: 30,
            poisson_mix: -0.75,
            inner_band: f32::INFINITY,
            structure_depth: 16.0,
            structure_side: 160,
            structure_weight: 2000,
            explore_fine: false,
            max_passes: 4,
            coherence: 250.0,
            robust_cap: 4000,
            robust_depth: 40.0,
            orient_fill: 1.0,
            orient_coherence: 0.3,
            orient_depth: 40.0,
        }
    }
}

/// Progress report: `level` counts from 0 (coarsest) to `levels - 1` (finest).
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub level: usize,
    pub levels: usize,
    pub iteration: usize,
    pub iterations: usize,
}

/// The run was cancelled through the cancel flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

impl std::fmt::Display for Cancelled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for Cancelled {}

/// The independent regions of `mask`, as `[x, y, width, height]` crops ordered by their top-left
/// corners: every connected hole, or cluster of holes whose regions would reach each other, with
/// the source margin around its bounding box (clamped to the image). No crop holds another
/// region's hole pixels, and [`inpaint`] solves every region on its own crop (in parallel): the
/// fill of a region is the fill of the mask that selects that region's holes alone, and
/// [`inpaint_parts`] on the crops gives the same pixels as [`inpaint`] on the whole image.
pub fn regions(mask: &GrayImage, params: &LocalParams) -> Vec<[u32; 4]> {
    plan(mask, params).into_iter().map(rect_xywh).collect()
}

fn rect_xywh(c: pyramid::Rect) -> [u32; 4] {
    [c.x0 as u32, c.y0 as u32, c.w() as u32, c.h() as u32]
}

fn plan(mask: &GrayImage, params: &LocalParams) -> Vec<pyramid::Rect> {
    let (w, h) = (mask.width() as usize, mask.height() as usize);
    regions::plan(mask.as_raw(), w, h, |b| source_margin(b, params))
}

fn source_margin(bb: pyramid::Rect, params: &LocalParams) -> usize {
    params
        .min_source_margin
        .max((params.source_margin.max(0.0) * bb.w().max(bb.h()) as f32) as usize)
}

/// Fill every pixel whose mask value is > 0 ("may change"); pixels with mask 0
/// come back bit-identical. `mask` must have the image's size (a mismatched
/// mask returns the image unchanged in release builds).
///
/// Every one of the mask's [`regions`] is solved on its own crop, the regions in parallel; the
/// bytes do not depend on the thread count. With several regions, `progress` reports the
/// largest one's levels and iterations.
pub fn inpaint(
    image: &RgbImage,
    mask: &GrayImage,
    params: &LocalParams,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &CancellationToken,
) -> Result<RgbImage, Cancelled> {
    debug_assert_eq!(
        image.dimensions(),
        mask.dimensions(),
        "mask size differs from image size"
    );
    let mut out = image.clone();
    if image.dimensions() != mask.dimensions() {
        return Ok(out);
    }
    let w = image.width() as usize;
    let crops = plan(mask, params);
    let (img, m) = (image.as_raw(), mask.as_raw());
    let areas: Vec<usize> = crops.iter().map(|c| c.w() * c.h()).collect();
    let filled = solve_all(&areas, progress, |i, progress| {
        fill_region(img, m, w, crops[i], params, progress, cancel)
    })?;
    for (crop, result) in crops.iter().zip(&filled) {
        paste(&mut out, m, *crop, result);
    }
    Ok(out)
}

/// [`inpaint`] of crops made with [`regions`]: every part (an image and its mask, of the same
/// size) is solved as one region (its holes' bounding box plus the source margin, clamped to the
/// part), the parts in parallel; returns each part with its holes filled (a part whose mask
/// selects nothing or has another size comes back unchanged). Parts cut out at the crops that
/// [`regions`] names get the pixels that [`inpaint`] gives the whole image there.
pub fn inpaint_parts(
    parts: &[(RgbImage, GrayImage)],
    params: &LocalParams,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &CancellationToken,
) -> Result<Vec<RgbImage>, Cancelled> {
    let areas: Vec<usize> = parts
        .iter()
        .map(|(i, _)| i.width() as usize * i.height() as usize)
        .collect();
    solve_all(&areas, progress, |i, progress| {
        let (image, mask) = &parts[i];
        let mut out = image.clone();
        if image.dimensions() != mask.dimensions() {
            return Ok(out);
        }
        let (w, h) = (image.width() as usize, image.height() as usize);
        let Some(bb) = bbox(mask.as_raw(), w, h) else {
            return Ok(out);
        };
        let crop = expand(bb, source_margin(bb, params), w, h);
        let l = fill_region(
            image.as_raw(),
            mask.as_raw(),
            w,
            crop,
            params,
            progress,
            cancel,
        )?;
        paste(&mut out, mask.as_raw(), crop, &l);
        Ok(out)
    })
}

/// `solve(i, progress)` for every index of `areas`, in parallel, results in index order; only
/// the largest area (the first of equals) reports to `progress`. The first cancellation wins.
fn solve_all<T: Send>(
    areas: &[usize],
    progress: &(dyn Fn(Progress) + Sync),
    solve: impl Fn(usize, &(dyn Fn(Progress) + Sync)) -> Result<T, Cancelled> + Sync,
) -> Result<Vec<T>, Cancelled> {
    let main = areas
        .iter()
        .enumerate()
        .max_by_key(|&(i, a)| (*a, std::cmp::Reverse(i)))
        .map_or(0, |(i, _)| i);
    let quiet = |_: Progress| {};
    if areas.len() == 1 {
        return Ok(vec![solve(0, progress)?]);
    }
    (0..areas.len())
        .into_par_iter()
        .map(|i| solve(i, if i == main { progress } else { &quiet }))
        .collect()
}

/// The region `crop` of the image `img` (packed RGB, `w` wide) and its mask `m`, filled: the
/// working level with its holes filled (channels as [`CH`]).
fn fill_region(
    img: &[u8],
    m: &[u8],
    w: usize,
    crop: pyramid::Rect,
    params: &LocalParams,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &CancellationToken,
) -> Result<Level, Cancelled> {
    let mut base = crop_level(img, m, w, crop);
    base.add_texture_channel(params.texture_weight, params.texture_radius);
    run_pyramid(base, params, progress, cancel)
}

/// Copies the hole pixels (mask non-zero) of the filled region `result` (the crop `crop` of
/// `out`) into `out`.
fn paste(out: &mut RgbImage, m: &[u8], crop: pyramid::Rect, result: &Level) {
    let w = out.width() as usize;
    let buf: &mut [u8] = out;
    let cw = crop.w();
    for y in 0..crop.h() {
        let row = (crop.y0 + y) * w + crop.x0;
        let mrow = &m[row..row + cw];
        let drow = &mut buf[row * 3..(row + cw) * 3];
        let srow = &result.img[y * cw * CH..(y + 1) * cw * CH];
        for (x, _) in mrow.iter().enumerate().filter(|(_, v)| **v != 0) {
            drow[x * 3..x * 3 + 3].copy_from_slice(&srow[x * CH..x * CH + 3]);
        }
    }
}

fn odd_radius(size: usize) -> usize {
    size.max(1) / 2
}

/// Coarse-to-fine EM over the pyramid of `base`; returns `base` with its hole filled.
fn run_pyramid(
    base: Level,
    p: &LocalParams,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &CancellationToken,
) -> Result<Level, Cancelled> {
    let mut pyr = build_pyramid(base, p);
    let (work, coarsest, mut work_dist, depth) = level_span(&pyr, p);
    let levels = coarsest - work + 1;
    let segments = if p.structure_depth > 0.0 && depth >= p.structure_depth {
        structure_at(&pyr[work..=coarsest], p.structure_side)
    } else {
        Vec::new()
    };
    let inside = surrounded(&pyr[work]);
    if !segments.is_empty() {
        let c = &pyr[coarsest];
        let labels = structure::labels(&segments_on(&segments, coarsest, work), c.w, c.h);
        diffuse::diffuse_fill_regions(&mut pyr[coarsest], &labels, 200);
    } else if let Some(o) = orientation(&pyr[coarsest], inside, depth, p) {
        diffuse::diffuse_fill_along(&mut pyr[coarsest], 200, o, p.orient_fill * o.coherence);
    } else {
        diffuse::diffuse_fill(&mut pyr[coarsest], 200);
    }
    // Texture level of the surroundings, diffused into the hole (coarsest level).
    let anchor = if inside {
        p.inner_anchor
    } else {
        p.texture_anchor
    };
    let anchor_src = (anchor > 0.0).then(|| (pyr[coarsest].clone(), anchor));
    let run = Run {
        p,
        progress,
        cancel,
        levels,
        work,
        segments: &segments,
        anchor_src: anchor_src.as_ref(),
        surrounded: inside,
        depth,
    };

    let mut field: Option<(Field, usize, usize)> = None;
    for (li, k) in (work..=coarsest).rev().enumerate() {
        if li > 0 {
            let (fine, coarse) = pyr.split_at_mut(k + 1);
            let c = &coarse[0];
            pyramid::upsample_into_hole(&c.img, c.w, c.h, &mut fine[k]);
        }
        let started = std::time::Instant::now();
        field = run_level(&run, &mut pyr[k], li, k, field.take(), &mut work_dist)?;
        tracing::trace!(
            level = li,
            of = levels,
            w = pyr[k].w,
            h = pyr[k].h,
            ms = started.elapsed().as_secs_f64() * 1e3,
            "local engine level"
        );
    }
    for k in (0..work).rev() {
        let (fine, coarse) = pyr.split_at_mut(k + 1);
        let c = &coarse[0];
        pyramid::upsample_into_hole(&c.img, c.w, c.h, &mut fine[k]);
    }
    pyr.truncate(1);
    Ok(pyr.swap_remove(0))
}

/// The pyramid of `base` (finest first), halved while the smaller side stays at least
/// `min_level_size` and the level still has a known pixel.
fn build_pyramid(base: Level, p: &LocalParams) -> Vec<Level> {
    let mut pyr = vec![base];
    loop {
        let last = &pyr[pyr.len() - 1];
        if last.w.min(last.h) / 2 < p.min_level_size.max(2) {
            break;
        }
        let d = pyramid::downsample(last);
        if d.hole_count() == d.w * d.h {
            break;
        }
        pyr.push(d);
    }
    pyr
}

/// The direction of the edges around the hole of the coarsest level `c` for its oriented fill
/// (`orient_fill`): only for a hole the region surrounds (`inside`) deeper than `orient_depth`
/// (`depth` on the working level), whose edges are coherent enough (`orient_coherence`).
fn orientation(
    c: &Level,
    inside: bool,
    depth: f32,
    p: &LocalParams,
) -> Option<diffuse::Orientation> {
    if !inside || depth <= p.orient_depth || p.orient_fill <= 0.0 {
        return None;
    }
    diffuse::ring_orientation(c, diffuse::ORIENTATION_RING)
        .filter(|o| o.coherence >= p.orient_coherence)
}

/// The levels that run EM: the working level (the finest within `max_work_pixels`) and the
/// coarsest, which the hole's depth and `max_levels` limit and which needs a complete source
/// patch; also the working level's hole distances and the hole's depth there.
fn level_span(pyr: &[Level], p: &LocalParams) -> (usize, usize, Option<Vec<f32>>, f32) {
    let work = pyr
        .iter()
        .position(|l| l.w * l.h <= p.max_work_pixels.max(1))
        .unwrap_or(pyr.len() - 1);
    // Thin holes need few levels: stop once the hole's depth (largest
    // distance to a known pixel) would drop below `min_hole_depth`.
    let wl = &pyr[work];
    // kept for the finest level's loop below (the hole masks never change)
    let work_dist = Some(pyramid::hole_distance(&wl.hole, wl.w, wl.h));
    let depth = work_dist.iter().flatten().copied().fold(0.0f32, f32::max);
    let by_depth = (depth / p.min_hole_depth.max(0.5)).max(1.0).log2().floor() as usize;
    let mut coarsest = (work + p.max_levels.max(1) - 1)
        .min(work + by_depth)
        .min(pyr.len() - 1);
    let r_coarse = odd_radius(p.coarse_patch_size);
    while coarsest > work {
        let l = &pyr[coarsest];
        if !patch_masks(&l.hole, l.w, l.h, r_coarse)
            .valid_list
            .is_empty()
        {
            break;
        }
        coarsest -= 1;
    }
    (work, coarsest, work_dist, depth)
}

/// The segments (found on the working level `work`) on level `k`.
fn segments_on(segments: &[structure::Segment], k: usize, work: usize) -> Vec<structure::Segment> {
    let factor = (1u64 << (k - work).min(30)) as f32;
    segments.iter().map(|s| s.on_level(factor)).collect()
}

/// What every level of one `run_pyramid` shares.
struct Run<'a> {
    p: &'a LocalParams,
    progress: &'a (dyn Fn(Progress) + Sync),
    cancel: &'a CancellationToken,
    /// How many levels run EM.
    levels: usize,
    /// The pyramid index of the finest of them (the working level).
    work: usize,
    /// The straight edges crossing the hole, on the working level.
    segments: &'a [structure::Segment],
    /// The coarsest level after its fill and the anchor's multiple (`texture_anchor` or
    /// `inner_anchor`), for the texture anchor (None: no anchor).
    anchor_src: Option<&'a (Level, f32)>,
    /// Whether the region surrounds its hole ([`surrounded`] on the working level).
    surrounded: bool,
    /// The hole's depth on the working level (largest distance to a known pixel).
    depth: f32,
}

/// EM on pyramid level `k`, the `li`-th from the coarsest, starting from the coarser level's
/// field (None: a random field); returns this level's field, None when it has no complete
/// source patch (its estimate is kept).
fn run_level(
    s: &Run<'_>,
    lvl: &mut Level,
    li: usize,
    k: usize,
    field: Option<(Field, usize, usize)>,
    work_dist: &mut Option<Vec<f32>>,
) -> Result<Option<(Field, usize, usize)>, Cancelled> {
    let (p, levels) = (s.p, s.levels);
    let r = if li == 0 && levels > 1 {
        odd_radius(p.coarse_patch_size)
    } else {
        odd_radius(p.patch_size)
    };
    let masks = patch_masks(&lvl.hole, lvl.w, lvl.h, r);
    let n_targets = masks.target.iter().filter(|&&t| t).count().max(1);
    let iters = level_iters(p, li, levels, n_targets);
    if masks.valid_list.is_empty() {
        // No complete source patch: keep the diffusion / upsampled estimate.
        for it in 0..iters {
            check(s.progress, s.cancel, li, levels, it, iters)?;
        }
        return Ok(None);
    }
    let level_seed = derive(p.seed, li as u64);
    let side = lvl.w.max(lvl.h);
    let (passes, explore, search_radius, loc) = search_settings(p, li, levels, k, n_targets, side);
    let hole_dist = match work_dist.take_if(|_| k == s.work) {
        Some(d) => d,
        None => pyramid::hole_distance(&lvl.hole, lvl.w, lvl.h),
    };
    let anchor = s.anchor_src.map(|(c, multiple)| {
        let min_depth = p.anchor_depth / (1u64 << k.min(30)) as f32;
        let multiple = if li + 1 == levels {
            multiple * p.anchor_fine
        } else {
            *multiple
        };
        pyramid::texture_anchor(c, lvl, &hole_dist, min_depth, multiple)
    });
    let guide = if s.segments.is_empty() || p.structure_weight == 0 {
        Vec::new()
    } else {
        structure::guide(
            &segments_on(s.segments, k, s.work),
            lvl.w,
            lvl.h,
            (r + 1) as f32,
        )
    };
    let em = LevelEm {
        p,
        li,
        levels,
        k,
        r,
        masks: &masks,
        loc,
        guide: (&guide[..], p.structure_weight),
        hole_dist: &hole_dist,
        anchor: anchor.as_deref(),
        level_seed,
        iters,
        passes,
        explore,
        search_radius,
        surrounded: s.surrounded,
        cap: if li + 1 < levels && s.depth <= p.robust_depth {
            p.robust_cap
        } else {
            0
        },
    };
    let mut f = em.init_field(lvl, field);
    for it in 0..iters {
        check(s.progress, s.cancel, li, levels, it, iters)?;
        em.iteration(lvl, &mut f, it);
    }
    Ok(Some((f, lvl.w, lvl.h)))
}

/// EM iterations of the `li`-th level from the coarsest: interpolated from `iters_coarse` to
/// `iters_fine`, the finest level getting up to 3 more for small holes (`fine_budget`).
fn level_iters(p: &LocalParams, li: usize, levels: usize, n_targets: usize) -> usize {
    if li + 1 == levels {
        p.iters_fine + (p.fine_budget / n_targets).min(3)
    } else {
        let t = li as f32 / (levels - 1) as f32;
        (p.iters_coarse as f32 * (1.0 - t) + p.iters_fine as f32 * t).round() as usize
    }
    .max(1)
}

/// A level's PatchMatch settings: passes per EM iteration, whether to draw one global random
/// sample, the random search's start radius, and the locality cost (in pyramid index `k`'s
/// pixels).
fn search_settings(
    p: &LocalParams,
    li: usize,
    levels: usize,
    k: usize,
    n_targets: usize,
    side: usize,
) -> (usize, bool, usize, f32) {
    // Small holes get extra PatchMatch passes within a fixed work budget.
    let extra = if li + 1 < levels {
        (p.pm_budget / n_targets).min(p.max_passes)
    } else {
        0
    };
    let passes = p.pm_passes.max(1).max(extra);
    // The global random sample: always on coarse levels, and on the finest when it runs
    // (nearly) alone.
    let explore = li + 1 < levels || levels <= 2 || p.explore_fine;
    let search_radius = if li == 0 {
        side
    } else {
        ((side as f32 * p.fine_search_radius) as usize).max(4)
    };
    let locality = if li + 1 == levels {
        p.locality
    } else {
        p.coarse_locality
    };
    let loc = locality * (1u64 << k.min(30)) as f32;
    (passes, explore, search_radius, loc)
}

/// One level's EM settings, fixed before its first iteration.
struct LevelEm<'a> {
    p: &'a LocalParams,
    /// The level's place from the coarsest (of `levels`), and its pyramid index.
    li: usize,
    levels: usize,
    k: usize,
    /// Patch radius.
    r: usize,
    masks: &'a pyramid::PatchMasks,
    loc: f32,
    guide: (&'a [[i8; 4]], u32),
    hole_dist: &'a [f32],
    anchor: Option<&'a [u8]>,
    level_seed: u64,
    iters: usize,
    passes: usize,
    explore: bool,
    search_radius: usize,
    /// Whether the region surrounds its hole (see [`Run`]).
    surrounded: bool,
    /// The cap of a pixel's squared difference in matching (`robust_cap`; 0: none).
    cap: u32,
}

impl LevelEm<'_> {
    /// Whether this is the finest level of the run.
    fn finest(&self) -> bool {
        self.li + 1 == self.levels
    }

    /// Whether a vote takes the sharp best patch instead of the weighted mean (`sharp_mode`):
    /// `it` is the EM iteration, `None` the vote that initialises the level.
    fn sharp(&self, it: Option<usize>) -> bool {
        let finest = self.finest();
        let last = |it: usize| it + 1 == self.iters;
        match (self.p.sharp_mode, it) {
            (3, _) => true,
            (4, None) => finest,
            (_, None) | (0, _) => false,
            (1, Some(it)) => last(it) && finest,
            (2, Some(it)) => last(it),
            (_, Some(it)) => last(it) || finest,
        }
    }

    /// The field to start from: the coarser level's, upsampled and voted into the level's image
    /// (sharp when `sharp_mode` is 3, or 4 on the finest level), or a random one on the
    /// coarsest level.
    fn init_field(&self, lvl: &mut Level, field: Option<(Field, usize, usize)>) -> Field {
        let p = self.p;
        let ctx = ctx_of(lvl, self.r, self.masks, self.loc, self.guide);
        match field {
            Some((cf, cw, ch)) => {
                let f = nnf::upsample_field(&cf, cw, ch, &ctx, derive(self.level_seed, 0xF1E1D));
                let wts = vote::weights(
                    &ctx,
                    &f,
                    self.hole_dist,
                    p.vote_percentile,
                    p.vote_sharpness,
                    p.confidence_gamma,
                );
                let img = if self.sharp(None) {
                    vote::vote_best(&ctx, &f, &wts, &lvl.hole)
                } else {
                    vote::vote(&ctx, &f, &wts, &lvl.hole)
                };
                lvl.img = img;
                apply_anchor(&mut lvl.img, self.anchor);
                f
            }
            None => nnf::init_random(&ctx, derive(self.level_seed, 0x1417)),
        }
    }

    /// EM iteration `it`: PatchMatch passes over the field, then the vote into the level's image
    /// (sharp or weighted mean as `sharp_mode` says; the finest level's last sharp vote is
    /// refined by `poisson`), then the texture anchor.
    fn iteration(&self, lvl: &mut Level, f: &mut Field, it: usize) {
        let p = self.p;
        let mut ctx = ctx_of(lvl, self.r, self.masks, self.loc, self.guide);
        if self.finest() {
            let side = 2 * self.r + 1;
            ctx.coherence = (p.coherence.max(0.0) * (side * side) as f32) as u32;
        }
        ctx.cap = self.cap;
        let it_seed = derive(self.level_seed, 1000 + it as u64);
        nnf::recompute_dist(&ctx, f);
        for pass in 0..self.passes {
            nnf::pm_pass(
                &ctx,
                f,
                (it + pass).is_multiple_of(2),
                derive(it_seed, pass as u64),
                self.search_radius,
                self.explore,
            );
        }
        let wts = vote::weights(
            &ctx,
            f,
            self.hole_dist,
            p.vote_percentile,
            p.vote_sharpness,
            p.confidence_gamma,
        );
        let sharp = self.sharp(Some(it));
        let finish = sharp && it + 1 == self.iters && self.finest() && p.poisson_band > 0.0;
        let img = if finish {
            let (img, src) = vote::vote_best_src(&ctx, f, &wts, &lvl.hole);
            // a hole the region surrounds: the refinement reaches `inner_band` deep, so where
            // fills from different sides meet the step between them is spread out too (an
            // outpainted border is filled from one side)
            let band = if self.surrounded {
                p.inner_band.max(p.poisson_band)
            } else {
                p.poisson_band
            };
            lvl.img = img;
            let band = band / (1u64 << self.k.min(30)) as f32;
            poisson::refine(
                lvl,
                &src,
                self.hole_dist,
                band,
                p.poisson_sweeps,
                p.poisson_mix,
            );
            std::mem::take(&mut lvl.img)
        } else if sharp {
            vote::vote_best(&ctx, f, &wts, &lvl.hole)
        } else {
            vote::vote(&ctx, f, &wts, &lvl.hole)
        };
        lvl.img = img;
        apply_anchor(&mut lvl.img, self.anchor);
    }
}

/// Whether the level's hole lies inside it, known pixels all around (not outpainting, not a
/// hole at the photo's edge).
fn surrounded(l: &Level) -> bool {
    bbox(&l.hole, l.w, l.h).is_some_and(|b| b.x0 > 0 && b.y0 > 0 && b.x1 < l.w && b.y1 < l.h)
}

/// Raises the texture channel of `img` to at least the anchor's (no anchor: nothing).
fn apply_anchor(img: &mut [u8], anchor: Option<&[u8]>) {
    if let Some(a) = anchor {
        for (px, &t) in img.chunks_exact_mut(CH).zip(a) {
            px[3] = px[3].max(t);
        }
    }
}

/// The straight edges crossing the hole, found on the finest of `levels` (finest first) where
/// the hole's bounding box is at most `side` pixels, in the coordinates of the first.
fn structure_at(levels: &[Level], side: usize) -> Vec<structure::Segment> {
    let Some(k) = levels
        .iter()
        .position(|l| bbox(&l.hole, l.w, l.h).is_some_and(|b| b.w().max(b.h()) <= side.max(8)))
    else {
        return Vec::new();
    };
    let found = structure::find(&levels[k]);
    let factor = 1.0 / (1u64 << k.min(30)) as f32;
    found.iter().map(|s| s.on_level(factor)).collect()
}

fn ctx_of<'a>(
    l: &'a Level,
    r: usize,
    m: &'a pyramid::PatchMasks,
    locality: f32,
    (guide, guide_weight): (&'a [[i8; 4]], u32),
) -> Ctx<'a> {
    Ctx {
        w: l.w,
        h: l.h,
        r,
        img: &l.img,
        valid: &m.valid,
        valid_list: &m.valid_list,
        target: &m.target,
        locality,
        guide,
        guide_weight,
        coherence: 0,
        cap: 0,
    }
}

fn check(
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &CancellationToken,
    level: usize,
    levels: usize,
    iteration: usize,
    iterations: usize,
) -> Result<(), Cancelled> {
    if cancel.is_cancelled() {
        return Err(Cancelled);
    }
    progress(Progress {
        level,
        levels,
        iteration,
        iterations,
    });
    if cancel.is_cancelled() {
        return Err(Cancelled);
    }
    Ok(())
}

/// Inner loops exposed for the criterion benches. Not a stable API.
#[doc(hidden)]
pub mod bench_api {
    use super::*;

    /// SSD between the patch centred at `p` (clipped) and the one at `q` (inside).
    pub fn patch_distance(
        img: &[u8],
        w: usize,
        h: usize,
        r: usize,
        p: (usize, usize),
        q: (usize, usize),
        bound: u32,
    ) -> u32 {
        nnf::patch_dist(img, w, h, r, p, q, bound)
    }

    /// One full-resolution level prepared for PatchMatch / voting.
    pub struct Prepared {
        level: Level,
        masks: pyramid::PatchMasks,
        field: Field,
        r: usize,
    }

    impl Prepared {
        /// Diffusion-filled level with a random field. Needs a valid source patch.
        pub fn new(image: &RgbImage, mask: &GrayImage, patch_size: usize, seed: u64) -> Self {
            let (w, h) = (image.width() as usize, image.height() as usize);
            let full = pyramid::Rect {
                x0: 0,
                y0: 0,
                x1: w,
                y1: h,
            };
            let mut level = crop_level(image.as_raw(), mask.as_raw(), w, full);
            level.add_texture_channel(2.0, 2);
            diffuse::diffuse_fill(&mut level, 50);
            let r = odd_radius(patch_size);
            let masks = patch_masks(&level.hole, w, h, r);
            let field = nnf::init_random(&ctx_of(&level, r, &masks, 0.0, (&[], 0)), seed);
            Prepared {
                level,
                masks,
                field,
                r,
            }
        }

        /// One PatchMatch pass (propagation + random search).
        pub fn pm_pass(&mut self, seed: u64) {
            let ctx = ctx_of(&self.level, self.r, &self.masks, 0.0, (&[], 0));
            nnf::pm_pass(
                &ctx,
                &mut self.field,
                seed.is_multiple_of(2),
                seed,
                usize::MAX,
                true,
            );
        }

        /// One weighted vote; returns the new image buffer.
        pub fn vote(&self) -> Vec<u8> {
            let ctx = ctx_of(&self.level, self.r, &self.masks, 0.0, (&[], 0));
            let d = pyramid::hole_distance(&self.level.hole, self.level.w, self.level.h);
            let wts = vote::weights(&ctx, &self.field, &d, 0.75, 1.0, 1.3);
            vote::vote(&ctx, &self.field, &wts, &self.level.hole)
        }
    }
}

#[cfg(test)]
mod tests;
