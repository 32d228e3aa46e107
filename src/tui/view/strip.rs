//! The results strip: one thumbnail per result, the selected one marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Paragraph};
use ratatui_image::Image;

use crate::tui::app::{App, THUMB_COLS, THUMB_STEP};

/// Where each visible thumbnail is (image and label), with its result index.
pub fn thumb_rects(app: &App, strip: Rect) -> Vec<(Rect, usize)> {
    let n = app.doc.as_ref().map_or(0, |d| d.results.len());
    let fit = usize::from((strip.width / THUMB_STEP).max(1));
    let sel = app.selected.unwrap_or(0);
    let first = (sel + 1).saturating_sub(fit);
    (first..n.min(first + fit))
        .enumerate()
        .map(|(slot, i)| {
            (
                Rect::new(
                    strip.x + slot as u16 * THUMB_STEP,
                    strip.y,
                    THUMB_COLS,
                    strip.height,
                ),
                i,
            )
        })
        .collect()
}

/// Draws the strip.
pub fn draw(frame: &mut Frame, app: &App, block: Rect, strip: Rect) {
    let n = app.doc.as_ref().map_or(0, |d| d.results.len());
    // the results that do not fit: how many lie left and right of the shown ones
    let shown = thumb_rects(app, strip);
    let before = shown.first().map_or(0, |(_, i)| *i);
    let after = n - shown.last().map_or(n, |(_, i)| i + 1).min(n);
    let mut title = format!(" Results ({n}) ");
    if before > 0 {
        title = format!(" ◀ {before} more │{title}");
    }
    if after > 0 {
        title.push_str(&format!("│ {after} more ▶ (, .) "));
    }
    frame.render_widget(Block::bordered().title(title), block);
    let Some(doc) = &app.doc else { return };
    if n == 0 {
        frame.render_widget(
            Paragraph::new(
                "Results appear here. Select with the mouse or a tool key, then Enter runs.",
            )
            .style(Style::default().fg(Color::DarkGray)),
            strip,
        );
        return;
    }
    for (rect, i) in thumb_rects(app, strip) {
        let r = &doc.results[i];
        let img_area = Rect::new(rect.x, rect.y, rect.width, rect.height.saturating_sub(1));
        if let Some(p) = app.pictures.thumbs.get(&r.id) {
            frame.render_widget(Image::new(p), img_area);
        }
        let saved = if app.saved.contains(&r.id) {
            " saved"
        } else {
            ""
        };
        let mut style = Style::default();
        if app.selected == Some(i) {
            style = style.add_modifier(Modifier::REVERSED);
        }
        let label = Rect::new(rect.x, rect.bottom().saturating_sub(1), rect.width, 1);
        frame.render_widget(
            Paragraph::new(format!("#{}{saved}", r.number)).style(style),
            label,
        );
    }
}
