//! Mask files: loading with polarity detection, fitting, and saving.

use std::path::Path;

use image::{DynamicImage, GrayImage};

use super::Mask;
use crate::error::Result;
use crate::error::input_err;
use crate::image_io::{self, DecodeLimits};

/// Strengths this close to 0 or 255 are noise (a JPEG mask's ringing, a soft brush's long tail),
/// not partial strength: they snap to 0 or 255, so that a hard mask stays hard.
const SNAP: u8 = 16;

/// Converts a decoded mask image to a [`Mask`], keeping grey levels as partial strength: with a
/// non-opaque alpha channel the strength is the transparency (255 - alpha), otherwise the
/// luminance; values within [`SNAP`] of 0 or 255 snap there. The pixels at half strength or more
/// are exactly those with alpha < 128 (or luminance >= 128).
pub fn mask_from_image(img: &DynamicImage) -> Mask {
    Mask(strength(img))
}

fn strength(img: &DynamicImage) -> GrayImage {
    let snap = |v: u8| match v {
        v if v < SNAP => 0,
        v if v > 255 - SNAP => 255,
        v => v,
    };
    // greyscale (most masks): the values as they are, no conversion
    match img {
        DynamicImage::ImageLuma8(l) => {
            let mut luma = l.clone();
            luma.iter_mut().for_each(|v| *v = snap(*v));
            return luma;
        }
        DynamicImage::ImageLumaA8(la) => {
            // the transparency where any pixel is not opaque, else the luminance, as below
            let transparent = la.pixels().any(|p| p[1] < 255);
            let (w, h) = la.dimensions();
            let raw = la
                .pixels()
                .map(|p| snap(if transparent { 255 - p[1] } else { p[0] }))
                .collect();
            return GrayImage::from_raw(w, h, raw).unwrap_or_else(|| GrayImage::new(w, h));
        }
        _ => {}
    }
    if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        if rgba.pixels().any(|p| p[3] < 255) {
            let (w, h) = rgba.dimensions();
            let raw = rgba.pixels().map(|p| snap(255 - p[3])).collect();
            return GrayImage::from_raw(w, h, raw).unwrap_or_else(|| GrayImage::new(w, h));
        }
    }
    let mut luma = img.to_luma8();
    for v in luma.iter_mut() {
        *v = snap(*v);
    }
    luma
}

/// Whether a mask has only "change" and "keep" pixels, no partial strength.
pub fn is_hard(mask: &GrayImage) -> bool {
    mask.iter().all(|&v| v == 0 || v == 255)
}

/// Loads a mask file and checks it against the image size; `fit` scales a mask of another size.
pub fn load_mask_file(
    path: &Path,
    image_name: &str,
    width: u32,
    height: u32,
    fit: bool,
    limits: &DecodeLimits,
) -> Result<Mask> {
    let bytes = crate::image_io::files::read_bounded(path, limits.read_limit())?;
    let name = path.display().to_string();
    load_mask_bytes(&bytes, &name, image_name, width, height, fit, limits)
}

/// [`load_mask_file`] on the file's bytes; `name` is how errors refer to the mask.
pub fn load_mask_bytes(
    bytes: &[u8],
    name: &str,
    image_name: &str,
    width: u32,
    height: u32,
    fit: bool,
    limits: &DecodeLimits,
) -> Result<Mask> {
    let decoded = image_io::decode_bytes_grey(bytes, name, limits)?;
    let img = strength(&decoded.image);
    let (mw, mh) = (img.width(), img.height());
    if (mw, mh) != (width, height) {
        if !fit {
            return Err(input_err!(
                "{name} is {mw}x{mh} but {image_name} is {width}x{height} (use --fit-mask to scale the mask)"
            ));
        }
        // Scaling first resamples the columns into a mask-wide, image-high buffer of four f32 per
        // pixel: a long thin mask would otherwise ask for terabytes.
        let scratch = u64::from(mw) * u64::from(height) * 16;
        if scratch > limits.max_alloc_bytes {
            return Err(input_err!(
                "{name}: fitting the {mw}x{mh} mask to {width}x{height} would need {scratch} bytes, over the limit of {} bytes (raise limits.max_alloc_bytes in the config to allow it)",
                limits.max_alloc_bytes
            ));
        }
        let mut fitted =
            image::imageops::resize(&img, width, height, image::imageops::FilterType::Triangle);
        if is_hard(&img) {
            // scaling blurs the edge; a hard mask stays hard
            for v in fitted.iter_mut() {
                *v = if *v >= 128 { 255 } else { 0 };
            }
        }
        return Ok(Mask(fitted));
    }
    Ok(Mask(img))
}

