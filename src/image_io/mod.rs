//! Decoding with limits, encoding by extension, atomic writes, base64 and data URLs.

pub mod exif;
pub mod files;
pub mod jpeg;

use std::fs;
use std::io::{BufReader, Cursor, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::error::input_err;
use crate::error::{Error, Result};

/// Limits applied before and while decoding, so a decompression bomb is an error, not an OOM kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DecodeLimits {
    /// Largest accepted width x height.
    pub max_pixels: u64,
    /// Largest single allocation the decoder may make, in bytes.
    pub max_alloc_bytes: u64,
    /// Largest image or mask file read, in bytes.
    pub max_file_bytes: u64,
    /// Largest image or mask read from a pipe or FIFO, whose size is not known before reading.
    pub max_stream_bytes: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_pixels: 120_000_000,
            max_alloc_bytes: 1 << 30,
            max_file_bytes: 256 << 20,
            max_stream_bytes: 64 << 20,
        }
    }
}

/// What of an input file's metadata its outputs keep (see [`encode_with`] for what each output
/// format gets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The embedded ICC colour profile, if any: written into JPEG, PNG and WebP outputs so
    /// colours look the same as in the input.
    pub icc_profile: Option<Vec<u8>>,
    /// The EXIF orientation (2..=8) the image was stored with; the decoded image is already
    /// upright. JPEG outputs are written back in this orientation with the same tag. None: no
    /// tag, or 1 (stored upright).
    pub exif_orientation: Option<u8>,
    /// The input's EXIF block (a TIFF structure: camera, date, GPS, exposure...), its embedded
    /// thumbnail removed (see [`crate::image_io::exif::without_thumbnail`]). None: the input had none, or
    /// one that could not be read (a note says so).
    pub exif: Option<Vec<u8>>,
    /// A JPEG input's chroma subsampling (4:2:0 from most cameras), which JPEG outputs keep: the
    /// colour detail the input did not have is not written at full resolution (half as large
    /// again, and slower). None: not a JPEG, or a layout outputs do not keep (greyscale, CMYK,
    /// 4:1:1...); JPEG outputs then take the quality's own (below).
    pub jpeg_sampling: Option<crate::image_io::jpeg::ChromaSampling>,
}

/// A decoded image together with what the user should be told about the decoding.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub image: DynamicImage,
    pub format: ImageFormat,
    /// Notes such as "16-bit PNG converted to 8 bits"; printed once on stderr by the CLI.
    pub notes: Vec<String>,
    /// The colour profile, orientation and EXIF fields that outputs of this image keep.
    pub metadata: Metadata,
}

impl DecodeLimits {
    /// How much of an image or mask file may be read.
    pub fn read_limit(&self) -> crate::image_io::files::ReadLimit {
        crate::image_io::files::ReadLimit {
            max_bytes: self.max_file_bytes,
            max_stream_bytes: self.max_stream_bytes,
            raise: "raise limits.max_file_bytes, or limits.max_stream_bytes for a pipe, in the config",
        }
    }
}

/// Reads and decodes an image file, applying EXIF orientation and the limits.
pub fn load_image(path: &Path, limits: &DecodeLimits) -> Result<Decoded> {
    let bytes = crate::image_io::files::read_bounded(path, limits.read_limit())?;
    decode_bytes(&bytes, &path.display().to_string(), limits)
}

/// Decodes image bytes; `name` is how errors refer to the input (a path or a request field).
pub fn decode_bytes(bytes: &[u8], name: &str, limits: &DecodeLimits) -> Result<Decoded> {
    decode_bytes_as(bytes, name, limits, false)
}

/// [`decode_bytes`] that keeps a greyscale image greyscale (8-bit luma, with its alpha if it
/// has one) instead of widening it to RGB: what masks are, and a 12 MP mask spent most of its
/// decoding time becoming RGB and back.
pub fn decode_bytes_grey(bytes: &[u8], name: &str, limits: &DecodeLimits) -> Result<Decoded> {
    decode_bytes_as(bytes, name, limits, true)
}

