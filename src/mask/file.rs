//! Mask files: loading with polarity detection, fitting, and saving.

use std::path::Path;

use image::{DynamicImage, GrayImage};

use super::Mask;
use crate::error::Result;
use crate::image_io::{self, DecodeLimits};
use crate::input_err;

/// Converts a decoded mask image to a [`Mask`]: with a non-opaque alpha channel its transparent
/// pixels (alpha < 128) are selected; otherwise pixels with luminance >= 128 are selected.
pub fn mask_from_image(img: &DynamicImage) -> Mask {
    if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        if rgba.pixels().any(|p| p[3] < 255) {
            let (w, h) = rgba.dimensions();
            let raw = rgba
                .pixels()
                .map(|p| if p[3] < 128 { 255 } else { 0 })
                .collect();
            return Mask(GrayImage::from_raw(w, h, raw).unwrap_or_else(|| GrayImage::new(w, h)));
        }
    }
    let mut luma = img.to_luma8();
    for v in luma.iter_mut() {
        *v = if *v >= 128 { 255 } else { 0 };
    }
    Mask(luma)
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
    let bytes = crate::files::read_bounded(path, limits.read_limit())?;
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
    let decoded = image_io::decode_bytes(bytes, name, limits)?;
    let img = decoded.image;
    let (mw, mh) = (img.width(), img.height());
    let img = if (mw, mh) != (width, height) {
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
        img.resize_exact(width, height, image::imageops::FilterType::Triangle)
    } else {
        img
    };
    Ok(mask_from_image(&img))
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

    #[test]
    fn white_selects_black_keeps() {
        let mut img = RgbImage::new(3, 1);
        img.put_pixel(0, 0, Rgb([255, 255, 255]));
        img.put_pixel(1, 0, Rgb([127, 127, 127]));
        img.put_pixel(2, 0, Rgb([128, 128, 128]));
        let m = mask_from_image(&DynamicImage::ImageRgb8(img));
        assert_eq!(m.as_raw(), &[255, 0, 255]);
    }

    #[test]
    fn transparent_alpha_selects_regardless_of_colour() {
        let mut img = RgbaImage::new(3, 1);
        img.put_pixel(0, 0, Rgba([0, 0, 0, 0])); // transparent black: selected
        img.put_pixel(1, 0, Rgba([255, 255, 255, 255])); // opaque white: kept
        img.put_pixel(2, 0, Rgba([255, 255, 255, 100]));
        let m = mask_from_image(&DynamicImage::ImageRgba8(img));
        assert_eq!(m.as_raw(), &[255, 0, 255]);
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
