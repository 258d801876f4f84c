//! The form that creates volumes from a snapshot: name, size, count, and how the
//! snapshot's driver makes them.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::create_form::{CreateField, CreateForm};
use crate::app::keymap::{Action, Keymap};
use crate::backend::side_effects::create_effect;
use crate::tui::theme::Theme;

use super::form::{explain, input_row};
use super::{centered, dialog};

/// Draws the form and puts the cursor in the focused field.
pub fn render(frame: &mut Frame, area: Rect, form: &CreateForm, keymap: &Keymap, theme: &Theme) {
    let width = area.width.saturating_sub(4).min(100);
    let title = format!("New volumes from snapshot {}", form.snapshot_label);
    let inner = dialog(
        frame,
        centered(area, width, 14),
        &title,
        theme.selected.remove_modifier(Modifier::REVERSED),
    );
    let row = |n: u16| Rect {
        y: inner.y + n,
        height: 1,
        ..inner
    };
    let fields = [
        (CreateField::Name, "Name", &form.name, 0),
        (CreateField::Size, "Size (GiB)", &form.size, 2),
        (CreateField::Count, "Count", &form.count, 4),
    ];
    for (field, label, input, y) in fields {
        input_row(frame, row(y), label, input, form.field == field, theme);
    }
    explain(
        frame,
        "several volumes are named NAME-1, NAME-2, …",
        theme.muted,
        row(1),
    );
    explain(
        frame,
        &format!("at least the snapshot's {} GiB", form.snapshot_size),
        theme.muted,
        row(3),
    );
    frame.render_widget(
        Paragraph::new(Line::styled(create_effect(&form.driver), theme.warning))
            .wrap(Wrap { trim: true }),
        Rect {
            y: inner.y + 6,
            height: 2,
            ..inner
        },
    );
    if let Some(error) = &form.error {
        frame.render_widget(
            Paragraph::new(Line::styled(error.clone(), theme.danger)),
            row(8),
        );
    }
    let key = |action| keymap.label(action);
    let footer = format!(
        "{}/{}: field   {}: review   {}: cancel",
        key(Action::NextField),
        key(Action::PreviousField),
        key(Action::Confirm),
        key(Action::Cancel)
    );
    frame.render_widget(
        Paragraph::new(Line::styled(footer, theme.muted)),
        row(inner.height.saturating_sub(1)),
    );
}
