//! The one footer line: what the last action did, if it says so, then key hints for the
//! current screen, from the key table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::tui::theme::Theme;

/// Draws the last action's report and the hints of the current screen.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let context = app.view().rows.context();
    let mut spans = Vec::new();
    if let Some(status) = &app.status {
        let style = if status.error { theme.danger } else { theme.ok };
        spans.push(Span::styled(format!("{}  ", status.text), style));
    }
    for binding in app.keymap.bindings(context) {
        let Some(hint) = binding.hint else { continue };
        let unavailable = binding.action.mutating() && app.info.read_only;
        let key_style = if unavailable {
            theme.muted
        } else {
            theme
                .muted
                .remove_modifier(Modifier::DIM)
                .add_modifier(Modifier::BOLD)
        };
        spans.push(Span::styled(
            format!("<{}>", app.keymap.label(binding.action)),
            key_style,
        ));
        spans.push(Span::styled(format!(" {hint}  "), theme.muted));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
