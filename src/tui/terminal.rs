//! Terminal hygiene: raw mode and the alternate screen on the way in; restored on every
//! way out (normal exit, error, panic, SIGTERM/SIGHUP); crash reports to the log file.

use std::io::{self, BufWriter, Stdout, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

use crate::sync::lock;
use crossterm::cursor::Show;
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The console's terminal. Buffered so that a frame leaves in one write: over SSH a
/// redraw is one burst of packets and never shows half-drawn.
pub type Tui = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

/// Large enough for a full 160x48 frame with colours.
const FRAME_BUFFER_BYTES: usize = 256 * 1024;

static PANICKED: AtomicBool = AtomicBool::new(false);
static CRASH_LOG: Mutex<Option<PathBuf>> = Mutex::new(None);
static HOOK: Once = Once::new();

/// True once any thread panicked: the console stops instead of drawing over a
/// restored terminal.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Installs (once) the panic hook: restore the terminal, then write a crash report
/// to the log file, then let the default hook print the message on the normal screen.
pub fn install_panic_hook(log_file: Option<PathBuf>) {
    *lock(&CRASH_LOG) = log_file;
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            let _ = restore();
            let report = format!(
                "snapport crashed: {info}\nbacktrace:\n{}\n",
                std::backtrace::Backtrace::force_capture()
            );
            tracing::error!("{report}");
            if let Some(path) = CRASH_LOG.lock().ok().and_then(|p| p.clone()) {
                if let Ok(mut file) = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                {
                    let _ = file.write_all(report.as_bytes());
                }
                // Not eprintln!: with the terminal gone it would panic inside the hook.
                let _ = writeln!(
                    io::stderr(),
                    "snapport crashed; the report is in {}",
                    path.display()
                );
            }
            previous(info);
        }));
    });
}

/// Set while the console holds the terminal (raw mode, alternate screen).
static ENTERED: AtomicBool = AtomicBool::new(false);

/// Leaves raw mode and the alternate screen and shows the cursor, once: the panic hook
/// and then the guard's drop both restore, and leaving the alternate screen a second
/// time would move the cursor back to where the console started, so that the crash
/// message and the shell's prompt would be written over each other.
pub fn restore() -> io::Result<()> {
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    ratatui::try_restore()?;
    execute!(io::stdout(), Show)
}

/// Restores the terminal when dropped, whatever way the console ends.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        if let Err(err) = restore() {
            tracing::warn!(error = %err, "terminal restore failed (terminal gone?)");
        }
    }
}

/// Enters raw mode and the alternate screen.
pub fn enter() -> io::Result<(Tui, Guard)> {
    enable_raw_mode()?;
    ENTERED.store(true, Ordering::SeqCst);
    let guard = Guard;
    execute!(io::stdout(), EnterAlternateScreen)?;
    let terminal = Terminal::new(CrosstermBackend::new(BufWriter::with_capacity(
        FRAME_BUFFER_BYTES,
        io::stdout(),
    )))?;
    Ok((terminal, guard))
}

/// Makes sure raw mode is off even when `enter` failed half-way.
pub fn leave_raw_mode() {
    let _ = disable_raw_mode();
}
