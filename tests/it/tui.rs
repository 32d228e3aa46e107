//! TUI tests: snapshots of the main screens (TestBackend, half blocks, no real terminal), an
//! end-to-end run in tmux, and an ignored timing probe.

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use image::DynamicImage;
use imgedit::tui::action::{Action, Command, Effect, LoadedImage, ResultReady};
use imgedit::tui::app::{App, Params, layout};
use imgedit::tui::render;
use imgedit::tui::update::{pending_renders, update};
use imgedit::tui::view;
use imgedit::tui::viewport::Viewport;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui_image::picker::{Picker, ProtocolType};

pub fn sample_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample.png")
}

fn params() -> Params {
    Params::default()
}

/// Applies an action, then runs the encodings the screen asks for right here (the real editor
/// does that on its encoder thread); other effects are returned.
pub(crate) fn step(app: &mut App, action: Action) -> Vec<Effect> {
    let picker = Picker::halfblocks();
    let mut out = Vec::new();
    let mut queue = update(app, action);
    loop {
        queue.extend(pending_renders(app));
        if queue.is_empty() {
            return out;
        }
        for e in std::mem::take(&mut queue) {
            match e {
                Effect::EncodeCanvas(r) => {
                    let done = render::encode_canvas(&r, &picker);
                    queue.extend(update(app, Action::Encoded(Box::new(done))));
                }
                Effect::EncodeThumb(r) => {
                    let done = render::encode_thumb(&r, &picker);
                    queue.extend(update(app, Action::Encoded(Box::new(done))));
                }
                other => out.push(other),
            }
        }
    }
}

pub(crate) fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.screen.0, app.screen.1)).unwrap();
    t.draw(|f| view::draw(f, app)).unwrap();
    format!("{}", t.backend())
}

/// The glyph that stands for every image cell in the snapshots.
const PIXELS: &str = "▒";

/// The screen as text for the snapshots: layout, panel and status line as drawn, but every cell of
/// the canvas and the results strip that shows image pixels (a half block, or a blank with a
/// colour) replaced by one placeholder glyph. The snapshots then show where images sit, not what
/// they look like, and do not change with the image rendering. (Pixel colours are checked where it
/// matters, as in `snapshot_mask_drawn`.)
pub(crate) fn layout_screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.screen.0, app.screen.1)).unwrap();
    t.draw(|f| view::draw(f, app)).unwrap();
    let l = app.layout();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        out.push('"');
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            let in_images = [l.canvas, l.strip]
                .iter()
                .any(|r| r.contains(ratatui::layout::Position { x, y }));
            let pixel = matches!(cell.symbol(), "▀" | "▄" | "█")
                || (cell.symbol() == " " && matches!(cell.bg, ratatui::style::Color::Rgb(..)));
            out.push_str(if in_images && pixel {
                PIXELS
            } else {
                cell.symbol()
            });
        }
        out.push_str("\"\n");
    }
    out
}

pub(crate) fn loaded_app() -> App {
    let mut app = App::new((100, 35), ProtocolType::Halfblocks, (10, 20), params());
    let image = image::open(sample_path()).unwrap();
    let loaded = LoadedImage {
        path: PathBuf::from("assets/sample.png"),
        image,
        work_dir: PathBuf::from("work"),
        notes: vec![],
        metadata: Default::default(),
    };
    step(&mut app, Action::ImageLoaded(Ok(loaded)));
    app
}

fn mouse(app: &mut App, kind: MouseEventKind, col: u16, row: u16) {
    let ev = MouseEvent {
        kind,
        column: col,
        row,
        modifiers: KeyModifiers::NONE,
    };
    step(app, Action::Term(Event::Mouse(ev)));
}

pub(crate) fn with_rect() -> App {
    let mut app = loaded_app();
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), 12, 8);
    mouse(&mut app, MouseEventKind::Drag(MouseButton::Left), 30, 15);
    mouse(&mut app, MouseEventKind::Up(MouseButton::Left), 30, 15);
    app
}

