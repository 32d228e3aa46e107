//! What each command does to the model (part of `update`: no I/O here either).

use std::path::Path;
use std::sync::Arc;

use super::action::{Command, Effect, RunRequest};
use super::app::{
    App, ENGINES, InputPurpose, Overlay, RunningJob, Show, TextInput, Tool, close_overlay,
    ensure_view, fit_zoom,
};
use super::tools;
use crate::choice::Choice;
use crate::edit::engine::CancellationToken;
use crate::edit::options::Mode;
use crate::mask::{Mask, Shape};

const MASK_STEP_PX: u32 = 4;

/// Runs one command.
pub fn command(app: &mut App, c: Command) -> Vec<Effect> {
    use Command as C;
    match c {
        C::ToolRect
        | C::ToolPolygon
        | C::ToolEllipse
        | C::ToolBrush
        | C::ToolEraser
        | C::ToolObject
        | C::ToolWand
        | C::BrushBigger
        | C::BrushSmaller
        | C::PolygonBack => tool_command(app, c),
        C::InvertMask | C::GrowMask | C::ShrinkMask | C::ClearMask | C::Undo | C::Redo => {
            mask_command(app, c)
        }
        C::Feather => {
            // none, then growing soft edges, then back to the mode's own
            app.params.feather = match app.params.feather {
                None => Some(0),
                Some(0) => Some(4),
                Some(f) if f < 32 => Some(f * 2),
                Some(_) => None,
            };
            app.set_status(match app.params.feather {
                None => "feather: the mode's own (a seam band when outpainting)".to_string(),
                Some(0) => "feather: none (a hard edge)".to_string(),
                Some(f) => format!("feather: a {f} px soft edge on the selection"),
            });
            vec![]
        }
        C::LoadMask | C::SaveMask | C::SaveResult | C::Open => file_command(app, c),
        C::ZoomIn
        | C::ZoomOut
        | C::ZoomFit
        | C::ZoomActual
        | C::MaskView
        | C::PanLeft
        | C::PanRight
        | C::PanUp
        | C::PanDown => view_command(app, c),
        C::NextMode
        | C::ExtendLeft
        | C::ExtendTop
        | C::ExtendRight
        | C::ExtendBottom
        | C::ResetExtend => mode_command(app, c),
        C::EditPrompt
        | C::EditNegative
        | C::EditMaskPrompt
        | C::EditCfg
        | C::EditModel
        | C::EditSeed => input_command(app, c),
        C::ToggleQuality | C::MoreImages | C::SeedLock | C::PickEngine => setting_command(app, c),
        C::NextResult
        | C::PrevResult
        | C::ViewResult
        | C::Compare
        | C::UseResult
        | C::DeleteResult => result_command(app, c),
        C::Run | C::Cancel | C::Help | C::Messages | C::Quit => session_command(app, c),
    }
}

/// Picks a selection tool, sizes the brush or drops the polygon's last vertex.
fn tool_command(app: &mut App, c: Command) -> Vec<Effect> {
    use Command as C;
    match c {
        C::ToolRect => set_tool(app, Tool::Rect),
        C::ToolPolygon => set_tool(app, Tool::Polygon),
        C::ToolEllipse => set_tool(app, Tool::Ellipse),
        C::ToolBrush => set_tool(app, Tool::Brush),
        C::ToolEraser => set_tool(app, Tool::Eraser),
        C::ToolObject => set_tool(app, Tool::Object),
        C::ToolWand if app.tool == Tool::Wand => super::pick::toggle_global(app),
        C::ToolWand => set_tool(app, Tool::Wand),
        C::BrushBigger | C::BrushSmaller if app.tool == Tool::Wand => {
            super::pick::step_tolerance(app, c == C::BrushBigger)
        }
        C::BrushBigger => app.brush = (app.brush + (app.brush / 4).max(1)).min(512),
        C::BrushSmaller => app.brush = (app.brush - (app.brush / 5).max(1)).max(1),
        C::PolygonBack => {
            app.polygon.pop();
        }
        _ => unreachable!("{c:?} is not a tool command"),
    }
    vec![]
}

