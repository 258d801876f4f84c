//! The exact work a confirmation dialog stands for: what will be imported, exported,
//! deleted, created or retired, and the side effects the operator must read before
//! saying yes.

use crate::backend::side_effects::{create_effect, delete_effect, export_warning, import_effect};
use crate::backend::{
    CreateVolumeRequest, Driver, ManageSnapshotRequest, ManageVolumeRequest, Metadata, Reference,
};
use crate::batch::retire::Survey;

use super::msg::Manage;

/// The word that confirms a bulk export, besides the count.
pub const BULK_WORD: &str = "export";

/// The word that confirms a bulk delete, besides the count.
pub const DELETE_WORD: &str = "delete";

/// Whether a removal forgets the records (export) or destroys the data (delete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Export,
    Delete,
}

impl Removal {
    /// The word typed to confirm a bulk removal, besides the count.
    pub fn word(self) -> &'static str {
        match self {
            Removal::Export => BULK_WORD,
            Removal::Delete => DELETE_WORD,
        }
    }

    /// The verb for titles and buttons.
    pub fn verb(self) -> &'static str {
        match self {
            Removal::Export => "Export",
            Removal::Delete => "Delete",
        }
    }
}

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
    /// In GiB; unknown for a reference typed by the operator.
    pub size: Option<u64>,
    pub target: ImportTarget,
    pub name: Option<String>,
    pub description: Option<String>,
    pub metadata: Metadata,
}

impl ImportItem {
    fn request(&self, without_listing: bool) -> Manage {
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
                without_listing,
            }),
            ImportTarget::Volume { host } => Manage::Volume(ManageVolumeRequest {
                host: host.clone(),
                reference,
                name,
                description,
                metadata,
                without_listing,
            }),
        }
    }

    fn line(&self) -> String {
        let size = self
            .size
            .map(|gib| format!(" ({gib} GiB)"))
            .unwrap_or_default();
        let head = format!("import {}{size} as", self.reference.label());
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
    /// Why the host's listing failed, when the import goes without it (by reference).
    pub listing_failed: Option<String>,
    /// The driver of the host imported on: it names what it imports.
    pub driver: Driver,
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
        let without_listing = self.listing_failed.is_some();
        self.items
            .iter()
            .map(|item| item.request(without_listing))
            .collect()
    }

    /// What the confirmation shows: the imports per parent volume (or host), what
    /// Cinder does to the LVs, and each import.
    pub fn summary(&self) -> Summary {
        let rename = import_effect(&self.driver, self.imports_volumes());
        let (singular, plural) = if self.imports_volumes() {
            ("volume", "volumes")
        } else {
            ("snapshot", "snapshots")
        };
        Summary {
            heading: format!(
                "Import (manage) {} back-end {}:",
                self.items.len(),
                self.noun()
            ),
            groups: groups(
                self.items.iter().map(|item| match &item.target {
                    ImportTarget::Snapshot { volume_label, .. } => volume_label.as_str(),
                    ImportTarget::Volume { host } => host.as_str(),
                }),
                singular,
                plural,
            ),
            warnings: self
                .listing_failed
                .iter()
                .map(|failure| self.unchecked(failure))
                .chain([rename])
                .collect(),
            items: self.items.iter().map(ImportItem::line).collect(),
        }
    }
}

/// What must be typed before a plan runs: the prompt, and what to say when it was not.
#[derive(Debug, Clone, PartialEq)]
pub struct Typed {
    pub prompt: String,
    pub hint: String,
}

impl super::Plan {
    /// What the confirmation shows.
    pub fn summary(&self) -> Summary {
        match self {
            super::Plan::Import(plan) => plan.summary(),
            super::Plan::Export(plan) => plan.summary(),
            super::Plan::Create(plan) => plan.summary(),
            super::Plan::Retire(plan) => plan.summary(),
        }
    }

