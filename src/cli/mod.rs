//! The command line (clap derive): the single source of the help, completions and man page.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::edit::engine::EngineKind;
use crate::edit::job::{CanvasSize, Extend};
use crate::edit::options::{Anchor, Mode, OutputFormat, Quality, Upscaler};
use crate::mask::Shape;
use crate::select::{ObjectPick, WandPick};

pub mod values;
pub mod words;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  2  usage error (bad flags or flag values)
  3  bad input (unreadable or corrupt file, size mismatch, empty selection, output exists)
  4  engine or remote error
  5  authentication error
  6  some items of a batch failed (the others were written)";

/// Mask-based inpainting and outpainting from the terminal.
#[derive(Debug, Parser)]
#[command(name = "imgedit", version, about, propagate_version = true, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log what imgedit does to stderr: -v its own steps (requests, attempts, timings), -vv also
    /// the AWS SDK's and HTTP client's debug lines. IMGEDIT_LOG sets a full filter. Passwords,
    /// tokens and keys are never logged
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Append log lines to this file instead of stderr (needed with the TUI)
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inpaint or outpaint one image, several, or a directory
    #[command(after_help = EXIT_CODES)]
    Edit(Box<EditArgs>),
    /// Write the mask a selection makes (shapes, mask files, --object, --wand) as a PNG
    #[command(after_help = EXIT_CODES)]
    Mask(Box<MaskArgs>),
    /// Open the interactive editor (select, run, compare, keep, undo)
    Tui(TuiArgs),
    /// Serve HTTP endpoints: the Bedrock-compatible endpoint for offline work
    Serve(Box<ServeArgs>),
    /// Sign in to the Cognito user pool of the /image-edit API
    #[command(after_help = "Exit codes: 0 signed in, 2 usage, 5 authentication failed")]
    Login(LoginArgs),
    /// Sign out: forget the cached tokens (and revoke them, or sign out everywhere)
    Logout(LogoutArgs),
    /// Show who is signed in, for which pool, and until when
    Whoami(WhoamiArgs),
    /// List past edits from the request log, with a summary
    History(HistoryArgs),
    /// Show, locate or create the configuration file
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    #[command(hide = true)]
    Man,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Input images (PNG, JPEG, WebP, GIF) or directories of them
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,

    #[command(flatten)]
    pub selection: SelectionArgs,
    /// For batches: a directory of masks matched to images by file stem
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Selection",
        conflicts_with = "mask"
    )]
    pub mask_dir: Option<PathBuf>,
    /// Write the final mask (white = change) to FILE
    #[arg(long, value_name = "FILE", help_heading = "Selection")]
    pub save_mask: Option<PathBuf>,

    /// What to do [default: inpaint, or outpaint with --extend/--canvas]
    #[arg(long, value_parser = values::choice(values::mode_help), help_heading = "Generation")]
    pub mode: Option<Mode>,
    /// Outpaint: add borders L,T,R,B (or one value for all), in pixels or percent like 25%
    #[arg(
        long,
        value_name = "L,T,R,B",
        value_parser = values::extend,
        help_heading = "Generation",
        conflicts_with = "canvas"
    )]
    pub extend: Option<Extend>,
    /// Outpaint: the new canvas size
    #[arg(long, value_name = "WxH", value_parser = values::canvas, help_heading = "Generation")]
    pub canvas: Option<CanvasSize>,
    /// Outpaint: where the original sits on --canvas
    #[arg(long, value_parser = values::choice(values::no_help::<Anchor>), default_value = "center", help_heading = "Generation", requires = "canvas")]
    pub anchor: Anchor,
    /// What to generate (ignored by the local engine)
    #[arg(long, short = 'p', help_heading = "Generation")]
    pub prompt: Option<String>,
    /// What to avoid (ignored by the local engine)
    #[arg(long, help_heading = "Generation")]
    pub negative: Option<String>,
    /// Number of results; each gets its own seed (seed, seed+1, ...)
    #[arg(
        short = 'n',
        long = "num-images",
        default_value_t = 1,
        value_name = "N",
        help_heading = "Generation"
    )]
    pub num_images: u32,
    /// Seed of the first result [default: random, reported in the output]
    #[arg(long, help_heading = "Generation")]
    pub seed: Option<u64>,
    /// Prompt strength for the cloud models
    #[arg(long, help_heading = "Generation")]
    pub cfg_scale: Option<f32>,
    /// Image quality (Titan, Nova Canvas)
    #[arg(long, value_parser = values::choice(values::no_help::<Quality>), help_heading = "Generation")]
    pub quality: Option<Quality>,
    /// Let the model find the region to change from text, e.g. "the dog" (Stability search-and-replace; Titan, Nova Canvas)
    #[arg(long, value_name = "TEXT", help_heading = "Selection")]
    pub mask_prompt: Option<String>,
    /// With --mode replace: what to replace (Stability search-and-replace)
    #[arg(long, value_name = "TEXT", help_heading = "Generation")]
    pub search: Option<String>,
    /// Stability: grow the mask outward by PX pixels and blur that band, 0-20 [default: 5, the tool's own]
    #[arg(long, value_name = "PX", help_heading = "Generation")]
    pub grow_mask: Option<u32>,
    /// With --mode recolor: what to recolour, e.g. "the jacket" (Stability search-and-recolor)
    #[arg(long, value_name = "TEXT", help_heading = "Generation")]
    pub select: Option<String>,
    /// With --mode upscale: which Stability upscaler [default: fast]
    #[arg(long, value_parser = values::choice(values::upscaler_help), help_heading = "Generation")]
    pub upscaler: Option<Upscaler>,
    /// Stability: a style preset (3d-model, analog-film, anime, cinematic, comic-book, digital-art, enhance, fantasy-art, isometric, line-art, low-poly, modeling-compound, neon-punk, origami, photographic, pixel-art, tile-texture)
    #[arg(long, value_name = "NAME", help_heading = "Generation")]
    pub style_preset: Option<String>,
    /// Stability: how much new detail outpainting (0.1-1.0) or the conservative/creative upscaler (0.1-0.5) invents
    #[arg(long, value_name = "X", help_heading = "Generation")]
    pub creativity: Option<f32>,

    /// Engine [default: from the config, else local]
    #[arg(long, value_parser = values::choice(values::engine_help), help_heading = "Engine")]
    pub engine: Option<EngineKind>,
    /// Model id for the engine, e.g. us.stability.stable-image-inpaint-v1:0 (bare stability.* ids work too) [default: from the config, else the living model for the mode]
    #[arg(long, help_heading = "Engine")]
    pub model: Option<String>,
    /// How to talk to a model id imgedit does not know
    #[arg(long, value_name = "FAMILY", help_heading = "Engine", value_parser = ["titan", "nova-canvas", "stability-inpaint", "stability-outpaint", "stability-erase", "stability-search-replace", "stability-search-recolor", "stability-remove-background", "stability-fast-upscale", "stability-conservative-upscale", "stability-creative-upscale"])]
    pub model_family: Option<String>,
    /// AWS region for Bedrock [default: the config, then the AWS chain]
    #[arg(long, help_heading = "Engine")]
    pub region: Option<String>,
    /// The /image-edit API's invoke URL, for --engine api [default: api_url in the config]
    #[arg(long, value_name = "URL", help_heading = "Engine")]
    pub api_url: Option<String>,
    /// Cognito ID token for --engine api instead of the one imgedit login cached
    #[arg(
        long,
        env = "IMGEDIT_TOKEN",
        hide_env_values = true,
        value_name = "JWT",
        help_heading = "Engine"
    )]
    pub token: Option<String>,
    /// AWS profile for Bedrock [default: the config, then the AWS chain]
    #[arg(long, help_heading = "Engine")]
    pub profile: Option<String>,

    /// Output file (format from the extension; "-" writes PNG to stdout). With -n > 1: OUT-1.png, OUT-2.png, ...
    #[arg(short = 'o', long, value_name = "OUT", help_heading = "Output")]
    pub output: Option<PathBuf>,
    /// Format a Stability tool returns (its output_format) [default: the -o file's, else png]
    #[arg(long, value_parser = values::choice(values::no_help::<OutputFormat>), help_heading = "Output")]
    pub output_format: Option<OutputFormat>,
    /// Directory for outputs (batches); names are STEM-edit-N.png
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Output",
        conflicts_with = "output"
    )]
    pub output_dir: Option<PathBuf>,
    /// Quality of JPEG output files, 1-100 [default: 95]
    #[arg(long, value_name = "Q", value_parser = clap::value_parser!(u8).range(1..=100), help_heading = "Output")]
    pub jpeg_quality: Option<u8>,
    /// Overwrite existing output files
    #[arg(long, help_heading = "Output")]
    pub force: bool,
    /// Print one JSON object per output on stdout (messages stay on stderr)
    #[arg(long, help_heading = "Output")]
    pub json: bool,
    /// Validate everything and print what would be done; write nothing
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,
    /// No progress bar or notes on stderr (errors are still printed)
    #[arg(long, short = 'q', help_heading = "Output")]
    pub quiet: bool,

    /// Batches: items in flight at most; throttling answers lower it, successes raise it back [default: 4 for bedrock and api, 2 for local]
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::edit::model::BATCH_JOBS_MAX)), help_heading = "Batch")]
    pub jobs: Option<u32>,
    /// Batches: calls to the service per second at most (a known quota), e.g. 2 or 0.5
    #[arg(long, value_name = "R", value_parser = parse_rate, help_heading = "Batch")]
    pub max_rate: Option<f64>,
    /// Batches: finish the batch whose journal (imgedit-batch.jsonl) is in --output-dir: skip what is done, redo the rest; refused when the flags differ
    #[arg(long, help_heading = "Batch", requires = "output_dir")]
    pub resume: bool,
}