/// Edits the mask as a whole (invert, grow, shrink, clear) or undoes and redoes.
fn mask_command(app: &mut App, c: Command) -> Vec<Effect> {
    use Command as C;
    match c {
        C::InvertMask => mask_op(app, "inverted", Mask::invert),
        C::GrowMask => mask_op(app, "grown by 4 px", |m| m.grow(MASK_STEP_PX)),
        C::ShrinkMask => mask_op(app, "shrunk by 4 px", |m| m.shrink(MASK_STEP_PX)),
        C::ClearMask => {
            app.polygon.clear();
            mask_op(app, "cleared", |m| *m = Mask::new(m.width(), m.height()));
        }
        C::Undo | C::Redo => undo_redo(app, c == C::Undo),
        _ => unreachable!("{c:?} is not a mask command"),
    }
    vec![]
}

/// Opens the path prompt for loading or saving a mask, saving a result or opening an image.
fn file_command(app: &mut App, c: Command) -> Vec<Effect> {
    use Command as C;
    match c {
        C::LoadMask | C::SaveMask => {
            let Some(doc) = &app.doc else {
                return no_image(app);
            };
            let (purpose, text) = if c == C::LoadMask {
                (InputPurpose::LoadMask, dir_of(&doc.path))
            } else {
                (InputPurpose::SaveMask, sibling(&doc.path, "mask", None))
            };
            open_input(app, purpose, text);
        }
        C::SaveResult => {
            let Some(r) = app.selected_result() else {
                app.set_status("no result to save");
                return vec![];
            };
            let Some(doc) = &app.doc else { return vec![] };
            let text = sibling(&doc.path, "edit", Some(r.number));
            open_input(app, InputPurpose::SaveResult, text);
        }
        C::Open if app.job.as_ref().is_some_and(|j| !j.cancel.is_cancelled()) => {
            app.overlay = Some(Overlay::ConfirmOpen);
        }
        C::Open => {
            let text = app
                .doc
                .as_ref()
                .map(|d| dir_of(&d.path))
                .unwrap_or_default();
            open_input(app, InputPurpose::Open, text);
            // the recent images below the field: ↓ ↑ pick one
            if let Some(Overlay::Input(i)) = app.overlay.as_mut() {
                i.completions = app.recent.iter().map(|p| p.display().to_string()).collect();
            }
        }
        _ => unreachable!("{c:?} is not a file command"),
    }
    vec![]
}

/// Zooms or pans the canvas.
fn view_command(app: &mut App, c: Command) -> Vec<Effect> {
    use Command as C;
    match c {
        C::MaskView => {
            app.show = if app.show == Show::Mask {
                Show::Edit
            } else {
                Show::Mask
            };
            app.set_status(if app.show == Show::Mask {
                "the mask alone: white = change, black = keep (2 again goes back)"
            } else {
                "showing the image and its selection"
            });
        }
        C::ZoomIn | C::ZoomOut | C::ZoomFit | C::ZoomActual => {
            ensure_view(app);
            let fit = fit_zoom(app);
            if let (Some(v), Some(fit)) = (app.view.as_mut(), fit) {
                match c {
                    C::ZoomIn => v.zoom_centre(1.25, fit),
                    C::ZoomOut => v.zoom_centre(0.8, fit),
                    C::ZoomActual => v.zoom_centre(1.0 / v.zoom, fit),
                    _ => app.view = None,
                }
            }
        }
        C::PanLeft | C::PanRight | C::PanUp | C::PanDown => {
            ensure_view(app);
            if let Some(v) = app.view.as_mut() {
                let (dx, dy) = match c {
                    C::PanLeft => (-4, 0),
                    C::PanRight => (4, 0),
                    C::PanUp => (0, -2),
                    _ => (0, 2),
                };
                v.pan_cells(dx, dy);
            }
        }
        _ => unreachable!("{c:?} is not a view command"),
    }
    vec![]
}

