//! `update` tests: tools at several zoom levels, undo/redo, mode switches. No terminal, no I/O.

use std::path::PathBuf;

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use image::{DynamicImage, RgbImage};
use ratatui_image::picker::ProtocolType;

use super::action::{Action, Command, Effect, LoadedImage, ResultReady};
use super::app::ensure_view;
use super::app::{App, Params, Show};
use super::update::update;
use crate::edit::options::Mode;
use crate::mask::{Mask, Shape};

fn params() -> Params {
    Params {
        seed: 7,
        ..Params::default()
    }
}

fn app_with_image(w: u32, h: u32, graphics: ProtocolType) -> App {
    app_with_picture(
        RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 9])),
        graphics,
    )
}

fn app_with_picture(picture: RgbImage, graphics: ProtocolType) -> App {
    let mut app = App::new((100, 35), graphics, (9, 19), params());
    let img = DynamicImage::ImageRgb8(picture);
    let fx = update(
        &mut app,
        Action::ImageLoaded(Ok(LoadedImage {
            path: PathBuf::from("t.png"),
            image: img,
            work_dir: PathBuf::from("/nonexistent/work"),
            notes: vec![],
            metadata: Default::default(),
        })),
    );
    assert!(fx.is_empty());
    ensure_view(&mut app);
    app
}

fn mouse(app: &mut App, kind: MouseEventKind, col: u16, row: u16) {
    let ev = MouseEvent {
        kind,
        column: col,
        row,
        modifiers: KeyModifiers::NONE,
    };
    update(app, Action::Term(Event::Mouse(ev)));
}

fn key(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    update(app, Action::Term(Event::Key(KeyEvent::new(code, mods))))
}

fn cmd(app: &mut App, c: Command) -> Vec<Effect> {
    update(app, Action::Cmd(c))
}

fn drag(app: &mut App, from: (u16, u16), to: (u16, u16)) {
    mouse(app, MouseEventKind::Down(MouseButton::Left), from.0, from.1);
    mouse(
        app,
        MouseEventKind::Drag(MouseButton::Left),
        (from.0 + to.0) / 2,
        (from.1 + to.1) / 2,
    );
    mouse(app, MouseEventKind::Drag(MouseButton::Left), to.0, to.1);
    mouse(app, MouseEventKind::Up(MouseButton::Left), to.0, to.1);
}

/// Job `job` delivers one black `w` x `h` result made with `seed`, and ends.
fn deliver_one(app: &mut App, job: u64, (w, h): (u32, u32), seed: u64) {
    let ready = ResultReady {
        job,
        number: 1,
        image: DynamicImage::ImageRgb8(RgbImage::new(w, h)),
        seed: Some(seed),
        request_id: None,
        work_path: None,
        warning: None,
    };
    update(app, Action::ResultReady(Box::new(ready)));
    update(app, Action::JobEnded { job, result: Ok(1) });
}

fn mask(app: &App) -> &Mask {
    &app.doc.as_ref().unwrap().mask
}

/// The rectangle the viewport maps two cells to, computed independently of the tools module.
fn expected_rect(app: &App, a: (u16, u16), b: (u16, u16)) -> Mask {
    let v = app.view.unwrap();
    let (ax, ay) = v.cell_to_image(a.0, a.1).unwrap();
    let (bx, by) = v.cell_to_image(b.0, b.1).unwrap();
    let (w, h) = (mask(app).width(), mask(app).height());
    let mut m = Mask::new(w, h);
    let (x0, x1) = (ax.min(bx).floor() as i64, ax.max(bx).floor() as i64);
    let (y0, y1) = (ay.min(by).floor() as i64, ay.max(by).floor() as i64);
    for y in y0.max(0)..=y1.min(i64::from(h) - 1) {
        for x in x0.max(0)..=x1.min(i64::from(w) - 1) {
            m.0.put_pixel(x as u32, y as u32, image::Luma([255]));
        }
    }
    m
}

#[test]
fn rectangle_selects_the_mapped_pixels_at_every_zoom() {
    for graphics in [ProtocolType::Halfblocks, ProtocolType::Sixel] {
        for zoom_steps in [0, 1, 3, 6] {
            let mut app = app_with_image(640, 427, graphics);
            for _ in 0..zoom_steps {
                cmd(&mut app, Command::ZoomIn);
            }
            let c = app.layout().canvas;
            let (a, b) = ((c.x + 5, c.y + 3), (c.x + 30, c.y + 14));
            let want = expected_rect(&app, a, b);
            drag(&mut app, a, b);
            assert!(!want.is_empty());
            assert_eq!(mask(&app), &want, "{graphics:?} zoom step {zoom_steps}");
        }
    }
}

#[test]
fn rectangle_drawn_backwards_and_outside_the_image_is_clipped() {
    let mut app = app_with_image(64, 64, ProtocolType::Halfblocks);
    let c = app.layout().canvas;
    // The fitted 64x64 image is narrower than the canvas: start left of it, in the margin.
    let (a, b) = ((c.x + 45, c.y + 20), (c.x + 1, c.y + 2));
    let want = expected_rect(&app, a, b);
    drag(&mut app, a, b);
    assert_eq!(mask(&app), &want);
}

