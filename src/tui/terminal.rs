//! The real terminal: raw mode and the alternate screen behind a drop guard and the panic hook,
//! the graphics protocol probe, and the input thread.

use std::io::{self, Write};
use std::sync::Once;
use std::time::{Duration, Instant};

use crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui_image::picker::{Picker, ProtocolType};
use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;
use crate::cli::GraphicsMode;

/// How long the probe waits for the terminal's answers: a terminal answers within milliseconds,
/// so a silent one (tmux with no outer terminal) costs this much once; over SSH, longer.
fn probe_timeout() -> Duration {
    let remote = ["SSH_CONNECTION", "SSH_TTY"]
        .iter()
        .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()));
    Duration::from_millis(if remote { 1500 } else { 200 })
}

/// The terminal as the probe cache knows it: its name, program and version, and whether tmux or
/// SSH stands between.
pub fn terminal_key() -> String {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    format!(
        "{}|{}|{}|tmux={}|ssh={}",
        var("TERM"),
        var("TERM_PROGRAM"),
        var("TERM_PROGRAM_VERSION"),
        !var("TMUX").is_empty(),
        !var("SSH_CONNECTION").is_empty()
    )
}

/// The terminals that did not answer the probe, one key a line: the next start skips the probe
/// there (half blocks at once, instead of waiting for answers that never come).
fn silent(cache: &std::path::Path) -> Vec<String> {
    let limit = crate::image_io::files::ReadLimit {
        max_bytes: 64 << 10,
        max_stream_bytes: 64 << 10,
        raise: "delete the file (it only remembers which terminals did not answer)",
    };
    crate::image_io::files::read_text_if_exists(cache, limit)
        .ok()
        .flatten()
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

fn remember_silent(cache: &std::path::Path, key: &str) {
    let mut keys = silent(cache);
    if keys.iter().any(|k| k == key) {
        return;
    }
    keys.push(key.to_string());
    let start = keys.len().saturating_sub(50);
    let text = keys[start..].join("\n") + "\n";
    if let Some(dir) = cache.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = crate::image_io::write_atomic(cache, text.as_bytes(), true);
}

/// Restores the terminal when dropped, however the editor ends.
pub struct TerminalGuard(());

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves raw mode, mouse capture and the alternate screen; safe to call more than once.
pub fn restore() {
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

/// Makes a panic restore the terminal before the message is printed.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// Raw mode, the alternate screen, mouse and paste reporting.
pub fn enter() -> io::Result<TerminalGuard> {
    terminal::enable_raw_mode()?;
    let guard = TerminalGuard(());
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    )?;
    Ok(guard)
}

/// Chooses the image protocol. Must run after raw mode is on and before events are read (the
/// probe reads the terminal's answers from stdin). `cache` remembers the terminals that did not
/// answer, so that a start there takes no probe time.
pub fn picker(mode: GraphicsMode, cache: &std::path::Path) -> Picker {
    let forced = match mode {
        GraphicsMode::Auto => None,
        GraphicsMode::Halfblocks => return Picker::halfblocks(),
        GraphicsMode::Kitty => Some(ProtocolType::Kitty),
        GraphicsMode::Sixel => Some(ProtocolType::Sixel),
        GraphicsMode::Iterm2 => Some(ProtocolType::Iterm2),
    };
    let key = terminal_key();
    if forced.is_none() && silent(cache).contains(&key) {
        return Picker::halfblocks();
    }
    // The probe also measures the cell size in pixels, which a forced protocol still needs.
    let started = Instant::now();
    let timeout = probe_timeout();
    let options = ratatui_image::picker::cap_parser::QueryStdioOptions {
        timeout,
        ..Default::default()
    };
    let mut picker =
        Picker::from_query_stdio_with_options(options).unwrap_or_else(|_| Picker::halfblocks());
    if started.elapsed() >= timeout {
        remember_silent(cache, &key);
        // ratatui-image 11.1 leaves its reader thread blocked on stdin when the terminal does not
        // answer every query (tmux without an outer terminal): it would eat the first key. Ask for
        // a status report so it reads that answer instead, before our input thread starts.
        let mut out = io::stdout();
        let _ = out.write_all(b"\x1b[5n");
        let _ = out.flush();
        std::thread::sleep(Duration::from_millis(150));
    }
    if let Some(p) = forced {
        picker.set_protocol_type(p);
    }
    // kitty draws our pictures with Unicode placeholders, which came in kitty 0.28: an older
    // kitty shows boxes instead, so it gets half blocks
    if picker.protocol_type() == ProtocolType::Kitty
        && let Some(v) = ask_version().as_deref().and_then(kitty_version)
        && !has_placeholders(v)
    {
        picker.set_protocol_type(ProtocolType::Halfblocks);
    }
    picker
}

/// The terminal's name and version (XTVERSION), asked with a status report behind it that every
/// terminal answers, so that the reader ends whatever the terminal says. Before events are read.
fn ask_version() -> Option<String> {
    use std::io::Read;
    let mut out = io::stdout();
    out.write_all(b"\x1b[>0q\x1b[5n").ok()?;
    out.flush().ok()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        let stdin = io::stdin();
        let mut lock = stdin.lock();
        while got.len() < 1024 && lock.read(&mut byte).is_ok_and(|n| n == 1) {
            got.push(byte[0]);
            if got.ends_with(b"\x1b[0n") {
                break;
            }
        }
        let _ = tx.send(got);
    });
    rx.recv_timeout(Duration::from_millis(300))
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// kitty's version from an XTVERSION answer (`ESC P >| kitty(0.26.5) ESC \`).
pub fn kitty_version(answer: &str) -> Option<(u32, u32, u32)> {
    let start = answer.find("kitty(")? + "kitty(".len();
    let end = start + answer[start..].find(')')?;
    let mut parts = answer[start..end]
        .split('.')
        .map(|p| p.trim().parse::<u32>());
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some((major, minor, patch))
}

/// Whether a kitty of this version draws Unicode placeholders (0.28 and later).
pub fn has_placeholders(version: (u32, u32, u32)) -> bool {
    version >= (0, 28, 0)
}

/// Reads terminal events on a thread of its own and sends them to the event loop.
pub fn spawn_input(tx: UnboundedSender<Action>) {
    std::thread::spawn(move || {
        while let Ok(ev) = event::read() {
            if tx.send(Action::Term(ev)).is_err() {
                break;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_that_did_not_answer_is_remembered_once() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("data/silent-terminals");
        assert!(silent(&cache).is_empty());
        remember_silent(&cache, "xterm|||tmux=true|ssh=false");
        remember_silent(&cache, "xterm|||tmux=true|ssh=false");
        remember_silent(&cache, "foot|||tmux=false|ssh=false");
        assert_eq!(
            silent(&cache),
            ["xterm|||tmux=true|ssh=false", "foot|||tmux=false|ssh=false"]
        );
        assert!(terminal_key().contains("|tmux="));
    }

    #[test]
    fn a_kitty_without_placeholders_is_told_apart() {
        let v = kitty_version("\x1bP>|kitty(0.26.5)\x1b\\\x1b[0n").unwrap();
        assert_eq!(v, (0, 26, 5));
        assert!(
            !has_placeholders(v),
            "0.26 shows boxes: half blocks instead"
        );
        assert!(has_placeholders(kitty_version("kitty(0.28.0)").unwrap()));
        assert!(has_placeholders(kitty_version("kitty(0.39.1)").unwrap()));
        assert_eq!(kitty_version("XTerm(390)\x1b[0n"), None);
        assert_eq!(kitty_version("kitty(x.y)"), None);
    }
}