/// Steps the mode or extends the canvas for outpainting.
fn mode_command(app: &mut App, c: Command) -> Vec<Effect> {
    use Command as C;
    match c {
        C::NextMode => {
            use crate::edit::options::Upscaler as U;
            // the cloud tools follow the local modes; upscale steps through its upscalers
            let (mode, upscaler) = match (app.params.mode, app.params.upscaler) {
                (Mode::Inpaint, u) => (Mode::Erase, u),
                (Mode::Erase, u) => (Mode::Outpaint, u),
                (Mode::Outpaint, u) => (Mode::PreciseOutpaint, u),
                (Mode::PreciseOutpaint, u) => (Mode::Recolor, u),
                (Mode::Recolor, _) => (Mode::Upscale, U::Fast),
                (Mode::Upscale, U::Fast) => (Mode::Upscale, U::Conservative),
                (Mode::Upscale, U::Conservative) => (Mode::Upscale, U::Creative),
                (Mode::Upscale, U::Creative) => (Mode::RemoveBackground, U::Fast),
                (Mode::RemoveBackground, u) => (Mode::Sketch, u),
                (Mode::Sketch, u) => (Mode::Structure, u),
                (Mode::Structure, u) => (Mode::StyleGuide, u),
                (Mode::StyleGuide, u) => (Mode::StyleTransfer, u),
                (_, u) => (Mode::Inpaint, u),
            };
            app.params.mode = mode;
            app.params.upscaler = upscaler;
            app.show = Show::Edit;
            if app.params.mode.is_outpaint() && app.params.extend == [0; 4] {
                app.set_status(
                    "outpaint: Ctrl+arrows (or the panel's +L +T +R +B) extend the canvas",
                );
            } else if app.params.mode == Mode::Erase {
                app.set_status(
                    "erase: removes the selected object, no prompt needed (Stability's erase on Bedrock; the local engine fills as for inpaint)",
                );
            } else if app.params.mode == Mode::Recolor {
                app.set_status("recolor: j names what to recolour, p the new colours (Bedrock)");
            } else if app.params.mode == Mode::StyleTransfer {
                app.set_status(
                    "style transfer: the open image in the look of a reference image (Bedrock); name the reference",
                );
                return style_image_prompt(app);
            } else if app.params.mode.makes_new_picture() {
                app.set_status(format!(
                    "mode: {}, a new picture from the whole image and the prompt p (Bedrock)",
                    app.params.mode.name()
                ));
            } else if app.params.mode == Mode::Upscale {
                app.set_status(format!(
                    "mode: upscale, {} upscaler (Bedrock; the result is the new size)",
                    app.params.upscaler.name()
                ));
            } else {
                app.set_status(format!("mode: {}", app.params.mode.name()));
            }
        }
        C::ExtendLeft | C::ExtendTop | C::ExtendRight | C::ExtendBottom => {
            let Some(doc) = &app.doc else {
                return no_image(app);
            };
            let (w, h) = (doc.source.width(), doc.source.height());
            if !app.params.mode.is_outpaint() {
                app.params.mode = Mode::Outpaint;
            }
            let (i, side) = match c {
                C::ExtendLeft => (0, w),
                C::ExtendTop => (1, h),
                C::ExtendRight => (2, w),
                _ => (3, h),
            };
            // 5% of the side a press: finer than the 10% steps of before
            app.params.extend[i] = (app.params.extend[i] + (side / 20).max(1)).min(side * 4);
            app.show = Show::Edit;
        }
        C::ResetExtend => app.params.extend = [0; 4],
        _ => unreachable!("{c:?} is not a mode command"),
    }
    vec![]
}

/// Opens the text prompt for the prompt, negative or mask prompt, cfg scale, model or seed.
fn input_command(app: &mut App, c: Command) -> Vec<Effect> {
    use Command as C;
    match c {
        C::EditPrompt => open_input(app, InputPurpose::Prompt, app.params.prompt.clone()),
        C::EditNegative => open_input(app, InputPurpose::Negative, app.params.negative.clone()),
        C::EditMaskPrompt => open_input(
            app,
            InputPurpose::MaskPrompt,
            app.params.mask_prompt.clone(),
        ),
        C::EditCfg => {
            let current = app
                .params
                .cfg_scale
                .map(|c| c.to_string())
                .unwrap_or_default();
            open_input(app, InputPurpose::Cfg, current)
        }
        C::EditModel => {
            let current = app.params.model.clone().unwrap_or_default();
            open_input(app, InputPurpose::Model, current)
        }
        C::EditSeed => open_input(app, InputPurpose::Seed, app.params.seed.to_string()),
        _ => unreachable!("{c:?} is not a text input command"),
    }
    vec![]
}

