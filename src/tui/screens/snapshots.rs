//! Snapshots: statuses in error stand out.

use ratatui::style::Style;

use crate::app::rows::SnapshotRow;
use crate::backend::Status;
use crate::tui::theme::Theme;
use crate::tui::widgets::table::Styled;

impl Styled for SnapshotRow {
    fn cell_style(&self, column: usize, theme: &Theme) -> Option<Style> {
        match column {
            2 if self.snapshot.status.is_error() => Some(theme.danger),
            2 if self.snapshot.status == Status::Available => Some(theme.ok),
            _ => None,
        }
    }
}
