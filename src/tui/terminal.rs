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

/// ratatui-image's probe gives up after 2 s; a probe this slow timed out.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1900);

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
/// probe reads the terminal's answers from stdin).
pub fn picker(mode: GraphicsMode) -> Picker {
    let forced = match mode {
        GraphicsMode::Auto => None,
        GraphicsMode::Halfblocks => return Picker::halfblocks(),
        GraphicsMode::Kitty => Some(ProtocolType::Kitty),
        GraphicsMode::Sixel => Some(ProtocolType::Sixel),
        GraphicsMode::Iterm2 => Some(ProtocolType::Iterm2),
    };
    // The probe also measures the cell size in pixels, which a forced protocol still needs.
    let started = Instant::now();
    let mut picker = Picker::from_query_stdio().unwrap_or_else(|_| Picker::halfblocks());
    if started.elapsed() >= PROBE_TIMEOUT {
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
    picker
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
