//! What can happen (actions, including input and the outcomes of effects) and what `update` asks
//! the outside world to do (effects). Both are plain data.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::Event;
use image::DynamicImage;

use crate::edit::engine::{CancellationToken, EngineKind};
use crate::edit::options::Mode;
use crate::image_io::Metadata;
use crate::mask::Mask;

use super::render::{CanvasRequest, Encoded, ThumbRequest};

/// A user command: what a key, a button or a line of the help overlay does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    ToolRect,
    ToolPolygon,
    ToolEllipse,
    ToolBrush,
    ToolEraser,
    ToolObject,
    ToolWand,
    BrushBigger,
    BrushSmaller,
    InvertMask,
    GrowMask,
    ShrinkMask,
    ClearMask,
    LoadMask,
    SaveMask,
    PolygonBack,
    Undo,
    Redo,
    ZoomIn,
    ZoomOut,
    ZoomFit,
    ZoomActual,
    Messages,
    MaskView,
    Feather,
    PanLeft,
    PanRight,
    PanUp,
    PanDown,
    NextMode,
    ExtendLeft,
    ExtendTop,
    ExtendRight,
    ExtendBottom,
    ResetExtend,
    EditPrompt,
    EditNegative,
    EditMaskPrompt,
    EditCfg,
    ToggleQuality,
    EditModel,
    MoreImages,
    SeedLock,
    EditSeed,
    PickEngine,
    Run,
    Cancel,
    NextResult,
    PrevResult,
    ViewResult,
    Compare,
    SaveResult,
    UseResult,
    DeleteResult,
    Open,
    Help,
    Quit,
}

/// Something that happened: terminal input, or the outcome of an effect.
#[derive(Debug)]
pub enum Action {
    /// A key, mouse, paste or resize event from the terminal.
    Term(Event),
    /// A command, from a key, a click or a test.
    Cmd(Command),
    /// An image was opened (or could not be).
    ImageLoaded(Result<LoadedImage, String>),
    /// A mask file was read (or could not be).
    MaskLoaded(Result<Mask, String>),
    /// Style transfer's reference image was read (or could not be).
    StyleImageLoaded(Result<crate::edit::options::StyleImage, String>),
    /// A file was written; the message says what (or why not).
    Written {
        what: Written,
        result: Result<PathBuf, String>,
    },
    /// Path completions for the input line.
    Completed(Vec<String>),
    /// Engine progress of job `job`: done of total.
    Progress { job: u64, done: u64, total: u64 },
    /// A message from the engine about job `job` (retries, withheld images).
    JobStatus { job: u64, text: String },
    /// One finished result of job `job`, already written to the work folder.
    ResultReady(Box<ResultReady>),
    /// Job `job` ended; Err carries the message for the status line.
    JobEnded {
        job: u64,
        result: Result<usize, String>,
    },
    /// The canvas or a thumbnail was encoded for the terminal.
    Encoded(Box<Encoded>),
}

/// A decoded image with its path and the folder for this edit's results.
#[derive(Debug)]
pub struct LoadedImage {
    pub path: PathBuf,
    pub image: DynamicImage,
    pub work_dir: PathBuf,
    pub notes: Vec<String>,
    /// The file's colour profile and EXIF fields, which results and saved files keep.
    pub metadata: Metadata,
}

/// A result as it arrives from a job.
#[derive(Debug)]
pub struct ResultReady {
    pub job: u64,
    pub number: u32,
    pub image: DynamicImage,
    /// None when the engine cannot say that the seed was used (an API that draws its own).
    pub seed: Option<u64>,
    /// The remote API's id for the call that made it, to match it to the API's log.
    pub request_id: Option<String>,
    pub work_path: Option<PathBuf>,
    pub warning: Option<String>,
}

/// What kind of file a `Written` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Result(u64),
    Mask,
}

/// Everything a job needs, captured when Run was pressed.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub job: u64,
    /// The document's source, shared (the job and the engine's input use the same pixels).
    pub source: crate::edit::job::Source,
    pub source_name: String,
    /// The file the source came from (its size goes in the request log).
    pub source_path: PathBuf,
    /// The source file's metadata, kept in the results.
    pub metadata: Arc<Metadata>,
    pub mask: Option<Mask>,
    pub mode: Mode,
    pub extend: [u32; 4],
    /// The selection's soft edge in pixels (None: the mode's own).
    pub feather: Option<u32>,
    pub prompt: Option<String>,
    pub negative: Option<String>,
    /// Text naming the region, for models that find it themselves (Stability search-and-replace).
    pub mask_prompt: Option<String>,
    /// What to recolour, for recolor mode.
    pub select: Option<String>,
    /// Which upscaler, for upscale mode.
    pub upscaler: Option<crate::edit::options::Upscaler>,
    /// Style transfer's reference image.
    pub style_image: Option<crate::edit::options::StyleImage>,
    pub cfg_scale: Option<f32>,
    pub quality: Option<crate::edit::options::Quality>,
    pub num_images: u32,
    /// None = pick a random seed.
    pub seed: Option<u64>,
    pub engine: EngineKind,
    pub model: Option<String>,
    pub work_dir: PathBuf,
    pub first_number: u32,
    pub cancel: CancellationToken,
}

/// I/O and slow work that `update` asks for; the runner turns each into actions later.
#[derive(Debug)]
pub enum Effect {
    OpenImage(PathBuf),
    /// Read style transfer's reference image.
    LoadStyleImage(PathBuf),
    LoadMask {
        path: PathBuf,
        width: u32,
        height: u32,
    },
    SaveMask {
        path: PathBuf,
        mask: Mask,
    },
    SaveImage {
        path: PathBuf,
        image: Arc<DynamicImage>,
        result: u64,
        /// The source file's metadata, kept in the saved file.
        metadata: Arc<Metadata>,
    },
    Complete(String),
    Run(Box<RunRequest>),
    EncodeCanvas(Box<CanvasRequest>),
    EncodeThumb(Box<ThumbRequest>),
    /// Wipe the terminal so no image pixels stay behind (after a popup closes or a resize).
    ClearScreen,
}
