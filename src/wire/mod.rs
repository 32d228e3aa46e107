//! The JSON wire formats imgedit speaks, one typed definition each, shared by the client (the
//! `api` and `bedrock` engines build and read them) and the server (`imgedit serve` reads and
//! answers them): `/image-edit` ([`image_edit`]) and Bedrock's InvokeModel bodies ([`bedrock`]).
//!
//! Field order in the structs is alphabetical, so that a body serialises to the same bytes as a
//! `serde_json::Value` of it (whose keys are sorted). Where the server must check more than a
//! type (ranges, which fields go together), the struct holds the value and the server checks it
//! after deserialising; a value that does not fit a field's type is a [`WireError`] that names the
//! field's path, the rule and the value, for each side to word as its contract does.

pub mod bedrock;
pub mod bedrock_control;
pub mod image_edit;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// One step of a path into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// What is wrong with the value at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A key the format does not have, with the keys it has.
    UnknownField {
        field: String,
        expected: Vec<String>,
    },
    /// A required key is absent.
    MissingField(String),
    /// The value has the wrong type or is out of the type's range: `expected` as serde words it
    /// (`a string`, `u64`, a visitor's own text), `got` the value (`3`, `"x"`, `an object`).
    Type { expected: String, got: String },
    /// A message of the format's own (a mode that is not a mode).
    Other(String),
}

/// A value that does not fit a wire struct: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub path: Vec<Step>,
    pub problem: Problem,
}

impl WireError {
    /// The path as `/image-edit` names fields: `prompt.text`, `canvas_config.extend[2]`.
    pub fn dotted(&self) -> String {
        let mut out = String::new();
        for step in &self.path {
            match step {
                Step::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// The path as a JSON pointer under `#`, as Bedrock's messages name fields:
    /// `#/inPaintingParams/text`.
    pub fn pointer(&self) -> String {
        let mut out = String::from("#");
        for step in &self.path {
            match step {
                Step::Key(k) => out.push_str(&format!("/{k}")),
                Step::Index(i) => out.push_str(&format!("/{i}")),
            }
        }
        out
    }
}

/// Deserialises `value` into `T`, keeping the path of the first value that does not fit.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, WireError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Map { key } => Some(Step::Key(key.clone())),
                serde_path_to_error::Segment::Seq { index } => Some(Step::Index(*index)),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => None,
            })
            .collect();
        WireError {
            path,
            problem: Problem::from_message(&e.into_inner().to_string()),
        }
    })
}

/// The text between the first pair of backticks in `s`, and what follows it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some((&s[start..start + len], &s[start + len + 1..]))
}

/// The names of serde's "expected one of `a`, `b`" (or "`a` or `b`", or "`a`").
fn names(mut s: &str) -> Vec<String> {
    let mut out = Vec::new();
    while let Some((name, rest)) = quoted(s) {
        out.push(name.to_string());
        s = rest;
    }
    out
}

/// A value as serde's `Unexpected` words it (`integer \`3\``, `string "x"`, `map`), as a person
/// would write it.
fn value_words(s: &str) -> String {
    if let Some(v) = s.strip_prefix("string ") {
        return v.to_string();
    }
    if let Some((v, _)) = quoted(s) {
        return v.to_string();
    }
    match s {
        "map" => "an object".into(),
        "sequence" => "a list".into(),
        "null" | "unit value" => "null".into(),
        other => other.to_string(),
    }
}

impl Problem {
    /// Reads serde's error text (its `de::Error` wordings) back into data.
    fn from_message(msg: &str) -> Problem {
        if let Some(rest) = msg.strip_prefix("unknown field ")
            && let Some((field, tail)) = quoted(rest)
        {
            return Problem::UnknownField {
                field: field.to_string(),
                expected: names(tail),
            };
        }
        if let Some(rest) = msg.strip_prefix("missing field ")
            && let Some((field, _)) = quoted(rest)
        {
            return Problem::MissingField(field.to_string());
        }
        if let Some(rest) = msg.strip_prefix("unknown variant ")
            && let Some((value, tail)) = quoted(rest)
        {
            return Problem::Type {
                expected: format!("one of [{}]", names(tail).join(", ")),
                got: value.to_string(),
            };
        }
        for prefix in ["invalid type: ", "invalid value: "] {
            if let Some(rest) = msg.strip_prefix(prefix)
                && let Some((got, expected)) = rest.split_once(", expected ")
            {
                return Problem::Type {
                    expected: expected.to_string(),
                    got: value_words(got),
                };
            }
        }
        Problem::Other(msg.to_string())
    }
}

