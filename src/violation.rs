//! A broken rule as data: which setting, which rule, the limit (typed) and the value given. The
//! rules themselves live in `edit::rules` and `edit::job`; each front end renders a violation in
//! its own words through [`Words`] (flags on the command line, keys in the TUI, JSON fields in an
//! `/image-edit` 400). This file names no front end's words.

use std::fmt;

use serde::{Serialize, Serializer};

/// What a rule is about: a setting of the edit, named by the front end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Mode,
    Prompt,
    Negative,
    Search,
    Select,
    MaskPrompt,
    NumImages,
    Seed,
    CfgScale,
    Creativity,
    StylePreset,
    GrowMask,
    Upscaler,
    /// The source image.
    Image,
    /// The mask and shapes.
    Selection,
    /// Borders added for outpainting.
    Extend,
    /// A new canvas size for outpainting.
    Canvas,
    /// The format the result is written in.
    OutputFormat,
    /// An object picked by a rectangle around it (a graph cut).
    Object,
    /// A colour region picked by a point (the magic wand).
    Wand,
}

impl Field {
    /// The setting in plain words, for messages that no front end words (logs, `Display`).
    pub fn plain(self) -> &'static str {
        match self {
            Field::Mode => "mode",
            Field::Prompt => "prompt",
            Field::Negative => "negative prompt",
            Field::Search => "search text",
            Field::Select => "select text",
            Field::MaskPrompt => "mask prompt",
            Field::NumImages => "number of images",
            Field::Seed => "seed",
            Field::CfgScale => "cfg scale",
            Field::Creativity => "creativity",
            Field::StylePreset => "style preset",
            Field::GrowMask => "grow mask",
            Field::Upscaler => "upscaler",
            Field::Image => "the image",
            Field::Selection => "the selection",
            Field::Extend => "extend",
            Field::Canvas => "canvas",
            Field::OutputFormat => "output format",
            Field::Object => "object selection",
            Field::Wand => "wand selection",
        }
    }
}

/// Which rule is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Longer than the limit in characters.
    MaxChars,
    /// Outside the limit's range.
    Range,
    /// Missing or empty, and the model needs it for the mode the limit names.
    Required,
    /// The model does not take this field or value at all; the limit says what it takes.
    Unsupported,
    /// Not one of the limit's values.
    OneOf,
    /// The image's size is outside what the model takes.
    ImageSize,
    /// The selection covers every pixel, so nothing is left to fill from.
    CoversEverything,
    /// The mode the limit names needs this setting too.
    Needs,
    /// This setting does not go with the limit (a mode, or another setting).
    Conflicts,
    /// The canvas this setting asks for is larger than the limit.
    TooLarge,
    /// The canvas is smaller than the image it must contain.
    Contains,
    /// The selection selects no pixel.
    Empty,
    /// A point, or every pixel of a rectangle, lies outside the image (the limit is its size).
    Outside,
}

/// A number as the rule set has it: whole, or real as the model table writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Whole(u64),
    Real(f32),
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Whole(v) => write!(f, "{v}"),
            Num::Real(v) => write!(f, "{v}"),
        }
    }
}

