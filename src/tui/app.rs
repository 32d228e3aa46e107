//! The editor's state (the model). Only `update` changes it; `view` only reads it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use image::{DynamicImage, RgbImage};
use ratatui::layout::Rect;
use ratatui_image::picker::ProtocolType;
use ratatui_image::protocol::Protocol;

use crate::choice::Choice;
use crate::edit::engine::{CancellationToken, EngineKind};
use crate::edit::options::Mode;
use crate::mask::Mask;

use super::action::Effect;
use super::render::Preview;
use super::viewport::Viewport;

/// The smallest terminal the editor draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// Width of the prompt and parameters panel.
pub const PANEL_WIDTH: u16 = 30;
/// Thumbnail size in cells and the step between thumbnails.
pub const THUMB_COLS: u16 = 12;
pub const THUMB_STEP: u16 = 14;
/// Undo depth.
const UNDO_LIMIT: usize = 64;

/// Where each part of the screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The canvas with its border, and the image area inside it.
    pub canvas_block: Rect,
    pub canvas: Rect,
    pub panel: Rect,
    /// The results strip with its border, and the thumbnail row inside it.
    pub strip_block: Rect,
    pub strip: Rect,
    pub status: Rect,
}

/// Splits the screen; a pure function of its size so drawing and mouse hits agree.
pub fn layout(screen: Rect) -> Layout {
    let strip_h = if screen.height >= 30 { 7 } else { 6 };
    let status = Rect::new(screen.x, screen.bottom().saturating_sub(1), screen.width, 1);
    let strip_block = Rect::new(
        screen.x,
        status.y.saturating_sub(strip_h),
        screen.width,
        strip_h,
    );
    let main_h = strip_block.y.saturating_sub(screen.y);
    let canvas_w = screen.width.saturating_sub(PANEL_WIDTH);
    let canvas_block = Rect::new(screen.x, screen.y, canvas_w, main_h);
    let panel = Rect::new(
        screen.x + canvas_w,
        screen.y,
        screen.width - canvas_w,
        main_h,
    );
    Layout {
        canvas_block,
        canvas: inner(canvas_block),
        panel,
        strip_block,
        strip: inner(strip_block),
        status,
    }
}

fn inner(r: Rect) -> Rect {
    Rect::new(
        r.x + 1,
        r.y + 1,
        r.width.saturating_sub(2),
        r.height.saturating_sub(2),
    )
}

/// A drawing tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Rect,
    Polygon,
    Ellipse,
    Brush,
    Eraser,
    /// Drag a loose box around an object: the selection snaps to the object inside.
    Object,
    /// Click: the colour region around the point.
    Wand,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Rect => "rect",
            Tool::Polygon => "polygon",
            Tool::Ellipse => "ellipse",
            Tool::Brush => "brush",
            Tool::Eraser => "eraser",
            Tool::Object => "object",
            Tool::Wand => "wand",
        }
    }
}

/// The last object or wand selection: what the mask was before it, so a refinement replaces it
/// instead of adding to it.
#[derive(Debug, Clone)]
pub struct Pick {
    pub kind: PickKind,
    /// The mask before the selection was added.
    pub base: Arc<Mask>,
    /// `App::mask_rev` when the pick (or a hint stroke after it) last changed the mask: any other
    /// change to the mask (a shape, invert, undo, another image) ends the refinement.
    pub rev: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PickKind {
    Object { rect: crate::select::Rect },
    Wand { point: (u32, u32), tolerance: f32 },
}

/// Strokes drawn since an object selection: painted = "this is the object", erased = "this is
/// background". Source-sized.
#[derive(Debug, Clone)]
pub struct HintStrokes {
    pub object: Mask,
    pub background: Mask,
}

/// One generated image kept in the session.
#[derive(Debug, Clone)]
pub struct ResultItem {
    pub id: u64,
    /// 1-based number within the edit (`result-N.png` in the work folder).
    pub number: u32,
    pub image: Arc<DynamicImage>,
    pub display: Arc<RgbImage>,
    /// None when the engine cannot say that the seed was used.
    pub seed: Option<u64>,
    /// The remote API's id for the call that made it.
    pub request_id: Option<String>,
    pub work_path: Option<PathBuf>,
}

/// What undo restores: the source, the mask and the results.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Changes when another file is opened, so late results of an old job are dropped.
    pub id: u64,
    pub path: PathBuf,
    /// Shared with every job run on it (never copied for the engine).
    pub source: crate::edit::job::Source,
    /// The source file's colour profile and EXIF fields, which every result keeps.
    pub metadata: Arc<crate::image_io::Metadata>,
    /// The source as the screen shows it: the source's own pixels when it has no alpha.
    pub display: Arc<RgbImage>,
    /// The size of the source; 255 = change.
    pub mask: Arc<Mask>,
    pub results: Vec<ResultItem>,
}

