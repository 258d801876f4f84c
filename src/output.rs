//! Command output, in openstackclient's conventions: `-f table|json|yaml|csv|value`,
//! `-c` to choose columns by their table header, `--sort-column`, `--long` for the
//! wide columns. JSON and YAML keep Cinder's field names.

use std::borrow::Cow;
use std::cmp::Ordering;

use clap::ValueEnum;
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::backend::{
    Host, ManageableSnapshot, ManageableVolume, Metadata, Reference, Snapshot, Volume,
};

/// How commands print resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Yaml,
    Csv,
    Value,
}

/// One column of a resource: its header as tables show it (what `-c` and
/// `--sort-column` take), the Cinder fields it shows (what JSON and YAML keep when
/// columns are chosen) and whether only `--long` shows it.
#[derive(Debug)]
pub struct Column {
    pub header: &'static str,
    pub fields: &'static [&'static str],
    pub long: bool,
}

/// A column every listing shows.
pub const fn column(header: &'static str, fields: &'static [&'static str]) -> Column {
    Column {
        header,
        fields,
        long: false,
    }
}

/// A wide column, shown with `--long` or when named with `-c`.
pub const fn wide(header: &'static str, fields: &'static [&'static str]) -> Column {
    Column {
        header,
        fields,
        long: true,
    }
}

/// A resource that can be shown as one table row.
pub trait Tabular: Serialize {
    const COLUMNS: &'static [Column];
    /// The row's cells, in column order.
    fn cells(&self) -> Vec<String>;
}

/// A column name that the resource does not have.
#[derive(Debug, thiserror::Error)]
#[error("no column '{name}': the columns are {known}")]
pub struct UnknownColumn {
    pub name: String,
    pub known: String,
}

/// How to print resources: the format, the columns, the order.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub format: Format,
    /// Headers named with `-c`; none means the default columns.
    pub columns: Vec<String>,
    /// Headers to sort by, the first one first; none keeps the back end's order.
    pub sort_columns: Vec<String>,
    pub descending: bool,
    pub long: bool,
}

impl View {
    /// A view in `format` with the default columns and order.
    pub fn of(format: Format) -> Self {
        Self {
            format,
            ..Self::default()
        }
    }

    /// Fails when a named column is not one of `T`'s; called before a command changes
    /// anything, so that a typo costs nothing.
    pub fn check<T: Tabular>(&self) -> Result<(), UnknownColumn> {
        self.columns
            .iter()
            .chain(&self.sort_columns)
            .try_for_each(|name| position::<T>(name).map(drop))
    }

    /// The indexes of the columns to show: the named ones in the table's order, else
    /// the default ones (`all`: the long ones too).
    fn shown<T: Tabular>(&self, all: bool) -> Result<Vec<usize>, UnknownColumn> {
        self.check::<T>()?;
        Ok(T::COLUMNS
            .iter()
            .enumerate()
            .filter(|(_, column)| {
                if self.columns.is_empty() {
                    all || self.long || !column.long
                } else {
                    self.columns.iter().any(|name| name == column.header)
                }
            })
            .map(|(index, _)| index)
            .collect())
    }

    /// `items` in the `--sort-column` order (stable: ties keep the back end's order).
    fn sorted<'a, T: Tabular>(&self, items: &'a [T]) -> Result<Vec<&'a T>, UnknownColumn> {
        let keys = self
            .sort_columns
            .iter()
            .map(|name| position::<T>(name))
            .collect::<Result<Vec<_>, _>>()?;
        let mut rows: Vec<(&T, Vec<String>)> =
            items.iter().map(|item| (item, item.cells())).collect();
        if !keys.is_empty() {
            rows.sort_by(|(_, a), (_, b)| {
                let order = keys
                    .iter()
                    .map(|&key| compare_cells(&a[key], &b[key]))
                    .find(|order| order.is_ne())
                    .unwrap_or(Ordering::Equal);
                if self.descending {
                    order.reverse()
                } else {
                    order
                }
            });
        }
        Ok(rows.into_iter().map(|(item, _)| item).collect())
    }

    /// Renders a list of resources.
    pub fn list<T: Tabular>(&self, items: &[T]) -> Result<String, UnknownColumn> {
        let shown = self.shown::<T>(false)?;
        let items = self.sorted(items)?;
        let headers = headers::<T>(&shown);
        let rows = || -> Vec<Vec<String>> {
            items
                .iter()
                .map(|item| pick(item.cells(), &shown))
                .collect()
        };
        Ok(match self.format {
            Format::Table => table(&headers, &rows()),
            Format::Csv => csv_text(&headers, &rows()),
            Format::Value => rows().iter().map(|row| value_line(row, " ")).collect(),
            Format::Json | Format::Yaml => {
                if self.columns.is_empty() {
                    structured(&items, self.format)
                } else {
                    let picked: Vec<Picked> = items
                        .iter()
                        .map(|item| self.fields(*item, &shown))
                        .collect();
                    structured(&picked, self.format)
                }
            }
        })
    }

    /// Renders one resource: a Field/Value table, an object, a CSV row under its
    /// header, or `-f value`'s one value a line. Every column unless `-c` names some.
    pub fn one<T: Tabular>(&self, item: &T) -> Result<String, UnknownColumn> {
        let shown = self.shown::<T>(true)?;
        let headers = headers::<T>(&shown);
        let cells = pick(item.cells(), &shown);
        Ok(match self.format {
            Format::Table => {
                let rows: Vec<Vec<String>> = headers
                    .iter()
                    .zip(cells)
                    .map(|(field, value)| vec![field.to_string(), value])
                    .collect();
                table(&["Field", "Value"], &rows)
            }
            Format::Csv => csv_text(&headers, &[cells]),
            Format::Value => cells
                .iter()
                .map(|value| value_line(std::slice::from_ref(value), " "))
                .collect(),
            Format::Json | Format::Yaml if self.columns.is_empty() => structured(item, self.format),
            Format::Json | Format::Yaml => structured(&self.fields(item, &shown), self.format),
        })
    }

    /// The Cinder fields of the `shown` columns of `item`, in column order.
    fn fields<T: Tabular>(&self, item: &T, shown: &[usize]) -> Picked {
        let serde_json::Value::Object(mut object) =
            serde_json::to_value(item).expect("resources serialize")
        else {
            return Picked(Vec::new());
        };
        Picked(
            shown
                .iter()
                .flat_map(|&index| T::COLUMNS[index].fields)
                .filter_map(|field| object.remove(*field).map(|value| (*field, value)))
                .collect(),
        )
    }
}

