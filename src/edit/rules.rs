//! The rules of a model: one rule set reads the model's `ModelSpec` and returns [`Violation`]s
//! (field, rule, typed limit, value); each front end renders them in its own words.

use crate::choice::Choice;
use crate::edit::model::{self, ModelSpec};
use crate::edit::options::{Mode, ToolOptions};
use crate::violation::{Field, Limit, Num, Rule, Violation};

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

fn whole(lo: impl Into<u64>, hi: impl Into<u64>) -> Limit {
    Limit::Range(Num::Whole(lo.into()), Num::Whole(hi.into()))
}

/// The sizes a model accepts for an image it is given.
fn size_limit(m: &ModelSpec) -> Limit {
    Limit::ImageSize {
        min_side: m.min_side,
        max_side: m.max_side,
        min_pixels: m.min_pixels,
        max_pixels: m.max_pixels,
        max_aspect: m.max_aspect,
    }
}

fn real(lo: f32, hi: f32) -> Limit {
    Limit::Range(Num::Real(lo), Num::Real(hi))
}

/// A violation of `model`'s rule.
fn broken(field: Field, rule: Rule, limit: Limit, value: String, model: &ModelSpec) -> Violation {
    Violation {
        model: model.id.to_string(),
        ..Violation::new(field, rule, limit, value)
    }
}

/// Every rule of `p.model` that `p` breaks, in the order a user fixes them (what the model does
/// first, then each setting).
pub fn check(p: &Params<'_>) -> Vec<Violation> {
    let m = p.model;
    let mut out = Vec::new();
    let mut v = |field, rule, limit: Limit, value: String| {
        out.push(broken(field, rule, limit, value, m));
    };
    check_mode_and_size(p, &mut v);
    check_tool_options(p, &mut v);
    check_control_and_style(p, &mut v);
    check_mask_options(p, &mut v);
    check_texts(p, &mut v);
    check_numbers(p, &mut v);
    out
}

/// The rules on what the model does: the mode, and the size of an image the mode replaces.
fn check_mode_and_size(p: &Params<'_>, v: &mut impl FnMut(Field, Rule, Limit, String)) {
    let m = p.model;
    if !m.supports(p.mode) {
        let does: Vec<&str> = Mode::ALL
            .iter()
            .filter(|x| m.supports(**x))
            .map(|x| x.name())
            .collect();
        v(
            Field::Mode,
            Rule::Unsupported,
            Limit::Modes(does),
            p.mode.name().into(),
        );
    }
    let (sw, sh) = p.source;
    if p.mode.replaces_image() && !m.accepts_size(sw, sh) {
        v(
            Field::Image,
            Rule::ImageSize,
            size_limit(m),
            format!("{sw}x{sh}"),
        );
    }
}

/// The rules on the tool options: the upscaler, the creativity and the style preset.
fn check_tool_options(p: &Params<'_>, v: &mut impl FnMut(Field, Rule, Limit, String)) {
    let m = p.model;
    if let (Some(want), Some(have)) = (p.tool.upscaler, m.upscaler)
        && want != have
    {
        v(
            Field::Upscaler,
            Rule::OneOf,
            Limit::OneOf(vec![have.name().into()]),
            want.name().into(),
        );
    }
    if let Some(c) = p.tool.creativity {
        match m.creativity {
            Some((lo, hi)) if !(lo..=hi).contains(&c) => {
                v(Field::Creativity, Rule::Range, real(lo, hi), c.to_string())
            }
            Some(_) => {}
            None => v(
                Field::Creativity,
                Rule::Unsupported,
                Limit::AppliesTo(
                    "it applies to outpainting and the conservative and creative upscalers",
                ),
                String::new(),
            ),
        }
    }
    if let Some(s) = &p.tool.style_preset {
        if !m.style_preset {
            v(
                Field::StylePreset,
                Rule::Unsupported,
                Limit::AppliesTo(
                    "it applies to Stability's inpaint, outpaint, replace, recolor, sketch, structure, style-guide and creative upscale tools",
                ),
                String::new(),
            );
        } else if !model::STYLE_PRESETS.contains(&s.as_str()) {
            v(
                Field::StylePreset,
                Rule::OneOf,
                Limit::OneOf(model::STYLE_PRESETS.iter().map(|p| p.to_string()).collect()),
                s.clone(),
            );
        }
    }
}

