//! The TUI's words for the library's errors: a broken rule names the setting as the panel shows
//! it, with the key that changes it; a refused overwrite says to type another name.

use crate::error::Error;
use crate::violation::{Field, Violation, Words};

/// Names settings by the panel's label and key.
pub struct Keys;

impl Words for Keys {
    fn field(&self, field: Field) -> String {
        key(field).to_string()
    }
    fn mode(&self, name: &str) -> String {
        format!("mode {name} (Tab)")
    }
}

/// The panel's name for `field`, with its key.
pub fn key(field: Field) -> &'static str {
    match field {
        Field::Mode => "mode (Tab)",
        Field::Prompt => "prompt (p)",
        Field::Negative => "negative prompt (n)",
        Field::Search | Field::MaskPrompt | Field::Select => "mask prompt (j)",
        Field::NumImages => "images (a)",
        Field::Seed => "seed (;)",
        Field::CfgScale => "cfg scale (/)",
        Field::Creativity => "creativity",
        Field::StylePreset => "style preset",
        Field::GrowMask => "grow mask",
        Field::Upscaler => "upscaler (Tab)",
        Field::Image => "the image",
        Field::Selection => "the selection",
        Field::Extend | Field::Canvas => "extend (+R, Ctrl+arrows)",
        Field::OutputFormat => "the file's format",
        Field::Object => "the object tool",
        Field::Wand => "the wand tool",
    }
}

/// A violation as the panel and status line say it.
pub fn violation(v: &Violation) -> String {
    v.sentence(&Keys)
}

/// An error as the status line says it.
pub fn error(e: &Error) -> String {
    match e {
        Error::Invalid(v) => violation(v),
        Error::OutputExists(path) => {
            format!("{} already exists: type another name", path.display())
        }
        other => other.to_string(),
    }
}
