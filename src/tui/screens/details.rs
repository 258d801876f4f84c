//! The details pane: every field of the selected item, wrapped, scrollable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::app::keymap::Action;
use crate::app::{App, Pane};
use crate::tui::theme::Theme;

/// Draws the pane; its border shows whether it has the keyboard.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let focused = app.focus == Pane::Details;
    let border = if focused { theme.selected } else { theme.muted };
    let title = if focused {
        format!(
            " Details ({}: back to table) ",
            app.keymap.label(Action::Focus)
        )
    } else {
        " Details ".to_string()
    };
    let fields = app.details_lines();
    let width = fields
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0);
    let lines: Vec<Line> = if fields.is_empty() {
        vec![Line::styled("nothing selected", theme.muted)]
    } else {
        fields
            .into_iter()
            .map(|(label, value)| {
                let value_style = if label == "warning" {
                    theme.warning
                } else {
                    Style::new()
                };
                Line::from(vec![
                    Span::styled(
                        format!("{label:<width$} "),
                        Style::new().add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(value, value_style),
                ])
            })
            .collect()
    };
    let block = Block::bordered()
        .border_style(border)
        .title(Span::styled(title, border));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((app.details_scroll, 0)),
        area,
    );
}
