//! Command output: `-f json` with Cinder's field names, or a plain aligned table.

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
    const HEADERS: &'static [&'static str] =
        &["Host", "Zone", "Status", "State", "Total GiB", "Free GiB"];
    fn cells(&self) -> Vec<String> {
        let gib = |value: Option<f64>| value.map(|v| format!("{v:.2}")).unwrap_or_default();
        vec![
            self.host.clone(),
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

/// Lays out rows under headers, columns padded to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
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
    for row in rows {
        out += &line(&mut row.iter().map(String::as_str));
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
}
