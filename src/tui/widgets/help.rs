//! The help overlay, generated from the key table and the command table (so overrides
//! show up in it): the current screen's keys and what its abbreviated column titles
//! count, the keys that work everywhere, then the other screens, the dialogs and the `:`
//! commands, in two columns when the terminal is wide enough for them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::app::commands::COMMANDS;
use crate::app::keymap::{Action, Context};
use crate::tui::theme::Theme;

use super::{centered, dialog};

/// A column narrower than this is not worth splitting the overlay for.
const MIN_COLUMN: u16 = 38;
/// At most this much of a column goes to the keys.
const MAX_KEYS: usize = 14;

/// One line of help: a heading, or keys (or a column title) with what they do.
enum Entry {
    Heading(&'static str),
    Keys {
        keys: String,
        text: String,
        unavailable: bool,
        /// Continue the text on further lines rather than cut it: a legend cut short
        /// explains nothing.
        wrap: bool,
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
        Context::Prompt,
    ];
    let mut order = vec![current, Context::Global];
    order.extend(all.into_iter().filter(|context| *context != current));
    order
}

/// The current screen's column titles that need explaining, with what they count.
fn legend(app: &App) -> Vec<Entry> {
    let explained: Vec<Entry> = app
        .view()
        .rows
        .columns()
        .iter()
        .filter_map(|column| {
            Some(Entry::Keys {
                keys: column.title.to_string(),
                text: column.about?.to_string(),
                unavailable: false,
                wrap: true,
            })
        })
        .collect();
    if explained.is_empty() {
        return explained;
    }
    let mut entries = vec![Entry::Heading("Columns")];
    entries.extend(explained);
    entries
}

fn entries(app: &App) -> Vec<Entry> {
    let mut entries = Vec::new();
    let current = app.view().rows.context();
    for context in contexts(current) {
        if context == Context::Global {
            entries.extend(legend(app));
        }
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
                wrap: false,
            });
        }
    }
    entries.push(Entry::Heading("Commands (:)"));
    for command in COMMANDS {
        entries.push(Entry::Keys {
            keys: command.usage(),
            text: command.help.to_string(),
            unavailable: false,
            wrap: false,
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

/// `text` in lines of at most `width` characters, broken between words.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(fit(word, width)),
        }
    }
    lines
}

/// The screen lines of one entry: one, or more for a wrapped text.
fn lines(entry: &Entry, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    match entry {
        Entry::Heading(title) => vec![Line::styled(fit(title, width), bold)],
        Entry::Keys {
            keys,
            text,
            unavailable,
            wrap: wraps,
        } => {
            let keys_width = MAX_KEYS.min(width / 3);
            let keys = format!("  {:<keys_width$} ", fit(keys, keys_width));
            let indent = keys.chars().count();
            let rest = width.saturating_sub(indent);
            if *wraps {
                return wrap(text, rest)
                    .into_iter()
                    .enumerate()
                    .map(|(at, part)| {
                        let lead = if at == 0 {
                            keys.clone()
                        } else {
                            " ".repeat(indent)
                        };
                        Line::from(vec![Span::styled(lead, bold), Span::raw(part)])
                    })
                    .collect();
            }
            let mut spans = vec![Span::styled(keys, bold)];
            if *unavailable {
                spans.push(Span::styled(
                    fit(&format!("{text} (read-only)"), rest),
                    theme.muted,
                ));
            } else {
                spans.push(Span::raw(fit(text, rest)));
            }
            vec![Line::from(spans)]
        }
    }
}

/// Draws the overlay, scrolled by `scroll` lines.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, scroll: u16) {
    let popup = centered(area, area.width.min(160), area.height);
    let inner = dialog(
        frame,
        popup,
        &format!(
            "Keys ({} scroll, {} close)",
            app.keymap.labels(&[Action::ScrollDown, Action::ScrollUp]),
            app.keymap.label(Action::Cancel)
        ),
        theme.selected.remove_modifier(Modifier::REVERSED),
    );
    let columns: u16 = if inner.width > 2 * MIN_COLUMN { 2 } else { 1 };
    let width = (inner.width + 1) / columns - 1;
    let height = usize::from(inner.height);
    let all: Vec<Line> = entries(app)
        .iter()
        .flat_map(|entry| lines(entry, usize::from(width), theme))
        .collect();
    let start = usize::from(scroll).min(all.len().saturating_sub(1));
    for column in 0..columns {
        let first = start + usize::from(column) * height;
        let lines: Vec<Line> = all.iter().skip(first).take(height).cloned().collect();
        let x = inner.x + column * (width + 1);
        frame.render_widget(Paragraph::new(lines), Rect { x, width, ..inner });
    }
}