fn decode_bytes_as(
    bytes: &[u8],
    name: &str,
    limits: &DecodeLimits,
    keep_grey: bool,
) -> Result<Decoded> {
    let started = std::time::Instant::now();
    if bytes.is_empty() {
        return Err(input_err!(
            "{name}: the file is empty, expected a PNG, JPEG or WebP image"
        ));
    }
    let reader = ImageReader::new(BufReader::new(Cursor::new(bytes)))
        .with_guessed_format()
        .map_err(|e| input_err!("{name}: cannot read: {e}"))?;
    let format = reader.format().ok_or_else(|| {
        input_err!("{name}: not a PNG, JPEG, WebP or GIF image (unrecognised file signature)")
    })?;
    let mut reader = reader;
    let mut lim = image::Limits::default();
    lim.max_alloc = Some(limits.max_alloc_bytes);
    reader.limits(lim);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| decode_error(name, format, e))?;
    let (w, h) = decoder.dimensions();
    refuse_unusable(bytes, name, format, (w, h), limits)?;
    let orientation = decoder.orientation().ok();
    let exif_orientation = orientation
        .map(image::metadata::Orientation::to_exif)
        .filter(|&o| o != 1);
    let icc_profile = decoder
        .icc_profile()
        .ok()
        .flatten()
        .filter(|p| !p.is_empty());
    let mut notes = Vec::new();
    let exif = kept_exif(decoder.exif_metadata().ok().flatten(), name, &mut notes);
    if is_animated(bytes, format) {
        notes.push(format!(
            "{name}: animated {}: only the first frame is used",
            format_name(format)
        ));
    }
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| decode_error(name, format, e))?;
    if let Some(o) = orientation {
        image.apply_orientation(o);
    }
    let image = to_8bit(image, name, &mut notes, keep_grey);
    tracing::debug!(
        stage = "decode",
        ms = started.elapsed().as_secs_f64() * 1e3,
        width = w,
        height = h,
        icc = icc_profile.is_some(),
        "{name}: decoded"
    );
    Ok(Decoded {
        image,
        format,
        notes,
        metadata: Metadata {
            icc_profile,
            exif_orientation,
            exif,
            jpeg_sampling: (format == ImageFormat::Jpeg)
                .then(|| crate::image_io::jpeg::sampling_of(bytes))
                .flatten(),
        },
    })
}

/// Refuses an image over the pixel limit, one with no pixels, and a truncated JPEG.
fn refuse_unusable(
    bytes: &[u8],
    name: &str,
    format: ImageFormat,
    (w, h): (u32, u32),
    limits: &DecodeLimits,
) -> Result<()> {
    let pixels = u64::from(w) * u64::from(h);
    if pixels > limits.max_pixels {
        return Err(input_err!(
            "{name}: {w}x{h} is {pixels} pixels, over the limit of {} pixels (raise limits.max_pixels in the config to allow it)",
            limits.max_pixels
        ));
    }
    if w == 0 || h == 0 {
        return Err(input_err!("{name}: the image has no pixels ({w}x{h})"));
    }
    if format == ImageFormat::Jpeg && jpeg_is_truncated(bytes) {
        return Err(input_err!(
            "{name}: cannot decode JPEG: the file is truncated (no end-of-image marker after the image data)"
        ));
    }
    Ok(())
}

/// The EXIF block the outputs keep, thumbnail dropped; notes one too large for JPEG or not kept.
fn kept_exif(raw: Option<Vec<u8>>, name: &str, notes: &mut Vec<String>) -> Option<Vec<u8>> {
    raw.filter(|b| !b.is_empty())
        .and_then(|b| match crate::image_io::exif::without_thumbnail(&b) {
            Ok(kept) => {
                if kept.len() > crate::image_io::exif::MAX_JPEG_EXIF_BYTES {
                    notes.push(format!(
                        "{name}: its EXIF block ({} bytes) is larger than a JPEG can hold: JPEG outputs keep only its orientation",
                        kept.len()
                    ));
                }
                Some(kept)
            }
            Err(why) => {
                notes.push(format!(
                    "{name}: its EXIF block is not kept in the outputs (only its orientation is): {why}"
                ));
                None
            }
        })
}

/// The image as 8-bit RGB or RGBA, noting a conversion from other pixel types.
fn to_8bit(
    image: DynamicImage,
    name: &str,
    notes: &mut Vec<String>,
    keep_grey: bool,
) -> DynamicImage {
    use DynamicImage::*;
    match image {
        ImageRgb8(_) | ImageRgba8(_) => image,
        ImageLuma8(_) | ImageLumaA8(_) if keep_grey => image,
        ImageLuma8(_) => ImageRgb8(image.to_rgb8()),
        ImageLumaA8(_) => ImageRgba8(image.to_rgba8()),
        other => {
            notes.push(format!(
                "{name}: {:?} pixels converted to 8 bits per channel",
                other.color()
            ));
            let grey = keep_grey && !other.color().has_color();
            match (other.color().has_alpha(), grey) {
                (true, true) => ImageLumaA8(other.to_luma_alpha8()),
                (false, true) => ImageLuma8(other.to_luma8()),
                (true, false) => ImageRgba8(other.to_rgba8()),
                (false, false) => ImageRgb8(other.to_rgb8()),
            }
        }
    }
}

