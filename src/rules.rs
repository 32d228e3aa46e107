//! The rules an edit must keep, as data: one rule set reads the model's `ModelSpec` and returns
//! [`Violation`]s (field, rule, limit, value); each front end renders them in its own words (a CLI
//! flag, a JSON field of `/image-edit`, a line of the TUI's panel).

use serde::Serialize;

use crate::job::{Mode, ToolOptions};
use crate::model::{self, ModelSpec};

/// What a rule is about.
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
}

impl Field {
    /// The command line's name (a flag).
    pub fn cli(self) -> &'static str {
        match self {
            Field::Mode => "--mode",
            Field::Prompt => "--prompt",
            Field::Negative => "--negative",
            Field::Search => "--search",
            Field::Select => "--select",
            Field::MaskPrompt => "--mask-prompt",
            Field::NumImages => "--num-images",
            Field::Seed => "--seed",
            Field::CfgScale => "--cfg-scale",
            Field::Creativity => "--creativity",
            Field::StylePreset => "--style-preset",
            Field::GrowMask => "--grow-mask",
            Field::Upscaler => "--upscaler",
            Field::Image => "the image",
            Field::Selection => "the selection",
        }
    }

    /// The `/image-edit` body's name (a JSON path).
    pub fn json(self) -> &'static str {
        match self {
            Field::Mode => "prompt.mode",
            Field::Prompt => "prompt.text",
            Field::Negative => "prompt.negative_text",
            Field::Search => "search",
            Field::Select => "select",
            Field::MaskPrompt => "mask_prompt",
            Field::NumImages => "num_images",
            Field::Seed => "seed",
            Field::CfgScale => "cfg_scale",
            Field::Creativity => "creativity",
            Field::StylePreset => "style_preset",
            Field::GrowMask => "grow_mask",
            Field::Upscaler => "upscaler",
            Field::Image => "base_image",
            Field::Selection => "mask",
        }
    }

    /// The TUI's name: what the panel shows and the key that changes it.
    pub fn tui(self) -> &'static str {
        match self {
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
        }
    }
}

/// Which rule is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Longer than `limit` characters.
    MaxChars,
    /// Outside the range `limit` (`lo..hi`).
    Range,
    /// Missing or empty, and the mode needs it.
    Required,
    /// The model does not take this field or value at all; `limit` says what it takes.
    Unsupported,
    /// Not one of the values in `limit`.
    OneOf,
    /// The image's size is outside what the model takes (`limit`).
    ImageSize,
    /// The selection covers every pixel, so nothing is left to fill from.
    CoversEverything,
}

/// One broken rule: which field, which rule, the limit and the value given, for which model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub field: Field,
    pub rule: Rule,
    pub limit: String,
    pub value: String,
    /// The model whose `ModelSpec` sets the limit.
    pub model: String,
    /// The file the image and selection rules are about, for front ends that name it.
    #[serde(skip)]
    pub subject: Option<String>,
}

impl Violation {
    fn new(
        field: Field,
        rule: Rule,
        limit: impl Into<String>,
        value: impl ToString,
        model: &ModelSpec,
    ) -> Self {
        Violation {
            field,
            rule,
            limit: limit.into(),
            value: value.to_string(),
            model: model.id.to_string(),
            subject: None,
        }
    }

    /// The rule in words, with `name` as the front end calls the field; the model is not named
    /// (each front end places it where its readers look).
    pub fn sentence(&self, name: &str) -> String {
        let (limit, value) = (&self.limit, &self.value);
        match self.rule {
            Rule::MaxChars => format!("{name} is {value} characters, the limit is {limit}"),
            Rule::Range => format!("{name} must be {limit}, got {value}"),
            Rule::Required => format!("{name} is required for {limit}"),
            Rule::Unsupported if value.is_empty() => {
                format!("{name} does not apply to this model ({limit})")
            }
            Rule::Unsupported => {
                format!("{name} {value}: not done by this model ({limit})")
            }
            Rule::OneOf => format!("{name} {value:?} is not one of {limit}"),
            Rule::ImageSize => format!("{name} is {value}; the model takes {limit}"),
            Rule::CoversEverything => format!(
                "{name} covers every pixel ({value}), so the local engine has nothing to fill from: leave part of the image unselected, or use a generative engine"
            ),
        }
    }

    /// The command line's words: `MODEL: --flag ...`.
    pub fn cli_message(&self) -> String {
        let name = match (self.field, &self.subject) {
            (Field::Image | Field::Selection, Some(file)) => file.as_str(),
            (f, _) => f.cli(),
        };
        let mut text = format!("{}: {}", self.model, self.sentence(name));
        if self.field == Field::Mode
            && self.rule == Rule::Unsupported
            && let Some(m) = parse_mode(&self.value).and_then(model::active_for)
        {
            text.push_str(&format!("; --engine bedrock --model {} does", m.id));
        }
        text
    }

    /// `/image-edit`'s words: the JSON field first (clients key on it), the model last.
    pub fn json_message(&self) -> String {
        format!(
            "{} (model {})",
            self.sentence(self.field.json()),
            self.model
        )
    }

