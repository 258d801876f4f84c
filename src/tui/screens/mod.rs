//! The list screens and the details pane: pure functions of the app state.

pub mod details;
pub mod hosts;
pub mod manageable;
pub mod migrate;
pub mod snapshots;
pub mod volumes;

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::app::{App, Rows};
use crate::tui::theme::Theme;
use crate::tui::widgets::header::spinner;
use crate::tui::widgets::table::{self, Title};

/// Draws the current screen's table.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let view = app.view();
    let title = Title {
        name: view.title(),
        loading: view.loading.then(|| spinner(app.spinner)),
    };
    let empty = if view.loading {
        "loading…"
    } else {
        "nothing here"
    };
    match &view.rows {
        Rows::Hosts(t) => table::render(frame, area, t, title, theme, empty),
        Rows::Volumes(t) => table::render(frame, area, t, title, theme, empty),
        Rows::Snapshots(t) => table::render(frame, area, t, title, theme, empty),
        Rows::Manageable(t) => table::render(frame, area, t, title, theme, empty),
        Rows::ManageableVolumes(t) => table::render(frame, area, t, title, theme, empty),
    }
}
