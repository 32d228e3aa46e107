//! `imgedit tui`: the interactive editor, in the model / update / view style.
//!
//! `update(&mut App, Action) -> Vec<Effect>` changes the model and does no I/O; effects (engine
//! jobs, files, encoding images for the terminal) run elsewhere and come back as actions over one
//! channel; `view::draw(&App)` only reads. The event loop drains every queued action, then draws
//! once inside a synchronized update.

pub mod action;
pub mod app;
pub mod commands;
pub mod effects;
pub mod input;
pub mod keymap;
pub mod pick;
pub mod render;
pub mod state;
pub mod terminal;
pub mod tools;
pub mod update;
pub mod view;
pub mod viewport;
pub mod words;

#[cfg(test)]
mod tests;

use std::io::{self, IsTerminal};

use crossterm::execute;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::cli::TuiArgs;
use crate::config::{Config, Paths};
use crate::edit::engine::EngineKind;
use crate::error::{Error, Result, exit};

use action::{Action, Effect};
use app::{App, Params};

/// Runs the TUI until the user quits; returns the exit code.
pub fn run(args: &TuiArgs, rt: &tokio::runtime::Runtime) -> Result<u8> {
    let paths = Paths::from_env()?;
    let config = Config::load(&paths.config_file)?;
    let engine = args.engine.or(config.engine).unwrap_or(EngineKind::Local);
    let model = args.model.clone().or(config.model.clone());
    crate::engine::resolve_model(engine, model.as_deref(), None, None)?;
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(Error::Usage(
            "imgedit tui needs a terminal (stdin and stdout)".into(),
        ));
    }
    let tty_err = |e: io::Error| Error::io("the terminal", e);

    terminal::install_panic_hook();
    let guard = terminal::enter().map_err(tty_err)?;
    let picker = terminal::picker(args.graphics, &paths.data_dir.join("silent-terminals"));
    let mut term = Terminal::new(CrosstermBackend::new(io::stdout())).map_err(tty_err)?;
    let size = term.size().map_err(tty_err)?;
    // Only now may anything read stdin: the probe and ratatui read the terminal's answers there.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Action>();
    terminal::spawn_input(tx.clone());
    let font = picker.font_size();
    let params = Params {
        engine,
        model,
        ..Params::default()
    };
    let mut app = App::new(
        (size.width, size.height),
        picker.protocol_type(),
        (font.width, font.height),
        params,
    );
    app.pending_mask = args.mask.clone();
    // remembered from the last session, unless --fresh; the flags and the config win
    let state_file = state::path_in(&paths.data_dir);
    let remembered = if args.fresh {
        state::Remembered::default()
    } else {
        state::load(&state_file)
    };
    remembered.apply(
        &mut app,
        args.engine.is_some() || config.engine.is_some(),
        args.model.is_some() || config.model.is_some(),
    );
    app.living_models = config.living_models.clone();
    let runner = effects::Runner {
        tx: tx.clone(),
        rt: rt.handle().clone(),
        encoder: effects::spawn_encoder(picker, tx.clone()),
        data_dir: paths.data_dir.clone(),
        limits: config.limits,
        settings: crate::engine::EngineSettings {
            region: config.region.clone(),
            profile: config.profile.clone(),
            api: config.api_settings(&paths, None, std::env::var("IMGEDIT_TOKEN").ok()),
            living_models: config.living_models.clone(),
        },
        engines: effects::Engines::default(),
    };
    let pending: Vec<Effect> = args.image.iter().cloned().map(Effect::OpenImage).collect();
    if args.image.is_none() && args.mask.is_some() {
        app.set_error("--mask needs an image");
    }

    let result = event_loop(rt, &mut term, &mut app, &runner, &mut rx, pending);
    drop(guard);
    if let Err(e) = state::save(&state_file, &remembered.taken_from(&app)) {
        eprintln!("warning: the TUI's settings were not remembered: {e}");
    }
    result.map_err(tty_err)?;
    Ok(exit::OK)
}

/// Starts the pending effects and draws, then waits for actions and applies every queued one,
/// until the user quits or the actions end.
fn event_loop(
    rt: &tokio::runtime::Runtime,
    term: &mut Terminal<CrosstermBackend<io::Stdout>>,
    app: &mut App,
    runner: &effects::Runner,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>,
    mut pending: Vec<Effect>,
) -> io::Result<()> {
    rt.block_on(async {
        loop {
            pending.extend(update::pending_renders(app));
            let mut clear = false;
            for e in pending.drain(..) {
                match e {
                    Effect::ClearScreen => clear = true,
                    other => runner.start(other),
                }
            }
            if app.quit {
                return Ok(());
            }
            if clear {
                // `Terminal::clear` asks the terminal for the cursor position, which races with the
                // input thread's reads; `resize` wipes the screen and ratatui's copy without asking.
                let size = term.size()?;
                term.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))?;
            }
            execute!(term.backend_mut(), BeginSynchronizedUpdate)?;
            term.draw(|f| view::draw(f, app))?;
            execute!(term.backend_mut(), EndSynchronizedUpdate)?;
            let Some(first) = rx.recv().await else {
                return Ok(());
            };
            pending.extend(update::update(app, first));
            while let Ok(next) = rx.try_recv() {
                pending.extend(update::update(app, next));
            }
        }
    })
}
