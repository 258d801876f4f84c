//! Checks made before any change, on both sides, for the steps still to run. Every
//! failed check is reported with its reason; preflight itself only reads.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use super::plan::{Action, IdRef, Side, Step};
use super::{MIGRATED_FROM, MigrateError, Result, SOURCE_ID};
use crate::backend::snapshot_keys::locate;
use crate::backend::{
    Backend, Error, ListFilter, ManageableSnapshot, ManageableVolume, Metadata, Reference,
    Snapshot, Volume, backend_of,
};

/// One failed check: what it is about and why it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub item: String,
    pub reason: String,
}

impl Problem {
    /// A problem with `item` (an id, a host or a reference).
    pub fn new(item: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            item: item.into(),
            reason: reason.into(),
        }
    }
}

/// The problems, one per line, for error messages.
pub fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|problem| format!("  {}: {}", problem.item, problem.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The two back ends of a migration.
#[derive(Clone, Copy)]
pub struct Sides<'a> {
    pub source: &'a dyn Backend,
    pub target: &'a dyn Backend,
}

impl<'a> Sides<'a> {
    /// The back end a step changes.
    pub fn on(&self, side: Side) -> &'a dyn Backend {
        match side {
            Side::Source => self.source,
            Side::Target => self.target,
        }
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Source => "source",
        Side::Target => "target",
    }
}

/// Listings fetched once per side (and host) however many steps need them.
struct Views<'a> {
    sides: Sides<'a>,
    volumes: HashMap<(Side, String), Vec<ManageableVolume>>,
    snapshots: HashMap<(Side, String), Vec<ManageableSnapshot>>,
    managed_volumes: HashMap<Side, Vec<Volume>>,
    managed_snapshots: HashMap<Side, Vec<Snapshot>>,
}

impl<'a> Views<'a> {
    async fn manageable_volumes(&mut self, side: Side, host: &str) -> Result<&[ManageableVolume]> {
        let key = (side, host.to_string());
        if !self.volumes.contains_key(&key) {
            let list = self.sides.on(side).manageable_volumes(host).await?;
            self.volumes.insert(key.clone(), list);
        }
        Ok(&self.volumes[&key])
    }

    async fn manageable_snapshots(
        &mut self,
        side: Side,
        host: &str,
    ) -> Result<&[ManageableSnapshot]> {
        let key = (side, host.to_string());
        if !self.snapshots.contains_key(&key) {
            let list = self.sides.on(side).manageable_snapshots(host).await?;
            self.snapshots.insert(key.clone(), list);
        }
        Ok(&self.snapshots[&key])
    }

    async fn volumes(&mut self, side: Side) -> Result<&[Volume]> {
        if !self.managed_volumes.contains_key(&side) {
            let list = self.sides.on(side).volumes(&ListFilter::default()).await?;
            self.managed_volumes.insert(side, list);
        }
        Ok(&self.managed_volumes[&side])
    }

    async fn snapshots(&mut self, side: Side) -> Result<&[Snapshot]> {
        if !self.managed_snapshots.contains_key(&side) {
            let list = self
                .sides
                .on(side)
                .snapshots(&ListFilter::default())
                .await?;
            self.managed_snapshots.insert(side, list);
        }
        Ok(&self.managed_snapshots[&side])
    }
}

/// The id a resource on this side already carries for the same origin, when a
/// migration (or a hand-made manage) already brought it there.
fn already_migrated<'m>(
    metadata: &Metadata,
    existing: impl Iterator<Item = (&'m str, &'m Metadata)>,
) -> Option<&'m str> {
    let origin = metadata.get(SOURCE_ID)?;
    let from = metadata.get(MIGRATED_FROM);
    existing
        .filter(|(_, theirs)| theirs.get(SOURCE_ID) == Some(origin))
        .find(|(_, theirs)| from.is_none() || theirs.get(MIGRATED_FROM) == from)
        .map(|(id, _)| id)
}

fn verdict(safe: bool, reason: &Option<String>, cinder_id: &Option<String>) -> Option<String> {
    match (cinder_id, safe) {
        (Some(id), _) => Some(format!("already managed there as {id}")),
        (None, false) => Some(format!(
            "not safe to manage there: {}",
            reason.as_deref().unwrap_or("no reason given")
        )),
        (None, true) => None,
    }
}

