//! Command output: `-f json` with Cinder's field names, or a plain aligned table.

use std::borrow::Cow;

use clap::ValueEnum;
use serde::Serialize;

use crate::backend::{
    Host, ManageableSnapshot, ManageableVolume, Metadata, Reference, Snapshot, Volume,
};

/// How commands print resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// A resource that can be shown as one table row.
pub trait Tabular {
    /// Column titles.
    const HEADERS: &'static [&'static str];
    /// The row's cells, in header order.
    fn cells(&self) -> Vec<String>;
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn metadata(metadata: &Metadata) -> String {
    metadata
        .iter()
        .map(|(key, value)| format!("{key}='{value}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn extra(value: &Option<serde_json::Value>) -> String {
    match value {
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// The cells manageable volumes and snapshots share: what, how big, and Cinder's verdict.
fn verdict(
    reference: &Reference,
    size: u64,
    safe: bool,
    reason: &Option<String>,
    cinder_id: &Option<String>,
) -> Vec<String> {
    vec![
        reference.label().to_string(),
        size.to_string(),
        safe.to_string(),
        text(reason),
        text(cinder_id),
    ]
}

impl Tabular for Host {
    const HEADERS: &'static [&'static str] = &[
        "Host",
        "Cluster",
        "Driver",
        "Zone",
        "Status",
        "State",
        "Total GiB",
        "Free GiB",
    ];
    fn cells(&self) -> Vec<String> {
        let gib = |value: Option<f64>| value.map(|v| format!("{v:.2}")).unwrap_or_default();
        vec![
            self.host.clone(),
            text(&self.cluster),
            self.driver.to_string(),
            text(&self.zone),
            self.status.to_string(),
            self.state.clone(),
            gib(self.total_capacity_gb),
            gib(self.free_capacity_gb),
        ]
    }
}

impl Tabular for Volume {
    const HEADERS: &'static [&'static str] =
        &["ID", "Name", "Status", "Size", "Host", "Properties"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            text(&self.name),
            self.status.to_string(),
            self.size.to_string(),
            text(&self.host),
            metadata(&self.metadata),
        ]
    }
}

impl Tabular for Snapshot {
    const HEADERS: &'static [&'static str] =
        &["ID", "Name", "Status", "Size", "Volume ID", "Properties"];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            text(&self.name),
            self.status.to_string(),
            self.size.to_string(),
            self.volume_id.clone(),
            metadata(&self.metadata),
        ]
    }
}

impl Tabular for ManageableSnapshot {
    const HEADERS: &'static [&'static str] = &[
        "Reference",
        "Size",
        "Safe",
        "Reason Not Safe",
        "Cinder ID",
        "Source Reference",
        "Extra Info",
    ];
    fn cells(&self) -> Vec<String> {
        let mut cells = verdict(
            &self.reference,
            self.size,
            self.safe_to_manage,
            &self.reason_not_safe,
            &self.cinder_id,
        );
        cells.push(
            self.source_reference
                .as_ref()
                .map(|r| r.label().to_string())
                .unwrap_or_default(),
        );
        cells.push(extra(&self.extra_info));
        cells
    }
}

impl Tabular for ManageableVolume {
    const HEADERS: &'static [&'static str] = &[
        "Reference",
        "Size",
        "Safe",
        "Reason Not Safe",
        "Cinder ID",
        "Extra Info",
    ];
    fn cells(&self) -> Vec<String> {
        let mut cells = verdict(
            &self.reference,
            self.size,
            self.safe_to_manage,
            &self.reason_not_safe,
            &self.cinder_id,
        );
        cells.push(extra(&self.extra_info));
        cells
    }
}

/// Outside text (names, descriptions, metadata, Cinder's messages) as a terminal may
/// show it: control characters become visible escapes (`\e`, `\r`, `\x07`, `\u{9b}`)
/// so that a name cannot retitle, clear or recolour the operator's terminal. Line
/// breaks stay, for whole messages; table cells escape them too ([`cell`]). JSON
/// output needs neither: JSON escapes control characters itself.
pub fn visible(text: &str) -> Cow<'_, str> {
    escape(text, |c| c != '\n')
}

/// Like [`visible`], for one table cell: a line break would break the table.
pub fn cell(text: &str) -> Cow<'_, str> {
    escape(text, |_| true)
}

fn escape(text: &str, escapes: impl Fn(char) -> bool) -> Cow<'_, str> {
    let wanted = |c: char| c.is_control() && escapes(c);
    if !text.contains(wanted) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !wanted(c) => out.push(c),
            '\u{1b}' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// Lays out rows under headers, columns padded to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<Cow<str>>> = rows
        .iter()
        .map(|row| row.iter().map(|text| cell(text)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, text) in widths.iter_mut().zip(row) {
            *width = (*width).max(text.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let padded: Vec<String> = cells
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(&mut headers.iter().copied());
    out += &line(
        &mut widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    );
    for row in &rows {
        out += &line(&mut row.iter().map(|text| text.as_ref()));
    }
    out
}

/// Renders a list of resources.
pub fn list<T: Serialize + Tabular>(items: &[T], format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(items).expect("resources serialize") + "\n",
        Format::Table => {
            let rows: Vec<Vec<String>> = items.iter().map(Tabular::cells).collect();
            table(T::HEADERS, &rows)
        }
    }
}

/// Renders one resource: JSON, or a Field/Value table.
pub fn one<T: Serialize + Tabular>(item: &T, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(item).expect("resources serialize") + "\n",
        Format::Table => {
            let rows: Vec<Vec<String>> = T::HEADERS
                .iter()
                .zip(item.cells())
                .map(|(field, value)| vec![field.to_string(), value])
                .collect();
            table(&["Field", "Value"], &rows)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_columns_to_the_widest_cell() {
        let out = table(
            &["ID", "Name"],
            &[
                vec!["1".into(), "alpha".into()],
                vec!["22".into(), "b".into()],
            ],
        );
        assert_eq!(out, "ID  Name\n--  -----\n1   alpha\n22  b\n");
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        let hostile = "x\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mred\r\u{9b}1m";
        assert_eq!(
            visible(hostile),
            "x\\e]0;pwned\\x07\\e[2J\\e[31mred\\r\\x9b1m"
        );
        assert_eq!(visible("two\nlines"), "two\nlines");
        assert_eq!(cell("two\nlines\tand a tab"), "two\\nlines\\tand a tab");
        assert!(matches!(visible("plain ünïcödé"), Cow::Borrowed(_)));
        let out = table(&["Name"], &[vec![hostile.to_string()]]);
        assert!(
            !out.contains(|c: char| c.is_control() && c != '\n'),
            "{out:?}"
        );
        assert!(out.contains("x\\e]0;pwned"), "{out}");
    }
}
