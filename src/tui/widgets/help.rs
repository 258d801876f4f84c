//! The help overlay, generated from the key table and the command table (so overrides
//! show up in it): the current screen's keys and the ones that work everywhere first,
//! then the other screens, the dialogs and the `:` commands, in two columns when the
//! terminal is wide enough for them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::app::commands::COMMANDS;
use crate::app::keymap::Context;
use crate::tui::theme::Theme;

use super::{centered, dialog};

/// A column narrower than this is not worth splitting the overlay for.
const MIN_COLUMN: u16 = 38;
/// At most this much of a column goes to the keys.
const MAX_KEYS: usize = 14;

/// One line of help: a heading, or keys with what they do.
enum Entry {
    Heading(&'static str),
    Keys {
        keys: String,
        text: String,
        unavailable: bool,
    },
}

/// The contexts in the order help shows them: the current screen, everywhere, the rest.
fn contexts(current: Context) -> Vec<Context> {
    let all = [
        Context::Hosts,
        Context::Volumes,
        Context::Snapshots,
        Context::Manageable,
        Context::ManageableVolumes,
        Context::ImportForm,
        Context::Dialog,
        Context::Choice,
    ];
    let mut order = vec![current, Context::Global];
    order.extend(all.into_iter().filter(|context| *context != current));
    order
}

fn entries(app: &App) -> Vec<Entry> {
    let mut entries = Vec::new();
    for context in contexts(app.view().rows.context()) {
        entries.push(Entry::Heading(context.title()));
        let own = app
            .keymap
            .all()
            .filter(|binding| binding.context == context);
        for binding in own {
            let keys: Vec<String> = app
                .keymap
                .keys_of(binding.action)
                .iter()
                .map(ToString::to_string)
                .collect();
            entries.push(Entry::Keys {
                keys: keys.join(", "),
                text: binding.description.to_string(),
                unavailable: binding.action.mutating() && app.info.read_only,
            });
        }
    }
    entries.push(Entry::Heading("Commands (:)"));
    for command in COMMANDS {
        entries.push(Entry::Keys {
            keys: command.usage(),
            text: command.help.to_string(),
            unavailable: false,
        });
    }
    entries
}

/// `text` cut to `width` characters, with an ellipsis when it was longer.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn line(entry: &Entry, width: usize, theme: &Theme) -> Line<'static> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    match entry {
        Entry::Heading(title) => Line::styled(fit(title, width), bold),
        Entry::Keys {
            keys,
            text,
            unavailable,
        } => {
            let keys_width = MAX_KEYS.min(width / 3);
            let keys = format!("  {:<keys_width$} ", fit(keys, keys_width));
            let rest = width.saturating_sub(keys.chars().count());
            let mut spans = vec![Span::styled(keys, bold)];
            if *unavailable {
                spans.push(Span::styled(
                    fit(&format!("{text} (read-only)"), rest),
                    theme.muted,
                ));
            } else {
                spans.push(Span::raw(fit(text, rest)));
            }
            Line::from(spans)
        }
    }
}

/// Draws the overlay, scrolled by `scroll` lines.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, scroll: u16) {
    let entries = entries(app);
    let popup = centered(area, area.width.min(160), area.height);
    let inner = dialog(
        frame,
        popup,
        "Keys (j/k scroll, esc close)",
        theme.selected.remove_modifier(Modifier::REVERSED),
    );
    let columns: u16 = if inner.width > 2 * MIN_COLUMN { 2 } else { 1 };
    let width = (inner.width + 1) / columns - 1;
    let height = usize::from(inner.height);
    let start = usize::from(scroll).min(entries.len().saturating_sub(1));
    for column in 0..columns {
        let first = start + usize::from(column) * height;
        let lines: Vec<Line> = entries
            .iter()
            .skip(first)
            .take(height)
            .map(|entry| line(entry, usize::from(width), theme))
            .collect();
        let x = inner.x + column * (width + 1);
        frame.render_widget(Paragraph::new(lines), Rect { x, width, ..inner });
    }
}
