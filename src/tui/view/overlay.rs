//! Popups: help (generated from the keymap), text input, quit confirmation, engine picker.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph};

use super::centered;
use crate::tui::action::Command;
use crate::tui::app::ENGINES;
use crate::tui::app::{App, InputPurpose, Overlay};
use crate::tui::keymap::help_lines;

/// What a click on a popup means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    Command(Command),
    Engine(usize),
    ConfirmQuit,
    Inside,
    Outside,
}

fn help_area(screen: Rect) -> Rect {
    centered(screen, 72, screen.height.saturating_sub(4))
}

fn input_area(screen: Rect, completions: usize) -> Rect {
    centered(screen, 72, 3 + completions.min(6) as u16 + 1)
}

fn confirm_area(screen: Rect) -> Rect {
    centered(screen, 64, 7)
}

/// The row of a confirmation's `[y] [n]` buttons.
fn confirm_buttons(a: Rect) -> u16 {
    a.bottom().saturating_sub(2)
}

fn engine_area(screen: Rect) -> Rect {
    centered(screen, 44, ENGINES.len() as u16 + 3)
}

fn inside(r: Rect, col: u16, row: u16) -> bool {
    col >= r.x && row >= r.y && col < r.right() && row < r.bottom()
}

/// Interprets a click while a popup is open.
pub fn hit(app: &App, screen: Rect, col: u16, row: u16) -> Hit {
    let area = match &app.overlay {
        Some(Overlay::Help { scroll }) => {
            let a = help_area(screen);
            if inside(a, col, row) && row > a.y && row < a.bottom() - 1 {
                let i = usize::from(row - a.y - 1 + scroll);
                if let Some((Some(c), _)) = help_lines().get(i) {
                    return Hit::Command(*c);
                }
            }
            a
        }
        Some(Overlay::Input(i)) => input_area(screen, i.completions.len()),
        Some(Overlay::Messages { .. }) => help_area(screen),
        Some(Overlay::ConfirmQuit | Overlay::ConfirmOpen) => {
            let a = confirm_area(screen);
            let buttons = confirm_buttons(a);
            if row == buttons && col > a.x && col < a.x + 9 {
                return Hit::ConfirmQuit;
            }
            if row == buttons && col >= a.x + 13 && col < a.x + 21 {
                return Hit::Outside;
            }
            a
        }
        Some(Overlay::EnginePicker { .. }) => {
            let a = engine_area(screen);
            if inside(a, col, row) && row > a.y && usize::from(row - a.y - 1) < ENGINES.len() {
                return Hit::Engine(usize::from(row - a.y - 1));
            }
            a
        }
        None => return Hit::Outside,
    };
    if inside(area, col, row) {
        Hit::Inside
    } else {
        Hit::Outside
    }
}

fn title(p: InputPurpose) -> &'static str {
    match p {
        InputPurpose::Prompt => " Prompt (Enter keeps, Esc cancels) ",
        InputPurpose::Negative => " Negative prompt ",
        InputPurpose::MaskPrompt => {
            " Mask prompt: what to change, e.g. the dog (empty = use the mask) "
        }
        InputPurpose::Cfg => " CFG scale (empty = the model's default) ",
        InputPurpose::Model => " Model id (empty = the engine's default) ",
        InputPurpose::Seed => " Seed (a whole number; locks it) ",
        InputPurpose::SaveResult => " Save the result as (never overwrites; Tab completes) ",
        InputPurpose::SaveMask => " Save the mask as (Tab completes) ",
        InputPurpose::LoadMask => " Load a mask PNG (Tab completes) ",
        InputPurpose::Open => " Open an image (Tab completes) ",
        InputPurpose::StyleImage => " Style transfer: the reference image (Tab completes) ",
    }
}

/// Draws the open popup, if any.
pub fn draw(frame: &mut Frame, app: &App, screen: Rect) {
    match &app.overlay {
        None => {}
        Some(Overlay::Help { scroll }) => help(frame, help_area(screen), *scroll),
        Some(Overlay::Messages { scroll }) => messages(frame, app, help_area(screen), *scroll),
        Some(Overlay::Input(input)) => field(frame, input, screen),
        Some(Overlay::ConfirmQuit) => {
            let folder = app
                .work_dir
                .as_ref()
                .map_or("the work folder".to_string(), |d| d.display().to_string());
            let text = format!("Some results are not saved. They stay in {folder}");
            confirm(
                frame,
                confirm_area(screen),
                " Quit? ",
                &text,
                "[y] quit    [n] stay",
            );
        }
        Some(Overlay::ConfirmOpen) => {
            let text =
                "A job is running. Cancel it and open another image? (Its finished results stay.)";
            confirm(
                frame,
                confirm_area(screen),
                " Open? ",
                text,
                "[y] open    [n] stay",
            );
        }
        Some(Overlay::EnginePicker { selected }) => {
            engine_picker(frame, engine_area(screen), *selected)
        }
    }
}

