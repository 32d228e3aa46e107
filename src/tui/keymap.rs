//! The one keymap table: keys to commands, and the help overlay generated from it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Command;

/// One key binding.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub key: KeyCode,
    /// Control held (never Shift or Alt alone).
    pub ctrl: bool,
    pub command: Command,
}

const fn k(c: char, command: Command) -> Binding {
    Binding {
        key: KeyCode::Char(c),
        ctrl: false,
        command,
    }
}
const fn ctrl(c: char, command: Command) -> Binding {
    Binding {
        key: KeyCode::Char(c),
        ctrl: true,
        command,
    }
}
const fn key(key: KeyCode, command: Command) -> Binding {
    Binding {
        key,
        ctrl: false,
        command,
    }
}
const fn ctrl_key(key: KeyCode, command: Command) -> Binding {
    Binding {
        key,
        ctrl: true,
        command,
    }
}

use Command as C;

/// Every binding; the help overlay lists them in this order, grouped by [`group`].
pub static KEYMAP: &[Binding] = &[
    k('r', C::ToolRect),
    k('l', C::ToolPolygon),
    k('e', C::ToolEllipse),
    k('b', C::ToolBrush),
    k('x', C::ToolEraser),
    k('O', C::ToolObject),
    k('4', C::ToolObject),
    k('W', C::ToolWand),
    k('5', C::ToolWand),
    k(']', C::BrushBigger),
    k('[', C::BrushSmaller),
    key(KeyCode::Backspace, C::PolygonBack),
    k('i', C::InvertMask),
    k('g', C::GrowMask),
    k('h', C::ShrinkMask),
    k('c', C::ClearMask),
    k('m', C::LoadMask),
    k('w', C::SaveMask),
    k('u', C::Undo),
    ctrl('z', C::Undo),
    k('y', C::Redo),
    ctrl('y', C::Redo),
    k('=', C::ZoomIn),
    k('+', C::ZoomIn),
    k('-', C::ZoomOut),
    k('0', C::ZoomFit),
    k('1', C::ZoomActual),
    key(KeyCode::Left, C::PanLeft),
    key(KeyCode::Right, C::PanRight),
    key(KeyCode::Up, C::PanUp),
    key(KeyCode::Down, C::PanDown),
    key(KeyCode::Tab, C::NextMode),
    ctrl_key(KeyCode::Left, C::ExtendLeft),
    ctrl_key(KeyCode::Up, C::ExtendTop),
    ctrl_key(KeyCode::Right, C::ExtendRight),
    ctrl_key(KeyCode::Down, C::ExtendBottom),
    k('z', C::ResetExtend),
    k('p', C::EditPrompt),
    k('n', C::EditNegative),
    k('j', C::EditMaskPrompt),
    k('/', C::EditCfg),
    k('\\', C::ToggleQuality),
    k('`', C::EditModel),
    k('a', C::MoreImages),
    k('f', C::SeedLock),
    k(';', C::EditSeed),
    k('t', C::PickEngine),
    key(KeyCode::Enter, C::Run),
    key(KeyCode::F(5), C::Run),
    key(KeyCode::Esc, C::Cancel),
    k('.', C::NextResult),
    k(',', C::PrevResult),
    k('v', C::ViewResult),
    k(' ', C::Compare),
    k('s', C::SaveResult),
    k('k', C::UseResult),
    k('d', C::DeleteResult),
    key(KeyCode::Delete, C::DeleteResult),
    k('o', C::Open),
    k('?', C::Help),
    key(KeyCode::F(1), C::Help),
    k('\'', C::Messages),
    k('2', C::MaskView),
    k('3', C::Feather),
    key(KeyCode::F(2), C::Messages),
    k('q', C::Quit),
    ctrl('c', C::Quit),
];

/// The command bound to a key event, if any. Shift is ignored (`?` arrives with it on most
/// layouts); Alt chords are never bound.
pub fn lookup(ev: &KeyEvent) -> Option<Command> {
    if ev.modifiers.contains(KeyModifiers::ALT) {
        return None;
    }
    let want_ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    let code = match ev.code {
        KeyCode::Char(c) if want_ctrl => KeyCode::Char(c.to_ascii_lowercase()),
        other => other,
    };
    KEYMAP
        .iter()
        .find(|b| b.key == code && b.ctrl == want_ctrl)
        .map(|b| b.command)
}