/// Generation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub mode: Mode,
    /// Outpainting borders L, T, R, B in pixels.
    pub extend: [u32; 4],
    pub prompt: String,
    pub negative: String,
    /// Empty = select with the tools; text = let the model find the region (Stability
    /// search-and-replace); in recolor mode, what to recolour.
    pub mask_prompt: String,
    /// The upscaler of upscale mode (the mode cycle steps through them).
    pub upscaler: crate::edit::options::Upscaler,
    /// None = the model's default.
    pub cfg_scale: Option<f32>,
    pub quality: crate::edit::options::Quality,
    pub num_images: u32,
    pub seed: u64,
    pub seed_locked: bool,
    pub engine: EngineKind,
    pub model: Option<String>,
    /// A soft edge on the selection, in pixels (the CLI's `--feather`); None = the mode's own.
    pub feather: Option<u32>,
}

impl Default for Params {
    /// Inpainting with the local engine, one image, a random seed, nothing typed yet.
    fn default() -> Self {
        Params {
            mode: Mode::Inpaint,
            extend: [0; 4],
            prompt: String::new(),
            negative: String::new(),
            mask_prompt: String::new(),
            upscaler: crate::edit::options::Upscaler::Fast,
            cfg_scale: None,
            quality: crate::edit::options::Quality::Standard,
            num_images: 1,
            seed: 0,
            seed_locked: false,
            engine: EngineKind::Local,
            model: None,
            feather: None,
        }
    }
}

/// What the canvas shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// The source with the mask overlaid: the editing view.
    Edit,
    /// The selected result, large.
    Result,
    /// The source without overlay, to compare with the result.
    Original,
    /// The mask alone: white = change, black = keep.
    Mask,
}

/// A mouse drag in progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gesture {
    /// A shape or brush stroke from `start` to `last`, in canvas pixel coordinates.
    Draw { start: (f64, f64), last: (f64, f64) },
    /// Panning; the last cell seen.
    Pan { col: u16, row: u16 },
}

/// What a line-input popup is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputPurpose {
    Prompt,
    Negative,
    MaskPrompt,
    Cfg,
    Model,
    Seed,
    SaveResult,
    SaveMask,
    LoadMask,
    Open,
    /// Style transfer's reference image.
    StyleImage,
}

/// A one-line text field.
#[derive(Debug, Clone, PartialEq)]
pub struct TextInput {
    pub purpose: InputPurpose,
    pub text: String,
    /// Cursor position in characters.
    pub cursor: usize,
    pub completions: Vec<String>,
    /// The text is a suggestion, selected as a whole: the first typed character replaces it,
    /// Backspace clears it, a cursor key keeps it for editing.
    pub selected: bool,
}

impl TextInput {
    /// A field holding `text` as a selected suggestion, the cursor at its end.
    pub fn suggesting(purpose: InputPurpose, text: String) -> Self {
        TextInput {
            purpose,
            cursor: text.chars().count(),
            selected: !text.is_empty(),
            text,
            completions: Vec::new(),
        }
    }
}

/// A popup over the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    /// The session's messages in full, `scroll` lines up from the newest.
    Messages {
        scroll: u16,
    },
    Input(TextInput),
    ConfirmQuit,
    /// `o` while a job runs: cancel it and open another image?
    ConfirmOpen,
    EnginePicker {
        selected: usize,
    },
}

/// A job that is running.
#[derive(Debug, Clone)]
pub struct RunningJob {
    pub id: u64,
    pub doc: u64,
    pub done: u64,
    pub total: u64,
    pub images: u32,
    pub received: u32,
    pub cancel: CancellationToken,
    /// The engine's warnings, repeated when the job ends (its status line would hide them).
    pub warnings: Vec<String>,
}

/// The status line's message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// One message of the session, as the message log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Local time, `HH:MM:SS`.
    pub at: String,
    pub text: String,
    pub error: bool,
}

/// The most messages the log keeps (the oldest go first).
pub const LOG_LINES: usize = 1000;

