//! The row store behind every list screen: typed rows, a sorted order, a fuzzy filter
//! and marks, kept apart from drawing so that 100,000 rows cost one sort and one scan,
//! and a frame only ever looks at the rows it shows.
//!
//! A quarter of it is its tests; sort, filter and marks share the index and stay here.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashSet;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Matcher, Utf32String};

/// A column of a list screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub title: &'static str,
    /// Width in cells; for a fill column, the least it may have.
    pub width: u16,
    /// Takes the space the other columns leave.
    pub fill: bool,
    /// Columns with a higher number are dropped first when the terminal is narrow.
    pub priority: u8,
    /// What an abbreviated title counts, for the legend in help.
    pub about: Option<&'static str>,
}

/// One row of a list screen.
pub trait Row {
    /// The columns, in display order.
    fn columns() -> &'static [Column];
    /// What marks remember a row by (an id, or a back-end reference).
    fn key(&self) -> &str;
    /// What the copy key puts on the clipboard: the id, or the back-end reference.
    fn copied(&self) -> &str {
        self.key()
    }
    /// The text of a cell.
    fn cell(&self, column: usize) -> Cow<'_, str>;
    /// A numeric value for sorting, for columns that hold numbers.
    fn number(&self, _column: usize) -> Option<f64> {
        None
    }
    /// The text the fuzzy filter matches against.
    fn haystack(&self) -> String {
        (0..Self::columns().len())
            .map(|column| self.cell(column))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Which column the rows are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: usize,
    pub descending: bool,
}

/// Rows with their order, filter, selection and marks.
pub struct Table<R> {
    rows: Vec<R>,
    haystacks: Vec<Utf32String>,
    /// Indices of all rows, in sort order.
    order: Vec<u32>,
    /// Indices of the rows that pass the filter, in sort order.
    visible: Vec<u32>,
    sort: Option<Sort>,
    filter: String,
    /// Position in `visible`.
    selected: usize,
    /// The first visible row on screen.
    offset: usize,
    marks: HashSet<String>,
    matcher: Matcher,
}

impl<R> Default for Table<R> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            haystacks: Vec::new(),
            order: Vec::new(),
            visible: Vec::new(),
            sort: None,
            filter: String::new(),
            selected: 0,
            offset: 0,
            marks: HashSet::new(),
            matcher: Matcher::default(),
        }
    }
}

/// The first row to show so that `selected` is on screen, moving `offset` as little
/// as possible. Rendering uses it too, so a resize never hides the selection.
pub fn scroll_offset(offset: usize, selected: usize, height: usize) -> usize {
    let height = height.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    }
}

fn compare<R: Row>(a: &R, b: &R, column: usize) -> Ordering {
    match (a.number(column), b.number(column)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => a.cell(column).cmp(&b.cell(column)),
    }
}

/// What every list screen does with its table, whatever its row type.
pub trait Navigate {
    /// How many rows pass the filter.
    fn visible_len(&self) -> usize;
    /// The position of the selected row among the visible ones.
    fn selected_index(&self) -> usize;
    /// The key of the selected row.
    fn selected_key(&self) -> Option<&str>;
    /// The current filter text.
    fn filter(&self) -> &str;
    /// The current sort, if any.
    fn sort(&self) -> Option<Sort>;
    /// Sets the fuzzy filter. Typing more characters only scans the rows that matched.
    fn set_filter(&mut self, filter: &str);
    /// Sorts by the next column (none → first → … → last → none).
    fn cycle_sort(&mut self);
    /// Reverses the sort direction (sorting by the first column if unsorted).
    fn reverse_sort(&mut self);
    /// Moves the selection by `delta` rows, stopping at the ends.
    fn move_by(&mut self, delta: isize);
    /// Selects the first row.
    fn first(&mut self);
    /// Selects the last row.
    fn last(&mut self);
    /// The first row shown.
    fn offset(&self) -> usize;
    /// Scrolls as little as needed to show the selection in `height` rows.
    fn keep_visible(&mut self, height: usize);
    /// How many rows are marked.
    fn marked_len(&self) -> usize;
    /// What the copy key copies of the rows an action acts on (see [`Table::chosen`]).
    fn chosen_copied(&self) -> Vec<String>;
    /// Marks or unmarks a row by key.
    fn toggle_mark(&mut self, key: &str);
    /// Forgets every mark.
    fn clear_marks(&mut self);
}

