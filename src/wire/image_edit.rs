//! `POST /image-edit` (contracts.md section 1): the browser client's request plus imgedit's
//! extensions (`num_images`, `seed`, `cfg_scale`, `quality`, `prompt.negative_text`,
//! `canvas_config`), the success answer and the error answer.
//!
//! ```json
//! { "prompt": { "text": "...", "mode": "INPAINTING", "negative_text": "..." },
//!   "base_image": "data:image/jpeg;base64,...", "mask": "data:image/png;base64,..." | null,
//!   "model": "titan", "canvas_config": { "extend": [0, 0, 256, 0] },
//!   "num_images": 2, "seed": 42, "cfg_scale": 8.0, "quality": "premium" }
//! ```

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::choice::Choice;
use crate::edit::options::{Anchor, Mode, Quality};
use crate::violation::{Field, Violation, Words};

/// The modes `/image-edit` does, in the contract's order.
pub const MODES: [Mode; 3] = [Mode::Inpaint, Mode::Outpaint, Mode::PreciseOutpaint];

/// The mode a `/image-edit` name stands for: the contract's names (`INPAINTING`, `OUTPAINTING`,
/// `precise-outpaint`, [`Mode::wire_name`]), in any case, with `_` for `-`, and the short
/// forms (`inpaint`, `outpaint`, `precise-outpainting`).
pub fn mode_named(name: &str) -> Option<Mode> {
    let n = name.to_ascii_lowercase().replace('_', "-");
    MODES.into_iter().find(|m| {
        let wire = m.wire_name().to_ascii_lowercase();
        n == wire
            || n == m.name()
            || wire.strip_suffix("ing").is_some_and(|w| n == w)
            || n.strip_suffix("ing").is_some_and(|s| s == m.name())
    })
}

/// A serde error in serde's own "unknown variant" words, which [`super::Problem`] reads back.
fn unknown_variant<E: de::Error>(value: &str, names: &[&str]) -> E {
    let list = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    E::custom(format!("unknown variant `{value}`, expected one of {list}"))
}

/// A mode as the contract names it ([`Mode::wire_name`]); reads the aliases of [`mode_named`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireMode(pub Mode);

impl Serialize for WireMode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.wire_name())
    }
}

impl<'de> Deserialize<'de> for WireMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        mode_named(&s)
            .map(WireMode)
            .ok_or_else(|| unknown_variant(&s, &MODES.map(Mode::wire_name)))
    }
}

/// A [`Choice`] as its one spelling: how `quality`, `anchor` and `output_format` values are
/// written on the wire (read in any case, `_` for `-`).
pub(crate) mod value_name {
    use super::*;
    use crate::choice::Choice;

    pub fn serialize<T: Choice, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(v.name()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Choice, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
        let Some(s) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        T::parse(&s).map(Some).ok_or_else(|| {
            let names: Vec<&str> = T::ALL.iter().map(|v| v.name()).collect();
            unknown_variant(&s, &names)
        })
    }
}

/// `prompt`: the text, the mode and imgedit's negative text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditPrompt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<WireMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative_text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// `canvas_config.extend` in pixels: `[left, top, right, bottom]` or by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ExtendSides {
    List([u64; 4]),
    Named(NamedSides),
}

impl ExtendSides {
    /// `[left, top, right, bottom]`, a side not named being 0.
    pub fn sides(&self) -> [u64; 4] {
        match *self {
            ExtendSides::List(s) => s,
            ExtendSides::Named(n) => [n.left, n.top, n.right, n.bottom].map(|v| v.unwrap_or(0)),
        }
    }
}

/// `{"left": .., "top": .., "right": .., "bottom": ..}`, each optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedSides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bottom: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<u64>,
}

const EXTEND_SHAPE: &str = "[left, top, right, bottom] in pixels";

impl<'de> Deserialize<'de> for ExtendSides {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExtendSides;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(EXTEND_SHAPE)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ExtendSides, A::Error> {
                let mut sides = [0u64; 4];
                let mut n = 0;
                while let Some(v) = seq.next_element::<u64>()? {
                    if let Some(s) = sides.get_mut(n) {
                        *s = v;
                    }
                    n += 1;
                }
                if n != 4 {
                    return Err(de::Error::custom(format!(
                        "expected {EXTEND_SHAPE}, got {n} value{}",
                        if n == 1 { "" } else { "s" }
                    )));
                }
                Ok(ExtendSides::List(sides))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ExtendSides, A::Error> {
                NamedSides::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ExtendSides::Named)
            }
        }
        d.deserialize_any(V)
    }
}