/// Checks each host that receives a manage: it must exist, be enabled and up. Returns
/// the hosts that failed, whose manageable lists are not worth asking for.
async fn check_hosts(
    sides: Sides<'_>,
    chains: &[Vec<Step>],
    problems: &mut Vec<Problem>,
) -> Result<HashSet<(Side, String)>> {
    let mut wanted = HashSet::new();
    for step in chains.iter().flatten() {
        if let Action::ManageVolume { host, .. } = &step.action {
            wanted.insert((step.on, host.clone()));
        }
    }
    let mut listed = HashMap::new();
    let mut bad = HashSet::new();
    for (side, host) in wanted {
        if let Entry::Vacant(entry) = listed.entry(side) {
            entry.insert(sides.on(side).hosts().await?);
        }
        let service = listed[&side]
            .iter()
            .filter(|candidate| {
                candidate.host == host || backend_of(&candidate.host) == backend_of(&host)
            })
            .find(|candidate| candidate.host == host || !host.contains('#'));
        let reason = match service {
            None => format!("no such volume service on the {}", side_name(side)),
            Some(found) if found.state != "up" || found.status != "enabled" => {
                format!("volume service is {} and {}", found.status, found.state)
            }
            Some(_) => continue,
        };
        problems.push(Problem::new(format!("host {host}"), reason));
        bad.insert((side, host));
    }
    Ok(bad)
}

