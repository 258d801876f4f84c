//! Retiring a volume, the blueprint's flow for drivers that cannot delete a volume with
//! snapshots: import its back-end snapshots that Cinder does not manage, delete every
//! snapshot, then delete the volume. The survey says what stands in the way; the plan
//! runs as one batch in order, journaled and resumable like any other.

use crate::backend::side_effects::{delete_consequence, delete_effect};
use crate::backend::{
    Backend, Driver, ListFilter, ManageableSnapshot, Metadata, Result, Snapshot, Status, Volume,
    driver_on,
};
use crate::config::BackendSpec;
use crate::migrate::Action;
use crate::migrate::plan::IdRef;

use super::{Batch, Item};

/// Metadata key on the snapshots a retirement imports: the volume it retires.
pub const RETIRING: &str = "snapport:retiring";

/// What stands between a volume and its delete.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    pub volume: Volume,
    /// The driver of the volume's host: what a delete with snapshots left does.
    pub driver: Driver,
    /// Its snapshots that Cinder manages.
    pub managed: Vec<Snapshot>,
    /// Its snapshots on the back end that Cinder does not manage.
    pub unmanaged: Vec<ManageableSnapshot>,
    /// Why the back-end snapshots could not be listed (then they are not known).
    pub listing_error: Option<String>,
}

impl Survey {
    /// Reads the volume, its managed snapshots and its host's manageable listing.
    pub async fn of(backend: &dyn Backend, volume_id: &str) -> Result<Self> {
        let volume = backend.volume(volume_id).await?;
        let filter = ListFilter {
            volume_id: Some(volume.id.clone()),
            ..ListFilter::default()
        };
        let managed = backend.snapshots(&filter).await?;
        let hosts = backend.hosts().await.unwrap_or_default();
        let driver = driver_on(&hosts, volume.host.as_deref());
        let (unmanaged, listing_error) = match &volume.host {
            None => (
                Vec::new(),
                Some("the volume's host is not known (an admin sees it)".to_string()),
            ),
            Some(host) => match backend.manageable_snapshots(host).await {
                Ok(listed) => (of_volume(listed, &volume.id), None),
                Err(err) => (Vec::new(), Some(err.to_string())),
            },
        };
        Ok(Self {
            volume,
            driver,
            managed,
            unmanaged,
            listing_error,
        })
    }

    /// What stops the plan from running: each is a sentence for the operator.
    pub fn blockers(&self) -> Vec<String> {
        let mut blockers = Vec::new();
        if self.volume.attached {
            blockers.push("the volume is attached: detach it first".to_string());
        }
        if !matches!(self.volume.status, Status::Available | Status::Error) {
            blockers.push(format!(
                "the volume is {}: a delete needs it available or error",
                self.volume.status
            ));
        }
        for snapshot in self.unmanaged.iter().filter(|s| !s.safe_to_manage) {
            blockers.push(format!(
                "back-end snapshot {} cannot be imported: {}",
                snapshot.reference.label(),
                snapshot.reason_not_safe.as_deref().unwrap_or("unsafe")
            ));
        }
        if let Some(err) = &self.listing_error {
            blockers.push(format!(
                "the back-end snapshots cannot be listed ({err}): what the back end holds \
                 is not known"
            ));
        }
        blockers
    }

    /// The volume's name, else its id: what the console asks to be typed.
    pub fn name(&self) -> &str {
        self.volume
            .name
            .as_deref()
            .filter(|name| !name.is_empty())
            .unwrap_or(&self.volume.id)
    }

    /// The steps, in order: import each unmanaged snapshot, delete every snapshot (the
    /// imported ones by the id their import gave), delete the volume.
    pub fn items(&self) -> Vec<Item> {
        let metadata: Metadata = [(RETIRING.to_string(), self.volume.id.clone())].into();
        let imports = self.unmanaged.iter().map(|snapshot| Item {
            label: snapshot.reference.label().to_string(),
            action: Action::ManageSnapshot {
                volume: IdRef::Id(self.volume.id.clone()),
                reference: snapshot.reference.clone(),
                name: Some(snapshot.reference.label().to_string()),
                description: Some(format!("imported to retire volume {}", self.volume.id)),
                metadata: metadata.clone(),
                known_ids: Vec::new(),
                force: false,
                without_listing: false,
            },
        });
        let imported = (1..=self.unmanaged.len()).map(|number| Item {
            label: format!(
                "{} (imported)",
                self.unmanaged[number - 1].reference.label()
            ),
            action: Action::DeleteSnapshot {
                snapshot: IdRef::NewIdOfStep(number),
            },
        });
        let managed = self.managed.iter().map(|snapshot| Item {
            label: snapshot.name.clone().unwrap_or_else(|| snapshot.id.clone()),
            action: Action::DeleteSnapshot {
                snapshot: IdRef::Id(snapshot.id.clone()),
            },
        });
        let volume = Item {
            label: self.name().to_string(),
            action: Action::DeleteVolume {
                id: self.volume.id.clone(),
            },
        };
        imports
            .chain(imported)
            .chain(managed)
            .chain([volume])
            .collect()
    }

