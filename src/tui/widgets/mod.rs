//! Building blocks of the console's screens: the table, dialogs, the import form, the
//! filter bar, help, header, footer and the back-end switcher.

pub mod confirm;
pub mod create_form;
pub mod filter;
pub mod footer;
pub mod form;
pub mod header;
pub mod help;
pub mod switcher;
pub mod table;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

/// A centred area of at most `width`×`height` inside `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// Clears `area` and draws a titled dialog frame; returns the inside.
pub fn dialog(frame: &mut Frame, area: Rect, title: &str, border: Style) -> Rect {
    let block = Block::bordered()
        .border_type(BorderType::Plain)
        .border_style(border)
        .title(Span::styled(
            format!(" {title} "),
            border.add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    inner
}

/// How many rows `lines` take when a paragraph wraps them by words at `width`. A count
/// by characters would fall short when long words (ids, LV names) move to the next
/// row, and the dialog would cut off its last lines.
pub fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let rows = Paragraph::new(lines.to_vec())
        .wrap(Wrap { trim: false })
        .line_count(width.max(1));
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// A one-line text input with its cursor: the visible slice and the cursor column.
/// Inputs without focus show their beginning.
pub fn input_view(input: &tui_input::Input, width: u16, focused: bool) -> (String, u16) {
    let width = usize::from(width.max(1));
    let scroll = if focused {
        input.visual_scroll(width.saturating_sub(1))
    } else {
        0
    };
    let text: String = input.value().chars().skip(scroll).take(width).collect();
    let cursor = input.visual_cursor().saturating_sub(scroll) as u16;
    (text, cursor)
}