/// The selection flags that `edit` and `mask` share.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Mask file: white (or transparent, if it has alpha) = change, grey = partly
    #[arg(long, value_name = "FILE", help_heading = "Selection")]
    pub mask: Option<PathBuf>,
    /// Rectangle to change, in pixels from the top-left corner (repeatable)
    #[arg(long, value_name = "X,Y,W,H", value_parser = Shape::parse_rect, allow_hyphen_values = true, help_heading = "Selection")]
    pub rect: Vec<Shape>,
    /// Polygon to change, 3+ vertices, non-zero winding rule (repeatable)
    #[arg(long, value_name = "\"X,Y X,Y X,Y ...\"", value_parser = Shape::parse_polygon, allow_hyphen_values = true, help_heading = "Selection")]
    pub polygon: Vec<Shape>,
    /// Ellipse to change: centre and radii (repeatable)
    #[arg(long, value_name = "CX,CY,RX,RY", value_parser = Shape::parse_ellipse, allow_hyphen_values = true, help_heading = "Selection")]
    pub ellipse: Vec<Shape>,
    /// Object inside a rectangle around it, found by its colours and edges (repeatable)
    #[arg(long, value_name = "X,Y,W,H", value_parser = ObjectPick::parse, allow_hyphen_values = true, help_heading = "Selection")]
    pub object: Vec<ObjectPick>,
    /// Colour region at a point: the connected pixels within TOL (Delta E in Lab, 0-100, default 12) of its colour; ",all" selects every similar pixel of the image (repeatable)
    #[arg(long, value_name = "X,Y[,TOL][,all]", value_parser = WandPick::parse, allow_hyphen_values = true, help_heading = "Selection")]
    pub wand: Vec<WandPick>,
    /// Change what is NOT selected
    #[arg(long, help_heading = "Selection")]
    pub invert_mask: bool,
    /// Grow the selection by PX pixels
    #[arg(
        long,
        value_name = "PX",
        default_value_t = 0,
        help_heading = "Selection"
    )]
    pub grow: u32,
    /// Shrink the selection by PX pixels
    #[arg(
        long,
        value_name = "PX",
        default_value_t = 0,
        help_heading = "Selection"
    )]
    pub shrink: u32,
    /// Soft edge PX pixels wide outside the selection [default: 0; 8 at an outpaint seam]
    #[arg(long, value_name = "PX", help_heading = "Selection")]
    pub feather: Option<u32>,
    /// Scale a mask whose size differs from the image instead of failing
    #[arg(long, help_heading = "Selection")]
    pub fit_mask: bool,
}