    /// How many items it runs.
    pub fn items(&self) -> usize {
        match self {
            super::Plan::Import(plan) => plan.items.len(),
            super::Plan::Export(plan) => plan.items.len(),
            super::Plan::Create(plan) => plan.count as usize,
            super::Plan::Retire(plan) => plan.survey.items().len(),
        }
    }

    /// The dialog's title.
    pub fn title(&self) -> String {
        match self {
            super::Plan::Import(_) => "Confirm import".to_string(),
            super::Plan::Export(plan) => format!("Confirm {}", plan.removal.word()),
            super::Plan::Create(_) => "Confirm create".to_string(),
            super::Plan::Retire(_) => "Review the retirement".to_string(),
        }
    }

    /// The label of the button that runs it.
    pub fn action(&self) -> String {
        let count = self.items();
        match self {
            super::Plan::Import(_) => format!("Import {count}"),
            super::Plan::Export(plan) => format!("{} {count}", plan.removal.verb()),
            super::Plan::Create(_) => format!("Create {count}"),
            super::Plan::Retire(_) => "Retire".to_string(),
        }
    }

    /// What must be typed before it runs, if anything: the count or the word for a
    /// bulk removal, the volume's name for a retirement.
    pub fn typing(&self) -> Option<Typed> {
        match self {
            super::Plan::Export(plan) if plan.needs_typing() => {
                let (count, word) = (plan.items.len(), plan.removal.word());
                Some(Typed {
                    prompt: format!("Type {count} or '{word}' to confirm: "),
                    hint: format!("type {count} or '{word}' to confirm this bulk {word}"),
                })
            }
            super::Plan::Retire(plan) => Some(Typed {
                prompt: format!("Type the volume's name ({}) to retire it: ", plan.name()),
                hint: if plan.blocked() {
                    "nothing can run: clear what is in the way first".to_string()
                } else {
                    format!("type {} to retire the volume", plan.name())
                },
            }),
            _ => None,
        }
    }

    /// True when `typed` confirms it (see [`Self::typing`]).
    pub fn accepts(&self, typed: &str) -> bool {
        match self {
            super::Plan::Export(plan) => plan.accepts(typed),
            super::Plan::Retire(plan) => !plan.blocked() && typed.trim() == plan.name(),
            _ => true,
        }
    }

    /// True when what is typed is a name: every character key types, none scrolls.
    pub fn types_name(&self) -> bool {
        matches!(self, super::Plan::Retire(_))
    }
}

/// Volumes to create from one managed snapshot, as confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePlan {
    /// The snapshot as the operator knows it.
    pub snapshot_label: String,
    /// What every create sends (the name is the base of numbered names).
    pub request: CreateVolumeRequest,
    pub count: u64,
    /// The driver of the snapshot's host: how it makes the volumes.
    pub driver: Driver,
}

impl CreatePlan {
    /// The batch items: one create per volume, names numbered when several.
    pub fn items(&self) -> Vec<crate::batch::Item> {
        let base = self.request.name.clone().unwrap_or_default();
        crate::batch::create::numbered(&self.request, &base, self.count)
    }

    /// What the confirmation shows: the snapshot, how the driver makes the volumes,
    /// and each new volume.
    pub fn summary(&self) -> Summary {
        let size = self
            .request
            .size
            .map(|gib| format!(" ({gib} GiB)"))
            .unwrap_or_default();
        Summary {
            heading: format!(
                "Create {} volume(s) from snapshot {}:",
                self.count, self.snapshot_label
            ),
            groups: Vec::new(),
            warnings: vec![create_effect(&self.driver)],
            items: self
                .items()
                .iter()
                .map(|item| format!("create volume '{}'{size}", item.label))
                .collect(),
        }
    }
}

/// A volume to retire, as surveyed: the plan runs in order once its name is typed.
#[derive(Debug, Clone, PartialEq)]
pub struct RetirePlan {
    pub survey: Survey,
}

impl RetirePlan {
    /// What the operator types: the volume's name, else its id.
    pub fn name(&self) -> &str {
        self.survey.name()
    }

