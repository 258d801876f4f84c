//! The migration plan: what moves, and the ordered steps that move it. The plan is a
//! pretty JSON file that an operator reviews before `migrate apply`.
//!
//! Longer than most: the plan's file format, the gathering of what moves and the step
//! order are one contract with the journal, and a quarter of it is its tests.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{MIGRATED_FROM, MigrateError, Result, SOURCE_ID};
use crate::backend::{
    Backend, CreateVolumeRequest, Driver, ListFilter, ManageSnapshotRequest, ManageVolumeRequest,
    Metadata, Reference, Snapshot, Volume, driver_on,
};

/// The plan file format this snapport writes and reads.
pub const PLAN_VERSION: u32 = 1;

/// Everything a migration will do, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub version: u32,
    pub created_at: String,
    /// Back-end name (config file or clouds.yaml) the volumes leave.
    pub from: String,
    /// Back-end name the volumes arrive on.
    pub to: String,
    /// `host@backend[#pool]` on the target that receives the volumes.
    pub target_host: String,
    pub volumes: Vec<VolumePlan>,
}

/// One volume with its snapshots, as they were on the source when the plan was made,
/// and the steps that move them (strictly in order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumePlan {
    pub volume: Item,
    /// The volume's host on the source, where a rollback manages it again.
    pub source_host: String,
    /// The driver of that host: what a volume left there with exported snapshots faces.
    #[serde(default)]
    pub source_driver: Driver,
    pub snapshots: Vec<Item>,
    pub steps: Vec<Step>,
}

/// A volume or snapshot as it is on the source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
    /// Its name on the shared storage, which the target manages.
    pub reference: Reference,
}

/// Which back end a step changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Source,
    Target,
}

/// A record a step acts on: known by id, or created by an earlier step (the volume a
/// snapshot manage goes under, the imported snapshot a retirement deletes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdRef {
    Id(String),
    NewIdOfStep(usize),
}

/// One change on one side. Numbers are unique within a plan (or a rollback).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub step: usize,
    /// The source id of the volume or snapshot the step moves.
    pub item: String,
    pub on: Side,
    #[serde(flatten)]
    pub action: Action,
}

/// What a step does. Manage actions carry the exact fields they send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    UnmanageSnapshot {
        id: String,
    },
    UnmanageVolume {
        id: String,
    },
    ManageVolume {
        host: String,
        reference: Reference,
        name: Option<String>,
        description: Option<String>,
        metadata: Metadata,
        /// Volumes with this name that existed before the step: not its result.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        known_ids: Vec<String>,
        /// Import without the host's manageable listing (see the request's field).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        without_listing: bool,
    },
    ManageSnapshot {
        volume: IdRef,
        reference: Reference,
        name: Option<String>,
        description: Option<String>,
        metadata: Metadata,
        /// Snapshots with this name that existed before the step: not its result.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        known_ids: Vec<String>,
        /// Skip the origin check (`--force`; never the double-import check).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        force: bool,
        /// Import without the host's manageable listing (see the request's field).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        without_listing: bool,
    },
    /// A new volume from a managed snapshot (batches only, never a migration step).
    CreateVolume {
        snapshot_id: String,
        name: Option<String>,
        description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
        metadata: Metadata,
        /// Volumes with this name that existed before the step: not its result.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        known_ids: Vec<String>,
    },
    /// Deletes a snapshot with its data (batches only).
    DeleteSnapshot {
        snapshot: IdRef,
    },
    /// Deletes a volume with its data (batches only).
    DeleteVolume {
        id: String,
    },
}

impl Action {
    /// One line for progress output and summaries.
    pub fn describe(&self) -> String {
        match self {
            Action::UnmanageSnapshot { id } => format!("unmanage snapshot {id}"),
            Action::UnmanageVolume { id } => format!("unmanage volume {id}"),
            Action::ManageVolume {
                reference, name, ..
            } => format!(
                "manage volume {} as '{}'",
                reference.label(),
                name.as_deref().unwrap_or("")
            ),
            Action::ManageSnapshot {
                reference, name, ..
            } => format!(
                "manage snapshot {} as '{}'",
                reference.label(),
                name.as_deref().unwrap_or("")
            ),
            Action::CreateVolume {
                snapshot_id, name, ..
            } => format!(
                "create volume '{}' from snapshot {snapshot_id}",
                name.as_deref().unwrap_or("")
            ),
            Action::DeleteSnapshot {
                snapshot: IdRef::Id(id),
            } => format!("delete snapshot {id}"),
            Action::DeleteSnapshot {
                snapshot: IdRef::NewIdOfStep(number),
            } => format!("delete the snapshot item {number} imported"),
            Action::DeleteVolume { id } => format!("delete volume {id}"),
        }
    }