#[derive(Debug, Args)]
pub struct MaskArgs {
    /// Input image (PNG, JPEG, WebP, GIF)
    #[arg(value_name = "IMAGE")]
    pub image: PathBuf,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// The mask file to write (PNG; white = change, the mask `edit` would use)
    #[arg(short = 'o', long, value_name = "MASK.png", help_heading = "Output")]
    pub output: PathBuf,
    /// Overwrite an existing output file
    #[arg(long, help_heading = "Output")]
    pub force: bool,
}

/// A `--max-rate` value: a positive number of calls per second.
fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!(
            "{s:?}: expected calls per second, a number above 0 (e.g. 2 or 0.5)"
        )),
    }
}

/// How the TUI draws images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphicsMode {
    /// Ask the terminal which protocol it speaks
    Auto,
    Kitty,
    Sixel,
    Iterm2,
    /// Unicode half blocks: works everywhere, coarse
    Halfblocks,
}

#[derive(Debug, Args)]
pub struct TuiArgs {
    /// Image to open
    pub image: Option<PathBuf>,
    /// Mask file to start from (white, or transparent where it has alpha, = change)
    #[arg(long, value_name = "FILE")]
    pub mask: Option<PathBuf>,
    /// Engine [default: from the config, else local]
    #[arg(long, value_parser = values::choice(values::engine_help))]
    pub engine: Option<EngineKind>,
    /// Model id for the engine [default: from the config]
    #[arg(long)]
    pub model: Option<String>,
    /// Graphics protocol for images
    #[arg(long, value_enum, env = "IMGEDIT_GRAPHICS", default_value_t = GraphicsMode::Auto)]
    pub graphics: GraphicsMode,
    /// Start with the defaults: ignore the settings remembered from the last session (engine, model, brush, mode, prompts, recent images)
    #[arg(long)]
    pub fresh: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Serve only POST /model/{modelId}/invoke in Bedrock's wire format, answered by the local engine (no /image-edit, no authentication)
    #[arg(long)]
    pub bedrock: bool,
    /// Testing: inject faults into the Bedrock-compatible endpoint and /image-edit: throttle=N, error500=N, unavailable=N, filter=N, malformed=N, bad-base64=N, drop=N, delay-ms=MS, legacy=MODEL_ID, access-denied=N, inference-error=N (repeatable; local servers only: needs --bedrock or --no-auth, refused with --lambda)
    #[arg(long, value_name = "KIND=VALUE")]
    pub fault: Vec<String>,
    /// Testing: also mount POST /__imgedit/faults, which replaces the faults at run time (same rules as --fault)
    #[arg(long)]
    pub fault_control: bool,
    /// Engine behind /image-edit [default: from the config, else local]
    #[arg(long, value_parser = values::choice(values::engine_help))]
    pub engine: Option<EngineKind>,
    /// Model that "titan" maps to [default: local for the local engine, us.stability.stable-image-inpaint-v1:0 for bedrock]
    #[arg(long)]
    pub model: Option<String>,
    /// AWS region for Bedrock and DynamoDB [default: the config, then the AWS chain]
    #[arg(long)]
    pub region: Option<String>,
    /// AWS profile for Bedrock and DynamoDB [default: the config, then the AWS chain]
    #[arg(long)]
    pub profile: Option<String>,
    /// Cognito user pool whose tokens are accepted [default: cognito.user_pool_id in the config]
    #[arg(long, value_name = "REGION_ID")]
    pub user_pool_id: Option<String>,
    /// App client id whose tokens are accepted (repeatable) [default: cognito.client_id in the config]
    #[arg(long, value_name = "ID")]
    pub client_id: Vec<String>,
    /// Where to fetch the pool's signing keys [default: the pool's Cognito JWKS URL]
    #[arg(long, value_name = "URL")]
    pub jwks_url: Option<String>,
    /// Accept requests without a token (local use only; prints a warning)
    #[arg(long)]
    pub no_auth: bool,
    /// Request log in this DynamoDB table instead of the local history file
    #[arg(long, env = "DYNAMODB_TABLE_NAME", value_name = "NAME")]
    pub table: Option<String>,
    /// Create the DynamoDB table (--table) if it does not exist
    #[arg(long, requires = "table")]
    pub create_table: bool,
    /// Keep no request log
    #[arg(long, conflicts_with = "table")]
    pub no_log: bool,
    /// Origin allowed to call the API from a browser (repeatable; * = any)
    #[arg(long, value_name = "ORIGIN", default_value = "*")]
    pub cors_origin: Vec<String>,
    /// Largest request body, in bytes (AWS Lambda's limit is 6 MB)
    #[arg(long, value_name = "BYTES", default_value_t = 6 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Edits (with --bedrock: invocations) run at once; beyond it requests get 503 with Retry-After [default: the number of CPUs]
    #[arg(long, value_name = "N")]
    pub max_concurrent: Option<usize>,
    /// Open connections at once; beyond it a new connection gets 503 and is closed
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub max_connections: u32,
    /// Seconds a client has to send a request's headers; also how long an idle kept-alive connection stays open
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Seconds a client has to send a whole request body
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout: u64,
    /// Seconds an answer may wait on a client that does not read it before the connection is dropped
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub write_timeout: u64,
    /// Run as an AWS Lambda function behind API Gateway (builds with the `lambda` feature)
    #[arg(long)]
    pub lambda: bool,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// User name (or an alias the pool accepts, such as the e-mail address) [default: asked]
    #[arg(long, short = 'u')]
    pub username: Option<String>,
    /// Read the password (then any challenge answers, one per line) from stdin
    #[arg(long)]
    pub password_stdin: bool,
    /// srp: the password never leaves this machine; password: USER_PASSWORD_AUTH
    #[arg(long, value_parser = values::choice(values::auth_flow_help), default_value = "srp")]
    pub auth_flow: crate::auth::AuthFlow,
    /// Name of the token cache, for several accounts
    #[arg(long, default_value = "default")]
    pub profile: String,
    /// The code of the second factor (authenticator app, SMS or e-mail) for scripts [default: asked, or the next stdin line]
    #[arg(long, value_name = "CODE")]
    pub mfa_code: Option<String>,
    /// Setting up an authenticator app: show the secret and the otpauth URI as text, without the QR code (also when stdout is not a terminal)
    #[arg(long)]
    pub no_qr: bool,
    /// Setting up an authenticator app: the name Cognito registers it under
    #[arg(long, value_name = "NAME", default_value = "imgedit")]
    pub mfa_device_name: String,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Sign out of every device (GlobalSignOut), not only this one
    #[arg(long)]
    pub everywhere: bool,
    /// Name of the token cache
    #[arg(long, default_value = "default")]
    pub profile: String,
}

