//! The list table: lays out only the rows on screen, drops low-priority columns on
//! narrow terminals, and shows marks and the selection by symbols as well as styles.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table as TableWidget};

use crate::app::table::{Navigate, Row, Table, scroll_offset};
use crate::tui::theme::Theme;

/// How a screen styles its rows beyond selection and marks.
pub trait Styled: Row {
    /// The style of a whole row.
    fn row_style(&self, _theme: &Theme) -> Style {
        Style::new()
    }
    /// The style of one cell, over the row's.
    fn cell_style(&self, _column: usize, _theme: &Theme) -> Option<Style> {
        None
    }
}

/// The width of the selection and mark symbols before the first column.
const PREFIX: u16 = 2;

/// Which columns fit in `width`, and how wide each one is.
pub fn layout<R: Row>(width: u16) -> Vec<(usize, u16)> {
    let columns = R::columns();
    let mut kept: Vec<usize> = (0..columns.len()).collect();
    let fixed = |kept: &[usize]| -> u16 {
        kept.iter().map(|&c| columns[c].width).sum::<u16>() + kept.len() as u16 + PREFIX
    };
    while fixed(&kept) > width {
        let droppable = kept
            .iter()
            .enumerate()
            .filter(|(_, c)| columns[**c].priority > 0)
            .max_by_key(|(at, c)| (columns[**c].priority, *at));
        match droppable {
            Some((at, _)) => {
                kept.remove(at);
            }
            None => break,
        }
    }
    let fills = kept.iter().filter(|&&c| columns[c].fill).count() as u16;
    let spare = width.saturating_sub(fixed(&kept));
    kept.into_iter()
        .map(|c| {
            let column = columns[c];
            let extra = if column.fill { spare / fills.max(1) } else { 0 };
            (c, column.width + extra)
        })
        .collect()
}

/// What the title line says besides the screen's name.
pub struct Title<'a> {
    pub name: String,
    pub loading: Option<&'a str>,
    /// The key that clears the filter, for the line shown when no row matches it.
    pub clear_filter: String,
}

/// Draws `table` into `area`: a title line, column headers, the rows on screen.
pub fn render<R: Styled>(
    frame: &mut Frame,
    area: Rect,
    table: &Table<R>,
    title: Title,
    theme: &Theme,
    empty: &str,
) {
    let mut spans = vec![Span::styled(
        format!(" {} ", title.name),
        Style::new().add_modifier(Modifier::BOLD),
    )];
    spans.push(Span::raw(format!(
        "[{}/{}] ",
        table.visible_len(),
        table.rows().len()
    )));
    if !table.filter().is_empty() {
        spans.push(Span::styled(format!("/{} ", table.filter()), theme.marked));
    }
    if let Some(sort) = table.sort() {
        let arrow = if sort.descending { "v" } else { "^" };
        spans.push(Span::raw(format!(
            "sort {}{arrow} ",
            R::columns()[sort.column].title
        )));
    }
    if table.marked_len() > 0 {
        spans.push(Span::styled(
            format!("* {} marked ", table.marked_len()),
            theme.marked,
        ));
    }
    if let Some(spinner) = title.loading {
        spans.push(Span::styled(format!("{spinner} loading "), theme.muted));
    }
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.muted)
        .title(Line::from(spans));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 {
        return;
    }
    let columns = layout::<R>(inner.width);
    let height = usize::from(inner.height - 1);
    let selected = table.selected_index();
    let offset = scroll_offset(table.offset(), selected, height);
    let end = (offset + height).min(table.visible_len());
    let rows = (offset..end)
        .filter_map(|n| table.visible(n).map(|row| (n, row)))
        .map(|(n, row)| {
            let marked = table.is_marked(row.key());
            let is_selected = n == selected;
            let prefix = format!(
                "{}{}",
                if is_selected { '>' } else { ' ' },
                if marked { '*' } else { ' ' }
            );
            let mut style = row.row_style(theme);
            if marked {
                style = style.patch(theme.marked);
            }
            let mut cells = vec![Cell::from(prefix)];
            cells.extend(columns.iter().map(|&(c, _)| {
                let cell = Cell::from(row.cell(c).into_owned());
                match row.cell_style(c, theme) {
                    Some(cell_style) if !is_selected => cell.style(cell_style),
                    _ => cell,
                }
            }));
            let row_widget = TableRow::new(cells).style(style);
            if is_selected {
                row_widget.style(style.patch(theme.selected))
            } else {
                row_widget
            }
        });
    let header = TableRow::new(
        std::iter::once(Cell::from("")).chain(
            columns
                .iter()
                .map(|&(c, _)| Cell::from(R::columns()[c].title)),
        ),
    )
    .style(Style::new().add_modifier(Modifier::BOLD));
    let widths = std::iter::once(Constraint::Length(PREFIX))
        .chain(columns.iter().map(|&(_, w)| Constraint::Length(w)));
    frame.render_widget(
        TableWidget::new(rows, widths)
            .header(header)
            .column_spacing(1),
        inner,
    );
    if table.visible_len() == 0 {
        let message = if table.rows().is_empty() {
            empty
        } else {
            &format!(
                "no row matches the filter ({} clears it)",
                title.clear_filter
            )
        };
        let area = Rect {
            y: inner.y + 1,
            height: 1,
            ..inner
        };
        frame.render_widget(
            Paragraph::new(format!("  {message}")).style(theme.muted),
            area,
        );
    }
}