/// True for a GIF with a second frame or an animated WebP (only the first frame is edited).
fn is_animated(bytes: &[u8], format: ImageFormat) -> bool {
    match format {
        ImageFormat::Gif => gif_frames_at_most(bytes, 2) > 1,
        ImageFormat::WebP => image::codecs::webp::WebPDecoder::new(Cursor::new(bytes))
            .map(|d| d.has_animation())
            .unwrap_or(false),
        _ => false,
    }
}

/// Counts a GIF's image descriptors (frames), up to `max`, by walking its block structure without
/// decoding a pixel: a frame's claimed size costs nothing here (decoding frames to count them
/// allocated whole frame buffers first, found by the `mask_file` fuzz target).
fn gif_frames_at_most(b: &[u8], max: usize) -> usize {
    // skips data sub-blocks from `i`; returns the index after the terminator
    fn sub_blocks(b: &[u8], mut i: usize) -> Option<usize> {
        loop {
            let n = usize::from(*b.get(i)?);
            i += 1 + n;
            if n == 0 {
                return Some(i);
            }
        }
    }
    let table = |flags: u8| {
        if flags & 0x80 != 0 {
            3 << ((flags & 7) + 1)
        } else {
            0
        }
    };
    let Some(&screen_flags) = b.get(10) else {
        return 0;
    };
    let mut i = 13 + table(screen_flags);
    let mut frames = 0;
    while frames < max {
        match b.get(i) {
            Some(0x21) => match sub_blocks(b, i + 2) {
                Some(next) => i = next,
                None => break,
            },
            Some(0x2C) => {
                frames += 1;
                let Some(&flags) = b.get(i + 9) else { break };
                // descriptor (10), local colour table, LZW minimum code size (1), data
                match sub_blocks(b, i + 10 + table(flags) + 1) {
                    Some(next) => i = next,
                    None => break,
                }
            }
            _ => break,
        }
    }
    frames
}

/// True when no end-of-image marker (FF D9) follows the last start-of-scan marker (FF DA). Entropy-coded
/// data never holds FF D9 or FF DA (0xFF is stuffed), and an EXIF thumbnail's markers come earlier.
fn jpeg_is_truncated(bytes: &[u8]) -> bool {
    let last = |m: u8| bytes.windows(2).rposition(|w| w[0] == 0xFF && w[1] == m);
    match (last(0xDA), last(0xD9)) {
        (Some(sos), Some(eoi)) => eoi < sos,
        (Some(_), None) => true,
        _ => false,
    }
}

fn decode_error(name: &str, format: ImageFormat, e: image::ImageError) -> Error {
    match e {
        image::ImageError::Limits(l) => input_err!(
            "{name}: decoding would need more memory than allowed ({l}); raise limits.max_alloc_bytes in the config to allow it"
        ),
        other => input_err!("{name}: cannot decode {}: {other}", format_name(format)),
    }
}

pub(crate) fn format_name(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Png => "PNG",
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::WebP => "WebP",
        ImageFormat::Gif => "GIF",
        _ => "image",
    }
}

/// The output format a path's extension asks for.
pub fn format_for_path(path: &Path) -> Result<ImageFormat> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "png" => Ok(ImageFormat::Png),
        "jpg" | "jpeg" => Ok(ImageFormat::Jpeg),
        "webp" => Ok(ImageFormat::WebP),
        _ => Err(input_err!(
            "{}: unsupported output extension {:?} (use .png, .jpg, .jpeg or .webp)",
            path.display(),
            ext
        )),
    }
}

/// The JPEG quality of outputs when none is asked for (what imgedit has always written).
pub const DEFAULT_JPEG_QUALITY: u8 = 95;

/// How [`encode_with`] writes an image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncodeOptions {
    /// JPEG quality 1..=100 (None: [`DEFAULT_JPEG_QUALITY`]).
    pub jpeg_quality: Option<u8>,
    /// What of the input's metadata to keep, usually all of it.
    pub metadata: Metadata,
}

impl EncodeOptions {
    /// The default settings, keeping `metadata`.
    pub fn keeping(metadata: Metadata) -> Self {
        EncodeOptions {
            jpeg_quality: None,
            metadata,
        }
    }
}

/// `upright` turned back into the orientation a file with EXIF orientation `stored` keeps its
/// pixels in: the inverse of what reading applies (rotations by 90 degrees swap; the flips and
/// transposes are their own inverse).
fn to_stored_orientation(
    upright: &image::RgbImage,
    stored: image::metadata::Orientation,
) -> image::RgbImage {
    use image::imageops as ops;
    use image::metadata::Orientation as O;
    // one new buffer, made from `upright` directly (no copy of it first)
    match stored {
        O::NoTransforms => upright.clone(),
        O::Rotate90 => ops::rotate270(upright),
        O::Rotate180 => ops::rotate180(upright),
        O::Rotate270 => ops::rotate90(upright),
        O::FlipHorizontal => ops::flip_horizontal(upright),
        O::FlipVertical => ops::flip_vertical(upright),
        // a transpose and an anti-transpose: each its own inverse, made as reading makes it
        O::Rotate90FlipH => {
            let mut t = ops::rotate90(upright);
            ops::flip_horizontal_in_place(&mut t);
            t
        }
        O::Rotate270FlipH => {
            let mut t = ops::rotate270(upright);
            ops::flip_horizontal_in_place(&mut t);
            t
        }
    }
}

