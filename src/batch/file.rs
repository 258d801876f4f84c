//! The items of `snapport batch import FILE`: CSV with a header, or JSON lines, one
//! import per row with the columns `kind` (snapshot or volume), `reference`, `parent`
//! (the parent volume's id, or the host), `name`, `description` and `properties`
//! (`k=v;k=v` in CSV, an object in JSON).

use std::collections::BTreeMap;

use serde::Deserialize;
use thiserror::Error;

use super::Item;
use crate::backend::{ManageSnapshotRequest, ManageVolumeRequest, Metadata, Reference};
use crate::migrate::Action;

/// A row that cannot become an import.
#[derive(Debug, Error, PartialEq)]
#[error("line {line}: {message}")]
pub struct FileError {
    /// The line of the file, from 1 (the header is line 1 of a CSV file).
    pub line: u64,
    pub message: String,
}

/// What the operator asked for every row (command-line flags).
#[derive(Debug, Clone, Copy, Default)]
pub struct RowOptions {
    pub force: bool,
    pub without_listing: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Snapshot,
    Volume,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Properties {
    Text(String),
    Map(BTreeMap<String, String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    kind: Kind,
    reference: String,
    parent: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    properties: Option<Properties>,
}

/// Reads the rows of `text`: JSON lines when its first non-blank character is `{`,
/// else CSV with a header.
pub fn parse(text: &str, options: RowOptions) -> Result<Vec<Item>, FileError> {
    let rows = if text.trim_start().starts_with('{') {
        json_rows(text)?
    } else {
        csv_rows(text)?
    };
    if rows.is_empty() {
        return Err(FileError {
            line: 1,
            message: "no rows: nothing to import".into(),
        });
    }
    rows.into_iter()
        .map(|(line, row)| item(row, options).map_err(|message| FileError { line, message }))
        .collect()
}

fn json_rows(text: &str) -> Result<Vec<(u64, Row)>, FileError> {
    text.lines()
        .zip(1..)
        .filter(|(line, _)| !line.trim().is_empty())
        .map(|(line, number)| {
            serde_json::from_str(line)
                .map(|row| (number, row))
                .map_err(|err| FileError {
                    line: number,
                    message: err.to_string(),
                })
        })
        .collect()
}

fn csv_rows(text: &str) -> Result<Vec<(u64, Row)>, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    reader
        .deserialize::<Row>()
        .map(|row| {
            row.map(|row| (0, row)).map_err(|err| FileError {
                line: err.position().map_or(0, csv::Position::line),
                message: match err.kind() {
                    csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
                    _ => err.to_string(),
                },
            })
        })
        .zip(2..)
        .map(|(row, line)| row.map(|(_, row)| (line, row)))
        .collect()
}

fn metadata(properties: Option<Properties>) -> Result<Metadata, String> {
    match properties {
        None => Ok(Metadata::new()),
        Some(Properties::Map(map)) => Ok(map),
        Some(Properties::Text(text)) => text
            .split(';')
            .filter(|pair| !pair.trim().is_empty())
            .map(crate::backend::parse_property)
            .collect(),
    }
}

fn non_empty(field: &str, value: String) -> Result<String, String> {
    if value.trim().is_empty() {
        Err(format!("{field} is empty"))
    } else {
        Ok(value)
    }
}

/// One import; its name defaults to the reference, so that every item of the batch can
/// be told apart if it must be looked for after a crash.
fn item(row: Row, options: RowOptions) -> Result<Item, String> {
    let reference = non_empty("reference", row.reference)?;
    let parent = non_empty("parent", row.parent)?;
    let name = Some(row.name.unwrap_or_else(|| reference.clone()));
    let metadata = metadata(row.properties)?;
    let action = match row.kind {
        Kind::Snapshot => Action::from(ManageSnapshotRequest {
            volume_id: parent,
            reference: Reference::name(&reference),
            name,
            description: row.description,
            metadata,
            force: options.force,
            without_listing: options.without_listing,
        }),
        Kind::Volume => Action::from(ManageVolumeRequest {
            host: parent,
            reference: Reference::name(&reference),
            name,
            description: row.description,
            metadata,
            without_listing: options.without_listing,
        }),
    };
    Ok(Item {
        label: reference,
        action,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manage_of(item: &Item) -> (&str, &str, Option<&str>, &Metadata, bool) {
        match &item.action {
            Action::ManageSnapshot {
                volume: crate::migrate::plan::IdRef::Id(parent),
                reference,
                name,
                metadata,
                without_listing,
                ..
            } => (
                parent,
                reference.label(),
                name.as_deref(),
                metadata,
                *without_listing,
            ),
            Action::ManageVolume {
                host,
                reference,
                name,
                metadata,
                without_listing,
                ..
            } => (
                host,
                reference.label(),
                name.as_deref(),
                metadata,
                *without_listing,
            ),
            other => panic!("not an import: {other:?}"),
        }
    }

    #[test]
    fn csv_and_json_lines_give_the_same_items() {
        let csv = "kind,reference,parent,name,description,properties\n\
                   snapshot,snap-1,vol-1,nightly,from old,ticket=OPS-1;origin=old\n\
                   volume, lv-free ,node@lvm#lvm,,,\n";
        let json = "{\"kind\":\"snapshot\",\"reference\":\"snap-1\",\"parent\":\"vol-1\",\
                    \"name\":\"nightly\",\"description\":\"from old\",\
                    \"properties\":{\"ticket\":\"OPS-1\",\"origin\":\"old\"}}\n\n\
                    {\"kind\":\"volume\",\"reference\":\"lv-free\",\"parent\":\"node@lvm#lvm\"}\n";
        let options = RowOptions {
            force: false,
            without_listing: true,
        };
        let from_csv = parse(csv, options).unwrap();
        assert_eq!(from_csv, parse(json, options).unwrap());
        let metadata = Metadata::from([
            ("origin".to_string(), "old".to_string()),
            ("ticket".to_string(), "OPS-1".to_string()),
        ]);
        assert_eq!(
            manage_of(&from_csv[0]),
            ("vol-1", "snap-1", Some("nightly"), &metadata, true)
        );
        assert_eq!(
            manage_of(&from_csv[1]),
            (
                "node@lvm#lvm",
                "lv-free",
                Some("lv-free"),
                &Metadata::new(),
                true
            ),
            "the name defaults to the reference"
        );
    }

    #[test]
    fn bad_rows_name_their_line() {
        let error = |text: &str| parse(text, RowOptions::default()).unwrap_err();
        let bad_kind = error("kind,reference,parent\nsnapshot,a,v\nbackup,b,v\n");
        assert_eq!(bad_kind.line, 3, "{bad_kind}");
        assert!(bad_kind.message.contains("backup"), "{bad_kind}");
        let empty_parent = error("kind,reference,parent\nsnapshot,a,\n");
        assert_eq!(
            empty_parent,
            FileError {
                line: 2,
                message: "parent is empty".into()
            }
        );
        let property = error("kind,reference,parent,properties\nsnapshot,a,v,novalue\n");
        assert!(property.message.contains("novalue"), "{property}");
        let json =
            error("{\"kind\":\"snapshot\",\"reference\":\"a\",\"parent\":\"v\"}\n{\"kind\":\n");
        assert_eq!(json.line, 2, "{json}");
        let unknown =
            error("{\"kind\":\"snapshot\",\"reference\":\"a\",\"parent\":\"v\",\"size\":1}\n");
        assert!(unknown.message.contains("size"), "{unknown}");
        assert_eq!(
            error("kind,reference,parent\n").message,
            "no rows: nothing to import"
        );
    }
}