    /// True for steps that import a resource (and so have a new id).
    pub fn is_manage(&self) -> bool {
        matches!(
            self,
            Action::ManageVolume { .. } | Action::ManageSnapshot { .. }
        )
    }

    /// True for steps that make a record (imports and creates), which have a new id.
    pub fn creates(&self) -> bool {
        self.is_manage() || matches!(self, Action::CreateVolume { .. })
    }

    /// True for steps that destroy data.
    pub fn is_delete(&self) -> bool {
        matches!(
            self,
            Action::DeleteSnapshot { .. } | Action::DeleteVolume { .. }
        )
    }
}

impl From<ManageSnapshotRequest> for Action {
    fn from(request: ManageSnapshotRequest) -> Self {
        Action::ManageSnapshot {
            volume: IdRef::Id(request.volume_id),
            reference: request.reference,
            name: request.name,
            description: request.description,
            metadata: request.metadata,
            known_ids: Vec::new(),
            force: request.force,
            without_listing: request.without_listing,
        }
    }
}

impl From<CreateVolumeRequest> for Action {
    fn from(request: CreateVolumeRequest) -> Self {
        Action::CreateVolume {
            snapshot_id: request.snapshot_id,
            name: request.name,
            description: request.description,
            size: request.size,
            metadata: request.metadata,
            known_ids: Vec::new(),
        }
    }
}

impl From<ManageVolumeRequest> for Action {
    fn from(request: ManageVolumeRequest) -> Self {
        Action::ManageVolume {
            host: request.host,
            reference: request.reference,
            name: request.name,
            description: request.description,
            metadata: request.metadata,
            known_ids: Vec::new(),
            without_listing: request.without_listing,
        }
    }
}

impl Item {
    fn of_volume(volume: &Volume) -> Self {
        Self {
            id: volume.id.clone(),
            name: volume.name.clone(),
            description: volume.description.clone(),
            metadata: volume.metadata.clone(),
            reference: Reference::name(volume.lv_name()),
        }
    }

    /// A snapshot on a back end run by `driver`, which names it on the back end.
    fn of_snapshot(snapshot: &Snapshot, driver: &Driver) -> Self {
        Self {
            id: snapshot.id.clone(),
            name: snapshot.name.clone(),
            description: snapshot.description.clone(),
            metadata: snapshot.metadata.clone(),
            reference: Reference::name(driver.snapshot_name(&snapshot.id)),
        }
    }

    /// The metadata the target gets: the original plus where the item came from.
    pub fn migrated_metadata(&self, from: &str) -> Metadata {
        let mut metadata = self.metadata.clone();
        metadata.insert(MIGRATED_FROM.into(), from.into());
        metadata.insert(SOURCE_ID.into(), self.id.clone());
        metadata
    }
}

/// The steps for one volume: its snapshots leave, then it leaves; it arrives, then its
/// snapshots arrive under its new id. `first` is the number of the first step.
pub fn volume_steps(
    volume: &Item,
    snapshots: &[Item],
    from: &str,
    target_host: &str,
    first: usize,
) -> Vec<Step> {
    let mut actions: Vec<(&str, Side, Action)> = snapshots
        .iter()
        .map(|snapshot| {
            (
                snapshot.id.as_str(),
                Side::Source,
                Action::UnmanageSnapshot {
                    id: snapshot.id.clone(),
                },
            )
        })
        .collect();
    actions.push((
        &volume.id,
        Side::Source,
        Action::UnmanageVolume {
            id: volume.id.clone(),
        },
    ));
    let manage_volume_step = first + actions.len();
    actions.push((
        &volume.id,
        Side::Target,
        Action::ManageVolume {
            host: target_host.to_string(),
            reference: volume.reference.clone(),
            name: volume.name.clone(),
            description: volume.description.clone(),
            metadata: volume.migrated_metadata(from),
            known_ids: Vec::new(),
            without_listing: false,
        },
    ));
    actions.extend(snapshots.iter().map(|snapshot| {
        (
            snapshot.id.as_str(),
            Side::Target,
            Action::ManageSnapshot {
                volume: IdRef::NewIdOfStep(manage_volume_step),
                reference: snapshot.reference.clone(),
                name: snapshot.name.clone(),
                description: snapshot.description.clone(),
                metadata: snapshot.migrated_metadata(from),
                known_ids: Vec::new(),
                force: false,
                without_listing: false,
            },
        )
    }));
    number_steps(first, actions)
}

