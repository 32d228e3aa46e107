//! The `ModelSpec` table: one row per model id with its family, limits, defaults, price and
//! lifecycle. Validation reads this table; no model limit is written as a literal anywhere else.

use serde::Serialize;

/// The numbers some tools take are settings of an edit; their ranges live in this table.
pub use crate::edit::options::Knob;

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
    StabilitySearchRecolor,
    StabilityRemoveBackground,
    StabilityFastUpscale,
    StabilityConservativeUpscale,
    StabilityCreativeUpscale,
    /// Control Sketch: a new picture from a sketch and a prompt.
    StabilityControlSketch,
    /// Control Structure: a new picture keeping the structure of the image.
    StabilityControlStructure,
    /// Style Guide: a new picture in the style of the image.
    StabilityStyleGuide,
    /// Style Transfer: the image restyled in the look of a reference image.
    StabilityStyleTransfer,
}

/// A tool's range and default for one [`Knob`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KnobRange {
    pub knob: Knob,
    pub lo: f32,
    pub hi: f32,
    pub default: f32,
}

const fn knob(knob: Knob, lo: f32, hi: f32, default: f32) -> KnobRange {
    KnobRange {
        knob,
        lo,
        hi,
        default,
    }
}

/// Where the Stability prices in [`MODELS`] come from, and when they were read.
pub const STABILITY_PRICE_SOURCE: &str = "AWS Bedrock pricing, Stability AI Image Services, per image in us-east-1/us-east-2/us-west-2, read 2026-12-06 from a copy of AWS's page in stdapi.ai's price table (stdapi/models/pricing_overrides.py)";

/// Style Guide's `aspect_ratio` values (the tool's default is 1:1).
pub const ASPECT_RATIOS: &[&str] = &[
    "16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21",
];

/// Whether the provider still serves a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lifecycle {
    Active,
    /// Served only to accounts that used it recently.
    Legacy,
    /// Retired: requests fail. A user who asks for it by id still gets the call sent (an account
    /// may hold an exception), and a refusal says which model to use instead.
    EndOfLife,
    Unknown,
}

impl Lifecycle {
    /// Whether imgedit may pick the model by default.
    pub fn is_living(self) -> bool {
        self == Lifecycle::Active
    }
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
    /// Price per image in US dollars (0 for local); one image per Stability call.
    pub price_per_image_usd: f64,
    /// Where the price comes from and when it was read (None = not checked against a price list).
    pub price_source: Option<&'static str>,
    /// Largest encoded input image in bytes (None = only the request body limit applies).
    pub max_image_bytes: Option<u64>,
    /// Active models to suggest when this one is retired or Legacy.
    pub successor: Option<&'static str>,
    /// The end-of-life date AWS gives (None = none given).
    pub end_of_life: Option<&'static str>,
    /// Regions where Bedrock serves the model (empty = not applicable).
    pub regions: &'static [&'static str],
    /// Whether the id is a cross-region inference profile whose bare form is also accepted.
    pub profile_prefix: Option<&'static str>,
    /// Largest outpainting extension per side, in pixels of the image sent (None = no such rule).
    pub max_extend: Option<u32>,
    /// `grow_mask`: (largest, the tool's default), for tools that take it.
    pub grow_mask: Option<(u32, u32)>,
    /// Whether WebP input images are accepted (the last fallback when a body is too large).
    pub webp_input: bool,
    /// `creativity`: the range the tool accepts (None = not a field of the tool).
    pub creativity: Option<(f32, f32)>,
    /// Whether the tool takes `style_preset`.
    pub style_preset: bool,
    /// The upscaler this model is, for `--mode upscale`.
    pub upscaler: Option<crate::edit::options::Upscaler>,
    /// The tool's numbers beyond the shared ones (control strength, fidelity, ...).
    pub knobs: &'static [KnobRange],
    /// Style Guide's `aspect_ratio` values (empty = not a field of the tool).
    pub aspect_ratios: &'static [&'static str],
}

/// The `style_preset` values the Stability tools accept.
pub const STYLE_PRESETS: &[&str] = &[
    "3d-model",
    "analog-film",
    "anime",
    "cinematic",
    "comic-book",
    "digital-art",
    "enhance",
    "fantasy-art",
    "isometric",
    "line-art",
    "low-poly",
    "modeling-compound",
    "neon-punk",
    "origami",
    "photographic",
    "pixel-art",
    "tile-texture",
];