/// Toggles the quality, the number of images, the seed lock, or opens the engine picker.
fn setting_command(app: &mut App, c: Command) -> Vec<Effect> {
    use Command as C;
    match c {
        C::ToggleQuality => {
            app.params.quality = match app.params.quality {
                crate::edit::options::Quality::Standard => crate::edit::options::Quality::Premium,
                crate::edit::options::Quality::Premium => crate::edit::options::Quality::Standard,
            };
            app.set_status(
                format!("quality {:?} (Titan, Nova Canvas)", app.params.quality).to_lowercase(),
            );
        }
        C::MoreImages => {
            // up to what the chosen model makes per request
            let max = crate::engine::resolve_model_for(
                app.params.engine,
                app.params.model.as_deref(),
                None,
                Some(app.params.mode),
                Some(app.params.upscaler),
                &app.living_models,
            )
            .map_or(1, crate::edit::rules::max_images);
            app.params.num_images = app.params.num_images % max + 1;
        }
        C::SeedLock => {
            app.params.seed_locked = !app.params.seed_locked;
            app.set_status(if app.params.seed_locked {
                format!("seed locked at {}", app.params.seed)
            } else {
                "a random seed for every run".into()
            });
        }
        C::PickEngine => {
            let selected = ENGINES
                .iter()
                .position(|e| *e == app.params.engine)
                .unwrap_or(0);
            app.overlay = Some(Overlay::EnginePicker { selected });
        }
        _ => unreachable!("{c:?} is not a setting command"),
    }
    vec![]
}

/// Steps through, views, compares, uses or deletes the results.
fn result_command(app: &mut App, c: Command) -> Vec<Effect> {
    use Command as C;
    match c {
        C::NextResult | C::PrevResult => {
            let n = app.doc.as_ref().map_or(0, |d| d.results.len());
            if n == 0 {
                app.set_status("no results yet: draw a selection and press Enter");
            } else {
                let cur = app.selected.unwrap_or(0);
                app.selected = Some(if c == C::NextResult {
                    (cur + 1) % n
                } else {
                    (cur + n - 1) % n
                });
                if app.show == Show::Edit {
                    app.show = Show::Result;
                }
            }
        }
        C::ViewResult => {
            if let Some(n) = app.selected_result().map(|r| r.number) {
                app.show = if app.show == Show::Edit {
                    Show::Result
                } else {
                    Show::Edit
                };
                app.set_status(if app.show == Show::Edit {
                    "showing the image and its selection".to_string()
                } else {
                    format!("showing result {n}")
                });
            } else {
                app.set_status("no result selected");
            }
        }
        C::Compare => {
            if app.selected_result().is_none() {
                app.set_status("no result to compare");
            } else {
                app.show = if app.show == Show::Result {
                    Show::Original
                } else {
                    Show::Result
                };
                app.set_status(if app.show == Show::Original {
                    "showing the original"
                } else {
                    "showing the result"
                });
            }
        }
        C::UseResult => use_result(app),
        C::DeleteResult => {
            let Some(i) = app.selected else {
                app.set_status("no result selected");
                return vec![];
            };
            app.push_undo();
            if let Some(doc) = app.doc.as_mut() {
                let r = doc.results.remove(i);
                app.saved.remove(&r.id);
                let n = doc.results.len();
                app.selected = if n == 0 { None } else { Some(i.min(n - 1)) };
            }
            if app.selected.is_none() {
                app.show = Show::Edit;
            }
            app.doc_rev += 1;
            app.set_status("result deleted (u undoes)");
            return vec![Effect::ClearScreen];
        }
        _ => unreachable!("{c:?} is not a result command"),
    }
    vec![]
}

