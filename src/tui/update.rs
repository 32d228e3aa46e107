//! `update(&mut App, Action) -> Vec<Effect>`: every state change, and no I/O.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;

use super::action::{Action, Command, Effect, LoadedImage, ResultReady, Written};
use super::app::{
    App, CanvasKey, Doc, Gesture, InputPurpose, Overlay, ResultItem, Show, Tool, close_overlay,
    ensure_view, fit_zoom,
};
use super::commands::{self, command};
use super::input;
use super::keymap;
use super::render::{self, CanvasRequest, Encoded, Preview, Slot, ThumbRequest};
use super::tools;
use super::view;
use super::viewport::Viewport;

/// Applies one action; returns the effects to run.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Term(ev) => on_event(app, ev),
        Action::Cmd(c) => command(app, c),
        Action::ImageLoaded(Ok(img)) => opened(app, img),
        Action::ImageLoaded(Err(e)) => {
            app.set_error(e);
            vec![]
        }
        Action::MaskLoaded(Ok(mask)) => {
            let fits = app.doc.as_ref().is_some_and(|d| {
                (d.mask.width(), d.mask.height()) == (mask.width(), mask.height())
            });
            if fits {
                app.push_undo();
                if let Some(m) = app.mask_mut() {
                    *m = mask;
                }
                app.set_status("mask loaded");
            } else {
                app.set_error("the mask's size does not match the image");
            }
            vec![]
        }
        Action::MaskLoaded(Err(e)) => {
            app.set_error(e);
            vec![]
        }
        Action::StyleImageLoaded(Ok(s)) => {
            let (w, h) = s.dimensions();
            app.set_status(format!(
                "style image {} ({w}x{h}); Enter runs the style transfer",
                s.name
            ));
            app.style_image = Some(s);
            vec![]
        }
        Action::StyleImageLoaded(Err(e)) => {
            app.set_error(e);
            vec![]
        }
        Action::Written { what, result } => {
            match result {
                Ok(path) => {
                    if let Written::Result(id) = what {
                        app.saved.insert(id);
                    }
                    app.set_status(format!("saved {}", path.display()));
                }
                Err(e) => app.set_error(e),
            }
            vec![]
        }
        Action::Completed(c) => {
            input::completed(app, c);
            vec![]
        }
        Action::Progress { job, done, total } => {
            if let Some(j) = app.job.as_mut().filter(|j| j.id == job) {
                j.done = done;
                j.total = total;
            }
            vec![]
        }
        Action::JobStatus { job, text } => {
            if let Some(j) = app.job.as_mut().filter(|j| j.id == job) {
                if text.starts_with("warning:") {
                    j.warnings.push(text.clone());
                }
                app.set_status(text);
            }
            vec![]
        }
        Action::ResultReady(r) => result_ready(app, *r),
        Action::JobEnded { job, result } => {
            if app.job.as_ref().is_some_and(|j| j.id == job) {
                let cancelled = app.job.as_ref().is_some_and(|j| j.cancel.is_cancelled());
                let warnings = app.job.take().map(|j| j.warnings).unwrap_or_default();
                match result {
                    Ok(n) => {
                        let ready = format!(
                            "{n} result{} ready: v view, s save, k keep editing",
                            if n == 1 { "" } else { "s" }
                        );
                        // a warning first, where the one-line status bar cannot cut it off
                        let mut parts = warnings;
                        parts.push(ready);
                        app.set_status(parts.join("; "));
                    }
                    Err(_) if cancelled => {
                        let mut parts = warnings;
                        parts.insert(0, "cancelled".into());
                        app.set_status(parts.join("; "));
                    }
                    Err(e) => app.set_error(ids_first(&e)),
                }
            }
            vec![]
        }
        Action::Encoded(e) => encoded(app, *e),
    }
}

/// The message with its remote request ids (`[request id ...]`) moved to the front, where the
/// one-line status bar cannot cut them off.
pub fn ids_first(text: &str) -> String {
    let start = text
        .find(" [request id ")
        .or_else(|| text.find(" [API Gateway request id "));
    let Some(start) = start else {
        return text.to_string();
    };
    let Some(len) = text[start..].find(']') else {
        return text.to_string();
    };
    let ids = &text[start + 1..=start + len];
    format!("{ids} {}{}", &text[..start], &text[start + len + 1..])
}