    /// True when something stands in the way that the plan cannot clear.
    pub fn blocked(&self) -> bool {
        !self.survey.blockers().is_empty()
    }

    /// What the review shows: the data destroyed, what is in the way and why it is
    /// imported first, what cannot be cleared, and the numbered steps.
    pub fn summary(&self) -> Summary {
        let blockers = self
            .survey
            .blockers()
            .into_iter()
            .map(|blocker| format!("cannot run: {blocker}"));
        Summary {
            heading: self.survey.headline(),
            groups: vec![self.survey.in_the_way()],
            warnings: self
                .survey
                .why_import()
                .into_iter()
                .chain(blockers)
                .collect(),
            items: self
                .survey
                .steps()
                .into_iter()
                .enumerate()
                .map(|(index, step)| format!("{}. {step}", index + 1))
                .collect(),
        }
    }
}

impl ImportPlan {
    /// What an import without the host's listing cannot check, and why.
    fn unchecked(&self, failure: &str) -> String {
        let (checks, unknown) = if self.imports_volumes() {
            ("", "exists and is not in use")
        } else {
            (
                "that the parent volume exists and is available and ",
                "exists or is a snapshot of that volume",
            )
        };
        format!(
            "{failure}. snapport will only check {checks}that the reference is not an \
             already-managed name ({}, volume-<id>); it cannot check that the \
             reference {unknown}.",
            self.driver.snapshot_name("<id>")
        )
    }
}

/// What a confirmation dialog shows, whatever it confirms.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub heading: String,
    /// One line per parent volume (or host) with its count.
    pub groups: Vec<String>,
    /// Side effects the operator must read: shown whole, never cut.
    pub warnings: Vec<String>,
    /// One line per item; the dialog scrolls them when they do not fit.
    pub items: Vec<String>,
}

/// "label: N snapshots" per distinct label, in order of first appearance.
fn groups<'a>(labels: impl Iterator<Item = &'a str>, singular: &str, plural: &str) -> Vec<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for label in labels {
        match counts.iter_mut().find(|(known, _)| *known == label) {
            Some((_, count)) => *count += 1,
            None => counts.push((label, 1)),
        }
    }
    counts
        .into_iter()
        .map(|(label, count)| {
            let noun = if count == 1 { singular } else { plural };
            format!("{label}: {count} {noun}")
        })
        .collect()
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

/// A snapshot's parent volume: how the dialog names it, and the driver of its host,
/// which decides what a later delete of it does.
#[derive(Debug, Clone, PartialEq)]
pub struct Parent {
    pub id: String,
    pub label: String,
    pub driver: Driver,
}

/// One snapshot or volume to export or delete.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportItem {
    pub id: String,
    pub label: String,
    /// For snapshots: the parent volume.
    pub parent: Option<Parent>,
    /// For a volume to delete: what its driver does while the back end holds snapshots
    /// of it that Cinder does not manage.
    pub busy: Option<String>,
}

/// Snapshots or volumes to export (unmanage) or delete, as confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportPlan {
    pub removal: Removal,
    pub kind: ExportKind,
    pub items: Vec<ExportItem>,
}

impl ExportPlan {
    /// True when the operator must type the count or the removal's word.
    pub fn needs_typing(&self) -> bool {
        self.items.len() > BULK_THRESHOLD
    }

    /// True when `typed` confirms this plan.
    pub fn accepts(&self, typed: &str) -> bool {
        let typed = typed.trim();
        typed == self.items.len().to_string() || typed == self.removal.word()
    }

