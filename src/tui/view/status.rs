//! The status bar: tool, brush, zoom, engine and model, graphics, job progress, the last message.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui_image::picker::ProtocolType;

use crate::tui::app::{App, Tool};

/// Where the clickable help button sits.
pub fn help_button(status: Rect) -> Rect {
    Rect::new(status.right().saturating_sub(3), status.y, 3, 1)
}

/// The protocol's name as `--graphics` spells it.
pub fn graphics_name(p: ProtocolType) -> &'static str {
    match p {
        ProtocolType::Halfblocks => "halfblocks",
        ProtocolType::Sixel => "sixel",
        ProtocolType::Kitty => "kitty",
        ProtocolType::Iterm2 => "iterm2",
    }
}

/// A zoom (screen pixels per image pixel) as a percentage, with a decimal below 10%.
pub fn scale(zoom: f64) -> String {
    let pc = zoom * 100.0;
    if pc < 9.95 {
        format!("{pc:.1}%")
    } else {
        format!("{pc:.0}%")
    }
}

/// What the status line shows of a message in `room` characters: all of it, or its start and
/// where the rest is (the message log).
pub fn fitted(text: &str, room: usize) -> String {
    const MORE: &str = "… (' shows all)";
    if text.chars().count() <= room {
        return text.to_string();
    }
    let keep = room.saturating_sub(MORE.chars().count());
    let head: String = text.chars().take(keep).collect();
    format!("{}{MORE}", head.trim_end())
}

/// Draws the bar.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    // the real scale: 100% is one image pixel per screen pixel
    let zoom = match app.view {
        Some(v) if app.doc.is_some() => scale(v.zoom),
        _ => "-".into(),
    };
    let job = match &app.job {
        Some(j) if j.total > 0 => format!("running {}% │ ", j.done * 100 / j.total),
        Some(_) => "running… │ ".into(),
        None => String::new(),
    };
    let model = app
        .params
        .model
        .as_deref()
        .unwrap_or(match app.params.engine {
            crate::edit::engine::EngineKind::Local => "local",
            _ => "default",
        });
    let size = match app.tool {
        Tool::Wand => format!(
            " ±{}{}",
            app.wand_tolerance,
            if app.wand_global { " all" } else { "" }
        ),
        Tool::Object => String::new(),
        _ => format!(" {}px", app.brush),
    };
    let mut info = format!(
        " {}{size} │ {zoom} │ {}:{model} │ {} │ {job}",
        app.tool.name(),
        app.params.engine.as_str(),
        graphics_name(app.graphics),
    );
    let text_area = Rect::new(area.x, area.y, area.width.saturating_sub(3), 1);
    // a message that does not fit gets the room of the tool, engine and graphics parts
    if info.chars().count() + app.status.text.chars().count() > usize::from(text_area.width) {
        info = format!(" {zoom} │ {job}");
    }
    let msg_style = if app.status.error {
        Style::default().fg(Color::Red)
    } else {
        Style::default().fg(Color::Gray)
    };
    let job_style = if app.job.is_some() {
        Color::Yellow
    } else {
        Color::Reset
    };
    let room = usize::from(text_area.width).saturating_sub(info.chars().count());
    let line = Line::from(vec![
        Span::styled(info, Style::default().fg(job_style)),
        Span::styled(fitted(&app.status.text, room), msg_style),
    ]);
    frame.render_widget(
        Paragraph::new(line).style(Style::default().bg(Color::Black)),
        text_area,
    );
    frame.render_widget(
        Paragraph::new("[?]").style(Style::default().fg(Color::Cyan)),
        help_button(area),
    );
}
