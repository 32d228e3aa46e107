//! Baseline JPEG encoding on every core: the image is cut into strips of whole MCU rows,
//! each strip is encoded on its own (`jpeg-encoder`, SIMD), and the strips are joined with
//! restart markers.
//!
//! A restart marker resets the DC predictions and byte-aligns the entropy-coded data, so a
//! strip encoded alone is exactly the stretch between two markers of the whole image encoded
//! with that restart interval. The joined file is byte for byte what `jpeg-encoder` writes for
//! the whole image with `set_restart_interval(strip MCUs)`: the strip size is fixed, never
//! taken from the thread count, so the bytes do not depend on it either.

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use rayon::prelude::*;

/// Rows of pixels a strip aims at: 12 strips for a 12 MP photo, 24 for 48 MP.
const STRIP_ROWS: usize = 256;

/// A JPEG's chroma subsampling: luma samples per chroma sample across (`h`) and down (`v`),
/// each 1 or 2 (4:4:4 is 1x1, 4:2:2 is 2x1, 4:2:0 is 2x2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChromaSampling {
    pub h: u8,
    pub v: u8,
}

impl ChromaSampling {
    fn factor(self) -> Option<SamplingFactor> {
        match (self.h, self.v) {
            (1, 1) => Some(SamplingFactor::F_1_1),
            (2, 1) => Some(SamplingFactor::F_2_1),
            (1, 2) => Some(SamplingFactor::F_1_2),
            (2, 2) => Some(SamplingFactor::F_2_2),
            _ => None,
        }
    }
}

/// The chroma subsampling of a baseline or progressive colour JPEG (three components, the two
/// chroma ones at 1x1, luma at 1 or 2 each way: what cameras and encoders write). `None` for
/// anything else: greyscale, CMYK, other layouts, or bytes that are not such a JPEG.
pub fn sampling_of(jpeg: &[u8]) -> Option<ChromaSampling> {
    // SOF0, SOF1, SOF2: length, precision, height, width, components, then 3 bytes each
    let (_, pos, next) = header_segments(jpeg).find(|&(m, ..)| (0xC0..=0xC2).contains(&m))?;
    let sof = jpeg.get(pos + 4..next)?;
    let (&n, comps) = sof.get(5..)?.split_first()?;
    if n != 3 || comps.len() < 9 {
        return None;
    }
    let f = |i: usize| (comps[i * 3 + 1] >> 4, comps[i * 3 + 1] & 15);
    let ((h, v), chroma) = (f(0), [f(1), f(2)]);
    let s = ChromaSampling { h, v };
    (chroma == [(1, 1); 2] && s.factor().is_some()).then_some(s)
}

/// What to write besides the pixels.
#[derive(Default)]
pub struct Extras<'a> {
    /// An APP1 (EXIF) segment's body.
    pub app1: Option<Vec<u8>>,
    /// An ICC profile.
    pub icc: Option<&'a [u8]>,
}

