//! Running effects: file I/O and engine jobs on tokio tasks and blocking threads, terminal image
//! encoding on its own thread. Each reports back as an action on the channel.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;

use ratatui_image::picker::Picker;
use tokio::sync::mpsc::UnboundedSender;

use super::action::{Action, Effect, LoadedImage, ResultReady, RunRequest, Written};
use super::render::{self, CanvasRequest, ThumbRequest};
use super::words;
use crate::edit::engine::{EngineProgress, RunContext};
use crate::edit::finish;
use crate::edit::job::{CanvasSpec, Extend, JobOptions, Length, Selection};
use crate::edit::run::{self, Delivery};
use crate::engine::{self, EngineSettings};
use crate::error::Error;
use crate::image_io::{self, DecodeLimits};
use crate::mask;
use crate::record::{LocalLog, RecordSink, default_log_path};

/// A request for the encoder thread.
pub enum EncodeJob {
    Canvas(Box<CanvasRequest>),
    Thumb(Box<ThumbRequest>),
}

/// Starts the encoder thread. It drains its queue before each canvas and keeps only the newest.
pub fn spawn_encoder(picker: Picker, tx: UnboundedSender<Action>) -> mpsc::Sender<EncodeJob> {
    let (etx, erx) = mpsc::channel::<EncodeJob>();
    std::thread::spawn(move || {
        while let Ok(first) = erx.recv() {
            let mut jobs = vec![first];
            jobs.extend(erx.try_iter());
            let newest_canvas = jobs.iter().rposition(|j| matches!(j, EncodeJob::Canvas(_)));
            for (i, job) in jobs.into_iter().enumerate() {
                let done = match job {
                    EncodeJob::Canvas(r) if Some(i) == newest_canvas => {
                        render::encode_canvas(&r, &picker)
                    }
                    EncodeJob::Canvas(_) => continue,
                    EncodeJob::Thumb(r) => render::encode_thumb(&r, &picker),
                };
                if tx.send(Action::Encoded(Box::new(done))).is_err() {
                    return;
                }
            }
        }
    });
    etx
}

/// Runs effects other than `ClearScreen` (the event loop owns the terminal).
pub struct Runner {
    pub tx: UnboundedSender<Action>,
    pub rt: tokio::runtime::Handle,
    pub encoder: mpsc::Sender<EncodeJob>,
    pub data_dir: PathBuf,
    pub limits: DecodeLimits,
    pub settings: EngineSettings,
    pub engines: Engines,
}

impl Runner {
    /// Starts one effect; its outcome arrives later as an action.
    pub fn start(&self, effect: Effect) {
        let tx = self.tx.clone();
        let limits = self.limits;
        match effect {
            Effect::ClearScreen => {}
            Effect::EncodeCanvas(r) => {
                let _ = self.encoder.send(EncodeJob::Canvas(r));
            }
            Effect::EncodeThumb(r) => {
                let _ = self.encoder.send(EncodeJob::Thumb(r));
            }
            Effect::OpenImage(path) => {
                let work_root = self.data_dir.join("work");
                self.rt.spawn_blocking(move || {
                    let loaded = image_io::load_image(&path, &limits).map(|d| LoadedImage {
                        path: path.clone(),
                        image: d.image,
                        work_dir: work_root.join(work_folder_name()),
                        notes: d.notes,
                        metadata: d.metadata,
                    });
                    let _ = tx.send(Action::ImageLoaded(loaded.map_err(|e| words::error(&e))));
                });
            }
            Effect::LoadStyleImage(path) => {
                self.rt.spawn_blocking(move || {
                    let s = crate::edit::options::StyleImage::load(&path, &limits);
                    let _ = tx.send(Action::StyleImageLoaded(s.map_err(|e| words::error(&e))));
                });
            }
            Effect::LoadMask {
                path,
                width,
                height,
            } => {
                self.rt.spawn_blocking(move || {
                    let name = "the image";
                    let m = mask::load_mask_file(&path, name, width, height, false, &limits);
                    let _ = tx.send(Action::MaskLoaded(m.map_err(|e| words::error(&e))));
                });
            }
            Effect::SaveMask { path, mask } => {
                self.rt.spawn_blocking(move || {
                    let r = mask::save_mask(&mask, &path, false).map(|()| path);
                    let _ = tx.send(Action::Written {
                        what: Written::Mask,
                        result: r.map_err(|e| words::error(&e)),
                    });
                });
            }
            Effect::SaveImage {
                path,
                image,
                result,
                metadata,
            } => {
                self.rt.spawn_blocking(move || {
                    // the source file's colour profile and EXIF fields, as `finish` writes them
                    let opts = image_io::EncodeOptions::keeping((*metadata).clone());
                    let r = image_io::format_for_path(&path)
                        .and_then(|f| image_io::encode_with(&image, f, &opts))
                        .and_then(|bytes| image_io::write_atomic(&path, &bytes, false))
                        .map(|()| path);
                    let _ = tx.send(Action::Written {
                        what: Written::Result(result),
                        result: r.map_err(|e| words::error(&e)),
                    });
                });
            }
            Effect::Complete(text) => {
                self.rt.spawn_blocking(move || {
                    let _ = tx.send(Action::Completed(complete_path(&text)));
                });
            }
            Effect::Run(req) => {
                let data_dir = self.data_dir.clone();
                let settings = self.settings.clone();
                let engines = self.engines.clone();
                self.rt.spawn(async move {
                    let id = req.job;
                    let result = run_job(*req, &tx, &data_dir, limits, &settings, &engines).await;
                    let _ = tx.send(Action::JobEnded { job: id, result });
                });
            }
        }
    }
}