/// The help: every key, by group, from `scroll` on; says how many lines follow.
fn help(frame: &mut Frame, a: Rect, scroll: u16) {
    let accent = Style::default().fg(Color::Cyan);
    frame.render_widget(Clear, a);
    let lines: Vec<Line> = help_lines()
        .into_iter()
        .skip(usize::from(scroll))
        .map(|(c, text)| match c {
            None => Line::styled(text, accent.add_modifier(Modifier::BOLD)),
            Some(_) => Line::raw(format!("  {text}")),
        })
        .collect();
    let total = help_lines().len();
    let shown = usize::from(a.height.saturating_sub(2));
    let mut block =
        Block::bordered().title(" Keys (click a line to run it; ↑↓ scroll, any other key closes) ");
    if usize::from(scroll) + shown < total {
        let more = total - usize::from(scroll) - shown;
        block = block.title_bottom(
            Line::styled(
                format!(" ▼ {more} more lines below (↓ or the wheel) "),
                accent,
            )
            .right_aligned(),
        );
    }
    frame.render_widget(Paragraph::new(lines).block(block), a);
}

/// A text field, its suggestion shown selected, with the listed paths below it.
fn field(frame: &mut Frame, input: &crate::tui::app::TextInput, screen: Rect) {
    let a = input_area(screen, input.completions.len());
    frame.render_widget(Clear, a);
    let width = usize::from(a.width.saturating_sub(2));
    let skip = input.cursor.saturating_sub(width.saturating_sub(1));
    let shown: String = input.text.chars().skip(skip).take(width).collect();
    // a suggestion is shown selected: typing replaces it
    let mut lines = vec![if input.selected {
        Line::styled(shown, Style::default().add_modifier(Modifier::REVERSED))
    } else {
        Line::raw(shown)
    }];
    for c in input.completions.iter().take(6) {
        lines.push(Line::styled(
            c.clone(),
            Style::default().fg(Color::DarkGray),
        ));
    }
    lines.push(Line::styled(
        "Enter: OK   Esc: cancel   C-u: clear",
        Style::default().fg(Color::DarkGray),
    ));
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title(input.purpose))),
        a,
    );
    let x = a.x + 1 + (input.cursor - skip) as u16;
    frame.set_cursor_position(Position::new(x.min(a.right().saturating_sub(2)), a.y + 1));
}

/// The engine picker, `selected` marked.
fn engine_picker(frame: &mut Frame, a: Rect, selected: usize) {
    let accent = Style::default().fg(Color::Cyan);
    frame.render_widget(Clear, a);
    let mut lines: Vec<Line> = ENGINES
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let text = format!("{} {}", if i == selected { ">" } else { " " }, e.as_str());
            if i == selected {
                Line::styled(text, accent)
            } else {
                Line::raw(text)
            }
        })
        .collect();
    lines.push(Line::styled(
        "↑↓ Enter, or click",
        Style::default().fg(Color::DarkGray),
    ));
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Engine ")),
        a,
    );
}

/// The message log: every message of the session in full, wrapped, the newest at the bottom.
fn messages(frame: &mut Frame, app: &App, a: Rect, scroll: u16) {
    frame.render_widget(Clear, a);
    let width = usize::from(a.width.saturating_sub(2)).max(1);
    let mut lines: Vec<Line> = Vec::new();
    for m in &app.messages {
        let style = if m.error {
            Style::default().fg(Color::Red)
        } else {
            Style::default()
        };
        let text = format!("{} {}", m.at, m.text);
        for piece in wrap(&text, width) {
            lines.push(Line::styled(piece, style));
        }
    }
    if lines.is_empty() {
        lines.push(Line::raw("No messages yet."));
    }
    let shown = usize::from(a.height.saturating_sub(2));
    let end = lines
        .len()
        .saturating_sub(usize::from(scroll))
        .max(shown.min(lines.len()));
    let start = end.saturating_sub(shown);
    let block = Block::bordered().title(" Messages (↑↓ PgUp PgDn scroll, any other key closes) ");
    frame.render_widget(Paragraph::new(lines[start..end].to_vec()).block(block), a);
}

/// `text` cut into lines of at most `width` characters, at spaces where it can.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let (lw, ww) = (line.chars().count(), word.chars().count());
        if lw > 0 && lw + 1 + ww > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > width {
            let head: String = line.chars().take(width).collect();
            line = line.chars().skip(width).collect();
            out.push(head);
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// A yes/no popup: `text` wrapped over the lines above the buttons.
fn confirm(frame: &mut Frame, a: Rect, title: &str, text: &str, buttons: &str) {
    frame.render_widget(Clear, a);
    let width = usize::from(a.width.saturating_sub(2)).max(1);
    let rows = usize::from(a.height.saturating_sub(3));
    let mut lines: Vec<Line> = wrap(text, width)
        .into_iter()
        .take(rows)
        .map(Line::raw)
        .collect();
    while lines.len() < rows {
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        buttons.to_string(),
        Style::default().fg(Color::Cyan),
    ));
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title.to_string())),
        a,
    );
}
