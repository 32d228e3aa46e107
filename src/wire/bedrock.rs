//! Bedrock InvokeModel bodies for the families imgedit speaks (contracts.md section 2,
//! bedrock-2026.md section 1): Titan Image Generator and Nova Canvas INPAINTING/OUTPAINTING, and
//! the Stability AI Image Services (one flat body; which fields each tool takes is
//! [`stability_fields`]). Integers are `i64` so that a negative value reaches the server's range
//! check (Bedrock's "is not greater or equal to") rather than a type error.

use serde::{Deserialize, Serialize};

use super::image_edit::value_name;
use crate::edit::model::Family;
use crate::edit::options::{OutputFormat, Quality};
use crate::edit::polarity::TitanTask;

/// Titan's and Nova's `outPaintingMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutPaintingMode {
    /// May alter the kept region to blend the seam.
    Default,
    /// Keeps the region under the mask untouched (imgedit's `precise-outpaint`).
    Precise,
}

/// `inPaintingParams` / `outPaintingParams`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TitanParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative_text: Option<String>,
    /// OUTPAINTING only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_painting_mode: Option<OutPaintingMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_mask: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// `imageGenerationConfig`. `width`/`height` are not sent for edits (output = input size).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ImageGenerationConfig {
    /// An f32 widened: the value a `serde_json::Value` of the f32 held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfg_scale: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_images: Option<i64>,
    #[serde(default, with = "value_name", skip_serializing_if = "Option::is_none")]
    pub quality: Option<Quality>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
}

/// A Titan / Nova Canvas edit: `taskType` with its parameter object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TitanRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_generation_config: Option<ImageGenerationConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_painting_params: Option<TitanParams>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_painting_params: Option<TitanParams>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_type: Option<TitanTask>,
}

impl TitanRequest {
    /// The key of a task's parameter object.
    pub fn params_key(task: TitanTask) -> &'static str {
        match task {
            TitanTask::Inpainting => "inPaintingParams",
            TitanTask::Outpainting => "outPaintingParams",
        }
    }

    /// The request for `task` with its parameters under the task's key.
    pub fn new(task: TitanTask, params: TitanParams, config: ImageGenerationConfig) -> Self {
        let (inp, outp) = match task {
            TitanTask::Inpainting => (Some(params), None),
            TitanTask::Outpainting => (None, Some(params)),
        };
        TitanRequest {
            image_generation_config: Some(config),
            in_painting_params: inp,
            out_painting_params: outp,
            task_type: Some(task),
        }
    }

    /// The parameter object of `task`, and that of the other task.
    pub fn params(&self, task: TitanTask) -> (Option<&TitanParams>, Option<&TitanParams>) {
        match task {
            TitanTask::Inpainting => (
                self.in_painting_params.as_ref(),
                self.out_painting_params.as_ref(),
            ),
            TitanTask::Outpainting => (
                self.out_painting_params.as_ref(),
                self.in_painting_params.as_ref(),
            ),
        }
    }
}

/// Titan's and Nova's answer. `error` is set when moderation withheld images; Nova may return
/// the mask it used as `maskImage`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_image: Option<String>,
}

/// A Stability AI Image Services body: every tool's fields in one flat object; which a tool
/// takes is [`stability_fields`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StabilityRequest {
    /// Style Guide: one of `model::ASPECT_RATIOS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<String>,
    /// Style Transfer (0.1-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_strength: Option<f64>,
    /// Style Transfer (0-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub composition_fidelity: Option<f64>,
    /// Control Sketch / Structure (0-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_strength: Option<f64>,
    /// An f32 widened: the value a `serde_json::Value` of the f32 held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creativity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down: Option<i64>,
    /// Style Guide (0-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fidelity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grow_mask: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Style Transfer's image to restyle (the tool takes no `image`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<i64>,
    /// White = edit, grey = partial strength.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative_prompt: Option<String>,
    #[serde(default, with = "value_name", skip_serializing_if = "Option::is_none")]
    pub output_format: Option<OutputFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_prompt: Option<String>,
    /// Style Transfer's reference image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style_preset: Option<String>,
    /// Style Transfer (0-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style_strength: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up: Option<i64>,
}

