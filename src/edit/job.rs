//! `EditJob`: what to change and how, built from plain options so the CLI, the TUI and the server
//! share one path from inputs to a validated job.

use std::path::PathBuf;
use std::sync::Arc;

use image::{DynamicImage, RgbImage, RgbaImage};
use serde::Serialize;

use crate::choice::Choice;
use crate::edit::model::ModelSpec;
use crate::edit::options::{Anchor, Mode, OutputFormat, Quality, ToolOptions};
use crate::edit::rules;
use crate::error::input_err;
use crate::error::{Error, Result};
use crate::image_io::{DecodeLimits, Metadata};
use crate::mask::{self, Mask, Shape};
use crate::select;
use crate::violation::{Field, Limit, Rule, Violation};

/// A length given in pixels or as a percentage of the image's side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Length {
    Px(u32),
    Percent(f64),
}

impl Length {
    fn resolve(self, side: u32) -> u32 {
        match self {
            Length::Px(p) => p,
            Length::Percent(p) => (f64::from(side) * p / 100.0).round() as u32,
        }
    }
}

/// How much to add on each side (left, top, right, bottom), each in pixels or percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extend(pub [Length; 4]);

/// A canvas of width x height pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanvasSize(pub u32, pub u32);

/// How the outpainting canvas is asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CanvasSpec {
    Extend(Extend),
    Size(CanvasSize, Anchor),
}

/// The output canvas and where the source sits on it (identity for inpainting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Placement {
    pub canvas_width: u32,
    pub canvas_height: u32,
    pub x: u32,
    pub y: u32,
}

impl Placement {
    pub fn identity(w: u32, h: u32) -> Self {
        Placement {
            canvas_width: w,
            canvas_height: h,
            x: 0,
            y: 0,
        }
    }

    /// Resolves a canvas request against a source of `w` x `h`.
    pub fn resolve(spec: CanvasSpec, w: u32, h: u32) -> Result<Self> {
        match spec {
            CanvasSpec::Extend(Extend([l, t, r, b])) => {
                let (l, t, r, b) = (l.resolve(w), t.resolve(h), r.resolve(w), b.resolve(h));
                let grow = |side: u32, a: u32, b: u32| side.checked_add(a)?.checked_add(b);
                match (grow(w, l, r), grow(h, t, b)) {
                    (Some(canvas_width), Some(canvas_height)) => Ok(Placement {
                        canvas_width,
                        canvas_height,
                        x: l,
                        y: t,
                    }),
                    _ => Err(Error::violation(Violation::new(
                        Field::Extend,
                        Rule::TooLarge,
                        Limit::MaxSide(u64::from(u32::MAX)),
                        format!("more than {} px a side around {w}x{h}", u32::MAX),
                    ))),
                }
            }
            CanvasSpec::Size(CanvasSize(cw, ch), anchor) => {
                if cw < w || ch < h {
                    return Err(Error::violation(Violation::new(
                        Field::Canvas,
                        Rule::Contains,
                        Limit::Size(w, h),
                        format!("{cw}x{ch}"),
                    )));
                }
                let (dx, dy) = (cw - w, ch - h);
                let (x, y) = match anchor {
                    Anchor::Center => (dx / 2, dy / 2),
                    Anchor::TopLeft => (0, 0),
                    Anchor::Top => (dx / 2, 0),
                    Anchor::TopRight => (dx, 0),
                    Anchor::Left => (0, dy / 2),
                    Anchor::Right => (dx, dy / 2),
                    Anchor::BottomLeft => (0, dy),
                    Anchor::Bottom => (dx / 2, dy),
                    Anchor::BottomRight => (dx, dy),
                };
                Ok(Placement {
                    canvas_width: cw,
                    canvas_height: ch,
                    x,
                    y,
                })
            }
        }
    }

    pub fn is_identity(&self, w: u32, h: u32) -> bool {
        self.canvas_width == w && self.canvas_height == h
    }
}