/// The rules of the control and style tools: their numbers, Style Guide's aspect ratio, and
/// Style Transfer's reference image (held to the same size limits as the open image).
fn check_control_and_style(p: &Params<'_>, v: &mut impl FnMut(Field, Rule, Limit, String)) {
    let m = p.model;
    for &(k, value) in &p.tool.knobs {
        let field = knob_field(k);
        match m.knob(k) {
            Some(r) if !(r.lo..=r.hi).contains(&value) || !value.is_finite() => {
                v(field, Rule::Range, real(r.lo, r.hi), value.to_string())
            }
            Some(_) => {}
            None => v(
                field,
                Rule::Unsupported,
                Limit::AppliesTo(knob_applies_to(k)),
                String::new(),
            ),
        }
    }
    if let Some(a) = &p.tool.aspect_ratio {
        if m.aspect_ratios.is_empty() {
            v(
                Field::AspectRatio,
                Rule::Unsupported,
                Limit::AppliesTo("it applies to the style-guide mode"),
                String::new(),
            );
        } else if !m.aspect_ratios.contains(&a.as_str()) {
            v(
                Field::AspectRatio,
                Rule::OneOf,
                Limit::OneOf(m.aspect_ratios.iter().map(|r| r.to_string()).collect()),
                a.clone(),
            );
        }
    }
    if let Some(style) = &p.tool.style_image {
        let (w, h) = style.dimensions();
        if !m.supports(Mode::StyleTransfer) {
            v(
                Field::StyleImage,
                Rule::Unsupported,
                Limit::AppliesTo("it applies to the style-transfer mode"),
                String::new(),
            );
        } else if !m.accepts_size(w, h) {
            v(
                Field::StyleImage,
                Rule::ImageSize,
                size_limit(m),
                format!("{w}x{h}"),
            );
        }
    }
}

/// The setting a tool's number is, for the front ends' words.
fn knob_field(k: model::Knob) -> Field {
    match k {
        model::Knob::ControlStrength => Field::ControlStrength,
        model::Knob::Fidelity => Field::Fidelity,
        model::Knob::CompositionFidelity => Field::CompositionFidelity,
        model::Knob::StyleStrength => Field::StyleStrength,
        model::Knob::ChangeStrength => Field::ChangeStrength,
    }
}

/// Which modes take `k`, for the refusal of a tool that does not.
fn knob_applies_to(k: model::Knob) -> &'static str {
    match k {
        model::Knob::ControlStrength => "it applies to the sketch and structure modes",
        model::Knob::Fidelity => "it applies to the style-guide mode",
        model::Knob::CompositionFidelity
        | model::Knob::StyleStrength
        | model::Knob::ChangeStrength => "it applies to the style-transfer mode",
    }
}

/// The rules on how the region is chosen: the grow-mask width and the mask prompt.
fn check_mask_options(p: &Params<'_>, v: &mut impl FnMut(Field, Rule, Limit, String)) {
    let m = p.model;
    if let Some(g) = p.tool.grow_mask {
        match m.grow_mask {
            Some((max, _)) if g > max => v(
                Field::GrowMask,
                Rule::Range,
                whole(0u32, max),
                g.to_string(),
            ),
            Some(_) => {}
            None => v(
                Field::GrowMask,
                Rule::Unsupported,
                Limit::AppliesTo(
                    "it applies to the Stability tools that take a mask (inpaint, erase, replace)",
                ),
                String::new(),
            ),
        }
    }
    if p.mask_prompt.is_some() && !m.supports_mask_prompt() {
        v(
            Field::MaskPrompt,
            Rule::Unsupported,
            Limit::AppliesTo("it needs a model that finds regions from text"),
            String::new(),
        );
    }
}

/// The rules on the texts: a prompt the mode needs, and the length of every text.
fn check_texts(p: &Params<'_>, v: &mut impl FnMut(Field, Rule, Limit, String)) {
    let m = p.model;
    if m.prompt_required(p.mode) && p.prompt.is_none_or(|t| t.trim().is_empty()) {
        v(
            Field::Prompt,
            Rule::Required,
            Limit::Mode(p.mode.name()),
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
                    Limit::Chars(max),
                    t.chars().count().to_string(),
                );
            }
        }
    }
}

/// The rules on the numbers: the image count, the canvas's smallest side, cfg scale and seed.
fn check_numbers(p: &Params<'_>, v: &mut impl FnMut(Field, Rule, Limit, String)) {
    let m = p.model;
    if p.num_images == 0 || p.num_images > m.max_images {
        v(
            Field::NumImages,
            Rule::Range,
            whole(1u32, m.max_images),
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
            Limit::MinSide(m.min_side),
            format!("{cw}x{ch}"),
        );
    }
    if let (Some((lo, hi)), Some(c)) = (m.cfg_range, p.cfg_scale)
        && !(lo..=hi).contains(&c)
    {
        v(Field::CfgScale, Rule::Range, real(lo, hi), c.to_string());
    }
    if let Some(s) = p.seed
        && s > m.seed_max
    {
        v(
            Field::Seed,
            Rule::Range,
            whole(0u32, m.seed_max),
            s.to_string(),
        );
    }
}

