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
        }
    }

    pub fn is_outpaint(self) -> bool {
        matches!(self, Mode::Outpaint | Mode::PreciseOutpaint)
    }

    /// Whether the result replaces the whole image (a new size, or an alpha channel) instead of
    /// being composited into the source.
    pub fn replaces_image(self) -> bool {
        matches!(self, Mode::RemoveBackground | Mode::Upscale)
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