/// How the selection is described, before it is resolved against an image.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// A mask drawn in memory (the TUI's brush and shapes), the size of the source.
    pub mask: Option<Mask>,
    pub mask_file: Option<PathBuf>,
    pub shapes: Vec<Shape>,
    /// Objects picked by rectangles around them (`--object`), found by a graph cut.
    pub objects: Vec<select::ObjectPick>,
    /// Colour regions picked by points (`--wand`).
    pub wands: Vec<select::WandPick>,
    pub invert: bool,
    pub grow: u32,
    pub shrink: u32,
    /// None = the mode's default (0, or a thin seam band for outpainting).
    pub feather: Option<u32>,
    pub fit_mask: bool,
}

impl Selection {
    pub fn is_given(&self) -> bool {
        self.mask.is_some()
            || self.mask_file.is_some()
            || !self.shapes.is_empty()
            || !self.objects.is_empty()
            || !self.wands.is_empty()
    }

    /// The selection on `source`, before any canvas: the drawn mask, the mask file, the shapes
    /// and the picks (object, wand) as a union, then inverted, grown and shrunk.
    pub fn resolve(
        &self,
        source: &Source,
        source_name: &str,
        limits: &DecodeLimits,
    ) -> Result<Mask> {
        let (w, h) = source.dimensions();
        let mut base = Mask::new(w, h);
        if let Some(m) = &self.mask {
            if (m.width(), m.height()) != (w, h) {
                return Err(input_err!(
                    "the drawn mask is {}x{} but {source_name} is {w}x{h}",
                    m.width(),
                    m.height()
                ));
            }
            base.union(m);
        }
        if let Some(path) = &self.mask_file {
            let m = mask::load_mask_file(path, source_name, w, h, self.fit_mask, limits)?;
            base.union(&m);
        }
        for shape in &self.shapes {
            shape
                .rasterize(&mut base)
                .map_err(|e| input_err!("{source_name}: {e}"))?;
        }
        if !self.objects.is_empty() || !self.wands.is_empty() {
            let picked = select::resolve_picks(&source.flat(), &self.objects, &self.wands)
                .map_err(|v| Error::violation((*v).about(source_name)))?;
            base.union(&picked);
        }
        if self.invert {
            base.invert();
        }
        base.grow(self.grow);
        base.shrink(self.shrink);
        Ok(base)
    }

    /// The mask an inpainting of `source` uses (`imgedit mask`): [`Selection::resolve`], then
    /// feathered by `feather` (none when not given); an empty result is an error.
    pub fn mask_for(
        &self,
        source: &Source,
        source_name: &str,
        limits: &DecodeLimits,
    ) -> Result<Mask> {
        let mut mask = self.resolve(source, source_name, limits)?;
        mask.feather(self.feather.unwrap_or(0));
        if mask.is_empty() {
            return Err(Error::violation(self.empty(source_name)));
        }
        Ok(mask)
    }

    /// The violation of a selection that selects nothing.
    fn empty(&self, source_name: &str) -> Violation {
        let value = match (self.is_given(), self.invert || self.shrink > 0) {
            (false, _) => "none given",
            (true, true) => "after inverting or shrinking",
            (true, false) => "",
        };
        Violation::new(Field::Selection, Rule::Empty, Limit::Selected, value).about(source_name)
    }
}

/// Feather width used at the seam of `--mode outpaint` when none is given.
pub const OUTPAINT_SEAM_PX: u32 = 8;

/// The source pixels of a job, shared and never copied: for an RGB source on a canvas of its own
/// size (every inpainting of a JPEG) the engine's input is this same buffer, and the TUI shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Rgb(Arc<RgbImage>),
    /// With alpha: kept outside the mask, flattened over white for the engine.
    Rgba(Arc<RgbaImage>),
}

impl Source {
    /// Takes an 8-bit RGB or RGBA image's pixels as they are (moved, not copied); other pixel
    /// types are converted (the decoder gives only these two).
    pub fn new(image: DynamicImage) -> Self {
        match image {
            DynamicImage::ImageRgb8(rgb) => Source::Rgb(Arc::new(rgb)),
            DynamicImage::ImageRgba8(rgba) => Source::Rgba(Arc::new(rgba)),
            other if other.color().has_alpha() => Source::Rgba(Arc::new(other.to_rgba8())),
            other => Source::Rgb(Arc::new(other.to_rgb8())),
        }
    }

    pub fn width(&self) -> u32 {
        self.dimensions().0
    }

