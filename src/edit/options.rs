//! The settings of an edit, free of any front end: each has one spelling
//! ([`Choice::name`](crate::choice::Choice::name)),
//! which the command line, the config file, the wire formats and the request log all use.

use serde::Serialize;

use crate::choice::choice;

/// What the engine is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Regenerate the selected pixels.
    Inpaint,
    /// Extend the canvas; a thin band of the original may be blended at the seam.
    Outpaint,
    /// Extend the canvas; every original pixel stays untouched.
    PreciseOutpaint,
    /// Remove the selected object (Stability erase-object; the local engine's inpainting).
    Erase,
    /// Replace what the search text names with the prompt (Stability search-and-replace).
    Replace,
    /// Recolour what the select text names as the prompt says (Stability search-and-recolor).
    Recolor,
    /// Cut the subject out: the background becomes transparent (Stability remove-background).
    RemoveBackground,
    /// Enlarge the whole image with an upscaler (Stability fast, conservative or creative).
    Upscale,
    /// A new picture from the image as a sketch and the prompt (Stability control-sketch).
    Sketch,
    /// A new picture keeping the image's structure, as the prompt says (Stability control-structure).
    Structure,
    /// A new picture of the prompt in the image's style (Stability style-guide).
    StyleGuide,
    /// The image restyled in the look of a reference image (Stability style-transfer).
    StyleTransfer,
}

impl Mode {
    /// The name the `/image-edit` API and the request log use.
    pub fn wire_name(self) -> &'static str {
        match self {
            Mode::Inpaint => "INPAINTING",
            Mode::Outpaint => "OUTPAINTING",
            Mode::PreciseOutpaint => "precise-outpaint",
            Mode::Erase => "ERASE",
            Mode::Replace => "REPLACE",
            Mode::Recolor => "RECOLOR",
            Mode::RemoveBackground => "REMOVE_BACKGROUND",
            Mode::Upscale => "UPSCALE",
            Mode::Sketch => "CONTROL_SKETCH",
            Mode::Structure => "CONTROL_STRUCTURE",
            Mode::StyleGuide => "STYLE_GUIDE",
            Mode::StyleTransfer => "STYLE_TRANSFER",
        }
    }

    pub fn is_outpaint(self) -> bool {
        matches!(self, Mode::Outpaint | Mode::PreciseOutpaint)
    }

    /// Whether the result replaces the whole image (a new size, an alpha channel, or a new
    /// picture the tool made) instead of being composited into the source.
    pub fn replaces_image(self) -> bool {
        matches!(self, Mode::RemoveBackground | Mode::Upscale) || self.makes_new_picture()
    }

    /// Whether the tool makes a new picture from the whole image (the control and style tools).
    pub fn makes_new_picture(self) -> bool {
        matches!(
            self,
            Mode::Sketch | Mode::Structure | Mode::StyleGuide | Mode::StyleTransfer
        )
    }

    /// Whether the model finds what to change itself, so no selection is needed.
    pub fn model_selects(self) -> bool {
        matches!(self, Mode::Replace | Mode::Recolor) || self.replaces_image()
    }
}

/// The mode a default model is picked for: `mode`, or what the other inputs imply (a canvas:
/// outpaint; a mask prompt: search-and-replace, the living model that finds a region from text).
pub fn implied_mode(mode: Option<Mode>, mask_prompt: bool, canvas: bool) -> Option<Mode> {
    match mode {
        None | Some(Mode::Inpaint) if mask_prompt => Some(Mode::Replace),
        Some(m) => Some(m),
        None if canvas => Some(Mode::Outpaint),
        None => None,
    }
}

/// Which Stability upscaler the upscale mode uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Upscaler {
    /// 4x, quick; inputs 32..1536 px a side (Stability Fast Upscale).
    #[default]
    Fast,
    /// Up to 4K, keeping every detail (Stability Conservative Upscale).
    Conservative,
    /// Up to 4K from small or degraded images, re-imagining detail (Stability Creative Upscale).
    Creative,
}

/// The image format a Stability tool returns (its `output_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    Png,
    Jpeg,
    Webp,
}

impl OutputFormat {
    /// The format of an output file (`NAME.jpg` and the like).
    pub fn of(format: image::ImageFormat) -> Option<Self> {
        match format {
            image::ImageFormat::Png => Some(OutputFormat::Png),
            image::ImageFormat::Jpeg => Some(OutputFormat::Jpeg),
            image::ImageFormat::WebP => Some(OutputFormat::Webp),
            _ => None,
        }
    }
}