/// Writes the mask as a greyscale PNG, white = change.
pub fn save_mask(mask: &Mask, path: &Path, force: bool) -> Result<()> {
    let bytes = image_io::encode(
        &DynamicImage::ImageLuma8(mask.0.clone()),
        image::ImageFormat::Png,
    )?;
    image_io::write_atomic(path, &bytes, force)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    /// A greyscale mask (kept greyscale by the decoder) gives the strengths its RGB(A) copy
    /// gives, for every value, with and without transparency; as a PNG file too, 16-bit included.
    #[test]
    fn greyscale_masks_read_as_their_rgb_copies() {
        use image::{GrayAlphaImage, LumaA};
        let all: Vec<u8> = (0..=255).collect();
        let grey = DynamicImage::ImageLuma8(GrayImage::from_raw(256, 1, all.clone()).unwrap());
        assert_eq!(strength(&grey), strength(&grey_row(&all)));
        for alpha in [255u8, 0, 77] {
            let la =
                GrayAlphaImage::from_fn(256, 1, |x, _| LumaA([x as u8, alpha.max(x as u8 / 2)]));
            let rgba = RgbaImage::from_fn(256, 1, |x, _| {
                let p = la.get_pixel(x, 0);
                Rgba([p[0], p[0], p[0], p[1]])
            });
            let (a, b) = (
                DynamicImage::ImageLumaA8(la),
                DynamicImage::ImageRgba8(rgba),
            );
            assert_eq!(strength(&a), strength(&b), "alpha {alpha}");
        }
        let wide = image::ImageBuffer::<image::Luma<u16>, Vec<u16>>::from_fn(256, 1, |x, _| {
            image::Luma([x as u16 * 257])
        });
        let mut png = Vec::new();
        DynamicImage::ImageLuma16(wide)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let limits = DecodeLimits::default();
        let m = load_mask_bytes(&png, "m.png", "i.png", 256, 1, false, &limits).unwrap();
        assert_eq!(m.0, strength(&grey));
    }

    fn grey_row(values: &[u8]) -> DynamicImage {
        let mut img = RgbImage::new(values.len() as u32, 1);
        for (x, &v) in values.iter().enumerate() {
            img.put_pixel(x as u32, 0, Rgb([v, v, v]));
        }
        DynamicImage::ImageRgb8(img)
    }

    #[test]
    fn white_selects_black_keeps_grey_is_partial_strength() {
        let m = mask_from_image(&grey_row(&[255, 0, 127, 128, 64]));
        assert_eq!(m.as_raw(), &[255, 0, 127, 128, 64]);
        // a hard mask stays hard
        let m = mask_from_image(&grey_row(&[255, 0, 0, 255]));
        assert_eq!(m.as_raw(), &[255, 0, 0, 255]);
        // near-black and near-white are noise (a JPEG's ringing), not strength
        let m = mask_from_image(&grey_row(&[3, 15, 16, 239, 240, 252]));
        assert_eq!(m.as_raw(), &[0, 0, 16, 239, 255, 255]);
    }

    #[test]
    fn half_strength_or_more_is_what_the_old_threshold_selected() {
        let all: Vec<u8> = (0..=255).collect();
        let m = mask_from_image(&grey_row(&all));
        for (v, &s) in all.iter().zip(m.as_raw()) {
            assert_eq!(s >= 128, *v >= 128, "luminance {v}");
        }
        let mut img = RgbaImage::new(256, 1);
        for a in 0..=255u8 {
            img.put_pixel(u32::from(a), 0, Rgba([0, 0, 0, a]));
        }
        let m = mask_from_image(&DynamicImage::ImageRgba8(img));
        for (a, &s) in all.iter().zip(m.as_raw()) {
            assert_eq!(s >= 128, *a < 128, "alpha {a}");
        }
    }

    #[test]
    fn transparency_is_strength_regardless_of_colour() {
        let mut img = RgbaImage::new(4, 1);
        img.put_pixel(0, 0, Rgba([0, 0, 0, 0])); // transparent black: selected
        img.put_pixel(1, 0, Rgba([255, 255, 255, 255])); // opaque white: kept
        img.put_pixel(2, 0, Rgba([255, 255, 255, 100])); // partly transparent: partial
        img.put_pixel(3, 0, Rgba([0, 0, 0, 250])); // all but opaque: kept
        let m = mask_from_image(&DynamicImage::ImageRgba8(img));
        assert_eq!(m.as_raw(), &[255, 0, 155, 0]);
    }

    #[test]
    fn fitting_keeps_a_hard_mask_hard_and_a_soft_one_soft() {
        let hard = GrayImage::from_fn(8, 8, |x, _| image::Luma([if x < 4 { 255 } else { 0 }]));
        let png =
            image_io::encode(&DynamicImage::ImageLuma8(hard), image::ImageFormat::Png).unwrap();
        let lim = DecodeLimits::default();
        let m = load_mask_bytes(&png, "m.png", "i.png", 13, 5, true, &lim).unwrap();
        assert!(is_hard(&m.0));
        assert_eq!(m.0.get_pixel(0, 0).0[0], 255);
        assert_eq!(m.0.get_pixel(12, 4).0[0], 0);
        let soft = GrayImage::from_fn(8, 8, |x, _| image::Luma([x as u8 * 30]));
        let png =
            image_io::encode(&DynamicImage::ImageLuma8(soft), image::ImageFormat::Png).unwrap();
        let m = load_mask_bytes(&png, "m.png", "i.png", 16, 16, true, &lim).unwrap();
        assert!(!is_hard(&m.0));
        assert!(m.0.get_pixel(2, 0).0[0] < m.0.get_pixel(12, 0).0[0]);
    }

    #[test]
    fn fitting_a_long_thin_mask_is_bounded_by_the_alloc_limit() {
        let png = image_io::encode(
            &DynamicImage::ImageLuma8(GrayImage::new(4096, 1)),
            image::ImageFormat::Png,
        )
        .unwrap();
        let limits = DecodeLimits {
            max_alloc_bytes: 1 << 20,
            ..DecodeLimits::default()
        };
        // 4096 x 64 x 16 bytes of scratch: over the limit (the fuzz target ran out of memory on
        // such a mask before the check)
        let e = load_mask_bytes(&png, "m.png", "i.png", 64, 64, true, &limits).unwrap_err();
        assert!(e.to_string().contains("limits.max_alloc_bytes"), "{e}");
        let m = load_mask_bytes(&png, "m.png", "i.png", 64, 8, true, &limits).unwrap();
        assert_eq!((m.width(), m.height()), (64, 8));
    }

    #[test]
    fn opaque_alpha_falls_back_to_luminance() {
        let mut img = RgbaImage::new(2, 1);
        img.put_pixel(0, 0, Rgba([255, 255, 255, 255]));
        img.put_pixel(1, 0, Rgba([0, 0, 0, 255]));
        let m = mask_from_image(&DynamicImage::ImageRgba8(img));
        assert_eq!(m.as_raw(), &[255, 0]);
    }
}
