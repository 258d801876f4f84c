//! The list screens and the details pane: pure functions of the app state.

pub mod details;
pub mod hosts;
pub mod manageable;
pub mod migrate;
pub mod snapshots;
pub mod volumes;

use ratatui::Frame;
use ratatui::layout::Rect;

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::keymap::Action;
use crate::app::{App, Rows};
use crate::tui::theme::Theme;
use crate::tui::widgets::header::spinner;
use crate::tui::widgets::table::{self, Title};

/// Draws the current screen's table, or why its listing failed.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let view = app.view();
    let title = Title {
        name: view.title(),
        loading: view.loading.then(|| spinner(app.spinner)),
        clear_filter: app.keymap.label(Action::Back),
    };
    let by_reference = matches!(view.rows, Rows::Manageable(_) | Rows::ManageableVolumes(_))
        .then(|| app.keymap.label(Action::ImportByReference));
    if let Some(error) = &view.error
        && view.rows.nav().visible_len() == 0
    {
        let way_on = match (&view.rows, &by_reference) {
            (_, Some(key)) => Some(format!(
                "Press {key} to import by reference: type the LV name (and, for a \
                 snapshot, choose its parent volume). Without the listing snapport cannot \
                 check that the reference exists; the confirmation says what it does check."
            )),
            (Rows::Hosts(_), None) if view.denied => Some(format!(
                "Without the admin role the console still lists your project's volumes \
                 and snapshots: {key}volumes, {key}snapshots.",
                key = app.keymap.label(Action::Command)
            )),
            _ => None,
        };
        return failed(frame, area, title, error, way_on.as_deref(), theme);
    }
    let empty = match (view.loading, &by_reference) {
        (true, _) => "loading…".to_string(),
        (false, Some(key)) => format!("nothing here ({key}: import by reference)"),
        (false, None) => "nothing here".to_string(),
    };
    match &view.rows {
        Rows::Hosts(t) => table::render(frame, area, t, title, theme, &empty),
        Rows::Volumes(t) => table::render(frame, area, t, title, theme, &empty),
        Rows::Snapshots(t) => table::render(frame, area, t, title, theme, &empty),
        Rows::Manageable(t) => table::render(frame, area, t, title, theme, &empty),
        Rows::ManageableVolumes(t) => table::render(frame, area, t, title, theme, &empty),
    }
}

/// The screen of a failed listing: the back end's message and the way on, where there
/// is one (import by reference on back-end screens, the project's own lists for a user
/// without the admin role).
fn failed(
    frame: &mut Frame,
    area: Rect,
    title: Title,
    error: &str,
    way_on: Option<&str>,
    theme: &Theme,
) {
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.muted)
        .title(Line::from(vec![
            Span::styled(
                format!(" {} ", title.name),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                title
                    .loading
                    .map(|spinner| format!("{spinner} loading "))
                    .unwrap_or_default(),
                theme.muted,
            ),
        ]));
    let mut lines = vec![
        Line::styled("The listing failed:", theme.danger),
        Line::raw(error.to_string()),
        Line::raw(""),
    ];
    if let Some(way_on) = way_on {
        lines.push(Line::raw(way_on.to_string()));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}