/// Regions with the `us.` inference profiles of the Stability AI Image Services.
pub const STABILITY_REGIONS: &[&str] = &["us-east-1", "us-east-2", "us-west-2"];

/// Largest InvokeModel request body Bedrock accepts, in bytes.
pub const BEDROCK_MAX_BODY_BYTES: usize = 25_000_000;

/// Batches: items in flight by default on the cloud engines (each waits seconds on the network).
pub const BATCH_JOBS_CLOUD: u32 = 4;
/// Batches: items in flight by default on the local engine: its fill already spreads over the
/// cores, so a second item keeps them busy while the first decodes or encodes, and two large
/// photos fit in memory where more might not.
pub const BATCH_JOBS_LOCAL: u32 = 2;
/// Batches: the most `--jobs` allows.
pub const BATCH_JOBS_MAX: u32 = 64;

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

    /// Whether AWS's end-of-life date for the model is `today` (`YYYY-MM-DD`) or earlier: Bedrock
    /// then refuses every request to it. A model without an AWS date (Titan v1) is not.
    pub fn past_end_of_life(&self, today: &str) -> bool {
        self.end_of_life.is_some_and(|d| d <= today)
    }

    /// A random seed this model accepts, short enough to read back and retype.
    pub fn random_seed(&self) -> u64 {
        u64::from(rand::random::<u32>()) % self.seed_max.min(i32::MAX as u64 - 1).saturating_add(1)
    }

    /// This tool's range and default for `k` (None = the tool does not take it).
    pub fn knob(&self, k: Knob) -> Option<&'static KnobRange> {
        self.knobs.iter().find(|r| r.knob == k)
    }

    /// The price of `images` images, in US dollars: one call per image for the Stability tools.
    pub fn price_usd(&self, images: u32) -> f64 {
        self.price_per_image_usd * f64::from(images)
    }

    /// Whether `mode` needs a prompt on this model.
    pub fn prompt_required(&self, mode: crate::edit::options::Mode) -> bool {
        match self.family {
            Family::Local | Family::StabilityErase => false,
            Family::Titan | Family::NovaCanvas => mode.is_outpaint(),
            Family::StabilityInpaint
            | Family::StabilitySearchReplace
            | Family::StabilitySearchRecolor
            | Family::StabilityControlSketch
            | Family::StabilityControlStructure
            | Family::StabilityStyleGuide => true,
            // the upscalers' prompt may be empty (0..10,000 characters)
            Family::StabilityOutpaint
            | Family::StabilityRemoveBackground
            | Family::StabilityFastUpscale
            | Family::StabilityConservativeUpscale
            | Family::StabilityCreativeUpscale
            | Family::StabilityStyleTransfer => false,
        }
    }

    /// Whether the model fills the selection only from the unselected pixels (so a selection of
    /// every pixel leaves it nothing to work with), rather than generating.
    pub fn fills_from_known_pixels(&self) -> bool {
        self.family == Family::Local
    }

    /// The foundation-model id: the bare form of an inference-profile id (`stability.…` for
    /// `us.stability.…`), else the id itself.
    pub fn bare_id(&self) -> &'static str {
        self.profile_prefix
            .and_then(|p| self.id.strip_prefix(p))
            .unwrap_or(self.id)
    }

    /// Whether the model can find the region itself from `--mask-prompt`.
    pub fn supports_mask_prompt(&self) -> bool {
        matches!(
            self.family,
            Family::Titan | Family::NovaCanvas | Family::StabilitySearchReplace
        )
    }

    /// Which `--mode`s this model's family serves.
    pub fn supports(&self, mode: crate::edit::options::Mode) -> bool {
        use crate::edit::options::Mode;
        match self.family {
            Family::Local => !matches!(mode, Mode::Replace) && !mode.model_selects(),
            Family::Titan | Family::NovaCanvas => {
                matches!(mode, Mode::Inpaint | Mode::Outpaint | Mode::PreciseOutpaint)
            }
            Family::StabilityInpaint => mode == Mode::Inpaint,
            Family::StabilityOutpaint => mode.is_outpaint(),
            Family::StabilityErase => mode == Mode::Erase,
            Family::StabilitySearchReplace => mode == Mode::Replace,
            Family::StabilitySearchRecolor => mode == Mode::Recolor,
            Family::StabilityRemoveBackground => mode == Mode::RemoveBackground,
            Family::StabilityFastUpscale
            | Family::StabilityConservativeUpscale
            | Family::StabilityCreativeUpscale => mode == Mode::Upscale,
            Family::StabilityControlSketch => mode == Mode::Sketch,
            Family::StabilityControlStructure => mode == Mode::Structure,
            Family::StabilityStyleGuide => mode == Mode::StyleGuide,
            Family::StabilityStyleTransfer => mode == Mode::StyleTransfer,
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
    price_source: None,
    max_image_bytes: None,
    successor: None,
    end_of_life: None,
    regions: &[],
    profile_prefix: None,
    max_extend: None,
    grow_mask: None,
    webp_input: false,
    creativity: None,
    style_preset: false,
    upscaler: None,
    knobs: &[],
    aspect_ratios: &[],
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
    price_source: None,
    max_image_bytes: Some(5_000_000),
    successor: Some(STABILITY_INPAINT_ID),
    end_of_life: Some("2026-06-30"),
    regions: &["us-east-1", "us-west-2"],
    profile_prefix: None,
    max_extend: None,
    grow_mask: None,
    webp_input: false,
    creativity: None,
    style_preset: false,
    upscaler: None,
    knobs: &[],
    aspect_ratios: &[],
};

const NOVA: ModelSpec = ModelSpec {
    id: "amazon.nova-canvas-v1:0",
    family: Family::NovaCanvas,
    name: "Nova Canvas",
    lifecycle: Lifecycle::EndOfLife,
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
    price_source: None,
    max_image_bytes: None,
    successor: Some(STABILITY_INPAINT_ID),
    end_of_life: Some("2026-09-30"),
    regions: &["us-east-1", "eu-west-1", "ap-northeast-1"],
    profile_prefix: None,
    max_extend: None,
    grow_mask: None,
    webp_input: false,
    creativity: None,
    style_preset: false,
    upscaler: None,
    knobs: &[],
    aspect_ratios: &[],
};

/// The default inpainting model, and the one retired models point to.
pub const STABILITY_INPAINT_ID: &str = "us.stability.stable-image-inpaint-v1:0";

const STABILITY_BASE: ModelSpec = ModelSpec {
    id: STABILITY_INPAINT_ID,
    family: Family::StabilityInpaint,
    name: "Stability AI Inpaint",
    lifecycle: Lifecycle::Active,
    max_prompt_chars: Some(10_000),
    min_side: 64,
    max_side: None,
    max_pixels: Some(9_437_184),
    min_pixels: 4096,
    max_aspect: Some(2.5),
    // One image per call; imgedit makes one call per seed.
    max_images: 5,
    cfg_range: None,
    default_cfg: None,
    seed_max: 4_294_967_294,
    price_per_image_usd: 0.07,
    price_source: Some(STABILITY_PRICE_SOURCE),
    max_image_bytes: None,
    successor: None,
    end_of_life: None,
    regions: STABILITY_REGIONS,
    profile_prefix: Some("us."),
    max_extend: None,
    grow_mask: Some((20, 5)),
    webp_input: true,
    creativity: None,
    style_preset: true,
    upscaler: None,
    knobs: &[],
    aspect_ratios: &[],
};

/// Every model imgedit knows, local first.
pub static MODELS: &[ModelSpec] = &[
    LOCAL,
    TITAN_BASE,
    ModelSpec {
        id: "amazon.titan-image-generator-v1",
        name: "Titan Image Generator G1",
        // No AWS lifecycle record in 2026; treated as retired (still sent when asked for by id).
        lifecycle: Lifecycle::EndOfLife,
        end_of_life: None,
        ..TITAN_BASE
    },
    NOVA,
    STABILITY_BASE,
    ModelSpec {
        id: "us.stability.stable-outpaint-v1:0",
        family: Family::StabilityOutpaint,
        name: "Stability AI Outpaint",
        price_per_image_usd: 0.06,
        max_extend: Some(2000),
        grow_mask: None,
        creativity: Some((0.1, 1.0)),
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "us.stability.stable-image-erase-object-v1:0",
        family: Family::StabilityErase,
        name: "Stability AI Erase Object",
        style_preset: false,
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "us.stability.stable-image-search-replace-v1:0",
        family: Family::StabilitySearchReplace,
        name: "Stability AI Search and Replace",
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "us.stability.stable-image-search-recolor-v1:0",
        family: Family::StabilitySearchRecolor,
        name: "Stability AI Search and Recolor",
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "us.stability.stable-image-remove-background-v1:0",
        family: Family::StabilityRemoveBackground,
        name: "Stability AI Remove Background",
        max_prompt_chars: None,
        // no seed: more calls would give the same image
        max_images: 1,
        grow_mask: None,
        style_preset: false,
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "us.stability.stable-fast-upscale-v1:0",
        family: Family::StabilityFastUpscale,
        name: "Stability AI Fast Upscale",
        price_per_image_usd: 0.03,
        max_prompt_chars: None,
        max_images: 1,
        min_side: 32,
        max_side: Some(1536),
        min_pixels: 1024,
        max_pixels: Some(1_048_576),
        max_aspect: None,
        grow_mask: None,
        style_preset: false,
        upscaler: Some(crate::edit::options::Upscaler::Fast),
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "us.stability.stable-conservative-upscale-v1:0",
        family: Family::StabilityConservativeUpscale,
        name: "Stability AI Conservative Upscale",
        price_per_image_usd: 0.40,
        grow_mask: None,
        style_preset: false,
        creativity: Some((0.1, 0.5)),
        upscaler: Some(crate::edit::options::Upscaler::Conservative),
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "us.stability.stable-creative-upscale-v1:0",
        family: Family::StabilityCreativeUpscale,
        name: "Stability AI Creative Upscale",
        price_per_image_usd: 0.60,
        max_pixels: Some(1_048_576),
        max_aspect: None,
        grow_mask: None,
        creativity: Some((0.1, 0.5)),
        upscaler: Some(crate::edit::options::Upscaler::Creative),
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "us.stability.stable-image-control-sketch-v1:0",
        family: Family::StabilityControlSketch,
        name: "Stability AI Control Sketch",
        grow_mask: None,
        knobs: &[knob(Knob::ControlStrength, 0.0, 1.0, 0.7)],
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "us.stability.stable-image-control-structure-v1:0",
        family: Family::StabilityControlStructure,
        name: "Stability AI Control Structure",
        grow_mask: None,
        knobs: &[knob(Knob::ControlStrength, 0.0, 1.0, 0.7)],
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "us.stability.stable-image-style-guide-v1:0",
        family: Family::StabilityStyleGuide,
        name: "Stability AI Style Guide",
        grow_mask: None,
        knobs: &[knob(Knob::Fidelity, 0.0, 1.0, 0.5)],
        aspect_ratios: ASPECT_RATIOS,
        ..STABILITY_BASE
    },
    ModelSpec {
        id: "us.stability.stable-style-transfer-v1:0",
        family: Family::StabilityStyleTransfer,
        name: "Stability AI Style Transfer",
        price_per_image_usd: 0.08,
        grow_mask: None,
        style_preset: false,
        knobs: &[
            knob(Knob::CompositionFidelity, 0.0, 1.0, 0.9),
            knob(Knob::StyleStrength, 0.0, 1.0, 1.0),
            knob(Knob::ChangeStrength, 0.1, 1.0, 0.9),
        ],
        ..STABILITY_BASE
    },
];

/// Looks a model id up: a table id, the bare form of a table's inference-profile id
/// (`stability.…` for `us.stability.…`), or a Titan/Nova id behind a regional prefix.
pub fn find(id: &str) -> Option<&'static ModelSpec> {
    if let Some(m) = MODELS.iter().find(|m| m.id == id) {
        return Some(m);
    }
    if let Some(m) = MODELS.iter().find(|m| m.bare_id() == id) {
        return Some(m);
    }
    let (_, bare) = split_profile(id)?;
    MODELS
        .iter()
        .find(|m| m.id == bare && m.profile_prefix.is_none() && m.family != Family::Local)
}