/// Settings only some Bedrock tools take; None = the tool's default (from `ModelSpec`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ToolOptions {
    /// Stability's `output_format` (None = png).
    pub output_format: Option<OutputFormat>,
    /// Stability's `grow_mask` in pixels.
    pub grow_mask: Option<u32>,
    /// Stability's `style_preset` (one of `model::STYLE_PRESETS`).
    pub style_preset: Option<String>,
    /// Stability's `creativity` (outpaint, conservative and creative upscale).
    pub creativity: Option<f32>,
    /// What to recolour, for the recolor mode (Stability's `select_prompt`).
    pub select: Option<String>,
    /// Which upscaler the upscale mode uses.
    pub upscaler: Option<Upscaler>,
    /// The control and style tools' numbers (`--control-strength` ...), each at most once.
    pub knobs: Vec<(Knob, f32)>,
    /// Style Guide's `aspect_ratio` (one of `model::ASPECT_RATIOS`).
    pub aspect_ratio: Option<String>,
    /// Style Transfer's reference image (`--style-image`).
    pub style_image: Option<StyleImage>,
}

impl ToolOptions {
    /// The value asked for `k`, if any.
    pub fn knob(&self, k: Knob) -> Option<f32> {
        self.knobs.iter().find(|(x, _)| *x == k).map(|(_, v)| *v)
    }
}

/// A reference image, decoded within the decode limits: its file name (for messages and the
/// request log) and its pixels.
#[derive(Debug, Clone)]
pub struct StyleImage {
    pub name: String,
    pub image: std::sync::Arc<image::RgbImage>,
}

impl StyleImage {
    /// Reads and decodes `path` within `limits` (the same bounded read as the source image).
    pub fn load(
        path: &std::path::Path,
        limits: &crate::image_io::DecodeLimits,
    ) -> crate::error::Result<Self> {
        let decoded = crate::image_io::load_image(path, limits)?;
        Ok(StyleImage {
            name: path.display().to_string(),
            image: std::sync::Arc::new(decoded.image.to_rgb8()),
        })
    }

    pub fn dimensions(&self) -> (u32, u32) {
        self.image.dimensions()
    }
}

impl PartialEq for StyleImage {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && std::sync::Arc::ptr_eq(&self.image, &other.image)
    }
}

impl Serialize for StyleImage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

/// Image quality for Titan and Nova Canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    #[default]
    Standard,
    Premium,
}

/// Where the original sits on an outpainting canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Anchor {
    #[default]
    Center,
    TopLeft,
    Top,
    TopRight,
    Left,
    Right,
    BottomLeft,
    Bottom,
    BottomRight,
}

choice!(Mode {
    Inpaint => "inpaint",
    Outpaint => "outpaint",
    PreciseOutpaint => "precise-outpaint",
    Erase => "erase",
    Replace => "replace",
    Recolor => "recolor",
    RemoveBackground => "remove-background",
    Upscale => "upscale",
    Sketch => "sketch",
    Structure => "structure",
    StyleGuide => "style-guide",
    StyleTransfer => "style-transfer",
});
choice!(Upscaler { Fast => "fast", Conservative => "conservative", Creative => "creative" });
choice!(OutputFormat { Png => "png", Jpeg => "jpeg", Webp => "webp" });
choice!(Quality { Standard => "standard", Premium => "premium" });
choice!(Anchor {
    Center => "center",
    TopLeft => "top-left",
    Top => "top",
    TopRight => "top-right",
    Left => "left",
    Right => "right",
    BottomLeft => "bottom-left",
    Bottom => "bottom",
    BottomRight => "bottom-right",
});

/// A number only some Stability tools take, with its range and default in the tool's row
/// ([`ModelSpec::knobs`](crate::edit::model::ModelSpec::knobs)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Knob {
    /// Control Sketch / Structure: how much the image steers the generation.
    ControlStrength,
    /// Style Guide: how closely the output's style follows the image's.
    Fidelity,
    /// Style Transfer: how closely the output keeps the composition of the open image.
    CompositionFidelity,
    /// Style Transfer: how much the reference image's style weighs.
    StyleStrength,
    /// Style Transfer: how much the open image may change.
    ChangeStrength,
}

impl Knob {
    pub const ALL: [Knob; 5] = [
        Knob::ControlStrength,
        Knob::Fidelity,
        Knob::CompositionFidelity,
        Knob::StyleStrength,
        Knob::ChangeStrength,
    ];

    /// The body field of the tools that take it.
    pub fn key(self) -> &'static str {
        match self {
            Knob::ControlStrength => "control_strength",
            Knob::Fidelity => "fidelity",
            Knob::CompositionFidelity => "composition_fidelity",
            Knob::StyleStrength => "style_strength",
            Knob::ChangeStrength => "change_strength",
        }
    }
}