/// Numbers `(item, side, action)` triples from `first` on, in order.
pub(crate) fn number_steps(first: usize, actions: Vec<(&str, Side, Action)>) -> Vec<Step> {
    actions
        .into_iter()
        .enumerate()
        .map(|(offset, (item, on, action))| Step {
            step: first + offset,
            item: item.to_string(),
            on,
            action,
        })
        .collect()
}

/// What the plan needs from the source for one volume.
pub struct SourceVolume {
    pub volume: Volume,
    pub snapshots: Vec<Snapshot>,
    /// The driver of the volume's host.
    pub driver: Driver,
}

/// Reads each volume, its snapshots and its host's driver from the source. Missing
/// volumes and a volume named twice are reported together, as preflight problems; hosts
/// that cannot be listed leave the drivers unknown.
pub async fn gather(source: &dyn Backend, volume_ids: &[String]) -> Result<Vec<SourceVolume>> {
    let mut problems = Vec::new();
    let mut found = Vec::new();
    let hosts = source.hosts().await.unwrap_or_default();
    for (index, id) in volume_ids.iter().enumerate() {
        if volume_ids[..index].contains(id) {
            problems.push(super::Problem::new(id, "named twice"));
            continue;
        }
        match source.volume(id).await {
            Ok(volume) if volume.host.is_none() => problems.push(super::Problem::new(
                id,
                "its host is not visible (admin credentials needed): a rollback could not \
                 manage it again",
            )),
            Ok(volume) => {
                let filter = ListFilter {
                    volume_id: Some(id.clone()),
                    ..ListFilter::default()
                };
                let snapshots = source.snapshots(&filter).await?;
                let driver = driver_on(&hosts, volume.host.as_deref());
                found.push(SourceVolume {
                    volume,
                    snapshots,
                    driver,
                });
            }
            Err(crate::backend::Error::NotFound(message)) => {
                problems.push(super::Problem::new(
                    id,
                    format!("not on the source: {message}"),
                ));
            }
            Err(other) => return Err(other.into()),
        }
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(MigrateError::Preflight(problems))
    }
}

impl Plan {
    /// Builds the plan for `volumes` read from the source named `from`.
    pub fn build(from: &str, to: &str, target_host: &str, volumes: &[SourceVolume]) -> Self {
        let mut next = 1;
        let volumes = volumes
            .iter()
            .map(|source| {
                let volume = Item::of_volume(&source.volume);
                let snapshots: Vec<Item> = source
                    .snapshots
                    .iter()
                    .map(|snapshot| Item::of_snapshot(snapshot, &source.driver))
                    .collect();
                let steps = volume_steps(&volume, &snapshots, from, target_host, next);
                next += steps.len();
                VolumePlan {
                    source_host: source.volume.host.clone().unwrap_or_default(),
                    source_driver: source.driver.clone(),
                    volume,
                    snapshots,
                    steps,
                }
            })
            .collect();
        Self {
            version: PLAN_VERSION,
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            from: from.to_string(),
            to: to.to_string(),
            target_host: target_host.to_string(),
            volumes,
        }
    }

    /// Each volume's steps, in order: one chain per volume.
    pub fn chains(&self) -> Vec<Vec<Step>> {
        self.volumes
            .iter()
            .map(|volume| volume.steps.clone())
            .collect()
    }