/// Runs or cancels a job, toggles the help, or quits.
fn session_command(app: &mut App, c: Command) -> Vec<Effect> {
    use Command as C;
    match c {
        C::Run => return run(app),
        C::Cancel => return cancel(app),
        C::Help => {
            if app.overlay.is_some() {
                return close_overlay(app);
            }
            app.overlay = Some(Overlay::Help { scroll: 0 });
        }
        C::Messages => {
            if app.overlay.is_some() {
                return close_overlay(app);
            }
            app.overlay = Some(Overlay::Messages { scroll: 0 });
        }
        C::Quit => {
            if app.has_unsaved() {
                app.overlay = Some(Overlay::ConfirmQuit);
            } else {
                if let Some(j) = &app.job {
                    j.cancel.cancel();
                }
                app.quit = true;
            }
        }
        _ => unreachable!("{c:?} is not a session command"),
    }
    vec![]
}

fn no_image(app: &mut App) -> Vec<Effect> {
    app.set_status("open an image first (o)");
    vec![]
}

fn set_tool(app: &mut App, tool: Tool) {
    if tool != Tool::Polygon {
        app.polygon.clear();
    }
    app.tool = tool;
    app.show = Show::Edit;
    match tool {
        Tool::Object => {
            app.set_status("object: drag a loose box around the object (the selection snaps to it)")
        }
        Tool::Wand => app.set_status(format!(
            "wand: click a colour region; [ ] tolerance ({}), W: {}",
            app.wand_tolerance,
            if app.wand_global {
                "connected only"
            } else {
                "every similar pixel"
            }
        )),
        _ => {}
    }
}

fn mask_op(app: &mut App, what: &str, f: impl FnOnce(&mut Mask)) {
    if app.doc.is_none() {
        no_image(app);
        return;
    }
    app.push_undo();
    if let Some(m) = app.mask_mut() {
        f(m);
    }
    app.show = Show::Edit;
    app.set_status(format!("mask {what}"));
}

/// Adds a shape to the mask (one undo step); a shape outside the image is reported.
pub fn add_shape(app: &mut App, shape: &Shape) {
    let Some(doc) = &app.doc else { return };
    let mut mask = (*doc.mask).clone();
    match shape.rasterize(&mut mask) {
        Ok(()) => {
            app.push_undo();
            if let Some(m) = app.mask_mut() {
                *m = mask;
            }
            app.set_status(format!(
                "added {}{}",
                shape.brief(),
                large_selection_hint(app)
            ));
        }
        Err(e) => app.set_error(e),
    }
}

/// A tip after a large selection for the local engine, which fills best from a tight one.
fn large_selection_hint(app: &App) -> &'static str {
    let Some(doc) = &app.doc else { return "" };
    let total = u64::from(doc.mask.width()) * u64::from(doc.mask.height());
    let large = total > 0 && doc.mask.selected_count() as u64 * 5 > total;
    if large && app.params.engine == crate::edit::engine::EngineKind::Local {
        " (a large selection: the local engine fills best from one drawn close to the object)"
    } else {
        ""
    }
}

/// Closes the polygon being drawn into the mask.
pub fn close_polygon(app: &mut App) {
    if app.polygon.len() < 3 {
        app.set_status("a polygon needs at least 3 vertices");
        return;
    }
    let shape = tools::polygon_shape(&app.polygon, app.offset());
    app.polygon.clear();
    add_shape(app, &shape);
}

fn undo_redo(app: &mut App, undo: bool) {
    let (from, to) = if undo {
        (&mut app.undo, &mut app.redo)
    } else {
        (&mut app.redo, &mut app.undo)
    };
    let Some(prev) = from.pop() else {
        app.set_status(if undo {
            "nothing to undo"
        } else {
            "nothing to redo"
        });
        return;
    };
    if let Some(cur) = app.doc.replace(prev) {
        to.push(cur);
    }
    app.doc_rev += 1;
    app.mask_rev += 1;
    let n = app.doc.as_ref().map_or(0, |d| d.results.len());
    app.selected = match app.selected {
        _ if n == 0 => None,
        Some(i) => Some(i.min(n - 1)),
        None => Some(n - 1),
    };
    if app.selected.is_none() {
        app.show = Show::Edit;
    }
    app.set_status(if undo { "undone" } else { "redone" });
}