/// The rule on a finished mask: the local engine fills from pixels it keeps.
pub fn check_mask(model: &'static ModelSpec, mask: &[u8], canvas: (u32, u32)) -> Option<Violation> {
    (model.fills_from_known_pixels() && mask.iter().all(|&v| v > 0)).then(|| {
        broken(
            Field::Selection,
            Rule::CoversEverything,
            Limit::Unselected,
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
        let summary: Vec<(Field, Rule, Limit, &str)> = got
            .iter()
            .map(|v| (v.field, v.rule, v.limit.clone(), v.value.as_str()))
            .collect();
        let max = m.max_prompt_chars.unwrap();
        // counted in characters, not bytes: multi-byte text is measured as the user sees it
        let chars = (max + 1).to_string();
        let n = (m.max_images + 1).to_string();
        let s = (m.seed_max + 1).to_string();
        assert_eq!(
            summary,
            vec![
                (
                    Field::Prompt,
                    Rule::MaxChars,
                    Limit::Chars(max),
                    chars.as_str()
                ),
                (
                    Field::NumImages,
                    Rule::Range,
                    whole(1u32, m.max_images),
                    n.as_str()
                ),
                (
                    Field::Seed,
                    Rule::Range,
                    whole(0u32, m.seed_max),
                    s.as_str()
                ),
            ]
        );
        assert!(got.iter().all(|v| v.model == m.id));
    }

    #[test]
    fn a_missing_prompt_names_the_mode_that_needs_it() {
        let mut p = params(stability());
        p.prompt = None;
        let v = &check(&p)[0];
        assert_eq!((v.field, v.rule), (Field::Prompt, Rule::Required));
        assert_eq!(v.limit, Limit::Mode("inpaint"));
        assert_eq!(
            v.to_string(),
            "us.stability.stable-image-inpaint-v1:0: prompt is required for mode inpaint"
        );
    }

    #[test]
    fn the_control_and_style_numbers_are_checked_from_the_table() {
        use crate::edit::model::Knob;
        use crate::edit::options::StyleImage;
        let st = model::find("us.stability.stable-style-transfer-v1:0").unwrap();
        let mut tool = ToolOptions {
            knobs: vec![(Knob::ChangeStrength, 0.05), (Knob::StyleStrength, 1.0)],
            style_image: Some(StyleImage {
                name: "wide.png".into(),
                image: std::sync::Arc::new(image::RgbImage::new(300, 100)),
            }),
            ..ToolOptions::default()
        };
        let mut p = params(st);
        p.mode = Mode::StyleTransfer;
        p.tool = &tool;
        let got: Vec<(Field, Rule, String)> = check(&p)
            .into_iter()
            .map(|v| (v.field, v.rule, v.value))
            .collect();
        assert_eq!(
            got,
            vec![
                (Field::ChangeStrength, Rule::Range, "0.05".to_string()),
                (Field::StyleImage, Rule::ImageSize, "300x100".to_string()),
            ]
        );
        // a number the tool does not take is refused by name
        tool.knobs = vec![(Knob::ControlStrength, 0.5)];
        tool.style_image = None;
        let mut p = params(st);
        p.mode = Mode::StyleTransfer;
        p.tool = &tool;
        let v = &check(&p)[0];
        assert_eq!(
            (v.field, v.rule),
            (Field::ControlStrength, Rule::Unsupported)
        );
        // the aspect ratio is one of the guide's
        let guide = model::find("us.stability.stable-image-style-guide-v1:0").unwrap();
        let tool = ToolOptions {
            aspect_ratio: Some("7:5".into()),
            ..ToolOptions::default()
        };
        let mut p = params(guide);
        p.mode = Mode::StyleGuide;
        p.tool = &tool;
        let v = &check(&p)[0];
        assert_eq!((v.field, v.rule), (Field::AspectRatio, Rule::OneOf));
        // the open image is held to the tool's sizes: a new picture is made from all of it
        let sketch = model::find("us.stability.stable-image-control-sketch-v1:0").unwrap();
        let mut p = params(sketch);
        p.mode = Mode::Sketch;
        p.source = (1000, 300);
        p.canvas = (1000, 300);
        let v = &check(&p)[0];
        assert_eq!((v.field, v.rule), (Field::Image, Rule::ImageSize));
        p.source = (512, 512);
        p.canvas = (512, 512);
        assert_eq!(check(&p), vec![]);
        p.prompt = None;
        assert_eq!(check(&p)[0].field, Field::Prompt);
    }

    #[test]
    fn an_unsupported_mode_lists_what_the_model_does() {
        let mut p = params(model::local());
        p.mode = Mode::Replace;
        let v = &check(&p)[0];
        assert_eq!((v.field, v.rule), (Field::Mode, Rule::Unsupported));
        assert!(
            matches!(&v.limit, Limit::Modes(m) if m.contains(&"inpaint")),
            "{:?}",
            v.limit
        );
    }
}
