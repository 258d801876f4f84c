//! The rows of each list screen: a domain object plus what other listings add to it
//! (counts, the parent's name, back-end snapshots Cinder does not manage).

use std::borrow::Cow;

use crate::backend::{Host, ManageableSnapshot, ManageableVolume, Snapshot, Volume};

use super::table::{Column, Row};

const fn col(title: &'static str, width: u16, priority: u8) -> Column {
    Column {
        title,
        width,
        fill: false,
        priority,
        about: None,
    }
}

/// A column of counts whose short title help explains.
const fn count_col(title: &'static str, width: u16, priority: u8, about: &'static str) -> Column {
    Column {
        about: Some(about),
        ..col(title, width, priority)
    }
}

/// A column that takes the spare width, at least `width`.
const fn fill(title: &'static str, width: u16) -> Column {
    Column {
        title,
        width,
        fill: true,
        priority: 0,
        about: None,
    }
}

/// Shown for what is not known yet.
const UNKNOWN: &str = "-";

fn count(value: Option<usize>) -> Cow<'static, str> {
    value.map_or(Cow::Borrowed(UNKNOWN), |n| Cow::Owned(n.to_string()))
}

fn gib(value: Option<f64>) -> Cow<'static, str> {
    value.map_or(Cow::Borrowed(UNKNOWN), |n| Cow::Owned(format!("{n:.1}")))
}

fn text(value: Option<&str>) -> Cow<'_, str> {
    Cow::Borrowed(value.unwrap_or(""))
}

fn date(value: Option<&str>) -> Cow<'_, str> {
    Cow::Borrowed(value.map_or("", |d| d.get(..19).unwrap_or(d)))
}

/// A volume service with counts from the listings the console makes per host anyway:
/// its volumes and its back-end snapshots (no listing of every managed snapshot).
#[derive(Debug, Clone, PartialEq)]
pub struct HostRow {
    pub host: Host,
    /// Managed volumes on the host.
    pub volumes: Option<usize>,
    /// Back-end snapshots Cinder manages.
    pub managed: Option<usize>,
    /// Back-end snapshots Cinder does not manage and that are safe to import.
    pub unmanaged: Option<usize>,
}

impl Row for HostRow {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            // 29: with the counts' titles spelled out, TOTAL GiB still fits in 80 columns.
            fill("HOST", 29),
            col("CLUSTER", 16, 2),
            col("DRIVER", 11, 2),
            col("STATE", 5, 0),
            col("STATUS", 8, 2),
            col("ZONE", 8, 3),
            col("TOTAL GiB", 9, 1),
            col("FREE GiB", 9, 0),
            count_col("VOLS", 5, 0, "volumes Cinder manages on the host"),
            count_col(
                "BE-MGD",
                6,
                0,
                "snapshots on the host's back end that Cinder manages",
            ),
            count_col(
                "BE-UNMGD",
                8,
                0,
                "snapshots on the host's back end that Cinder does not manage, safe to import",
            ),
        ];
        COLUMNS
    }
    fn key(&self) -> &str {
        &self.host.host
    }
    fn cell(&self, column: usize) -> Cow<'_, str> {
        match column {
            0 => Cow::Borrowed(&self.host.host),
            1 => text(self.host.cluster.as_deref()),
            2 => Cow::Owned(self.host.driver.to_string()),
            3 => Cow::Borrowed(&self.host.state),
            4 => Cow::Borrowed(&self.host.status),
            5 => text(self.host.zone.as_deref()),
            6 => gib(self.host.total_capacity_gb),
            7 => gib(self.host.free_capacity_gb),
            8 => count(self.volumes),
            9 => count(self.managed),
            _ => count(self.unmanaged),
        }
    }
    fn number(&self, column: usize) -> Option<f64> {
        match column {
            6 => self.host.total_capacity_gb,
            7 => self.host.free_capacity_gb,
            8 => self.volumes.map(|n| n as f64),
            9 => self.managed.map(|n| n as f64),
            10 => self.unmanaged.map(|n| n as f64),
            _ => None,
        }
    }
}

/// A volume, with the back-end snapshots of it that Cinder does not manage.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeRow {
    pub volume: Volume,
    /// References of safe-to-manage back-end snapshots whose origin is this volume;
    /// `None` until the host's back-end listing arrived. They make a delete fail.
    pub unmanaged: Option<Vec<String>>,
}

