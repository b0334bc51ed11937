//! ops, part @K@: the process, the terminal, metrics and time.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use sysinfo::SystemExt;

/// Total memory in bytes, as sysinfo reads it.
pub fn memory() -> u64 {
    let mut sys = sysinfo::System::new();
    sys.refresh_memory();
    sys.total_memory()
}

/// This process's id, through nix.
pub fn pid() -> i32 {
    nix::unistd::getpid().as_raw()
}

/// A flag raised by SIGUSR1 or SIGUSR2 (odd parts).
pub fn on_signal() -> std::io::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let sig = [signal_hook::consts::SIGUSR1, signal_hook::consts::SIGUSR2][@K@ % 2];
    signal_hook::flag::register(sig, Arc::clone(&flag))?;
    Ok(flag)
}

/// Whether the flag was raised.
pub fn raised(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Relaxed)
}

/// A counter for part @K@.
pub fn counter() -> prometheus::Result<prometheus::IntCounter> {
    prometheus::IntCounter::new("ops_part_@K@_total", "events of part @K@")
}

/// A progress bar that draws nowhere.
pub fn bar(n: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::hidden();
    bar.set_length(n);
    bar
}

/// Bold text for the terminal.
pub fn bold(s: &str) -> String {
    console::style(s).bold().to_string()
}

/// A duration for people.
pub fn human(secs: u64) -> String {
    humantime::format_duration(Duration::from_secs(secs)).to_string()
}

/// The epoch in RFC 3339.
pub fn epoch() -> Result<String, time::error::Format> {
    time::OffsetDateTime::UNIX_EPOCH.format(&time::format_description::well_known::Rfc3339)
}

/// How deep the stack is here.
pub fn depth() -> usize {
    backtrace::Backtrace::new().frames().len()
}

/// Two halves of a terminal.
pub fn halves() -> Vec<tui::layout::Rect> {
    use tui::layout::{Constraint, Layout, Rect};
    Layout::default()
        .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
        .split(Rect::new(0, 0, 80, 24))
}

/// The terminal's size, if there is one.
pub fn term_size() -> Option<(u16, u16)> {
    crossterm::terminal::size().ok()
}

/// The watcher's mode and a prompt theme, to show they are there.
pub fn watch_mode() -> (notify::RecursiveMode, String) {
    let theme = dialoguer::theme::ColorfulTheme::default();
    (notify::RecursiveMode::Recursive, theme.prompt_prefix.to_string())
}

/// The C library, opened at run time.
pub fn libc_loaded() -> bool {
    unsafe { libloading::Library::new("libc.so.6") }.is_ok()
}

/// A line editor's configuration.
pub fn editor_config() -> rustyline::Config {
    rustyline::Config::builder().max_history_size(@K@ + 10).build()
}

/// A Ctrl-C handler would be installed here (once per process).
pub fn ctrlc_error() -> String {
    ctrlc::Error::MultipleHandlers.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process() {
        assert!(memory() > 0);
        assert!(pid() > 0);
        let flag = on_signal().unwrap();
        assert!(!raised(&flag));
        counter().unwrap().inc();
        assert_eq!(bar(5).length(), Some(5));
    }

    #[test]
    fn text() {
        assert!(bold("x").contains('x'));
        assert_eq!(human(61), "1m 1s");
        assert_eq!(epoch().unwrap(), "1970-01-01T00:00:00Z");
        assert!(depth() > 0);
        assert_eq!(halves().len(), 2);
        let _ = (term_size(), watch_mode(), libc_loaded(), editor_config(), ctrlc_error());
    }
}