/// `("eu.", "amazon.nova-canvas-v1:0")` for a prefixed id.
fn split_profile(id: &str) -> Option<(&'static str, &str)> {
    ["us.", "eu.", "apac.", "global."]
        .into_iter()
        .find_map(|p| id.strip_prefix(p).map(|rest| (p, rest)))
}

/// Why an id with a regional prefix cannot work: Stability's Image Services have only `us.`
/// profiles (AWS lists no `eu.`, `apac.` or `global.` ones).
pub fn refused_profile(id: &str) -> Option<String> {
    let (prefix, bare) = split_profile(id)?;
    let spec = find(bare)?;
    let own = spec.profile_prefix?;
    (prefix != own).then(|| {
        format!(
            "--model {id}: Bedrock has no {prefix} inference profile for {}; use {} (served from {})",
            spec.name,
            spec.id,
            spec.regions.join(", ")
        )
    })
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
        "stability-search-recolor" => Family::StabilitySearchRecolor,
        "stability-remove-background" => Family::StabilityRemoveBackground,
        "stability-fast-upscale" => Family::StabilityFastUpscale,
        "stability-conservative-upscale" => Family::StabilityConservativeUpscale,
        "stability-creative-upscale" => Family::StabilityCreativeUpscale,
        "stability-control-sketch" => Family::StabilityControlSketch,
        "stability-control-structure" => Family::StabilityControlStructure,
        "stability-style-guide" => Family::StabilityStyleGuide,
        "stability-style-transfer" => Family::StabilityStyleTransfer,
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

/// The living cloud model that does `mode`: the default, and the suggestion in errors.
pub fn active_for(mode: crate::edit::options::Mode) -> Option<&'static ModelSpec> {
    MODELS
        .iter()
        .find(|m| m.lifecycle.is_living() && m.family != Family::Local && m.supports(mode))
}