fn use_result(app: &mut App) {
    let Some(r) = app.selected_result().cloned() else {
        app.set_status("no result selected");
        return;
    };
    app.push_undo();
    if let Some(doc) = app.doc.as_mut() {
        // the area just fixed is not filled again by the next run: the selection starts empty
        // (u brings it back)
        let (w, h) = (r.display.width(), r.display.height());
        doc.mask = Arc::new(Mask::new(w, h));
        // an RGB result's screen copy is its pixels (flattening RGB changes nothing): shared
        doc.source = match &*r.image {
            image::DynamicImage::ImageRgb8(_) => crate::edit::job::Source::Rgb(r.display.clone()),
            other => crate::edit::job::Source::new(other.clone()),
        };
        doc.display = r.display.clone();
    }
    if app.params.mode.is_outpaint() {
        app.params.mode = Mode::Inpaint;
        app.params.extend = [0; 4];
    }
    app.doc_rev += 1;
    app.mask_rev += 1;
    app.show = Show::Edit;
    app.set_status(format!(
        "result {} is the new source; the selection is cleared (u undoes)",
        r.number
    ));
}

fn run(app: &mut App) -> Vec<Effect> {
    if app.tool == Tool::Polygon && !app.polygon.is_empty() {
        close_polygon(app);
        return vec![];
    }
    if app.job.is_some() {
        app.set_status("a job is running (Esc cancels it)");
        return vec![];
    }
    let Some(doc) = &app.doc else {
        return no_image(app);
    };
    if let Some(why) = not_ready(app, doc.mask.is_empty()) {
        app.set_error(why);
        return vec![];
    }
    if app.params.mode == Mode::StyleTransfer && app.style_image.is_none() {
        app.set_status("style transfer needs a reference image: name it, then Enter runs");
        return style_image_prompt(app);
    }
    let Some(work_dir) = app.work_dir.clone() else {
        return vec![];
    };
    let (doc_id, source_size) = (doc.id, (doc.source.width(), doc.source.height()));
    let Some(request) = run_request(app, work_dir) else {
        return vec![];
    };
    if !rules_allow(app, &request, source_size) {
        return vec![];
    }
    start_job(app, request, doc_id)
}

/// Why the mode cannot run yet (no selection, nothing to recolour, no extension), if so.
fn not_ready(app: &App, empty: bool) -> Option<&'static str> {
    let mode = app.params.mode;
    let extend = app.extend();
    if mode == Mode::Inpaint && empty && app.params.mask_prompt.trim().is_empty() {
        return Some(
            "nothing to edit: draw a selection first (r rectangle, l polygon, b brush) or give a mask prompt (j)",
        );
    }
    if mode == Mode::Recolor
        && (app.params.mask_prompt.trim().is_empty() || app.params.prompt.trim().is_empty())
    {
        return Some("recolor: name what to recolour (j) and the new colours (p)");
    }
    if mode.is_outpaint() && extend == [0; 4] {
        return Some("outpaint: extend the canvas first (Ctrl+arrows or +L +T +R +B in the panel)");
    }
    None
}

/// The request for a run of the open image with the panel's parameters (None without an image).
fn run_request(app: &mut App, work_dir: std::path::PathBuf) -> Option<RunRequest> {
    let doc = app.doc.as_ref()?;
    let mode = app.params.mode;
    let extend = app.extend();
    let empty = doc.mask.is_empty();
    let mask = match mode {
        Mode::PreciseOutpaint => None,
        // the whole image: a selection does not apply
        m if m.replaces_image() => None,
        _ if empty => None,
        _ => Some((*doc.mask).clone()),
    };
    let text = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    let (source, source_name, source_path) = (
        doc.source.clone(),
        doc.path.display().to_string(),
        doc.path.clone(),
    );
    let metadata = doc.metadata.clone();
    let (prompt, negative) = (text(&app.params.prompt), text(&app.params.negative));
    // in recolor mode the mask prompt names what to recolour
    let (mask_prompt, select) = match mode {
        Mode::Recolor => (None, text(&app.params.mask_prompt)),
        Mode::Inpaint | Mode::Replace => (text(&app.params.mask_prompt), None),
        // the other modes do not find a region from text
        _ => (None, None),
    };
    let upscaler = (mode == Mode::Upscale).then_some(app.params.upscaler);
    let style_image = (mode == Mode::StyleTransfer)
        .then(|| app.style_image.clone())
        .flatten();
    let id = app.fresh_id();
    Some(RunRequest {
        job: id,
        source,
        source_name,
        source_path,
        metadata,
        mask,
        mode,
        extend,
        feather: app.params.feather,
        prompt,
        negative,
        mask_prompt,
        select,
        upscaler,
        style_image,
        cfg_scale: app.params.cfg_scale,
        quality: Some(app.params.quality),
        num_images: app.params.num_images,
        seed: app.params.seed_locked.then_some(app.params.seed),
        engine: app.params.engine,
        model: app.params.model.clone(),
        work_dir,
        first_number: app.next_number,
        cancel: CancellationToken::new(),
    })
}

