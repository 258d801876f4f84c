//! The back-end switcher: the named back ends, the open one marked, and the one being
//! opened with a spinner.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::app::keymap::{Action, Keymap};
use crate::app::switcher::Switcher;
use crate::tui::theme::Theme;
use crate::tui::widgets::confirm::split_last;
use crate::tui::widgets::header::spinner;

use super::{centered, dialog};

/// Draws the switcher.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    switcher: &Switcher,
    read_only: bool,
    keymap: &Keymap,
    theme: &Theme,
    tick: usize,
) {
    let name_width = switcher
        .choices
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = switcher
        .choices
        .iter()
        .enumerate()
        .map(|(index, choice)| {
            let open = if index == switcher.current {
                "  (open)"
            } else {
                ""
            };
            let text = format!(
                "{} {:<name_width$}  {}{open}",
                if index == switcher.current { "*" } else { " " },
                choice.name,
                choice.about
            );
            if index == switcher.selected {
                Line::styled(text, theme.selected)
            } else {
                Line::raw(text)
            }
        })
        .collect();
    lines.push(Line::raw(""));
    if read_only {
        lines.push(Line::styled(
            "This session is read-only: every back end opens read-only.",
            theme.readonly,
        ));
    }
    let status = match &switcher.connecting {
        Some((_, name)) => Line::styled(
            format!(
                "{} opening '{name}'…  ({}: stop waiting)",
                spinner(tick),
                keymap.label(Action::Cancel)
            ),
            theme.warning,
        ),
        None => Line::styled(
            format!(
                "{}  :backend CLOUD opens a clouds.yaml cloud",
                keymap.hints(&[(&[Action::Confirm], "open"), (&[Action::Cancel], "close")])
            ),
            theme.muted,
        ),
    };
    let width = area.width.saturating_sub(4).min(90);
    let height = lines.len() as u16 + 3;
    let inner = dialog(
        frame,
        centered(area, width, height),
        "Back ends",
        theme.selected.remove_modifier(Modifier::REVERSED),
    );
    let [body, last] = split_last(inner);
    frame.render_widget(Paragraph::new(lines), body);
    frame.render_widget(Paragraph::new(status), last);
}