/// Encodes `rgb` (`w x h`, 3 bytes a pixel) at `quality` (1-100) with the chroma `sampling`
/// given, or without one 4:4:4 at 90 and above and 4:2:0 below (`jpeg-encoder`'s own choice,
/// made here because strips follow MCU rows).
pub fn encode_rgb(
    rgb: &[u8],
    w: u16,
    h: u16,
    quality: u8,
    sampling: Option<ChromaSampling>,
    extras: Extras,
) -> Result<Vec<u8>, String> {
    let s = sampling
        .filter(|s| s.factor().is_some())
        .unwrap_or_else(|| sampling_for(quality));
    let sampling = s.factor().unwrap_or(SamplingFactor::F_1_1);
    let (mcu_w, mcu_h) = (8 * usize::from(s.h), 8 * usize::from(s.v));
    let mcus_a_row = usize::from(w).div_ceil(mcu_w).max(1);
    // MCU rows a strip: the restart interval (MCUs) must fit 16 bits
    let k = (STRIP_ROWS / mcu_h)
        .min(usize::from(u16::MAX) / mcus_a_row)
        .max(1);
    let strip = k * mcu_h;
    let row_bytes = usize::from(w) * 3;
    let needed = row_bytes * usize::from(h);
    if rgb.len() < needed {
        return Err(format!(
            "{} bytes of pixels for {w}x{h} RGB, which needs {needed}",
            rgb.len()
        ));
    }
    // rows y0..y1 alone, with the extras (the first strip) or without
    let encode = |(y0, y1): (usize, usize), extras: Option<&Extras>| {
        // about 1.5 bits a pixel at quality 95: one allocation for most photos
        let mut out = Vec::with_capacity((y1 - y0) * row_bytes / 5);
        let mut enc = Encoder::new(&mut out, quality);
        enc.set_sampling_factor(sampling);
        if let Some(x) = extras {
            if let Some(app1) = &x.app1 {
                enc.add_app_segment(1, app1.clone())?;
            }
            if let Some(icc) = x.icc {
                enc.add_icc_profile(icc)?;
            }
        }
        let data = &rgb[y0 * row_bytes..y1 * row_bytes];
        enc.encode(data, w, (y1 - y0) as u16, ColorType::Rgb)?;
        Ok::<_, jpeg_encoder::EncodingError>(out)
    };
    let strips: Vec<(usize, usize)> = (0..usize::from(h))
        .step_by(strip)
        .map(|y| (y, (y + strip).min(usize::from(h))))
        .collect();
    if strips.len() < 2 {
        return encode((0, usize::from(h)), Some(&extras)).map_err(|e| e.to_string());
    }
    let parts = strips
        .par_iter()
        .enumerate()
        .map(|(i, &s)| encode(s, (i == 0).then_some(&extras)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let interval = (k * mcus_a_row) as u16;
    join(&parts, h, interval).ok_or_else(|| "a strip is not a baseline JPEG".to_string())
}

/// The subsampling `jpeg-encoder` picks for `quality`.
fn sampling_for(quality: u8) -> ChromaSampling {
    if quality < 90 {
        ChromaSampling { h: 2, v: 2 }
    } else {
        ChromaSampling { h: 1, v: 1 }
    }
}

/// Joins strips (whole JPEG files, the first with the wanted header) into one image `h` rows
/// high with a restart marker every `interval` MCUs. `None` when a strip is not a baseline
/// JPEG as `jpeg-encoder` writes them.
fn join(parts: &[Vec<u8>], h: u16, interval: u16) -> Option<Vec<u8>> {
    let first = parts.first()?;
    let (sof, sos, _) = segments(first)?;
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum::<usize>() + 8 * parts.len());
    out.extend_from_slice(&first[..sos]);
    // the frame's height: the whole image's (SOF: marker, length, precision, then height)
    out.get_mut(sof + 5..sof + 7)?
        .copy_from_slice(&h.to_be_bytes());
    out.extend_from_slice(&[0xFF, 0xDD, 0, 4]);
    out.extend_from_slice(&interval.to_be_bytes());
    for (i, part) in parts.iter().enumerate() {
        let (_, sos, data) = segments(part)?;
        if i == 0 {
            out.extend_from_slice(&part[sos..data]);
        } else {
            // restart markers RST0-RST7, in turn
            out.extend_from_slice(&[0xFF, 0xD0 + ((i - 1) % 8) as u8]);
        }
        // the entropy-coded data, up to the closing EOI
        let end = part.len().checked_sub(2)?;
        (part.get(end..)? == [0xFF, 0xD9]).then_some(())?;
        out.extend_from_slice(part.get(data..end)?);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    Some(out)
}

/// Offsets in a baseline JPEG of its SOF0 marker, its SOS marker and the first byte after the
/// SOS header (the entropy-coded data).
fn segments(jpeg: &[u8]) -> Option<(usize, usize, usize)> {
    let mut sof = None;
    for (marker, pos, next) in header_segments(jpeg) {
        match marker {
            0xC0 => sof = Some(pos),
            0xDA => return Some((sof?, pos, next)),
            _ => {}
        }
    }
    None
}

/// The segments of a JPEG's header, after its SOI marker, up to and with its SOS: each as its
/// marker, its offset and the offset after it. Ends early at anything that is not a segment (no
/// JPEG, a truncated one).
fn header_segments(jpeg: &[u8]) -> impl Iterator<Item = (u8, usize, usize)> + '_ {
    let mut pos = (jpeg.get(..2) == Some(&[0xFF, 0xD8][..])).then_some(2);
    std::iter::from_fn(move || {
        let p = pos.take()?;
        let [0xFF, marker, hi, lo] = *jpeg.get(p..p + 4)? else {
            return None;
        };
        let next = p + 2 + usize::from(u16::from_be_bytes([hi, lo]));
        pos = (marker != 0xDA).then_some(next);
        Some((marker, p, next))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn photo(w: usize, h: usize) -> Vec<u8> {
        // smooth gradients with some texture, so every strip has real AC data
        (0..w * h * 3)
            .map(|i| {
                let (p, c) = (i / 3, i % 3);
                let (x, y) = (p % w, p / w);
                ((x * (c + 1) + y * 2 + (x * y) % 7 * 9) % 256) as u8
            })
            .collect()
    }

    /// The joined strips are the bytes `jpeg-encoder` writes for the whole image with the same
    /// restart interval: at the quality's own subsampling and at each one given (MCUs 8 or 16
    /// wide and high), with a partial last MCU row, with extras, and with more strips than the
    /// eight restart markers; the file says the subsampling it was written with.
    #[test]
    fn strips_join_to_the_whole_encode_with_restarts() {
        let s = |h, v| Some(ChromaSampling { h, v });
        for (w, h, q, given) in [
            (300usize, 1000usize, 95u8, None),
            (333, 777, 80, None),
            (40, 530, 90, None),
            (24, 2600, 95, None),
            (333, 777, 95, s(2, 2)),
            (301, 1000, 95, s(2, 1)),
            (77, 1500, 95, s(1, 2)),
            (300, 1000, 80, s(1, 1)),
        ] {
            let rgb = photo(w, h);
            let icc = [7u8; 40];
            let extras = || Extras {
                app1: Some(b"Exif\0\0MM\0*\0\0\0\x08\0\0".to_vec()),
                icc: Some(&icc),
            };
            let joined = encode_rgb(&rgb, w as u16, h as u16, q, given, extras()).unwrap();
            let want = given.unwrap_or(sampling_for(q));
            assert_eq!(sampling_of(&joined), Some(want), "{w}x{h} q{q}");
            let (mcu_w, mcu_h) = (8 * usize::from(want.h), 8 * usize::from(want.v));
            let interval = (STRIP_ROWS / mcu_h * w.div_ceil(mcu_w)) as u16;
            let mut whole = Vec::new();
            let mut enc = Encoder::new(&mut whole, q);
            enc.set_sampling_factor(want.factor().unwrap());
            enc.set_restart_interval(interval);
            enc.add_app_segment(1, extras().app1.unwrap()).unwrap();
            enc.add_icc_profile(&icc).unwrap();
            enc.encode(&rgb, w as u16, h as u16, ColorType::Rgb)
                .unwrap();
            assert_eq!(joined.len(), whole.len(), "{w}x{h} q{q}");
            assert!(joined == whole, "{w}x{h} q{q}: the bytes differ");
            let back = image::load_from_memory(&joined).unwrap().to_rgb8();
            assert_eq!(back.dimensions(), (w as u32, h as u32));
        }
    }

    /// Only colour JPEGs with 1x1 chroma and luma at 1 or 2 each way have a sampling to keep.
    #[test]
    fn the_sampling_of_a_jpeg_is_read_from_its_frame_header() {
        let rgb = photo(40, 40);
        let mut grey = Vec::new();
        Encoder::new(&mut grey, 90)
            .encode(&rgb[..1600], 40, 40, ColorType::Luma)
            .unwrap();
        assert_eq!(sampling_of(&grey), None);
        let mut odd = Vec::new();
        let mut enc = Encoder::new(&mut odd, 90);
        enc.set_sampling_factor(SamplingFactor::F_4_1);
        enc.encode(&rgb, 40, 40, ColorType::Rgb).unwrap();
        assert_eq!(sampling_of(&odd), None);
        let mut png = Vec::new();
        image::RgbImage::from_raw(40, 40, rgb)
            .unwrap()
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(sampling_of(&png), None);
        let mut plain = Vec::new();
        Encoder::new(&mut plain, 80)
            .encode(&photo(40, 40), 40, 40, ColorType::Rgb)
            .unwrap();
        assert_eq!(sampling_of(&plain), Some(ChromaSampling { h: 2, v: 2 }));
        // cut anywhere: no panic, and nothing before the frame header
        for n in 0..plain.len().min(400) {
            let got = sampling_of(&plain[..n]);
            assert!(got.is_none() || got == sampling_of(&plain), "{n}");
        }
    }

    #[test]
    fn one_strip_is_a_plain_encode() {
        let rgb = photo(64, 100);
        let got = encode_rgb(&rgb, 64, 100, 95, None, Extras::default()).unwrap();
        let mut plain = Vec::new();
        Encoder::new(&mut plain, 95)
            .encode(&rgb, 64, 100, ColorType::Rgb)
            .unwrap();
        assert!(got == plain);
    }

    #[test]
    fn short_pixel_data_is_an_error_not_a_panic() {
        let rgb = photo(64, 600);
        let e = encode_rgb(&rgb[..1000], 64, 600, 95, None, Extras::default()).unwrap_err();
        assert_eq!(e, "1000 bytes of pixels for 64x600 RGB, which needs 115200");
    }
}