/// Checks the request against the model's rules, so a broken one is a panel line at once, not a
/// failed run; false (with the error shown) when it breaks one.
fn rules_allow(app: &mut App, request: &RunRequest, source_size: (u32, u32)) -> bool {
    let checked = super::effects::job_options(
        request,
        &app.living_models,
        crate::image_io::DecodeLimits::default(),
    )
    .and_then(|o| o.check(source_size.0, source_size.1));
    match checked {
        Ok(()) => {
            app.violation = None;
            true
        }
        Err(crate::error::Error::Invalid(v)) => {
            app.set_error(super::words::violation(&v));
            app.violation = Some(*v);
            false
        }
        Err(e) => {
            app.set_error(super::words::error(&e));
            false
        }
    }
}

/// Records the job as running and hands its request to the runner.
fn start_job(app: &mut App, request: RunRequest, doc_id: u64) -> Vec<Effect> {
    app.job = Some(RunningJob {
        id: request.job,
        doc: doc_id,
        done: 0,
        total: 0,
        images: app.params.num_images,
        received: 0,
        cancel: request.cancel.clone(),
        warnings: Vec::new(),
    });
    app.next_number += app.params.num_images;
    app.set_status(format!(
        "running {} on {}…",
        request.mode.name(),
        app.params.engine.as_str()
    ));
    vec![Effect::Run(Box::new(request))]
}

fn cancel(app: &mut App) -> Vec<Effect> {
    if app.overlay.is_some() {
        return close_overlay(app);
    }
    if !app.polygon.is_empty() {
        app.polygon.clear();
        app.set_status("polygon discarded");
    } else if app.gesture.take().is_some() {
        app.set_status("drag cancelled");
    } else if let Some(j) = &app.job {
        j.cancel.cancel();
        app.set_status("cancelling…");
    } else if app.show != Show::Edit {
        app.show = Show::Edit;
    }
    vec![]
}

/// Applies the engine picker's choice.
pub fn pick_engine(app: &mut App, i: usize) -> Vec<Effect> {
    let kind = ENGINES[i.min(ENGINES.len() - 1)];
    app.params.engine = kind;
    app.params.model = None;
    app.set_status(format!("engine: {}", kind.as_str()));
    close_overlay(app)
}

/// The file prompt for style transfer's reference image: the last one, else the open image's
/// folder.
fn style_image_prompt(app: &mut App) -> Vec<Effect> {
    let text = match (&app.style_image, &app.doc) {
        (Some(s), _) => s.name.clone(),
        (None, Some(d)) => dir_of(&d.path),
        (None, None) => String::new(),
    };
    open_input(app, InputPurpose::StyleImage, text);
    vec![]
}

pub(crate) fn open_input(app: &mut App, purpose: InputPurpose, text: String) {
    app.overlay = Some(Overlay::Input(TextInput::suggesting(purpose, text)));
}

fn dir_of(p: &Path) -> String {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => format!("{}/", d.display()),
        _ => String::new(),
    }
}

/// `photo.png` -> `photo-edit-3.png` (or `photo-mask.png`) beside it.
fn sibling(p: &Path, what: &str, n: Option<u32>) -> String {
    let stem = p.file_stem().unwrap_or_default().to_string_lossy();
    let name = match n {
        Some(n) => format!("{stem}-{what}-{n}.png"),
        None => format!("{stem}-{what}.png"),
    };
    p.with_file_name(name).display().to_string()
}