/// `canvas_config`: the outpainting canvas, as a size and an anchor or as the growth of each
/// side. The original Lambda reads it and ignores it; `{}` means "not given".
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanvasConfig {
    #[serde(default, with = "value_name", skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Anchor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend: Option<ExtendSides>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u64>,
}

impl CanvasConfig {
    pub fn is_empty(&self) -> bool {
        *self == CanvasConfig::default()
    }
}

/// The request body. Every field is optional here: which are required, and the ranges, are the
/// server's checks (`server::request`), which name the field in their errors.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageEditRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canvas_config: Option<CanvasConfig>,
    /// An f32 widened: the value a `serde_json::Value` of the f32 held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfg_scale: Option<f64>,
    /// `null` for OUTPAINTING without a drawn mask (the browser client sends it so).
    #[serde(default)]
    pub mask: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_images: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<EditPrompt>,
    #[serde(default, with = "value_name", skip_serializing_if = "Option::is_none")]
    pub quality: Option<Quality>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// The keys of the request, as the server lists them in "unknown field" errors.
pub const REQUEST_KEYS: &[&str] = &[
    "prompt",
    "base_image",
    "mask",
    "model",
    "canvas_config",
    "num_images",
    "seed",
    "cfg_scale",
    "quality",
];

/// An image the model withheld, in the success answer's `withheld`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithheldImage {
    pub reason: String,
    #[serde(default)]
    pub seed: Option<u64>,
}

/// The 200 answer. The original Lambda sends `images` (possibly `null` or short), `model_used`,
/// `request_id` and `generation_time_ms`; imgedit adds `model_id` and `seeds`, and `error` with
/// `withheld` when the model withheld images.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageEditResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation_time_ms: Option<u64>,
    #[serde(default)]
    pub images: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_used: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The seed of each image; `null` where the engine could not confirm it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds: Option<Vec<Option<u64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<Vec<WithheldImage>>,
}

impl ImageEditResponse {
    /// An answer in the original Lambda's contract: neither `seeds` nor `model_id`.
    pub fn is_original(&self) -> bool {
        self.seeds.is_none() && self.model_id.is_none()
    }
}

/// An error answer: the Lambda's `{"error": ...}` (imgedit adds `error_code` and `field`), or API
/// Gateway's `{"message": ...}` (`Message` from some AWS front ends).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImageEditError {
    #[serde(rename = "Message", default, skip_serializing_if = "Option::is_none")]
    pub message_capitalised: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_attempted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The broken rule of a 400, as `Violation` serialises it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation: Option<WireViolation>,
}

/// A `Violation` on the wire: the field (by the rule set's name), the rule, the limit, the
/// value given and the model whose limit it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireViolation {
    pub field: String,
    pub limit: String,
    pub model: String,
    pub rule: String,
    pub value: String,
}

impl From<&Violation> for WireViolation {
    fn from(v: &Violation) -> Self {
        // the rule set's own names for the field and the rule (its serde names)
        let name = |x: serde_json::Result<serde_json::Value>| {
            x.ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        WireViolation {
            field: name(serde_json::to_value(v.field)),
            limit: v.limit.to_string(),
            model: v.model.clone(),
            rule: name(serde_json::to_value(v.rule)),
            value: v.value.clone(),
        }
    }
}

/// The request body's name (a JSON path) for what a violation is about.
pub fn json_field(field: Field) -> &'static str {
    match field {
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
        Field::Extend | Field::Canvas => "canvas_config",
        Field::OutputFormat => "output_format",
        // the command line's and the TUI's selections; a request has only its mask
        Field::Object | Field::Wand => "mask",
    }
}

/// `/image-edit`'s words: settings by their JSON paths, modes as `prompt.mode` spells them.
pub struct JsonFields;

impl Words for JsonFields {
    fn field(&self, field: Field) -> String {
        json_field(field).to_string()
    }
    fn mode(&self, name: &str) -> String {
        match Mode::parse(name) {
            Some(m) => format!("prompt.mode {}", m.wire_name()),
            None => format!("prompt.mode {name}"),
        }
    }
}

/// A violation as a 400's text: the JSON field first (clients key on it), the model last.
pub fn violation_message(v: &Violation) -> String {
    let sentence = v.sentence(&JsonFields);
    match v.model.as_str() {
        "" => sentence,
        model => format!("{sentence} (model {model})"),
    }
}