/// The living model for `mode`, and for `--mode upscale` the upscaler asked for.
pub fn active_for_tool(
    mode: crate::edit::options::Mode,
    upscaler: Option<crate::edit::options::Upscaler>,
) -> Option<&'static ModelSpec> {
    if mode == crate::edit::options::Mode::Upscale {
        let want = upscaler.unwrap_or_default();
        return MODELS
            .iter()
            .find(|m| m.lifecycle.is_living() && m.upscaler == Some(want));
    }
    active_for(mode)
}

/// The model for `mode` when `spec` was configured as the default for a set of modes: `spec`
/// itself when it does `mode`, else the living sibling of the same provider that does.
pub fn for_mode(spec: &'static ModelSpec, mode: crate::edit::options::Mode) -> &'static ModelSpec {
    if spec.supports(mode) || spec.profile_prefix.is_none() {
        return spec;
    }
    active_for(mode)
        .filter(|m| m.profile_prefix == spec.profile_prefix)
        .unwrap_or(spec)
}

/// Resolves a user's model id: a table row, the row of a prefixed inference profile (`us.`...)
/// under the user's id, or an unknown id held to the limits of `family`.
pub fn resolve(id: &str, family: Option<Family>) -> Result<&'static ModelSpec, String> {
    if let Some(why) = refused_profile(id) {
        return Err(why);
    }
    let under_id = |spec: &ModelSpec, family: Family| -> &'static ModelSpec {
        intern(format!("resolve\0{id}\0{family:?}"), || ModelSpec {
            id: leak_str(id),
            family,
            ..spec.clone()
        })
    };
    match (find(id), family) {
        (Some(spec), None) if spec.id == id => Ok(spec),
        (Some(spec), None) => Ok(under_id(spec, spec.family)),
        (Some(spec), Some(f)) if spec.family == f => Ok(under_id(spec, f)),
        (Some(spec), Some(_)) => Err(format!(
            "--model {id} is a {:?} model; drop --model-family or pick a matching one",
            spec.family
        )),
        // An id imgedit does not know: the family's limits, but none of the template's facts.
        (None, Some(f)) => {
            let t = template_for(f);
            Ok(intern(format!("resolve\0{id}\0{f:?}"), || ModelSpec {
                id: leak_str(id),
                family: f,
                lifecycle: Lifecycle::Unknown,
                end_of_life: None,
                regions: if t.profile_prefix.is_some() {
                    t.regions
                } else {
                    &[]
                },
                ..t.clone()
            }))
        }
        (None, None) => Err(format!(
            "--model {id}: unknown model id; pass --model-family (titan, nova-canvas, stability-inpaint, stability-outpaint, stability-erase, stability-search-replace, stability-search-recolor, stability-remove-background, stability-fast-upscale, stability-conservative-upscale, stability-creative-upscale, stability-control-sketch, stability-control-structure, stability-style-guide, stability-style-transfer) to say how to talk to it"
        )),
    }
}

