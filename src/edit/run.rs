//! One run of an edit, the same for every front end: prepare the job for the engine, run it
//! (timed, and stopped by the run's cancel token), [`finish`](super::finish) the outcome into
//! images, and write the request-log record. The command line, the TUI and the server each call
//! [`run`]; what they do with the [`Outcome`] (print, show, answer) is theirs.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::engine::{Engine, RunContext};
use super::finish::{self, Early, Finished, FinishedImage, Sink};
use super::job::EditJob;
use super::prepare;
use crate::error::{Error, Result};
use crate::record::{EditRecord, RecordSink};

/// How a run ends its work.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The record as the front end starts it ([`finish::record_for`], plus its own fields).
    pub record: EditRecord,
    /// Where the images go.
    pub sink: Sink,
    /// JPEG quality for JPEG files (None: the default).
    pub jpeg_quality: Option<u8>,
    /// With a best-effort sink: each image as soon as it is finished (composited and written),
    /// before the run ends, in the order they arrive; the outcome's images include them.
    pub each: Option<Each>,
}

/// What a front end does with an image finished before the run's end (shows it).
#[derive(Clone)]
pub struct Each(pub Arc<dyn Fn(&FinishedImage) + Send + Sync>);

impl std::fmt::Debug for Each {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Each(..)")
    }
}

/// What a run came to.
#[derive(Debug)]
pub struct Outcome {
    /// The images (or why there are none); recorded either way.
    pub finished: Result<Finished>,
    /// The record as it was written (or as it would have been).
    pub record: EditRecord,
    /// Why the record could not be written, when it could not: the front end says so.
    pub log_error: Option<Error>,
}

/// Runs `job` on `engine`: prepare, engine run (timed, cancelled through `ctx`), finish into
/// `delivery.sink`, and the record written to `log`, whatever the outcome (a failure, a cancel).
pub async fn run(
    job: Arc<EditJob>,
    engine: &dyn Engine,
    ctx: &RunContext,
    log: &RecordSink,
    delivery: Delivery,
) -> Outcome {
    let Delivery {
        mut record,
        sink,
        jpeg_quality,
        each,
    } = delivery;
    let early = streaming(&job, &sink, jpeg_quality, each, ctx);
    let ctx = match &early {
        Some((_, streamed)) => streamed.clone(),
        None => ctx.clone(),
    };
    let prepared = blocking({
        let job = Arc::clone(&job);
        move || prepare::prepare(&job)
    })
    .await;
    let started = Instant::now();
    let generated = match prepared {
        // the engine's copy of the canvas and mask is dropped before the output is made
        Ok(prepared) => ctx
            .unless_cancelled(engine.run(&prepared, &ctx))
            .await
            .and_then(|r| r),
        Err(e) => Err(e),
    };
    record.generation_time_ms = started.elapsed().as_millis() as u64;
    drop(ctx);
    let early = early.map(|(e, _)| std::mem::take(&mut *lock(&e)));
    let kept = record.clone();
    let (finished, record) = blocking(move || {
        let f = match early {
            Some(early) if !early.images.is_empty() => {
                finish::finish_after_early(&job, generated, &sink, early, &mut record)
            }
            _ => finish::finish_with(&job, generated, &sink, jpeg_quality, &mut record),
        };
        (f, record)
    })
    .await
    .unwrap_or_else(|e| {
        let mut record = kept;
        record.fail(&e.to_string());
        (Err(e), record)
    });
    // the history answers "which photo was this?" from any folder
    let mut record = record;
    for p in &mut record.outputs {
        if let Ok(abs) = std::path::absolute(&*p) {
            *p = abs;
        }
    }
    let log_error = log.write(&record).await.err();
    Outcome {
        finished,
        record,
        log_error,
    }
}

/// With a best-effort sink and a front end that shows images as they come: where they gather,
/// and the run context that finishes each as the engine hands it on.
fn streaming(
    job: &Arc<EditJob>,
    sink: &Sink,
    jpeg_quality: Option<u8>,
    each: Option<Each>,
    ctx: &RunContext,
) -> Option<(Arc<Mutex<Early>>, RunContext)> {
    let (Sink::BestEffort { paths }, Some(each)) = (sink, each) else {
        return None;
    };
    if job.mode.replaces_image() {
        return None;
    }
    let early = Arc::new(Mutex::new(Early::new()));
    let (gather, job, paths) = (Arc::clone(&early), Arc::clone(job), paths.clone());
    let encode = crate::image_io::EncodeOptions {
        jpeg_quality,
        metadata: job.metadata.clone(),
    };
    let ctx = RunContext {
        image: Arc::new(move |_, g| {
            let mut e = lock(&gather);
            let finished = e.add(&job, g, &paths, &encode);
            (each.0)(finished);
        }),
        ..ctx.clone()
    };
    Some((early, ctx))
}

fn lock(m: &Mutex<Early>) -> std::sync::MutexGuard<'_, Early> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Image work off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Engine(format!("the edit's worker stopped: {e}")))
}