    /// The side effects of this export or delete: for exported snapshots, one per
    /// driver of the parents' hosts, stated once for all parents on it.
    pub fn warnings(&self) -> Vec<String> {
        if self.removal == Removal::Delete {
            let noun = self.kind.noun();
            let mut warnings = vec![delete_effect(&format!("these {noun}"))];
            if self.kind == ExportKind::Volumes {
                warnings.push(
                    "Cinder refuses to delete a volume that still has snapshots, with its own \
                     message; a volume with back-end snapshots is retired instead (R)."
                        .to_string(),
                );
            }
            warnings.extend(self.items.iter().filter_map(|item| item.busy.clone()));
            return warnings;
        }
        if self.kind == ExportKind::Volumes {
            return vec![
                "After export each volume's data stays on the back end; Cinder forgets it. \
                 A volume with managed snapshots is refused until they are exported."
                    .to_string(),
            ];
        }
        let by_driver = self.parents_by_driver();
        let mixed = by_driver.len() > 1;
        by_driver
            .into_iter()
            .map(|(driver, parents)| {
                let volume = match parents.as_slice() {
                    [parent] => format!("volume {parent}"),
                    _ if mixed => format!("each of the volumes {}", parents.join(", ")),
                    _ => format!("each of the {} volumes above", parents.len()),
                };
                export_warning(driver, &volume)
            })
            .collect()
    }

    /// The parent volumes' labels, each once, grouped by their host's driver, in order
    /// of first appearance.
    fn parents_by_driver(&self) -> Vec<(&Driver, Vec<&str>)> {
        let mut groups: Vec<(&Driver, Vec<&str>)> = Vec::new();
        for parent in self.items.iter().filter_map(|item| item.parent.as_ref()) {
            let label = parent.label.as_str();
            match groups
                .iter_mut()
                .find(|(driver, _)| **driver == parent.driver)
            {
                Some((_, labels)) if labels.contains(&label) => {}
                Some((_, labels)) => labels.push(label),
                None => groups.push((&parent.driver, vec![label])),
            }
        }
        groups
    }