/// Chosen fields of a resource, serialized as an object in the columns' order.
struct Picked(Vec<(&'static str, serde_json::Value)>);

impl Serialize for Picked {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

fn position<T: Tabular>(name: &str) -> Result<usize, UnknownColumn> {
    T::COLUMNS
        .iter()
        .position(|column| column.header == name)
        .ok_or_else(|| UnknownColumn {
            name: name.to_string(),
            known: T::COLUMNS
                .iter()
                .map(|column| format!("'{}'", column.header))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

fn headers<T: Tabular>(shown: &[usize]) -> Vec<&'static str> {
    shown
        .iter()
        .map(|&index| T::COLUMNS[index].header)
        .collect()
}

fn pick(mut cells: Vec<String>, shown: &[usize]) -> Vec<String> {
    shown
        .iter()
        .map(|&index| std::mem::take(&mut cells[index]))
        .collect()
}

/// Numbers compare as numbers (sizes, capacities), the rest as text.
fn compare_cells(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    }
}

/// JSON (pretty, as before) or YAML; both escape control characters themselves.
pub fn structured<T: Serialize + ?Sized>(value: &T, format: Format) -> String {
    match format {
        Format::Yaml => serde_yaml_ng::to_string(value).expect("resources serialize"),
        _ => serde_json::to_string_pretty(value).expect("resources serialize") + "\n",
    }
}

/// `-f value`: the cells joined by `separator`, as openstack prints them, control
/// characters made visible.
fn value_line(cells: &[String], separator: &str) -> String {
    let cells: Vec<Cow<str>> = cells.iter().map(|text| cell(text)).collect();
    cells.join(separator) + "\n"
}

/// CSV with a header row, quoted where needed, control characters made visible.
fn csv_text(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(headers).expect("writing to memory");
    for row in rows {
        writer
            .write_record(row.iter().map(|text| cell(text).into_owned()))
            .expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("cells are UTF-8")
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
    const COLUMNS: &'static [Column] = &[
        column("Host", &["host"]),
        column("Cluster", &["cluster"]),
        column("Driver", &["driver"]),
        column("Zone", &["zone"]),
        column("Status", &["status"]),
        column("State", &["state"]),
        column("Total GiB", &["total_capacity_gb"]),
        column("Free GiB", &["free_capacity_gb"]),
        wide("Storage", &["storage"]),
        wide("Updated At", &["updated_at"]),
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
            text(&self.storage),
            text(&self.updated_at),
        ]
    }
}

impl Tabular for Volume {
    const COLUMNS: &'static [Column] = &[
        column("ID", &["id"]),
        column("Name", &["name"]),
        column("Status", &["status"]),
        column("Size", &["size"]),
        column("Host", &["host"]),
        column("Properties", &["metadata"]),
        wide("Description", &["description"]),
        wide("Attached", &["attached"]),
        wide("Created At", &["created_at"]),
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            text(&self.name),
            self.status.to_string(),
            self.size.to_string(),
            text(&self.host),
            metadata(&self.metadata),
            text(&self.description),
            self.attached.to_string(),
            text(&self.created_at),
        ]
    }
}

impl Tabular for Snapshot {
    const COLUMNS: &'static [Column] = &[
        column("ID", &["id"]),
        column("Name", &["name"]),
        column("Status", &["status"]),
        column("Size", &["size"]),
        column("Volume ID", &["volume_id"]),
        column("Properties", &["metadata"]),
        wide("Description", &["description"]),
        wide("Created At", &["created_at"]),
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            text(&self.name),
            self.status.to_string(),
            self.size.to_string(),
            self.volume_id.clone(),
            metadata(&self.metadata),
            text(&self.description),
            text(&self.created_at),
        ]
    }
}

