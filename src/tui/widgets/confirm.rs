//! Dialogs: the confirmation of an import or export (warnings, typed count, buttons),
//! the progress and results of a job, and notices with the back end's own text.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::gate::Gate;
use crate::app::plan::BULK_WORD;
use crate::app::{Button, Confirm, Job, Notice, Outcome, Plan};
use crate::tui::theme::Theme;
use crate::tui::widgets::header::spinner;

use super::{centered, dialog, input_view, wrapped_height};

fn width_for(area: Rect) -> u16 {
    area.width.saturating_sub(4).min(90)
}

/// Draws a notice; errors get the danger style.
pub fn notice(frame: &mut Frame, area: Rect, notice: &Notice, theme: &Theme) {
    let width = width_for(area).min(72);
    let lines: Vec<Line> = notice.text.lines().map(Line::raw).collect();
    let height = wrapped_height(&lines, width - 2) + 4;
    let border = if notice.error {
        theme.danger
    } else {
        theme.warning
    };
    let inner = dialog(frame, centered(area, width, height), &notice.title, border);
    let [body, hint] = split_last(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), body);
    frame.render_widget(
        Paragraph::new(Line::styled("enter/esc: close", theme.muted)),
        hint,
    );
}

/// The area without its last row, and the last row.
pub fn split_last(area: Rect) -> [Rect; 2] {
    let body = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    let last = Rect {
        y: area.y + body.height,
        height: area.height.min(1),
        ..area
    };
    [body, last]
}

fn buttons(focus: Button, action: &str, theme: &Theme) -> Line<'static> {
    let button = |label: &str, focused: bool| {
        if focused {
            Span::styled(format!("> [ {label} ] <"), theme.selected)
        } else {
            Span::raw(format!("  [ {label} ]  "))
        }
    };
    Line::from(vec![
        button("Cancel", focus == Button::Cancel),
        Span::raw("    "),
        button(action, focus == Button::Proceed),
    ])
    .centered()
}

/// Draws the confirmation of a plan.
pub fn confirm(frame: &mut Frame, area: Rect, confirm: &Confirm, theme: &Theme) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = Vec::new();
    let (title, action, typing) = match &confirm.plan {
        Plan::Import(plan) => {
            lines.push(Line::styled(
                format!(
                    "Import (manage) {} back-end {}:",
                    plan.items.len(),
                    plan.noun()
                ),
                bold,
            ));
            lines.extend(
                plan.lines()
                    .into_iter()
                    .map(|line| Line::raw(format!("  {line}"))),
            );
            (
                "Confirm import",
                format!("Import {}", plan.items.len()),
                None,
            )
        }
        Plan::Export(plan) => {
            let noun = plan.kind.noun();
            lines.push(Line::styled(
                format!("Export (unmanage) {} {noun}:", plan.items.len()),
                bold,
            ));
            lines.extend(
                plan.items
                    .iter()
                    .map(|item| Line::raw(format!("  {}", item.label))),
            );
            lines.push(Line::raw(""));
            for warning in plan.warnings() {
                lines.push(Line::from(vec![
                    Span::styled("WARNING: ", theme.danger),
                    Span::styled(warning, theme.warning),
                ]));
            }
            let typing = plan.needs_typing().then_some(plan.items.len());
            (
                "Confirm export",
                format!("Export {}", plan.items.len()),
                typing,
            )
        }
    };
    let prompt = typing.map(|count| format!("Type {count} or '{BULK_WORD}' to confirm: "));
    let width = width_for(area);
    let rows = gate_rows(&confirm.gate, prompt.is_some());
    let height = (wrapped_height(&lines, width - 2) + rows + 2).min(area.height);
    let inner = dialog(frame, centered(area, width, height), title, theme.danger);
    let [body, bottom] = split_bottom(inner, rows);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    gate(
        frame,
        bottom,
        &confirm.gate,
        prompt.as_deref(),
        &action,
        theme,
    );
}

/// How many rows [`gate`] takes: the typed line, the hint, a blank row and the buttons.
pub fn gate_rows(gate: &Gate, typing: bool) -> u16 {
    2 + u16::from(typing) + u16::from(gate.hint.is_some())
}

/// `area` split into its body and its last `rows` rows.
pub fn split_bottom(area: Rect, rows: u16) -> [Rect; 2] {
    let body = Rect {
        height: area.height.saturating_sub(rows),
        ..area
    };
    let bottom = Rect {
        y: area.y + body.height,
        height: area.height - body.height,
        ..area
    };
    [body, bottom]
}

/// Draws the typed confirmation (when `prompt` asks for one), the hint and the buttons.
pub fn gate(
    frame: &mut Frame,
    area: Rect,
    gate: &Gate,
    prompt: Option<&str>,
    action: &str,
    theme: &Theme,
) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let row = |y| Rect {
        y,
        height: 1,
        ..area
    };
    let mut y = area.y;
    if let Some(prompt) = prompt {
        let room = area.width.saturating_sub(prompt.len() as u16);
        let (text, cursor) = input_view(&gate.typed, room, true);
        let line = Line::from(vec![
            Span::styled(prompt.to_string(), bold),
            Span::styled(text, theme.marked),
        ]);
        frame.render_widget(Paragraph::new(line), row(y));
        frame.set_cursor_position(Position::new(area.x + prompt.len() as u16 + cursor, y));
        y += 1;
    }
    if let Some(hint) = &gate.hint {
        frame.render_widget(
            Paragraph::new(Line::styled(hint.clone(), theme.danger)),
            row(y),
        );
        y += 1;
    }
    let last = area.y + area.height.saturating_sub(1);
    if y <= last && area.height > 0 {
        frame.render_widget(
            Paragraph::new(buttons(gate.focus, action, theme)),
            row(last),
        );
    }
}

/// Draws a job's progress, then its results (old reference → new id, or the error).
pub fn job(frame: &mut Frame, area: Rect, job: &Job, theme: &Theme, tick: usize) {
    let done = job
        .items
        .iter()
        .filter(|i| i.outcome != Outcome::Running)
        .count();
    let mut lines = Vec::new();
    for item in &job.items {
        let (mark, text, style) = match &item.outcome {
            Outcome::Running => (
                spinner(tick).to_string(),
                "working…".to_string(),
                theme.muted,
            ),
            Outcome::Done(text) => ("ok".to_string(), text.clone(), theme.ok),
            Outcome::Failed(text) => ("FAILED".to_string(), text.clone(), theme.danger),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark:>6} "), style),
            Span::raw(format!("{} ", item.label)),
            Span::styled(format!("-> {text}"), style),
        ]));
    }
    let status = if job.finished() {
        let failed = job.failures();
        Line::styled(
            format!(
                "finished: {} done, {failed} failed  (enter/esc: close)",
                job.items.len() - failed
            ),
            if failed > 0 { theme.danger } else { theme.ok },
        )
    } else {
        Line::styled(
            format!("{} {done}/{} done", spinner(tick), job.items.len()),
            theme.muted,
        )
    };
    let width = width_for(area);
    let height = wrapped_height(&lines, width - 2) + 3;
    let inner = dialog(
        frame,
        centered(area, width, height),
        &job.title,
        theme.selected.remove_modifier(Modifier::REVERSED),
    );
    let [body, last] = split_last(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    frame.render_widget(Paragraph::new(status), last);
}