fn running(app: &mut App) -> u64 {
    let fx = step(app, Action::Cmd(Command::Run));
    let Some(Effect::Run(req)) = fx.into_iter().next() else {
        panic!("Run starts a job")
    };
    step(
        app,
        Action::Progress {
            job: req.job,
            done: 40,
            total: 100,
        },
    );
    req.job
}

#[test]
fn snapshot_empty() {
    let app = App::new((100, 35), ProtocolType::Halfblocks, (10, 20), params());
    insta::assert_snapshot!("tui_empty", layout_screen(&app));
}

#[test]
fn snapshot_image_loaded() {
    insta::assert_snapshot!("tui_image_loaded", layout_screen(&loaded_app()));
}

/// The colours of one cell (half blocks: the upper and the lower pixel).
fn cell_colours(app: &App, col: u16, row: u16) -> (ratatui::style::Color, ratatui::style::Color) {
    let mut t = Terminal::new(TestBackend::new(app.screen.0, app.screen.1)).unwrap();
    t.draw(|f| view::draw(f, app)).unwrap();
    let cell = &t.backend().buffer()[(col, row)];
    (cell.fg, cell.bg)
}

fn red_minus_green(c: ratatui::style::Color) -> i32 {
    match c {
        ratatui::style::Color::Rgb(r, g, _) => i32::from(r) - i32::from(g),
        other => panic!("expected an RGB colour, got {other:?}"),
    }
}

#[test]
fn snapshot_mask_drawn() {
    let app = with_rect();
    insta::assert_snapshot!("tui_mask_drawn", layout_screen(&app));
    // The text snapshot cannot show colours: check the overlay tints the pixels inside only.
    let before = loaded_app();
    let inside = (cell_colours(&before, 20, 11), cell_colours(&app, 20, 11));
    assert!(
        red_minus_green(inside.1.0) > red_minus_green(inside.0.0) + 40,
        "{inside:?}"
    );
    assert_eq!(
        cell_colours(&before, 50, 20),
        cell_colours(&app, 50, 20),
        "outside is untouched"
    );
}

#[test]
fn snapshot_running() {
    let mut app = with_rect();
    running(&mut app);
    insta::assert_snapshot!("tui_running", layout_screen(&app));
}

#[test]
fn snapshot_results() {
    let mut app = with_rect();
    for n in 1..=2 {
        let job = running(&mut app);
        let mut img = image::open(sample_path()).unwrap().to_rgb8();
        image::imageops::invert(&mut img);
        let ready = ResultReady {
            job,
            number: n,
            image: DynamicImage::ImageRgb8(img),
            seed: Some(100 + u64::from(n)),
            request_id: None,
            work_path: None,
            warning: None,
        };
        step(&mut app, Action::ResultReady(Box::new(ready)));
        step(&mut app, Action::JobEnded { job, result: Ok(1) });
    }
    insta::assert_snapshot!("tui_results", layout_screen(&app));
}

#[test]
fn snapshot_help() {
    let mut app = loaded_app();
    step(&mut app, Action::Cmd(Command::Help));
    insta::assert_snapshot!("tui_help", layout_screen(&app));
    // closing a popup wipes the terminal so no image pixels stay behind
    let fx = step(&mut app, Action::Cmd(Command::Help));
    assert!(fx.iter().any(|e| matches!(e, Effect::ClearScreen)));
}

#[test]
fn snapshot_too_small() {
    let mut app = loaded_app();
    step(&mut app, Action::Term(Event::Resize(70, 20)));
    insta::assert_snapshot!("tui_too_small", layout_screen(&app));
}

