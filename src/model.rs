//! The `ModelSpec` table: one row per model id with its family, limits, defaults, price and
//! lifecycle. Validation reads this table; no model limit is written as a literal anywhere else.

use serde::Serialize;

/// Which engine serves a model and which request/response mapping it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// The embedded classical engine.
    Local,
    /// Titan Image Generator v1/v2 (INPAINTING / OUTPAINTING task types).
    Titan,
    /// Nova Canvas (same task types as Titan, wider limits).
    NovaCanvas,
    /// Stability AI edit services on Bedrock (flat JSON).
    StabilityInpaint,
    StabilityOutpaint,
    StabilityErase,
    StabilitySearchReplace,
}

/// Whether the provider still serves a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lifecycle {
    Active,
    /// Served only to accounts that used it recently.
    Legacy,
    EndOfLife,
    Unknown,
}

/// Limits, defaults and facts of one model.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSpec {
    pub id: &'static str,
    pub family: Family,
    pub name: &'static str,
    pub lifecycle: Lifecycle,
    /// Longest prompt / negative prompt in characters (None = prompts are not used).
    pub max_prompt_chars: Option<usize>,
    pub min_side: u32,
    /// Longest side accepted (None = only the decode limits apply).
    pub max_side: Option<u32>,
    /// Largest width x height (None = only the decode limits apply).
    pub max_pixels: Option<u64>,
    /// Smallest width x height.
    pub min_pixels: u64,
    /// Largest ratio of the long side to the short side (None = any).
    pub max_aspect: Option<f32>,
    pub max_images: u32,
    pub cfg_range: Option<(f32, f32)>,
    pub default_cfg: Option<f32>,
    pub seed_max: u64,
    /// Approximate price per image in US dollars (0 for local).
    pub price_per_image_usd: f64,
    /// Largest encoded input image in bytes (None = only the request body limit applies).
    pub max_image_bytes: Option<u64>,
    /// Active models to suggest when this one is retired or Legacy.
    pub successor: Option<&'static str>,
}

/// Largest InvokeModel request body Bedrock accepts, in bytes.
pub const BEDROCK_MAX_BODY_BYTES: usize = 25_000_000;

impl ModelSpec {
    /// Whether an image of `w` x `h` meets this model's size rules.
    pub fn accepts_size(&self, w: u32, h: u32) -> bool {
        let (long, short) = (w.max(h), w.min(h));
        let pixels = u64::from(w) * u64::from(h);
        short >= self.min_side
            && self.max_side.is_none_or(|m| long <= m)
            && self.max_pixels.is_none_or(|m| pixels <= m)
            && pixels >= self.min_pixels
            && self
                .max_aspect
                .is_none_or(|a| f64::from(long) <= f64::from(a) * f64::from(short))
    }

    /// A random seed this model accepts, short enough to read back and retype.
    pub fn random_seed(&self) -> u64 {
        u64::from(rand::random::<u32>()) % self.seed_max.min(i32::MAX as u64 - 1).saturating_add(1)
    }

    /// Whether `mode` needs a prompt on this model.
    pub fn prompt_required(&self, mode: crate::job::Mode) -> bool {
        match self.family {
            Family::Local | Family::StabilityErase => false,
            Family::Titan | Family::NovaCanvas => mode.is_outpaint(),
            Family::StabilityInpaint | Family::StabilitySearchReplace => true,
            Family::StabilityOutpaint => false,
        }
    }

    /// Whether the model fills the selection only from the unselected pixels (so a selection of
    /// every pixel leaves it nothing to work with), rather than generating.
    pub fn fills_from_known_pixels(&self) -> bool {
        self.family == Family::Local
    }

    /// Whether the model can find the region itself from `--mask-prompt`.
    pub fn supports_mask_prompt(&self) -> bool {
        matches!(self.family, Family::Titan | Family::NovaCanvas)
    }

    /// Which `--mode`s this model's family serves.
    pub fn supports(&self, mode: crate::job::Mode) -> bool {
        use crate::job::Mode;
        match self.family {
            Family::Local => !matches!(mode, Mode::Replace),
            Family::Titan | Family::NovaCanvas => {
                matches!(mode, Mode::Inpaint | Mode::Outpaint | Mode::PreciseOutpaint)
            }
            Family::StabilityInpaint => mode == Mode::Inpaint,
            Family::StabilityOutpaint => mode.is_outpaint(),
            Family::StabilityErase => mode == Mode::Erase,
            Family::StabilitySearchReplace => mode == Mode::Replace,
        }
    }
}

const LOCAL: ModelSpec = ModelSpec {
    id: "local",
    family: Family::Local,
    name: "imgedit embedded PatchMatch engine",
    lifecycle: Lifecycle::Active,
    max_prompt_chars: None,
    min_side: 1,
    max_side: None,
    max_pixels: None,
    min_pixels: 1,
    max_aspect: None,
    max_images: 16,
    cfg_range: None,
    default_cfg: None,
    seed_max: u64::MAX,
    price_per_image_usd: 0.0,
    max_image_bytes: None,
    successor: None,
};

const TITAN_BASE: ModelSpec = ModelSpec {
    id: "amazon.titan-image-generator-v2:0",
    family: Family::Titan,
    name: "Titan Image Generator G1 v2",
    lifecycle: Lifecycle::EndOfLife,
    max_prompt_chars: Some(512),
    min_side: 32,
    max_side: Some(1408),
    max_pixels: None,
    min_pixels: 1,
    max_aspect: None,
    max_images: 5,
    cfg_range: Some((1.1, 10.0)),
    default_cfg: Some(8.0),
    seed_max: 2_147_483_646,
    price_per_image_usd: 0.01,
    max_image_bytes: Some(5_000_000),
    successor: Some("stability.stable-image-inpaint-v1:0"),
};