fn opened(app: &mut App, img: LoadedImage) -> Vec<Effect> {
    if let Some(j) = &app.job {
        j.cancel.cancel();
    }
    super::state::remember_recent(&mut app.recent, &img.path);
    let (w, h) = (img.image.width(), img.image.height());
    let id = app.fresh_id();
    let source = crate::edit::job::Source::new(img.image);
    let display = source.flat();
    app.doc = Some(Doc {
        id,
        path: img.path.clone(),
        source,
        metadata: Arc::new(img.metadata),
        display,
        mask: Arc::new(crate::mask::Mask::new(w, h)),
        results: Vec::new(),
    });
    app.undo.clear();
    app.redo.clear();
    app.saved.clear();
    app.polygon.clear();
    app.gesture = None;
    app.view = None;
    app.selected = None;
    app.show = Show::Edit;
    app.params.extend = [0; 4];
    app.work_dir = Some(img.work_dir);
    app.next_number = 1;
    app.doc_rev += 1;
    app.mask_rev += 1;
    app.pictures.thumbs.clear();
    app.pictures.thumbs_requested.clear();
    let mut msg = format!("opened {} ({w}x{h})", img.path.display());
    for n in img.notes {
        msg.push_str("; ");
        msg.push_str(&n);
    }
    app.set_status(msg);
    match app.pending_mask.take() {
        Some(path) => vec![Effect::LoadMask {
            path,
            width: w,
            height: h,
        }],
        None => vec![],
    }
}

fn result_ready(app: &mut App, r: ResultReady) -> Vec<Effect> {
    let Some(job) = app.job.as_mut().filter(|j| j.id == r.job) else {
        return vec![];
    };
    job.received += 1;
    let first = job.received == 1;
    let doc_id = job.doc;
    if app.doc.as_ref().is_none_or(|d| d.id != doc_id) {
        return vec![];
    }
    if let Some(seed) = r.seed
        && !app.params.seed_locked
        && first
    {
        app.params.seed = seed;
    }
    app.push_undo();
    let id = app.fresh_id();
    let display = Arc::new(render::on_checkerboard(&r.image));
    if let Some(doc) = app.doc.as_mut() {
        doc.results.push(ResultItem {
            id,
            number: r.number,
            image: Arc::new(r.image),
            display,
            seed: r.seed,
            request_id: r.request_id,
            work_path: r.work_path,
        });
        app.selected = Some(doc.results.len() - 1);
    }
    app.doc_rev += 1;
    if first {
        app.show = Show::Result;
    }
    if let Some(w) = r.warning {
        app.set_error(w);
    }
    vec![]
}

fn encoded(app: &mut App, e: Encoded) -> Vec<Effect> {
    match e.slot {
        Slot::Canvas => {
            app.pictures.canvas_in_flight = false;
            if e.generation == app.pictures.canvas_generation {
                app.pictures.last_encode_micros = Some(e.micros);
                match e.protocol {
                    Ok(p) => app.pictures.canvas = Some(p),
                    Err(msg) => app.set_error(format!("cannot draw the image: {msg}")),
                }
            }
        }
        Slot::Thumb(id) => {
            if let Ok(p) = e.protocol {
                app.pictures.thumbs.insert(id, p);
            }
        }
    }
    vec![]
}

fn on_event(app: &mut App, ev: Event) -> Vec<Effect> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => on_key(app, k),
        Event::Mouse(m) => on_mouse(app, m),
        Event::Resize(w, h) => {
            app.screen = (w, h);
            app.pictures.thumbs.clear();
            app.pictures.thumbs_requested.clear();
            vec![Effect::ClearScreen]
        }
        Event::Paste(text) => match app.overlay.as_mut() {
            Some(Overlay::Input(input)) => {
                for c in text.chars().filter(|c| !c.is_control()) {
                    input::insert_char(input, c);
                }
                vec![]
            }
            // a file dropped on the terminal arrives as its pasted path: open it
            None if app.job.is_none() => {
                let path = PathBuf::from(input::typed_path(&text));
                if path.is_file() {
                    vec![Effect::OpenImage(path)]
                } else {
                    app.set_error(format!("pasted text is not a file: {}", text.trim()));
                    vec![]
                }
            }
            _ => vec![],
        },
        _ => vec![],
    }
}