/// What the last canvas encoding was made from; a new one is requested when this changes.
#[derive(Debug, Clone, PartialEq)]
pub struct CanvasKey {
    pub doc_rev: u64,
    pub mask_rev: u64,
    pub view: Viewport,
    pub show: Show,
    pub selected: Option<u64>,
    pub preview: Preview,
    pub mode: Mode,
    pub extend: [u32; 4],
}

/// Encoded images and the bookkeeping that keeps encoding off the UI and newest-wins.
#[derive(Default)]
pub struct Pictures {
    pub canvas: Option<Protocol>,
    pub canvas_generation: u64,
    pub canvas_in_flight: bool,
    pub canvas_key: Option<CanvasKey>,
    pub thumbs: HashMap<u64, Protocol>,
    pub thumbs_requested: HashSet<u64>,
    /// Microseconds the last canvas took to compose and encode.
    pub last_encode_micros: Option<u64>,
}

/// The whole editor state.
pub struct App {
    pub screen: (u16, u16),
    pub graphics: ProtocolType,
    /// Screen pixels per cell used for the canvas (1x2 for half blocks).
    pub cell: (u32, u32),
    pub doc: Option<Doc>,
    pub undo: Vec<Doc>,
    pub redo: Vec<Doc>,
    pub tool: Tool,
    /// Brush diameter in image pixels.
    pub brush: u32,
    pub gesture: Option<Gesture>,
    /// The last object or wand selection, while it can still be refined.
    pub pick: Option<Pick>,
    /// Brush and eraser strokes since the last object selection: its hints for a second pass.
    pub hints: Option<HintStrokes>,
    /// The wand's colour tolerance (CIE Lab distance).
    pub wand_tolerance: f32,
    /// The wand selects every similar pixel, not only the connected region.
    pub wand_global: bool,
    /// Polygon vertices placed so far, in canvas pixel coordinates.
    pub polygon: Vec<(f64, f64)>,
    /// The image point under the mouse, in canvas coordinates.
    pub hover: Option<(f64, f64)>,
    pub view: Option<Viewport>,
    /// The image size the viewport was fitted to; a new size refits.
    pub view_dims: Option<(u32, u32)>,
    pub params: Params,
    pub job: Option<RunningJob>,
    pub selected: Option<usize>,
    pub show: Show,
    pub overlay: Option<Overlay>,
    pub status: Status,
    /// Every message of the session, in full (the status line shows the last).
    pub messages: Vec<LogLine>,
    /// Recently opened images, the newest first (`o` offers them).
    pub recent: Vec<PathBuf>,
    pub work_dir: Option<PathBuf>,
    /// A mask file to load once the image is open (`--mask`).
    pub pending_mask: Option<PathBuf>,
    pub saved: HashSet<u64>,
    pub pictures: Pictures,
    pub doc_rev: u64,
    pub mask_rev: u64,
    pub next_id: u64,
    pub next_number: u32,
    pub quit: bool,
    /// Retired models the account still has (the config's `living_models`).
    pub living_models: Vec<String>,
    /// The rule the last run broke, shown in the status line.
    pub violation: Option<crate::violation::Violation>,
    /// Style transfer's reference image, read from the file prompt.
    pub style_image: Option<crate::edit::options::StyleImage>,
}

impl App {
    /// A fresh editor for a `width x height` terminal drawing with `graphics`.
    pub fn new(
        screen: (u16, u16),
        graphics: ProtocolType,
        font: (u16, u16),
        params: Params,
    ) -> App {
        let cell = match graphics {
            ProtocolType::Halfblocks => (1, 2),
            _ => (u32::from(font.0.max(1)), u32::from(font.1.max(1))),
        };
        App {
            screen,
            graphics,
            cell,
            doc: None,
            undo: Vec::new(),
            redo: Vec::new(),
            tool: Tool::Rect,
            brush: 16,
            gesture: None,
            pick: None,
            hints: None,
            wand_tolerance: crate::select::DEFAULT_TOLERANCE,
            wand_global: false,
            polygon: Vec::new(),
            hover: None,
            view: None,
            view_dims: None,
            params,
            job: None,
            selected: None,
            show: Show::Edit,
            overlay: None,
            status: Status {
                text: "o opens an image, ? shows every key".into(),
                error: false,
            },
            messages: Vec::new(),
            recent: Vec::new(),
            work_dir: None,
            pending_mask: None,
            saved: HashSet::new(),
            pictures: Pictures::default(),
            doc_rev: 0,
            mask_rev: 0,
            next_id: 1,
            next_number: 1,
            quit: false,
            living_models: Vec::new(),
            style_image: None,
            violation: None,
        }
    }