/// A JPEG APP1 segment's data: a minimal EXIF block holding only the Orientation tag.
fn exif_orientation_segment(orientation: u8) -> Vec<u8> {
    let mut d = b"Exif\0\0".to_vec();
    // TIFF header, big endian, first IFD at offset 8
    d.extend_from_slice(&[b'M', b'M', 0, 42, 0, 0, 0, 8]);
    // one entry: tag 0x0112 Orientation, type SHORT (3), count 1, the value left-aligned
    d.extend_from_slice(&[0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0]);
    // no next IFD
    d.extend_from_slice(&[0, 0, 0, 0]);
    d
}

/// The APP1 segment of a JPEG output whose pixels are stored `width` x `height` in EXIF
/// `orientation`: the input's EXIF block with its Orientation tag and pixel size set to match,
/// or, when there is none that fits (none, over a segment's size, or without an Orientation tag
/// while the pixels are turned), a block holding only the orientation. None: nothing to write.
fn jpeg_exif_segment(
    meta: &Metadata,
    orientation: u8,
    (width, height): (u32, u32),
) -> Option<Vec<u8>> {
    let kept = meta
        .exif
        .as_deref()
        .filter(|b| b.len() <= crate::image_io::exif::MAX_JPEG_EXIF_BYTES)
        .and_then(|b| {
            let mut b = b.to_vec();
            if !crate::image_io::exif::set_orientation(&mut b, orientation) && orientation != 1 {
                return None;
            }
            crate::image_io::exif::set_dimensions(&mut b, width, height);
            Some(b)
        });
    match kept {
        Some(block) => {
            let mut d = b"Exif\0\0".to_vec();
            d.extend_from_slice(&block);
            Some(d)
        }
        None if orientation != 1 => Some(exif_orientation_segment(orientation)),
        None => None,
    }
}

/// Writes a PNG or WebP output, whose pixels are upright, with the input's colour profile and its
/// EXIF block, that block's Orientation set to 1 (where it has the tag) and its pixel size to the
/// output's.
fn write_upright(
    image: &DynamicImage,
    mut enc: impl image::ImageEncoder,
    meta: &Metadata,
) -> std::result::Result<(), String> {
    if let Some(icc) = &meta.icc_profile {
        enc.set_icc_profile(icc.clone())
            .map_err(|e| e.to_string())?;
    }
    if let Some(mut exif) = meta.exif.clone() {
        crate::image_io::exif::set_orientation(&mut exif, 1);
        crate::image_io::exif::set_dimensions(&mut exif, image.width(), image.height());
        enc.set_exif_metadata(exif).map_err(|e| e.to_string())?;
    }
    image.write_with_encoder(enc).map_err(|e| e.to_string())
}

/// Encodes an image in memory; JPEG drops alpha (flattened over white).
pub fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>> {
    encode_with(image, format, &EncodeOptions::default())
}