fn on_key(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    match app.overlay.clone() {
        Some(Overlay::Input(_)) => return input::input_key(app, k),
        Some(Overlay::ConfirmQuit | Overlay::ConfirmOpen) => {
            return match k.code {
                KeyCode::Char('y') | KeyCode::Enter => confirmed(app),
                KeyCode::Char('n') | KeyCode::Esc | KeyCode::Char('q') => close_overlay(app),
                _ => vec![],
            };
        }
        Some(Overlay::EnginePicker { selected }) => {
            return match k.code {
                KeyCode::Up => {
                    app.overlay = Some(Overlay::EnginePicker {
                        selected: selected.saturating_sub(1),
                    });
                    vec![]
                }
                KeyCode::Down => {
                    app.overlay = Some(Overlay::EnginePicker {
                        selected: (selected + 1).min(2),
                    });
                    vec![]
                }
                KeyCode::Enter => commands::pick_engine(app, selected),
                KeyCode::Esc | KeyCode::Char('q') => close_overlay(app),
                _ => vec![],
            };
        }
        Some(Overlay::Messages { scroll }) => {
            let scroll = match k.code {
                KeyCode::Up => scroll + 1,
                KeyCode::PageUp => scroll + 10,
                KeyCode::Down => scroll.saturating_sub(1),
                KeyCode::PageDown => scroll.saturating_sub(10),
                _ => return close_overlay(app),
            };
            app.overlay = Some(Overlay::Messages { scroll });
            return vec![];
        }
        Some(Overlay::Help { scroll }) => {
            return match k.code {
                KeyCode::Up => {
                    app.overlay = Some(Overlay::Help {
                        scroll: scroll.saturating_sub(1),
                    });
                    vec![]
                }
                KeyCode::Down => {
                    app.overlay = Some(Overlay::Help { scroll: scroll + 1 });
                    vec![]
                }
                _ => close_overlay(app),
            };
        }
        None => {}
    }
    if k.code == KeyCode::Char('c')
        && k.modifiers.contains(KeyModifiers::CONTROL)
        && app.job.is_some()
    {
        return command(app, Command::Cancel);
    }
    match keymap::lookup(&k) {
        Some(c) => command(app, c),
        None => vec![],
    }
}

fn on_mouse(app: &mut App, m: MouseEvent) -> Vec<Effect> {
    if app.too_small() {
        return vec![];
    }
    let (col, row) = (m.column, m.row);
    let screen = Rect::new(0, 0, app.screen.0, app.screen.1);
    if app.overlay.is_some() {
        if let MouseEventKind::Down(MouseButton::Left) = m.kind {
            return match view::overlay::hit(app, screen, col, row) {
                view::overlay::Hit::Command(c) => {
                    let mut fx = close_overlay(app);
                    fx.extend(command(app, c));
                    fx
                }
                view::overlay::Hit::Engine(i) => commands::pick_engine(app, i),
                view::overlay::Hit::ConfirmQuit => confirmed(app),
                view::overlay::Hit::Inside => vec![],
                view::overlay::Hit::Outside => close_overlay(app),
            };
        }
        if let (
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp,
            Some(Overlay::Help { scroll }),
        ) = (m.kind, app.overlay.as_mut())
        {
            *scroll = if m.kind == MouseEventKind::ScrollDown {
                *scroll + 1
            } else {
                scroll.saturating_sub(1)
            };
        }
        // the message log scrolls up into the past
        if let (
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp,
            Some(Overlay::Messages { scroll }),
        ) = (m.kind, app.overlay.as_mut())
        {
            *scroll = if m.kind == MouseEventKind::ScrollUp {
                *scroll + 1
            } else {
                scroll.saturating_sub(1)
            };
        }
        return vec![];
    }
    let layout = app.layout();
    ensure_view(app);
    let in_canvas = app.view.is_some_and(|v| v.contains(col, row));
    if in_canvas || app.gesture.is_some() {
        return canvas_mouse(app, m);
    }
    if let MouseEventKind::Down(MouseButton::Left) = m.kind {
        for (rect, c) in view::panel::buttons(app, layout.panel) {
            if hit(rect, col, row) {
                return command(app, c);
            }
        }
        for (rect, i) in view::strip::thumb_rects(app, layout.strip) {
            if hit(rect, col, row) {
                app.selected = Some(i);
                app.show = Show::Result;
                return vec![];
            }
        }
        if hit(view::status::help_button(layout.status), col, row) {
            return command(app, Command::Help);
        }
    }
    vec![]
}

