//! `draw(&App)`: reads the model and fills the frame; never changes anything.

pub mod canvas;
pub mod overlay;
pub mod panel;
pub mod status;
pub mod strip;

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::Paragraph;

use super::app::{App, MIN_HEIGHT, MIN_WIDTH};

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if app.too_small() {
        let msg = format!(
            "imgedit needs a terminal of at least {MIN_WIDTH}x{MIN_HEIGHT}\nthis one is {}x{}: enlarge it (q quits)",
            area.width, area.height
        );
        let y = area.height / 2;
        let r = Rect::new(
            area.x,
            area.y + y.saturating_sub(1),
            area.width,
            2.min(area.height),
        );
        frame.render_widget(
            Paragraph::new(msg)
                .alignment(Alignment::Center)
                .style(Style::default().fg(Color::Yellow)),
            r,
        );
        return;
    }
    let layout = app.layout();
    canvas::draw(frame, app, &layout);
    panel::draw(frame, app, layout.panel);
    strip::draw(frame, app, layout.strip_block, layout.strip);
    status::draw(frame, app, layout.status);
    overlay::draw(frame, app, area);
}

/// A rectangle of `w x h` centred in `area` (clipped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let (w, h) = (w.min(area.width), h.min(area.height));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