impl VolumeRow {
    /// True when the back end holds snapshots of this volume that Cinder does not know.
    pub fn has_unmanaged(&self) -> bool {
        self.unmanaged.as_ref().is_some_and(|refs| !refs.is_empty())
    }
}

impl Row for VolumeRow {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            fill("NAME", 12),
            col("ID", 36, 1),
            col("STATUS", 9, 0),
            col("SIZE", 4, 0),
            count_col(
                "UNMGD",
                5,
                0,
                "snapshots of the volume on the back end that Cinder does not manage",
            ),
            col("HOST", 24, 2),
            col("CREATED", 19, 3),
        ];
        COLUMNS
    }
    fn key(&self) -> &str {
        &self.volume.id
    }
    fn cell(&self, column: usize) -> Cow<'_, str> {
        match column {
            0 => text(self.volume.name.as_deref()),
            1 => Cow::Borrowed(&self.volume.id),
            2 => Cow::Borrowed(self.volume.status.as_str()),
            3 => Cow::Owned(self.volume.size.to_string()),
            4 => count(self.unmanaged.as_ref().map(Vec::len)),
            5 => text(self.volume.host.as_deref()),
            _ => date(self.volume.created_at.as_deref()),
        }
    }
    fn number(&self, column: usize) -> Option<f64> {
        match column {
            3 => Some(self.volume.size as f64),
            4 => self.unmanaged.as_ref().map(|refs| refs.len() as f64),
            _ => None,
        }
    }
    fn haystack(&self) -> String {
        let v = &self.volume;
        format!(
            "{} {} {} {}",
            v.name.as_deref().unwrap_or(""),
            v.id,
            v.status,
            v.host.as_deref().unwrap_or("")
        )
    }
}

/// A managed snapshot, with its volume's name when known.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRow {
    pub snapshot: Snapshot,
    pub volume_name: Option<String>,
}

impl Row for SnapshotRow {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            fill("NAME", 12),
            col("ID", 36, 1),
            col("STATUS", 9, 0),
            col("SIZE", 4, 0),
            col("VOLUME", 16, 2),
            col("CREATED", 19, 3),
        ];
        COLUMNS
    }
    fn key(&self) -> &str {
        &self.snapshot.id
    }
    fn cell(&self, column: usize) -> Cow<'_, str> {
        let s = &self.snapshot;
        match column {
            0 => text(s.name.as_deref()),
            1 => Cow::Borrowed(&s.id),
            2 => Cow::Borrowed(s.status.as_str()),
            3 => Cow::Owned(s.size.to_string()),
            4 => Cow::Borrowed(self.volume_name.as_deref().unwrap_or(&s.volume_id)),
            _ => date(s.created_at.as_deref()),
        }
    }
    fn number(&self, column: usize) -> Option<f64> {
        (column == 3).then_some(self.snapshot.size as f64)
    }
    fn haystack(&self) -> String {
        let s = &self.snapshot;
        format!(
            "{} {} {} {}",
            s.name.as_deref().unwrap_or(""),
            s.id,
            s.status,
            s.volume_id
        )
    }
}

/// A back-end snapshot, with its parent volume's name when Cinder manages it.
#[derive(Debug, Clone, PartialEq)]
pub struct ManageableRow {
    pub entry: ManageableSnapshot,
    pub parent_name: Option<String>,
    /// Parent and reference: one name may be listed under several parents (RBD).
    key: String,
}

impl ManageableRow {
    pub fn new(entry: ManageableSnapshot, parent_name: Option<String>) -> Self {
        Self {
            key: entry.key(),
            entry,
            parent_name,
        }
    }
}

/// Cinder's verdict on one back-end object, as both back-end listings report it.
pub struct Verdict<'a> {
    /// What a manage makes of it: `snapshot` or `volume`.
    pub kind: &'static str,
    pub reference: &'a str,
    pub size: u64,
    pub safe: bool,
    pub reason: Option<&'a str>,
    pub cinder_id: Option<&'a str>,
}

/// A back-end entry the operator may import: marks and imports ask it first.
pub trait Importable {
    /// The back end's verdict on the entry.
    fn verdict(&self) -> Verdict<'_>;

    /// Only safe entries can be marked and imported.
    fn safe(&self) -> bool {
        self.verdict().safe
    }