impl StabilityRequest {
    /// The value sent for a tool's number.
    pub fn knob(&self, k: crate::edit::model::Knob) -> Option<f64> {
        use crate::edit::model::Knob;
        match k {
            Knob::ControlStrength => self.control_strength,
            Knob::Fidelity => self.fidelity,
            Knob::CompositionFidelity => self.composition_fidelity,
            Knob::StyleStrength => self.style_strength,
            Knob::ChangeStrength => self.change_strength,
        }
    }

    /// Sets a tool's number.
    pub fn set_knob(&mut self, k: crate::edit::model::Knob, v: f64) {
        use crate::edit::model::Knob;
        let slot = match k {
            Knob::ControlStrength => &mut self.control_strength,
            Knob::Fidelity => &mut self.fidelity,
            Knob::CompositionFidelity => &mut self.composition_fidelity,
            Knob::StyleStrength => &mut self.style_strength,
            Knob::ChangeStrength => &mut self.change_strength,
        };
        *slot = Some(v);
    }
}

/// The fields of one Stability tool as AWS's "Stability AI Image Services" page lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolFields {
    pub allowed: &'static [&'static str],
    pub required: &'static [&'static str],
}

/// The fields `family`'s tool takes and requires.
pub fn stability_fields(family: Family) -> ToolFields {
    match family {
        Family::StabilityRemoveBackground
        | Family::StabilityFastUpscale
        | Family::StabilityConservativeUpscale
        | Family::StabilityCreativeUpscale => whole_image_tool_fields(family),
        Family::StabilityControlSketch
        | Family::StabilityControlStructure
        | Family::StabilityStyleGuide
        | Family::StabilityStyleTransfer => control_tool_fields(family),
        _ => edit_tool_fields(family),
    }
}

/// The fields of the control and style tools (S-STAB's "Control" section): Control Sketch and
/// Structure, Style Guide, and Style Transfer (any other family gets Style Transfer's).
fn control_tool_fields(family: Family) -> ToolFields {
    let (allowed, required): (&'static [&'static str], &'static [&'static str]) = match family {
        Family::StabilityControlSketch | Family::StabilityControlStructure => (
            &[
                "image",
                "prompt",
                "control_strength",
                "negative_prompt",
                "seed",
                "output_format",
                "style_preset",
            ],
            &["image", "prompt"],
        ),
        Family::StabilityStyleGuide => (
            &[
                "image",
                "prompt",
                "aspect_ratio",
                "negative_prompt",
                "seed",
                "output_format",
                "fidelity",
                "style_preset",
            ],
            &["image", "prompt"],
        ),
        _ => (
            &[
                "init_image",
                "style_image",
                "prompt",
                "negative_prompt",
                "seed",
                "output_format",
                "composition_fidelity",
                "style_strength",
                "change_strength",
            ],
            &["init_image", "style_image"],
        ),
    };
    ToolFields { allowed, required }
}

/// The fields of the tools that edit a region: inpaint, erase, outpaint, search-and-recolor, and
/// search-and-replace (any other family).
fn edit_tool_fields(family: Family) -> ToolFields {
    let (allowed, required): (&'static [&'static str], &'static [&'static str]) = match family {
        Family::StabilityInpaint => (
            &[
                "image",
                "prompt",
                "mask",
                "negative_prompt",
                "grow_mask",
                "seed",
                "output_format",
                "style_preset",
            ],
            &["image", "prompt"],
        ),
        Family::StabilityErase => (
            &["image", "mask", "grow_mask", "seed", "output_format"],
            &["image"],
        ),
        Family::StabilityOutpaint => (
            &[
                "image",
                "left",
                "right",
                "up",
                "down",
                "prompt",
                "creativity",
                "seed",
                "output_format",
                "style_preset",
            ],
            &["image"],
        ),
        Family::StabilitySearchRecolor => (
            &[
                "image",
                "prompt",
                "select_prompt",
                "negative_prompt",
                "grow_mask",
                "seed",
                "output_format",
                "style_preset",
            ],
            &["image", "prompt", "select_prompt"],
        ),
        _ => (
            &[
                "image",
                "prompt",
                "search_prompt",
                "negative_prompt",
                "grow_mask",
                "seed",
                "output_format",
                "style_preset",
            ],
            &["image", "prompt", "search_prompt"],
        ),
    };
    ToolFields { allowed, required }
}