/// A confirmation answered yes: quit, or cancel the job and open another image.
fn confirmed(app: &mut App) -> Vec<Effect> {
    match app.overlay.take() {
        Some(Overlay::ConfirmOpen) => {
            if let Some(j) = &app.job {
                j.cancel.cancel();
            }
            let mut fx = vec![Effect::ClearScreen];
            fx.extend(command(app, Command::Open));
            fx
        }
        _ => {
            app.quit = true;
            vec![]
        }
    }
}

fn hit(r: Rect, col: u16, row: u16) -> bool {
    col >= r.x && row >= r.y && col < r.x + r.width && row < r.y + r.height
}

fn canvas_mouse(app: &mut App, m: MouseEvent) -> Vec<Effect> {
    let Some(mut view) = app.view else {
        return vec![];
    };
    let (col, row) = (m.column, m.row);
    let p = view.cell_to_image_unclipped(col, row);
    let offset = app.offset();
    let fit = fit_zoom(app).unwrap_or(view.zoom);
    match m.kind {
        MouseEventKind::ScrollUp => {
            view.zoom_at(1.25, col, row, fit);
            app.view = Some(view);
        }
        MouseEventKind::ScrollDown => {
            view.zoom_at(0.8, col, row, fit);
            app.view = Some(view);
        }
        MouseEventKind::Down(MouseButton::Middle | MouseButton::Right) => {
            app.gesture = Some(Gesture::Pan { col, row });
        }
        MouseEventKind::Drag(MouseButton::Middle | MouseButton::Right) => {
            if let Some(Gesture::Pan { col: c0, row: r0 }) = app.gesture {
                view.pan_cells(
                    i32::from(c0) - i32::from(col),
                    i32::from(r0) - i32::from(row),
                );
                app.view = Some(view);
                app.gesture = Some(Gesture::Pan { col, row });
            }
        }
        MouseEventKind::Up(MouseButton::Middle | MouseButton::Right) => app.gesture = None,
        MouseEventKind::Moved => app.hover = Some(p),
        MouseEventKind::Down(MouseButton::Left) => return press(app, m, &view, p),
        MouseEventKind::Drag(MouseButton::Left) => {
            app.hover = Some(p);
            if let Some(Gesture::Draw { start, last }) = app.gesture {
                if matches!(app.tool, Tool::Brush | Tool::Eraser) {
                    super::pick::stroke(app, last, p);
                }
                app.gesture = Some(Gesture::Draw { start, last: p });
            }
        }
        MouseEventKind::Up(MouseButton::Left) => {
            if let Some(Gesture::Draw { start, .. }) = app.gesture.take() {
                let shape = match app.tool {
                    Tool::Object => {
                        super::pick::object_drag(app, start, p);
                        None
                    }
                    Tool::Rect => Some(tools::rect_shape(start, p, offset)),
                    Tool::Ellipse => Some(tools::ellipse_shape(start, p, offset)),
                    _ => None,
                };
                if let Some(shape) = shape {
                    commands::add_shape(app, &shape);
                }
            }
        }
        _ => {}
    }
    vec![]
}

/// A left press on the canvas: a polygon vertex, a brush dab, or the start of a drag.
fn press(app: &mut App, m: MouseEvent, view: &Viewport, p: (f64, f64)) -> Vec<Effect> {
    if !matches!(app.show, Show::Edit | Show::Mask) {
        // a press on a shown result goes back to the mask view and starts the drag there (its
        // view can differ from the result's: an outpaint, an upscale)
        app.show = Show::Edit;
        ensure_view(app);
        return canvas_mouse(app, m);
    }
    app.hover = Some(p);
    match app.tool {
        Tool::Polygon => return polygon_click(app, view, p),
        Tool::Brush | Tool::Eraser => {
            app.push_undo();
            super::pick::stroke(app, p, p);
        }
        Tool::Wand => {
            super::pick::wand_click(app, p);
            return vec![];
        }
        Tool::Rect | Tool::Ellipse | Tool::Object => {}
    }
    app.gesture = Some(Gesture::Draw { start: p, last: p });
    vec![]
}

