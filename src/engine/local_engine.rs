//! The `Engine` implementation over the embedded classical engine in `local/`.

use async_trait::async_trait;

use super::local::{self, LocalParams};
use super::{Engine, EngineKind, EngineOutput, EngineProgress, Generated, PreparedJob, RunContext};
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
        let job = job.clone();
        let ctx = ctx.clone();
        tokio::task::spawn_blocking(move || run_blocking(&job, &ctx))
            .await
            .map_err(|e| Error::Engine(format!("local engine crashed: {e}")))?
    }
}

/// Runs the embedded engine on the current thread, one seed after another.
pub fn run_blocking(job: &PreparedJob, ctx: &RunContext) -> Result<EngineOutput> {
    let images = job.seeds.len();
    let mut out = Vec::with_capacity(images);
    for (i, &seed) in job.seeds.iter().enumerate() {
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
            return Err(super::cancelled());
        }
        let image = local::inpaint(&job.image, &job.mask, &params, &report, &ctx.cancel)
            .map_err(|_| super::cancelled())?;
        out.push(Generated { image, seed });
    }
    Ok(EngineOutput {
        images: out,
        ..EngineOutput::default()
    })
}