/// serde's word for an expected type, in plain words (`u64` is "a whole number").
pub fn plain_type(expected: &str) -> &str {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" => "a whole number",
        "f32" | "f64" => "a number",
        "a sequence" => "a list",
        "a map" => "an object",
        s if s.starts_with("struct ") => "an object",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Option<Inner>,
        list: Option<Vec<u64>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        text: Option<String>,
        need: Option<f64>,
    }

    fn err(v: Value) -> WireError {
        from_value::<Outer>(v).unwrap_err()
    }

    #[test]
    fn paths_and_problems_are_data() {
        let e = err(json!({"inner": {"text": 3}}));
        assert_eq!(e.dotted(), "inner.text");
        assert_eq!(e.pointer(), "#/inner/text");
        assert_eq!(
            e.problem,
            Problem::Type {
                expected: "a string".into(),
                got: "3".into()
            }
        );
        let e = err(json!({"inner": {"colour": 1}}));
        assert_eq!(e.dotted(), "inner.colour");
        assert_eq!(
            e.problem,
            Problem::UnknownField {
                field: "colour".into(),
                expected: vec!["text".into(), "need".into()]
            }
        );
        let e = err(json!({"list": [1, -2]}));
        assert_eq!(e.dotted(), "list[1]");
        assert_eq!(e.pointer(), "#/list/1");
        assert_eq!(
            e.problem,
            Problem::Type {
                expected: "u64".into(),
                got: "-2".into()
            }
        );
        let e = err(json!({"inner": "x"}));
        assert_eq!(
            e.problem,
            Problem::Type {
                expected: "struct Inner".into(),
                got: "\"x\"".into()
            }
        );
        assert_eq!(plain_type("struct Inner"), "an object");
        let e = err(json!({"inner": {"need": []}}));
        assert_eq!(
            e.problem,
            Problem::Type {
                expected: "f64".into(),
                got: "a list".into()
            }
        );
    }
}

/// The documents' example bodies (tests/fixtures/wire/, tests/fixtures/bedrock/stability.json)
/// read into the structs and written back unchanged: every field of the docs has a place, named
/// as the docs name it.
#[cfg(test)]
mod doc_fixtures {
    use super::bedrock::{StabilityRequest, StabilityResponse, TitanRequest, TitanResponse};
    use super::image_edit::{ImageEditError, ImageEditRequest, ImageEditResponse};
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn round_trip<T: DeserializeOwned + Serialize>(v: &Value) {
        let typed: T = super::from_value(v.clone())
            .unwrap_or_else(|e| panic!("{v}: {} {:?}", e.dotted(), e.problem));
        assert_eq!(&serde_json::to_value(&typed).unwrap(), v);
    }

    fn each(v: &Value) -> Vec<Value> {
        match v {
            Value::Array(a) => a.clone(),
            Value::Object(o) => o.values().cloned().collect(),
            _ => panic!("{v} is not a list of bodies"),
        }
    }

    #[test]
    fn image_edit_bodies_round_trip() {
        let f = fixture("wire/image-edit.json");
        for v in each(&f["requests"]) {
            round_trip::<ImageEditRequest>(&v);
        }
        for v in each(&f["responses"]) {
            round_trip::<ImageEditResponse>(&v);
        }
        for v in each(&f["errors"]) {
            round_trip::<ImageEditError>(&v);
        }
    }

    #[test]
    fn titan_and_nova_bodies_round_trip() {
        let f = fixture("wire/titan.json");
        for v in each(&f["requests"]) {
            round_trip::<TitanRequest>(&v);
        }
        for v in each(&f["responses"]) {
            round_trip::<TitanResponse>(&v);
        }
    }

    #[test]
    fn stability_bodies_round_trip() {
        let f = fixture("bedrock/stability.json");
        let requests = each(&f["requests"]);
        assert!(requests.len() >= 5);
        for v in requests {
            round_trip::<StabilityRequest>(&v);
        }
        for v in each(&f["responses"]) {
            round_trip::<StabilityResponse>(&v);
        }
    }

    #[test]
    fn a_misspelt_field_is_refused_where_the_server_refuses_it() {
        let f = fixture("wire/titan.json");
        let mut v = f["requests"][0].clone();
        v["inPaintingParams"]["maskimage"] = Value::String("x".into());
        let e = super::from_value::<TitanRequest>(v).unwrap_err();
        assert_eq!(e.pointer(), "#/inPaintingParams/maskimage");
        let f = fixture("wire/image-edit.json");
        let mut v = f["requests"][0].clone();
        v["negative_text"] = Value::String("x".into());
        let e = super::from_value::<ImageEditRequest>(v).unwrap_err();
        assert_eq!(e.dotted(), "negative_text");
    }
}
