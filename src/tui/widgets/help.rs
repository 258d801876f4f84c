//! The help overlay, generated from the key table (so overrides show up in it).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::tui::theme::Theme;

use super::{centered, dialog};

/// Keys of dialogs and prompts, which the key table does not cover.
const DIALOG_KEYS: &[(&str, &str)] = &[
    (
        "tab, left, right",
        "dialogs: switch between Cancel and the action",
    ),
    (
        "enter",
        "dialogs: press the focused button (focus starts on Cancel)",
    ),
    ("esc", "dialogs, filter, command: cancel"),
    ("j, k, pgup, pgdn", "confirmations: scroll the items"),
    ("tab, shift-tab", "import form: next / previous field"),
    ("ctrl-n, ctrl-p", "import form: next / previous snapshot"),
];

/// The help text's lines.
pub fn lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = Vec::new();
    let mut context = None;
    for binding in app.keymap.all() {
        if context != Some(binding.context) {
            context = Some(binding.context);
            lines.push(Line::styled(binding.context.title().to_string(), bold));
        }
        let keys: Vec<String> = app
            .keymap
            .keys_of(binding.action)
            .iter()
            .map(ToString::to_string)
            .collect();
        let mut spans = vec![
            Span::styled(format!("  {:<16} ", keys.join(", ")), bold),
            Span::raw(binding.description.to_string()),
        ];
        if binding.action.mutating() && app.info.read_only {
            spans.push(Span::styled(" (unavailable: read-only)", theme.muted));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::styled("Dialogs", bold));
    for (keys, description) in DIALOG_KEYS {
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<16} "), bold),
            Span::raw(description.to_string()),
        ]));
    }
    lines
}

/// Draws the overlay.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, scroll: u16) {
    let lines = lines(app, theme);
    let popup = centered(area, 84, lines.len() as u16 + 2);
    let inner = dialog(
        frame,
        popup,
        "Keys (j/k scroll, esc close)",
        theme.selected.remove_modifier(Modifier::REVERSED),
    );
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
}