    /// What the confirmation shows: the snapshots per parent volume, the side effect,
    /// and each item.
    pub fn summary(&self) -> Summary {
        let noun = self.kind.noun();
        let verb = match self.removal {
            Removal::Export => "Export (unmanage)",
            Removal::Delete => "Delete",
        };
        Summary {
            heading: format!("{verb} {} {noun}:", self.items.len()),
            groups: groups(
                self.items
                    .iter()
                    .filter_map(|item| item.parent.as_ref())
                    .map(|parent| parent.label.as_str()),
                "snapshot",
                noun,
            ),
            warnings: self.warnings(),
            items: self.items.iter().map(|item| item.label.clone()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot_on(id: &str, parent: &str, driver: Driver) -> ExportItem {
        ExportItem {
            id: id.into(),
            label: format!("snap {id}"),
            parent: Some(Parent {
                id: parent.into(),
                label: format!("{parent}-name ({parent})"),
                driver,
            }),
            busy: None,
        }
    }

    fn snapshot(id: &str, parent: &str) -> ExportItem {
        snapshot_on(id, parent, Driver::LvmThick)
    }

    #[test]
    fn snapshot_export_counts_per_parent_volume_and_warns_once() {
        let plan = ExportPlan {
            removal: Removal::Export,
            kind: ExportKind::Snapshots,
            items: vec![
                snapshot("s1", "v1"),
                snapshot("s2", "v2"),
                snapshot("s3", "v1"),
            ],
        };
        let summary = plan.summary();
        assert_eq!(summary.heading, "Export (unmanage) 3 snapshots:");
        assert_eq!(
            summary.groups,
            ["v1-name (v1): 2 snapshots", "v2-name (v2): 1 snapshot"]
        );
        let [warning] = summary.warnings.as_slice() else {
            panic!("one warning: {:?}", summary.warnings)
        };
        assert!(
            warning.starts_with("after export the snapshot's data stays on the back end"),
            "{warning}"
        );
        assert!(
            warning.contains("on LVM (thick), each of the 2 volumes above can then not be deleted")
        );
        assert!(warning.contains("returns to 'available'"));
        assert_eq!(summary.items, ["snap s1", "snap s2", "snap s3"]);
        let one = ExportPlan {
            removal: Removal::Export,
            kind: ExportKind::Snapshots,
            items: vec![snapshot("s1", "v1")],
        };
        assert!(one.warnings()[0].contains("volume v1-name (v1) can then not be deleted"));
    }

    #[test]
    fn parents_on_different_drivers_get_their_own_warning() {
        let plan = ExportPlan {
            removal: Removal::Export,
            kind: ExportKind::Snapshots,
            items: vec![
                snapshot_on("s1", "v1", Driver::Rbd),
                snapshot_on("s2", "v2", Driver::LvmThick),
                snapshot_on("s3", "v3", Driver::Rbd),
            ],
        };
        let warnings = plan.warnings();
        let [rbd, lvm] = warnings.as_slice() else {
            panic!("one warning per driver: {warnings:?}")
        };
        assert!(
            rbd.contains(
                "a later delete of each of the volumes v1-name (v1), v3-name (v3) is not refused"
            ),
            "{rbd}"
        );
        assert!(rbd.contains("RBD trash"));
        assert!(
            lvm.contains("volume v2-name (v2) can then not be deleted"),
            "{lvm}"
        );
    }

    #[test]
    fn bulk_export_needs_the_count_or_the_word() {
        let small = ExportPlan {
            removal: Removal::Export,
            kind: ExportKind::Snapshots,
            items: (0..3).map(|n| snapshot(&n.to_string(), "v")).collect(),
        };
        assert!(!small.needs_typing());
        let bulk = ExportPlan {
            removal: Removal::Export,
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
                size: Some(1),
                target: ImportTarget::Snapshot {
                    volume_id: "v1".into(),
                    volume_label: "db (v1)".into(),
                },
                name: Some("backup-1".into()),
                description: None,
                metadata: Metadata::from([("k".to_string(), "v".to_string())]),
            }],
            listing_failed: None,
            driver: Driver::Rbd,
        };
        let requests = plan.requests();
        let [Manage::Snapshot(request)] = requests.as_slice() else {
            panic!("a snapshot import")
        };
        assert_eq!(request.reference, Reference::name("backup-1"));
        assert_eq!(request.volume_id, "v1");
        assert_eq!(request.metadata["k"], "v");
        assert!(!request.force, "the origin check always runs");
        let summary = plan.summary();
        assert_eq!(
            summary.items,
            ["import backup-1 (1 GiB) as snapshot 'backup-1' of volume db (v1)"]
        );
        assert_eq!(summary.groups, ["db (v1): 1 snapshot"]);
        assert_eq!(plan.noun(), "snapshot(s)");
        assert!(
            summary.warnings[0].contains("snapshot-<new id> and protects it"),
            "RBD's renames: {:?}",
            summary.warnings
        );
    }

    #[test]
    fn volume_imports_go_to_the_host_and_say_how_the_lv_is_renamed() {
        let plan = ImportPlan {
            items: vec![ImportItem {
                reference: Reference::name("legacy-db"),
                size: Some(8),
                target: ImportTarget::Volume {
                    host: "node@lvm#vg".into(),
                },
                name: Some("legacy-db".into()),
                description: Some("from the old array".into()),
                metadata: Metadata::new(),
            }],
            listing_failed: None,
            driver: Driver::LvmThick,
        };
        let requests = plan.requests();
        let [Manage::Volume(request)] = requests.as_slice() else {
            panic!("a volume import")
        };
        assert_eq!(request.host, "node@lvm#vg");
        assert_eq!(request.reference, Reference::name("legacy-db"));
        assert_eq!(request.description.as_deref(), Some("from the old array"));
        assert_eq!(plan.noun(), "volume(s)");
        let summary = plan.summary();
        assert_eq!(
            summary.items,
            ["import legacy-db (8 GiB) as volume 'legacy-db' on node@lvm#vg"]
        );
        assert!(summary.warnings[0].starts_with("Cinder renames each LV to volume-<new id>"));
    }
}
