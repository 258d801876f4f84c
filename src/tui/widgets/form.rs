//! The import form: one page per back-end snapshot or volume, with tui-input fields;
//! snapshots also show their parent volume, which the operator picks when the back end
//! does not tell it, volumes the host they go to.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::form::{Field, FormTarget, ImportForm, Parent, Source};
use crate::app::keymap::{Action, Context, Keymap};
use crate::tui::theme::Theme;

use super::{centered, dialog, input_view};

/// The width of the fields' labels.
const LABEL: u16 = 16;

/// A field's label, with `>` before the focused one (visible without colours).
/// A line of explanation under a field, aligned with the fields' values.
pub(super) fn explain(frame: &mut Frame, text: &str, style: Style, area: Rect) {
    let line = format!("{:<w$}{text}", "", w = LABEL as usize);
    frame.render_widget(Paragraph::new(Line::styled(line, style)), area);
}

fn field_label(label: &str, focused: bool) -> Span<'static> {
    let marker = if focused { '>' } else { ' ' };
    Span::styled(
        format!("{marker}{label:<w$}", w = LABEL as usize - 1),
        Style::new().add_modifier(Modifier::BOLD),
    )
}

/// One field's row in `area`: its label and its value, with the cursor when focused.
pub(super) fn input_row(
    frame: &mut Frame,
    area: Rect,
    label: &str,
    input: &tui_input::Input,
    focused: bool,
    theme: &Theme,
) {
    let room = area.width.saturating_sub(LABEL + 2);
    let (text, cursor) = input_view(input, room, focused);
    let style = if focused {
        theme.selected
    } else {
        Style::new().add_modifier(Modifier::UNDERLINED)
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            field_label(label, focused),
            Span::styled(format!("{text:<w$}", w = room as usize), style),
        ])),
        area,
    );
    if focused {
        frame.set_cursor_position(Position::new(area.x + LABEL + cursor, area.y));
    }
}

/// Draws the form and puts the cursor in the focused field; `keymap` names the key
/// that accepts the defaults for the rest.
pub fn render(frame: &mut Frame, area: Rect, form: &ImportForm, keymap: &Keymap, theme: &Theme) {
    let item = form.item();
    let width = area.width.saturating_sub(4).min(100);
    let reference = item.reference();
    let title = match item.size() {
        Some(_) => format!(
            "Import {} of {}: {}",
            form.current + 1,
            form.items.len(),
            reference.label()
        ),
        None => format!("Import by reference: {}", reference.label()),
    };
    let inner = dialog(
        frame,
        centered(area, width, 15),
        &title,
        theme.selected.remove_modifier(Modifier::REVERSED),
    );
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let row = |n: u16| Rect {
        y: inner.y + n,
        height: 1,
        ..inner
    };
    let mut inputs = vec![
        (Field::Name, "Name", &item.name, 2),
        (Field::Description, "Description", &item.description, 3),
        (Field::Metadata, "Metadata", &item.metadata, 4),
    ];
    match (&item.source, item.size()) {
        (Source::Typed(typed), _) => {
            inputs.push((Field::Reference, "Reference", typed, 0));
            explain(
                frame,
                "the LV name; fields left empty take their defaults from it",
                theme.muted,
                row(1),
            );
        }
        (Source::Listed { .. }, size) => {
            let size = size.unwrap_or_default();
            let size = match &item.target {
                FormTarget::Snapshot { origin, .. } => format!(
                    "{size} GiB   origin on the back end: {}",
                    origin.as_deref().unwrap_or("-")
                ),
                FormTarget::Volume { .. } => format!("{size} GiB"),
            };
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(format!("{:<w$}", "Size", w = LABEL as usize), bold),
                    Span::raw(size),
                ])),
                row(0),
            );
        }
    }
    for (field, label, input, y) in inputs {
        input_row(frame, row(y), label, input, form.field == field, theme);
    }
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!("{:<w$}key=value, key=value", "", w = LABEL as usize),
            theme.muted,
        )),
        row(5),
    );
    let (label, value, note, focused) = match &item.target {
        FormTarget::Snapshot { origin, parent } => {
            let (value, note) = parent_view(parent, origin.as_deref());
            if matches!(parent, Parent::Choose { .. }) && origin.is_some() {
                frame.render_widget(
                    Paragraph::new(Line::styled(
                        format!(
                            "{:<w$}import the origin first: {}",
                            "",
                            form.volume_import,
                            w = LABEL as usize
                        ),
                        theme.muted,
                    )),
                    row(8),
                );
            }
            ("Parent volume", value, note, form.field == Field::Parent)
        }
        FormTarget::Volume { host } => (
            "Host",
            host.clone(),
            "where the volume was listed".to_string(),
            false,
        ),
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            field_label(label, focused),
            Span::styled(
                value,
                if focused {
                    theme.selected
                } else {
                    Style::new()
                },
            ),
            Span::styled(format!("  {note}"), theme.muted),
        ])),
        row(7),
    );
    if form.listing_failed.is_some() {
        explain(
            frame,
            "the host's listing failed: it cannot be checked against it",
            theme.warning,
            row(8),
        );
    }
    if let Some(error) = &form.error {
        frame.render_widget(
            Paragraph::new(Line::styled(error.clone(), theme.danger)).wrap(Wrap { trim: true }),
            Rect {
                y: inner.y + 9,
                height: 2,
                ..inner
            },
        );
    }
    let noun = form.noun();
    let key = |action| keymap.label(action);
    let confirm = if form.current + 1 == form.items.len() {
        format!("{}: review", key(Action::Confirm))
    } else {
        format!("{}: next {noun}", key(Action::Confirm))
    };
    let footer = [
        format!(
            "{}/{}: field   {confirm}   {}/{}: {noun}",
            key(Action::NextField),
            key(Action::PreviousField),
            key(Action::NextItem),
            key(Action::PreviousItem),
        ),
        keymap
            .bindings(Context::ImportForm)
            .filter_map(|b| Some(format!("{}: {}   ", key(b.action), b.hint?)))
            .chain([format!("{}: cancel", key(Action::Cancel))])
            .collect(),
    ];
    for (n, text) in footer.into_iter().enumerate() {
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.muted)),
            row(inner.height.saturating_sub(2) + n as u16),
        );
    }
}

/// The parent volume's value and the note beside it.
fn parent_view(parent: &Parent, origin: Option<&str>) -> (String, String) {
    match parent {
        Parent::Known { label, .. } => (label.clone(), "the snapshot's origin".to_string()),
        Parent::Choose {
            options,
            selected: Some(n),
        } => (
            format!("< {} >", options[*n].1),
            "chosen by you (left/right)".to_string(),
        ),
        Parent::Choose { options, .. } if options.is_empty() => (
            "none".to_string(),
            "no managed volume on this host".to_string(),
        ),
        Parent::Choose { .. } => (
            "< choose with left/right >".to_string(),
            format!(
                "origin {} is not a managed volume",
                origin.unwrap_or("unknown")
            ),
        ),
    }
}
