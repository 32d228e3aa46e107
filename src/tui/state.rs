//! What the TUI remembers between sessions: engine, model, brush size, mode, the last prompt of
//! each engine, and the recently opened images. A small JSON file in the data directory, read at
//! start (unless `--fresh`) and written at the end; a file that cannot be read is ignored, never
//! an error, and the command line's flags win over it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::app::App;
use crate::choice::Choice;
use crate::edit::engine::EngineKind;
use crate::edit::options::Mode;
use crate::error::Result;
use crate::image_io::files::{ReadLimit, read_if_exists};

/// The state file's name in the data directory.
pub const FILE_NAME: &str = "tui-state.json";

/// How many recent images are kept.
pub const RECENT: usize = 10;

const LIMIT: ReadLimit = ReadLimit {
    max_bytes: 1 << 20,
    max_stream_bytes: 1 << 20,
    raise: "delete the file (it only holds remembered settings)",
};

/// The remembered settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Remembered {
    pub engine: Option<EngineKind>,
    pub model: Option<String>,
    pub brush: Option<u32>,
    /// The mode by its name.
    pub mode: Option<String>,
    /// The last prompt, per engine name.
    pub prompts: BTreeMap<String, String>,
    /// Recently opened images, the newest first.
    pub recent: Vec<PathBuf>,
}

/// The state file in `data_dir`.
pub fn path_in(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

/// The remembered settings at `path`; nothing (the defaults) when the file is missing, too
/// large or not the state file's shape.
pub fn load(path: &Path) -> Remembered {
    read_if_exists(path, LIMIT)
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Writes `state` to `path` (atomically, replacing the previous one).
pub fn save(path: &Path, state: &Remembered) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| crate::error::Error::io(dir, e))?;
    }
    let text = serde_json::to_vec_pretty(state)
        .map_err(|e| crate::error::Error::Engine(format!("cannot write the TUI state: {e}")))?;
    crate::image_io::write_atomic(path, &text, true)
}

impl Remembered {
    /// Puts the remembered settings into a new session's `app`; `engine` and `model` only where
    /// the command line and the config file said nothing.
    pub fn apply(&self, app: &mut App, engine_given: bool, model_given: bool) {
        if !engine_given && let Some(e) = self.engine {
            app.params.engine = e;
        }
        if !model_given && !engine_given {
            app.params.model = self.model.clone();
        }
        if let Some(b) = self.brush {
            app.brush = b.clamp(1, 512);
        }
        if let Some(m) = self.mode.as_deref().and_then(Mode::parse) {
            app.params.mode = m;
        }
        if let Some(p) = self.prompts.get(app.params.engine.name()) {
            app.params.prompt = p.clone();
        }
        app.recent = self.recent.iter().take(RECENT).cloned().collect();
    }

    /// The settings of `app` at the end of a session, over what was remembered before.
    pub fn taken_from(mut self, app: &App) -> Self {
        self.engine = Some(app.params.engine);
        self.model = app.params.model.clone();
        self.brush = Some(app.brush);
        self.mode = Some(app.params.mode.name().to_string());
        if !app.params.prompt.is_empty() {
            self.prompts.insert(
                app.params.engine.name().to_string(),
                app.params.prompt.clone(),
            );
        }
        self.recent = app.recent.clone();
        self
    }
}

/// `path` first among the recent images (absolute, once, at most [`RECENT`]).
pub fn remember_recent(recent: &mut Vec<PathBuf>, path: &Path) {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    recent.retain(|p| p != &path);
    recent.insert(0, path);
    recent.truncate(RECENT);
}
