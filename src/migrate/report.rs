//! The id map of a migration (old id → new id for every volume and snapshot) read from
//! its journal, as JSON, CSV or a summary for people.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::apply::whereabouts;
use super::journal::{Phase, State};
use super::plan::{Item, Step};
use super::{MigrateError, Result};

/// Where an item is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Still managed on the source; nothing happened to it.
    OnSource,
    /// Unmanaged on one side and not (yet) managed on the other: resume or roll back.
    InTransit,
    /// Managed on the target.
    Moved,
    /// Managed on the source again after a rollback, under a new id.
    RolledBack,
}

impl Placement {
    fn label(self) -> &'static str {
        match self {
            Placement::OnSource => "on_source",
            Placement::InTransit => "in_transit",
            Placement::Moved => "moved",
            Placement::RolledBack => "rolled_back",
        }
    }
}

/// One volume or snapshot of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// `volume` or `snapshot`.
    pub kind: &'static str,
    pub name: Option<String>,
    /// Its id on the source when the plan was made.
    pub source_id: String,
    /// Its id on the target, once managed there.
    pub target_id: Option<String>,
    /// Its id on the source after a rollback managed it again.
    pub rollback_id: Option<String>,
    /// For snapshots: the source id of the volume.
    pub volume_source_id: Option<String>,
    pub placement: Placement,
}

/// The id map of one migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdMap {
    pub from: String,
    pub to: String,
    pub entries: Vec<Entry>,
}

fn entry(
    state: &State,
    steps: &[Step],
    rollback: &[Step],
    item: &Item,
    kind: &'static str,
    volume: Option<&str>,
) -> Entry {
    let place = whereabouts(state, steps, &item.id);
    let undo = |manage: bool| {
        rollback
            .iter()
            .filter(|step| step.item == item.id && step.action.is_manage() == manage)
            .find(|step| state.step(Phase::Rollback, step.step).is_done())
    };
    let rollback_id = undo(true)
        .and_then(|step| state.new_id(Phase::Rollback, step.step))
        .map(str::to_string);
    let placement = if rollback_id.is_some() {
        Placement::RolledBack
    } else if place.target_id.is_some() && undo(false).is_none() {
        Placement::Moved
    } else if place.left_source || place.target_id.is_some() {
        Placement::InTransit
    } else {
        Placement::OnSource
    };
    Entry {
        kind,
        name: item.name.clone(),
        source_id: item.id.clone(),
        target_id: place.target_id,
        rollback_id,
        volume_source_id: volume.map(str::to_string),
        placement,
    }
}