    pub fn height(&self) -> u32 {
        self.dimensions().1
    }

    pub fn dimensions(&self) -> (u32, u32) {
        match self {
            Source::Rgb(p) => p.dimensions(),
            Source::Rgba(p) => p.dimensions(),
        }
    }

    /// The pixels as RGB, as the engines and the screen take them: this same buffer for an RGB
    /// source; with alpha, a new buffer flattened over white.
    pub fn flat(&self) -> Arc<RgbImage> {
        match self {
            Source::Rgb(p) => Arc::clone(p),
            Source::Rgba(p) => Arc::new(crate::image_io::flatten_rgba(p)),
        }
    }

    /// A copy as a `DynamicImage`.
    pub fn to_image(&self) -> DynamicImage {
        match self {
            Source::Rgb(p) => DynamicImage::ImageRgb8((**p).clone()),
            Source::Rgba(p) => DynamicImage::ImageRgba8((**p).clone()),
        }
    }
}

impl From<DynamicImage> for Source {
    fn from(image: DynamicImage) -> Self {
        Source::new(image)
    }
}

/// A validated edit: the source, the final mask on the output canvas, and the engine settings.
#[derive(Debug, Clone)]
pub struct EditJob {
    pub source: Source,
    pub source_name: String,
    pub placement: Placement,
    /// On the output canvas: 255 = generate, 0 = keep, between = blend.
    pub mask: Mask,
    pub mode: Mode,
    pub prompt: Option<String>,
    pub negative: Option<String>,
    /// Text naming the region to change, for models that segment it themselves.
    pub mask_prompt: Option<String>,
    /// What to replace, for `--mode replace`.
    pub search: Option<String>,
    pub num_images: u32,
    pub seed: u64,
    pub cfg_scale: Option<f32>,
    pub quality: Option<Quality>,
    pub model: &'static ModelSpec,
    pub tool: ToolOptions,
    /// The source file's colour profile, EXIF orientation and EXIF fields, which every output
    /// keeps (`finish` encodes with them, whoever the front end is). Empty from
    /// [`JobOptions::build`]; the front end sets the decoded file's.
    pub metadata: Metadata,
}

/// Everything except the source image that a job needs.
#[derive(Debug, Clone)]
pub struct JobOptions {
    pub selection: Selection,
    pub mode: Option<Mode>,
    pub canvas: Option<CanvasSpec>,
    pub prompt: Option<String>,
    pub negative: Option<String>,
    pub mask_prompt: Option<String>,
    pub search: Option<String>,
    pub num_images: u32,
    pub seed: u64,
    pub cfg_scale: Option<f32>,
    pub quality: Option<Quality>,
    pub model: &'static ModelSpec,
    pub limits: DecodeLimits,
    pub tool: ToolOptions,
}

impl JobOptions {
    /// The mode asked for, or the one the canvas implies.
    pub fn effective_mode(&self) -> Result<Mode> {
        // "Find the region from text" on a living model is Stability's search-and-replace.
        if self.mask_prompt.is_some()
            && self.model.family == crate::edit::model::Family::StabilitySearchReplace
            && matches!(self.mode, None | Some(Mode::Inpaint))
        {
            return Ok(Mode::Replace);
        }
        match (self.mode, self.canvas.is_some()) {
            (Some(m), true) if !m.is_outpaint() => Err(Error::violation(Violation::new(
                match self.canvas {
                    Some(CanvasSpec::Size(..)) => Field::Canvas,
                    _ => Field::Extend,
                },
                Rule::Conflicts,
                Limit::Modes(vec![Mode::Outpaint.name(), Mode::PreciseOutpaint.name()]),
                m.name(),
            ))),
            (Some(m), _) => Ok(m),
            (None, true) => Ok(Mode::Outpaint),
            (None, false) => Ok(Mode::Inpaint),
        }
    }

