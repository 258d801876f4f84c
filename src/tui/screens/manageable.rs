//! Back-end snapshots and volumes: entries that cannot be imported are muted, with
//! their reason.

use ratatui::style::Style;

use crate::app::rows::{Importable, SAFE_COLUMN};
use crate::app::table::Row;
use crate::tui::theme::Theme;
use crate::tui::widgets::table::Styled;

impl<R: Row + Importable> Styled for R {
    fn row_style(&self, theme: &Theme) -> Style {
        if self.safe() {
            Style::new()
        } else {
            theme.muted
        }
    }

    fn cell_style(&self, column: usize, theme: &Theme) -> Option<Style> {
        (column == SAFE_COLUMN && self.safe()).then_some(theme.ok)
    }
}
