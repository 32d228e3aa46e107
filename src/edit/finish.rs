//! The end of every edit, for the CLI, the TUI and the server alike: composite each result into
//! the source at its resolution, encode, write (all or nothing, atomically), and fill the one
//! request-log record. The caller writes the record to its sink (a local file, DynamoDB).

use std::path::PathBuf;
use std::time::Instant;

use image::{DynamicImage, ImageFormat};

use crate::edit::engine::{EngineKind, EngineOutput, Withheld};
use crate::edit::job::EditJob;
use crate::edit::prepare;
use crate::error::{Error, Result};
use crate::image_io;
use crate::record::EditRecord;

/// The sizes of what the edit received, as the request log counts them: the bytes of the encoded
/// image and mask (a file's length, or an `/image-edit` field's decoded base64 payload).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputSizes {
    pub image_bytes: u64,
    pub mask_bytes: u64,
    /// The image file, as an absolute path, when the edit read one.
    pub image_path: Option<PathBuf>,
}

impl InputSizes {
    /// The lengths of the files an edit read (0 for a file that is gone or none).
    pub fn of_files(image: Option<&std::path::Path>, mask: Option<&std::path::Path>) -> Self {
        let len = |p: Option<&std::path::Path>| {
            p.and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len())
        };
        InputSizes {
            image_bytes: len(image),
            mask_bytes: len(mask),
            image_path: image.map(|p| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())),
        }
    }
}

/// The request-log record of `job`, before it runs: the one definition of each field.
pub fn record_for(job: &EditJob, engine: EngineKind, sizes: InputSizes) -> EditRecord {
    let mut r = EditRecord::new(
        job.model.id,
        job.prompt.as_deref().unwrap_or(""),
        job.mode.wire_name(),
    );
    r.engine = Some(engine.as_str().to_string());
    r.image_base64_size_bytes = sizes.image_bytes;
    r.mask_base64_size_bytes = sizes.mask_bytes;
    r.input = sizes.image_path;
    r
}

/// Where the finished images go.
#[derive(Debug, Clone)]
pub enum Sink {
    /// Each image to its path, in the format its extension names; every image is encoded before
    /// the first is written, each write is atomic, and an existing file is refused unless `force`.
    Files { paths: Vec<PathBuf>, force: bool },
    /// PNG bytes kept in memory (standard output, an HTTP response).
    Memory,
    /// Each image to its path as PNG, best effort: a failed write keeps the image in memory with
    /// a warning (the TUI's work folder).
    BestEffort { paths: Vec<PathBuf> },
}

/// One finished image.
#[derive(Debug, Clone)]
pub struct FinishedImage {
    pub image: DynamicImage,
    /// Where it was written, if it was.
    pub path: Option<PathBuf>,
    /// The encoded bytes, for [`Sink::Memory`].
    pub bytes: Option<Vec<u8>>,
    /// The seed it was made with, when the engine knows it was used.
    pub seed: Option<u64>,
    /// The remote API's id for the call that made it, and API Gateway's.
    pub request_id: Option<String>,
    pub gateway_request_id: Option<String>,
    /// Why it was not written ([`Sink::BestEffort`]).
    pub warning: Option<String>,
}

/// What an edit delivered.
#[derive(Debug, Clone)]
pub struct Finished {
    pub images: Vec<FinishedImage>,
    /// "1 of 2 images were withheld: ...", when the service withheld some or all of them.
    pub withheld: Option<String>,
    pub withheld_detail: Vec<Withheld>,
    /// Why the seeds are not confirmed, when they are not.
    pub seed_note: Option<String>,
    /// Composite, encode and write, in milliseconds.
    pub write_ms: u64,
}

/// Finishes a run of `job`: the engine's outcome becomes images at `sink` and the record says
/// what happened. Every image keeps the source file's metadata (`job.metadata`: colour profile,
/// EXIF orientation and fields, as [`image_io::encode_with`] writes them per format). The record is a success only when every image asked for arrived and was kept;
/// withheld images make it a failure with the reason, whoever the front end is. An engine error,
/// or no image and nothing withheld, is an error (and recorded as one).
pub fn finish(
    job: &EditJob,
    generated: Result<EngineOutput>,
    sink: &Sink,
    record: &mut EditRecord,
) -> Result<Finished> {
    finish_with(job, generated, sink, None, record)
}