#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// Name of the token cache
    #[arg(long, default_value = "default")]
    pub profile: String,
    /// Print as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Show only the last N edits
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
    /// Print the records and the summary as JSON
    #[arg(long)]
    pub json: bool,
    /// Read the DynamoDB request log table (the /image-edit API's, e.g. ImageGenerationTable) instead of the local log
    #[arg(long, value_name = "NAME", env = "DYNAMODB_TABLE_NAME")]
    pub table: Option<String>,
    /// AWS region of the table [default: the config, then the AWS chain]
    #[arg(long, requires = "table")]
    pub region: Option<String>,
    /// AWS profile for the table [default: the config, then the AWS chain]
    #[arg(long, requires = "table")]
    pub profile: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration file's path
    Path,
    /// Print the effective configuration (file, then environment)
    Show,
    /// Write a commented configuration file
    Init {
        /// Replace an existing file
        #[arg(long)]
        force: bool,
    },
    /// Read the Cognito pool, app client, region and API URL from the browser client's config.js
    Import {
        /// The browser client's config.js (window._workshopConfig = {...})
        file: PathBuf,
        /// Update an existing configuration file (a copy is kept as config.toml.bak; comments are not kept)
        #[arg(long)]
        force: bool,
    },
}

/// The clap `Command`, for completions and the man page.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

impl SelectionArgs {
    /// The job's selection from these flags; `mask_file` is `--mask`, or the batch's match in
    /// `--mask-dir`.
    pub fn to_selection(&self, mask_file: Option<PathBuf>) -> crate::edit::job::Selection {
        let mut shapes = self.rect.clone();
        shapes.extend(self.polygon.iter().cloned());
        shapes.extend(self.ellipse.iter().cloned());
        crate::edit::job::Selection {
            mask: None,
            mask_file,
            shapes,
            objects: self.object.clone(),
            wands: self.wand.clone(),
            invert: self.invert_mask,
            grow: self.grow,
            shrink: self.shrink,
            feather: self.feather,
            fit_mask: self.fit_mask,
        }
    }
}