/// The fields of the tools that work on the whole image: the upscalers and remove-background (any
/// other family gets remove-background's and fast upscale's).
fn whole_image_tool_fields(family: Family) -> ToolFields {
    let (allowed, required): (&'static [&'static str], &'static [&'static str]) = match family {
        Family::StabilityConservativeUpscale => (
            &[
                "image",
                "prompt",
                "creativity",
                "negative_prompt",
                "seed",
                "output_format",
            ],
            &["image", "prompt"],
        ),
        Family::StabilityCreativeUpscale => (
            &[
                "image",
                "prompt",
                "creativity",
                "negative_prompt",
                "seed",
                "output_format",
                "style_preset",
            ],
            &["image", "prompt"],
        ),
        _ => (&["image", "output_format"], &["image"]),
    };
    ToolFields { allowed, required }
}

/// Whether a Stability tool takes `seed` (background removal and fast upscale do not).
pub fn takes_seed(family: Family) -> bool {
    stability_fields(family).allowed.contains(&"seed")
}

/// A seed in Stability's answer: the doc types `seeds` as strings, its examples send numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Seed(pub u64);

impl<'de> Deserialize<'de> for Seed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Number(u64),
            Text(String),
        }
        match Either::deserialize(d)? {
            Either::Number(n) => Ok(Seed(n)),
            Either::Text(s) => {
                s.trim().parse().map(Seed).map_err(|_| {
                    serde::de::Error::custom(format!("seed {s:?} is not a whole number"))
                })
            }
        }
    }
}

/// Stability's `finish_reasons` value for a model failure (retried, unlike a filter).
pub const INFERENCE_ERROR: &str = "Inference error";

/// Stability's answer: per image, its seed and why it finished (`null` = delivered, else a
/// filter's reason or [`INFERENCE_ERROR`]). A filtered answer may carry only `finish_reasons`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StabilityResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reasons: Option<Vec<Option<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds: Option<Vec<Seed>>,
}