const NOVA: ModelSpec = ModelSpec {
    id: "amazon.nova-canvas-v1:0",
    family: Family::NovaCanvas,
    name: "Nova Canvas",
    lifecycle: Lifecycle::Legacy,
    max_prompt_chars: Some(1024),
    min_side: 320,
    max_side: Some(4096),
    max_pixels: Some(4_194_303),
    min_pixels: 1,
    max_aspect: Some(4.0),
    max_images: 5,
    cfg_range: Some((1.1, 10.0)),
    default_cfg: Some(6.5),
    seed_max: 2_147_483_646,
    price_per_image_usd: 0.06,
    max_image_bytes: None,
    successor: Some("stability.stable-image-inpaint-v1:0"),
};

const STABILITY_BASE: ModelSpec = ModelSpec {
    id: "stability.stable-image-inpaint-v1:0",
    family: Family::StabilityInpaint,
    name: "Stability AI Inpaint",
    lifecycle: Lifecycle::Active,
    max_prompt_chars: Some(10_000),
    min_side: 64,
    max_side: None,
    max_pixels: Some(9_437_184),
    min_pixels: 4096,
    max_aspect: Some(2.5),
    max_images: 1,
    cfg_range: None,
    default_cfg: None,
    seed_max: 4_294_967_294,
    price_per_image_usd: 0.04,
    max_image_bytes: None,
    successor: None,
};

/// Every model imgedit knows, local first.
pub static MODELS: &[ModelSpec] = &[
    LOCAL,
    TITAN_BASE,
    ModelSpec {
        id: "amazon.titan-image-generator-v1",
        name: "Titan Image Generator G1",
        lifecycle: Lifecycle::Unknown,
        ..TITAN_BASE
    },
    NOVA,
    STABILITY_BASE,
    ModelSpec {
        id: "stability.stable-outpaint-v1:0",
        family: Family::StabilityOutpaint,
        name: "Stability AI Outpaint",
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "stability.stable-image-erase-object-v1:0",
        family: Family::StabilityErase,
        name: "Stability AI Erase Object",
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "stability.stable-image-search-replace-v1:0",
        family: Family::StabilitySearchReplace,
        name: "Stability AI Search and Replace",
        ..STABILITY_BASE
    },
];

/// Looks a model id up, accepting cross-region inference profile prefixes such as `us.`.
pub fn find(id: &str) -> Option<&'static ModelSpec> {
    let bare = ["us.", "eu.", "apac.", "global."]
        .iter()
        .find_map(|p| id.strip_prefix(p))
        .unwrap_or(id);
    MODELS.iter().find(|m| m.id == bare)
}

/// Families by the name `--model-family` takes.
pub fn family_by_name(name: &str) -> Option<Family> {
    Some(match name {
        "titan" => Family::Titan,
        "nova-canvas" => Family::NovaCanvas,
        "stability-inpaint" => Family::StabilityInpaint,
        "stability-outpaint" => Family::StabilityOutpaint,
        "stability-erase" => Family::StabilityErase,
        "stability-search-replace" => Family::StabilitySearchReplace,
        _ => return None,
    })
}

/// The model of `family` whose limits an unknown id of that family is held to.
pub fn template_for(family: Family) -> &'static ModelSpec {
    MODELS
        .iter()
        .find(|m| m.family == family)
        .unwrap_or(&MODELS[0])
}

/// The active model of a family that does `mode`, to suggest in errors.
pub fn active_for(mode: crate::job::Mode) -> Option<&'static ModelSpec> {
    MODELS
        .iter()
        .find(|m| m.lifecycle == Lifecycle::Active && m.family != Family::Local && m.supports(mode))
}

/// Resolves a user's model id: a table row, the row of a prefixed inference profile (`us.`...)
/// under the user's id, or an unknown id held to the limits of `family`.
pub fn resolve(id: &str, family: Option<Family>) -> Result<&'static ModelSpec, String> {
    let leak = |spec: &ModelSpec, family: Family| -> &'static ModelSpec {
        let id: &'static str = Box::leak(id.to_string().into_boxed_str());
        Box::leak(Box::new(ModelSpec {
            id,
            family,
            ..spec.clone()
        }))
    };
    match (find(id), family) {
        (Some(spec), None) if spec.id == id => Ok(spec),
        (Some(spec), None) => Ok(leak(spec, spec.family)),
        (Some(spec), Some(f)) if spec.family == f => Ok(leak(spec, f)),
        (Some(spec), Some(_)) => Err(format!(
            "--model {id} is a {:?} model; drop --model-family or pick a matching one",
            spec.family
        )),
        (None, Some(f)) => Ok(leak(template_for(f), f)),
        (None, None) => Err(format!(
            "--model {id}: unknown model id; pass --model-family (titan, nova-canvas, stability-inpaint, stability-outpaint, stability-erase, stability-search-replace) to say how to talk to it"
        )),
    }
}

/// The embedded engine's row.
pub fn local() -> &'static ModelSpec {
    &MODELS[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_profiles_resolve() {
        for (i, a) in MODELS.iter().enumerate() {
            assert!(MODELS[i + 1..].iter().all(|b| b.id != a.id), "{}", a.id);
        }
        assert_eq!(
            find("us.stability.stable-image-inpaint-v1:0").map(|m| m.family),
            Some(Family::StabilityInpaint)
        );
        assert_eq!(find("local").map(|m| m.family), Some(Family::Local));
        assert!(find("acme.unknown").is_none());
    }
}
