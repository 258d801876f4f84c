//! The console: the only module that knows about terminals. It reads keys, feeds
//! `app::update`, hands effects to the worker and draws when something changed.

mod osc52;
pub mod screens;
pub mod terminal;
pub mod theme;
pub mod widgets;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{
    Event, EventStream, KeyCode as TermKey, KeyEvent, KeyEventKind, KeyModifiers,
};
use futures::StreamExt;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use tokio::signal::unix::{SignalKind, signal};

use crate::app::keymap::{Key, KeyCode, Keymap};
use crate::app::msg::{Effect, Msg};
use crate::app::{App, Modal, NamedBackend, Session, update};
use crate::backend::Backend;
use crate::config::ConfigFile;
use crate::connect::Directory;
use crate::pause::TestPanic;
use crate::worker::Worker;

use self::theme::Theme;

/// How the console looks and which keys it uses.
#[derive(Debug, Clone, Default)]
pub struct ConsoleOptions {
    /// A built-in theme name or a theme file.
    pub theme: Option<String>,
    /// Key overrides: action name → keys.
    pub keys: BTreeMap<String, String>,
    /// No colours at all.
    pub no_color: bool,
    /// Where crash reports go.
    pub log_file: Option<PathBuf>,
    /// The back ends the switcher and the migration wizard can open by name.
    pub directory: Option<Directory>,
}

impl ConsoleOptions {
    /// Options with `NO_COLOR` taken from the environment.
    pub fn new(
        theme: Option<String>,
        keys: BTreeMap<String, String>,
        log_file: Option<PathBuf>,
        directory: Option<Directory>,
    ) -> Self {
        Self {
            theme,
            keys,
            no_color: theme::no_color_requested(),
            log_file,
            directory,
        }
    }

    /// How often lists with rows in flux refresh: the config file's `refresh_seconds`,
    /// else its default.
    fn auto_refresh(&self) -> Option<Duration> {
        match &self.directory {
            Some(directory) => directory.config.refresh_interval(),
            None => ConfigFile::default().refresh_interval(),
        }
    }

    /// What the console's state knows of the back ends reachable by name.
    fn session(&self) -> Session {
        let Some(directory) = &self.directory else {
            return Session::default();
        };
        Session {
            current: directory.current.clone(),
            backends: directory
                .config
                .backends
                .iter()
                .map(|(name, spec)| NamedBackend {
                    name: name.clone(),
                    about: spec.describe(),
                })
                .collect(),
            migrations_dir: directory.migrations_dir(),
            command: directory.command(),
        }
    }

    /// The keymap and theme, or a clear error before the screen is taken over.
    pub fn prepare(&self) -> anyhow::Result<(Keymap, Theme)> {
        let keymap = Keymap::with_overrides(&self.keys)?;
        let theme = Theme::load(self.theme.as_deref(), self.no_color)?;
        Ok((keymap, theme))
    }
}

/// Converts a terminal key press; `None` for keys the console does not use.
fn key(event: KeyEvent) -> Option<Key> {
    let code = match event.code {
        TermKey::Char(c) => KeyCode::Char(c),
        TermKey::Enter => KeyCode::Enter,
        TermKey::Esc => KeyCode::Esc,
        TermKey::Tab => KeyCode::Tab,
        TermKey::BackTab => KeyCode::BackTab,
        TermKey::Backspace => KeyCode::Backspace,
        TermKey::Delete => KeyCode::Delete,
        TermKey::Up => KeyCode::Up,
        TermKey::Down => KeyCode::Down,
        TermKey::Left => KeyCode::Left,
        TermKey::Right => KeyCode::Right,
        TermKey::Home => KeyCode::Home,
        TermKey::End => KeyCode::End,
        TermKey::PageUp => KeyCode::PageUp,
        TermKey::PageDown => KeyCode::PageDown,
        _ => return None,
    };
    Some(Key {
        code,
        ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
        alt: event.modifiers.contains(KeyModifiers::ALT),
    })
}