/// Encodes an image in memory with the given options; JPEG drops alpha (flattened over white).
///
/// JPEG goes through the SIMD encoder of the `jpeg-encoder` crate (baseline, the input's chroma
/// subsampling when it was a JPEG ([`Metadata::jpeg_sampling`]), else 4:4:4 at quality 90 and
/// above and 4:2:0 below, the standard tables scaled by quality), in strips on every core joined
/// with restart markers ([`crate::image_io::jpeg`]); PNG uses the `png` crate's fast compression with
/// adaptive filters.
pub fn encode_with(
    image: &DynamicImage,
    format: ImageFormat,
    opts: &EncodeOptions,
) -> Result<Vec<u8>> {
    let started = std::time::Instant::now();
    let fail = |e: &dyn std::fmt::Display| {
        Error::Engine(format!("cannot encode {}: {e}", format_name(format)))
    };
    let bytes = match format {
        ImageFormat::Jpeg => {
            let quality = opts.jpeg_quality.unwrap_or(DEFAULT_JPEG_QUALITY);
            if !(1..=100).contains(&quality) {
                return Err(input_err!(
                    "JPEG quality: {quality} is out of range (use 1 to 100)"
                ));
            }
            let (w, h) = (image.width(), image.height());
            let owned;
            let rgb = match image {
                DynamicImage::ImageRgb8(rgb) => rgb,
                other => {
                    owned = flatten(other);
                    &owned
                }
            };
            let meta = &opts.metadata;
            let stored = meta
                .exif_orientation
                .and_then(image::metadata::Orientation::from_exif)
                .filter(|&o| o != image::metadata::Orientation::NoTransforms);
            let turned;
            let rgb = match stored {
                Some(o) => {
                    turned = to_stored_orientation(rgb, o);
                    &turned
                }
                None => rgb,
            };
            let (Ok(w16), Ok(h16)) = (u16::try_from(rgb.width()), u16::try_from(rgb.height()))
            else {
                return Err(fail(&format_args!(
                    "{w}x{h} is larger than JPEG allows (65535 pixels a side); write a PNG instead"
                )));
            };
            let orientation = stored.map_or(1, image::metadata::Orientation::to_exif);
            let extras = crate::image_io::jpeg::Extras {
                app1: jpeg_exif_segment(meta, orientation, rgb.dimensions()),
                icc: meta.icc_profile.as_deref(),
            };
            let sampling = meta.jpeg_sampling;
            crate::image_io::jpeg::encode_rgb(rgb.as_raw(), w16, h16, quality, sampling, extras)
                .map_err(|e| fail(&e))?
        }
        ImageFormat::Png => {
            let mut out = Vec::new();
            let enc = image::codecs::png::PngEncoder::new(&mut out);
            write_upright(image, enc, &opts.metadata).map_err(|e| fail(&e))?;
            out
        }
        ImageFormat::WebP => {
            let mut out = Vec::new();
            let enc = image::codecs::webp::WebPEncoder::new_lossless(&mut out);
            write_upright(image, enc, &opts.metadata).map_err(|e| fail(&e))?;
            out
        }
        _ => {
            let mut out = Cursor::new(Vec::new());
            image.write_to(&mut out, format).map_err(|e| fail(&e))?;
            out.into_inner()
        }
    };
    tracing::debug!(
        stage = "encode",
        ms = started.elapsed().as_secs_f64() * 1e3,
        bytes = bytes.len(),
        "encoded {}",
        format_name(format)
    );
    Ok(bytes)
}

/// RGB with any alpha composited over white (what the engines and JPEG need).
pub fn flatten(image: &DynamicImage) -> image::RgbImage {
    match image {
        DynamicImage::ImageRgb8(rgb) => rgb.clone(),
        DynamicImage::ImageRgba8(rgba) => flatten_rgba(rgba),
        other => flatten_rgba(&other.to_rgba8()),
    }
}