    /// The TUI panel's words.
    pub fn tui_message(&self) -> String {
        self.sentence(self.field.tui())
    }
}

fn parse_mode(name: &str) -> Option<Mode> {
    <Mode as clap::ValueEnum>::value_variants()
        .iter()
        .copied()
        .find(|m| m.cli_name() == name)
}

/// What the rules look at: the settings of an edit and the sizes it works on.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    pub model: &'static ModelSpec,
    pub mode: Mode,
    /// The source image, width x height.
    pub source: (u32, u32),
    /// The output canvas (the source, enlarged when outpainting).
    pub canvas: (u32, u32),
    pub prompt: Option<&'a str>,
    pub negative: Option<&'a str>,
    pub search: Option<&'a str>,
    pub mask_prompt: Option<&'a str>,
    pub tool: &'a ToolOptions,
    pub num_images: u32,
    pub seed: Option<u64>,
    pub cfg_scale: Option<f32>,
}

fn range<T: std::fmt::Display>(lo: T, hi: T) -> String {
    format!("{lo}..{hi}")
}

/// Every rule of `p.model` that `p` breaks, in the order a user fixes them (what the model does
/// first, then each setting).
pub fn check(p: &Params<'_>) -> Vec<Violation> {
    let m = p.model;
    let mut out = Vec::new();
    let mut v = |field, rule, limit: String, value: String| {
        out.push(Violation::new(field, rule, limit, value, m));
    };
    if !m.supports(p.mode) {
        let does: Vec<&str> = <Mode as clap::ValueEnum>::value_variants()
            .iter()
            .filter(|x| m.supports(**x))
            .map(|x| x.cli_name())
            .collect();
        v(
            Field::Mode,
            Rule::Unsupported,
            format!("it does {}", does.join(", ")),
            p.mode.cli_name().into(),
        );
    }
    let (sw, sh) = p.source;
    if p.mode.replaces_image() && !m.accepts_size(sw, sh) {
        v(
            Field::Image,
            Rule::ImageSize,
            format!(
                "sides {}..{} px, {}..{} pixels{}",
                m.min_side,
                m.max_side.map_or("any".to_string(), |v| v.to_string()),
                m.min_pixels,
                m.max_pixels.map_or("any".to_string(), |v| v.to_string()),
                m.max_aspect
                    .map_or(String::new(), |a| format!(", aspect 1:{a} to {a}:1"))
            ),
            format!("{sw}x{sh}"),
        );
    }
    if let (Some(want), Some(have)) = (p.tool.upscaler, m.upscaler)
        && want != have
    {
        v(
            Field::Upscaler,
            Rule::OneOf,
            have.cli_name().into(),
            want.cli_name().into(),
        );
    }
    if let Some(c) = p.tool.creativity {
        match m.creativity {
            Some((lo, hi)) if !(lo..=hi).contains(&c) => {
                v(Field::Creativity, Rule::Range, range(lo, hi), c.to_string())
            }
            Some(_) => {}
            None => v(
                Field::Creativity,
                Rule::Unsupported,
                "it applies to outpainting and the conservative and creative upscalers".into(),
                String::new(),
            ),
        }
    }
    if let Some(s) = &p.tool.style_preset {
        if !m.style_preset {
            v(
                Field::StylePreset,
                Rule::Unsupported,
                "it applies to Stability's inpaint, outpaint, replace, recolor and creative upscale tools".into(),
                String::new(),
            );
        } else if !model::STYLE_PRESETS.contains(&s.as_str()) {
            v(
                Field::StylePreset,
                Rule::OneOf,
                model::STYLE_PRESETS.join(", "),
                s.clone(),
            );
        }
    }
    if let Some(g) = p.tool.grow_mask {
        match m.grow_mask {
            Some((max, _)) if g > max => {
                v(Field::GrowMask, Rule::Range, range(0, max), g.to_string())
            }
            Some(_) => {}
            None => v(
                Field::GrowMask,
                Rule::Unsupported,
                "it applies to the Stability tools that take a mask (inpaint, erase, replace)"
                    .into(),
                String::new(),
            ),
        }
    }
    if p.mask_prompt.is_some() && !m.supports_mask_prompt() {
        v(
            Field::MaskPrompt,
            Rule::Unsupported,
            "it needs a model that finds regions from text".into(),
            String::new(),
        );
    }
    if m.prompt_required(p.mode) && p.prompt.is_none_or(|t| t.trim().is_empty()) {
        v(
            Field::Prompt,
            Rule::Required,
            format!("--mode {}", p.mode.cli_name()),
            String::new(),
        );
    }
    if let Some(max) = m.max_prompt_chars {
        for (field, text) in [
            (Field::Prompt, p.prompt),
            (Field::Negative, p.negative),
            (Field::Search, p.search),
            (Field::Select, p.tool.select.as_deref()),
            (Field::MaskPrompt, p.mask_prompt),
        ] {
            if let Some(t) = text
                && t.chars().count() > max
            {
                v(
                    field,
                    Rule::MaxChars,
                    max.to_string(),
                    t.chars().count().to_string(),
                );
            }
        }
    }
    if p.num_images == 0 || p.num_images > m.max_images {
        v(
            Field::NumImages,
            Rule::Range,
            range(1, m.max_images),
            p.num_images.to_string(),
        );
    }
    let (cw, ch) = p.canvas;
    // The Stability tools' inputs are fitted (a small image or window is scaled up to the 64 px
    // minimum, and the result scaled back), so only the others refuse a small image.
    if cw.min(ch) < m.min_side && m.profile_prefix.is_none() {
        v(
            Field::Image,
            Rule::ImageSize,
            format!("sides of at least {} px", m.min_side),
            format!("{cw}x{ch}"),
        );
    }
    if let (Some((lo, hi)), Some(c)) = (m.cfg_range, p.cfg_scale)
        && !(lo..=hi).contains(&c)
    {
        v(Field::CfgScale, Rule::Range, range(lo, hi), c.to_string());
    }
    if let Some(s) = p.seed
        && s > m.seed_max
    {
        v(
            Field::Seed,
            Rule::Range,
            range(0, m.seed_max),
            s.to_string(),
        );
    }
    out
}