impl<R: Row> Table<R> {
    /// All rows, in arrival order.
    pub fn rows(&self) -> &[R] {
        &self.rows
    }

    /// Mutable access for annotations that do not change keys or haystacks; call
    /// [`Table::resort`] afterwards.
    pub fn rows_mut(&mut self) -> &mut [R] {
        &mut self.rows
    }

    /// The `n`-th row that passes the filter.
    pub fn visible(&self, n: usize) -> Option<&R> {
        self.visible.get(n).map(|&index| &self.rows[index as usize])
    }

    /// The selected row, if any row is visible.
    pub fn selected(&self) -> Option<&R> {
        self.visible(self.selected)
    }

    /// True when the row with this key is marked.
    pub fn is_marked(&self, key: &str) -> bool {
        self.marks.contains(key)
    }

    /// Marks every visible row that `allowed` accepts, or clears all marks when they
    /// are all marked already.
    pub fn mark_all(&mut self, allowed: impl Fn(&R) -> bool) {
        let keys: Vec<String> = self
            .visible
            .iter()
            .map(|&index| &self.rows[index as usize])
            .filter(|row| allowed(row))
            .map(|row| row.key().to_string())
            .collect();
        if keys.iter().all(|key| self.marks.contains(key)) {
            self.marks.clear();
        } else {
            self.marks.extend(keys);
        }
    }

    /// The marked rows in display order, else the selected row: what an action acts on.
    pub fn chosen(&self) -> Vec<&R> {
        if self.marks.is_empty() {
            return self.selected().into_iter().collect();
        }
        self.order
            .iter()
            .map(|&index| &self.rows[index as usize])
            .filter(|row| self.marks.contains(row.key()))
            .collect()
    }

    fn keep(&self) -> Option<String> {
        self.selected().map(|row| row.key().to_string())
    }

    /// Replaces every row (a refresh's first page); marks of vanished rows go.
    pub fn replace(&mut self, rows: Vec<R>) {
        let keep = self.keep();
        self.rows.clear();
        self.haystacks.clear();
        self.order.clear();
        self.append_rows(rows);
        let keys: HashSet<&str> = self.rows.iter().map(Row::key).collect();
        self.marks.retain(|key| keys.contains(key.as_str()));
        self.reorder(keep.as_deref());
    }

    /// Adds a page of rows.
    pub fn append(&mut self, rows: Vec<R>) {
        let start = self.rows.len();
        self.append_rows(rows);
        if self.sort.is_none() {
            let pattern = self.pattern();
            for index in start..self.rows.len() {
                if self.passes(pattern.as_ref(), index) {
                    self.visible.push(index as u32);
                }
            }
        } else {
            let keep = self.keep();
            self.reorder(keep.as_deref());
        }
    }

    /// Re-applies the sort after annotations (`rows_mut`) changed sorted cells.
    pub fn resort(&mut self) {
        if self.sort.is_some() {
            let keep = self.keep();
            self.reorder(keep.as_deref());
        }
    }

    fn append_rows(&mut self, rows: Vec<R>) {
        for row in rows {
            self.haystacks.push(Utf32String::from(row.haystack()));
            self.order.push(self.rows.len() as u32);
            self.rows.push(row);
        }
    }

    fn pattern(&self) -> Option<Pattern> {
        (!self.filter.is_empty())
            .then(|| Pattern::parse(&self.filter, CaseMatching::Smart, Normalization::Smart))
    }

    fn passes(&mut self, pattern: Option<&Pattern>, index: usize) -> bool {
        pattern.is_none_or(|pattern| {
            pattern
                .score(self.haystacks[index].slice(..), &mut self.matcher)
                .is_some()
        })
    }

