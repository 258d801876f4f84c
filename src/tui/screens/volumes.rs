//! Volumes: the UNMGD column warns of back-end snapshots Cinder does not manage,
//! which make a delete of the volume fail.

use ratatui::style::Style;

use crate::app::rows::VolumeRow;
use crate::tui::theme::Theme;
use crate::tui::widgets::table::Styled;

impl Styled for VolumeRow {
    fn cell_style(&self, column: usize, theme: &Theme) -> Option<Style> {
        match column {
            2 if self.volume.status.is_error() => Some(theme.danger),
            4 if self.has_unmanaged() => Some(theme.warning),
            _ => None,
        }
    }
}