#[test]
fn polygon_matches_its_vertices_and_closes_by_enter_or_first_vertex() {
    for zoom_steps in [0, 2, 4] {
        let mut app = app_with_image(640, 427, ProtocolType::Halfblocks);
        for _ in 0..zoom_steps {
            cmd(&mut app, Command::ZoomIn);
        }
        cmd(&mut app, Command::ToolPolygon);
        let c = app.layout().canvas;
        let cells = [
            (c.x + 4, c.y + 2),
            (c.x + 40, c.y + 5),
            (c.x + 20, c.y + 20),
            (c.x + 2, c.y + 12),
        ];
        let v = app.view.unwrap();
        let pts: Vec<(f64, f64)> = cells
            .iter()
            .map(|&(x, y)| v.cell_to_image(x, y).unwrap())
            .collect();
        for &(x, y) in &cells {
            mouse(&mut app, MouseEventKind::Down(MouseButton::Left), x, y);
            mouse(&mut app, MouseEventKind::Up(MouseButton::Left), x, y);
        }
        // an extra vertex, removed with Backspace
        mouse(
            &mut app,
            MouseEventKind::Down(MouseButton::Left),
            c.x + 50,
            c.y + 20,
        );
        key(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!(app.polygon.len(), 4);
        assert!(
            mask(&app).is_empty(),
            "nothing is selected before the polygon closes"
        );
        if zoom_steps == 2 {
            mouse(
                &mut app,
                MouseEventKind::Down(MouseButton::Left),
                cells[0].0,
                cells[0].1,
            );
        } else {
            let fx = key(&mut app, KeyCode::Enter, KeyModifiers::NONE);
            assert!(
                fx.iter().all(|e| !matches!(e, Effect::Run(_))),
                "Enter closes, it does not run"
            );
        }
        let mut want = Mask::new(640, 427);
        Shape::Polygon(pts).rasterize(&mut want).unwrap();
        assert!(app.polygon.is_empty());
        assert_eq!(mask(&app), &want, "zoom step {zoom_steps}");
    }
}

#[test]
fn brush_and_eraser_paint_round_dabs_and_size_keys_change_it() {
    let mut app = app_with_image(200, 200, ProtocolType::Halfblocks);
    cmd(&mut app, Command::ToolBrush);
    key(&mut app, KeyCode::Char(']'), KeyModifiers::NONE);
    assert_eq!(app.brush, 20);
    key(&mut app, KeyCode::Char('['), KeyModifiers::NONE);
    assert_eq!(app.brush, 16);
    let c = app.layout().canvas;
    let (x, y) = app.view.unwrap().cell_to_image(c.x + 20, c.y + 10).unwrap();
    drag(&mut app, (c.x + 20, c.y + 10), (c.x + 20, c.y + 10));
    let m = mask(&app);
    assert_eq!(m.0.get_pixel(x as u32, y as u32).0[0], 255);
    assert_eq!(m.0.get_pixel(x as u32 + 9, y as u32).0[0], 0, "radius 8");
    cmd(&mut app, Command::ToolEraser);
    drag(&mut app, (c.x + 20, c.y + 10), (c.x + 20, c.y + 10));
    assert!(mask(&app).is_empty());
    cmd(&mut app, Command::Undo);
    assert!(!mask(&app).is_empty(), "one stroke is one undo step");
}

#[test]
fn undo_and_redo_cover_mask_and_results() {
    let mut app = app_with_image(100, 80, ProtocolType::Halfblocks);
    let c = app.layout().canvas;
    drag(&mut app, (c.x + 2, c.y + 2), (c.x + 10, c.y + 5));
    let first = mask(&app).clone();
    drag(&mut app, (c.x + 20, c.y + 10), (c.x + 30, c.y + 15));
    let both = mask(&app).clone();
    cmd(&mut app, Command::InvertMask);
    cmd(&mut app, Command::Undo);
    assert_eq!(mask(&app), &both);
    cmd(&mut app, Command::Undo);
    assert_eq!(mask(&app), &first);
    cmd(&mut app, Command::Redo);
    assert_eq!(mask(&app), &both);

    let fx = cmd(&mut app, Command::Run);
    let Some(Effect::Run(req)) = fx.into_iter().next() else {
        panic!("Run starts a job")
    };
    assert_eq!(req.mask.as_ref(), Some(&both));
    deliver_one(&mut app, req.job, (100, 80), 42);
    assert_eq!(app.doc.as_ref().unwrap().results.len(), 1);
    assert_eq!((app.show, app.params.seed), (Show::Result, 42));
    assert!(app.has_unsaved());
    cmd(&mut app, Command::Undo);
    assert!(app.doc.as_ref().unwrap().results.is_empty());
    assert_eq!(app.show, Show::Edit);
    cmd(&mut app, Command::Redo);
    assert_eq!(app.doc.as_ref().unwrap().results.len(), 1);
    cmd(&mut app, Command::DeleteResult);
    assert!(app.doc.as_ref().unwrap().results.is_empty());
    cmd(&mut app, Command::Undo);
    assert_eq!(app.doc.as_ref().unwrap().results.len(), 1);
    // quitting with an unsaved result asks first
    cmd(&mut app, Command::Quit);
    assert!(!app.quit && app.overlay.is_some());
    key(&mut app, KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(!app.quit && app.overlay.is_none());
}

#[test]
fn mode_switches_extend_the_canvas_and_shape_the_request() {
    let mut app = app_with_image(100, 50, ProtocolType::Halfblocks);
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(app.params.mode, Mode::Erase, "erase follows inpaint");
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(app.params.mode, Mode::Outpaint);
    assert!(
        cmd(&mut app, Command::Run).is_empty(),
        "outpaint without an extension is refused"
    );
    assert!(app.status.error);
    key(&mut app, KeyCode::Left, KeyModifiers::CONTROL);
    key(&mut app, KeyCode::Down, KeyModifiers::CONTROL);
    key(&mut app, KeyCode::Left, KeyModifiers::CONTROL);
    assert_eq!(app.params.extend, [10, 0, 0, 2], "5% of the side a press");
    key(&mut app, KeyCode::Down, KeyModifiers::CONTROL);
    assert_eq!(app.shown_size(), Some((110, 54)));
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(app.params.mode, Mode::PreciseOutpaint);
    let c = app.layout().canvas;
    drag(&mut app, (c.x + 20, c.y + 5), (c.x + 30, c.y + 10));
    let fx = cmd(&mut app, Command::Run);
    let Some(Effect::Run(req)) = fx.into_iter().next() else {
        panic!("Run starts a job")
    };
    assert_eq!(
        (req.mode, req.extend, req.mask.is_none()),
        (Mode::PreciseOutpaint, [10, 0, 0, 4], true)
    );
    // then the Bedrock tools: recolor, the three upscalers, background removal
    use crate::edit::options::Upscaler;
    let mut cycle = Vec::new();
    for _ in 0..5 {
        key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
        cycle.push((app.params.mode, app.params.upscaler));
    }
    assert_eq!(
        cycle,
        vec![
            (Mode::Recolor, Upscaler::Fast),
            (Mode::Upscale, Upscaler::Fast),
            (Mode::Upscale, Upscaler::Conservative),
            (Mode::Upscale, Upscaler::Creative),
            (Mode::RemoveBackground, Upscaler::Fast),
        ]
    );
    // then the control and style tools; style transfer asks for its reference image
    for want in [Mode::Sketch, Mode::Structure, Mode::StyleGuide] {
        key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
        assert_eq!(app.params.mode, want);
        assert!(app.overlay.is_none(), "{want:?}");
    }
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(app.params.mode, Mode::StyleTransfer);
    assert!(
        matches!(&app.overlay, Some(super::app::Overlay::Input(i)) if i.purpose == super::app::InputPurpose::StyleImage),
        "{:?}",
        app.overlay
    );
    key(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    // Enter without a reference asks again, and starts nothing
    app.job = None;
    let fx = cmd(&mut app, Command::Run);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Run(_))));
    assert!(
        matches!(&app.overlay, Some(super::app::Overlay::Input(i)) if i.purpose == super::app::InputPurpose::StyleImage),
        "{}",
        app.status.text
    );
    key(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(app.params.mode, Mode::Inpaint);
    assert_eq!(
        app.shown_size(),
        Some((100, 50)),
        "inpainting shows no border"
    );
    // in inpaint mode, an extend key switches to outpaint
    cmd(&mut app, Command::ExtendRight);
    assert_eq!(app.params.mode, Mode::Outpaint);
}

#[test]
fn inpaint_without_a_selection_is_refused_and_run_is_single() {
    let mut app = app_with_image(40, 40, ProtocolType::Halfblocks);
    assert!(cmd(&mut app, Command::Run).is_empty());
    assert!(app.status.text.contains("draw a selection"));
    cmd(&mut app, Command::InvertMask);
    assert_eq!(cmd(&mut app, Command::Run).len(), 1);
    assert!(cmd(&mut app, Command::Run).is_empty(), "one job at a time");
    let cancel = app.job.as_ref().unwrap().cancel.clone();
    key(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(cancel.is_cancelled(), "Esc cancels the job");
}

#[test]
fn drags_are_throttled_to_one_encoding_in_flight() {
    let mut app = app_with_image(640, 427, ProtocolType::Halfblocks);
    let first = super::update::pending_renders(&mut app);
    assert!(matches!(first.as_slice(), [Effect::EncodeCanvas(_)]));
    let c = app.layout().canvas;
    mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        c.x + 3,
        c.y + 3,
    );
    mouse(
        &mut app,
        MouseEventKind::Drag(MouseButton::Left),
        c.x + 9,
        c.y + 6,
    );
    assert!(
        super::update::pending_renders(&mut app).is_empty(),
        "one in flight: wait"
    );
    let generation = app.pictures.canvas_generation;
    let done = super::render::Encoded {
        slot: super::render::Slot::Canvas,
        generation,
        protocol: Err("test".into()),
        micros: 1,
    };
    update(&mut app, Action::Encoded(Box::new(done)));
    assert_eq!(
        super::update::pending_renders(&mut app).len(),
        1,
        "then the newest state is encoded"
    );
}

#[test]
fn mask_prompt_cfg_quality_and_model_reach_the_request() {
    let mut app = app_with_image(320, 320, ProtocolType::Halfblocks);
    let typed = |app: &mut App, command: Command, text: &str| {
        cmd(app, command);
        for c in text.chars() {
            key(app, KeyCode::Char(c), KeyModifiers::NONE);
        }
        key(app, KeyCode::Enter, KeyModifiers::NONE);
    };
    app.params.engine = crate::edit::engine::EngineKind::Bedrock;
    app.living_models = vec!["amazon.nova-canvas-v1:0".into()];
    typed(&mut app, Command::EditMaskPrompt, "the dog");
    typed(&mut app, Command::EditCfg, "7.5");
    typed(&mut app, Command::EditModel, "amazon.nova-canvas-v1:0");
    cmd(&mut app, Command::ToggleQuality);
    assert_eq!(app.params.quality, crate::edit::options::Quality::Premium);
    // a mask prompt stands in for a drawn selection
    let fx = cmd(&mut app, Command::Run);
    let Some(Effect::Run(req)) = fx.into_iter().next() else {
        panic!(
            "Run starts a job with a mask prompt and no drawn mask: {}",
            app.status.text
        )
    };
    assert_eq!(req.mask_prompt.as_deref(), Some("the dog"));
    assert_eq!(req.cfg_scale, Some(7.5));
    assert_eq!(req.quality, Some(crate::edit::options::Quality::Premium));
    assert_eq!(req.model.as_deref(), Some("amazon.nova-canvas-v1:0"));
    // a bad cfg is refused with a message and changes nothing
    app.job = None;
    typed(&mut app, Command::EditCfg, "lots");
    assert!(app.status.error);
    assert_eq!(app.params.cfg_scale, Some(7.5));
}

#[test]
fn request_ids_move_to_the_front_of_a_status_message() {
    use crate::tui::update::ids_first;
    assert_eq!(
        ids_first(
            "the API failed (500): slow down [request id r1, API Gateway request id g1] (gave up)"
        ),
        "[request id r1, API Gateway request id g1] the API failed (500): slow down (gave up)"
    );
    assert_eq!(
        ids_first("refused [API Gateway request id g2]"),
        "[API Gateway request id g2] refused"
    );
    assert_eq!(ids_first("no ids [here"), "no ids [here");
    assert_eq!(ids_first("cut off [request id é"), "cut off [request id é");
}

#[test]
fn recolor_and_upscale_requests_carry_their_fields() {
    let mut app = app_with_image(80, 64, ProtocolType::Halfblocks);
    let typed = |app: &mut App, command: Command, text: &str| {
        cmd(app, command);
        for c in text.chars() {
            key(app, KeyCode::Char(c), KeyModifiers::NONE);
        }
        key(app, KeyCode::Enter, KeyModifiers::NONE);
    };
    app.params.engine = crate::edit::engine::EngineKind::Bedrock;
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    }
    assert_eq!(app.params.mode, Mode::Recolor);
    // recolor needs what to recolour and the colours
    assert!(cmd(&mut app, Command::Run).is_empty());
    typed(&mut app, Command::EditMaskPrompt, "the jacket");
    typed(&mut app, Command::EditPrompt, "bright red");
    let Some(Effect::Run(req)) = cmd(&mut app, Command::Run).into_iter().next() else {
        panic!("Run starts a recolour: {}", app.status.text)
    };
    assert_eq!(
        (req.select.as_deref(), req.mask_prompt.as_deref()),
        (Some("the jacket"), None)
    );
    assert!(req.upscaler.is_none());
    app.job = None;
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    key(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    let Some(Effect::Run(req)) = cmd(&mut app, Command::Run).into_iter().next() else {
        panic!(
            "Run starts an upscale without a selection: {}",
            app.status.text
        )
    };
    assert_eq!(
        (req.mode, req.upscaler, req.mask.is_none()),
        (
            Mode::Upscale,
            Some(crate::edit::options::Upscaler::Conservative),
            true
        )
    );
}

/// Whether `text` names a command-line flag (`--` and a letter).
fn names_a_flag(text: &str) -> bool {
    text.match_indices("--")
        .any(|(i, _)| text[i + 2..].starts_with(|c: char| c.is_ascii_lowercase()))
}

#[test]
fn a_broken_rule_names_the_key_not_a_flag() {
    let mut app = app_with_image(320, 320, ProtocolType::Halfblocks);
    cmd(&mut app, Command::InvertMask);
    // Stability's inpainting needs a prompt: the panel names the key that sets it
    app.params.engine = crate::edit::engine::EngineKind::Bedrock;
    assert!(cmd(&mut app, Command::Run).is_empty());
    assert!(app.status.error, "{}", app.status.text);
    let text = &app.status.text;
    assert!(
        text.starts_with("prompt (p) is required for mode inpaint (Tab)"),
        "{text}"
    );
    assert!(!names_a_flag(text), "{text}");
    // an output that exists: the TUI has no --force
    let e = crate::error::Error::OutputExists("a.png".into());
    let text = super::words::error(&e);
    assert!(
        text.contains("a.png already exists") && !names_a_flag(&text),
        "{text}"
    );
}

/// Types `text` into the open field, one key a character.
fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c), KeyModifiers::NONE);
    }
}