/// [`finish`] with a JPEG quality for JPEG files (None: the default).
pub fn finish_with(
    job: &EditJob,
    generated: Result<EngineOutput>,
    sink: &Sink,
    jpeg_quality: Option<u8>,
    record: &mut EditRecord,
) -> Result<Finished> {
    let encode = &image_io::EncodeOptions {
        jpeg_quality,
        metadata: job.metadata.clone(),
    };
    let result = generated.and_then(|mut out| {
        record.request_ids = request_ids(&out);
        deliver(job, &mut out, sink, encode, record)
    });
    settle(record, &result);
    result
}

/// The remote service's ids of the calls that delivered the images.
fn request_ids(out: &EngineOutput) -> Vec<String> {
    out.calls
        .iter()
        .filter_map(|c| c.request_id.clone())
        .collect()
}

/// The record's verdict: a success only when every image asked for arrived and was kept.
fn settle(record: &mut EditRecord, result: &Result<Finished>) {
    match result {
        Ok(f) => match &f.withheld {
            None => record.success = true,
            Some(w) => record.fail(w),
        },
        Err(e) => record.fail(&e.to_string()),
    }
}

fn deliver(
    job: &EditJob,
    out: &mut EngineOutput,
    sink: &Sink,
    encode: &image_io::EncodeOptions,
    record: &mut EditRecord,
) -> Result<Finished> {
    let withheld = out.withheld_message();
    if out.images.is_empty() && withheld.is_none() {
        return Err(Error::Engine("the engine returned no image".into()));
    }
    let started = Instant::now();
    // each result is composited in its own buffer (no second full-size image)
    let composed = prepare::finish_output_owned(job, out);
    let made = |i: usize, image: DynamicImage| {
        let call = out.call_for(i);
        FinishedImage {
            image,
            path: None,
            bytes: None,
            seed: out.confirmed_seed(i),
            request_id: call.and_then(|c| c.request_id.clone()),
            gateway_request_id: call.and_then(|c| c.gateway_request_id.clone()),
            warning: None,
        }
    };
    let mut images: Vec<FinishedImage> = composed
        .into_iter()
        .enumerate()
        .map(|(i, img)| made(i, img))
        .collect();
    record.output_images_size_bytes = 0;
    match sink {
        Sink::Memory => deliver_to_memory(&mut images, encode, record)?,
        Sink::Files { paths, force } => {
            deliver_to_files(&mut images, paths, *force, encode, record)?
        }
        Sink::BestEffort { paths } => deliver_best_effort(&mut images, paths, encode, record),
    }
    Ok(Finished {
        images,
        withheld,
        withheld_detail: out.withheld.clone(),
        seed_note: out.seed_note.clone(),
        write_ms: started.elapsed().as_millis() as u64,
    })
}

/// Encodes each image as PNG bytes kept in memory ([`Sink::Memory`]).
fn deliver_to_memory(
    images: &mut [FinishedImage],
    encode: &image_io::EncodeOptions,
    record: &mut EditRecord,
) -> Result<()> {
    for im in images.iter_mut() {
        let png = image_io::encode_with(&im.image, ImageFormat::Png, encode)?;
        record.output_images_size_bytes += png.len() as u64;
        im.bytes = Some(png);
    }
    Ok(())
}

/// Encodes every image, then writes each to its path atomically ([`Sink::Files`]).
fn deliver_to_files(
    images: &mut [FinishedImage],
    paths: &[PathBuf],
    force: bool,
    encode: &image_io::EncodeOptions,
    record: &mut EditRecord,
) -> Result<()> {
    if paths.len() < images.len() {
        return Err(Error::Engine(format!(
            "{} images arrived for {} output paths",
            images.len(),
            paths.len()
        )));
    }
    // Encode everything first so a failure leaves no partial set of files.
    let mut encoded = Vec::with_capacity(images.len());
    for (path, im) in paths.iter().zip(images.iter()) {
        let format = image_io::format_for_path(path)?;
        encoded.push(image_io::encode_with(&im.image, format, encode)?);
    }
    for ((path, bytes), im) in paths.iter().zip(&encoded).zip(images.iter_mut()) {
        image_io::write_atomic(path, bytes, force)?;
        tracing::debug!(path = %path.display(), bytes = bytes.len(), "wrote");
        record.output_images_size_bytes += bytes.len() as u64;
        record.outputs.push(path.clone());
        im.path = Some(path.clone());
    }
    Ok(())
}