    /// Every step, in plan order.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.volumes.iter().flat_map(|volume| &volume.steps)
    }

    /// Pretty JSON, as written to the plan file.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plans always serialize") + "\n"
    }

    /// Reads a plan file, refusing other versions and plans whose steps are not
    /// numbered uniquely.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| MigrateError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text).map_err(|message| MigrateError::Format {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses and checks a plan's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let plan: Plan =
            serde_json::from_str(text).map_err(|err| format!("not a migration plan: {err}"))?;
        plan.check()?;
        Ok(plan)
    }

    /// Refuses other versions and plans whose steps are not numbered uniquely, wherever
    /// the plan was read from (a plan file, a journal's first line).
    pub fn check(&self) -> Result<(), String> {
        if self.version != PLAN_VERSION {
            return Err(format!(
                "plan version {} is not supported (this snapport reads version {PLAN_VERSION})",
                self.version
            ));
        }
        let mut numbers: Vec<usize> = self.steps().map(|step| step.step).collect();
        let count = numbers.len();
        numbers.sort_unstable();
        numbers.dedup();
        if numbers.len() != count {
            return Err("step numbers must be unique".into());
        }
        Ok(())
    }

    /// Writes the plan file.
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_json()).map_err(|source| MigrateError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Volumes and snapshots as a source lists them, for the migration's unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::backend::{Metadata, Snapshot, Volume};

    pub fn volume(id: &str, name: &str) -> Volume {
        Volume {
            id: id.into(),
            name: Some(name.into()),
            description: Some("desc".into()),
            status: "available".into(),
            size: 1,
            host: Some("old@lvm#vg".into()),
            created_at: None,
            metadata: Metadata::from([("tier".to_string(), "gold".to_string())]),
            attached: false,
        }
    }

    pub fn snapshot(id: &str, volume_id: &str, name: &str) -> Snapshot {
        Snapshot {
            id: id.into(),
            name: Some(name.into()),
            description: None,
            status: "available".into(),
            size: 1,
            volume_id: volume_id.into(),
            created_at: None,
            metadata: Metadata::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{snapshot, volume};
    use super::*;

    fn two_volumes() -> Plan {
        let sources = vec![
            SourceVolume {
                volume: volume("v1", "db"),
                snapshots: vec![
                    snapshot("s1", "v1", "snap s1"),
                    snapshot("s2", "v1", "snap s2"),
                ],
                driver: Driver::LvmThick,
            },
            SourceVolume {
                volume: volume("v2", "web"),
                snapshots: vec![],
                driver: Driver::LvmThick,
            },
        ];
        Plan::build("old", "new", "new@lvm#vg", &sources)
    }

    #[test]
    fn steps_unmanage_snapshots_then_volume_then_manage_in_reverse() {
        let plan = two_volumes();
        let described: Vec<(usize, Side, String)> = plan
            .steps()
            .map(|step| (step.step, step.on, step.action.describe()))
            .collect();
        assert_eq!(
            described,
            vec![
                (1, Side::Source, "unmanage snapshot s1".to_string()),
                (2, Side::Source, "unmanage snapshot s2".to_string()),
                (3, Side::Source, "unmanage volume v1".to_string()),
                (
                    4,
                    Side::Target,
                    "manage volume volume-v1 as 'db'".to_string()
                ),
                (
                    5,
                    Side::Target,
                    "manage snapshot _snapshot-s1 as 'snap s1'".to_string()
                ),
                (
                    6,
                    Side::Target,
                    "manage snapshot _snapshot-s2 as 'snap s2'".to_string()
                ),
                (7, Side::Source, "unmanage volume v2".to_string()),
                (
                    8,
                    Side::Target,
                    "manage volume volume-v2 as 'web'".to_string()
                ),
            ]
        );
    }

    #[test]
    fn manages_carry_fields_and_provenance_and_point_at_the_new_volume() {
        let plan = two_volumes();
        let steps: Vec<&Step> = plan.steps().collect();
        let Action::ManageVolume {
            host,
            metadata,
            description,
            ..
        } = &steps[3].action
        else {
            panic!("step 4 manages the volume")
        };
        assert_eq!(host, "new@lvm#vg");
        assert_eq!(description.as_deref(), Some("desc"));
        assert_eq!(metadata["tier"], "gold");
        assert_eq!(metadata[MIGRATED_FROM], "old");
        assert_eq!(metadata[SOURCE_ID], "v1");
        let Action::ManageSnapshot {
            volume, metadata, ..
        } = &steps[4].action
        else {
            panic!("step 5 manages a snapshot")
        };
        assert_eq!(volume, &IdRef::NewIdOfStep(4));
        assert_eq!(metadata[SOURCE_ID], "s1");
        assert_eq!(plan.volumes[0].source_host, "old@lvm#vg");
        assert_eq!(
            plan.volumes[0].volume.metadata.len(),
            1,
            "the original stays as it was"
        );
    }

    #[test]
    fn plan_files_round_trip_and_are_readable() {
        let plan = two_volumes();
        let text = plan.to_json();
        assert!(text.contains("\"version\": 1"), "{text}");
        assert!(text.contains("\"action\": \"unmanage_snapshot\""), "{text}");
        assert!(text.contains("\"new_id_of_step\": 4"), "{text}");
        assert!(text.contains("\"source-name\": \"_snapshot-s1\""), "{text}");
        assert_eq!(Plan::parse(&text).unwrap(), plan);
    }

    #[test]
    fn other_versions_and_duplicate_steps_are_refused() {
        let mut plan = two_volumes();
        plan.version = 2;
        assert!(
            Plan::parse(&plan.to_json())
                .unwrap_err()
                .contains("version 2")
        );
        let mut plan = two_volumes();
        plan.volumes[1].steps[0].step = 1;
        assert!(Plan::parse(&plan.to_json()).unwrap_err().contains("unique"));
        assert!(
            Plan::parse("{}")
                .unwrap_err()
                .contains("not a migration plan")
        );
    }
}
