//! `imgedit edit` on a batch: glue between the arguments, the library's batch scheduler and
//! journal (`crate::batch`), and `edit_one`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use super::{Ctx, ItemPlan, Target, edit_one, output_targets};
use crate::batch::journal::{self, Entry, Journal, Request, Resume};
use crate::batch::summary::{Estimate, FailedItem, Summary};
use crate::batch::{Batch, Settings, Stop};
use crate::cli::EditArgs;
use crate::cli::words;
use crate::edit::engine::EngineKind;
use crate::edit::model;
use crate::error::{Error, Result};

/// How long the items in flight get to finish after Ctrl-C before they are cancelled.
const GRACE: Duration = Duration::from_millis(1500);

/// `--jobs`, or the engine's default.
fn jobs(args: &EditArgs, kind: EngineKind) -> usize {
    args.jobs.unwrap_or(match kind {
        EngineKind::Local => model::BATCH_JOBS_LOCAL,
        EngineKind::Bedrock | EngineKind::Api => model::BATCH_JOBS_CLOUD,
    }) as usize
}

/// What the journal records as asked: the inputs and every flag that shapes a result.
fn request(args: &EditArgs, kind: EngineKind, model_id: &str, items: &[PathBuf]) -> Request {
    let text = |v: &Option<String>| v.as_ref().map_or(Value::Null, |s| Value::from(s.as_str()));
    let debug = |v: &dyn std::fmt::Debug| Value::from(format!("{v:?}"));
    let path = |p: &Option<PathBuf>| {
        p.as_ref()
            .map_or(Value::Null, |p| Value::from(p.display().to_string()))
    };
    let mut params: BTreeMap<String, Value> = [
        ("--engine", Value::from(kind.as_str())),
        ("--model", Value::from(model_id)),
        ("--mask", path(&args.selection.mask)),
        ("--mask-dir", path(&args.mask_dir)),
        ("--rect", debug(&args.selection.rect)),
        ("--polygon", debug(&args.selection.polygon)),
        ("--ellipse", debug(&args.selection.ellipse)),
        ("--invert-mask", Value::from(args.selection.invert_mask)),
        ("--grow", Value::from(args.selection.grow)),
        ("--shrink", Value::from(args.selection.shrink)),
        ("--feather", json!(args.selection.feather)),
        ("--fit-mask", Value::from(args.selection.fit_mask)),
        ("--object", debug(&args.selection.object)),
        ("--wand", debug(&args.selection.wand)),
        ("--mode", json!(args.mode)),
        (
            "--extend",
            args.extend.as_ref().map_or(Value::Null, |v| debug(v)),
        ),
        (
            "--canvas",
            args.canvas.as_ref().map_or(Value::Null, |v| debug(v)),
        ),
        ("--anchor", json!(args.anchor)),
        ("--prompt", text(&args.prompt)),
        ("--negative", text(&args.negative)),
        ("--num-images", Value::from(args.num_images)),
        ("--seed", json!(args.seed)),
        ("--cfg-scale", json!(args.cfg_scale)),
        ("--quality", json!(args.quality)),
        ("--mask-prompt", text(&args.mask_prompt)),
        ("--search", text(&args.search)),
        ("--grow-mask", json!(args.grow_mask)),
        ("--select", text(&args.select)),
        ("--upscaler", json!(args.upscaler)),
        ("--style-preset", text(&args.style_preset)),
        ("--creativity", json!(args.creativity)),
        ("--output-format", json!(args.output_format)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // journals written before --object and --wand existed stay resumable when they are not used
    for (flag, empty) in [
        ("--object", args.selection.object.is_empty()),
        ("--wand", args.selection.wand.is_empty()),
    ] {
        if empty {
            params.remove(flag);
        }
    }
    Request {
        inputs: items.iter().map(|p| key(p)).collect(),
        params,
    }
}

/// An input's name in the journal.
fn key(p: &Path) -> String {
    p.display().to_string()
}

/// The command line again, with `--resume`, for the user to copy.
fn resume_command() -> String {
    let quote = |a: String| {
        if !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
        {
            a
        } else {
            format!("'{}'", a.replace('\'', r"'\''"))
        }
    };
    let mut words: Vec<String> = std::env::args().map(quote).collect();
    if let Some(first) = words.first_mut() {
        *first = "imgedit".into();
    }
    if !words.iter().any(|w| w == "--resume") {
        words.push("--resume".into());
    }
    words.join(" ")
}

/// The journal to write to, and what it already knows (None: a new batch).
fn open_journal(
    args: &EditArgs,
    dir: &Path,
    asked: &Request,
) -> Result<(Journal, Option<journal::State>)> {
    match (Journal::resume(dir)?, args.resume) {
        (None, true) => Err(Error::Usage(format!(
            "--resume: {} holds no batch journal ({}); run the command without --resume to start the batch",
            dir.display(),
            journal::FILE_NAME
        ))),
        (None, false) => Ok((Journal::create(dir, asked)?, None)),
        (Some((j, state)), true) => {
            if state.hash != asked.hash() {
                let diffs = state.request.differences(asked);
                return Err(Error::Usage(format!(
                    "--resume: this command is not the batch in {} ({}): {}; run the batch's own command with --resume, or move the journal away to start a new batch",
                    dir.display(),
                    j.path().display(),
                    if diffs.is_empty() {
                        "the journal's hash differs".to_string()
                    } else {
                        diffs.join("; ")
                    }
                )));
            }
            Ok((j, Some(state)))
        }
        (Some((j, state)), false) => {
            if state.finished() || args.force {
                drop(j);
                Ok((Journal::create(dir, asked)?, None))
            } else {
                Err(Error::Usage(format!(
                    "{} holds an unfinished batch ({} of {} done; journal {}): add --resume to finish it, or --force to start over",
                    dir.display(),
                    state.done_count(),
                    state.request.inputs.len(),
                    j.path().display()
                )))
            }
        }
    }
}

/// One item to send: where its outputs go, its seed, and whether the names may be replaced.
struct Todo {
    input: PathBuf,
    outputs: Vec<PathBuf>,
    seed: u64,
    replace: bool,
}

/// The batch's progress bar: items done of all, the rate, the ETA, and what is in flight.
pub(super) fn progress(args: &EditArgs, total: usize) -> ProgressBar {
    use std::io::IsTerminal;
    let hidden = args.quiet || !std::io::stderr().is_terminal();
    let bar = ProgressBar::with_draw_target(
        Some(total as u64),
        if hidden {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {per_sec} ETA {eta} {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Runs a batch; returns the exit code.
pub(super) fn run(ctx: &Ctx<'_>, kind: EngineKind, items: &[PathBuf]) -> Result<u8> {
    let args = ctx.args;
    let started = Instant::now();
    if args.dry_run {
        return dry_run(ctx, kind, items, started);
    }
    let asked = request(args, kind, ctx.model.id, items);
    let mut _lock = None;
    let (journal, known) = match &args.output_dir {
        Some(dir) => {
            // one batch at a time in a folder: a second is refused at once, naming the first
            _lock = Some(journal::BatchLock::take(dir)?);
            let (j, state) = open_journal(args, dir, &asked)?;
            // a killed run's half-written outputs (hidden temporaries) go, whether or not their
            // item is written again
            crate::image_io::remove_all_stale_temporaries(dir);
            (Some(j), state)
        }
        None if args.resume => {
            return Err(Error::Usage("--resume needs --output-dir".into()));
        }
        None => (None, None),
    };

    let mut summary = Summary {
        total: items.len(),
        ..Summary::default()
    };
    let todo = plan(ctx, items, known.as_ref(), journal.as_ref(), &mut summary)?;

    let stop = Arc::new(Stop::default());
    watch_ctrl_c(ctx, &stop, args.quiet);
    let batch = Batch::new(
        Settings {
            jobs: jobs(args, kind),
            max_rate: args.max_rate,
            calls_per_item: Estimate::new(kind, ctx.model, 1, args.num_images)
                .calls
                .max(1) as u32,
            ..Settings::default()
        },
        Arc::clone(&stop),
    );
    tracing::debug!(jobs = jobs(args, kind), items = todo.len(), "batch");
    let bar = &ctx.bar;
    bar.set_position(summary.skipped as u64);
    let failed = AtomicUsize::new(0);
    let show = |bar: &ProgressBar| {
        let (in_flight, cap) = batch.in_flight();
        bar.set_message(format!(
            "{in_flight} in flight (at most {cap}), {} failed",
            failed.load(Ordering::Relaxed)
        ));
    };
    let results = batch.run(todo.len(), |item| {
        let t = &todo[item.index];
        send_item(ctx, t, item, journal.as_ref(), &stop, &failed, &show)
    });
    tally(&mut summary, &todo, results, &stop);
    bar.finish_and_clear();
    summary.interrupted = stop.requested();
    summary.elapsed = started.elapsed();
    if (summary.interrupted || !summary.failed.is_empty()) && journal.is_some() {
        summary.resume = Some(resume_command());
    }
    finish(args, &summary);
    Ok(summary.exit_code())
}

/// Plans every item in order, as one at a time would: the names and seeds of new items, the
/// journal's for items started before; items already written count as skipped.
fn plan(
    ctx: &Ctx<'_>,
    items: &[PathBuf],
    known: Option<&journal::State>,
    journal: Option<&Journal>,
    summary: &mut Summary,
) -> Result<Vec<Todo>> {
    let args = ctx.args;
    let mut todo = Vec::new();
    let mut reserved: HashSet<PathBuf> = HashSet::new();
    for input in items {
        let resume = known.map_or(Resume::New, |s| s.resume(&key(input)));
        let (outputs, seed, replace) = match resume {
            Resume::Skip { .. } => {
                summary.skipped += 1;
                continue;
            }
            Resume::Written { outputs, seed } => {
                if let Some(j) = journal {
                    j.append(&Entry::Done {
                        input: key(input),
                        seeds: (0..outputs.len() as u64).map(|i| Some(seed + i)).collect(),
                        outputs,
                    })?;
                }
                summary.skipped += 1;
                continue;
            }
            Resume::Redo { outputs, seed } => {
                let outputs: Vec<PathBuf> = outputs.into_iter().map(PathBuf::from).collect();
                reserved.extend(outputs.iter().cloned());
                (outputs, seed, true)
            }
            Resume::New => {
                let targets = match output_targets(args, input, args.num_images, &reserved)? {
                    Target::Files(f) => f,
                    Target::Stdout => Vec::new(),
                };
                reserved.extend(targets.iter().cloned());
                let seed = args.seed.unwrap_or_else(|| ctx.model.random_seed());
                (targets, seed, false)
            }
        };
        todo.push(Todo {
            input: input.clone(),
            outputs,
            seed,
            replace,
        });
    }
    Ok(todo)
}

/// Sends one item: journals its start, edits it, counts a failure, moves the bar and journals
/// how it ended.
fn send_item(
    ctx: &Ctx<'_>,
    t: &Todo,
    item: &crate::batch::Item,
    journal: Option<&Journal>,
    stop: &Stop,
    failed: &AtomicUsize,
    show: &dyn Fn(&ProgressBar),
) -> Result<Vec<(String, Option<u64>)>> {
    let args = ctx.args;
    let bar = &ctx.bar;
    show(bar);
    let plan = ItemPlan {
        outputs: t.outputs.clone(),
        seed: t.seed,
        replace: t.replace,
        pushback: item.pushback(),
        cancel: stop.cancel_token(),
    };
    if let Some(j) = journal {
        j.append(&Entry::Started {
            input: key(&t.input),
            outputs: t.outputs.iter().map(|p| p.display().to_string()).collect(),
            seed: t.seed,
        })?;
    }
    let r = edit_one(ctx, &t.input, Some(&plan));
    // a throttled item goes back to the queue: not a failure (yet)
    if let Err(e) = &r
        && !crate::batch::is_throttle(e)
        && !stop.requested()
    {
        failed.fetch_add(1, Ordering::Relaxed);
        if args.json {
            println!("{}", super::failure_json(&t.input, e));
        }
    }
    bar.inc(u64::from(r.is_ok()));
    show(bar);
    if let Some(j) = journal {
        let entry = match &r {
            Ok(written) => Entry::Done {
                input: key(&t.input),
                outputs: written.iter().map(|w| w.0.clone()).collect(),
                seeds: written.iter().map(|w| w.1).collect(),
            },
            Err(_) if stop.requested() => return r,
            Err(e) => Entry::Failed {
                input: key(&t.input),
                reason: words::error(e),
            },
        };
        if let Err(e) = j.append(&entry) {
            bar.suspend(|| eprintln!("warning: {}", words::error(&e)));
        }
    }
    r
}

/// Counts each item's outcome into the summary: done, unfinished, or failed with its reason.
fn tally<T>(summary: &mut Summary, todo: &[Todo], results: Vec<Option<Result<T>>>, stop: &Stop) {
    for (t, r) in todo.iter().zip(results) {
        match r {
            Some(Ok(_)) => summary.done += 1,
            Some(Err(_)) | None if stop.requested() => summary.unfinished += 1,
            Some(Err(e)) => {
                summary.failed.push(FailedItem {
                    input: key(&t.input),
                    reason: words::error(&e),
                    code: e.exit_code(),
                });
            }
            None => summary.unfinished += 1,
        }
    }
}

/// Prints the summary: the text on stderr, and with `--json` the object on stdout.
fn finish(args: &EditArgs, summary: &Summary) {
    if args.json {
        println!("{}", summary.json());
    }
    if !args.quiet || summary.interrupted {
        eprintln!("{}", summary.text());
    }
}

/// Ctrl-C: stop starting items; after `GRACE` (or a second Ctrl-C) cancel those in flight.
fn watch_ctrl_c(ctx: &Ctx<'_>, stop: &Arc<Stop>, quiet: bool) {
    let stop = Arc::clone(stop);
    let bar = ctx.bar.clone();
    ctx.rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        stop.request();
        if !quiet {
            bar.suspend(|| {
                eprintln!(
                    "stopping: no new items; those in flight get {:.1} s to finish (Ctrl-C again to cancel them now)",
                    GRACE.as_secs_f64()
                )
            });
        }
        tokio::select! {
            () = tokio::time::sleep(GRACE) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        stop.cancel_in_flight();
    });
}

/// `--dry-run` on a batch: each item's plan, then the calls and the price.
fn dry_run(ctx: &Ctx<'_>, kind: EngineKind, items: &[PathBuf], started: Instant) -> Result<u8> {
    let args = ctx.args;
    let mut summary = Summary {
        total: items.len(),
        dry_run: true,
        ..Summary::default()
    };
    for input in items {
        match edit_one(ctx, input, None) {
            Ok(_) => summary.done += 1,
            Err(e) => {
                if args.json {
                    println!("{}", super::failure_json(input, &e));
                }
                eprintln!("error: {}", words::error(&e));
                summary.failed.push(FailedItem {
                    input: key(input),
                    reason: words::error(&e),
                    code: e.exit_code(),
                });
            }
        }
    }
    let estimate = Estimate::new(kind, ctx.model, items.len(), args.num_images);
    if args.json {
        println!("{}", serde_json::json!({ "estimate": estimate }));
    } else {
        println!("{}", estimate.text());
    }
    summary.elapsed = started.elapsed();
    finish(args, &summary);
    Ok(summary.exit_code())
}