#[test]
fn tui_without_a_terminal_is_a_usage_error() {
    let sandbox = crate::common::Sandbox::new();
    sandbox
        .cmd()
        .args(["tui", "--graphics", "halfblocks"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("imgedit tui needs a terminal"));
}

/// A tmux server on its own socket, killed on drop.
pub struct Tmux {
    pub socket: String,
    /// The editor's stderr, shown when a wait times out.
    pub log: PathBuf,
}

impl Tmux {
    /// Starts session `main`, 100x35, running `command` in `dir`.
    pub fn start(&self, dir: &Path, command: &str) {
        let started = self.cmd(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            "100",
            "-y",
            "35",
            "-c",
            &dir.display().to_string(),
            command,
        ]);
        assert!(started.status.success(), "{started:?}");
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Process::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }
    pub fn send(&self, args: &[&str]) {
        let mut a = vec!["send-keys", "-t", "main"];
        a.extend_from_slice(args);
        assert!(self.cmd(&a).status.success());
        std::thread::sleep(Duration::from_millis(150));
    }
    pub fn text(&self, s: &str) {
        self.send(&["-l", s]);
    }
    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "main"]).stdout)
            .into_owned()
    }
    pub fn wait_for(&self, what: &str, timeout: Duration) -> String {
        let end = Instant::now() + timeout;
        loop {
            let screen = self.capture();
            if screen.contains(what) {
                return screen;
            }
            if Instant::now() > end {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("timed out waiting for {what:?}; the screen:\n{screen}\nstderr:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Process::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

fn sgr(button: u8, col: u16, row: u16, press: bool) -> String {
    format!(
        "\x1b[<{button};{};{}{}",
        col + 1,
        row + 1,
        if press { 'M' } else { 'm' }
    )
}

/// The editor on a copy of the sample in tmux (half blocks, 100x35, `flags` added), once it has
/// opened the image: its folder, the image and the session. None where tmux is missing (outside
/// CI, which must have it).
fn sample_in_tmux(name: &str, flags: &str) -> Option<(tempfile::TempDir, PathBuf, Tmux)> {
    if Process::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is needed for this test on CI"
        );
        eprintln!("tmux is not installed: the {name} test skipped");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("sample.png");
    std::fs::copy(sample_path(), &input).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("imgedit");
    let command = format!(
        "env -u IMGEDIT_GRAPHICS IMGEDIT_CONFIG_DIR={c} IMGEDIT_DATA_DIR={d} {bin} tui --graphics halfblocks {flags} {img} 2>{log}; sleep 5",
        log = dir.path().join("stderr.log").display(),
        c = dir.path().join("config").display(),
        d = dir.path().join("data").display(),
        bin = bin.display(),
        img = input.display(),
    );
    let tmux = Tmux {
        socket: format!("imgedit-{name}-{}", std::process::id()),
        log: dir.path().join("stderr.log"),
    };
    tmux.start(dir.path(), &command);
    tmux.wait_for("opened", Duration::from_secs(20));
    Some((dir, input, tmux))
}

#[test]
fn end_to_end_in_tmux() {
    let Some((dir, input, tmux)) = sample_in_tmux("e2e", "") else {
        return;
    };
    let out = dir.path().join("out.png");

    // The same mapping the editor uses: the canvas area at 100x35, half blocks (1x2 px per cell).
    let canvas = layout(Rect::new(0, 0, 100, 35)).canvas;
    let view = Viewport::fit(640, 427, canvas, (1, 2));
    let (a, b) = (
        (canvas.x + 10, canvas.y + 6),
        (canvas.x + 28, canvas.y + 13),
    );
    let pa = view.cell_to_image(a.0, a.1).unwrap();
    let pb = view.cell_to_image(b.0, b.1).unwrap();
    let (x0, y0) = (pa.0.floor() as u32, pa.1.floor() as u32);
    let (x1, y1) = (pb.0.floor() as u32, pb.1.floor() as u32);

    tmux.text(&sgr(0, a.0, a.1, true));
    tmux.text(&sgr(32, (a.0 + b.0) / 2, (a.1 + b.1) / 2, true));
    tmux.text(&sgr(32, b.0, b.1, true));
    tmux.text(&sgr(0, b.0, b.1, false));
    tmux.wait_for("added rectangle", Duration::from_secs(10));
    tmux.send(&["p"]);
    tmux.wait_for("Prompt (Enter keeps", Duration::from_secs(10));
    tmux.text("a calm sea");
    tmux.send(&["Enter"]);
    tmux.wait_for("a calm sea", Duration::from_secs(10));
    tmux.send(&["Enter"]);
    tmux.wait_for("1 result ready", Duration::from_secs(60));
    tmux.send(&["s"]);
    tmux.wait_for("Save the result as", Duration::from_secs(10));
    tmux.send(&["C-u"]);
    tmux.text(&out.display().to_string());
    tmux.wait_for("out.png", Duration::from_secs(10));
    tmux.send(&["Enter"]);
    tmux.wait_for("saved", Duration::from_secs(20));
    tmux.send(&["q"]);
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end && !tmux.capture().trim().is_empty() {
        std::thread::sleep(Duration::from_millis(100));
    }

    let before = image::open(&input).unwrap().to_rgb8();
    let after = image::open(&out).unwrap().to_rgb8();
    assert_eq!(before.dimensions(), after.dimensions());
    let mut changed = 0;
    for (x, y, p) in after.enumerate_pixels() {
        if p != before.get_pixel(x, y) {
            changed += 1;
            assert!(
                (x0..=x1).contains(&x) && (y0..=y1).contains(&y),
                "pixel {x},{y} changed outside the rectangle {x0},{y0}..{x1},{y1}"
            );
        }
    }
    assert!(changed > 0, "the engine changed nothing");
    let work = dir.path().join("data/work");
    let results: Vec<_> = std::fs::read_dir(&work).unwrap().flatten().collect();
    assert_eq!(results.len(), 1, "one work folder per edit");
    assert!(
        results[0].path().join("result-1.png").is_file(),
        "results are kept as they arrive"
    );
}

/// The TUI's effect runner with the api engine at `url` (token "t"), its history in `data_dir`:
/// the real runner, driven in-process.
pub(crate) struct ApiRunner {
    rt: tokio::runtime::Runtime,
    rx: tokio::sync::mpsc::UnboundedReceiver<Action>,
    runner: imgedit::tui::effects::Runner,
    _encoder: std::sync::mpsc::Receiver<imgedit::tui::effects::EncodeJob>,
}

impl ApiRunner {
    pub(crate) fn new(url: &str, data_dir: &Path) -> Self {
        use imgedit::engine::{EngineSettings, api::ApiSettings};
        let rt = crate::common::rt();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let (etx, erx) = std::sync::mpsc::channel();
        let runner = imgedit::tui::effects::Runner {
            tx,
            rt: rt.handle().clone(),
            encoder: etx,
            data_dir: data_dir.to_path_buf(),
            limits: imgedit::image_io::DecodeLimits::default(),
            settings: EngineSettings {
                api: ApiSettings {
                    url: Some(url.to_string()),
                    token: Some("t".into()),
                    ..Default::default()
                },
                ..Default::default()
            },
            engines: Default::default(),
        };
        ApiRunner {
            rt,
            rx,
            runner,
            _encoder: erx,
        }
    }

    /// Starts an effect that answers with one action (open, load a mask, save) and applies that
    /// action; the other effects it leads to are returned.
    pub(crate) fn perform(&mut self, app: &mut App, effect: Effect) -> Vec<Effect> {
        self.runner.start(effect);
        let action = self.next_action();
        step(app, action)
    }

    /// Presses Run with `n` images and Esc as soon as the first result is on screen; the job
    /// is taken to its end. Returns the actions in the order they came.
    pub(crate) fn run_and_escape_after_the_first(&mut self, app: &mut App) -> Vec<String> {
        let fx = step(app, Action::Cmd(Command::Run));
        let Some(Effect::Run(req)) = fx.into_iter().next() else {
            panic!("Run starts a job: {}", app.status.text)
        };
        self.runner.start(Effect::Run(req));
        let mut seen = Vec::new();
        let mut escaped = false;
        loop {
            let action = self.next_action();
            let (end, result) = (
                matches!(action, Action::JobEnded { .. }),
                matches!(action, Action::ResultReady(_)),
            );
            seen.push(
                match &action {
                    Action::ResultReady(_) => "result",
                    Action::JobEnded { .. } => "ended",
                    _ => "other",
                }
                .to_string(),
            );
            step(app, action);
            if result && !escaped {
                escaped = true;
                step(app, Action::Cmd(Command::Cancel));
            }
            if end {
                return seen;
            }
        }
    }

    /// The next action the runner sends (within 60 s).
    fn next_action(&mut self) -> Action {
        let rx = &mut self.rx;
        self.rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(60), rx.recv()).await })
            .unwrap()
            .unwrap()
    }

    /// Presses Run and takes the job to its end: every action it sends goes through update.
    pub(crate) fn run(&mut self, app: &mut App) {
        self.run_with(app, false);
    }

    /// [`Self::run`], with Esc pressed before the engine can answer when `esc`.
    pub(crate) fn run_with(&mut self, app: &mut App, esc: bool) {
        let fx = step(app, Action::Cmd(Command::Run));
        let Some(Effect::Run(req)) = fx.into_iter().next() else {
            panic!("Run starts a job: {}", app.status.text)
        };
        if esc {
            step(app, Action::Cmd(Command::Cancel));
        }
        self.runner.start(Effect::Run(req));
        loop {
            let action = self.next_action();
            let end = matches!(action, Action::JobEnded { .. });
            step(app, action);
            if end {
                break;
            }
        }
    }
}

