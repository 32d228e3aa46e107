//! The canvas: the image with the mask drawn into its pixels.

use ratatui::Frame;
use ratatui::layout::Alignment;
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Paragraph};
use ratatui_image::Image;

use crate::choice::Choice;
use crate::tui::app::{App, Layout, Show};

/// Draws the canvas block and its image.
pub fn draw(frame: &mut Frame, app: &App, layout: &Layout) {
    let title = match (&app.doc, app.shown_size()) {
        (Some(doc), Some((w, h))) => {
            let name = doc.path.file_name().unwrap_or_default().to_string_lossy();
            let what = match (app.show, app.selected_result()) {
                (Show::Result, Some(r)) => match r.seed {
                    Some(s) => format!("result {} (seed {s})", r.number),
                    None => format!("result {} (seed not confirmed)", r.number),
                },
                (Show::Original, _) => "original".to_string(),
                _ => app.params.mode.name().to_string(),
            };
            format!(" {name} {w}x{h} · {what} ")
        }
        _ => " no image ".to_string(),
    };
    let mut block = Block::bordered().title(title);
    // the API's id for the call that made the result shown, to find it in the API's log
    if let (Show::Result, Some(id)) = (
        app.show,
        app.selected_result().and_then(|r| r.request_id.as_ref()),
    ) {
        block = block.title_bottom(format!(" request id {id} "));
    }
    frame.render_widget(block, layout.canvas_block);
    let area = layout.canvas;
    if app.doc.is_none() {
        let text = "No image open.\n\no  open an image\n?  every key and command\nq  quit";
        let y = area.y + area.height / 2 - 2.min(area.height / 2);
        let r = ratatui::layout::Rect::new(area.x, y, area.width, 5.min(area.height));
        frame.render_widget(Paragraph::new(text).alignment(Alignment::Center), r);
        return;
    }
    match &app.pictures.canvas {
        Some(p) if p.size().width <= area.width && p.size().height <= area.height => {
            frame.render_widget(Image::new(p), area);
        }
        _ => {
            let r = ratatui::layout::Rect::new(area.x, area.y + area.height / 2, area.width, 1);
            frame.render_widget(
                Paragraph::new("drawing…")
                    .alignment(Alignment::Center)
                    .style(Style::default().fg(Color::DarkGray)),
                r,
            );
        }
    }
}
