//! TUI tests (snapshots, update logic, tmux end-to-end).