/// Esc while a job runs: the run still ends in the history (as cancelled); a history that cannot
/// be written is said on the status line, not swallowed.
#[test]
fn a_run_ended_by_esc_is_recorded_and_a_failed_history_write_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let history = data.join("history.jsonl");
    let mut runner = ApiRunner::new("http://127.0.0.1:9", &data);
    let mut app = with_rect();
    app.work_dir = Some(dir.path().join("work"));
    app.params.engine = imgedit::edit::engine::EngineKind::Local;
    runner.run_with(&mut app, true);
    assert!(
        app.status.text.starts_with("cancelled"),
        "{}",
        app.status.text
    );
    let text = std::fs::read_to_string(&history).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1, "{text}");
    assert_eq!(records[0]["success"], false, "{text}");
    assert!(
        records[0]["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("cancelled")),
        "{text}"
    );
    // the history cannot be written: the results still arrive, and the status line says so
    std::fs::remove_file(&history).unwrap();
    std::fs::create_dir(&history).unwrap();
    runner.run(&mut app);
    assert!(!app.doc.as_ref().unwrap().results.is_empty());
    assert!(
        app.status.text.contains("not recorded in the history"),
        "{}",
        app.status.text
    );
}

/// Several images a run: each is on screen (and in the work folder) as it is finished, not all
/// at the end; Esc after the first keeps it, and the history says the run was cancelled.
#[test]
fn results_arrive_one_by_one_and_esc_keeps_the_finished_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let work = dir.path().join("work");
    let mut runner = ApiRunner::new("http://127.0.0.1:9", &data);
    let mut app = with_rect();
    app.work_dir = Some(work.clone());
    app.params.engine = imgedit::edit::engine::EngineKind::Local;
    app.params.num_images = 3;
    let seen = runner.run_and_escape_after_the_first(&mut app);
    let first = seen
        .iter()
        .position(|a| a == "result")
        .expect("a result arrived");
    let end = seen.iter().position(|a| a == "ended").unwrap();
    assert!(
        first < end,
        "the first result came before the run's end: {seen:?}"
    );
    let kept = app.doc.as_ref().unwrap().results.len();
    assert!(
        (1..3).contains(&kept),
        "Esc kept the finished results: {kept} of 3, {seen:?}"
    );
    assert!(work.join("result-1.png").is_file(), "written as it arrived");
    assert!(
        app.status.text.starts_with("cancelled"),
        "{}",
        app.status.text
    );
    let history = std::fs::read_to_string(data.join("history.jsonl")).unwrap();
    let rec: serde_json::Value = serde_json::from_str(history.lines().last().unwrap()).unwrap();
    assert_eq!(rec["error_message"], "cancelled", "{rec}");
    assert_eq!(rec["outputs"].as_array().map(Vec::len), Some(kept), "{rec}");
}

