//! The exact work a confirmation dialog stands for: what will be imported or exported,
//! and the side effects the operator must read before saying yes.

use crate::backend::{ManageSnapshotRequest, ManageVolumeRequest, Metadata, Reference};
use crate::cli::export_warning;

use super::msg::Manage;

/// The word that confirms a bulk export, besides the count.
pub const BULK_WORD: &str = "export";

/// Bulk exports above this many items need the count (or [`BULK_WORD`]) typed.
pub const BULK_THRESHOLD: usize = 3;

/// Where an import puts what it adopts.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportTarget {
    /// A back-end snapshot becomes a snapshot of this managed volume.
    Snapshot {
        volume_id: String,
        /// The parent volume as the operator knows it (name and id).
        volume_label: String,
    },
    /// A back-end volume becomes a volume on this host (`host@backend#pool`).
    Volume { host: String },
}

/// One back-end snapshot or volume to import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportItem {
    pub reference: Reference,
    pub size: u64,
    pub target: ImportTarget,
    pub name: Option<String>,
    pub description: Option<String>,
    pub metadata: Metadata,
}

impl ImportItem {
    fn request(&self) -> Manage {
        let reference = self.reference.clone();
        let (name, description, metadata) = (
            self.name.clone(),
            self.description.clone(),
            self.metadata.clone(),
        );
        match &self.target {
            ImportTarget::Snapshot { volume_id, .. } => Manage::Snapshot(ManageSnapshotRequest {
                volume_id: volume_id.clone(),
                reference,
                name,
                description,
                metadata,
                force: false,
                without_listing: false,
            }),
            ImportTarget::Volume { host } => Manage::Volume(ManageVolumeRequest {
                host: host.clone(),
                reference,
                name,
                description,
                metadata,
                without_listing: false,
            }),
        }
    }

    fn line(&self) -> String {
        let head = format!("import {} ({} GiB) as", self.reference.label(), self.size);
        let name = self.name.as_deref().unwrap_or("");
        match &self.target {
            ImportTarget::Snapshot { volume_label, .. } => {
                format!("{head} snapshot '{name}' of volume {volume_label}")
            }
            ImportTarget::Volume { host } => format!("{head} volume '{name}' on {host}"),
        }
    }
}

/// Snapshots or volumes to import, as confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPlan {
    pub items: Vec<ImportItem>,
}

impl ImportPlan {
    /// True when the plan imports volumes (a plan never mixes kinds: it comes from one
    /// screen).
    pub fn imports_volumes(&self) -> bool {
        self.items
            .iter()
            .any(|item| matches!(item.target, ImportTarget::Volume { .. }))
    }

    /// What is imported, plural, for titles.
    pub fn noun(&self) -> &'static str {
        if self.imports_volumes() {
            "volume(s)"
        } else {
            "snapshot(s)"
        }
    }

    /// The manage requests, in order.
    pub fn requests(&self) -> Vec<Manage> {
        self.items.iter().map(ImportItem::request).collect()
    }

    /// What the confirmation lists: each import, then what Cinder does to the LVs.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.items.iter().map(ImportItem::line).collect();
        if self.imports_volumes() {
            lines.push(
                "Cinder renames each LV to volume-<new id>; the data is not copied. Back-end \
                 snapshots of these LVs can be imported afterwards."
                    .to_string(),
            );
        } else {
            lines.push(
                "Cinder renames each LV to _snapshot-<new id>; the data is not copied.".to_string(),
            );
        }
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
                target: ImportTarget::Snapshot {
                    volume_id: "v1".into(),
                    volume_label: "db (v1)".into(),
                },
                name: Some("backup-1".into()),
                description: None,
                metadata: Metadata::from([("k".to_string(), "v".to_string())]),
            }],
        };
        let requests = plan.requests();
        let [Manage::Snapshot(request)] = requests.as_slice() else {
            panic!("a snapshot import")
        };
        assert_eq!(request.reference, Reference::name("backup-1"));
        assert_eq!(request.volume_id, "v1");
        assert_eq!(request.metadata["k"], "v");
        assert!(!request.force, "the origin check always runs");
        assert_eq!(
            plan.lines()[0],
            "import backup-1 (1 GiB) as snapshot 'backup-1' of volume db (v1)"
        );
        assert_eq!(plan.noun(), "snapshot(s)");
    }

    #[test]
    fn volume_imports_go_to_the_host_and_say_how_the_lv_is_renamed() {
        let plan = ImportPlan {
            items: vec![ImportItem {
                reference: Reference::name("legacy-db"),
                size: 8,
                target: ImportTarget::Volume {
                    host: "node@lvm#vg".into(),
                },
                name: Some("legacy-db".into()),
                description: Some("from the old array".into()),
                metadata: Metadata::new(),
            }],
        };
        let requests = plan.requests();
        let [Manage::Volume(request)] = requests.as_slice() else {
            panic!("a volume import")
        };
        assert_eq!(request.host, "node@lvm#vg");
        assert_eq!(request.reference, Reference::name("legacy-db"));
        assert_eq!(request.description.as_deref(), Some("from the old array"));
        assert_eq!(plan.noun(), "volume(s)");
        let lines = plan.lines();
        assert_eq!(
            lines[0],
            "import legacy-db (8 GiB) as volume 'legacy-db' on node@lvm#vg"
        );
        assert!(lines[1].starts_with("Cinder renames each LV to volume-<new id>"));
    }
}