impl ImageEditError {
    /// The error's text, whichever key carries it.
    pub fn text(&self) -> Option<&str> {
        self.error
            .as_deref()
            .or(self.message.as_deref())
            .or(self.message_capitalised.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn mode_names_are_the_contracts_with_their_aliases() {
        for m in MODES {
            assert_eq!(mode_named(m.wire_name()), Some(m));
            assert_eq!(mode_named(m.name()), Some(m));
            let v = serde_json::to_value(WireMode(m)).unwrap();
            assert_eq!(v, json!(m.wire_name()));
        }
        for (alias, m) in [
            ("inpainting", Mode::Inpaint),
            ("Outpainting", Mode::Outpaint),
            ("PRECISE_OUTPAINT", Mode::PreciseOutpaint),
            ("precise-outpainting", Mode::PreciseOutpaint),
        ] {
            assert_eq!(mode_named(alias), Some(m), "{alias}");
        }
        assert_eq!(mode_named("erase"), None);
        assert_eq!(mode_named("PAINTING"), None);
        assert_eq!(mode_named("é"), None);
    }

    #[test]
    fn bad_values_name_the_path_and_the_value() {
        let e = crate::wire::from_value::<ImageEditRequest>(
            json!({"prompt": {"text": "x", "mode": "PAINTING"}}),
        )
        .unwrap_err();
        assert_eq!(e.dotted(), "prompt.mode");
        assert_eq!(
            e.problem,
            crate::wire::Problem::Type {
                expected: "one of [INPAINTING, OUTPAINTING, precise-outpaint]".into(),
                got: "PAINTING".into()
            }
        );
        let e = crate::wire::from_value::<ImageEditRequest>(
            json!({"canvas_config": {"extend": [1, 2, "x", 4]}}),
        )
        .unwrap_err();
        assert_eq!(e.dotted(), "canvas_config.extend[2]");
        let e = crate::wire::from_value::<ImageEditRequest>(
            json!({"canvas_config": {"extend": {"left": 1, "middle": 2}}}),
        )
        .unwrap_err();
        assert_eq!(e.dotted(), "canvas_config.extend.middle");
        let e =
            crate::wire::from_value::<ImageEditRequest>(json!({"quality": "ultra"})).unwrap_err();
        assert_eq!(e.dotted(), "quality");
        let q: ImageEditRequest = serde_json::from_value(
            json!({"quality": "STANDARD", "canvas_config": {"anchor": "top_left"}}),
        )
        .unwrap();
        assert_eq!(q.quality, Some(Quality::Standard));
        assert_eq!(q.canvas_config.unwrap().anchor, Some(Anchor::TopLeft));
    }

    #[test]
    fn the_rule_sets_violations_read_as_wire_violations() {
        use crate::violation::{Limit, Rule};
        let v = Violation {
            model: "m".into(),
            ..Violation::new(Field::Prompt, Rule::MaxChars, Limit::Chars(512), "600")
        };
        let wire: WireViolation =
            serde_json::from_value(serde_json::to_value(&v).unwrap()).unwrap();
        assert_eq!((wire.limit.as_str(), wire.value.as_str()), ("512", "600"));
    }

    #[test]
    fn keys_serialise_sorted_as_a_json_value_would() {
        let r = ImageEditRequest {
            base_image: Some("b".into()),
            canvas_config: Some(CanvasConfig::default()),
            cfg_scale: Some(f64::from(6.5f32)),
            mask: None,
            model: Some("titan".into()),
            num_images: Some(2),
            prompt: Some(EditPrompt {
                mode: Some(WireMode(Mode::PreciseOutpaint)),
                negative_text: Some("n".into()),
                text: Some("t".into()),
            }),
            quality: Some(Quality::Premium),
            seed: Some(7),
        };
        let bytes = serde_json::to_string(&r).unwrap();
        let value: Value = serde_json::to_value(&r).unwrap();
        assert_eq!(bytes, value.to_string());
        assert!(bytes.contains(r#""mask":null"#), "{bytes}");
        let e = ImageEditError {
            message_capitalised: Some("M".into()),
            error: Some("e".into()),
            error_code: Some("c".into()),
            field: Some("f".into()),
            message: Some("m".into()),
            model_attempted: Some("x".into()),
            request_id: Some("r".into()),
            violation: None,
        };
        let bytes = serde_json::to_string(&e).unwrap();
        assert_eq!(bytes, serde_json::to_value(&e).unwrap().to_string());
    }
}