    /// Checks the settings against the model's rules for a `width x height` source, before any
    /// image work: the front ends' early check (the TUI's run key, the server before masks).
    pub fn check(&self, width: u32, height: u32) -> Result<()> {
        let mode = self.effective_mode()?;
        let sel = &self.selection;
        select::check_picks(&sel.objects, &sel.wands, width, height).map_err(Error::Invalid)?;
        let canvas = match self.canvas {
            Some(spec) => {
                let p = Placement::resolve(spec, width, height)?;
                (p.canvas_width, p.canvas_height)
            }
            None => (width, height),
        };
        Error::invalid(rules::check(&rules::Params {
            model: self.model,
            mode,
            source: (width, height),
            canvas,
            prompt: self.prompt.as_deref(),
            negative: self.negative.as_deref(),
            search: self.search.as_deref(),
            mask_prompt: self.mask_prompt.as_deref(),
            tool: &self.tool,
            num_images: self.num_images,
            seed: Some(self.seed),
            cfg_scale: self.cfg_scale,
        }))
    }

    /// Resolves the selection against `source` and validates everything against the model.
    /// `source` is moved in, or shared (a [`Source`]'s pixels are never copied).
    pub fn build(&self, source: impl Into<Source>, source_name: &str) -> Result<EditJob> {
        let source = source.into();
        let mode = self.effective_mode()?;
        let (w, h) = (source.width(), source.height());
        self.check(w, h).map_err(|e| match e {
            Error::Invalid(mut v) => {
                v.subject = Some(source_name.to_string());
                Error::Invalid(v)
            }
            other => other,
        })?;
        let sel = &self.selection;
        let base = sel.resolve(&source, source_name, &self.limits)?;
        let placement = self.placement(mode, w, h)?;
        let (mut mask, border) = self.canvas_mask(&base, placement, mode, w, h);
        // The model finds the region itself: everything may change, the model decides what does.
        let model_selects = self.mask_prompt.is_some() || mode.model_selects();
        self.refuse_for_mode(mode)?;
        if model_selects && !sel.is_given() && !border {
            mask.invert();
        }
        if mask.is_empty() {
            return Err(Error::violation(sel.empty(source_name)));
        }

        let job = EditJob {
            source,
            source_name: source_name.to_string(),
            placement,
            mask,
            mode,
            prompt: self.prompt.clone(),
            negative: self.negative.clone(),
            mask_prompt: self.mask_prompt.clone(),
            search: self.search.clone(),
            num_images: self.num_images,
            seed: self.seed,
            cfg_scale: self.cfg_scale,
            quality: self.quality,
            model: self.model,
            tool: self.tool.clone(),
            metadata: Metadata::default(),
        };
        job.validate()?;
        Ok(job)
    }

    /// Where the source sits on the output canvas, or why the mode cannot place it.
    fn placement(&self, mode: Mode, w: u32, h: u32) -> Result<Placement> {
        let sel = &self.selection;
        let placement = match self.canvas {
            Some(spec) => Placement::resolve(spec, w, h)?,
            None if mode.is_outpaint() && !sel.is_given() => {
                return Err(Error::violation(Violation::new(
                    Field::Extend,
                    Rule::Needs,
                    Limit::Mode(mode.name()),
                    "how much to enlarge the image",
                )));
            }
            None => Placement::identity(w, h),
        };
        if mode == Mode::PreciseOutpaint && sel.is_given() {
            return Err(Error::violation(Violation::new(
                Field::Selection,
                Rule::Conflicts,
                Limit::Mode(mode.name()),
                "it never changes original pixels (outpaint also regenerates a selection)",
            )));
        }
        Ok(placement)
    }

    /// The mask on the output canvas (border selected, feathered), and whether there is a border.
    fn canvas_mask(
        &self,
        base: &Mask,
        placement: Placement,
        mode: Mode,
        w: u32,
        h: u32,
    ) -> (Mask, bool) {
        let mut mask = base.placed_on(
            placement.canvas_width,
            placement.canvas_height,
            placement.x,
            placement.y,
        );
        let border = !placement.is_identity(w, h);
        if border {
            for (x, y, p) in mask.0.enumerate_pixels_mut() {
                let inside = x >= placement.x
                    && y >= placement.y
                    && x < placement.x + w
                    && y < placement.y + h;
                if !inside {
                    p.0[0] = 255;
                }
            }
        }
        mask.feather(self.feather_px(mode, border, w, h));
        if mode == Mode::PreciseOutpaint {
            for (x, y, p) in mask.0.enumerate_pixels_mut() {
                if x >= placement.x
                    && y >= placement.y
                    && x < placement.x + w
                    && y < placement.y + h
                {
                    p.0[0] = 0;
                }
            }
        }
        (mask, border)
    }

