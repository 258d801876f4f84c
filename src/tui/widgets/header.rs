//! The one header line: READ-ONLY as text, work in flight, the back end as operators
//! name it (cloud, region, project and user; or the VG or pool), the host.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::tui::theme::Theme;

/// Frames of the work-in-flight spinner (ASCII: slow links and odd fonts).
const SPINNER: [&str; 4] = ["-", "\\", "|", "/"];

/// The spinner frame for a tick count.
pub fn spinner(tick: usize) -> &'static str {
    SPINNER[tick % SPINNER.len()]
}

/// Draws the header.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = vec![Span::styled(
        " snapport ",
        theme.header.add_modifier(Modifier::BOLD),
    )];
    if app.info.read_only {
        spans.push(Span::styled(" READ-ONLY ", theme.readonly));
        spans.push(Span::styled(" ", theme.header));
    }
    let in_flight = app.in_flight();
    if in_flight > 0 {
        spans.push(Span::styled(
            format!("{} {in_flight} in flight ", spinner(app.spinner)),
            theme.header,
        ));
    }
    let backend = app.info.identity.as_deref().unwrap_or(&app.info.label);
    spans.push(Span::styled(format!("| {backend} "), theme.header));
    if let Some(host) = app.current_host() {
        spans.push(Span::styled(format!("| host {host} "), theme.header));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.header), area);
}