/// What the rule allows, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Limit {
    /// At most this many characters.
    Chars(usize),
    /// From `lo` to `hi`, both included.
    Range(Num, Num),
    /// One of these values.
    OneOf(Vec<String>),
    /// The modes that the model does.
    Modes(Vec<&'static str>),
    /// The mode (by its name) that needs the setting.
    Mode(&'static str),
    /// Another setting this one does not go with (with the mode, when the pair concerns one).
    Setting(Field, Option<&'static str>),
    /// What the setting applies to, in words.
    AppliesTo(&'static str),
    /// The sides, pixel count and aspect a model takes (None = any).
    ImageSize {
        min_side: u32,
        max_side: Option<u32>,
        min_pixels: u64,
        max_pixels: Option<u64>,
        max_aspect: Option<f32>,
    },
    /// Sides of at least this many pixels.
    MinSide(u32),
    /// A canvas side of at most this many pixels.
    MaxSide(u64),
    /// A size, width x height.
    Size(u32, u32),
    /// At least one pixel left as it is.
    Unselected,
    /// At least one selected pixel.
    Selected,
}

impl fmt::Display for Limit {
    /// The limit as the wire formats and the request log carry it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let any = |v: Option<String>| v.unwrap_or_else(|| "any".into());
        match self {
            Limit::Chars(n) => write!(f, "{n}"),
            Limit::Range(lo, hi) => write!(f, "{lo}..{hi}"),
            Limit::OneOf(values) => write!(f, "{}", values.join(", ")),
            Limit::Modes(modes) => write!(f, "it does {}", modes.join(", ")),
            Limit::Mode(m) => write!(f, "mode {m}"),
            Limit::Setting(field, None) => write!(f, "{}", field.plain()),
            Limit::Setting(field, Some(m)) => write!(f, "{} {m}", field.plain()),
            Limit::AppliesTo(what) => write!(f, "{what}"),
            Limit::ImageSize {
                min_side,
                max_side,
                min_pixels,
                max_pixels,
                max_aspect,
            } => write!(
                f,
                "sides {min_side}..{} px, {min_pixels}..{} pixels{}",
                any(max_side.map(|v| v.to_string())),
                any(max_pixels.map(|v| v.to_string())),
                max_aspect.map_or(String::new(), |a| format!(", aspect 1:{a} to {a}:1"))
            ),
            Limit::MinSide(s) => write!(f, "sides of at least {s} px"),
            Limit::MaxSide(s) => write!(f, "sides of at most {s} px"),
            Limit::Size(w, h) => write!(f, "{w}x{h}"),
            Limit::Unselected => write!(f, "part of the image unselected"),
            Limit::Selected => write!(f, "at least one selected pixel"),
        }
    }
}

fn as_text<S: Serializer>(limit: &Limit, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(limit)
}

/// One broken rule: which field, which rule, the limit and the value given, for which model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub field: Field,
    pub rule: Rule,
    #[serde(serialize_with = "as_text")]
    pub limit: Limit,
    pub value: String,
    /// The model whose `ModelSpec` sets the limit (empty for rules of the edit itself).
    pub model: String,
    /// The file the image and selection rules are about, for front ends that name it.
    #[serde(skip)]
    pub subject: Option<String>,
}

/// How a front end names what a violation is about.
pub trait Words {
    /// Its name for a setting (a flag, a key, a JSON field).
    fn field(&self, field: Field) -> String;
    /// Its words for a mode, by the mode's name (`--mode inpaint`, `mode inpaint`).
    fn mode(&self, name: &str) -> String {
        format!("mode {name}")
    }
}

/// The words of no front end: plain names ([`Field::plain`]).
pub struct Plain;

impl Words for Plain {
    fn field(&self, field: Field) -> String {
        field.plain().to_string()
    }
}

impl Violation {
    /// A violation of a rule of the edit itself (no model's limit).
    pub fn new(field: Field, rule: Rule, limit: Limit, value: impl ToString) -> Self {
        Violation {
            field,
            rule,
            limit,
            value: value.to_string(),
            model: String::new(),
            subject: None,
        }
    }

    /// The same violation, about the file `name`.
    pub fn about(mut self, name: &str) -> Self {
        self.subject = Some(name.to_string());
        self
    }

    /// The rule in words, with `w`'s names for the settings; the model is not named (each front
    /// end places it where its readers look).
    pub fn sentence(&self, w: &dyn Words) -> String {
        let name = w.field(self.field);
        let value = &self.value;
        let limit = self.limit_in(w);
        match self.rule {
            Rule::MaxChars => format!("{name} is {value} characters, the limit is {limit}"),
            Rule::Range => format!("{name} must be {limit}, got {value}"),
            Rule::Required => format!("{name} is required for {limit}"),
            Rule::Unsupported if value.is_empty() => {
                format!("{name} does not apply to this model ({limit})")
            }
            Rule::Unsupported => format!("{name} {value}: not done by this model ({limit})"),
            Rule::OneOf => format!("{name} {value:?} is not one of {limit}"),
            Rule::ImageSize => format!("{name} is {value}; the model takes {limit}"),
            Rule::CoversEverything => format!(
                "{name} covers every pixel ({value}), so the local engine has nothing to fill from: leave part of the image unselected, or use a generative engine"
            ),
            Rule::Needs if value.is_empty() => format!("{limit} needs {name}"),
            Rule::Needs => format!("{limit} needs {name} ({value})"),
            Rule::Conflicts if matches!(self.limit, Limit::Modes(_)) => {
                format!("{name} works only with {limit}, not {value}")
            }
            Rule::Conflicts if value.is_empty() => format!("{name} does not go with {limit}"),
            Rule::Conflicts => format!("{name} does not go with {limit}: {value}"),
            Rule::TooLarge => {
                format!("{name} would make a canvas of {value}; the limit is {limit}")
            }
            Rule::Contains => format!(
                "{name} {value} is smaller than the {limit} image (the canvas must contain it)"
            ),
            Rule::Empty if value.is_empty() => format!("nothing to edit: {name} selects no pixel"),
            Rule::Empty => format!("nothing to edit: {name} selects no pixel ({value})"),
            Rule::Outside => format!("{name} {value} is outside the {limit} image"),
        }
    }

    /// The limit in `w`'s words (a mode or a setting named as the front end names them).
    fn limit_in(&self, w: &dyn Words) -> String {
        match &self.limit {
            Limit::Mode(m) => w.mode(m),
            Limit::Setting(field, None) => w.field(*field),
            Limit::Setting(field, Some(m)) => format!("{} with {}", w.field(*field), w.mode(m)),
            Limit::Modes(modes) if self.rule == Rule::Conflicts => modes
                .iter()
                .map(|m| w.mode(m))
                .collect::<Vec<_>>()
                .join(" or "),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sentence = self.sentence(&Plain);
        match (self.model.as_str(), &self.subject) {
            ("", None) => write!(f, "{sentence}"),
            ("", Some(file)) => write!(f, "{file}: {sentence}"),
            (model, _) => write!(f, "{model}: {sentence}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Flags;
    impl Words for Flags {
        fn field(&self, field: Field) -> String {
            format!("--{}", field.plain().replace(' ', "-"))
        }
        fn mode(&self, name: &str) -> String {
            format!("--mode {name}")
        }
    }

    #[test]
    fn limits_read_the_same_on_the_wire_as_before_they_were_typed() {
        assert_eq!(
            Limit::Range(Num::Whole(1), Num::Whole(5)).to_string(),
            "1..5"
        );
        assert_eq!(
            Limit::Range(Num::Real(1.1), Num::Real(10.0)).to_string(),
            "1.1..10"
        );
        assert_eq!(Limit::Chars(512).to_string(), "512");
        assert_eq!(
            Limit::ImageSize {
                min_side: 64,
                max_side: None,
                min_pixels: 4096,
                max_pixels: Some(9_437_184),
                max_aspect: Some(2.5),
            }
            .to_string(),
            "sides 64..any px, 4096..9437184 pixels, aspect 1:2.5 to 2.5:1"
        );
        let v = Violation::new(Field::Prompt, Rule::Required, Limit::Mode("inpaint"), "");
        assert_eq!(serde_json::to_value(&v).unwrap()["limit"], "mode inpaint");
    }

    #[test]
    fn each_front_end_supplies_its_own_names() {
        let v = Violation::new(Field::Search, Rule::Needs, Limit::Mode("replace"), "");
        assert_eq!(v.sentence(&Flags), "--mode replace needs --search-text");
        assert_eq!(v.sentence(&Plain), "mode replace needs search text");
        assert_eq!(v.to_string(), "mode replace needs search text");
        let v = Violation::new(Field::Selection, Rule::Empty, Limit::Selected, "").about("a.png");
        assert_eq!(
            v.to_string(),
            "a.png: nothing to edit: the selection selects no pixel"
        );
    }
}