/// Checks the steps still to run, chain by chain (a chain is one volume's steps, in
/// order; steps already done are left out and finished ids filled in). Returns every
/// problem found, or `Ok` when the steps can run.
pub async fn check(sides: Sides<'_>, chains: &[Vec<Step>]) -> Result<()> {
    let mut views = Views {
        sides,
        volumes: HashMap::new(),
        snapshots: HashMap::new(),
        managed_volumes: HashMap::new(),
        managed_snapshots: HashMap::new(),
    };
    let mut problems = Vec::new();
    let bad_hosts = check_hosts(sides, chains, &mut problems).await?;
    for chain in chains {
        let mut leaving: HashSet<&str> = HashSet::new();
        // The host and back-end name of each volume a step of this chain manages.
        let mut new_volumes: HashMap<usize, (&str, &Reference)> = HashMap::new();
        for step in chain {
            let backend = sides.on(step.on);
            match &step.action {
                Action::UnmanageSnapshot { id } => {
                    leaving.insert(id);
                    check_snapshot_leaves(backend, id, &mut problems).await?;
                }
                Action::UnmanageVolume { id } => {
                    check_volume_leaves(backend, id, &leaving, &mut problems).await?;
                }
                Action::ManageVolume {
                    host,
                    reference,
                    name,
                    metadata,
                    ..
                } => {
                    new_volumes.insert(step.step, (host, reference));
                    if bad_hosts.contains(&(step.on, host.clone())) {
                        continue;
                    }
                    let entries = views.manageable_volumes(step.on, host).await?;
                    let entry = entries.iter().find(|e| e.reference.same_object(reference));
                    let found = entry.map(|e| (e.safe_to_manage, &e.reason_not_safe, &e.cinder_id));
                    check_reference(step.on, host, reference, found, &mut problems);
                    let existing = views.volumes(step.on).await?;
                    let pairs = existing.iter().map(|v| (v.id.as_str(), &v.metadata));
                    if let Some(id) = already_migrated(metadata, pairs) {
                        problems.push(Problem::new(
                            reference.label(),
                            format!(
                                "already migrated: volume {id} on the {} came from it",
                                side_name(step.on)
                            ),
                        ));
                    }
                    if step.on == Side::Target
                        && let Some(clash) = name_clash(name.as_deref(), existing)
                    {
                        problems.push(Problem::new(reference.label(), clash));
                    }
                }
                Action::CreateVolume { .. }
                | Action::DeleteSnapshot { .. }
                | Action::DeleteVolume { .. } => problems.push(Problem::new(
                    &step.item,
                    format!("{}: not a migration step", step.action.describe()),
                )),
                Action::ManageSnapshot {
                    volume,
                    reference,
                    metadata,
                    ..
                } => {
                    let host = match volume {
                        IdRef::NewIdOfStep(number) => {
                            new_volumes.get(number).map(|(h, _)| h.to_string())
                        }
                        IdRef::Id(id) => parent_host(backend, id, &mut problems).await?,
                    };
                    let Some(host) = host else { continue };
                    if bad_hosts.contains(&(step.on, host.clone())) {
                        continue;
                    }
                    let entries = views.manageable_snapshots(step.on, &host).await?;
                    // One name may be listed under several parents (RBD): the entry
                    // under this snapshot's volume decides.
                    let is_parent = |e: &ManageableSnapshot| match volume {
                        IdRef::Id(id) => e.is_snapshot_of(id),
                        IdRef::NewIdOfStep(number) => new_volumes
                            .get(number)
                            .zip(e.source_reference.as_ref())
                            .is_some_and(|((_, lv), origin)| origin.same_object(lv)),
                    };
                    let entry = locate(entries, reference, is_parent).own_or_any();
                    let found = entry.map(|e| (e.safe_to_manage, &e.reason_not_safe, &e.cinder_id));
                    check_reference(step.on, &host, reference, found, &mut problems);
                    let existing = views.snapshots(step.on).await?;
                    let pairs = existing.iter().map(|s| (s.id.as_str(), &s.metadata));
                    if let Some(id) = already_migrated(metadata, pairs) {
                        problems.push(Problem::new(
                            reference.label(),
                            format!(
                                "already migrated: snapshot {id} on the {} came from it",
                                side_name(step.on)
                            ),
                        ));
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(MigrateError::Preflight(problems))
    }
}

/// A volume arriving on the target under a name one of its volumes already has would
/// leave the operator with two volumes of that name there: refused, naming the other,
/// so that one of them is renamed first. (A rollback is not held up by this: it puts
/// a volume back where it came from.)
fn name_clash(name: Option<&str>, existing: &[Volume]) -> Option<String> {
    let name = name.filter(|n| !n.is_empty())?;
    let other = existing.iter().find(|v| v.name.as_deref() == Some(name))?;
    Some(format!(
        "name clash: the target already has a volume named '{name}' ({}); rename one of them first",
        other.id
    ))
}

fn check_reference(
    side: Side,
    host: &str,
    reference: &Reference,
    found: Option<(bool, &Option<String>, &Option<String>)>,
    problems: &mut Vec<Problem>,
) {
    let reason = match found {
        None => Some(format!(
            "not visible on the {} at host {host}: the two back ends do not share this storage",
            side_name(side)
        )),
        Some((safe, reason, cinder_id)) => verdict(safe, reason, cinder_id),
    };
    if let Some(reason) = reason {
        problems.push(Problem::new(reference.label(), reason));
    }
}

async fn check_snapshot_leaves(
    backend: &dyn Backend,
    id: &str,
    problems: &mut Vec<Problem>,
) -> Result<()> {
    match backend.snapshot(id).await {
        Ok(snapshot) if !snapshot.status_allows_unmanage() => {
            problems.push(Problem::new(
                format!("snapshot {id}"),
                format!(
                    "status is {}; unmanage needs available or error",
                    snapshot.status
                ),
            ));
        }
        Ok(_) => {}
        Err(Error::NotFound(message)) => {
            problems.push(Problem::new(format!("snapshot {id}"), message))
        }
        Err(other) => return Err(other.into()),
    }
    Ok(())
}

async fn check_volume_leaves(
    backend: &dyn Backend,
    id: &str,
    leaving: &HashSet<&str>,
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let item = format!("volume {id}");
    let volume = match backend.volume(id).await {
        Ok(volume) => volume,
        Err(Error::NotFound(message)) => {
            problems.push(Problem::new(item, message));
            return Ok(());
        }
        Err(other) => return Err(other.into()),
    };
    if volume.attached {
        problems.push(Problem::new(&item, "attached: detach it before migrating"));
    }
    if !volume.status_allows_unmanage() {
        problems.push(Problem::new(
            &item,
            format!(
                "status is {}; unmanage needs available or an error status",
                volume.status
            ),
        ));
    }
    let filter = ListFilter {
        volume_id: Some(id.to_string()),
        ..ListFilter::default()
    };
    for snapshot in backend.snapshots(&filter).await? {
        if !leaving.contains(snapshot.id.as_str()) {
            problems.push(Problem::new(
                &item,
                format!(
                    "has snapshot {} that the plan does not move: make a new plan",
                    snapshot.id
                ),
            ));
        }
    }
    Ok(())
}

/// The host of an existing parent volume (for its manageable snapshot list).
async fn parent_host(
    backend: &dyn Backend,
    id: &str,
    problems: &mut Vec<Problem>,
) -> Result<Option<String>> {
    match backend.volume(id).await {
        Ok(volume) if volume.host.is_some() => Ok(volume.host),
        Ok(_) => {
            problems.push(Problem::new(
                format!("volume {id}"),
                "its host is not visible (admin credentials needed)",
            ));
            Ok(None)
        }
        Err(Error::NotFound(message)) => {
            problems.push(Problem::new(format!("volume {id}"), message));
            Ok(None)
        }
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_migration_of_the_same_item_is_found() {
        let wanted = Metadata::from([
            (SOURCE_ID.to_string(), "v1".to_string()),
            (MIGRATED_FROM.to_string(), "old".to_string()),
        ]);
        let other_origin = Metadata::from([
            (SOURCE_ID.to_string(), "v1".to_string()),
            (MIGRATED_FROM.to_string(), "elsewhere".to_string()),
        ]);
        let plain = Metadata::new();
        let existing = [("a", &plain), ("b", &other_origin), ("c", &wanted)];
        assert_eq!(already_migrated(&wanted, existing.into_iter()), Some("c"));
        assert_eq!(
            already_migrated(&wanted, existing[..2].iter().copied()),
            None
        );
        assert_eq!(already_migrated(&plain, existing.into_iter()), None);
    }

    #[test]
    fn verdicts_name_the_owner_or_the_reason() {
        assert_eq!(verdict(true, &None, &None), None);
        assert_eq!(
            verdict(false, &Some("already managed".into()), &Some("x".into())).unwrap(),
            "already managed there as x"
        );
        assert!(
            verdict(false, &Some("volume in use".into()), &None)
                .unwrap()
                .contains("volume in use")
        );
    }
}