    /// Re-sorts and re-filters, keeping the row with key `keep` selected.
    fn reorder(&mut self, keep: Option<&str>) {
        if let Some(sort) = self.sort {
            let rows = &self.rows;
            self.order.sort_by(|&a, &b| {
                let ordering = compare(&rows[a as usize], &rows[b as usize], sort.column);
                if sort.descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            });
        } else {
            self.order.sort_unstable();
        }
        self.refilter(None, keep);
    }

    /// Recomputes `visible`; `within` narrows the scan to a previous result when the
    /// new filter only adds to the old one.
    fn refilter(&mut self, within: Option<Vec<u32>>, keep: Option<&str>) {
        let pattern = self.pattern();
        let candidates = within.unwrap_or_else(|| self.order.clone());
        let mut visible = Vec::with_capacity(candidates.len());
        for index in candidates {
            if self.passes(pattern.as_ref(), index as usize) {
                visible.push(index);
            }
        }
        self.visible = visible;
        let found = keep.and_then(|key| {
            self.visible
                .iter()
                .position(|&index| self.rows[index as usize].key() == key)
        });
        self.selected = found.unwrap_or(self.selected);
        self.clamp();
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }
}

impl<R: Row> Navigate for Table<R> {
    fn visible_len(&self) -> usize {
        self.visible.len()
    }

    fn selected_index(&self) -> usize {
        self.selected
    }

    fn selected_key(&self) -> Option<&str> {
        self.selected().map(Row::key)
    }

    fn filter(&self) -> &str {
        &self.filter
    }

    fn sort(&self) -> Option<Sort> {
        self.sort
    }

    fn set_filter(&mut self, filter: &str) {
        if filter == self.filter {
            return;
        }
        let keep = self.keep();
        // A longer query only narrows, except under nucleo's negation (`!`) or escapes.
        let narrows = !self.filter.is_empty()
            && filter.starts_with(self.filter.as_str())
            && !filter.contains(['!', '\\']);
        self.filter = filter.to_string();
        let within = narrows.then(|| std::mem::take(&mut self.visible));
        self.refilter(within, keep.as_deref());
    }

    fn cycle_sort(&mut self) {
        let columns = R::columns().len();
        self.sort = match self.sort {
            None => Some(Sort {
                column: 0,
                descending: false,
            }),
            Some(sort) if sort.column + 1 < columns => Some(Sort {
                column: sort.column + 1,
                descending: sort.descending,
            }),
            Some(_) => None,
        };
        let keep = self.keep();
        self.reorder(keep.as_deref());
    }

    fn reverse_sort(&mut self) {
        self.sort = Some(match self.sort {
            None => Sort {
                column: 0,
                descending: true,
            },
            Some(sort) => Sort {
                descending: !sort.descending,
                ..sort
            },
        });
        let keep = self.keep();
        self.reorder(keep.as_deref());
    }

    fn move_by(&mut self, delta: isize) {
        self.selected = self.selected.saturating_add_signed(delta);
        self.clamp();
    }

    fn first(&mut self) {
        self.selected = 0;
    }

    fn last(&mut self) {
        self.selected = self.visible.len().saturating_sub(1);
    }

    fn offset(&self) -> usize {
        self.offset
    }

    fn keep_visible(&mut self, height: usize) {
        self.offset = scroll_offset(self.offset, self.selected, height);
    }

    fn marked_len(&self) -> usize {
        self.marks.len()
    }

    fn chosen_copied(&self) -> Vec<String> {
        self.chosen()
            .into_iter()
            .map(|row| row.copied().to_string())
            .collect()
    }

    fn toggle_mark(&mut self, key: &str) {
        if !self.marks.remove(key) {
            self.marks.insert(key.to_string());
        }
    }