/// Draws the whole screen from the state: header, table (and details), footer, dialog.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    widgets::header::render(frame, header, app, theme);
    if app.details {
        let split = if app.details_beside() {
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
        } else {
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
        };
        let [table, details] = split.areas(body);
        screens::render(frame, table, app, theme);
        screens::details::render(frame, details, app, theme);
    } else {
        screens::render(frame, body, app, theme);
    }
    match &app.prompt {
        Some(prompt) => widgets::filter::render(frame, footer, prompt, &app.keymap, theme),
        None => widgets::footer::render(frame, footer, app, theme),
    }
    let area = frame.area();
    match &app.modal {
        None => {}
        Some(Modal::Help { scroll }) => widgets::help::render(frame, area, app, theme, *scroll),
        Some(Modal::Notice(notice)) => {
            widgets::confirm::notice(frame, area, notice, &app.keymap, theme)
        }
        Some(Modal::ImportForm(form)) => {
            widgets::form::render(frame, area, form, &app.keymap, theme)
        }
        Some(Modal::CreateForm(form)) => {
            widgets::create_form::render(frame, area, form, &app.keymap, theme)
        }
        Some(Modal::Confirm(confirm)) => {
            widgets::confirm::confirm(frame, area, confirm, &app.keymap, theme)
        }
        Some(Modal::Job(job)) => {
            widgets::confirm::job(frame, area, job, &app.keymap, theme, app.spinner)
        }
        Some(Modal::Switcher(switcher)) => widgets::switcher::render(
            frame,
            area,
            switcher,
            app.info.read_only,
            &app.keymap,
            theme,
            app.spinner,
        ),
        Some(Modal::Migrate(wizard)) => {
            screens::migrate::render(frame, area, wizard, &app.keymap, theme, app.spinner)
        }
    }
}

/// How often spinners move while work is in flight.
const TICK: Duration = Duration::from_millis(120);

/// The next tick of the auto-refresh timer; never when it is off.
async fn next(timer: &mut Option<tokio::time::Interval>) {
    match timer {
        Some(timer) => {
            timer.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Runs the console on `backend` until the operator quits or a signal asks to stop.
pub async fn run(backend: Arc<dyn Backend>, options: ConsoleOptions) -> anyhow::Result<()> {
    let (keymap, theme) = options.prepare()?;
    let mut app = App::new(backend.info(), keymap);
    app.session = options.session();
    app.auto_refresh = options.auto_refresh();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(backend, options.directory.clone(), tx);
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut hangup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    terminal::install_panic_hook(options.log_file.clone());
    let test_panic = TestPanic::from_env();
    let (mut tui, _guard) = terminal::enter()
        .inspect_err(|_| terminal::leave_raw_mode())
        .context("starting the console")?;
    let size = tui.size().context("reading the terminal size")?;
    let apply = |app: &mut App, tui: &mut terminal::Tui, msg: Msg| -> anyhow::Result<()> {
        for effect in update(app, msg) {
            match effect {
                Effect::Copy { text } => {
                    osc52::copy(tui.backend_mut(), &text).context("copying (terminal gone?)")?
                }
                effect => worker.run(effect),
            }
        }
        Ok(())
    };
    apply(
        &mut app,
        &mut tui,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    )?;
    apply(&mut app, &mut tui, Msg::Start)?;
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    let mut refresh = app.auto_refresh.map(|every| {
        let mut refresh = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        refresh
    });
    let mut dirty = true;
    loop {
        if dirty {
            tui.draw(|frame| draw(frame, &app, &theme))
                .context("drawing (terminal gone?)")?;
            dirty = false;
            TestPanic::check(test_panic, TestPanic::OnStart);
        }
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(event))) if event.kind == KeyEventKind::Press => {
                    TestPanic::check(test_panic, TestPanic::OnKey);
                    if let Some(key) = key(event) {
                        apply(&mut app, &mut tui, Msg::Key(key))?;
                        dirty = true;
                    }
                }
                Some(Ok(Event::Resize(width, height))) => {
                    apply(&mut app, &mut tui, Msg::Resize { width, height })?;
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err).context("reading the terminal"),
                None => break,
            },
            Some(reply) = rx.recv() => {
                apply(&mut app, &mut tui, Msg::Reply(reply))?;
                while let Ok(reply) = rx.try_recv() {
                    apply(&mut app, &mut tui, Msg::Reply(reply))?;
                }
                dirty = true;
            }
            () = next(&mut refresh) => {
                apply(&mut app, &mut tui, Msg::Refresh)?;
                dirty = true;
            }
            _ = tick.tick() => {
                if terminal::panicked() {
                    anyhow::bail!("internal error: a task panicked (see the log file)");
                }
                if app.busy() {
                    apply(&mut app, &mut tui, Msg::Tick)?;
                    dirty = true;
                }
            }
            _ = terminate.recv() => {
                tracing::info!("SIGTERM: leaving the console");
                break;
            }
            _ = hangup.recv() => {
                tracing::info!("SIGHUP: terminal closed, leaving the console");
                break;
            }
        }
        if app.quit {
            break;
        }
    }
    worker.wind_down().await;
    if tui.show_cursor().is_err() {
        // The terminal is gone (SIGHUP, closed SSH): ratatui's drop would report the
        // failed cursor restore on stderr, which panics when stderr is gone too.
        std::mem::forget(tui);
    }
    Ok(())
}