/// The columns manageable volumes and snapshots share, in [`verdict`]'s order.
macro_rules! verdict_columns {
    ($($more:expr),*) => {
        &[
            column("Reference", &["reference"]),
            column("Size", &["size"]),
            column("Safe", &["safe_to_manage"]),
            column("Reason Not Safe", &["reason_not_safe"]),
            column("Cinder ID", &["cinder_id"]),
            $($more),*
        ]
    };
}

impl Tabular for ManageableSnapshot {
    const COLUMNS: &'static [Column] = verdict_columns!(
        column("Source Reference", &["source_reference"]),
        column("Extra Info", &["extra_info"])
    );
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
    const COLUMNS: &'static [Column] = verdict_columns!(column("Extra Info", &["extra_info"]));
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
    fn volume(id: &str, name: &str, size: u64) -> Volume {
        Volume {
            id: id.into(),
            name: Some(name.into()),
            description: Some("kept".into()),
            status: crate::backend::Status::Available,
            size,
            host: Some("node@lvm#lvm".into()),
            created_at: None,
            metadata: Metadata::from([("ticket".into(), "OPS-7".into())]),
            attached: false,
        }
    }

    fn view(format: Format, columns: &[&str]) -> View {
        View {
            format,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            ..View::default()
        }
    }

    #[test]
    fn value_prints_a_row_a_line_space_separated() {
        let volumes = [volume("v1", "alpha", 2), volume("v2", "b c", 10)];
        let out = view(Format::Value, &["ID"]).list(&volumes).unwrap();
        assert_eq!(out, "v1\nv2\n");
        let out = view(Format::Value, &["Size", "ID"]).list(&volumes).unwrap();
        assert_eq!(out, "v1 2\nv2 10\n", "columns keep the table's order");
        let out = view(Format::Value, &["ID", "Size"])
            .one(&volumes[0])
            .unwrap();
        assert_eq!(out, "v1\n2\n", "one resource: a value a line");
    }

    #[test]
    fn csv_quotes_commas_and_quotes() {
        let volumes = [volume("v1", "a, \"quoted\" name", 1)];
        let out = view(Format::Csv, &["ID", "Name"]).list(&volumes).unwrap();
        assert_eq!(out, "ID,Name\nv1,\"a, \"\"quoted\"\" name\"\n");
    }

    #[test]
    fn yaml_and_json_keep_cinders_field_names_and_round_trip() {
        let volumes = vec![volume("v1", "x\u{1b}]0;t\u{7}", 1)];
        let yaml = View::of(Format::Yaml).list(&volumes).unwrap();
        assert!(!yaml.contains('\u{1b}'), "{yaml}");
        let back: Vec<Volume> = serde_yaml_ng::from_str(&yaml).unwrap();
        assert_eq!(back, volumes, "exact, control characters included");
        let json = view(Format::Json, &["ID", "Properties"])
            .list(&volumes)
            .unwrap();
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back,
            serde_json::json!([{ "id": "v1", "metadata": { "ticket": "OPS-7" } }])
        );
    }

    #[test]
    fn control_characters_stay_visible_in_value_and_csv() {
        let volumes = [volume("v1", "x\u{1b}[2J\ny", 1)];
        for format in [Format::Value, Format::Csv, Format::Table] {
            let out = view(format, &["Name"]).list(&volumes).unwrap();
            assert!(out.contains("x\\e[2J\\ny"), "{format:?}: {out}");
        }
    }

    #[test]
    fn sort_columns_compare_numbers_as_numbers() {
        let volumes = [
            volume("v1", "b", 10),
            volume("v2", "a", 9),
            volume("v3", "a", 100),
        ];
        let sorted = |sort: &[&str], descending| View {
            format: Format::Value,
            columns: vec!["ID".into()],
            sort_columns: sort.iter().map(|c| c.to_string()).collect(),
            descending,
            long: false,
        };
        let out = sorted(&["Size"], false).list(&volumes).unwrap();
        assert_eq!(out, "v2\nv1\nv3\n");
        let out = sorted(&["Name", "Size"], true).list(&volumes).unwrap();
        assert_eq!(out, "v1\nv3\nv2\n");
    }

    #[test]
    fn wide_columns_need_long_or_a_name() {
        let volumes = [volume("v1", "a", 1)];
        let plain = View::of(Format::Table).list(&volumes).unwrap();
        assert!(!plain.contains("Description"), "{plain}");
        let long = View {
            long: true,
            ..View::of(Format::Table)
        };
        let wide = long.list(&volumes).unwrap();
        assert!(
            wide.contains("Description") && wide.contains("kept"),
            "{wide}"
        );
        let named = view(Format::Value, &["Description"])
            .list(&volumes)
            .unwrap();
        assert_eq!(named, "kept\n");
    }

    #[test]
    fn an_unknown_column_is_named_with_the_known_ones() {
        let err = view(Format::Value, &["id"]).check::<Volume>().unwrap_err();
        assert_eq!(err.name, "id");
        assert!(err.to_string().contains("'ID', 'Name'"), "{err}");
    }
}
