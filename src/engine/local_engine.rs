//! The `Engine` implementation over the embedded classical engine in `local/`.

use async_trait::async_trait;

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
        // The engine reads and changes only the hole's region (its bounding box plus the
        // source margin): copy that crop to the worker, not the whole canvas.
        let size = job.image.dimensions();
        let region = local::input_region(&job.mask, size, &LocalParams::default());
        let Some([x, y, w, h]) = region else {
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
        };
        let started = std::time::Instant::now();
        let image =
            std::sync::Arc::new(image::imageops::crop_imm(&*job.image, x, y, w, h).to_image());
        let mask = std::sync::Arc::new(image::imageops::crop_imm(&job.mask, x, y, w, h).to_image());
        // one seed after another, each on every core, so the first image is there after about
        // 1/n of the run, and each is handed on as it is done
        let mut images = Vec::with_capacity(job.seeds.len());
        for i in 0..job.seeds.len() {
            let (image, mask, seeds, ctx2) = (
                std::sync::Arc::clone(&image),
                std::sync::Arc::clone(&mask),
                job.seeds.clone(),
                ctx.clone(),
            );
            let filled =
                tokio::task::spawn_blocking(move || fill_seed(&image, &mask, &seeds, i, &ctx2))
                    .await
                    .map_err(|e| Error::Engine(format!("local engine crashed: {e}")))??;
            let g = Generated {
                image: paste_filled(&job.image, &job.mask, &filled.image, x, y),
                seed: filled.seed,
            };
            (ctx.image)(i, &g);
            images.push(g);
        }
        tracing::debug!(
            stage = "engine",
            ms = started.elapsed().as_secs_f64() * 1e3,
            region = format!("{w}x{h}+{x}+{y}"),
            "local engine filled the hole's region"
        );
        let images = images.into_iter().collect();
        Ok(EngineOutput {
            images,
            ..EngineOutput::default()
        })
    }
}

/// `image` with the pixels under `mask` (non-zero) taken from `filled`, a crop whose top-left
/// corner sits at (`x0`, `y0`).
fn paste_filled(
    image: &image::RgbImage,
    mask: &image::GrayImage,
    filled: &image::RgbImage,
    x0: u32,
    y0: u32,
) -> image::RgbImage {
    let mut out = image.clone();
    let w = image.width() as usize;
    let (cw, ch) = (filled.width() as usize, filled.height() as usize);
    let (x0, y0) = (x0 as usize, y0 as usize);
    let (m, src) = (mask.as_raw(), filled.as_raw());
    let dst: &mut [u8] = &mut out;
    for y in 0..ch {
        let row = (y0 + y) * w + x0;
        let mrow = &m[row..row + cw];
        let drow = &mut dst[row * 3..(row + cw) * 3];
        let srow = &src[y * cw * 3..(y + 1) * cw * 3];
        for (x, _) in mrow.iter().enumerate().filter(|(_, v)| **v != 0) {
            drow[x * 3..x * 3 + 3].copy_from_slice(&srow[x * 3..x * 3 + 3]);
        }
    }
    out
}

/// The filled image of seed `i` of `seeds`, on the current thread (and rayon's pool).
fn fill_seed(
    image: &image::RgbImage,
    mask: &image::GrayImage,
    seeds: &[u64],
    i: usize,
    ctx: &RunContext,
) -> Result<Generated> {
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
    let image = local::inpaint(image, mask, &params, &report, &ctx.cancel)
        .map_err(|_| crate::edit::engine::cancelled())?;
    Ok(Generated { image, seed })
}
