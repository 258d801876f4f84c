//! Back-end snapshots: entries that cannot be imported are muted, with their reason.

use ratatui::style::Style;

use crate::app::rows::ManageableRow;
use crate::tui::theme::Theme;
use crate::tui::widgets::table::Styled;

impl Styled for ManageableRow {
    fn row_style(&self, theme: &Theme) -> Style {
        if self.entry.safe_to_manage {
            Style::new()
        } else {
            theme.muted
        }
    }

    fn cell_style(&self, column: usize, theme: &Theme) -> Option<Style> {
        (column == 2 && self.entry.safe_to_manage).then_some(theme.ok)
    }
}