    pub fn layout(&self) -> Layout {
        layout(Rect::new(0, 0, self.screen.0, self.screen.1))
    }

    pub fn too_small(&self) -> bool {
        self.screen.0 < MIN_WIDTH || self.screen.1 < MIN_HEIGHT
    }

    /// Borders actually in effect (none when inpainting).
    pub fn extend(&self) -> [u32; 4] {
        if self.params.mode.is_outpaint() {
            self.params.extend
        } else {
            [0; 4]
        }
    }

    /// Where the source sits on the canvas shown while editing.
    pub fn offset(&self) -> (u32, u32) {
        let e = self.extend();
        (e[0], e[1])
    }

    /// The size of the image the canvas shows now.
    pub fn shown_size(&self) -> Option<(u32, u32)> {
        let doc = self.doc.as_ref()?;
        if self.show == Show::Result
            && let Some(r) = self.selected_result()
        {
            return Some((r.display.width(), r.display.height()));
        }
        let e = self.extend();
        Some((
            doc.display.width() + e[0] + e[2],
            doc.display.height() + e[1] + e[3],
        ))
    }

    pub fn selected_result(&self) -> Option<&ResultItem> {
        let doc = self.doc.as_ref()?;
        doc.results.get(self.selected?)
    }

    /// Whether some result was neither saved nor deleted.
    pub fn has_unsaved(&self) -> bool {
        self.doc
            .as_ref()
            .is_some_and(|d| d.results.iter().any(|r| !self.saved.contains(&r.id)))
    }

    /// Keeps a message in the log (once, when the same one repeats).
    fn log(&mut self, text: &str, error: bool) {
        if text.is_empty() || self.messages.last().is_some_and(|l| l.text == text) {
            return;
        }
        if self.messages.len() >= LOG_LINES {
            self.messages.remove(0);
        }
        self.messages.push(LogLine {
            at: chrono::Local::now().format("%H:%M:%S").to_string(),
            text: text.to_string(),
            error,
        });
    }

    pub fn set_status(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.log(&text, false);
        self.status = Status { text, error: false };
    }

    pub fn set_error(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.log(&text, true);
        self.status = Status { text, error: true };
    }

    /// Records the current document for undo, before a change.
    pub fn push_undo(&mut self) {
        if let Some(doc) = &self.doc {
            self.undo.push(doc.clone());
            if self.undo.len() > UNDO_LIMIT {
                self.undo.remove(0);
            }
            self.redo.clear();
        }
    }

    /// The mask, for changing (copied only while an encoder still holds the old one).
    pub fn mask_mut(&mut self) -> Option<&mut Mask> {
        self.mask_rev += 1;
        self.doc.as_mut().map(|d| Arc::make_mut(&mut d.mask))
    }

    pub fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

/// Engines the picker offers, in order.
pub const ENGINES: [EngineKind; 3] = [EngineKind::Local, EngineKind::Bedrock, EngineKind::Api];

/// The zoom that fits the shown image into the canvas.
pub fn fit_zoom(app: &App) -> Option<f64> {
    let dims = app.shown_size()?;
    Some(Viewport::fit(dims.0, dims.1, app.layout().canvas, app.cell).zoom)
}

/// Makes the viewport match the canvas area and the shown image's size.
pub fn ensure_view(app: &mut App) {
    let Some(dims) = app.shown_size() else {
        app.view = None;
        return;
    };
    let area = app.layout().canvas;
    match app.view {
        Some(v) if app.view_dims == Some(dims) => {
            if v.area != area {
                // a fitted view stays fitted; a view the user zoomed keeps its zoom and centre
                let fitted = Viewport::fit(dims.0, dims.1, v.area, app.cell);
                app.view = Some(if v.same_as(&fitted) {
                    Viewport::fit(dims.0, dims.1, area, app.cell)
                } else {
                    v.moved_to(area)
                });
            }
        }
        _ => {
            app.view = Some(Viewport::fit(dims.0, dims.1, area, app.cell));
            app.view_dims = Some(dims);
        }
    }
}

/// Closes any popup; the terminal is wiped so no image pixels stay under where it was.
pub fn close_overlay(app: &mut App) -> Vec<Effect> {
    app.overlay = None;
    vec![Effect::ClearScreen]
}

/// The mode as the panel shows it: upscale names its upscaler.
pub fn mode_label(p: &Params) -> String {
    if p.mode == Mode::Upscale {
        format!("upscale {}", p.upscaler.name())
    } else {
        p.mode.name().to_string()
    }
}
