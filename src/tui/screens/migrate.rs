//! The migration wizard on screen: one large dialog per step (target, host, plan and
//! preflight, confirmation, progress, summary), drawn from the wizard's state only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::migrate::{
    MIGRATE_WORD, Ran, Review, Run, RunEnd, Stage, StepRow, StepState, Wizard,
};
use crate::migrate::describe::{changes, unfinished};
use crate::migrate::journal::Phase;
use crate::migrate::{Plan, Problem};
use crate::tui::theme::Theme;
use crate::tui::widgets::confirm::{gate, gate_rows, split_bottom, split_last};
use crate::tui::widgets::header::spinner;
use crate::tui::widgets::{centered, dialog, wrapped_height};

fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// A list of choices with the selected one highlighted.
fn choices<'a>(
    items: impl Iterator<Item = String>,
    selected: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    items
        .enumerate()
        .map(|(index, text)| {
            if index == selected {
                Line::styled(format!("> {text}"), theme.selected)
            } else {
                Line::raw(format!("  {text}"))
            }
        })
        .collect()
}

fn volumes(wizard: &Wizard) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        format!(
            "Move {} volume(s) from '{}' with all their snapshots:",
            wizard.volumes.len(),
            wizard.from
        ),
        bold(),
    )];
    lines.extend(
        wizard
            .volumes
            .iter()
            .map(|(_, label)| Line::raw(format!("  {label}"))),
    );
    lines.push(Line::raw(""));
    lines
}

fn target_lines(wizard: &Wizard, selected: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = volumes(wizard);
    lines.push(Line::styled("Choose the target back end:", bold()));
    let width = wizard
        .targets
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    lines.extend(choices(
        wizard
            .targets
            .iter()
            .map(|t| format!("{:<width$}  {}", t.name, t.about)),
        selected,
        theme,
    ));
    lines
}

fn host_lines(wizard: &Wizard, selected: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = volumes(wizard);
    let Some(target) = &wizard.target else {
        return lines;
    };
    lines.push(Line::styled(
        format!(
            "Choose the host of '{}' that will manage the volumes:",
            target.name
        ),
        bold(),
    ));
    lines.extend(choices(
        target.hosts.iter().map(|host| {
            let capacity = match (host.free_capacity_gb, host.total_capacity_gb) {
                (Some(free), Some(total)) => format!("  {free:.1} of {total:.1} GiB free"),
                _ => String::new(),
            };
            format!("{}  {}{capacity}", host.host, host.state)
        }),
        selected,
        theme,
    ));
    lines
}

/// Each volume's steps, in order.
fn steps(plan: &Plan) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for volume in &plan.volumes {
        lines.push(Line::styled(
            format!(
                "volume {} ({}) with {} snapshot(s):",
                volume.volume.name.as_deref().unwrap_or(""),
                volume.volume.id,
                volume.snapshots.len()
            ),
            bold(),
        ));
        for step in &volume.steps {
            let side = match step.on {
                crate::migrate::Side::Source => &plan.from,
                crate::migrate::Side::Target => &plan.to,
            };
            lines.push(Line::raw(format!(
                "  {:>3}. on {side}: {}",
                step.step,
                step.action.describe()
            )));
        }
    }
    lines
}

fn problems(problems: &[Problem], theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        format!(
            "PREFLIGHT FAILED: {} problem(s); this plan cannot be applied. Nothing was changed.",
            problems.len()
        ),
        theme.danger.add_modifier(Modifier::BOLD),
    )];
    lines.extend(problems.iter().map(|problem| {
        Line::from(vec![
            Span::styled(format!("  {}: ", problem.item), theme.danger),
            Span::raw(problem.reason.clone()),
        ])
    }));
    lines.push(Line::raw(""));
    lines
}

fn review_lines(review: &Review, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let plan = match review {
        Review::Ready(plan) => {
            lines.push(Line::styled(
                "Preflight passed on both sides; nothing was changed yet.",
                theme.ok,
            ));
            Some(plan)
        }
        Review::Refused { plan, problems: p } => {
            lines.extend(problems(p, theme));
            plan.as_ref()
        }
        Review::Failed(error) => {
            lines.push(Line::styled(
                format!("Planning failed: {error}"),
                theme.danger,
            ));
            None
        }
    };
    if let Some(plan) = plan {
        lines.extend(steps(plan));
        lines.push(Line::raw(""));
        lines.extend(
            changes(plan, &plan.chains(), Phase::Forward)
                .lines()
                .map(|line| Line::styled(line.to_string(), theme.muted)),
        );
    }
    lines
}