    /// Why this entry cannot be imported (the back end's reason, and the Cinder object
    /// that already manages it), if it cannot.
    fn refusal(&self) -> Option<String> {
        let v = self.verdict();
        (!v.safe).then(|| {
            let reason = v.reason.unwrap_or("not safe to manage");
            match v.cinder_id {
                Some(id) => format!(
                    "{} cannot be imported: {reason} ({} {id})",
                    v.reference, v.kind
                ),
                None => format!("{} cannot be imported: {reason}", v.reference),
            }
        })
    }
}

/// Both listings' entries carry the same verdict fields.
macro_rules! importable {
    ($row:ty, $kind:literal) => {
        impl Importable for $row {
            fn verdict(&self) -> Verdict<'_> {
                let e = &self.entry;
                Verdict {
                    kind: $kind,
                    reference: e.reference.label(),
                    size: e.size,
                    safe: e.safe_to_manage,
                    reason: e.reason_not_safe.as_deref(),
                    cinder_id: e.cinder_id.as_deref(),
                }
            }
        }
    };
}

importable!(ManageableRow, "snapshot");
importable!(ManageableVolumeRow, "volume");

/// Where both back-end listings show the SAFE verdict.
pub const SAFE_COLUMN: usize = 2;

/// The columns both back-end listings start with: reference, size, safe, reason.
fn verdict_cell<'a>(row: &'a impl Importable, column: usize) -> Cow<'a, str> {
    let v = row.verdict();
    match column {
        0 => Cow::Borrowed(v.reference),
        1 => Cow::Owned(v.size.to_string()),
        2 => Cow::Borrowed(if v.safe { "yes" } else { "no" }),
        _ => text(v.reason),
    }
}

/// The back end's `extra_info`, as one line of text.
pub fn extra_info(value: Option<&serde_json::Value>) -> Cow<'_, str> {
    match value {
        None | Some(serde_json::Value::Null) => Cow::Borrowed(""),
        Some(serde_json::Value::String(text)) => Cow::Borrowed(text),
        Some(other) => Cow::Owned(other.to_string()),
    }
}

impl Row for ManageableRow {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            fill("REFERENCE", 20),
            col("SIZE", 4, 0),
            col("SAFE", 4, 0),
            col("REASON", 16, 1),
            col("PARENT", 20, 1),
            col("CINDER ID", 36, 3),
        ];
        COLUMNS
    }
    fn key(&self) -> &str {
        &self.key
    }
    fn copied(&self) -> &str {
        self.entry.reference.label()
    }
    fn cell(&self, column: usize) -> Cow<'_, str> {
        let e = &self.entry;
        match column {
            0..=3 => verdict_cell(self, column),
            4 => match (&self.parent_name, &e.source_reference) {
                (Some(name), _) => Cow::Borrowed(name),
                (None, Some(origin)) => Cow::Borrowed(origin.label()),
                (None, None) => Cow::Borrowed(UNKNOWN),
            },
            _ => text(e.cinder_id.as_deref()),
        }
    }
    fn number(&self, column: usize) -> Option<f64> {
        (column == 1).then_some(self.entry.size as f64)
    }
}

/// A back-end volume, with the back-end snapshots whose origin it is.
#[derive(Debug, Clone, PartialEq)]
pub struct ManageableVolumeRow {
    pub entry: ManageableVolume,
    /// References of the back-end snapshots of this LV; `None` until the host's
    /// back-end snapshot listing arrived. Unmanaged ones become importable once the
    /// volume is.
    pub snapshots: Option<Vec<String>>,
}

impl Row for ManageableVolumeRow {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            fill("REFERENCE", 20),
            col("SIZE", 4, 0),
            col("SAFE", 4, 0),
            col("REASON", 16, 1),
            count_col(
                "SNAPS",
                5,
                1,
                "snapshots of the back-end volume on the back end",
            ),
            col("CINDER ID", 36, 3),
            fill("EXTRA INFO", 12),
        ];
        COLUMNS
    }
    fn key(&self) -> &str {
        self.entry.reference.label()
    }
    fn cell(&self, column: usize) -> Cow<'_, str> {
        let e = &self.entry;
        match column {
            0..=3 => verdict_cell(self, column),
            4 => count(self.snapshots.as_ref().map(Vec::len)),
            5 => text(e.cinder_id.as_deref()),
            _ => extra_info(e.extra_info.as_ref()),
        }
    }
    fn number(&self, column: usize) -> Option<f64> {
        match column {
            1 => Some(self.entry.size as f64),
            4 => self.snapshots.as_ref().map(|refs| refs.len() as f64),
            _ => None,
        }
    }
}