/// Bedrock's error body (the code is in the `x-amzn-ErrorType` header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BedrockErrorBody {
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn task_types_and_outpainting_modes_have_bedrocks_names() {
        let r = TitanRequest::new(
            TitanTask::Outpainting,
            TitanParams {
                out_painting_mode: Some(OutPaintingMode::Precise),
                ..Default::default()
            },
            ImageGenerationConfig::default(),
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["taskType"], "OUTPAINTING");
        assert_eq!(v["outPaintingParams"]["outPaintingMode"], "PRECISE");
        assert!(v.get("inPaintingParams").is_none());
        assert_eq!(
            serde_json::to_value(TitanTask::Inpainting).unwrap(),
            json!("INPAINTING")
        );
    }

    #[test]
    fn seeds_read_as_numbers_or_strings() {
        let r: StabilityResponse =
            serde_json::from_value(json!({"seeds": [1, "2"], "finish_reasons": [null, "x"]}))
                .unwrap();
        assert_eq!(r.seeds, Some(vec![Seed(1), Seed(2)]));
        assert_eq!(r.finish_reasons, Some(vec![None, Some("x".into())]));
        assert!(serde_json::from_value::<StabilityResponse>(json!({"seeds": ["x"]})).is_err());
    }

    #[test]
    fn keys_serialise_sorted_as_a_json_value_would() {
        let s = StabilityRequest {
            aspect_ratio: Some("16:9".into()),
            change_strength: Some(0.25),
            composition_fidelity: Some(0.75),
            control_strength: Some(0.125),
            creativity: Some(0.5),
            down: Some(1),
            fidelity: Some(0.375),
            grow_mask: Some(2),
            image: Some("i".into()),
            init_image: Some("ii".into()),
            left: Some(3),
            mask: Some("m".into()),
            negative_prompt: Some("n".into()),
            output_format: Some(OutputFormat::Webp),
            prompt: Some("p".into()),
            right: Some(4),
            search_prompt: Some("s".into()),
            seed: Some(5),
            select_prompt: Some("sel".into()),
            style_image: Some("si".into()),
            style_preset: Some("anime".into()),
            style_strength: Some(0.625),
            up: Some(6),
        };
        let bytes = serde_json::to_string(&s).unwrap();
        assert_eq!(bytes, serde_json::to_value(&s).unwrap().to_string());
        let t = TitanRequest::new(
            TitanTask::Inpainting,
            TitanParams {
                image: Some("i".into()),
                mask_image: Some("m".into()),
                mask_prompt: Some("mp".into()),
                negative_text: Some("n".into()),
                out_painting_mode: None,
                return_mask: Some(false),
                text: Some("t".into()),
            },
            ImageGenerationConfig {
                cfg_scale: Some(8.0),
                height: Some(1),
                number_of_images: Some(2),
                quality: Some(Quality::Standard),
                seed: Some(3),
                width: Some(4),
            },
        );
        let bytes = serde_json::to_string(&t).unwrap();
        let v: Value = serde_json::to_value(&t).unwrap();
        assert_eq!(bytes, v.to_string());
    }

    #[test]
    fn every_tool_requires_only_what_it_allows() {
        for f in [
            Family::StabilityInpaint,
            Family::StabilityErase,
            Family::StabilityOutpaint,
            Family::StabilitySearchReplace,
            Family::StabilitySearchRecolor,
            Family::StabilityRemoveBackground,
            Family::StabilityFastUpscale,
            Family::StabilityConservativeUpscale,
            Family::StabilityCreativeUpscale,
            Family::StabilityControlSketch,
            Family::StabilityControlStructure,
            Family::StabilityStyleGuide,
            Family::StabilityStyleTransfer,
        ] {
            let t = stability_fields(f);
            assert!(t.required.iter().all(|k| t.allowed.contains(k)), "{f:?}");
            // every allowed field is one of the body's
            let all = serde_json::to_value(StabilityRequest {
                aspect_ratio: Some(String::new()),
                change_strength: Some(0.5),
                composition_fidelity: Some(0.5),
                control_strength: Some(0.5),
                creativity: Some(0.5),
                down: Some(0),
                fidelity: Some(0.5),
                grow_mask: Some(0),
                image: Some(String::new()),
                init_image: Some(String::new()),
                left: Some(0),
                mask: Some(String::new()),
                negative_prompt: Some(String::new()),
                output_format: Some(OutputFormat::Png),
                prompt: Some(String::new()),
                right: Some(0),
                search_prompt: Some(String::new()),
                seed: Some(0),
                select_prompt: Some(String::new()),
                style_image: Some(String::new()),
                style_preset: Some(String::new()),
                style_strength: Some(0.5),
                up: Some(0),
            })
            .unwrap();
            for k in t.allowed {
                assert!(all.get(*k).is_some(), "{f:?}: {k}");
            }
        }
        assert!(!takes_seed(Family::StabilityFastUpscale));
        // Style Transfer takes init_image and style_image, never image
        let st = stability_fields(Family::StabilityStyleTransfer);
        assert!(!st.allowed.contains(&"image"));
        assert_eq!(st.required, &["init_image", "style_image"]);
        assert!(takes_seed(Family::StabilityInpaint));
    }
}