/// `spec` as the user's account knows it: a model listed in `living` (the config's
/// `living_models`, `IMGEDIT_LIVING_MODELS`) by the user's id or the table's is treated as living
/// (no retirement warning, Bedrock's refusal explained as for a living model). imgedit never picks
/// such a model by itself; the list only speaks for ids the user asks for.
pub fn treat_as_living(spec: &'static ModelSpec, living: &[String]) -> &'static ModelSpec {
    let row = |id: &str| find(id).map(|m| m.id);
    let listed = living
        .iter()
        .any(|l| l == spec.id || (row(l).is_some() && row(l) == row(spec.id)));
    if spec.lifecycle.is_living() || !listed {
        return spec;
    }
    // keyed by the row's address: a table row or a spec interned above, both fixed for good
    intern(format!("living\0{:p}", spec as *const ModelSpec), || {
        ModelSpec {
            lifecycle: Lifecycle::Active,
            ..spec.clone()
        }
    })
}

/// Specs made at run time (an unknown id, a table row under a profile id, a row treated as
/// living), made once per key and kept for the life of the process: asking again for the same id
/// gives the same `&'static ModelSpec` and costs no memory.
fn interned() -> &'static std::sync::Mutex<std::collections::HashMap<String, &'static ModelSpec>> {
    static SPECS: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, &'static ModelSpec>>,
    > = std::sync::OnceLock::new();
    SPECS.get_or_init(Default::default)
}

/// The spec stored under `key`, made by `make` on first use (only then is anything leaked).
fn intern(key: String, make: impl FnOnce() -> ModelSpec) -> &'static ModelSpec {
    // a poisoned lock only means another thread panicked while holding it; the map is still whole
    let mut map = interned()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(spec) = map.get(&key) {
        return spec;
    }
    let spec: &'static ModelSpec = Box::leak(Box::new(make()));
    map.insert(key, spec);
    spec
}