    /// The batch that retires the volume on the back end `spec` names.
    pub fn batch(&self, backend: BackendSpec, label: String) -> Batch {
        Batch {
            backend,
            label,
            items: self.items(),
            in_order: true,
        }
    }

    /// What a retirement does to the data, against an export.
    pub fn headline(&self) -> String {
        format!(
            "Retire volume {} ({}, {}, {} GiB): {}.",
            self.name(),
            self.volume.id,
            self.volume.status,
            self.volume.size,
            delete_effect("the volume and all its snapshots")
        )
    }

    /// What stands between the volume and its delete, counted.
    pub fn in_the_way(&self) -> String {
        format!(
            "In the way: {} managed snapshot(s), {} back-end snapshot(s) Cinder does not \
             manage, {}.",
            self.managed.len(),
            self.unmanaged.len(),
            if self.volume.attached {
                "attached"
            } else {
                "no attachment"
            }
        )
    }

    /// Why the back-end snapshots are imported first: what a delete does without.
    pub fn why_import(&self) -> Option<String> {
        (!self.unmanaged.is_empty()).then(|| {
            format!(
                "Without importing them first, {}.",
                delete_consequence(&self.driver, "the volume")
            )
        })
    }

    /// The steps, one line each, in order.
    pub fn steps(&self) -> Vec<String> {
        self.items()
            .iter()
            .map(|item| item.action.describe())
            .collect()
    }

    /// The review the command line prints: the headline, what is in the way and why,
    /// then the numbered steps.
    pub fn review(&self) -> Vec<String> {
        let mut lines = vec![self.headline(), self.in_the_way()];
        lines.extend(self.why_import());
        lines.extend(
            self.steps()
                .into_iter()
                .enumerate()
                .map(|(index, step)| format!("{}. {step}", index + 1)),
        );
        lines
    }
}

/// The back-end snapshots of `volume_id` that Cinder does not manage.
fn of_volume(listed: Vec<ManageableSnapshot>, volume_id: &str) -> Vec<ManageableSnapshot> {
    listed
        .into_iter()
        .filter(|snapshot| snapshot.parent_volume_id() == Some(volume_id))
        .filter(|snapshot| snapshot.cinder_id.is_none())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::ManageableSnapshot;

    fn survey() -> Survey {
        let volume = Volume {
            id: "v1".into(),
            name: Some("old-db".into()),
            description: None,
            status: Status::Available,
            size: 1,
            host: Some("h@lvm#lvm".into()),
            created_at: None,
            metadata: Metadata::new(),
            attached: false,
        };
        let managed = Snapshot {
            id: "s1".into(),
            name: Some("nightly".into()),
            description: None,
            status: Status::Available,
            size: 1,
            volume_id: "v1".into(),
            created_at: None,
            metadata: Metadata::new(),
        };
        let listed = vec![
            ManageableSnapshot::unmanaged("snap-a", Some("volume-v1")),
            ManageableSnapshot::unmanaged("other", Some("volume-v2")),
            ManageableSnapshot {
                cinder_id: Some("s1".into()),
                ..ManageableSnapshot::unmanaged("_snapshot-s1", Some("volume-v1"))
            },
        ];
        Survey {
            volume,
            driver: Driver::LvmThick,
            managed: vec![managed],
            unmanaged: of_volume(listed, "v1"),
            listing_error: None,
        }
    }

    #[test]
    fn the_plan_imports_then_deletes_every_snapshot_then_the_volume() {
        let survey = survey();
        let steps: Vec<String> = survey
            .items()
            .iter()
            .map(|item| item.action.describe())
            .collect();
        assert_eq!(
            steps,
            [
                "manage snapshot snap-a as 'snap-a'",
                "delete the snapshot item 1 imported",
                "delete snapshot s1",
                "delete volume v1",
            ]
        );
        assert!(survey.blockers().is_empty());
        assert!(
            survey
                .batch(BackendSpec::Cloud { cloud: None }, "c".into())
                .in_order
        );
        let review = survey.review().join("\n");
        assert!(review.contains("DESTROYS"), "{review}");
        assert!(review.contains("VolumeIsBusy"), "{review}");
    }

    #[test]
    fn attachments_unsafe_snapshots_and_failed_listings_stand_in_the_way() {
        let mut survey = survey();
        survey.volume.attached = true;
        survey.unmanaged[0].safe_to_manage = false;
        survey.unmanaged[0].reason_not_safe = Some("snapshot in use".into());
        survey.listing_error = Some("HTTP 500".into());
        let blockers = survey.blockers();
        assert_eq!(blockers.len(), 3, "{blockers:?}");
        assert!(blockers[0].contains("attached"));
        assert!(blockers[1].contains("snapshot in use"));
        assert!(blockers[2].contains("HTTP 500"));
    }
}
