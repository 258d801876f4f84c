//! The filter bar and command line: a typed line in place of the footer.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::keymap::{Action, Keymap};
use crate::app::{Prompt, PromptKind};
use crate::tui::theme::Theme;

use super::input_view;

/// Draws the prompt and puts the cursor in it.
pub fn render(frame: &mut Frame, area: Rect, prompt: &Prompt, keymap: &Keymap, theme: &Theme) {
    let (confirm, cancel) = (keymap.label(Action::Confirm), keymap.label(Action::Cancel));
    let (lead, hint) = match prompt.kind {
        PromptKind::Filter => ("/", format!("  {confirm} keep · {cancel} clear")),
        PromptKind::Command => (":", format!("  {confirm} run · {cancel} cancel")),
    };
    let room = area.width.saturating_sub(1 + hint.len() as u16);
    let (text, cursor) = input_view(&prompt.input, room, true);
    let line = Line::from(vec![
        Span::styled(lead, theme.marked.add_modifier(Modifier::BOLD)),
        Span::raw(format!("{text:<width$}", width = usize::from(room))),
        Span::styled(hint, theme.muted),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    frame.set_cursor_position(Position::new(area.x + 1 + cursor, area.y));
}