/// An id's text kept for the life of the process (called once per interned spec).
fn leak_str(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// Checks the ids of a `living_models` list: each must be a cloud model imgedit knows.
pub fn check_living(ids: &[String]) -> Result<(), String> {
    for id in ids {
        match find(id) {
            Some(m) if m.family != Family::Local => {}
            _ => {
                let known: Vec<&str> = MODELS
                    .iter()
                    .filter(|m| m.family != Family::Local)
                    .map(|m| m.id)
                    .collect();
                return Err(format!(
                    "living_models: {id:?} is not a model imgedit knows (known: {})",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(())
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
        // bare ids are accepted and keep the user's spelling
        let bare = resolve("stability.stable-image-inpaint-v1:0", None).unwrap();
        assert_eq!(bare.id, "stability.stable-image-inpaint-v1:0");
        assert_eq!(bare.family, Family::StabilityInpaint);
        assert_eq!(
            find("eu.amazon.nova-canvas-v1:0").map(|m| m.family),
            Some(Family::NovaCanvas)
        );
        assert_eq!(find("local").map(|m| m.family), Some(Family::Local));
        assert!(find("acme.unknown").is_none());
    }

    #[test]
    fn a_retired_model_listed_as_living_is_treated_as_living() {
        let v1 = find("amazon.titan-image-generator-v1").unwrap();
        let v2 = find("amazon.titan-image-generator-v2:0").unwrap();
        let living = vec!["amazon.titan-image-generator-v1".to_string()];
        assert_eq!(treat_as_living(v1, &living).lifecycle, Lifecycle::Active);
        assert_eq!(treat_as_living(v1, &living).id, v1.id);
        // only the models listed
        assert_eq!(treat_as_living(v2, &living).lifecycle, Lifecycle::EndOfLife);
        assert_eq!(treat_as_living(v1, &[]).lifecycle, Lifecycle::EndOfLife);
        // an id behind a regional prefix is the same model
        let prefixed = resolve("us.amazon.titan-image-generator-v1", None).unwrap();
        assert_eq!(
            treat_as_living(prefixed, &living).lifecycle,
            Lifecycle::Active
        );
        // the defaults never change
        assert!(
            MODELS
                .iter()
                .filter(|m| m.lifecycle.is_living())
                .all(|m| !m.id.contains("titan"))
        );
        assert!(check_living(&living).is_ok());
        let e = check_living(&["amazon.titan-image-generator-v3".into()]).unwrap_err();
        assert!(
            e.contains("living_models") && e.contains("amazon.titan-image-generator-v3"),
            "{e}"
        );
        assert!(check_living(&["local".into()]).is_err());
    }

    #[test]
    fn past_end_of_life_follows_aws_dates_only() {
        let nova = find("amazon.nova-canvas-v1:0").unwrap();
        assert!(!nova.past_end_of_life("2026-09-29"));
        assert!(nova.past_end_of_life("2026-09-30"));
        assert!(nova.past_end_of_life("2026-11-30"));
        assert!(
            find("amazon.titan-image-generator-v2:0")
                .unwrap()
                .past_end_of_life("2026-11-30")
        );
        // no AWS record, no date: not refused on a date
        assert!(
            !find("amazon.titan-image-generator-v1")
                .unwrap()
                .past_end_of_life("2099-01-01")
        );
        assert!(
            !find(STABILITY_INPAINT_ID)
                .unwrap()
                .past_end_of_life("2099-01-01")
        );
    }

    #[test]
    fn stability_has_only_us_profiles() {
        for p in ["eu.", "apac.", "global."] {
            let id = format!("{p}stability.stable-image-inpaint-v1:0");
            let e = resolve(&id, None).unwrap_err();
            assert!(
                e.contains(&id)
                    && e.contains("us.stability.stable-image-inpaint-v1:0")
                    && e.contains("us-east-1, us-east-2, us-west-2"),
                "{e}"
            );
        }
    }

    #[test]
    fn defaults_are_living_us_profiles() {
        use crate::edit::options::Mode;
        for mode in [
            Mode::Inpaint,
            Mode::Outpaint,
            Mode::PreciseOutpaint,
            Mode::Erase,
            Mode::Replace,
            Mode::Recolor,
            Mode::RemoveBackground,
            Mode::Upscale,
            Mode::Sketch,
            Mode::Structure,
            Mode::StyleGuide,
            Mode::StyleTransfer,
        ] {
            let m = active_for(mode).unwrap();
            assert!(m.supports(mode), "{mode:?}");
            assert!(m.id.starts_with("us.stability."), "{mode:?}: {}", m.id);
            assert_eq!(m.lifecycle, Lifecycle::Active);
        }
        for id in [
            "amazon.titan-image-generator-v1",
            "amazon.titan-image-generator-v2:0",
            "amazon.nova-canvas-v1:0",
        ] {
            let m = find(id).unwrap();
            assert_eq!(m.lifecycle, Lifecycle::EndOfLife, "{id}");
            assert_eq!(m.successor, Some(STABILITY_INPAINT_ID));
        }
        assert_eq!(
            find("amazon.nova-canvas-v1:0").unwrap().end_of_life,
            Some("2026-09-30")
        );
        use crate::edit::options::Upscaler;
        for (u, id) in [
            (None, "us.stability.stable-fast-upscale-v1:0"),
            (
                Some(Upscaler::Conservative),
                "us.stability.stable-conservative-upscale-v1:0",
            ),
            (
                Some(Upscaler::Creative),
                "us.stability.stable-creative-upscale-v1:0",
            ),
        ] {
            assert_eq!(active_for_tool(Mode::Upscale, u).unwrap().id, id);
        }
        // a Stability tool's siblings serve the modes it does not
        let inpaint = find(STABILITY_INPAINT_ID).unwrap();
        assert_eq!(
            for_mode(inpaint, Mode::Outpaint).id,
            "us.stability.stable-outpaint-v1:0"
        );
    }

    #[test]
    fn each_stability_tool_has_awss_price_with_its_source() {
        for (id, usd) in [
            ("us.stability.stable-image-inpaint-v1:0", 0.07),
            ("us.stability.stable-image-erase-object-v1:0", 0.07),
            ("us.stability.stable-image-remove-background-v1:0", 0.07),
            ("us.stability.stable-image-search-replace-v1:0", 0.07),
            ("us.stability.stable-image-search-recolor-v1:0", 0.07),
            ("us.stability.stable-image-control-sketch-v1:0", 0.07),
            ("us.stability.stable-image-control-structure-v1:0", 0.07),
            ("us.stability.stable-image-style-guide-v1:0", 0.07),
            ("us.stability.stable-outpaint-v1:0", 0.06),
            ("us.stability.stable-style-transfer-v1:0", 0.08),
            ("us.stability.stable-fast-upscale-v1:0", 0.03),
            ("us.stability.stable-conservative-upscale-v1:0", 0.40),
            ("us.stability.stable-creative-upscale-v1:0", 0.60),
        ] {
            let m = find(id).unwrap();
            assert_eq!(m.price_per_image_usd, usd, "{id}");
            assert!(
                m.price_source.is_some_and(|s| s.contains("2026-12-06")),
                "{id}"
            );
        }
        // 13 tools, all priced
        assert_eq!(
            MODELS.iter().filter(|m| m.profile_prefix.is_some()).count(),
            13
        );
        // the price of a run is per image made
        let inpaint = find(STABILITY_INPAINT_ID).unwrap();
        assert!((inpaint.price_usd(2) - 0.14).abs() < 1e-9);
        assert!((inpaint.price_usd(1000) - 70.0).abs() < 1e-9);
    }

    #[test]
    fn the_control_and_style_tools_have_the_docs_ranges() {
        let knobs = |id: &str| -> Vec<(Knob, f32, f32, f32)> {
            find(id)
                .unwrap()
                .knobs
                .iter()
                .map(|r| (r.knob, r.lo, r.hi, r.default))
                .collect()
        };
        assert_eq!(
            knobs("us.stability.stable-image-control-sketch-v1:0"),
            vec![(Knob::ControlStrength, 0.0, 1.0, 0.7)]
        );
        assert_eq!(
            knobs("us.stability.stable-image-style-guide-v1:0"),
            vec![(Knob::Fidelity, 0.0, 1.0, 0.5)]
        );
        assert_eq!(
            knobs("us.stability.stable-style-transfer-v1:0"),
            vec![
                (Knob::CompositionFidelity, 0.0, 1.0, 0.9),
                (Knob::StyleStrength, 0.0, 1.0, 1.0),
                (Knob::ChangeStrength, 0.1, 1.0, 0.9),
            ]
        );
        assert!(find(STABILITY_INPAINT_ID).unwrap().knobs.is_empty());
        assert_eq!(
            find("us.stability.stable-image-style-guide-v1:0")
                .unwrap()
                .aspect_ratios
                .len(),
            9
        );
    }

    #[test]
    fn an_unknown_id_asked_for_again_is_the_same_spec_and_costs_nothing_more() {
        let id = "acme.test-interning-model-v9";
        let first = resolve(id, Some(Family::Titan)).unwrap();
        assert_eq!((first.id, first.family), (id, Family::Titan));
        assert_eq!(first.lifecycle, Lifecycle::Unknown);
        let entries = || interned().lock().unwrap().len();
        let before = entries();
        for _ in 0..1000 {
            let again = resolve(id, Some(Family::Titan)).unwrap();
            assert!(std::ptr::eq(first, again), "a second spec for {id}");
        }
        // other tests may intern their own ids meanwhile, but not 1000 of them
        assert!(entries() < before + 10, "{before} -> {}", entries());
        // another family is another spec, itself made once
        let nova = resolve(id, Some(Family::NovaCanvas)).unwrap();
        assert!(!std::ptr::eq(first, nova));
        assert_eq!(nova.family, Family::NovaCanvas);
        assert!(std::ptr::eq(
            nova,
            resolve(id, Some(Family::NovaCanvas)).unwrap()
        ));
        // a table row under a profile id, and that row treated as living, likewise
        let prefixed = resolve("us.amazon.titan-image-generator-v1", None).unwrap();
        assert!(std::ptr::eq(
            prefixed,
            resolve("us.amazon.titan-image-generator-v1", None).unwrap()
        ));
        let living = vec!["amazon.titan-image-generator-v1".to_string()];
        let a = treat_as_living(prefixed, &living);
        assert_eq!(a.lifecycle, Lifecycle::Active);
        assert!(std::ptr::eq(a, treat_as_living(prefixed, &living)));
    }
}