impl Command {
    /// Every command, in help order.
    pub fn all() -> Vec<Command> {
        let mut seen = Vec::new();
        for b in KEYMAP {
            if !seen.contains(&b.command) {
                seen.push(b.command);
            }
        }
        seen
    }

    /// The name a config file would use (snake_case).
    pub fn name(self) -> &'static str {
        self.info().0
    }

    /// What the command does, for the help overlay.
    pub fn describe(self) -> &'static str {
        self.info().1
    }

    /// The help overlay's section.
    pub fn group(self) -> &'static str {
        self.info().2
    }

    fn info(self) -> (&'static str, &'static str, &'static str) {
        match self {
            C::ToolRect => ("tool_rect", "rectangle tool (drag)", "Tools"),
            C::ToolPolygon => (
                "tool_polygon",
                "polygon (click vertices; Enter/first vertex closes)",
                "Tools",
            ),
            C::ToolEllipse => ("tool_ellipse", "ellipse tool (drag)", "Tools"),
            C::ToolBrush => ("tool_brush", "brush (drag to paint)", "Tools"),
            C::ToolEraser => ("tool_eraser", "eraser (drag to unpaint)", "Tools"),
            C::ToolObject => (
                "tool_object",
                "object: drag a loose box, the selection snaps to it",
                "Tools",
            ),
            C::ToolWand => (
                "tool_wand",
                "wand: click a colour; again: all similar / connected",
                "Tools",
            ),
            C::BrushBigger => (
                "brush_bigger",
                "larger brush (wand: more tolerance, live)",
                "Tools",
            ),
            C::BrushSmaller => (
                "brush_smaller",
                "smaller brush (wand: less tolerance, live)",
                "Tools",
            ),
            C::PolygonBack => ("polygon_back", "remove the last polygon vertex", "Tools"),
            C::InvertMask => ("invert_mask", "invert the mask", "Mask"),
            C::GrowMask => ("grow_mask", "grow the mask by 4 px", "Mask"),
            C::ShrinkMask => ("shrink_mask", "shrink the mask by 4 px", "Mask"),
            C::ClearMask => ("clear_mask", "clear the mask", "Mask"),
            C::LoadMask => ("load_mask", "load a mask PNG", "Mask"),
            C::SaveMask => ("save_mask", "save the mask as PNG", "Mask"),
            C::Undo => ("undo", "undo (mask and results)", "Mask"),
            C::Redo => ("redo", "redo", "Mask"),
            C::ZoomIn => ("zoom_in", "zoom in (or mouse wheel)", "View"),
            C::ZoomOut => ("zoom_out", "zoom out", "View"),
            C::ZoomFit => ("zoom_fit", "fit the image", "View"),
            C::ZoomActual => (
                "zoom_actual",
                "actual pixels (100%: one image pixel per screen pixel)",
                "View",
            ),
            C::PanLeft => ("pan_left", "pan left (or middle/right drag)", "View"),
            C::PanRight => ("pan_right", "pan right", "View"),
            C::PanUp => ("pan_up", "pan up", "View"),
            C::PanDown => ("pan_down", "pan down", "View"),
            C::NextMode => (
                "next_mode",
                "cycle the mode (inpaint, erase, outpaint ... remove-background)",
                "Generation",
            ),
            C::ExtendLeft => (
                "extend_left",
                "outpaint: extend left by 5% (or the panel's +L: on macOS Ctrl+arrows may switch desktops)",
                "Generation",
            ),
            C::ExtendTop => (
                "extend_top",
                "outpaint: extend top by 5% (or the panel's +T: on macOS Ctrl+arrows may switch desktops)",
                "Generation",
            ),
            C::ExtendRight => (
                "extend_right",
                "outpaint: extend right by 5% (or the panel's +R: on macOS Ctrl+arrows may switch desktops)",
                "Generation",
            ),
            C::ExtendBottom => (
                "extend_bottom",
                "outpaint: extend bottom by 5% (or the panel's +B: on macOS Ctrl+arrows may switch desktops)",
                "Generation",
            ),
            C::ResetExtend => ("reset_extend", "outpaint: no extension", "Generation"),
            C::EditPrompt => ("edit_prompt", "edit the prompt", "Generation"),
            C::EditNegative => ("edit_negative", "edit the negative prompt", "Generation"),
            C::EditMaskPrompt => (
                "edit_mask_prompt",
                "mask prompt: let the model find the region; recolor: what to recolour",
                "Generation",
            ),
            C::EditCfg => (
                "edit_cfg",
                "cfg scale (empty = the model's default)",
                "Generation",
            ),
            C::ToggleQuality => ("toggle_quality", "quality standard / premium", "Generation"),
            C::EditModel => (
                "edit_model",
                "model id (empty = the engine's default)",
                "Generation",
            ),
            C::MoreImages => (
                "more_images",
                "number of images (1..5, cycles)",
                "Generation",
            ),
            C::SeedLock => (
                "seed_lock",
                "lock the seed / use a random seed",
                "Generation",
            ),
            C::EditSeed => ("edit_seed", "type a seed (locks it)", "Generation"),
            C::PickEngine => ("pick_engine", "choose the engine", "Generation"),
            C::Run => ("run", "run (closes a polygon first)", "Generation"),
            C::Cancel => ("cancel", "cancel the job, polygon or popup", "Generation"),
            C::NextResult => ("next_result", "next result", "Results"),
            C::PrevResult => ("prev_result", "previous result", "Results"),
            C::ViewResult => (
                "view_result",
                "show the result large / back to editing",
                "Results",
            ),
            C::Compare => ("compare", "compare with the original (toggle)", "Results"),
            C::SaveResult => (
                "save_result",
                "save the result (asks for a file name)",
                "Results",
            ),
            C::UseResult => ("use_result", "use the result as the new source", "Results"),
            C::DeleteResult => ("delete_result", "delete the result", "Results"),
            C::Open => ("open", "open another image (Tab completes)", "File"),
            C::Help => ("help", "this help (click a line to run it)", "File"),
            C::Feather => (
                "feather",
                "soft edge on the selection: none, 4, 8, 16, 32 px, the mode's own",
                "Mask",
            ),
            C::MaskView => (
                "mask_view",
                "the mask alone, black and white (white = change); again to go back",
                "View",
            ),
            C::Messages => (
                "messages",
                "the session's messages in full (also F2)",
                "File",
            ),
            C::Quit => ("quit", "quit (asks when results are unsaved)", "File"),
        }
    }

    /// The keys bound to the command, as the help shows them.
    pub fn keys(self) -> String {
        KEYMAP
            .iter()
            .filter(|b| b.command == self)
            .map(key_name)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn key_name(b: &Binding) -> String {
    let base = match b.key {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::Backspace => "Bksp".into(),
        KeyCode::Delete => "Del".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if b.ctrl { format!("C-{base}") } else { base }
}

/// The help overlay's lines: a section title (no command) or a command with its keys.
pub fn help_lines() -> Vec<(Option<Command>, String)> {
    let mut out = Vec::new();
    let mut group = "";
    for c in Command::all() {
        if c.group() != group {
            group = c.group();
            out.push((None, group.to_string()));
        }
        out.push((Some(c), format!("{:<12} {}", c.keys(), c.describe())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_a_key_and_no_key_is_bound_twice() {
        for (i, a) in KEYMAP.iter().enumerate() {
            assert!(
                KEYMAP[i + 1..]
                    .iter()
                    .all(|b| (a.key, a.ctrl) != (b.key, b.ctrl)),
                "{:?} bound twice",
                a.key
            );
        }
        let names: Vec<&str> = Command::all().iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), 57);
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
    }

    #[test]
    fn shift_is_ignored_and_alt_never_binds() {
        let q = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(lookup(&q), Some(Command::Help));
        let alt = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::ALT);
        assert_eq!(lookup(&alt), None);
        let cz = KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&cz), Some(Command::Undo));
    }
}