    fn clear_marks(&mut self) {
        self.marks.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Item(String, u64);

    impl Row for Item {
        fn columns() -> &'static [Column] {
            const COLUMNS: &[Column] = &[
                Column {
                    title: "NAME",
                    width: 8,
                    fill: true,
                    priority: 0,
                    about: None,
                },
                Column {
                    title: "SIZE",
                    width: 5,
                    fill: false,
                    priority: 0,
                    about: None,
                },
            ];
            COLUMNS
        }
        fn key(&self) -> &str {
            &self.0
        }
        fn cell(&self, column: usize) -> Cow<'_, str> {
            match column {
                0 => Cow::Borrowed(&self.0),
                _ => Cow::Owned(self.1.to_string()),
            }
        }
        fn number(&self, column: usize) -> Option<f64> {
            (column == 1).then_some(self.1 as f64)
        }
    }

    fn table(items: &[(&str, u64)]) -> Table<Item> {
        let mut table = Table::default();
        table.replace(items.iter().map(|(n, s)| Item(n.to_string(), *s)).collect());
        table
    }

    fn names(table: &Table<Item>) -> Vec<&str> {
        (0..table.visible_len())
            .map(|n| table.visible(n).unwrap().0.as_str())
            .collect()
    }

    #[test]
    fn numbers_sort_as_numbers_and_reverse() {
        let mut t = table(&[("b", 10), ("a", 9), ("c", 100)]);
        t.cycle_sort();
        assert_eq!(names(&t), ["a", "b", "c"]);
        t.cycle_sort();
        assert_eq!(names(&t), ["a", "b", "c"], "9 < 10 < 100 numerically");
        t.reverse_sort();
        assert_eq!(names(&t), ["c", "b", "a"]);
        t.cycle_sort();
        assert_eq!(t.sort(), None);
        assert_eq!(names(&t), ["b", "a", "c"], "unsorted is arrival order");
    }

    #[test]
    fn filter_narrows_and_widens_and_keeps_selection() {
        let mut t = table(&[("db-primary", 1), ("web-assets", 2), ("db-replica", 3)]);
        t.last();
        assert_eq!(t.selected().unwrap().0, "db-replica");
        t.set_filter("db");
        assert_eq!(names(&t), ["db-primary", "db-replica"]);
        assert_eq!(t.selected().unwrap().0, "db-replica");
        t.set_filter("dbrep");
        assert_eq!(names(&t), ["db-replica"]);
        t.set_filter("");
        assert_eq!(names(&t), ["db-primary", "web-assets", "db-replica"]);
        t.set_filter("zzz");
        assert_eq!(t.visible_len(), 0);
        assert!(t.selected().is_none());
    }

    #[test]
    fn pages_append_through_the_filter() {
        let mut t = table(&[("db-1", 1)]);
        t.set_filter("db");
        t.append(vec![Item("web".into(), 2), Item("db-2".into(), 3)]);
        assert_eq!(names(&t), ["db-1", "db-2"]);
        assert_eq!(t.rows().len(), 3);
    }

    #[test]
    fn marks_survive_filters_and_drop_with_their_rows() {
        let mut t = table(&[("a", 1), ("b", 2), ("c", 3)]);
        t.toggle_mark("a");
        t.toggle_mark("c");
        t.set_filter("c");
        assert_eq!(
            t.chosen().iter().map(|i| i.0.as_str()).collect::<Vec<_>>(),
            ["a", "c"]
        );
        t.replace(vec![Item("c".into(), 3)]);
        assert_eq!(t.marked_len(), 1);
        t.toggle_mark("c");
        assert_eq!(
            t.chosen().iter().map(|i| i.0.as_str()).collect::<Vec<_>>(),
            ["c"],
            "selection when nothing is marked"
        );
    }

    #[test]
    fn scrolling_moves_only_as_far_as_needed() {
        assert_eq!(scroll_offset(0, 5, 10), 0);
        assert_eq!(scroll_offset(0, 10, 10), 1);
        assert_eq!(scroll_offset(5, 7, 10), 5);
        assert_eq!(scroll_offset(5, 2, 10), 2);
        assert_eq!(scroll_offset(0, 99_999, 20), 99_980);
    }

    #[test]
    fn movement_stops_at_the_ends() {
        let mut t = table(&[("a", 1), ("b", 2), ("c", 3)]);
        t.move_by(-5);
        assert_eq!(t.selected_index(), 0);
        t.move_by(10);
        assert_eq!(t.selected_index(), 2);
        t.first();
        assert_eq!(t.selected_index(), 0);
    }
}
