//! Hosts: a service that is down or disabled stands out; importable snapshots too.

use ratatui::style::Style;

use crate::app::rows::HostRow;
use crate::tui::theme::Theme;
use crate::tui::widgets::table::Styled;

impl Styled for HostRow {
    fn cell_style(&self, column: usize, theme: &Theme) -> Option<Style> {
        match column {
            3 if self.host.state != "up" => Some(theme.danger),
            3 => Some(theme.ok),
            4 if self.host.status != "enabled" => Some(theme.warning),
            10 if self.unmanaged.unwrap_or(0) > 0 => Some(theme.warning),
            _ => None,
        }
    }
}
