//! Dialogs: the confirmation of a plan (warnings, typed count or name, buttons),
//! the progress and results of a job, and notices with the back end's own text.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::gate::Gate;
use crate::app::keymap::{Action, Keymap};
use crate::app::{Button, Confirm, Job, Notice, Outcome};
use crate::tui::theme::Theme;
use crate::tui::widgets::header::spinner;

use super::{centered, dialog, input_view, wrapped_height};

/// How a finished dialog is closed: `enter/esc: close`.
fn close_hint(keymap: &Keymap) -> String {
    keymap.hints(&[(&[Action::Confirm, Action::Cancel], "close")])
}

fn width_for(area: Rect) -> u16 {
    area.width.saturating_sub(4).min(90)
}

/// Draws a notice; errors get the danger style.
pub fn notice(frame: &mut Frame, area: Rect, notice: &Notice, keymap: &Keymap, theme: &Theme) {
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
        Paragraph::new(Line::styled(close_hint(keymap), theme.muted)),
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

/// Draws the confirmation of a plan: the heading and the counts per parent volume,
/// the items (scrolled when they do not all fit), the warnings whole, the buttons.
/// Only the item list gives up rows, so no warning is ever cut.
pub fn confirm(frame: &mut Frame, area: Rect, confirm: &Confirm, keymap: &Keymap, theme: &Theme) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let (title, action) = (confirm.plan.title(), confirm.plan.action());
    let prompt = confirm.plan.typing().map(|typed| typed.prompt);
    let summary = confirm.plan.summary();
    let mut top = vec![Line::styled(summary.heading, bold)];
    top.extend(summary.groups.iter().map(|g| Line::raw(format!("  {g}"))));
    let mut bottom = vec![Line::raw("")];
    for warning in summary.warnings {
        bottom.push(Line::from(vec![
            Span::styled("WARNING: ", theme.danger),
            Span::styled(warning, theme.warning),
        ]));
    }
    let items: Vec<Line> = summary
        .items
        .iter()
        .map(|item| Line::raw(format!("  {item}")))
        .collect();
    let width = width_for(area);
    let text_width = width.saturating_sub(2);
    let rows = gate_rows(&confirm.gate, prompt.is_some());
    let fixed = wrapped_height(&top, text_width) + wrapped_height(&bottom, text_width) + rows;
    let all_items = wrapped_height(&items, text_width);
    let room = area.height.saturating_sub(2).saturating_sub(fixed);
    let list = if all_items <= room {
        ItemList::whole(items, all_items)
    } else {
        let scroll_keys = format!(
            "{}, {}: scroll",
            keymap.labels(&[Action::ScrollDown, Action::ScrollUp]),
            keymap.labels(&[Action::ScrollPageUp, Action::ScrollPageDown])
        );
        ItemList::scrolled(
            items,
            confirm.scroll,
            room.saturating_sub(1),
            text_width,
            &scroll_keys,
        )
    };
    let height = (fixed + list.height + 2).min(area.height);
    let inner = dialog(frame, centered(area, width, height), &title, theme.danger);
    let [body, buttons] = split_bottom(inner, rows);
    let mut y = body.y;
    let mut put = |lines: Vec<Line<'static>>, rows: u16| {
        let rows = rows.min(body.y + body.height - y);
        let area = Rect {
            y,
            height: rows,
            ..body
        };
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        y += rows;
    };
    let top_rows = wrapped_height(&top, text_width);
    put(top, top_rows);
    if let Some(position) = list.position {
        put(vec![Line::styled(position, theme.muted)], 1);
    }
    put(list.lines, list.rows);
    let bottom_rows = wrapped_height(&bottom, text_width);
    put(bottom, bottom_rows);
    gate(
        frame,
        buttons,
        &confirm.gate,
        prompt.as_deref(),
        &action,
        theme,
    );
}

/// The items a confirmation shows and the rows they take.
struct ItemList {
    lines: Vec<Line<'static>>,
    rows: u16,
    /// Which items are shown, when not all are.
    position: Option<String>,
    /// Rows including the position line.
    height: u16,
}

impl ItemList {
    fn whole(lines: Vec<Line<'static>>, rows: u16) -> Self {
        Self {
            lines,
            rows,
            position: None,
            height: rows,
        }
    }

    /// The items from `scroll` on that fit in `rows`; a scroll past the end shows the
    /// last ones that fit.
    fn scrolled(
        lines: Vec<Line<'static>>,
        scroll: usize,
        rows: u16,
        width: u16,
        keys: &str,
    ) -> Self {
        let heights: Vec<u16> = lines
            .iter()
            .map(|line| wrapped_height(std::slice::from_ref(line), width))
            .collect();
        let fits_from = |first: usize| {
            let mut used = 0;
            heights[first..]
                .iter()
                .take_while(|h| {
                    used += **h;
                    used <= rows
                })
                .count()
        };
        let last_start = (0..heights.len())
            .rev()
            .take_while(|first| first + fits_from(*first) == heights.len())
            .last()
            .unwrap_or(0);
        let first = scroll.min(last_start);
        let shown = fits_from(first).max(1).min(heights.len() - first);
        let position = format!(
            "items {}-{} of {} ({keys})",
            first + 1,
            first + shown,
            lines.len()
        );
        Self {
            lines: lines.into_iter().skip(first).take(shown).collect(),
            rows,
            position: Some(position),
            height: rows + 1,
        }
    }
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
pub fn job(frame: &mut Frame, area: Rect, job: &Job, keymap: &Keymap, theme: &Theme, tick: usize) {
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
                "finished: {} done, {failed} failed  ({})",
                job.items.len() - failed,
                close_hint(keymap)
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