impl IdMap {
    /// The id map as the journal tells it.
    pub fn from_state(state: &State) -> Self {
        let plan = &state.plan;
        let mut entries = Vec::new();
        for volume in &plan.volumes {
            let rollback: Vec<Step> = state
                .rollback
                .iter()
                .flatten()
                .filter(|undo| undo.volume_id == volume.volume.id)
                .flat_map(|undo| undo.steps.clone())
                .collect();
            entries.push(entry(
                state,
                &volume.steps,
                &rollback,
                &volume.volume,
                "volume",
                None,
            ));
            for snapshot in &volume.snapshots {
                let parent = Some(volume.volume.id.as_str());
                entries.push(entry(
                    state,
                    &volume.steps,
                    &rollback,
                    snapshot,
                    "snapshot",
                    parent,
                ));
            }
        }
        Self {
            from: plan.from.clone(),
            to: plan.to.clone(),
            entries,
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("id maps always serialize") + "\n"
    }

    /// CSV with a header row (RFC 4180 quoting).
    pub fn to_csv(&self) -> String {
        let mut out =
            String::from("kind,name,source_id,target_id,rollback_id,volume_source_id,placement\n");
        for entry in &self.entries {
            let cells = [
                entry.kind,
                entry.name.as_deref().unwrap_or(""),
                &entry.source_id,
                entry.target_id.as_deref().unwrap_or(""),
                entry.rollback_id.as_deref().unwrap_or(""),
                entry.volume_source_id.as_deref().unwrap_or(""),
                entry.placement.label(),
            ];
            let row: Vec<String> = cells.iter().map(|cell| csv_cell(cell)).collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }

    /// Counts by placement, then one line per item.
    pub fn summary(&self) -> String {
        let count = |placement| {
            self.entries
                .iter()
                .filter(|e| e.placement == placement)
                .count()
        };
        let mut out = format!(
            "{} -> {}: {} volume(s), {} snapshot(s): {} moved, {} in transit, {} on source, {} rolled back\n",
            self.from,
            self.to,
            self.entries.iter().filter(|e| e.kind == "volume").count(),
            self.entries.iter().filter(|e| e.kind == "snapshot").count(),
            count(Placement::Moved),
            count(Placement::InTransit),
            count(Placement::OnSource),
            count(Placement::RolledBack),
        );
        for entry in &self.entries {
            let now = match entry.placement {
                Placement::Moved => format!(
                    "-> {} on {}",
                    entry.target_id.as_deref().unwrap_or(""),
                    self.to
                ),
                Placement::RolledBack => format!(
                    "-> {} on {} (rolled back)",
                    entry.rollback_id.as_deref().unwrap_or(""),
                    self.from
                ),
                Placement::InTransit => "in transit: resume or roll back".to_string(),
                Placement::OnSource => format!("still on {}", self.from),
            };
            let _ = writeln!(
                out,
                "  {:<8} {} '{}' {now}",
                entry.kind,
                entry.source_id,
                entry.name.as_deref().unwrap_or("")
            );
        }
        out
    }

    /// Writes `<journal>.ids.json` and `<journal>.ids.csv` next to the journal.
    pub fn write_next_to(&self, journal: &Path) -> Result<(PathBuf, PathBuf)> {
        let json = with_suffix(journal, "ids.json");
        let csv = with_suffix(journal, "ids.csv");
        for (path, text) in [(&json, self.to_json()), (&csv, self.to_csv())] {
            std::fs::write(path, text).map_err(|source| MigrateError::Io {
                path: path.clone(),
                source,
            })?;
        }
        Ok((json, csv))
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    path.with_file_name(name)
}

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::journal::{Journal, RollbackVolume};
    use crate::migrate::plan::fixtures::{snapshot, volume};
    use crate::migrate::plan::{Action, Plan, Side, SourceVolume};

    fn plan() -> Plan {
        let source = SourceVolume {
            volume: volume("v1", "db, primary"),
            snapshots: vec![
                snapshot("s1", "v1", "say \"hi\""),
                snapshot("s2", "v1", "plain"),
            ],
            driver: crate::backend::Driver::LvmThick,
        };
        Plan::build("old", "new", "new@lvm", &[source])
    }

    /// Steps 1-2 unmanage s1, s2; 3 unmanages v1; 4 manages v1; 5-6 manage s1, s2.
    fn journal_after(steps: &[(usize, Option<&str>)]) -> (tempfile::TempDir, Journal) {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(&dir.path().join("j"), &plan()).unwrap();
        for (step, new_id) in steps {
            journal.intent(Phase::Forward, *step).unwrap();
            journal
                .result(Phase::Forward, *step, Ok(new_id.map(str::to_string)), false)
                .unwrap();
        }
        (dir, journal)
    }

    fn placements(map: &IdMap) -> Vec<(&str, Placement)> {
        map.entries
            .iter()
            .map(|e| (e.source_id.as_str(), e.placement))
            .collect()
    }

    #[test]
    fn a_finished_migration_maps_every_id() {
        let (_dir, journal) = journal_after(&[
            (1, None),
            (2, None),
            (3, None),
            (4, Some("n1")),
            (5, Some("t1")),
            (6, Some("t2")),
        ]);
        let map = IdMap::from_state(journal.state());
        assert_eq!(
            placements(&map),
            vec![
                ("v1", Placement::Moved),
                ("s1", Placement::Moved),
                ("s2", Placement::Moved)
            ]
        );
        let targets: Vec<_> = map
            .entries
            .iter()
            .map(|e| e.target_id.as_deref().unwrap())
            .collect();
        assert_eq!(targets, vec!["n1", "t1", "t2"]);
        assert_eq!(
            map.to_csv(),
            "kind,name,source_id,target_id,rollback_id,volume_source_id,placement\n\
             volume,\"db, primary\",v1,n1,,,moved\n\
             snapshot,\"say \"\"hi\"\"\",s1,t1,,v1,moved\n\
             snapshot,plain,s2,t2,,v1,moved\n"
        );
        let json: serde_json::Value = serde_json::from_str(&map.to_json()).unwrap();
        assert_eq!(json["entries"][1]["target_id"], "t1");
        assert_eq!(json["entries"][1]["volume_source_id"], "v1");
        assert!(
            map.summary()
                .starts_with("old -> new: 1 volume(s), 2 snapshot(s): 3 moved, 0 in transit")
        );
    }

    #[test]
    fn an_interrupted_migration_shows_what_is_in_transit() {
        let (_dir, journal) = journal_after(&[(1, None), (2, None), (3, None), (4, Some("n1"))]);
        let map = IdMap::from_state(journal.state());
        assert_eq!(
            placements(&map),
            vec![
                ("v1", Placement::Moved),
                ("s1", Placement::InTransit),
                ("s2", Placement::InTransit)
            ]
        );
        let (_dir, journal) = journal_after(&[(1, None)]);
        let map = IdMap::from_state(journal.state());
        assert_eq!(
            placements(&map),
            vec![
                ("v1", Placement::OnSource),
                ("s1", Placement::InTransit),
                ("s2", Placement::OnSource)
            ]
        );
        assert!(
            map.summary().contains("s1 'say \"hi\"' in transit"),
            "{}",
            map.summary()
        );
    }

    #[test]
    fn a_rollback_records_the_ids_on_the_source() {
        let (_dir, mut journal) =
            journal_after(&[(1, None), (2, None), (3, None), (4, Some("n1"))]);
        let step = |number: usize, item: &str, on: Side, action: Action| Step {
            step: number,
            item: item.into(),
            on,
            action,
        };
        let manage = |reference: &str| Action::ManageVolume {
            host: "old@lvm#vg".into(),
            reference: crate::backend::Reference::name(reference),
            name: None,
            description: None,
            metadata: Default::default(),
            known_ids: vec![],
            without_listing: false,
        };
        journal
            .rollback(vec![RollbackVolume {
                volume_id: "v1".into(),
                steps: vec![
                    step(
                        1,
                        "v1",
                        Side::Target,
                        Action::UnmanageVolume { id: "n1".into() },
                    ),
                    step(2, "v1", Side::Source, manage("volume-n1")),
                ],
            }])
            .unwrap();
        journal.intent(Phase::Rollback, 1).unwrap();
        journal.result(Phase::Rollback, 1, Ok(None), false).unwrap();
        assert_eq!(
            IdMap::from_state(journal.state()).entries[0].placement,
            Placement::InTransit
        );
        journal
            .result(Phase::Rollback, 2, Ok(Some("a2".into())), false)
            .unwrap();
        let map = IdMap::from_state(journal.state());
        assert_eq!(map.entries[0].placement, Placement::RolledBack);
        assert_eq!(map.entries[0].rollback_id.as_deref(), Some("a2"));
    }

    #[test]
    fn reports_are_written_next_to_the_journal() {
        let (dir, journal) = journal_after(&[]);
        let (json, csv) = IdMap::from_state(journal.state())
            .write_next_to(journal.path())
            .unwrap();
        assert_eq!(json, dir.path().join("j.ids.json"));
        assert_eq!(csv, dir.path().join("j.ids.csv"));
        assert!(
            std::fs::read_to_string(csv)
                .unwrap()
                .contains(",on_source\n")
        );
    }
}
