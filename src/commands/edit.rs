//! `imgedit edit`: argument glue over the library's job, engine and pipeline.

mod batch;

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::cli::EditArgs;
use crate::cli::words;
use crate::config::{Config, Paths};
use crate::edit::engine::{EngineKind, EngineProgress, RunContext};
use crate::edit::finish::{self, InputSizes, Sink};
use crate::edit::job::{CanvasSpec, JobOptions};
use crate::edit::model::Knob;
use crate::edit::model::ModelSpec;
use crate::edit::options::{OutputFormat, StyleImage, ToolOptions};
use crate::edit::prepare;
use crate::edit::run::{self, Delivery};
use crate::engine::{self};
use crate::error::{Error, Result, exit};
use crate::image_io;
use crate::mask;
use crate::record::{LocalLog, RecordSink, default_log_path};

const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp", "gif"];

/// One line of `--json` output.
#[derive(Debug, Serialize)]
struct OutputReport<'a> {
    input: String,
    path: String,
    engine: &'a str,
    model: &'a str,
    mode: &'a str,
    /// null when the engine cannot say that the seed was used (see `note`).
    seed: Option<u64>,
    width: u32,
    height: u32,
    timings_ms: Timings,
    /// The remote API's id for the call that made this image (the key of its log item).
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    /// API Gateway's `x-amzn-RequestId` for that call.
    #[serde(skip_serializing_if = "Option::is_none")]
    gateway_request_id: Option<String>,
    /// Why `seed` is null, and what follows from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Timings {
    decode: u64,
    engine: u64,
    write: u64,
    total: u64,
}

/// Where results go.
enum Target {
    Stdout,
    Files(Vec<PathBuf>),
}

struct Ctx<'a> {
    args: &'a EditArgs,
    config: &'a Config,
    engine: Box<dyn crate::edit::engine::Engine>,
    model: &'static ModelSpec,
    log: RecordSink,
    rt: &'a tokio::runtime::Runtime,
    bar: ProgressBar,
    /// `--style-image`, read once for every item.
    style_image: Option<StyleImage>,
}

/// What a batch decided for one item before it runs.
struct ItemPlan {
    /// Where its outputs go (planned in input order, so names match a run of one at a time).
    outputs: Vec<PathBuf>,
    /// Its first seed.
    seed: u64,
    /// Whether `outputs` may be replaced: names a killed run of the same batch reserved.
    replace: bool,
    /// Where the engine reports throttling.
    pushback: Arc<dyn Fn(crate::edit::engine::Pushback) + Send + Sync>,
    /// Cancelled when the item must give up (Ctrl-C).
    cancel: tokio_util::sync::CancellationToken,
}

/// Runs `imgedit edit`; returns the exit code.
pub fn run(args: &EditArgs, rt: &tokio::runtime::Runtime) -> Result<u8> {
    let paths = Paths::from_env()?;
    let config = Config::load(&paths.config_file)?;
    let kind = args.engine.or(config.engine).unwrap_or(EngineKind::Local);
    let model = engine::resolve_model_for(
        kind,
        args.model.as_deref().or(config.model.as_deref()),
        args.model_family.as_deref(),
        implied_mode(args),
        args.upscaler,
        &config.living_models,
    )?;
    let items = expand_inputs(&args.images)?;
    let batch = items.len() > 1 || args.images.iter().any(|p| p.is_dir());
    check_flags(args, batch)?;
    tracing::debug!(engine = ?kind, model = model.id, items = items.len(), "edit");
    let engine = engine::create_with(
        kind,
        &engine::EngineSettings {
            region: args.region.clone().or_else(|| config.region.clone()),
            profile: args.profile.clone().or_else(|| config.profile.clone()),
            api: config.api_settings(&paths, args.api_url.clone(), args.token.clone()),
            living_models: config.living_models.clone(),
        },
    )?;

    if kind == EngineKind::Local
        && !args.quiet
        && (args.prompt.is_some() || args.negative.is_some())
    {
        eprintln!(
            "note: the local engine ignores --prompt and --negative (it fills from the image itself)"
        );
    }

    let style_image = args
        .style_image
        .as_deref()
        .map(|p| StyleImage::load(p, &config.limits))
        .transpose()?;
    let ctx = Ctx {
        args,
        config: &config,
        engine,
        model,
        style_image,
        log: RecordSink::Local(LocalLog::new(default_log_path(&paths.data_dir))),
        rt,
        bar: if batch {
            batch::progress(args, items.len())
        } else {
            progress_bar(args, items.len())
        },
    };
    if batch {
        return batch::run(&ctx, kind, &items);
    }
    let mut code = exit::OK;
    for item in &items {
        ctx.bar.set_message(item.display().to_string());
        if let Err(e) = edit_one(&ctx, item, None) {
            code = e.exit_code();
            if args.json {
                println!("{}", failure_json(item, &e));
            }
            ctx.bar.suspend(|| eprintln!("error: {}", words::error(&e)));
        }
    }
    ctx.bar.finish_and_clear();
    Ok(code)
}