/// `20261124T190000-1a2b3c4d`: sortable and unique.
fn work_folder_name() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S"),
        &id[..8]
    )
}

/// File names in the typed path's directory that start with its last part (directories get `/`).
pub fn complete_path(text: &str) -> Vec<String> {
    let (dir, prefix) = match text.rfind('/') {
        Some(i) => (&text[..=i], &text[i + 1..]),
        None => ("", text),
    };
    let read = if dir.is_empty() {
        Path::new(".")
    } else {
        Path::new(dir)
    };
    let Ok(entries) = std::fs::read_dir(read) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let slash = if e.path().is_dir() { "/" } else { "" };
            Some(format!("{dir}{name}{slash}"))
        })
        .collect();
    out.sort();
    out.truncate(200);
    out
}

/// The job's options for a run request: the one construction that the run key's check (in
/// `update`) and the run itself share.
pub fn job_options(
    req: &RunRequest,
    living_models: &[String],
    limits: DecodeLimits,
) -> Result<JobOptions, Error> {
    let model = engine::resolve_model_for(
        req.engine,
        req.model.as_deref(),
        None,
        crate::edit::options::implied_mode(Some(req.mode), req.mask_prompt.is_some(), false),
        req.upscaler,
        living_models,
    )?;
    let canvas =
        (req.extend != [0; 4]).then(|| CanvasSpec::Extend(Extend(req.extend.map(Length::Px))));
    Ok(JobOptions {
        selection: Selection {
            mask: req.mask.clone(),
            feather: req.feather,
            ..Default::default()
        },
        mode: Some(req.mode),
        canvas,
        prompt: req.prompt.clone(),
        negative: req.negative.clone(),
        mask_prompt: req.mask_prompt.clone(),
        search: None,
        num_images: req.num_images,
        seed: req.seed.unwrap_or_else(|| model.random_seed()),
        cfg_scale: req.cfg_scale,
        quality: req.quality,
        model,
        limits,
        tool: crate::edit::options::ToolOptions {
            select: req.select.clone(),
            upscaler: req.upscaler,
            style_image: req.style_image.clone(),
            ..Default::default()
        },
    })
}

/// The engines made so far, kept across runs (an AWS client is slow to make and holds its
/// connections and credentials).
#[derive(Default, Clone)]
pub struct Engines(Arc<std::sync::Mutex<Vec<MadeEngine>>>);

type MadeEngine = (
    crate::edit::engine::EngineKind,
    Arc<dyn crate::edit::engine::Engine>,
);