    /// The feather width: as asked, else the outpaint seam band or the tool's grow-mask band.
    fn feather_px(&self, mode: Mode, border: bool, w: u32, h: u32) -> u32 {
        self.selection
            .feather
            .unwrap_or(if mode == Mode::Outpaint && border {
                // the seam band never swallows a small original whole
                OUTPAINT_SEAM_PX.min(w.min(h) / 4)
            } else if let Some((_, tool_default)) = self.model.grow_mask {
                // The tool grows the mask by grow_mask and blends that band into the picture; a
                // composite that restored the band bit-exactly would cut a seam at the selection's
                // edge, so the composite keeps a band as wide (and the mask sent carries it as
                // partial strength).
                self.tool.grow_mask.unwrap_or(tool_default)
            } else {
                0
            })
    }

    /// Refuses a selection for a whole-image mode, and a mode without the texts it needs.
    fn refuse_for_mode(&self, mode: Mode) -> Result<()> {
        if mode.replaces_image() && self.selection.is_given() {
            return Err(Error::violation(Violation::new(
                Field::Selection,
                Rule::Conflicts,
                Limit::Mode(mode.name()),
                "it works on the whole image",
            )));
        }
        let blank = |t: Option<&str>| t.is_none_or(|t| t.trim().is_empty());
        if mode == Mode::Recolor {
            for (field, blank, what) in [
                (
                    Field::Select,
                    blank(self.tool.select.as_deref()),
                    "what to recolour",
                ),
                (
                    Field::Prompt,
                    blank(self.prompt.as_deref()),
                    "the new colours",
                ),
            ] {
                if blank {
                    return Err(needs(field, mode, what));
                }
            }
        }
        if mode == Mode::Replace && self.search.is_none() && self.mask_prompt.is_none() {
            return Err(needs(Field::Search, mode, "what to replace"));
        }
        Ok(())
    }
}

/// "`mode` needs `field` (`what`)", a refusal of the edit itself.
fn needs(field: Field, mode: Mode, what: &str) -> Error {
    Error::violation(Violation::new(
        field,
        Rule::Needs,
        Limit::Mode(mode.name()),
        what,
    ))
}

impl EditJob {
    /// Checks the finished mask against the model (the settings were checked by
    /// [`JobOptions::check`] before it was made): the first violation, as an error.
    fn validate(&self) -> Result<()> {
        let canvas = (self.placement.canvas_width, self.placement.canvas_height);
        match rules::check_mask(self.model, self.mask.as_raw(), canvas) {
            None => Ok(()),
            Some(mut v) => {
                v.subject = Some(self.source_name.clone());
                Err(Error::Invalid(Box::new(v)))
            }
        }
    }

    /// Whether `path` (written as `format`) can hold this job's result: background removal keeps
    /// an alpha channel, which JPEG cannot.
    pub fn check_output(&self, path: &std::path::Path, format: image::ImageFormat) -> Result<()> {
        if self.mode != Mode::RemoveBackground {
            return Ok(());
        }
        let no_alpha = |value: String| {
            Error::violation(Violation::new(
                Field::OutputFormat,
                Rule::Conflicts,
                Limit::Mode(self.mode.name()),
                value,
            ))
        };
        if format == image::ImageFormat::Jpeg {
            return Err(no_alpha(format!(
                "{} is JPEG, which cannot hold the alpha channel the mode keeps: write PNG or WebP",
                path.display()
            )));
        }
        if self.tool.output_format == Some(OutputFormat::Jpeg) {
            return Err(no_alpha(
                "jpeg cannot hold the alpha channel the mode keeps: use png or webp".into(),
            ));
        }
        Ok(())
    }