const STEPS: u64 = 1000;

/// `--mode`, or the mode the other flags imply (`--extend`/`--canvas`: outpaint), so the default
/// model is one that does it.
fn implied_mode(args: &EditArgs) -> Option<crate::edit::options::Mode> {
    crate::edit::options::implied_mode(
        args.mode,
        args.mask_prompt.is_some(),
        args.extend.is_some() || args.canvas.is_some(),
    )
}

fn progress_bar(args: &EditArgs, items: usize) -> ProgressBar {
    let hidden = args.quiet || !std::io::stderr().is_terminal();
    let bar = ProgressBar::with_draw_target(
        Some(items as u64 * STEPS),
        if hidden {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {percent:>3}% {msg}")
    {
        bar.set_style(style);
    }
    bar
}

fn check_flags(args: &EditArgs, batch: bool) -> Result<()> {
    let stdout = args.output.as_deref() == Some(Path::new("-"));
    if batch && args.output.is_some() {
        return Err(Error::Usage(
            "-o names one file; for several images use --output-dir DIR".into(),
        ));
    }
    if !batch && args.resume {
        return Err(Error::Usage(
            "--resume finishes a batch (several images or a directory), not one image".into(),
        ));
    }
    if batch && args.save_mask.is_some() {
        return Err(Error::Usage(
            "--save-mask takes one image, not a batch".into(),
        ));
    }
    if stdout && args.num_images > 1 {
        return Err(Error::Usage(
            "-o - writes one PNG to stdout; use -n 1".into(),
        ));
    }
    if stdout && args.json {
        return Err(Error::Usage(
            "-o - writes the image to stdout, so --json cannot use it too".into(),
        ));
    }
    if let Some(dir) = &args.mask_dir
        && !dir.is_dir()
    {
        return Err(crate::error::input_err!(
            "--mask-dir {}: not a directory",
            dir.display()
        ));
    }
    if let Some(dir) = &args.output_dir {
        if dir.exists() && !dir.is_dir() {
            return Err(crate::error::input_err!(
                "--output-dir {}: not a directory",
                dir.display()
            ));
        }
        // made with its parents, as output folders are (not for a dry run, which writes nothing)
        if !dir.exists() && !args.dry_run {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
    }
    Ok(())
}

/// Expands directories into their image files (sorted, not recursive).
fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| Error::io(p, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && has_image_extension(f))
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(crate::error::input_err!(
                    "{}: the directory holds no PNG, JPEG, WebP or GIF file",
                    p.display()
                ));
            }
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn has_image_extension(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The mask file for `image` in `--mask-dir`, matched by file stem (IOPaint's convention).
fn mask_in_dir(dir: &Path, image: &Path) -> Result<PathBuf> {
    let stem = image.file_stem().unwrap_or_default().to_string_lossy();
    for ext in IMAGE_EXTENSIONS {
        let candidate = dir.join(format!("{stem}.{ext}"));
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Err(crate::error::input_err!(
        "{}: no mask named {stem}.png (or .jpg, .webp) in {}",
        image.display(),
        dir.display()
    ))
}

/// Where the `n` results of `input` go; `reserved` holds names planned for other items of a
/// batch, taken like existing files.
fn output_targets(
    args: &EditArgs,
    input: &Path,
    n: u32,
    reserved: &HashSet<PathBuf>,
) -> Result<Target> {
    let numbered = |base: &Path| -> Vec<PathBuf> {
        if n == 1 {
            return vec![base.to_path_buf()];
        }
        let stem = base.file_stem().unwrap_or_default().to_string_lossy();
        let ext = base
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        (1..=n)
            .map(|i| base.with_file_name(format!("{stem}-{i}{ext}")))
            .collect()
    };
    let files = match &args.output {
        Some(p) if p.as_os_str() == "-" => return Ok(Target::Stdout),
        Some(p) => {
            image_io::format_for_path(p)?;
            numbered(p)
        }
        None => {
            let stem = input.file_stem().unwrap_or_default().to_string_lossy();
            let name = |i: u32| {
                let file = format!("{stem}-edit-{i}.png");
                match &args.output_dir {
                    Some(dir) => dir.join(file),
                    None => input.with_file_name(file),
                }
            };
            // The first run of free numbers, so repeated runs never collide.
            let mut start = 1;
            let taken = |p: PathBuf| reserved.contains(&p) || (!args.force && p.exists());
            while (start..start + n).any(|i| taken(name(i))) {
                start += 1;
            }
            return Ok(Target::Files((start..start + n).map(name).collect()));
        }
    };
    if !args.force
        && let Some(existing) = files.iter().find(|f| f.exists())
    {
        return Err(Error::OutputExists(existing.clone()));
    }
    Ok(Target::Files(files))
}

fn ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

/// Edits one input; returns each output written with its confirmed seed.
fn edit_one(
    ctx: &Ctx<'_>,
    input: &Path,
    plan: Option<&ItemPlan>,
) -> Result<Vec<(String, Option<u64>)>> {
    let args = ctx.args;
    let t0 = Instant::now();
    let name = input.display().to_string();
    let decoded = image_io::load_image(input, &ctx.config.limits)?;
    if !args.quiet {
        for note in &decoded.notes {
            ctx.bar.suspend(|| eprintln!("note: {note}"));
        }
    }
    let decode_ms = ms(t0);

    let (options, sizes) = job_options(ctx, input, plan)?;
    let mut job = options.build(decoded.image, &name)?;
    // the outputs keep the input's colour profile, EXIF orientation and fields
    job.metadata = decoded.metadata;
    let target = match plan {
        Some(p) => Target::Files(p.outputs.clone()),
        None => output_targets(args, input, job.num_images, &HashSet::new())?,
    };
    let force = args.force || plan.is_some_and(|p| p.replace);
    check_outputs(args, &job, &target)?;
    let engine_name = ctx.engine.kind().as_str();

    if args.dry_run {
        print_dry_run(ctx, &job, &name, &target)?;
        return Ok(Vec::new());
    }

    if let Some(path) = &args.save_mask {
        mask::save_mask(&job.mask, path, args.force)?;
    }

    let run_ctx = run_context(ctx, plan);
    let delivery = delivery_for(ctx, &job, sizes, &target, force);
    // a call in flight is dropped at once when the batch cancels its items
    let job = Arc::new(job);
    let outcome = ctx.rt.block_on(run::run(
        Arc::clone(&job),
        ctx.engine.as_ref(),
        &run_ctx,
        &ctx.log,
        delivery,
    ));
    if let Some(e) = &outcome.log_error {
        ctx.bar
            .suspend(|| eprintln!("warning: the edit was not recorded in the history: {e}"));
    }
    let finished = outcome.finished?;
    write_stdout(&target, &finished)?;
    let timings = Timings {
        decode: decode_ms,
        engine: outcome.record.generation_time_ms,
        write: finished.write_ms,
        total: ms(t0),
    };
    let written = report_outputs(ctx, &job, &finished, engine_name, timings);
    if let Some(w) = finished.withheld {
        return Err(Error::Engine(w));
    }
    Ok(written)
}

/// The job's options for `input` (from the flags and the batch's plan) and the sizes of its files.
fn job_options(
    ctx: &Ctx<'_>,
    input: &Path,
    plan: Option<&ItemPlan>,
) -> Result<(JobOptions, InputSizes)> {
    let args = ctx.args;
    let mask_file = match &args.mask_dir {
        Some(dir) => Some(mask_in_dir(dir, input)?),
        None => args.selection.mask.clone(),
    };
    let sizes = InputSizes::of_files(Some(input), mask_file.as_deref());
    let canvas = match (args.extend, args.canvas) {
        (Some(e), _) => Some(CanvasSpec::Extend(e)),
        (None, Some(c)) => Some(CanvasSpec::Size(c, args.anchor)),
        (None, None) => None,
    };
    let seed = plan
        .map(|p| p.seed)
        .or(args.seed)
        .unwrap_or_else(|| ctx.model.random_seed());
    let options = JobOptions {
        selection: args.selection.to_selection(mask_file),
        mode: args.mode,
        canvas,
        prompt: args.prompt.clone(),
        negative: args.negative.clone(),
        mask_prompt: args.mask_prompt.clone(),
        search: args.search.clone(),
        num_images: args.num_images,
        seed,
        cfg_scale: args.cfg_scale,
        quality: args.quality,
        model: ctx.model,
        limits: ctx.config.limits,
        tool: tool_options(args, ctx.style_image.as_ref()),
    };
    Ok((options, sizes))
}

/// The tool options the flags ask for; the output format is the one `-o` names unless given.
fn tool_options(args: &EditArgs, style_image: Option<&StyleImage>) -> ToolOptions {
    ToolOptions {
        output_format: args.output_format.or_else(|| {
            args.output
                .as_deref()
                .filter(|p| p.as_os_str() != "-")
                .and_then(|p| image_io::format_for_path(p).ok())
                .and_then(OutputFormat::of)
        }),
        grow_mask: args.grow_mask,
        style_preset: args.style_preset.clone(),
        creativity: args.creativity,
        select: args.select.clone(),
        upscaler: args.upscaler,
        knobs: [
            (Knob::ControlStrength, args.control_strength),
            (Knob::Fidelity, args.fidelity),
            (Knob::CompositionFidelity, args.composition_fidelity),
            (Knob::StyleStrength, args.style_strength),
            (Knob::ChangeStrength, args.change_strength),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect(),
        aspect_ratio: args.aspect_ratio.clone(),
        style_image: style_image.cloned(),
    }
}

/// Refuses an output that cannot hold the result, and an existing `--save-mask` file.
fn check_outputs(args: &EditArgs, job: &crate::edit::job::EditJob, target: &Target) -> Result<()> {
    if let Target::Files(files) = target {
        for f in files {
            job.check_output(f, image_io::format_for_path(f)?)?;
        }
    }
    if let Some(path) = &args.save_mask
        && !args.force
        && path.exists()
    {
        return Err(Error::OutputExists(path.clone()));
    }
    Ok(())
}

/// Prints the `--dry-run` plan: what would run, on what, and where it would write.
fn print_dry_run(
    ctx: &Ctx<'_>,
    job: &crate::edit::job::EditJob,
    name: &str,
    target: &Target,
) -> Result<()> {
    let args = ctx.args;
    let plan = serde_json::json!({
        "dry_run": true,
        "input": name,
        "engine": ctx.engine.kind().as_str(),
        "model": job.model.id,
        "mode": job.mode,
        "source_size": [job.source.width(), job.source.height()],
        "canvas": job.placement,
        "mask_pixels": job.mask.selected_count(),
        "mask_bbox": job.mask.bounding_box(),
        "seeds": job.seeds(),
        // without --seed, the run draws its own: these are only an example
        "seeds_random": args.seed.is_none(),
        "prompt": job.prompt,
        "negative": job.negative,
        "outputs": match target {
            Target::Stdout => vec!["-".to_string()],
            Target::Files(f) => f.iter().map(|p| p.display().to_string()).collect(),
        },
        "save_mask": args.save_mask,
        "engine_plan": ctx.engine.plan(&prepare::prepare(job))?,
    });
    if args.json {
        println!("{plan}");
    } else {
        print!("{}", short_plan(ctx, job, name, target));
        // the whole plan (the request itself) with -v
        if tracing::enabled!(tracing::Level::DEBUG) {
            println!("{}", pretty(&plan));
        }
    }
    Ok(())
}

/// What a run would do, in a few lines: mode, engine and model; the images and seeds; the
/// selection; where the results go; the price.
fn short_plan(
    ctx: &Ctx<'_>,
    job: &crate::edit::job::EditJob,
    name: &str,
    target: &Target,
) -> String {
    use crate::choice::Choice;
    let n = job.num_images;
    let seeds = match ctx.args.seed {
        Some(_) => {
            let s: Vec<String> = job.seeds().iter().map(u64::to_string).collect();
            format!("seed{} {}", if n == 1 { "" } else { "s" }, s.join(", "))
        }
        None => "seeds drawn at run time (--seed N fixes them)".to_string(),
    };
    let (w, h) = (job.source.width(), job.source.height());
    let selection = match job.mask.bounding_box() {
        Some((x, y, bw, bh)) => format!(
            "{} pixels in {bw}x{bh} at {x},{y} (of {w}x{h})",
            job.mask.selected_count()
        ),
        None => format!("none (of {w}x{h})"),
    };
    let outputs = match target {
        Target::Stdout => "standard output".to_string(),
        Target::Files(f) => f
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    };
    let price = match job.model.price_per_image_usd {
        0.0 => "free (offline)".to_string(),
        each => format!("about ${:.2} (${each:.2} an image)", job.model.price_usd(n)),
    };
    let prompt = match job.prompt.as_deref() {
        Some(p) if p.chars().count() > 100 => {
            format!("\n  prompt: {:?}…", p.chars().take(100).collect::<String>())
        }
        Some(p) => format!("\n  prompt: {p:?}"),
        None => String::new(),
    };
    format!(
        "{name}: would {} with {} (model {}), {n} image{}, {seeds}{prompt}\n  selection: {selection}\n  writes: {outputs}\n  price: {price}\n  (the whole plan, with the request: --json, or -v)\n",
        job.mode.name(),
        ctx.engine.kind().as_str(),
        job.model.id,
        if n == 1 { "" } else { "s" },
    )
}

/// The run's callbacks: the progress bar, status lines, and a batch item's pushback and cancel.
fn run_context(ctx: &Ctx<'_>, plan: Option<&ItemPlan>) -> RunContext {
    let bar = ctx.bar.clone();
    let status_bar = ctx.bar.clone();
    let quiet = ctx.args.quiet;
    let in_batch = plan.is_some();
    let mut run_ctx = RunContext {
        progress: Arc::new(move |p: EngineProgress| {
            // a batch's bar counts items
            if !in_batch && let Some(step) = (p.done * STEPS).checked_div(p.total) {
                bar.set_position(step);
            }
        }),
        status: Arc::new(move |line: String| {
            if !quiet {
                status_bar.suspend(|| eprintln!("{line}"));
            }
        }),
        ..RunContext::default()
    };
    if let Some(p) = plan {
        run_ctx.pushback = Arc::clone(&p.pushback);
        run_ctx.cancel = p.cancel.clone();
    }
    run_ctx
}

/// Where the results of `job` go (standard output or files), with its request-log record.
fn delivery_for(
    ctx: &Ctx<'_>,
    job: &crate::edit::job::EditJob,
    sizes: InputSizes,
    target: &Target,
    force: bool,
) -> Delivery {
    Delivery {
        record: finish::record_for(job, ctx.engine.kind(), sizes),
        sink: match target {
            Target::Stdout => Sink::Memory,
            Target::Files(paths) => Sink::Files {
                paths: paths.clone(),
                force,
            },
        },
        jpeg_quality: ctx.args.jpeg_quality,
        each: None,
    }
}

/// Writes the first image's bytes to standard output when `-o -` asked for it.
fn write_stdout(target: &Target, finished: &finish::Finished) -> Result<()> {
    if let (Target::Stdout, Some(first)) = (target, finished.images.first()) {
        let bytes = first.bytes.as_deref().unwrap_or_default();
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| Error::io("<stdout>", e))?;
    }
    Ok(())
}

/// Reports each image written and the seed note; returns each path with its seed.
fn report_outputs(
    ctx: &Ctx<'_>,
    job: &crate::edit::job::EditJob,
    finished: &finish::Finished,
    engine_name: &str,
    timings: Timings,
) -> Vec<(String, Option<u64>)> {
    let args = ctx.args;
    let mut written = Vec::with_capacity(finished.images.len());
    for im in &finished.images {
        let path = im
            .path
            .as_ref()
            .map_or_else(|| "-".to_string(), |p| p.display().to_string());
        let r = OutputReport {
            input: job.source_name.clone(),
            path,
            engine: engine_name,
            model: job.model.id,
            mode: job.mode.wire_name(),
            seed: im.seed,
            width: im.image.width(),
            height: im.image.height(),
            timings_ms: timings,
            request_id: im.request_id.clone(),
            gateway_request_id: im.gateway_request_id.clone(),
            note: finished.seed_note.clone(),
        };
        written.push((r.path.clone(), r.seed));
        if args.json {
            println!("{}", serde_json::to_string(&r).unwrap_or_default());
        } else if !args.quiet && r.path != "-" {
            print_wrote(ctx, &r);
        }
    }
    if let Some(note) = &finished.seed_note
        && !args.quiet
        && !args.json
    {
        ctx.bar.suspend(|| eprintln!("note: {note}"));
    }
    written
}

/// Prints "wrote PATH (WxH, seed, request id, time)" on stderr for one image.
fn print_wrote(ctx: &Ctx<'_>, r: &OutputReport<'_>) {
    let seed = match r.seed {
        Some(s) => format!("seed {s}"),
        None => "seed not confirmed by the API".into(),
    };
    let request = r
        .request_id
        .as_ref()
        .map(|id| format!(", request id {id}"))
        .unwrap_or_default();
    ctx.bar.suspend(|| {
        eprintln!(
            "wrote {} ({}x{}, {seed}{request}, {} ms)",
            r.path, r.width, r.height, r.timings_ms.total
        )
    });
}

/// The `--json` line of an item that failed: its input, the message and exit code, and for a
/// broken rule the violation as data (field, rule, limit, value).
fn failure_json(input: &Path, e: &Error) -> String {
    let mut v = serde_json::json!({
        "input": input.display().to_string(),
        "error": words::error(e),
        "exit_code": e.exit_code(),
    });
    if let (Error::Invalid(violation), Some(o)) = (e, v.as_object_mut()) {
        o.insert("violation".into(), serde_json::json!(violation));
    }
    v.to_string()
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}
