//! The `Engine` implementation over the embedded classical engine in `local/`.

use async_trait::async_trait;
use rayon::prelude::*;

use super::local::{self, LocalParams};
use crate::edit::engine::{
    Engine, EngineKind, EngineOutput, EngineProgress, Generated, PreparedJob, RunContext,
};
use crate::error::{Error, Result};

/// The embedded PatchMatch engine: offline, deterministic per seed, prompts ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalEngine;

#[async_trait]
impl Engine for LocalEngine {
    fn kind(&self) -> EngineKind {
        EngineKind::Local
    }

    async fn run(&self, job: &PreparedJob, ctx: &RunContext) -> Result<EngineOutput> {
        // The engine reads and changes only the holes' regions (each connected hole, or
        // cluster of near holes, with the source margin around it): copy those crops to the
        // worker, not the whole canvas.
        let started = std::time::Instant::now();
        let regions = local::regions(&job.mask, &LocalParams::default());
        if regions.is_empty() || job.image.dimensions() != job.mask.dimensions() {
            // nothing selected (or a mask of another size): every result is the input
            let images = job
                .seeds
                .iter()
                .map(|&seed| Generated {
                    image: (*job.image).clone(),
                    seed,
                })
                .collect();
            return Ok(EngineOutput {
                images,
                ..EngineOutput::default()
            });
        }
        let parts: std::sync::Arc<Vec<_>> = std::sync::Arc::new(
            regions
                .iter()
                .map(|&[x, y, w, h]| {
                    (
                        image::imageops::crop_imm(&*job.image, x, y, w, h).to_image(),
                        image::imageops::crop_imm(&job.mask, x, y, w, h).to_image(),
                    )
                })
                .collect(),
        );
        // one seed after another, each on every core, so the first image is there after about
        // 1/n of the run, and each is handed on as it is done
        let mut images = Vec::with_capacity(job.seeds.len());
        for i in 0..job.seeds.len() {
            let (parts, seeds, ctx2) = (
                std::sync::Arc::clone(&parts),
                job.seeds.clone(),
                ctx.clone(),
            );
            let (filled, seed) =
                tokio::task::spawn_blocking(move || fill_seed(&parts, &seeds, i, &ctx2))
                    .await
                    .map_err(|e| Error::Engine(format!("local engine crashed: {e}")))??;
            let g = Generated {
                image: paste_filled(&job.image, &job.mask, &filled, &regions),
                seed,
            };
            (ctx.image)(i, &g);
            images.push(g);
        }
        tracing::debug!(
            stage = "engine",
            ms = started.elapsed().as_secs_f64() * 1e3,
            regions = regions.len(),
            area = regions
                .iter()
                .map(|r| u64::from(r[2]) * u64::from(r[3]))
                .sum::<u64>(),
            "local engine filled the holes' regions"
        );
        let images = images.into_iter().collect();
        Ok(EngineOutput {
            images,
            ..EngineOutput::default()
        })
    }
}

/// `image` with the pixels under `mask` (non-zero) taken from `filled`, crops at `regions`
/// (`[x, y, width, height]`, inside the image).
fn paste_filled(
    image: &image::RgbImage,
    mask: &image::GrayImage,
    filled: &[image::RgbImage],
    regions: &[[u32; 4]],
) -> image::RgbImage {
    // a copy of `image` made on every core: at 12 MP most of its cost is the fresh buffer's
    // page faults, which a single thread takes one after another
    let (w, h) = image.dimensions();
    let mut out = image::RgbImage::new(w, h);
    let w = w as usize;
    const ROWS: usize = 64;
    out.par_chunks_mut(w * 3 * ROWS)
        .zip(image.as_raw().par_chunks(w * 3 * ROWS))
        .for_each(|(d, s)| d.copy_from_slice(s));
    let m = mask.as_raw();
    let dst: &mut [u8] = &mut out;
    for (part, &[x0, y0, cw, ch]) in filled.iter().zip(regions) {
        let (x0, y0, cw, ch) = (x0 as usize, y0 as usize, cw as usize, ch as usize);
        let src = part.as_raw();
        for y in 0..ch {
            let row = (y0 + y) * w + x0;
            let mrow = &m[row..row + cw];
            let drow = &mut dst[row * 3..(row + cw) * 3];
            let srow = &src[y * cw * 3..(y + 1) * cw * 3];
            for (x, _) in mrow.iter().enumerate().filter(|(_, v)| **v != 0) {
                drow[x * 3..x * 3 + 3].copy_from_slice(&srow[x * 3..x * 3 + 3]);
            }
        }
    }
    out
}

/// The parts filled with seed `i` of `seeds`, on the current thread (and rayon's pool).
fn fill_seed(
    parts: &[(image::RgbImage, image::GrayImage)],
    seeds: &[u64],
    i: usize,
    ctx: &RunContext,
) -> Result<(Vec<image::RgbImage>, u64)> {
    let images = seeds.len();
    let seed = seeds[i];
    let params = LocalParams {
        seed,
        ..LocalParams::default()
    };
    // Levels have different iteration counts, so each level counts as an equal share.
    const PER_LEVEL: u64 = 1000;
    let report = |p: local::Progress| {
        let per_image = p.levels.max(1) as u64 * PER_LEVEL;
        let within = (p.iteration as u64 * PER_LEVEL) / p.iterations.max(1) as u64;
        let done = (p.level as u64 * PER_LEVEL + within).min(per_image);
        (ctx.progress)(EngineProgress {
            image: i,
            images,
            done: i as u64 * per_image + done,
            total: images as u64 * per_image,
        });
    };
    if ctx.is_cancelled() {
        return Err(crate::edit::engine::cancelled());
    }
    let filled = local::inpaint_parts(parts, &params, &report, &ctx.cancel)
        .map_err(|_| crate::edit::engine::cancelled())?;
    Ok((filled, seed))
}

#[cfg(test)]
mod tests {
    use super::paste_filled;
    use image::{GrayImage, Luma, Rgb, RgbImage};

    /// The copy is made in bands of rows on every core: every pixel outside the mask is the
    /// image's, every one under it the filled part's, in bands of any height (here 150 rows,
    /// so bands of 64, 64 and 22).
    #[test]
    fn pasting_keeps_the_image_and_takes_the_fill_under_the_mask() {
        let (w, h) = (37u32, 150u32);
        let image = RgbImage::from_fn(w, h, |x, y| Rgb([x as u8, y as u8, (x * y % 251) as u8]));
        let regions = [[2u32, 3, 10, 8], [20, 100, 15, 40]];
        // the region a pixel is masked in (every pixel of a region but a diagonal pattern)
        let masked_in = |x: u32, y: u32| {
            regions.iter().position(|&[rx, ry, rw, rh]| {
                x >= rx && y >= ry && x < rx + rw && y < ry + rh && !(x + y).is_multiple_of(3)
            })
        };
        let mask = GrayImage::from_fn(w, h, |x, y| {
            Luma([u8::from(masked_in(x, y).is_some()) * 255])
        });
        let filled: Vec<RgbImage> = regions
            .iter()
            .map(|&[_, _, rw, rh]| RgbImage::from_fn(rw, rh, |x, y| Rgb([200, x as u8, y as u8])))
            .collect();
        let out = paste_filled(&image, &mask, &filled, &regions);
        for (x, y, px) in out.enumerate_pixels() {
            let want = masked_in(x, y).map_or(*image.get_pixel(x, y), |r| {
                let [rx, ry, _, _] = regions[r];
                *filled[r].get_pixel(x - rx, y - ry)
            });
            assert_eq!(*px, want, "pixel ({x}, {y})");
        }
    }
}