/// Writes each image to its path as PNG; one not written stays in memory ([`Sink::BestEffort`]).
fn deliver_best_effort(
    images: &mut [FinishedImage],
    paths: &[PathBuf],
    encode: &image_io::EncodeOptions,
    record: &mut EditRecord,
) {
    let mut broken: Option<String> = None;
    for (i, im) in images.iter_mut().enumerate() {
        let Some(path) = paths.get(i) else {
            im.warning = Some("kept in memory only: no path for it".into());
            continue;
        };
        let written = match &broken {
            Some(e) => Err(e.clone()),
            None => path
                .parent()
                .map_or(Ok(()), |d| {
                    std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))
                })
                .and_then(|()| image_io::encode_with(&im.image, ImageFormat::Png, encode))
                .and_then(|bytes| {
                    image_io::write_atomic(path, &bytes, false)?;
                    Ok(bytes.len() as u64)
                })
                .map_err(|e| e.to_string()),
        };
        match written {
            Ok(n) => {
                record.output_images_size_bytes += n;
                record.outputs.push(path.clone());
                im.path = Some(path.clone());
            }
            Err(e) => {
                im.warning = Some(format!("kept in memory only: {e}"));
                broken = Some(e);
            }
        }
    }
}

/// Images finished as they arrived, before the run's end, in the order they arrived: for a
/// best-effort sink (the TUI's work folder), where a result is shown and kept at once.
#[derive(Debug)]
pub struct Early {
    pub images: Vec<FinishedImage>,
    /// What a record counts of them.
    pub record: EditRecord,
}

impl Default for Early {
    fn default() -> Self {
        Self::new()
    }
}

impl Early {
    pub fn new() -> Self {
        Early {
            images: Vec::new(),
            record: EditRecord::new("", "", ""),
        }
    }

    /// Finishes `g` at once: composited into the source and written as PNG to the next of
    /// `paths` (best effort: a failed write keeps it in memory, with a warning).
    pub fn add(
        &mut self,
        job: &EditJob,
        g: &crate::edit::engine::Generated,
        paths: &[PathBuf],
        encode: &image_io::EncodeOptions,
    ) -> &FinishedImage {
        let n = self.images.len();
        let mut im = FinishedImage {
            image: prepare::composite(job, &g.image),
            path: None,
            bytes: None,
            seed: Some(g.seed),
            request_id: None,
            gateway_request_id: None,
            warning: None,
        };
        let path = paths.get(n..=n).unwrap_or(&[]);
        deliver_best_effort(
            std::slice::from_mut(&mut im),
            path,
            encode,
            &mut self.record,
        );
        self.images.push(im);
        &self.images[n]
    }
}

/// [`finish_with`] for a run some of whose images were finished as they arrived ([`Early`], at
/// least one): the record and the withheld images are the engine's outcome; an image that did not
/// arrive early is finished as usual into the paths left.
pub fn finish_after_early(
    job: &EditJob,
    generated: Result<EngineOutput>,
    sink: &Sink,
    early: Early,
    record: &mut EditRecord,
) -> Result<Finished> {
    let Early {
        images: done,
        record: counted,
    } = early;
    record.outputs = counted.outputs;
    record.output_images_size_bytes = counted.output_images_size_bytes;
    let result = generated.and_then(|out| complete_early(job, out, sink, done, record));
    settle(record, &result);
    result
}