impl Engines {
    fn get(
        &self,
        kind: crate::edit::engine::EngineKind,
        settings: &EngineSettings,
    ) -> Result<Arc<dyn crate::edit::engine::Engine>, Error> {
        let mut made = self
            .0
            .lock()
            .map_err(|_| Error::Engine("the engine cache was poisoned".into()))?;
        if let Some((_, e)) = made.iter().find(|(k, _)| *k == kind) {
            return Ok(e.clone());
        }
        let e: Arc<dyn crate::edit::engine::Engine> =
            Arc::from(engine::create_with(kind, settings)?);
        made.push((kind, e.clone()));
        Ok(e)
    }

    /// How many engines were made.
    pub fn count(&self) -> usize {
        self.0.lock().map_or(0, |m| m.len())
    }
}

async fn run_job(
    req: RunRequest,
    tx: &UnboundedSender<Action>,
    data_dir: &Path,
    limits: DecodeLimits,
    settings: &EngineSettings,
    engines: &Engines,
) -> Result<usize, String> {
    let options =
        job_options(&req, &settings.living_models, limits).map_err(|e| words::error(&e))?;
    let engine = engines
        .get(req.engine, settings)
        .map_err(|e| words::error(&e))?;
    let source = req.source.clone();
    let name = req.source_name.clone();
    let metadata = req.metadata.clone();
    let job = tokio::task::spawn_blocking(move || {
        let mut job = options.build(source, &name)?;
        job.metadata = (*metadata).clone();
        Ok::<_, Error>(job)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| words::error(&e))?;

    let id = req.job;
    let ctx = run_context(&req, tx);
    let first = req.first_number;
    let paths: Vec<PathBuf> = (first..first + job.num_images)
        .map(|number| req.work_dir.join(format!("result-{number}.png")))
        .collect();
    let sizes = finish::InputSizes::of_files(Some(&req.source_path), None);
    // each image is shown as soon as it is finished, before the others
    let rtx = tx.clone();
    let shown = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counted = Arc::clone(&shown);
    let each = run::Each(Arc::new(move |im: &finish::FinishedImage| {
        let n = counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let _ = rtx.send(Action::ResultReady(Box::new(ready(
            id,
            first + n,
            im.clone(),
        ))));
    }));
    let delivery = Delivery {
        record: finish::record_for(&job, req.engine, sizes),
        sink: finish::Sink::BestEffort { paths },
        jpeg_quality: None,
        each: Some(each),
    };
    let log = RecordSink::Local(LocalLog::new(default_log_path(data_dir)));
    let outcome = run::run(Arc::new(job), engine.as_ref(), &ctx, &log, delivery).await;
    if let Some(e) = &outcome.log_error {
        let _ = tx.send(Action::JobStatus {
            job: id,
            text: format!(
                "warning: the edit was not recorded in the history: {}",
                words::error(e)
            ),
        });
    }
    let finished = outcome.finished.map_err(|e| words::error(&e))?;
    if let Some(w) = &finished.withheld {
        let _ = tx.send(Action::JobStatus {
            job: id,
            text: w.clone(),
        });
    }
    let count = finished.images.len();
    // the ones not shown yet (an engine that hands none on early, a tool whose result replaces
    // the image)
    let early = shown.load(std::sync::atomic::Ordering::Relaxed) as usize;
    for (i, im) in finished.images.into_iter().enumerate().skip(early) {
        let _ = tx.send(Action::ResultReady(Box::new(ready(
            id,
            first + i as u32,
            im,
        ))));
    }
    Ok(count)
}

/// The run's callbacks: its progress and status lines as actions, Esc's cancel token.
fn run_context(req: &RunRequest, tx: &UnboundedSender<Action>) -> RunContext {
    let (ptx, stx, id) = (tx.clone(), tx.clone(), req.job);
    RunContext {
        progress: Arc::new(move |p: EngineProgress| {
            // `done` and `total` already span every image of the request.
            let _ = ptx.send(Action::Progress {
                job: id,
                done: p.done,
                total: p.total,
            });
        }),
        status: Arc::new(move |text: String| {
            let _ = stx.send(Action::JobStatus { job: id, text });
        }),
        cancel: req.cancel.clone(),
        ..RunContext::default()
    }
}

/// A finished image as the result the TUI shows.
fn ready(job: u64, number: u32, im: finish::FinishedImage) -> ResultReady {
    ResultReady {
        job,
        number,
        image: im.image,
        seed: im.seed,
        request_id: im.request_id,
        work_path: im.path,
        warning: im.warning,
    }
}
