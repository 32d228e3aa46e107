//! Mask polarity for each model family: the only place where imgedit's convention (255 = may
//! change) meets the models'. Titan and Nova: black = inside the mask; INPAINTING regenerates the
//! inside, OUTPAINTING keeps it. Stability: white = edit. Masks go out as pure black/white RGB.

use image::{GrayImage, Rgb, RgbImage};

use crate::edit::model::Family;

const BLACK: Rgb<u8> = Rgb([0, 0, 0]);
const WHITE: Rgb<u8> = Rgb([255, 255, 255]);

/// Which task a Titan/Nova mask is for; on the wire, Titan's `taskType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TitanTask {
    Inpainting,
    Outpainting,
}

/// Converts imgedit's mask to the mask image `family` expects. Titan and Nova take pure black and
/// white (any value > 0 = generate); Stability reads grey as partial strength, so its masks keep
/// imgedit's values (a hard mask stays hard).
pub fn to_model(family: Family, task: TitanTask, mask: &GrayImage) -> RgbImage {
    let generate = |v: u8| v > 0;
    RgbImage::from_fn(mask.width(), mask.height(), |x, y| {
        let v = mask.get_pixel(x, y).0[0];
        let g = generate(v);
        match family {
            // Titan/Nova: the "inside" is black. Inpainting: inside = generate. Outpainting:
            // inside = keep, so the generated border is white.
            Family::Titan | Family::NovaCanvas => match (task, g) {
                (TitanTask::Inpainting, true) | (TitanTask::Outpainting, false) => BLACK,
                _ => WHITE,
            },
            // Stability (and anything else): white = edit, grey = partial strength.
            _ => Rgb([v, v, v]),
        }
    })
}

/// Converts a model-polarity mask back to imgedit's (255 = generate); used by the
/// Bedrock-compatible endpoint. Threshold at 128 like the browser client.
pub fn from_model(family: Family, task: TitanTask, mask: &image::DynamicImage) -> GrayImage {
    let luma = mask.to_luma8();
    GrayImage::from_fn(luma.width(), luma.height(), |x, y| {
        let white = luma.get_pixel(x, y).0[0] >= 128;
        let generate = match family {
            Family::Titan | Family::NovaCanvas => match task {
                TitanTask::Inpainting => !white,
                TitanTask::Outpainting => white,
            },
            _ => white,
        };
        image::Luma([if generate { 255 } else { 0 }])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2x1 mask: left pixel "generate", right pixel "keep".
    fn mask() -> GrayImage {
        GrayImage::from_raw(2, 1, vec![255, 0]).unwrap()
    }

    fn px(img: &RgbImage) -> [[u8; 3]; 2] {
        [img.get_pixel(0, 0).0, img.get_pixel(1, 0).0]
    }

    const B: [u8; 3] = [0, 0, 0];
    const W: [u8; 3] = [255, 255, 255];

    #[test]
    fn titan_and_nova_inpainting_paint_the_area_to_change_black() {
        for f in [Family::Titan, Family::NovaCanvas] {
            assert_eq!(
                px(&to_model(f, TitanTask::Inpainting, &mask())),
                [B, W],
                "{f:?}"
            );
        }
    }

    #[test]
    fn titan_and_nova_outpainting_keep_the_black_inside() {
        for f in [Family::Titan, Family::NovaCanvas] {
            assert_eq!(
                px(&to_model(f, TitanTask::Outpainting, &mask())),
                [W, B],
                "{f:?}"
            );
        }
    }

    #[test]
    fn stability_paints_the_area_to_change_white() {
        for f in [
            Family::StabilityInpaint,
            Family::StabilityErase,
            Family::StabilityOutpaint,
            Family::StabilitySearchReplace,
        ] {
            for task in [TitanTask::Inpainting, TitanTask::Outpainting] {
                assert_eq!(px(&to_model(f, task, &mask())), [W, B], "{f:?}");
            }
        }
    }

    #[test]
    fn feathered_values_count_as_generate_and_round_trip() {
        let soft = GrayImage::from_raw(3, 1, vec![255, 40, 0]).unwrap();
        for f in [Family::Titan, Family::NovaCanvas] {
            for task in [TitanTask::Inpainting, TitanTask::Outpainting] {
                let sent = to_model(f, task, &soft);
                assert!(
                    sent.pixels().all(|p| p.0 == B || p.0 == W),
                    "pure black/white"
                );
                let back = from_model(f, task, &image::DynamicImage::ImageRgb8(sent));
                assert_eq!(back.as_raw(), &[255, 255, 0], "{f:?} {task:?}");
            }
        }
    }

    #[test]
    fn stability_keeps_grey_as_strength_and_hard_masks_hard() {
        let soft = GrayImage::from_raw(3, 1, vec![255, 40, 0]).unwrap();
        let sent = to_model(Family::StabilityInpaint, TitanTask::Inpainting, &soft);
        let row: Vec<[u8; 3]> = sent.pixels().map(|p| p.0).collect();
        assert_eq!(row, vec![W, [40, 40, 40], B]);
        let sent = to_model(Family::StabilityErase, TitanTask::Inpainting, &mask());
        assert_eq!(px(&sent), [W, B]);
    }
}
