//! Time from a finished 1024x1024 result to encoded terminal pixels, per protocol: the TUI's
//! update, the canvas's compose and encode, and one draw, with the bytes it writes to the
//! terminal. Run with `cargo bench --bench tui_screen`.

use std::time::Instant;

use image::DynamicImage;
use imgedit::tui::action::{Action, Command, Effect, LoadedImage, ResultReady};
use imgedit::tui::app::{App, Params};
use imgedit::tui::render;
use imgedit::tui::update::{pending_renders, update};
use imgedit::tui::view;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{TerminalOptions, Viewport as TermViewport};
use ratatui_image::picker::{Picker, ProtocolType};

/// Counts the bytes a backend writes.
struct Counter(std::rc::Rc<std::cell::Cell<usize>>);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    for kind in [ProtocolType::Halfblocks, ProtocolType::Sixel] {
        let mut picker = Picker::halfblocks();
        picker.set_protocol_type(kind);
        let font = (9, 19);
        let params = Params {
            seed: 7,
            ..Params::default()
        };
        let mut app = App::new((100, 35), kind, font, params);
        let src = DynamicImage::ImageRgb8(image::RgbImage::from_fn(1024, 1024, |x, y| {
            image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x * y) % 239) as u8])
        }));
        let loaded = LoadedImage {
            path: "big.png".into(),
            image: src.clone(),
            work_dir: "w".into(),
            notes: vec![],
            metadata: Default::default(),
        };
        update(&mut app, Action::ImageLoaded(Ok(loaded)));
        update(&mut app, Action::Cmd(Command::InvertMask));
        let fx = update(&mut app, Action::Cmd(Command::Run));
        let Some(Effect::Run(req)) = fx.into_iter().next() else {
            eprintln!("Run did not start a job: {}", app.status.text);
            return;
        };
        let _ = pending_renders(&mut app);
        app.pictures.canvas_in_flight = false;
        let mut times = Vec::new();
        for i in 0..5 {
            let t = Instant::now();
            let ready = ResultReady {
                job: req.job,
                number: i,
                image: src.clone(),
                seed: Some(1),
                request_id: None,
                work_path: None,
                warning: None,
            };
            update(&mut app, Action::ResultReady(Box::new(ready)));
            let mut encode_us = 0;
            for e in pending_renders(&mut app) {
                if let Effect::EncodeCanvas(r) = e {
                    let done = render::encode_canvas(&r, &picker);
                    encode_us = done.micros;
                    update(&mut app, Action::Encoded(Box::new(done)));
                }
            }
            let written = std::rc::Rc::new(std::cell::Cell::new(0usize));
            let backend = CrosstermBackend::new(Counter(written.clone()));
            let opts = TerminalOptions {
                viewport: TermViewport::Fixed(Rect::new(0, 0, 100, 35)),
            };
            let Ok(mut term) = Terminal::with_options(backend, opts) else {
                return;
            };
            let _ = term.draw(|f| view::draw(f, &app));
            let bytes = written.get();
            times.push((t.elapsed().as_micros(), encode_us, bytes));
            app.show = imgedit::tui::app::Show::Edit;
        }
        println!("{kind:?}: (total us, compose+encode us, bytes to the terminal) {times:?}");
    }
}