fn confirm_lines(
    wizard: &Wizard,
    plan: &Plan,
    files: [&std::path::Path; 2],
    theme: &Theme,
) -> Vec<Line<'static>> {
    let [plan_file, journal] = files;
    let mut lines = volumes(wizard);
    lines.push(Line::raw(format!(
        "to '{}', host {}: {} step(s).",
        plan.to,
        plan.target_host,
        plan.steps().count()
    )));
    lines.push(Line::raw(format!("Plan:    {}", plan_file.display())));
    lines.push(Line::raw(format!("Journal: {}", journal.display())));
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("WARNING: ", theme.danger),
        Span::styled(
            format!(
                "between its unmanage on '{}' and its manage on '{}' an item is managed by \
                 neither; if the run stops, finish it with `{cmd} migrate resume {j}` or undo it \
                 with `{cmd} migrate rollback {j}`",
                plan.from,
                plan.to,
                cmd = wizard.command,
                j = journal.display()
            ),
            theme.warning,
        ),
    ]));
    lines
}

fn step_line(row: &StepRow, theme: &Theme, tick: usize) -> Line<'static> {
    let (mark, style, result) = match &row.state {
        StepState::Pending => ("pending".to_string(), theme.muted, String::new()),
        StepState::Running => (
            format!("{} running", spinner(tick)),
            theme.warning,
            String::new(),
        ),
        StepState::Done(Some(id)) => ("done".to_string(), theme.ok, format!(" -> {id}")),
        StepState::Done(None) => ("done".to_string(), theme.ok, String::new()),
        StepState::Failed(error) => ("FAILED".to_string(), theme.danger, format!(": {error}")),
    };
    Line::from(vec![
        Span::styled(format!("{mark:>9} "), style),
        Span::raw(format!(
            "{:>3}. {} on {}: {}",
            row.step, row.volume, row.on, row.description
        )),
        Span::styled(result, style),
    ])
}

fn progress_lines(run: &Run, theme: &Theme, tick: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw(format!(
        "{}/{} step(s) done.  Journal: {}",
        run.done(),
        run.rows.len(),
        run.journal.display()
    ))];
    lines.extend(run.rows.iter().map(|row| step_line(row, theme, tick)));
    lines
}

fn summary_lines(wizard: &Wizard, run: &Run, end: &RunEnd, theme: &Theme) -> Vec<Line<'static>> {
    let ran: &Ran = match end {
        RunEnd::Refused(error) => {
            return vec![
                Line::styled(
                    "The migration did not start; nothing was changed:",
                    theme.danger,
                ),
                Line::raw(error.clone()),
            ];
        }
        RunEnd::Ran(ran) => ran,
    };
    let mut lines = Vec::new();
    if ran.complete() {
        lines.push(Line::styled(
            format!("Migration complete: all {} step(s) done.", run.rows.len()),
            theme.ok.add_modifier(Modifier::BOLD),
        ));
    } else {
        lines.push(Line::styled(
            "Migration NOT finished: some items are managed by neither side.",
            theme.danger.add_modifier(Modifier::BOLD),
        ));
        if let Some(error) = &ran.error {
            lines.push(Line::styled(error.clone(), theme.danger));
        }
        lines.extend(
            unfinished(&ran.outcome, &run.journal, &wizard.command)
                .into_iter()
                .map(|line| Line::styled(line, theme.danger)),
        );
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Id map (old id -> new id):", bold()));
    lines.extend(
        ran.map
            .summary()
            .lines()
            .map(|line| Line::raw(line.to_string())),
    );
    lines.push(Line::raw(""));
    match &ran.reports {
        Ok((json, csv)) => {
            lines.push(Line::raw(format!("Reports: {}", json.display())));
            lines.push(Line::raw(format!("         {}", csv.display())));
        }
        Err(error) => lines.push(Line::styled(
            format!("The reports could not be written: {error}"),
            theme.danger,
        )),
    }
    lines.push(Line::raw(format!("Journal: {}", run.journal.display())));
    lines.push(Line::raw(format!("Plan:    {}", run.plan_file.display())));
    lines
}

