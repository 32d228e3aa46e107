//! The command line's words for the library's errors: a broken rule names the flag that sets it
//! (`--prompt`, `--mode inpaint`), and a refused overwrite says that `--force` allows it. No other
//! front end uses these words.

use crate::choice::Choice;
use crate::edit::model;
use crate::edit::options::Mode;
use crate::error::Error;
use crate::violation::{Field, Rule, Violation, Words};

/// Names settings by their flags.
pub struct Flags;

impl Words for Flags {
    fn field(&self, field: Field) -> String {
        flag(field).to_string()
    }
    fn mode(&self, name: &str) -> String {
        format!("--mode {name}")
    }
}

/// The flag that sets `field`.
pub fn flag(field: Field) -> &'static str {
    match field {
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
        Field::Selection => {
            "a mask, shape or pick (--mask, --rect, --polygon, --ellipse, --object, --wand)"
        }
        Field::Extend => "--extend",
        Field::Canvas => "--canvas",
        Field::OutputFormat => "--output-format",
        Field::Object => "--object",
        Field::Wand => "--wand",
    }
}

/// A violation in the command line's words: `MODEL: --flag ...`, or `FILE: ...` for a rule of
/// the edit itself.
pub fn violation(v: &Violation) -> String {
    if v.rule == Rule::Empty {
        return nothing_selected(v);
    }
    let file = v.subject.as_deref();
    let sentence = match (v.field, file) {
        // a model's limit on the image or selection names the file it is about
        (Field::Image | Field::Selection, Some(file)) if !v.model.is_empty() => {
            struct Named<'a>(&'a str);
            impl Words for Named<'_> {
                fn field(&self, field: Field) -> String {
                    match field {
                        Field::Image | Field::Selection => self.0.to_string(),
                        other => flag(other).to_string(),
                    }
                }
                fn mode(&self, name: &str) -> String {
                    Flags.mode(name)
                }
            }
            v.sentence(&Named(file))
        }
        _ => v.sentence(&Flags),
    };
    let mut text = match (v.model.as_str(), file) {
        ("", Some(file)) => format!("{file}: {sentence}"),
        ("", None) => sentence,
        (model, _) => format!("{model}: {sentence}"),
    };
    if v.field == Field::Mode
        && v.rule == Rule::Unsupported
        && let Some(m) = Mode::parse(&v.value).and_then(model::active_for)
    {
        text.push_str(&format!("; --engine bedrock --model {} does", m.id));
    }
    text
}

/// "FILE: nothing to edit: ..." with the flags that select.
fn nothing_selected(v: &Violation) -> String {
    if matches!(v.field, Field::Object | Field::Wand) {
        let what = format!(
            "nothing to edit: {} {} selects no pixel",
            flag(v.field),
            v.value
        );
        return match &v.subject {
            Some(file) => format!("{file}: {what}"),
            None => what,
        };
    }
    let what = match v.value.as_str() {
        "none given" => {
            "no selection was given (use --mask FILE, --rect, --polygon, --ellipse, --object or --wand)"
        }
        _ => "the mask, shapes and picks select no pixel",
    };
    let after = if v.value.starts_with("after") {
        " after --invert-mask/--shrink"
    } else {
        ""
    };
    match &v.subject {
        Some(file) => format!("{file}: nothing to edit: {what}{after}"),
        None => format!("nothing to edit: {what}{after}"),
    }
}

/// An error in the command line's words.
pub fn error(e: &Error) -> String {
    match e {
        Error::Invalid(v) => violation(v),
        Error::OutputExists(path) => format!(
            "{} already exists (use --force to overwrite it)",
            path.display()
        ),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::violation::Limit;

    #[test]
    fn a_rule_names_its_flag_and_a_model_that_does_the_mode() {
        let v = Violation {
            model: "local".into(),
            ..Violation::new(Field::Prompt, Rule::Required, Limit::Mode("inpaint"), "")
        };
        assert_eq!(
            violation(&v),
            "local: --prompt is required for --mode inpaint"
        );
        let v = Violation {
            model: "local".into(),
            ..Violation::new(
                Field::Mode,
                Rule::Unsupported,
                Limit::Modes(vec!["inpaint"]),
                "replace",
            )
        };
        assert!(
            violation(&v).contains("--engine bedrock --model"),
            "{}",
            violation(&v)
        );
        let e = Error::OutputExists("out.png".into());
        assert_eq!(
            error(&e),
            "out.png already exists (use --force to overwrite it)"
        );
        assert!(!e.to_string().contains("--force"));
    }
}