fn polygon_click(app: &mut App, view: &Viewport, p: (f64, f64)) -> Vec<Effect> {
    if app.polygon.len() >= 3 {
        let (fx, fy) = view.image_to_screen(app.polygon[0].0, app.polygon[0].1);
        let (px, py) = view.image_to_screen(p.0, p.1);
        // "On the first vertex" means in the same cell, whatever the zoom.
        let same_cell = (fx / f64::from(view.cell_w)).floor()
            == (px / f64::from(view.cell_w)).floor()
            && (fy / f64::from(view.cell_h)).floor() == (py / f64::from(view.cell_h)).floor();
        if same_cell {
            commands::close_polygon(app);
            return vec![];
        }
    }
    app.polygon.push(p);
    vec![]
}

fn preview(app: &App) -> Preview {
    if !matches!(app.show, Show::Edit | Show::Mask) {
        return Preview::None;
    }
    match (app.tool, app.gesture) {
        (Tool::Rect | Tool::Ellipse | Tool::Object, Some(Gesture::Draw { start, last })) => {
            tools::drag_preview(app.tool == Tool::Ellipse, start, last)
        }
        (Tool::Polygon, _) if !app.polygon.is_empty() => Preview::Polygon {
            points: app.polygon.clone(),
            cursor: app.hover,
        },
        (Tool::Brush | Tool::Eraser, _) => match app.hover {
            Some((x, y)) => Preview::Brush {
                x,
                y,
                r: f64::from(app.brush) / 2.0,
            },
            None => Preview::None,
        },
        _ => Preview::None,
    }
}

/// Encodings the screen needs now: the canvas when what it shows changed and no encoding is in
/// flight (so drags are throttled to the encoder's pace and the newest state wins), and missing
/// thumbnails. Called once per batch of actions.
pub fn pending_renders(app: &mut App) -> Vec<Effect> {
    let mut fx = Vec::new();
    if app.too_small() || app.doc.is_none() {
        return fx;
    }
    ensure_view(app);
    let (Some(view), Some(doc)) = (app.view, app.doc.as_ref()) else {
        return fx;
    };
    let key = CanvasKey {
        doc_rev: app.doc_rev,
        mask_rev: app.mask_rev,
        view,
        show: app.show,
        selected: app.selected_result().map(|r| r.id),
        preview: preview(app),
        mode: app.params.mode,
        extend: app.extend(),
    };
    if app.pictures.canvas_key.as_ref() != Some(&key) && !app.pictures.canvas_in_flight {
        let canvas = app.shown_size().unwrap_or((1, 1));
        let (base, base_offset, mask) = match (app.show, app.selected_result()) {
            (Show::Result, Some(r)) => (r.display.clone(), (0, 0), None),
            (Show::Original, _) => (doc.display.clone(), app.offset(), None),
            _ => (doc.display.clone(), app.offset(), Some(doc.mask.clone())),
        };
        let mask_only = app.show == Show::Mask;
        app.pictures.canvas_generation += 1;
        app.pictures.canvas_in_flight = true;
        fx.push(Effect::EncodeCanvas(Box::new(CanvasRequest {
            generation: app.pictures.canvas_generation,
            base,
            base_offset,
            canvas,
            mask,
            mask_only,
            preview: key.preview.clone(),
            view,
        })));
        app.pictures.canvas_key = Some(key);
    }
    let strip = app.layout().strip;
    let rows = strip.height.saturating_sub(1).max(1);
    let cols = super::app::THUMB_COLS;
    let cell = app.cell;
    if let Some(doc) = app.doc.as_ref() {
        for r in &doc.results {
            if app.pictures.thumbs_requested.insert(r.id) {
                fx.push(Effect::EncodeThumb(Box::new(ThumbRequest {
                    id: r.id,
                    image: r.display.clone(),
                    cols,
                    rows,
                    cell,
                })));
            }
        }
    }
    fx
}

/// Whether an input popup for `purpose` is open (for tests and the view).
pub fn input_open(app: &App, purpose: InputPurpose) -> bool {
    matches!(&app.overlay, Some(Overlay::Input(i)) if i.purpose == purpose)
}