    /// The seed of each requested image: `seed`, `seed + 1`, ...
    pub fn seeds(&self) -> Vec<u64> {
        (0..u64::from(self.num_images))
            .map(|i| self.seed.wrapping_add(i) % self.model.seed_max.saturating_add(1).max(1))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(shapes: Vec<Shape>) -> JobOptions {
        JobOptions {
            selection: Selection {
                shapes,
                ..Default::default()
            },
            mode: None,
            canvas: None,
            prompt: None,
            negative: None,
            mask_prompt: None,
            search: None,
            num_images: 1,
            seed: 1,
            cfg_scale: None,
            quality: None,
            model: crate::edit::model::local(),
            limits: DecodeLimits::default(),
            tool: ToolOptions::default(),
        }
    }

    fn src(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(image::RgbImage::new(w, h))
    }

    #[test]
    fn extend_resolves_pixels_and_percent_and_refuses_an_overflow() {
        let e = |l| Extend([l; 4]);
        let p = Placement::resolve(CanvasSpec::Extend(e(Length::Percent(25.0))), 400, 200).unwrap();
        assert_eq!(
            (p.canvas_width, p.canvas_height, p.x, p.y),
            (600, 300, 100, 50)
        );
        // found by fuzzing: the canvas size overflowed u32 instead of being refused
        let huge = CanvasSpec::Extend(Extend([
            Length::Percent(1000.0),
            Length::Px(0),
            Length::Px(65535),
            Length::Px(0),
        ]));
        match Placement::resolve(huge, 0xff00_ffff, 1) {
            Err(Error::Invalid(v)) => {
                assert_eq!((v.field, v.rule), (Field::Extend, Rule::TooLarge));
                assert!(v.to_string().contains("4294967295"), "{v}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn canvas_anchors_place_the_source() {
        let c = CanvasSize(300, 200);
        let at = |a| {
            let p = Placement::resolve(CanvasSpec::Size(c, a), 100, 100).unwrap();
            (p.x, p.y)
        };
        assert_eq!(at(Anchor::Center), (100, 50));
        assert_eq!(at(Anchor::TopLeft), (0, 0));
        assert_eq!(at(Anchor::BottomRight), (200, 100));
        assert!(Placement::resolve(CanvasSpec::Size(c, Anchor::Center), 400, 100).is_err());
    }

    #[test]
    fn outpaint_marks_the_border_and_a_seam_band() {
        let mut o = opts(vec![]);
        o.canvas = Some(CanvasSpec::Extend(Extend([Length::Px(10); 4])));
        let job = o.build(src(20, 20), "s.png").unwrap();
        assert_eq!(job.mode, Mode::Outpaint);
        assert_eq!(job.mask.width(), 40);
        assert_eq!(job.mask.0.get_pixel(0, 0).0[0], 255);
        // the seam band reaches into the original, fading out
        let v = job.mask.0.get_pixel(12, 20).0[0];
        assert!(v > 0 && v < 255, "{v}");
        assert_eq!(job.mask.0.get_pixel(20, 20).0[0], 0);

        o.mode = Some(Mode::PreciseOutpaint);
        let job = o.build(src(20, 20), "s.png").unwrap();
        assert_eq!(
            job.mask.0.get_pixel(10, 10).0[0],
            0,
            "precise keeps every original pixel"
        );
        assert_eq!(job.mask.0.get_pixel(9, 10).0[0], 255);
    }

    #[test]
    fn empty_selection_is_an_error() {
        let empty = |o: &JobOptions| match o.build(src(8, 8), "a.png") {
            Err(Error::Invalid(v)) => *v,
            other => panic!("{other:?}"),
        };
        let v = empty(&opts(vec![]));
        assert_eq!(
            (v.field, v.rule, v.value.as_str()),
            (Field::Selection, Rule::Empty, "none given")
        );
        assert_eq!(v.subject.as_deref(), Some("a.png"));
        let mut o = opts(vec![Shape::parse_rect("0,0,8,8").unwrap()]);
        o.selection.invert = true;
        assert!(empty(&o).value.starts_with("after"));
    }

    #[test]
    fn inpaint_with_canvas_is_a_usage_error() {
        let mut o = opts(vec![Shape::parse_rect("0,0,2,2").unwrap()]);
        o.mode = Some(Mode::Inpaint);
        o.canvas = Some(CanvasSpec::Extend(Extend([Length::Px(4); 4])));
        let e = o.build(src(8, 8), "a").unwrap_err();
        assert!(
            matches!(&e, Error::Invalid(v) if v.rule == Rule::Conflicts),
            "{e:?}"
        );
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
    }
}
