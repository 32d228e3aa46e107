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
    pub max_images: u32,
    pub cfg_range: Option<(f32, f32)>,
    pub default_cfg: Option<f32>,
    pub seed_max: u64,
    /// Approximate price per image in US dollars (0 for local).
    pub price_per_image_usd: f64,
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
    max_images: 16,
    cfg_range: None,
    default_cfg: None,
    seed_max: u64::MAX,
    price_per_image_usd: 0.0,
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
    max_images: 5,
    cfg_range: Some((1.1, 10.0)),
    default_cfg: Some(8.0),
    seed_max: 2_147_483_646,
    price_per_image_usd: 0.01,
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
    max_images: 5,
    cfg_range: Some((1.1, 10.0)),
    default_cfg: Some(6.5),
    seed_max: 2_147_483_646,
    price_per_image_usd: 0.06,
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
    max_images: 1,
    cfg_range: None,
    default_cfg: None,
    seed_max: 4_294_967_294,
    price_per_image_usd: 0.04,
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