/// More results than the strip shows: its title says how many lie off to each side.
#[test]
fn the_strip_says_when_results_lie_off_screen() {
    let mut app = loaded_app();
    let img = std::sync::Arc::new(image::RgbImage::new(8, 8));
    let doc = app.doc.as_mut().unwrap();
    for n in 1..=12 {
        doc.results.push(imgedit::tui::app::ResultItem {
            id: 1000 + u64::from(n),
            number: n,
            image: std::sync::Arc::new(DynamicImage::ImageRgb8((*img).clone())),
            display: img.clone(),
            seed: None,
            request_id: None,
            work_path: None,
        });
    }
    app.selected = Some(11);
    let s = screen(&app);
    assert!(s.contains("◀") && s.contains("more │ Results (12)"), "{s}");
    app.selected = Some(0);
    let s = screen(&app);
    assert!(s.contains("more ▶"), "{s}");
}

/// The everyday flow as a user meets it, in tmux: a prompt typed over its suggestion replaces
/// it; a fitted view re-fits when the window grows; the first drag on a shown result draws; the
/// message log holds a message whole.
#[test]
fn the_everyday_flow_in_tmux() {
    let Some((_dir, _input, tmux)) = sample_in_tmux("flow", "--fresh") else {
        return;
    };

    // 1. the prompt field opens with the last prompt selected: typing replaces it
    for text in ["a red barn", "a calm sea"] {
        tmux.send(&["p"]);
        tmux.wait_for("Prompt (Enter keeps", Duration::from_secs(10));
        tmux.text(text);
        tmux.send(&["Enter"]);
    }
    let screen = tmux.wait_for("a calm sea", Duration::from_secs(10));
    assert!(!screen.contains("a red barna calm sea"), "{screen}");

    // 5. the window grows: the fitted view grows with it (the scale goes up)
    let scale = |s: &str| -> u32 {
        let status = s
            .lines()
            .rev()
            .find(|l| l.contains('│'))
            .unwrap_or_default();
        status
            .split('│')
            .find_map(|p| p.trim().strip_suffix('%').and_then(|n| n.parse().ok()))
            .unwrap_or(0)
    };
    let before = scale(&tmux.capture());
    tmux.cmd(&["resize-window", "-t", "main", "-x", "160", "-y", "50"]);
    let end = Instant::now() + Duration::from_secs(10);
    while scale(&tmux.capture()) <= before && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    let after = scale(&tmux.capture());
    assert!(
        after > before,
        "a fitted view re-fits: {before}% -> {after}%"
    );
    tmux.cmd(&["resize-window", "-t", "main", "-x", "100", "-y", "35"]);
    std::thread::sleep(Duration::from_millis(500));

    // 3. a result on screen, then one drag: it draws
    let canvas = layout(Rect::new(0, 0, 100, 35)).canvas;
    let (a, b) = (
        (canvas.x + 10, canvas.y + 6),
        (canvas.x + 28, canvas.y + 13),
    );
    let drag = |a: (u16, u16), b: (u16, u16)| {
        tmux.text(&sgr(0, a.0, a.1, true));
        tmux.text(&sgr(32, (a.0 + b.0) / 2, (a.1 + b.1) / 2, true));
        tmux.text(&sgr(32, b.0, b.1, true));
        tmux.text(&sgr(0, b.0, b.1, false));
    };
    drag(a, b);
    tmux.wait_for("added rectangle", Duration::from_secs(10));
    tmux.send(&["Enter"]);
    tmux.wait_for("1 result ready", Duration::from_secs(60));
    // the result is on screen (the status says it is ready): one drag draws there
    drag((a.0 + 2, a.1 + 1), (b.0 + 4, b.1 + 2));
    tmux.wait_for("added rectangle", Duration::from_secs(10));

    // 4. the message log holds every message whole
    tmux.send(&["'"]);
    let log = tmux.wait_for("Messages", Duration::from_secs(10));
    assert!(
        log.contains("a calm sea") || log.contains("added rectangle"),
        "{log}"
    );
    tmux.send(&["Escape"]);
    tmux.send(&["q"]);
}