/// The rule on a finished mask: the local engine fills from pixels it keeps.
pub fn check_mask(model: &'static ModelSpec, mask: &[u8], canvas: (u32, u32)) -> Option<Violation> {
    (model.fills_from_known_pixels() && mask.iter().all(|&v| v > 0)).then(|| {
        Violation::new(
            Field::Selection,
            Rule::CoversEverything,
            "part of the image unselected",
            format!("{}x{}", canvas.0, canvas.1),
            model,
        )
    })
}

/// The largest number of images `model` makes per request; the TUI's image count cycles up to it.
pub fn max_images(model: &ModelSpec) -> u32 {
    model.max_images.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(model: &'static ModelSpec) -> Params<'static> {
        static TOOL: std::sync::OnceLock<ToolOptions> = std::sync::OnceLock::new();
        Params {
            model,
            mode: Mode::Inpaint,
            source: (512, 512),
            canvas: (512, 512),
            prompt: Some("a cat"),
            negative: None,
            search: None,
            mask_prompt: None,
            tool: TOOL.get_or_init(ToolOptions::default),
            num_images: 1,
            seed: Some(1),
            cfg_scale: None,
        }
    }

    fn stability() -> &'static ModelSpec {
        model::find("us.stability.stable-image-inpaint-v1:0").unwrap()
    }

    #[test]
    fn a_good_job_breaks_no_rule() {
        assert_eq!(check(&params(stability())), vec![]);
        assert_eq!(check(&params(model::local())), vec![]);
    }

    #[test]
    fn every_limit_comes_from_the_model_spec() {
        let m = stability();
        let long = "é".repeat(m.max_prompt_chars.unwrap() + 1);
        let mut p = params(m);
        p.prompt = Some(&long);
        p.num_images = m.max_images + 1;
        p.seed = Some(m.seed_max + 1);
        let got = check(&p);
        let summary: Vec<(Field, Rule, &str, &str)> = got
            .iter()
            .map(|v| (v.field, v.rule, v.limit.as_str(), v.value.as_str()))
            .collect();
        let max = m.max_prompt_chars.unwrap().to_string();
        let chars = (m.max_prompt_chars.unwrap() + 1).to_string();
        let images = format!("1..{}", m.max_images);
        let n = (m.max_images + 1).to_string();
        let seeds = format!("0..{}", m.seed_max);
        let s = (m.seed_max + 1).to_string();
        assert_eq!(
            summary,
            vec![
                (Field::Prompt, Rule::MaxChars, max.as_str(), chars.as_str()),
                (Field::NumImages, Rule::Range, images.as_str(), n.as_str()),
                (Field::Seed, Rule::Range, seeds.as_str(), s.as_str()),
            ]
        );
        // counted in characters, not bytes: multi-byte text is measured as the user sees it
        assert!(got[0].cli_message().contains(&format!(
            "--prompt is {chars} characters, the limit is {max}"
        )));
    }

    #[test]
    fn each_front_end_names_the_field_its_own_way() {
        let mut p = params(stability());
        p.prompt = None;
        let v = &check(&p)[0];
        assert_eq!((v.field, v.rule), (Field::Prompt, Rule::Required));
        assert_eq!(
            v.cli_message(),
            "us.stability.stable-image-inpaint-v1:0: --prompt is required for --mode inpaint"
        );
        assert!(v.json_message().starts_with("prompt.text is required"));
        assert!(v.tui_message().starts_with("prompt (p) is required"));
    }

    #[test]
    fn an_unsupported_mode_names_a_model_that_does_it() {
        let mut p = params(model::local());
        p.mode = Mode::Replace;
        let v = &check(&p)[0];
        assert_eq!((v.field, v.rule), (Field::Mode, Rule::Unsupported));
        assert!(v.limit.contains("inpaint"), "{}", v.limit);
        assert!(v.cli_message().contains("--engine bedrock --model"));
    }
}
