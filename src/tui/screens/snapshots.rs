//! Snapshots: statuses in error stand out.

use ratatui::style::Style;

use crate::app::rows::SnapshotRow;
use crate::tui::theme::Theme;
use crate::tui::widgets::table::Styled;

impl Styled for SnapshotRow {
    fn cell_style(&self, column: usize, theme: &Theme) -> Option<Style> {
        match column {
            2 if self.snapshot.status.starts_with("error") => Some(theme.danger),
            2 if self.snapshot.status == "available" => Some(theme.ok),
            _ => None,
        }
    }
}
