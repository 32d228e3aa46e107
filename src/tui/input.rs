//! The one-line text field of the input popups (prompt, seed, file names), part of `update`.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Effect;
use super::app::close_overlay;
use super::app::{App, InputPurpose, Overlay, TextInput};

/// Inserts a character at the cursor; a selected suggestion is replaced.
pub fn insert_char(input: &mut TextInput, c: char) {
    take_selection(input, true);
    let at = byte_index(&input.text, input.cursor);
    input.text.insert(at, c);
    input.cursor += 1;
}

/// Ends the selection of a suggestion: its text is dropped (`replace`) or kept for editing.
fn take_selection(input: &mut TextInput, replace: bool) {
    if input.selected && replace {
        input.text.clear();
        input.cursor = 0;
    }
    input.selected = false;
}

fn byte_index(s: &str, chars: usize) -> usize {
    s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i)
}

/// Keys while a text field is open.
pub fn input_key(app: &mut App, k: KeyEvent) -> Vec<Effect> {
    let Some(Overlay::Input(input)) = app.overlay.as_mut() else {
        return vec![];
    };
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    match k.code {
        KeyCode::Esc => return close_overlay(app),
        KeyCode::Enter => return submit(app),
        KeyCode::Char('u') if ctrl => {
            input.text.clear();
            input.cursor = 0;
        }
        KeyCode::Char('c') if ctrl => return close_overlay(app),
        KeyCode::Char(c) if !ctrl => insert_char(input, c),
        KeyCode::Backspace | KeyCode::Delete if input.selected => take_selection(input, true),
        KeyCode::Backspace if input.cursor > 0 => {
            input.cursor -= 1;
            let at = byte_index(&input.text, input.cursor);
            input.text.remove(at);
        }
        KeyCode::Delete if input.cursor < input.text.chars().count() => {
            let at = byte_index(&input.text, input.cursor);
            input.text.remove(at);
        }
        KeyCode::Left if input.selected => take_selection(input, false),
        KeyCode::Left => input.cursor = input.cursor.saturating_sub(1),
        KeyCode::Right => {
            take_selection(input, false);
            input.cursor = (input.cursor + 1).min(input.text.chars().count());
        }
        KeyCode::Home => {
            take_selection(input, false);
            input.cursor = 0;
        }
        KeyCode::End => {
            take_selection(input, false);
            input.cursor = input.text.chars().count();
        }
        // ↓ ↑ take the listed paths (the recent images, or the completions) into the field
        KeyCode::Down | KeyCode::Up if !input.completions.is_empty() => {
            let n = input.completions.len();
            let at = input.completions.iter().position(|c| *c == input.text);
            let next = match (at, k.code) {
                (None, KeyCode::Down) => 0,
                (None, _) => n - 1,
                (Some(i), KeyCode::Down) => (i + 1) % n,
                (Some(i), _) => (i + n - 1) % n,
            };
            input.text = input.completions[next].clone();
            input.cursor = input.text.chars().count();
            input.selected = false;
        }
        KeyCode::Tab if is_path(input.purpose) => {
            take_selection(input, false);
            return vec![Effect::Complete(typed_path(&input.text))];
        }
        _ => {}
    }
    vec![]
}

fn is_path(p: InputPurpose) -> bool {
    matches!(
        p,
        InputPurpose::Open
            | InputPurpose::LoadMask
            | InputPurpose::SaveMask
            | InputPurpose::SaveResult
            | InputPurpose::StyleImage
    )
}