fn field(app: &App) -> &super::app::TextInput {
    match &app.overlay {
        Some(super::app::Overlay::Input(i)) => i,
        other => panic!("no field open: {other:?}"),
    }
}

#[test]
fn a_suggestion_is_replaced_by_typing_and_kept_by_a_cursor_key() {
    let mut app = app_with_image(40, 40, ProtocolType::Halfblocks);
    app.params.prompt = "a red barn".into();
    cmd(&mut app, Command::EditPrompt);
    assert!(field(&app).selected);
    type_text(&mut app, "a cat");
    assert_eq!(
        field(&app).text,
        "a cat",
        "the first character replaces the suggestion"
    );
    key(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(app.params.prompt, "a cat");
    // End keeps it for editing
    cmd(&mut app, Command::EditPrompt);
    key(&mut app, KeyCode::End, KeyModifiers::NONE);
    type_text(&mut app, " asleep");
    key(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(app.params.prompt, "a cat asleep");
    // Backspace on a suggestion clears it
    cmd(&mut app, Command::EditPrompt);
    key(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    assert_eq!(field(&app).text, "");
    // a pasted text replaces it too
    update(&mut app, Action::Term(Event::Paste("a dog".into())));
    assert_eq!(field(&app).text, "a dog");
}

#[test]
fn typed_paths_are_read_as_a_file_dialog_reads_them() {
    use super::input::typed_path;
    let home = std::env::var("HOME").unwrap_or_default();
    for (typed, path) in [
        ("work/out.png", "work/out.png".to_string()),
        ("work//abs/path.png", "/abs/path.png".into()),
        ("work/~/pics/a.png", format!("{home}/pics/a.png")),
        ("~/a.png", format!("{home}/a.png")),
        ("'/my photo.png' ", "/my photo.png".into()),
        ("\"/my photo.png\"", "/my photo.png".into()),
        ("work/'/my photo.png'", "/my photo.png".into()),
        ("/my\\ photo.png", "/my photo.png".into()),
        ("  a.png  ", "a.png".into()),
    ] {
        assert_eq!(typed_path(typed), path, "{typed:?}");
    }
}

#[test]
fn a_fitted_view_stays_fitted_through_resizes_and_a_zoomed_one_keeps_its_zoom() {
    let mut app = app_with_image(640, 427, ProtocolType::Halfblocks);
    let fitted = |app: &App| {
        let v = app.view.unwrap();
        let (w, h) = app.shown_size().unwrap();
        v.same_as(&super::viewport::Viewport::fit(
            w,
            h,
            app.layout().canvas,
            app.cell,
        ))
    };
    assert!(fitted(&app));
    for (w, h) in [(200, 60), (80, 24), (120, 40)] {
        update(&mut app, Action::Term(Event::Resize(w, h)));
        ensure_view(&mut app);
        assert!(fitted(&app), "fitted at {w}x{h}");
    }
    // the status shows the real scale; 1 zooms to one image pixel per screen pixel
    cmd(&mut app, Command::ZoomActual);
    let v = app.view.unwrap();
    assert!((v.zoom - 1.0).abs() < 1e-9, "{}", v.zoom);
    assert_eq!(super::view::status::scale(v.zoom), "100%");
    assert_eq!(super::view::status::scale(0.125), "12%");
    update(&mut app, Action::Term(Event::Resize(200, 60)));
    ensure_view(&mut app);
    assert!(
        !fitted(&app) && (app.view.unwrap().zoom - 1.0).abs() < 1e-9,
        "a zoom is kept"
    );
}

#[test]
fn the_first_drag_on_a_shown_result_adds_the_shape() {
    let mut app = app_with_image(100, 80, ProtocolType::Halfblocks);
    let c = app.layout().canvas;
    cmd(&mut app, Command::InvertMask);
    let fx = cmd(&mut app, Command::Run);
    let Some(Effect::Run(req)) = fx.into_iter().next() else {
        panic!("Run starts a job")
    };
    deliver_one(&mut app, req.job, (100, 80), 1);
    assert_eq!(app.show, Show::Result);
    cmd(&mut app, Command::ClearMask);
    app.show = Show::Result;
    let (a, b) = ((c.x + 2, c.y + 2), (c.x + 10, c.y + 5));
    drag(&mut app, a, b);
    assert_eq!(app.show, Show::Edit);
    assert_eq!(mask(&app), &expected_rect(&app, a, b), "one drag draws");
}

#[test]
fn a_long_message_shows_its_start_and_the_log_keeps_it_whole() {
    let mut app = app_with_image(40, 40, ProtocolType::Halfblocks);
    let long = format!(
        "us.stability.stable-image-inpaint-v1:0: cannot reach Bedrock at http://127.0.0.1:9: {}",
        "connection refused ".repeat(8)
    );
    app.set_error(long.clone());
    let shown = super::view::status::fitted(&app.status.text, 60);
    assert_eq!(shown.chars().count(), 60, "{shown}");
    assert!(shown.ends_with("(' shows all)"), "{shown}");
    assert_eq!(super::view::status::fitted("short", 60), "short");
    cmd(&mut app, Command::Messages);
    assert!(matches!(
        app.overlay,
        Some(super::app::Overlay::Messages { .. })
    ));
    assert_eq!(
        app.messages.last().map(|m| m.text.as_str()),
        Some(long.as_str())
    );
    assert!(app.messages.last().unwrap().error);
    // wrapped to the popup's width, nothing cut
    let lines = super::view::overlay::wrap(&long, 30);
    assert!(lines.iter().all(|l| l.chars().count() <= 30));
    assert_eq!(lines.concat().replace(' ', ""), long.replace(' ', ""));
    key(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(app.overlay.is_none());
}

#[test]
fn keep_clears_the_selection_and_open_during_a_run_asks_first() {
    let mut app = app_with_image(100, 80, ProtocolType::Halfblocks);
    let c = app.layout().canvas;
    drag(&mut app, (c.x + 2, c.y + 2), (c.x + 10, c.y + 5));
    let drawn = mask(&app).clone();
    let fx = cmd(&mut app, Command::Run);
    let Some(Effect::Run(req)) = fx.into_iter().next() else {
        panic!("Run starts a job")
    };
    // o while the job runs asks before it cancels anything
    cmd(&mut app, Command::Open);
    assert_eq!(app.overlay, Some(super::app::Overlay::ConfirmOpen));
    key(&mut app, KeyCode::Char('n'), KeyModifiers::NONE);
    assert!(app.overlay.is_none() && !req.cancel.is_cancelled());
    cmd(&mut app, Command::Open);
    key(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert!(req.cancel.is_cancelled(), "yes cancels the job");
    assert!(
        matches!(&app.overlay, Some(super::app::Overlay::Input(i)) if i.purpose == super::app::InputPurpose::Open)
    );
    key(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    deliver_one(&mut app, req.job, (100, 80), 1);
    // k: the result is the new source, and the area just fixed is not selected again
    cmd(&mut app, Command::UseResult);
    assert!(mask(&app).is_empty(), "k clears the selection");
    cmd(&mut app, Command::Undo);
    assert_eq!(mask(&app), &drawn, "u brings it back");
}

#[test]
fn a_removed_background_shows_on_a_checkerboard() {
    let mut rgba = image::RgbaImage::new(16, 16);
    rgba.put_pixel(0, 0, image::Rgba([255, 0, 0, 255]));
    let shown = super::render::on_checkerboard(&DynamicImage::ImageRgba8(rgba));
    assert_eq!(
        shown.get_pixel(0, 0).0,
        [255, 0, 0],
        "opaque pixels as they are"
    );
    // transparent pixels: the two squares of the board, not white
    assert_eq!(shown.get_pixel(1, 1).0, [70, 70, 78]);
    assert_eq!(shown.get_pixel(9, 1).0, [110, 110, 120]);
}

#[test]
fn the_mask_view_shows_the_mask_in_black_and_white_and_draws_there() {
    let mut app = app_with_image(100, 80, ProtocolType::Halfblocks);
    cmd(&mut app, Command::MaskView);
    assert_eq!(app.show, Show::Mask);
    let c = app.layout().canvas;
    let (a, b) = ((c.x + 2, c.y + 2), (c.x + 10, c.y + 5));
    drag(&mut app, a, b);
    assert_eq!(app.show, Show::Mask, "drawing stays in the mask view");
    assert_eq!(mask(&app), &expected_rect(&app, a, b));
    let fx = super::update::pending_renders(&mut app);
    let req = fx
        .iter()
        .find_map(|e| match e {
            Effect::EncodeCanvas(r) => Some(r),
            _ => None,
        })
        .expect("the canvas is drawn again");
    assert!(req.mask_only);
    let px = super::render::compose(req);
    let lum: std::collections::BTreeSet<[u8; 3]> = px.pixels().map(|p| p.0).collect();
    assert!(
        lum.contains(&[255, 255, 255]) && lum.contains(&[0, 0, 0]),
        "{lum:?}"
    );
    cmd(&mut app, Command::MaskView);
    assert_eq!(app.show, Show::Edit);
}

#[test]
fn a_soft_edge_reaches_the_job() {
    let mut app = app_with_image(64, 64, ProtocolType::Halfblocks);
    cmd(&mut app, Command::InvertMask);
    for want in [Some(0), Some(4), Some(8)] {
        cmd(&mut app, Command::Feather);
        assert_eq!(app.params.feather, want);
    }
    let fx = cmd(&mut app, Command::Run);
    let Some(Effect::Run(req)) = fx.into_iter().next() else {
        panic!("Run starts a job")
    };
    assert_eq!(req.feather, Some(8));
    let o = super::effects::job_options(&req, &[], Default::default()).unwrap();
    assert_eq!(o.selection.feather, Some(8));
}

#[test]
fn settings_are_remembered_across_sessions_and_the_flags_win() {
    use super::state::{Remembered, load, save};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tui-state.json");
    let mut app = app_with_image(40, 40, ProtocolType::Halfblocks);
    app.params.engine = crate::edit::engine::EngineKind::Bedrock;
    app.params.model = Some("us.stability.stable-image-inpaint-v1:0".into());
    app.params.mode = Mode::Erase;
    app.params.prompt = "a calm sea".into();
    app.brush = 40;
    save(&file, &Remembered::default().taken_from(&app)).unwrap();
    let state = load(&file);
    assert_eq!(state.recent.len(), 1, "the opened image is recent");
    let mut next = App::new((100, 35), ProtocolType::Halfblocks, (9, 19), params());
    state.apply(&mut next, false, false);
    assert_eq!(next.params.engine, crate::edit::engine::EngineKind::Bedrock);
    assert_eq!(
        next.params.model.as_deref(),
        Some("us.stability.stable-image-inpaint-v1:0")
    );
    assert_eq!((next.params.mode, next.brush), (Mode::Erase, 40));
    assert_eq!(next.params.prompt, "a calm sea");
    // --engine on the command line (or the config) wins over what was remembered
    let mut flagged = App::new((100, 35), ProtocolType::Halfblocks, (9, 19), params());
    state.apply(&mut flagged, true, false);
    assert_eq!(
        flagged.params.engine,
        crate::edit::engine::EngineKind::Local
    );
    assert_eq!(
        flagged.params.prompt, "",
        "the local engine's prompt, none yet"
    );
    // a damaged file is ignored
    std::fs::write(&file, b"{not json").unwrap();
    assert_eq!(load(&file), Remembered::default());
    // o offers the recent images; the arrows take one
    next.recent = vec!["/pics/a.png".into(), "/pics/b.png".into()];
    cmd(&mut next, Command::Open);
    key(&mut next, KeyCode::Down, KeyModifiers::NONE);
    key(&mut next, KeyCode::Down, KeyModifiers::NONE);
    assert_eq!(field(&next).text, "/pics/b.png");
}

#[test]
fn zoomed_out_pixels_are_averaged_so_thin_lines_stay_and_specks_fade() {
    use super::render::{CanvasRequest, Preview, compose};
    let mut img = RgbImage::new(400, 400);
    for x in 0..400 {
        img.put_pixel(x, 201, image::Rgb([255, 255, 255])); // a 1-px crossbar
    }
    img.put_pixel(50, 50, image::Rgb([255, 255, 255])); // a lone bright pixel
    let area = ratatui::layout::Rect::new(0, 0, 40, 20);
    let view = super::viewport::Viewport::fit(400, 400, area, (1, 2));
    assert!(view.zoom < 0.2);
    let req = CanvasRequest {
        generation: 1,
        base: std::sync::Arc::new(img),
        base_offset: (0, 0),
        canvas: (400, 400),
        mask: None,
        mask_only: false,
        preview: Preview::None,
        view,
    };
    let out = compose(&req);
    let lit: Vec<u8> = out.pixels().map(|p| p.0[0]).filter(|v| *v > 24).collect();
    assert!(!lit.is_empty(), "the crossbar is still there");
    assert!(
        lit.iter().all(|v| *v < 128),
        "a line or a speck fades, never a full block: {lit:?}"
    );
}

/// The canvas cell whose centre maps nearest to image point (x, y).
fn cell_of(app: &App, x: f64, y: f64) -> (u16, u16) {
    let c = app.layout().canvas;
    let v = app.view.unwrap();
    let mut best = (f64::MAX, (c.x, c.y));
    for row in c.y..c.y + c.height {
        for col in c.x..c.x + c.width {
            if let Some((px, py)) = v.cell_to_image(col, row) {
                let d = (px - x).powi(2) + (py - y).powi(2);
                if d < best.0 {
                    best = (d, (col, row));
                }
            }
        }
    }
    best.1
}

fn click(app: &mut App, (col, row): (u16, u16)) {
    mouse(app, MouseEventKind::Down(MouseButton::Left), col, row);
    mouse(app, MouseEventKind::Up(MouseButton::Left), col, row);
}

fn count_in(m: &Mask, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            n += usize::from(m.0.get_pixel(x, y).0[0] > 0);
        }
    }
    n
}

/// Grey ground; a red square 40..80 with a dark red core 50..70 (about 30 apart in Lab);
/// a second red square 120..150 apart from it.
fn squares() -> RgbImage {
    RgbImage::from_fn(160, 120, |x, y| {
        let inside = |a: u32, b: u32| (a..b).contains(&x) && (a..b).contains(&y);
        if inside(50, 70) {
            image::Rgb([120, 15, 15])
        } else if inside(40, 80) || ((120..150).contains(&x) && (20..50).contains(&y)) {
            image::Rgb([210, 40, 40])
        } else {
            image::Rgb([128, 128, 128])
        }
    })
}

#[test]
fn the_wand_selects_a_region_and_its_tolerance_keys_refine_that_click() {
    let mut app = app_with_picture(squares(), ProtocolType::Halfblocks);
    key(&mut app, KeyCode::Char('W'), KeyModifiers::SHIFT);
    assert_eq!(app.tool, super::app::Tool::Wand);
    let at = cell_of(&app, 44.0, 60.0);
    click(&mut app, at);
    let ring = mask(&app).clone();
    assert_eq!(
        count_in(&ring, 40, 40, 80, 80),
        40 * 40 - 20 * 20,
        "the ring only"
    );
    assert_eq!(
        ring.selected_count(),
        40 * 40 - 20 * 20,
        "not the other square"
    );
    // wider tolerance: the same click takes the core too, with no new undo step
    let mut presses = 0;
    while mask(&app).selected_count() != 40 * 40 {
        assert!(
            presses < 10,
            "the core never joined ({})",
            app.wand_tolerance
        );
        key(&mut app, KeyCode::Char(']'), KeyModifiers::NONE);
        presses += 1;
    }
    assert!(presses > 0);
    assert_eq!(
        count_in(mask(&app), 0, 0, 160, 40),
        0,
        "nothing of the ground"
    );
    for _ in 0..presses {
        key(&mut app, KeyCode::Char('['), KeyModifiers::NONE);
    }
    assert_eq!(mask(&app), &ring, "back to the ring");
    // W again: every similar pixel, the far square too
    key(&mut app, KeyCode::Char('W'), KeyModifiers::SHIFT);
    assert!(app.wand_global);
    assert_eq!(mask(&app).selected_count(), 40 * 40 - 20 * 20 + 30 * 30);
    assert_eq!(app.brush, 16, "[ ] sized the tolerance, not the brush");
    cmd(&mut app, Command::Undo);
    assert!(
        mask(&app).is_empty(),
        "the click and its refinements are one undo step"
    );
}

#[test]
fn the_wand_keeps_what_was_selected_and_a_stale_click_is_not_refined() {
    let mut app = app_with_picture(squares(), ProtocolType::Halfblocks);
    let c = app.layout().canvas;
    let (a, b) = (cell_of(&app, 5.0, 5.0), cell_of(&app, 15.0, 15.0));
    drag(&mut app, a, b);
    let before = mask(&app).clone();
    assert!(!before.is_empty());
    cmd(&mut app, Command::ToolWand);
    let at = cell_of(&app, 135.0, 35.0);
    click(&mut app, at);
    let m = mask(&app).clone();
    assert_eq!(count_in(&m, 120, 20, 150, 50), 30 * 30);
    assert!(
        m.as_raw().iter().zip(before.as_raw()).all(|(a, b)| a >= b),
        "a union"
    );
    cmd(&mut app, Command::InvertMask);
    let inverted = mask(&app).clone();
    key(&mut app, KeyCode::Char(']'), KeyModifiers::NONE);
    assert_eq!(
        mask(&app),
        &inverted,
        "after another change the tolerance waits for a click"
    );
    // a click off the image changes nothing
    let _ = c;
    click(&mut app, (0, 0));
    assert_eq!(mask(&app), &inverted);
}

/// A bright disc (radius 25 at 70,60) with a green tag on its right (x 95..110, y 54..66) on a
/// dark, slightly textured ground.
fn disc() -> RgbImage {
    RgbImage::from_fn(160, 120, |x, y| {
        let (dx, dy) = (f64::from(x) - 70.0, f64::from(y) - 60.0);
        if dx * dx + dy * dy <= 25.0 * 25.0 {
            image::Rgb([230, 200, 60])
        } else if (94..110).contains(&x) && (54..66).contains(&y) {
            image::Rgb([60, 190, 70])
        } else {
            let t = ((x * 7 + y * 13) % 11) as u8;
            image::Rgb([30 + t, 60 + t, 90])
        }
    })
}

fn disc_iou(m: &Mask) -> f64 {
    let (mut inter, mut union) = (0usize, 0usize);
    for (x, y, v) in m.0.enumerate_pixels() {
        let (dx, dy) = (f64::from(x) - 70.0, f64::from(y) - 60.0);
        let truth = dx * dx + dy * dy <= 625.0;
        let got = v.0[0] > 127;
        inter += usize::from(truth && got);
        union += usize::from(truth || got);
    }
    inter as f64 / union as f64
}

#[test]
fn the_object_tool_snaps_to_the_object_and_strokes_refine_a_second_pass() {
    let mut app = app_with_picture(disc(), ProtocolType::Sixel);
    key(&mut app, KeyCode::Char('O'), KeyModifiers::SHIFT);
    assert_eq!(app.tool, super::app::Tool::Object);
    let (a, b) = (cell_of(&app, 36.0, 26.0), cell_of(&app, 116.0, 94.0));
    drag(&mut app, a, b);
    let m = mask(&app).clone();
    assert_eq!(count_in(&m, 0, 0, 160, 20), 0, "nothing outside the box");
    let tag = count_in(&m, 96, 56, 108, 64);
    assert!(tag > 48, "the first pass takes the tag too ({tag} of 96)");
    // the eraser marks the tag as background; the same box again keeps it out and the disc in
    // (a thin stroke through the tag's middle: what it leaves of the tag goes with the second
    // pass, which replaces the first instead of adding to it)
    cmd(&mut app, Command::ToolEraser);
    for _ in 0..6 {
        key(&mut app, KeyCode::Char('['), KeyModifiers::NONE);
    }
    assert_eq!(app.brush, 6);
    let (s0, s1) = (cell_of(&app, 99.0, 60.0), cell_of(&app, 105.0, 60.0));
    drag(&mut app, s0, s1);
    assert_eq!(mask(&app).0.get_pixel(102, 60).0[0], 0);
    assert!(
        count_in(mask(&app), 94, 54, 110, 66) > 40,
        "the stroke left part of the tag"
    );
    cmd(&mut app, Command::ToolObject);
    drag(&mut app, a, b);
    let again = mask(&app).clone();
    assert_eq!(
        count_in(&again, 97, 54, 110, 66),
        0,
        "all of the tag is background now"
    );
    assert!(
        disc_iou(&again) > 0.9,
        "the disc stays: IoU {}",
        disc_iou(&again)
    );
    assert!(
        again.selected_count() < m.selected_count(),
        "replaced, not added"
    );
    cmd(&mut app, Command::Undo);
    assert_eq!(
        mask(&app).0.get_pixel(102, 60).0[0],
        0,
        "undo: back to the stroke"
    );
    cmd(&mut app, Command::Undo);
    assert_eq!(mask(&app), &m, "undo: back to the first pass");
}