/// RGBA composited over white.
pub fn flatten_rgba(rgba: &image::RgbaImage) -> image::RgbImage {
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (d, s) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(s[3]);
        for c in 0..3 {
            d[c] = ((u32::from(s[c]) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    rgb
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, then a rename.
/// Without `force`, an existing file is never replaced (checked at the moment of the rename).
pub fn write_atomic(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    write_atomic_with(path, bytes, force, false)
}

/// Like [`write_atomic`] with `force`, for secrets: the file is created readable by its owner
/// only (mode 0600 on Unix) before any byte is written.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, bytes, true, true)
}

fn write_atomic_with(path: &Path, bytes: &[u8], force: bool, private: bool) -> Result<()> {
    if !force && path.exists() {
        return Err(Error::OutputExists(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| input_err!("{}: not a file name", path.display()))?;
    remove_stale_temporaries(&dir, &file_name);
    let tmp = dir.join(format!(
        ".{file_name}.{}.{}.tmp",
        std::process::id(),
        rand::random::<u32>()
    ));
    let write = || -> std::io::Result<()> {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(&dir, e));
    }
    let result = if force {
        fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    } else {
        // A hard link fails when the target exists, so a file created meanwhile is never replaced.
        match fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(Error::OutputExists(path.to_path_buf()))
            }
            Err(_) if !path.exists() => fs::rename(&tmp, path).map_err(|e| Error::io(path, e)),
            Err(_) => Err(Error::OutputExists(path.to_path_buf())),
        }
    };
    let _ = fs::remove_file(&tmp);
    result
}

/// Removes the `.NAME.PID.RAND.tmp` files that killed writers left in `dir`, whatever NAME is (a
/// resumed batch, whose finished outputs are not written again).
pub fn remove_all_stale_temporaries(dir: &Path) {
    remove_stale_temporaries(dir, "");
}

/// Removes `.NAME.PID.RAND.tmp` files that a killed writer of `name` left in `dir` (Linux, where
/// `/proc` tells whether PID still runs; elsewhere they stay, hidden and harmless). An empty
/// `file_name` matches every NAME.
fn remove_stale_temporaries(dir: &Path, file_name: &str) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let prefix = match file_name {
        "" => ".".to_string(),
        name => format!(".{name}."),
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".tmp"))
        else {
            continue;
        };
        // NAME may hold dots itself: PID and RAND are the last two parts
        let mut parts = rest.rsplit('.');
        let (Some(rand), Some(pid)) = (parts.next(), parts.next()) else {
            continue;
        };
        if !file_name.is_empty() && parts.next().is_some() {
            continue;
        }
        let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if numeric(pid) && numeric(rand) && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Encodes as base64 (standard alphabet, padded).
pub fn base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The base64 part of bare base64 or a `data:<mime>;base64,` URL (None: a data URL that is not
/// base64-encoded).
pub fn base64_payload(s: &str) -> Option<&str> {
    match s.strip_prefix("data:") {
        Some(rest) => match rest.split_once(',') {
            Some((meta, data)) if meta.ends_with(";base64") => Some(data),
            _ => None,
        },
        None => Some(s),
    }
}

/// Decodes bare base64 or a `data:<mime>;base64,` URL; the MIME type is ignored.
pub fn decode_base64_or_data_url(s: &str, field: &str) -> Result<Vec<u8>> {
    let payload = base64_payload(s).ok_or_else(|| {
        input_err!("{field}: a data URL must be base64-encoded (data:<type>;base64,...)")
    })?;
    let cleaned: String = payload
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(cleaned.as_bytes()))
        .map_err(|e| input_err!("{field}: invalid base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gif_frames_are_counted_without_decoding() {
        let one = {
            let mut buf = Cursor::new(Vec::new());
            DynamicImage::ImageRgb8(image::RgbImage::new(4, 3))
                .write_to(&mut buf, ImageFormat::Gif)
                .unwrap();
            buf.into_inner()
        };
        assert_eq!(gif_frames_at_most(&one, 2), 1);
        // the same frame twice
        let end = one.len() - 1; // the trailer, 0x3B
        let start = 13 + 3 * (1 << ((one[10] & 7) + 1)) * usize::from(one[10] >> 7);
        let mut two = one[..end].to_vec();
        two.extend_from_slice(&one[start..]);
        assert_eq!(gif_frames_at_most(&two, 2), 2);
        assert_eq!(gif_frames_at_most(&two, 5), 2);
        // a frame that claims 65535x65535 pixels costs nothing (the fuzzer's input)
        let bomb = [
            71, 73, 70, 56, 57, 97, 9, 250, 1, 0, 128, 0, 0, 255, 0, 255, 0, 255, 0, 33, 249, 4, 1,
            0, 0, 0, 0, 44, 254, 255, 255, 255, 255, 255, 255, 255, 0, 2, 2, 68, 1, 0, 59,
        ];
        assert_eq!(gif_frames_at_most(&bomb, 2), 1);
        assert_eq!(gif_frames_at_most(b"GIF89a", 2), 0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_killed_writers_temporaries_go_and_a_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".x.png.999999999.1.tmp"); // above Linux's pid_max
        let live = dir
            .path()
            .join(format!(".x.png.{}.2.tmp", std::process::id()));
        let other = dir.path().join(".y.png.999999999.3.tmp");
        for p in [&dead, &live, &other] {
            fs::write(p, b"half").unwrap();
        }
        write_atomic(&dir.path().join("x.png"), b"whole", false).unwrap();
        assert!(!dead.exists());
        assert!(live.exists(), "a running writer's file is kept");
        assert!(
            other.exists(),
            "only the same output's temporaries are touched"
        );
        assert_eq!(fs::read(dir.path().join("x.png")).unwrap(), b"whole");
        // a resumed batch sweeps every output's: the dead writer's go, the live one's stays
        let dotted = dir.path().join(".a.b.png.999999999.4.tmp");
        fs::write(&dotted, b"half").unwrap();
        remove_all_stale_temporaries(dir.path());
        assert!(!other.exists() && !dotted.exists());
        assert!(live.exists());
    }

    #[test]
    fn data_url_and_bare_base64_decode_alike() {
        let b = base64_encode(b"hello");
        assert_eq!(decode_base64_or_data_url(&b, "f").unwrap(), b"hello");
        let url = format!("data:image/png;base64,{b}");
        assert_eq!(decode_base64_or_data_url(&url, "f").unwrap(), b"hello");
        let err = decode_base64_or_data_url("data:text/plain,hi", "mask").unwrap_err();
        assert!(err.to_string().starts_with("mask: "), "{err}");
        assert!(decode_base64_or_data_url("!!!", "base_image").is_err());
    }

    #[test]
    fn format_follows_extension() {
        assert_eq!(
            format_for_path(Path::new("a.PNG")).unwrap(),
            ImageFormat::Png
        );
        assert_eq!(
            format_for_path(Path::new("a.jpeg")).unwrap(),
            ImageFormat::Jpeg
        );
        let e = format_for_path(Path::new("a.tiff"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("a.tiff") && e.contains("tiff"), "{e}");
    }

    #[test]
    fn jpeg_output_keeps_the_icc_profile_and_the_quality_setting() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x * y) % 251) as u8])
        }));
        let icc: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let opts = EncodeOptions::keeping(Metadata {
            icc_profile: Some(icc.clone()),
            ..Metadata::default()
        });
        let bytes = encode_with(&img, ImageFormat::Jpeg, &opts).unwrap();
        let back = decode_bytes(&bytes, "out.jpg", &DecodeLimits::default()).unwrap();
        assert_eq!(back.metadata.icc_profile.as_deref(), Some(&icc[..]));
        // quality 95 by default; a low quality is smaller and further off
        let err = |b: &DynamicImage| {
            let (a, b) = (img.to_rgb8(), b.to_rgb8());
            a.as_raw()
                .iter()
                .zip(b.as_raw())
                .map(|(p, q)| f64::from(p.abs_diff(*q)))
                .sum::<f64>()
                / a.as_raw().len() as f64
        };
        // as close as the `image` crate's encoder at quality 95 (imgedit's output before)
        let mut before = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut before, 95)
            .encode_image(&img)
            .unwrap();
        let before = image::load_from_memory(&before).unwrap();
        assert!(
            err(&back.image) <= err(&before) * 1.05,
            "{} vs {} before",
            err(&back.image),
            err(&before)
        );
        let low = EncodeOptions {
            jpeg_quality: Some(30),
            ..EncodeOptions::default()
        };
        let small = encode_with(&img, ImageFormat::Jpeg, &low).unwrap();
        assert!(small.len() < bytes.len() - icc.len());
        let small = decode_bytes(&small, "low.jpg", &DecodeLimits::default()).unwrap();
        assert!(small.metadata.icc_profile.is_none());
        assert!(err(&small.image) > err(&back.image));
        // the PNG path carries the profile too
        let png = encode_with(&img, ImageFormat::Png, &opts).unwrap();
        let png = decode_bytes(&png, "out.png", &DecodeLimits::default()).unwrap();
        assert_eq!(png.metadata.icc_profile.as_deref(), Some(&icc[..]));
        assert_eq!(png.image.to_rgb8(), img.to_rgb8());
    }

    #[test]
    fn jpeg_output_keeps_the_exif_orientation_and_shows_the_same_picture() {
        // not square, so a wrong turn shows in the size too
        let upright = image::RgbImage::from_fn(48, 32, |x, y| {
            image::Rgb([(x * 5) as u8, (y * 7) as u8, if x < 24 { 40 } else { 220 }])
        });
        let img = DynamicImage::ImageRgb8(upright.clone());
        for o in 1..=8u8 {
            let opts = EncodeOptions::keeping(Metadata {
                exif_orientation: Some(o),
                ..Metadata::default()
            });
            let bytes = encode_with(&img, ImageFormat::Jpeg, &opts).unwrap();
            let back = decode_bytes(&bytes, "out.jpg", &DecodeLimits::default()).unwrap();
            // 1 (upright) is written with no tag, as read
            let tag = (o != 1).then_some(o);
            assert_eq!(back.metadata.exif_orientation, tag, "orientation {o}");
            let back = back.image.to_rgb8();
            assert_eq!(back.dimensions(), upright.dimensions(), "orientation {o}");
            let worst = back
                .as_raw()
                .iter()
                .zip(upright.as_raw())
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap();
            assert!(worst <= 24, "orientation {o}: off by {worst}");
            // the pixels are stored turned: for 5..=8 the stored frame is 32x48
            let raw = image::load_from_memory_with_format(&bytes, ImageFormat::Jpeg).unwrap();
            let stored = (raw.width(), raw.height());
            let turned = if o >= 5 { (32, 48) } else { (48, 32) };
            assert_eq!(stored, turned, "orientation {o}");
        }
        // PNG outputs stay upright with no tag
        let opts = EncodeOptions::keeping(Metadata {
            exif_orientation: Some(6),
            ..Metadata::default()
        });
        let png = encode_with(&img, ImageFormat::Png, &opts).unwrap();
        let png = decode_bytes(&png, "out.png", &DecodeLimits::default()).unwrap();
        assert_eq!(png.metadata.exif_orientation, None);
        assert_eq!(png.image.to_rgb8(), upright);
    }

    /// A JPEG of `img` with `exif` (a TIFF block) in an APP1 segment after SOI.
    fn jpeg_with_exif(img: &image::RgbImage, exif: &[u8]) -> Vec<u8> {
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 95)
            .encode_image(img)
            .unwrap();
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((exif.len() + 8) as u16).to_be_bytes());
        out.extend_from_slice(b"Exif\0\0");
        out.extend_from_slice(exif);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn outputs_keep_every_exif_field_but_the_thumbnail() {
        use crate::image_io::exif::tests::block;
        let limits = DecodeLimits::default();
        // stored 40x24 with orientation 6: shown 24x40
        let stored =
            image::RgbImage::from_fn(40, 24, |x, y| image::Rgb([x as u8 * 6, y as u8 * 9, 80]));
        for le in [true, false] {
            let (exif, thumb) = block(le);
            let input = jpeg_with_exif(&stored, &exif);
            let d = decode_bytes(&input, "in.jpg", &limits).unwrap();
            assert!(d.notes.is_empty(), "{:?}", d.notes);
            assert_eq!(d.metadata.exif_orientation, Some(6));
            let kept = d.metadata.exif.clone().unwrap();
            assert_eq!(crate::image_io::exif::next_ifd(&kept), Some(0));
            assert_eq!((d.image.width(), d.image.height()), (24, 40));
            let opts = EncodeOptions::keeping(d.metadata.clone());
            // JPEG: the block as it was (thumbnail gone), orientation 6, pixels stored 40x24
            let jpeg = encode_with(&d.image, ImageFormat::Jpeg, &opts).unwrap();
            let mut dec = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&jpeg)).unwrap();
            let back = dec.exif_metadata().unwrap().unwrap();
            assert_eq!(crate::image_io::exif::orientation(&back), Some(6));
            assert_eq!(crate::image_io::exif::next_ifd(&back), Some(0));
            assert!(back.windows(6).any(|w| w == b"Canon\0"), "Make kept");
            assert_eq!(back.len(), exif.len());
            assert!(
                back[thumb.clone()].iter().all(|&b| b == 0),
                "thumbnail gone"
            );
            assert_eq!(dec.dimensions(), (40, 24));
            // PNG: upright, the same fields with orientation 1
            let png = encode_with(&d.image, ImageFormat::Png, &opts).unwrap();
            let mut dec = image::codecs::png::PngDecoder::new(Cursor::new(&png)).unwrap();
            let back = dec.exif_metadata().unwrap().unwrap();
            assert_eq!(crate::image_io::exif::orientation(&back), Some(1));
            assert!(back.windows(6).any(|w| w == b"Canon\0"), "Make kept");
            let again = decode_bytes(&png, "out.png", &limits).unwrap();
            assert_eq!(again.metadata.exif_orientation, None);
            assert_eq!((again.image.width(), again.image.height()), (24, 40));
            // and a PNG input's eXIf goes on into a JPEG output, turned back
            let jpeg = encode_with(
                &again.image,
                ImageFormat::Jpeg,
                &EncodeOptions::keeping(again.metadata),
            )
            .unwrap();
            let mut dec = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&jpeg)).unwrap();
            let back = dec.exif_metadata().unwrap().unwrap();
            assert_eq!(crate::image_io::exif::orientation(&back), Some(1));
            assert!(back.windows(6).any(|w| w == b"Canon\0"));
        }
        // a truncated block: a note, no EXIF fields, but the orientation the decoder read
        let (exif, _) = block(false);
        let d = decode_bytes(&jpeg_with_exif(&stored, &exif[..100]), "cut.jpg", &limits).unwrap();
        assert!(d.metadata.exif.is_none());
        assert!(
            d.notes
                .iter()
                .any(|n| n.starts_with("cut.jpg: its EXIF block") && n.contains("second IFD")),
            "{:?}",
            d.notes
        );
        assert_eq!(d.metadata.exif_orientation, Some(6));
        let jpeg = encode_with(
            &d.image,
            ImageFormat::Jpeg,
            &EncodeOptions::keeping(d.metadata),
        )
        .unwrap();
        let back = decode_bytes(&jpeg, "out.jpg", &limits).unwrap();
        assert_eq!(back.metadata.exif_orientation, Some(6));
        assert!(!jpeg.windows(5).any(|w| w == b"Canon"));
    }

    #[test]
    fn a_jpeg_quality_out_of_range_is_refused() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::new(8, 8));
        for q in [0, 101] {
            let opts = EncodeOptions {
                jpeg_quality: Some(q),
                ..EncodeOptions::default()
            };
            let e = encode_with(&img, ImageFormat::Jpeg, &opts)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("JPEG quality") && e.contains(&q.to_string()),
                "{e}"
            );
        }
    }

    #[test]
    fn flatten_composites_over_white() {
        let mut rgba = image::RgbaImage::new(1, 1);
        rgba.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        let rgb = flatten(&DynamicImage::ImageRgba8(rgba));
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
    }

    #[test]
    fn atomic_write_never_clobbers_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bin");
        write_atomic(&p, b"one", false).unwrap();
        assert!(matches!(
            write_atomic(&p, b"two", false),
            Err(Error::OutputExists(_))
        ));
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two", true).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        // no temporary files are left behind
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