/// The engine's outcome over the images finished early: their seeds and call ids as the engine
/// confirms them, and the images that came only at the end finished into the paths left.
fn complete_early(
    job: &EditJob,
    mut out: EngineOutput,
    sink: &Sink,
    mut done: Vec<FinishedImage>,
    record: &mut EditRecord,
) -> Result<Finished> {
    record.request_ids = request_ids(&out);
    for (i, im) in done.iter_mut().enumerate() {
        im.seed = im.seed.filter(|_| out.seed_note.is_none());
        let call = out.call_for(i);
        im.request_id = call.and_then(|c| c.request_id.clone());
        im.gateway_request_id = call.and_then(|c| c.gateway_request_id.clone());
    }
    let withheld = out.withheld_message();
    let withheld_detail = out.withheld.clone();
    let seed_note = out.seed_note.clone();
    if out.images.len() > done.len() {
        let rest = match sink {
            Sink::BestEffort { paths } => Sink::BestEffort {
                paths: paths.get(done.len()..).unwrap_or(&[]).to_vec(),
            },
            other => other.clone(),
        };
        out.images.drain(..done.len());
        let mut more = EditRecord::new("", "", "");
        let f = finish_with(job, Ok(out), &rest, None, &mut more);
        record.outputs.extend(more.outputs);
        record.output_images_size_bytes += more.output_images_size_bytes;
        done.extend(f?.images);
    }
    Ok(Finished {
        images: done,
        withheld,
        withheld_detail,
        seed_note,
        write_ms: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::engine::Generated;
    use crate::edit::job::{JobOptions, Selection};
    use crate::image_io::DecodeLimits;
    use crate::mask::Shape;
    use image::{Rgb, RgbImage};

    fn job() -> EditJob {
        JobOptions {
            selection: Selection {
                shapes: vec![Shape::parse_rect("2,2,3,3").unwrap()],
                ..Default::default()
            },
            mode: None,
            canvas: None,
            prompt: Some("a cat".into()),
            negative: None,
            mask_prompt: None,
            search: None,
            num_images: 2,
            seed: 5,
            cfg_scale: None,
            quality: None,
            model: crate::edit::model::local(),
            limits: DecodeLimits::default(),
            tool: Default::default(),
        }
        .build(
            DynamicImage::ImageRgb8(RgbImage::from_pixel(9, 7, Rgb([1, 2, 3]))),
            "t.png",
        )
        .unwrap()
    }

    fn output(images: usize, withheld: usize) -> EngineOutput {
        EngineOutput {
            images: (0..images)
                .map(|i| Generated {
                    image: RgbImage::from_pixel(9, 7, Rgb([200, 0, 0])),
                    seed: 5 + i as u64,
                })
                .collect(),
            withheld: (0..withheld)
                .map(|_| Withheld {
                    seed: Some(6),
                    reason: "Filter reason: output image".into(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_withheld_image_fails_the_record_whatever_the_sink() {
        let dir = tempfile::tempdir().unwrap();
        let paths = vec![dir.path().join("a.png"), dir.path().join("b.png")];
        let work = vec![dir.path().join("w/1.png"), dir.path().join("w/2.png")];
        for sink in [
            Sink::Memory,
            Sink::Files {
                paths: paths.clone(),
                force: false,
            },
            Sink::BestEffort {
                paths: work.clone(),
            },
        ] {
            let j = job();
            let mut rec = record_for(&j, EngineKind::Local, InputSizes::default());
            let f = finish(&j, Ok(output(1, 1)), &sink, &mut rec).unwrap();
            assert_eq!(f.images.len(), 1);
            assert!(!rec.success, "{sink:?}");
            assert_eq!(rec.error_message.as_deref(), f.withheld.as_deref());
            assert!(rec.output_images_size_bytes > 0, "{sink:?}");
        }
    }

    #[test]
    fn files_are_all_or_nothing_and_the_record_counts_them() {
        let dir = tempfile::tempdir().unwrap();
        let j = job();
        let good = vec![dir.path().join("a.png"), dir.path().join("b.jpg")];
        let mut rec = record_for(&j, EngineKind::Local, InputSizes::default());
        let f = finish(
            &j,
            Ok(output(2, 0)),
            &Sink::Files {
                paths: good.clone(),
                force: false,
            },
            &mut rec,
        )
        .unwrap();
        assert!(rec.success);
        assert_eq!(rec.outputs, good);
        let on_disk: u64 = good.iter().map(|p| p.metadata().unwrap().len()).sum();
        assert_eq!(rec.output_images_size_bytes, on_disk);
        assert_eq!(f.images[1].seed, Some(6));
        // the second path's format is unknown: nothing is written, the record says why
        let bad = vec![dir.path().join("c.png"), dir.path().join("d.xyz")];
        let mut rec = record_for(&j, EngineKind::Local, InputSizes::default());
        let e = finish(
            &j,
            Ok(output(2, 0)),
            &Sink::Files {
                paths: bad.clone(),
                force: false,
            },
            &mut rec,
        );
        assert!(e.is_err());
        assert!(!bad[0].exists());
        assert!(!rec.success && rec.error_message.is_some());
    }

    #[test]
    fn an_engine_error_and_an_empty_answer_are_failures() {
        let j = job();
        let mut rec = record_for(&j, EngineKind::Local, InputSizes::default());
        let e = finish(
            &j,
            Err(Error::Engine("boom".into())),
            &Sink::Memory,
            &mut rec,
        );
        assert!(e.is_err());
        assert_eq!(rec.error_message.as_deref(), Some("boom"));
        let mut rec = record_for(&j, EngineKind::Local, InputSizes::default());
        assert!(finish(&j, Ok(output(0, 0)), &Sink::Memory, &mut rec).is_err());
        assert!(!rec.success);
        // everything withheld is delivered as such (the server answers it), and recorded as failed
        let mut rec = record_for(&j, EngineKind::Local, InputSizes::default());
        let f = finish(&j, Ok(output(0, 2)), &Sink::Memory, &mut rec).unwrap();
        assert!(f.images.is_empty() && f.withheld.is_some() && !rec.success);
    }
}