/// A path as typed or pasted into a field, read as a file dialog reads it: surrounding
/// whitespace and quotes dropped, `\ ` escapes (a shell's) read, an absolute path or `~/...`
/// typed after a kept suggestion taken as such (`work//abs/path` is `/abs/path`), and `~` for
/// the home folder.
pub fn typed_path(text: &str) -> String {
    let mut t = text.trim();
    // a quoted path pasted after the suggestion: from its opening quote on
    if let Some(i) = t
        .rfind(['\'', '"'])
        .and_then(|end| t[..end].rfind(['\'', '"']))
        && t[i + 1..].starts_with(['/', '~'])
    {
        t = &t[i..];
    }
    let t = t
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| t.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
        .unwrap_or(t);
    let mut s = if cfg!(windows) {
        t.to_string()
    } else {
        unescape(t)
    };
    if let Some(i) = s.rfind("//") {
        s = s[i + 1..].to_string();
    }
    if let Some(i) = s.rfind("/~/") {
        s = s[i + 1..].to_string();
    }
    if (s == "~" || s.starts_with("~/"))
        && let Some(home) = std::env::var_os("HOME")
    {
        s = format!("{}{}", home.to_string_lossy(), &s[1..]);
    }
    s
}

/// A shell's backslash escapes read: `my\ photo.png` is `my photo.png`.
fn unescape(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut chars = t.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// Path completions arrived: one completes the field, several complete their common prefix.
pub fn completed(app: &mut App, mut candidates: Vec<String>) {
    let Some(Overlay::Input(input)) = app.overlay.as_mut() else {
        return;
    };
    input.text = typed_path(&input.text);
    input.cursor = input.text.chars().count();
    candidates.sort();
    if let Some(first) = candidates.first() {
        let mut prefix = first.clone();
        for c in &candidates[1..] {
            while !c.starts_with(&prefix) {
                prefix.pop();
            }
        }
        if prefix.chars().count() >= input.text.chars().count() {
            input.text = prefix;
            input.cursor = input.text.chars().count();
        }
    }
    input.completions = if candidates.len() > 1 {
        candidates
    } else {
        Vec::new()
    };
}

fn submit(app: &mut App) -> Vec<Effect> {
    let Some(Overlay::Input(input)) = app.overlay.take() else {
        return vec![];
    };
    let mut fx = vec![Effect::ClearScreen];
    let text = input.text.trim().to_string();
    let path = PathBuf::from(typed_path(&input.text));
    match input.purpose {
        InputPurpose::Prompt => app.params.prompt = input.text,
        InputPurpose::Negative => app.params.negative = input.text,
        InputPurpose::MaskPrompt => app.params.mask_prompt = input.text,
        InputPurpose::Cfg if text.is_empty() => {
            app.params.cfg_scale = None;
            app.set_status("cfg scale: the model's default");
        }
        InputPurpose::Cfg => match text.parse::<f32>() {
            Ok(c) if c.is_finite() && c > 0.0 => app.params.cfg_scale = Some(c),
            _ => app.set_error(format!("cfg scale {text:?}: expected a number such as 6.5")),
        },
        InputPurpose::Model => {
            app.params.model = (!text.is_empty()).then(|| text.clone());
        }
        InputPurpose::Seed => match text.parse::<u64>() {
            Ok(s) => {
                app.params.seed = s;
                app.params.seed_locked = true;
                app.set_status(format!("seed locked at {s}"));
            }
            Err(_) => app.set_error(format!("seed {text:?}: expected a whole number")),
        },
        _ if text.is_empty() => app.set_status("no file name given"),
        InputPurpose::Open => fx.push(Effect::OpenImage(path)),
        InputPurpose::StyleImage => fx.push(Effect::LoadStyleImage(path)),
        InputPurpose::LoadMask => {
            if let Some(d) = &app.doc {
                fx.push(Effect::LoadMask {
                    path,
                    width: d.mask.width(),
                    height: d.mask.height(),
                });
            }
        }
        InputPurpose::SaveMask => {
            if let Some(d) = &app.doc {
                fx.push(Effect::SaveMask {
                    path,
                    mask: (*d.mask).clone(),
                });
            }
        }
        InputPurpose::SaveResult => {
            if let (Some(r), Some(d)) = (app.selected_result(), &app.doc) {
                fx.push(Effect::SaveImage {
                    path,
                    image: r.image.clone(),
                    result: r.id,
                    metadata: d.metadata.clone(),
                });
            }
        }
    }
    fx
}
