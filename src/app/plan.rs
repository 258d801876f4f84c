//! The exact work a confirmation dialog stands for: what will be imported or exported,
//! and the side effects the operator must read before saying yes.

use crate::backend::{ManageSnapshotRequest, Metadata, Reference};
use crate::cli::export_warning;

/// The word that confirms a bulk export, besides the count.
pub const BULK_WORD: &str = "export";

/// Bulk exports above this many items need the count (or [`BULK_WORD`]) typed.
pub const BULK_THRESHOLD: usize = 3;

/// One back-end snapshot to import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportItem {
    pub reference: Reference,
    pub size: u64,
    pub volume_id: String,
    /// The parent volume as the operator knows it (name and id).
    pub volume_label: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub metadata: Metadata,
}

/// Snapshots to import, as confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPlan {
    pub items: Vec<ImportItem>,
}

impl ImportPlan {
    /// The manage requests, in order.
    pub fn requests(&self) -> Vec<ManageSnapshotRequest> {
        self.items
            .iter()
            .map(|item| ManageSnapshotRequest {
                volume_id: item.volume_id.clone(),
                reference: item.reference.clone(),
                name: item.name.clone(),
                description: item.description.clone(),
                metadata: item.metadata.clone(),
                force: false,
            })
            .collect()
    }

    /// What the confirmation lists.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .items
            .iter()
            .map(|item| {
                format!(
                    "import {} ({} GiB) as snapshot '{}' of volume {}",
                    item.reference.label(),
                    item.size,
                    item.name.as_deref().unwrap_or(""),
                    item.volume_label
                )
            })
            .collect();
        lines.push(
            "Cinder renames each LV to _snapshot-<new id>; the data is not copied.".to_string(),
        );
        lines
    }
}

/// Whether an export forgets snapshots or volumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Snapshots,
    Volumes,
}

impl ExportKind {
    /// The noun, plural.
    pub fn noun(self) -> &'static str {
        match self {
            ExportKind::Snapshots => "snapshots",
            ExportKind::Volumes => "volumes",
        }
    }
}

/// One snapshot or volume to export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportItem {
    pub id: String,
    pub label: String,
    /// For snapshots: the parent volume's id and label.
    pub parent: Option<(String, String)>,
}

/// Snapshots or volumes to export (unmanage), as confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportPlan {
    pub kind: ExportKind,
    pub items: Vec<ExportItem>,
}

impl ExportPlan {
    /// True when the operator must type the count or [`BULK_WORD`].
    pub fn needs_typing(&self) -> bool {
        self.items.len() > BULK_THRESHOLD
    }

    /// True when `typed` confirms this plan.
    pub fn accepts(&self, typed: &str) -> bool {
        let typed = typed.trim();
        typed == self.items.len().to_string() || typed == BULK_WORD
    }

    /// The warnings, one per parent volume for snapshots.
    pub fn warnings(&self) -> Vec<String> {
        match self.kind {
            ExportKind::Volumes => vec![
                "After export each volume's data stays on the back end; Cinder forgets it. \
                 A volume with managed snapshots is refused until they are exported."
                    .to_string(),
            ],
            ExportKind::Snapshots => {
                let mut parents: Vec<(&str, &str, usize)> = Vec::new();
                for item in &self.items {
                    let Some((id, label)) = &item.parent else {
                        continue;
                    };
                    match parents.iter_mut().find(|(known, _, _)| known == id) {
                        Some(entry) => entry.2 += 1,
                        None => parents.push((id, label, 1)),
                    }
                }
                parents
                    .into_iter()
                    .map(|(_, label, count)| {
                        format!(
                            "{count} snapshot(s) of volume {label}: {}",
                            export_warning(label)
                        )
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(id: &str, parent: &str) -> ExportItem {
        ExportItem {
            id: id.into(),
            label: format!("snap {id}"),
            parent: Some((parent.into(), format!("{parent}-name ({parent})"))),
        }
    }

    #[test]
    fn snapshot_export_warns_once_per_parent_volume() {
        let plan = ExportPlan {
            kind: ExportKind::Snapshots,
            items: vec![
                snapshot("s1", "v1"),
                snapshot("s2", "v2"),
                snapshot("s3", "v1"),
            ],
        };
        let warnings = plan.warnings();
        assert_eq!(warnings.len(), 2);
        assert!(
            warnings[0].starts_with(
                "2 snapshot(s) of volume v1-name (v1): after export the snapshot's data stays on the back end"
            ),
            "{}",
            warnings[0]
        );
        assert!(
            warnings[0].contains("LVM and RBD") && warnings[0].contains("can then not be deleted")
        );
        assert!(warnings[0].contains("returns to 'available'"));
        assert!(warnings[1].starts_with("1 snapshot(s) of volume v2-name (v2)"));
    }

    #[test]
    fn bulk_export_needs_the_count_or_the_word() {
        let small = ExportPlan {
            kind: ExportKind::Snapshots,
            items: (0..3).map(|n| snapshot(&n.to_string(), "v")).collect(),
        };
        assert!(!small.needs_typing());
        let bulk = ExportPlan {
            kind: ExportKind::Snapshots,
            items: (0..4).map(|n| snapshot(&n.to_string(), "v")).collect(),
        };
        assert!(bulk.needs_typing());
        assert!(bulk.accepts("4"));
        assert!(bulk.accepts(" export "));
        assert!(!bulk.accepts("3"));
        assert!(!bulk.accepts("yes"));
        assert!(!bulk.accepts(""));
    }

    #[test]
    fn import_requests_carry_the_form_values() {
        let plan = ImportPlan {
            items: vec![ImportItem {
                reference: Reference::name("backup-1"),
                size: 1,
                volume_id: "v1".into(),
                volume_label: "db (v1)".into(),
                name: Some("backup-1".into()),
                description: None,
                metadata: Metadata::from([("k".to_string(), "v".to_string())]),
            }],
        };
        let requests = plan.requests();
        assert_eq!(requests[0].reference, Reference::name("backup-1"));
        assert_eq!(requests[0].volume_id, "v1");
        assert_eq!(requests[0].metadata["k"], "v");
        assert!(!requests[0].force, "the origin check always runs");
        assert_eq!(
            plan.lines()[0],
            "import backup-1 (1 GiB) as snapshot 'backup-1' of volume db (v1)"
        );
    }
}