/// The first row of the progress list not done yet, as a line of the body.
fn active_line(run: &Run) -> usize {
    1 + run
        .rows
        .iter()
        .position(|row| matches!(row.state, StepState::Pending | StepState::Running))
        .unwrap_or(run.rows.len())
}

/// Draws the wizard.
pub fn render(frame: &mut Frame, area: Rect, wizard: &Wizard, theme: &Theme, tick: usize) {
    let (number, name) = wizard.stage.number();
    let title = format!(
        "Migrate {} volume(s) from {} - step {number}/6: {name}",
        wizard.volumes.len(),
        wizard.from
    );
    let (mut lines, keys) = match &wizard.stage {
        Stage::ChooseTarget { selected } => (
            target_lines(wizard, *selected, theme),
            "j/k: choose  enter: open the target  esc: close",
        ),
        Stage::Connecting { name, .. } => {
            let selected = wizard.targets.iter().position(|t| &t.name == name);
            let mut lines = target_lines(wizard, selected.unwrap_or(usize::MAX), theme);
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!("{} opening '{name}' and listing its hosts…", spinner(tick)),
                theme.warning,
            ));
            (lines, "esc: back")
        }
        Stage::ChooseHost { selected } => (
            host_lines(wizard, *selected, theme),
            "j/k: choose  enter: plan and check  esc: back",
        ),
        Stage::Planning { host, .. } => {
            let mut lines = host_lines(wizard, usize::MAX, theme);
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    "{} planning the move to {host} and running preflight on both sides…",
                    spinner(tick)
                ),
                theme.warning,
            ));
            (lines, "esc: back")
        }
        Stage::Review(review) => (
            review_lines(review, theme),
            match review {
                Review::Ready(_) => "enter: continue  j/k: scroll  esc: back",
                _ => "j/k: scroll  esc: back",
            },
        ),
        Stage::Confirm {
            plan,
            plan_file,
            journal,
            ..
        } => (
            confirm_lines(wizard, plan, [plan_file, journal], theme),
            "tab: switch button  enter: press  esc: back",
        ),
        Stage::Running(run) => (
            progress_lines(run, theme, tick),
            if run.stopping {
                "stopping after the steps in flight…"
            } else {
                "esc: stop after the steps in flight  j/k: scroll"
            },
        ),
        Stage::Summary { run, end } => (
            summary_lines(wizard, run, end, theme),
            "enter: close  j/k: scroll",
        ),
    };
    if let Some(hint) = &wizard.hint {
        lines.push(Line::raw(""));
        lines.push(Line::styled(hint.clone(), theme.danger));
    }
    let width = area.width.saturating_sub(2).min(120);
    let inner = dialog(
        frame,
        centered(area, width, area.height.saturating_sub(2)),
        &title,
        theme.selected.remove_modifier(Modifier::REVERSED),
    );
    let [body, footer] = split_last(inner);
    let body = match &wizard.stage {
        Stage::Confirm { gate: g, .. } => {
            let typing = wizard.needs_typing();
            let [body, bottom] = split_bottom(body, gate_rows(g, typing) + 1);
            let prompt = format!(
                "Type '{MIGRATE_WORD}' to move {} volumes: ",
                wizard.volumes.len()
            );
            let action = format!("Migrate {}", wizard.volumes.len());
            let bottom = Rect {
                y: bottom.y + 1,
                height: bottom.height.saturating_sub(1),
                ..bottom
            };
            gate(
                frame,
                bottom,
                g,
                typing.then_some(prompt.as_str()),
                &action,
                theme,
            );
            body
        }
        _ => body,
    };
    let scroll = match &wizard.stage {
        Stage::Running(run) => {
            let before = wrapped_height(&lines[..active_line(run).min(lines.len())], body.width);
            wizard
                .scroll
                .max(before.saturating_sub(body.height.saturating_sub(2)))
        }
        _ => wizard.scroll,
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        body,
    );
    frame.render_widget(Paragraph::new(Line::styled(keys, theme.muted)), footer);
}
