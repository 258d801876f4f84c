//! Runs a plan's steps (apply), finishes an interrupted run (resume) or undoes what was
//! moved (rollback). Every step is journaled before and after it runs; steps of one
//! volume run strictly in order, volumes run a few at a time.
//!
//! Longer than most: apply, resume and rollback share the reconciliation of steps that
//! were in flight, which must stay one piece of logic to stay safe to repeat.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::StreamExt;

use super::journal::{Journal, Phase, RollbackVolume, State};
use super::plan::{Action, IdRef, Item, Plan, Side, Step, number_steps};
use super::preflight::{self, Problem, Sides};
use super::{MigrateError, Result};
use crate::backend::{
    self, Backend, CreateVolumeRequest, ListFilter, ManageSnapshotRequest, ManageVolumeRequest,
    Reference,
};
pub use crate::pause::{PausePoint, Stage};
use crate::sync::lock;

/// The pause-point scopes of a migration: its two phases.
pub const PAUSE_SCOPES: [&str; 2] = ["forward", "rollback"];

fn scope_of(phase: Phase) -> &'static str {
    match phase {
        Phase::Forward => PAUSE_SCOPES[0],
        Phase::Rollback => PAUSE_SCOPES[1],
    }
}

/// How to run the steps.
#[derive(Debug, Clone)]
pub struct Options {
    /// Volumes moved at the same time (each volume's steps stay in order).
    pub concurrency: usize,
    /// Test hook, see [`PausePoint`].
    pub pause: Option<PausePoint>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            concurrency: 2,
            pause: None,
        }
    }
}

/// Progress, for the CLI's stderr or a console.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An interrupted step's outcome was read from both sides.
    Reconciled {
        phase: Phase,
        step: usize,
        description: String,
        done: bool,
    },
    Started {
        phase: Phase,
        step: usize,
        on: Side,
        description: String,
    },
    Finished {
        phase: Phase,
        step: usize,
        new_id: Option<String>,
    },
    Failed {
        phase: Phase,
        step: usize,
        error: String,
    },
}

/// How a run ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Steps that ran and finished.
    pub finished: usize,
    /// Steps that failed, with the error.
    pub failed: Vec<(usize, String)>,
    /// Steps not finished at the end (failed, after a failure, or after a stop).
    pub remaining: usize,
    /// A stop was asked for (SIGINT/SIGTERM) and honoured after the step in flight.
    pub stopped: bool,
}

impl Outcome {
    /// True when every step is done.
    pub fn complete(&self) -> bool {
        self.remaining == 0
    }
}

/// The journal a run writes: created on the first step of an apply, or continued.
enum JournalSlot {
    Create(PathBuf, Plan),
    Open(Journal),
}

/// Steps checked and ready to run once the operator agrees.
pub struct Prepared {
    source: Arc<dyn Backend>,
    target: Arc<dyn Backend>,
    journal: JournalSlot,
    phase: Phase,
    /// The steps still to run, one chain per volume.
    chains: Vec<Vec<Step>>,
    /// Undo steps to record before the first runs (a rollback's first run).
    new_rollback: Option<Vec<RollbackVolume>>,
}

fn sides<'a>(source: &'a Arc<dyn Backend>, target: &'a Arc<dyn Backend>) -> Sides<'a> {
    Sides {
        source: source.as_ref(),
        target: target.as_ref(),
    }
}

/// Checks a plan against both sides before an apply that writes `journal_path`.
pub async fn prepare_apply(
    plan: Plan,
    journal_path: &Path,
    source: Arc<dyn Backend>,
    target: Arc<dyn Backend>,
) -> Result<Prepared> {
    if journal_path.exists() {
        return Err(MigrateError::JournalExists(journal_path.to_path_buf()));
    }
    let chains = plan.chains();
    let journal = JournalSlot::Create(journal_path.to_path_buf(), plan);
    Prepared::checked(source, target, journal, Phase::Forward, chains, None).await
}

/// Reconciles the interrupted steps of a journal, then checks what is left.
pub async fn prepare_resume(
    journal_path: &Path,
    source: Arc<dyn Backend>,
    target: Arc<dyn Backend>,
    events: &(dyn Fn(Event) + Sync),
) -> Result<Prepared> {
    let mut journal = Journal::open(journal_path)?;
    if journal.state().rollback.is_some() {
        return Err(MigrateError::RolledBack);
    }
    let all = journal.state().plan.chains();
    reconcile(
        &mut journal,
        Phase::Forward,
        &all,
        sides(&source, &target),
        events,
    )
    .await?;
    let chains = pending(journal.state(), Phase::Forward, &all);
    let journal = JournalSlot::Open(journal);
    Prepared::checked(source, target, journal, Phase::Forward, chains, None).await
}

/// Works out (once) the undo steps of a journal's migration, reconciling interrupted
/// steps first, and checks them.
pub async fn prepare_rollback(
    journal_path: &Path,
    source: Arc<dyn Backend>,
    target: Arc<dyn Backend>,
    events: &(dyn Fn(Event) + Sync),
) -> Result<Prepared> {
    let mut journal = Journal::open(journal_path)?;
    let both = sides(&source, &target);
    let (volumes, new_rollback) = match journal.state().rollback.clone() {
        Some(volumes) => (volumes, None),
        None => {
            let forward = journal.state().plan.chains();
            reconcile(&mut journal, Phase::Forward, &forward, both, events).await?;
            let volumes = undo_steps(journal.state(), both).await?;
            (volumes.clone(), Some(volumes))
        }
    };
    let all: Vec<Vec<Step>> = volumes.into_iter().map(|v| v.steps).collect();
    reconcile(&mut journal, Phase::Rollback, &all, both, events).await?;
    let chains = pending(journal.state(), Phase::Rollback, &all);
    let journal = JournalSlot::Open(journal);
    Prepared::checked(
        source,
        target,
        journal,
        Phase::Rollback,
        chains,
        new_rollback,
    )
    .await
}

/// The steps of `chains` not yet done, with the ids of finished steps filled in.
fn pending(state: &State, phase: Phase, chains: &[Vec<Step>]) -> Vec<Vec<Step>> {
    chains
        .iter()
        .map(|chain| {
            chain
                .iter()
                .filter(|step| !state.step(phase, step.step).is_done())
                .map(|step| resolved(state, phase, step))
                .collect::<Vec<_>>()
        })
        .filter(|chain| !chain.is_empty())
        .collect()
}

/// A step whose parent volume is known by id when the step that created it is done.
fn resolved(state: &State, phase: Phase, step: &Step) -> Step {
    let mut step = step.clone();
    if let Action::ManageSnapshot { volume, .. } = &mut step.action
        && let IdRef::NewIdOfStep(number) = *volume
        && let Some(id) = state.new_id(phase, number)
    {
        *volume = IdRef::Id(id.to_string());
    }
    step
}

/// Statuses that mean a back end is still working on an unmanage or a manage.
const IN_PROGRESS: &[&str] = &["unmanaging", "deleting", "creating", "managing"];
/// How long reconciliation waits for such a status to settle.
const SETTLE_POLLS: u32 = 120;

/// Looks at both sides to tell whether each started but unfinished step happened, and
/// journals what it finds.
async fn reconcile(
    journal: &mut Journal,
    phase: Phase,
    chains: &[Vec<Step>],
    sides: Sides<'_>,
    events: &(dyn Fn(Event) + Sync),
) -> Result<()> {
    for step in chains.iter().flatten() {
        if !journal.state().step(phase, step.step).needs_reconcile() {
            continue;
        }
        let step = resolved(journal.state(), phase, step);
        let found = find_outcome(sides.on(step.on), step.step, &step.action).await?;
        if let Some(new_id) = &found {
            journal.result(phase, step.step, Ok(new_id.clone()), true)?;
        }
        events(Event::Reconciled {
            phase,
            step: step.step,
            description: step.action.describe(),
            done: found.is_some(),
        });
    }
    Ok(())
}

/// The status of a record once the back end stopped working on it, `None` once it is
/// gone. Polls with `fetch` (a show, which is what moves a real or fake Cinder on).
async fn settled<F, Fut>(step: usize, mut fetch: F) -> Result<Option<String>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = backend::Result<String>>,
{
    for _ in 0..SETTLE_POLLS {
        match fetch().await {
            Err(backend::Error::NotFound(_)) => return Ok(None),
            Err(other) => return Err(other.into()),
            Ok(status) if IN_PROGRESS.contains(&status.as_str()) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(status) => return Ok(Some(status)),
        }
    }
    Err(MigrateError::Ambiguous {
        step,
        message: "still in progress on the back end after two minutes: try again later".into(),
    })
}

/// The one record that matches a manage's name and metadata and existed not before.
fn only_match<'a>(
    step: usize,
    kind: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Result<Option<String>> {
    let ids: Vec<&str> = candidates.collect();
    match ids.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.to_string())),
        many => Err(MigrateError::Ambiguous {
            step,
            message: format!("several {kind}s could be its result: {}", many.join(", ")),
        }),
    }
}

/// `Some(new id)` when the effect of step `number` is there, `None` when it did not
/// happen. Manages are recognised by name and metadata among the records not in their
/// `known_ids`.
pub(crate) async fn find_outcome(
    backend: &dyn Backend,
    number: usize,
    action: &Action,
) -> Result<Option<Option<String>>> {
    let created = match action {
        Action::UnmanageSnapshot { id }
        | Action::DeleteSnapshot {
            snapshot: IdRef::Id(id),
        } => {
            let left = settled(number, || async {
                Ok(backend.snapshot(id).await?.status.to_string())
            })
            .await?;
            return Ok(left.is_none().then_some(None));
        }
        Action::UnmanageVolume { id } | Action::DeleteVolume { id } => {
            let left = settled(number, || async {
                Ok(backend.volume(id).await?.status.to_string())
            })
            .await?;
            return Ok(left.is_none().then_some(None));
        }
        Action::ManageVolume {
            name,
            metadata,
            known_ids,
            ..
        }
        | Action::CreateVolume {
            name,
            metadata,
            known_ids,
            ..
        } => {
            let volumes = backend.volumes(&ListFilter::default()).await?;
            let candidates = volumes
                .iter()
                .filter(|v| &v.name == name && &v.metadata == metadata)
                .filter(|v| !known_ids.contains(&v.id))
                .map(|v| v.id.as_str());
            let Some(id) = only_match(number, "volume", candidates)? else {
                return Ok(None);
            };
            let status = settled(number, || async {
                Ok(backend.volume(&id).await?.status.to_string())
            })
            .await?;
            status.map(|status| (id, status))
        }
        Action::ManageSnapshot {
            volume: IdRef::Id(volume_id),
            name,
            metadata,
            known_ids,
            ..
        } => {
            let filter = ListFilter {
                volume_id: Some(volume_id.clone()),
                ..ListFilter::default()
            };
            let snapshots = backend.snapshots(&filter).await?;
            let candidates = snapshots
                .iter()
                .filter(|s| &s.name == name && &s.metadata == metadata)
                .filter(|s| !known_ids.contains(&s.id))
                .map(|s| s.id.as_str());
            let Some(id) = only_match(number, "snapshot", candidates)? else {
                return Ok(None);
            };
            let status = settled(number, || async {
                Ok(backend.snapshot(&id).await?.status.to_string())
            })
            .await?;
            status.map(|status| (id, status))
        }
        Action::ManageSnapshot { .. } | Action::DeleteSnapshot { .. } => return Ok(None),
    };
    match created {
        None => Ok(None),
        Some((id, status)) if status.starts_with("error") => Err(MigrateError::Ambiguous {
            step: number,
            message: format!(
                "the manage created {id}, which is in status {status}: \
                 fix or remove it by hand, then resume"
            ),
        }),
        Some((id, _)) => Ok(Some(Some(id))),
    }
}

/// The current back-end reference of a resource managed on the target: the target's
/// manageable list knows which entry its id owns.
fn owned_reference<'a>(
    entries: impl IntoIterator<Item = (&'a Reference, &'a Option<String>)>,
    id: &str,
) -> Option<Reference> {
    entries
        .into_iter()
        .find(|(_, owner)| owner.as_deref() == Some(id))
        .map(|(reference, _)| reference.clone())
}

/// Where one item is after the forward steps: gone from the source, on the target.
pub(crate) struct Whereabouts {
    pub left_source: bool,
    pub target_id: Option<String>,
}

/// Where the item with source id `item` is, from the journal's forward steps.
pub(crate) fn whereabouts(state: &State, steps: &[Step], item: &str) -> Whereabouts {
    let mine = || steps.iter().filter(move |step| step.item == item);
    let left_source = mine()
        .any(|step| !step.action.is_manage() && state.step(Phase::Forward, step.step).is_done());
    let target_id = mine()
        .filter(|step| step.action.is_manage())
        .find_map(|step| state.new_id(Phase::Forward, step.step))
        .map(str::to_string);
    Whereabouts {
        left_source,
        target_id,
    }
}

/// The undo steps: unmanage on the target what arrived there (snapshots first), then
/// manage on the source what left it (volume first), with the original fields.
async fn undo_steps(state: &State, sides: Sides<'_>) -> Result<Vec<RollbackVolume>> {
    let plan = &state.plan;
    let target_volumes = sides.target.manageable_volumes(&plan.target_host).await?;
    let target_snapshots = sides.target.manageable_snapshots(&plan.target_host).await?;
    let source_volumes = sides.source.volumes(&ListFilter::default()).await?;
    let mut problems = Vec::new();
    let mut next = 1;
    let mut result = Vec::new();
    for volume_plan in &plan.volumes {
        let volume = whereabouts(state, &volume_plan.steps, &volume_plan.volume.id);
        let snapshots: Vec<(&Item, Whereabouts)> = volume_plan
            .snapshots
            .iter()
            .map(|item| (item, whereabouts(state, &volume_plan.steps, &item.id)))
            .collect();
        let mut steps: Vec<(&str, Side, Action)> = Vec::new();
        for (item, place) in &snapshots {
            if let Some(id) = &place.target_id {
                steps.push((
                    &item.id,
                    Side::Target,
                    Action::UnmanageSnapshot { id: id.clone() },
                ));
            }
        }
        if let Some(id) = &volume.target_id {
            let item = &volume_plan.volume.id;
            steps.push((
                item,
                Side::Target,
                Action::UnmanageVolume { id: id.clone() },
            ));
        }
        let mut reference_of = |item: &Item, target_id: &Option<String>, is_volume: bool| {
            match target_id {
                None => Some(item.reference.clone()),
                Some(id) => {
                    let found = if is_volume {
                        owned_reference(
                            target_volumes.iter().map(|e| (&e.reference, &e.cinder_id)),
                            id,
                        )
                    } else {
                        owned_reference(
                            target_snapshots
                                .iter()
                                .map(|e| (&e.reference, &e.cinder_id)),
                            id,
                        )
                    };
                    if found.is_none() {
                        problems.push(Problem::new(
                        id.clone(),
                        format!("not in the target's manageable list at {}: its back-end name is unknown", plan.target_host),
                    ));
                    }
                    found
                }
            }
        };
        let parent = if volume.left_source {
            let Some(reference) = reference_of(&volume_plan.volume, &volume.target_id, true) else {
                continue;
            };
            let item = &volume_plan.volume;
            steps.push((
                &item.id,
                Side::Source,
                Action::ManageVolume {
                    host: volume_plan.source_host.clone(),
                    reference,
                    name: item.name.clone(),
                    description: item.description.clone(),
                    metadata: item.metadata.clone(),
                    known_ids: source_volumes
                        .iter()
                        .filter(|v| v.name == item.name)
                        .map(|v| v.id.clone())
                        .collect(),
                    without_listing: false,
                },
            ));
            IdRef::NewIdOfStep(next + steps.len() - 1)
        } else {
            IdRef::Id(volume_plan.volume.id.clone())
        };
        let siblings = match &parent {
            IdRef::Id(id) if snapshots.iter().any(|(_, place)| place.left_source) => {
                let filter = ListFilter {
                    volume_id: Some(id.clone()),
                    ..ListFilter::default()
                };
                sides.source.snapshots(&filter).await?
            }
            _ => Vec::new(),
        };
        for (item, place) in &snapshots {
            if !place.left_source {
                continue;
            }
            let Some(reference) = reference_of(item, &place.target_id, false) else {
                continue;
            };
            steps.push((
                &item.id,
                Side::Source,
                Action::ManageSnapshot {
                    volume: parent.clone(),
                    reference,
                    name: item.name.clone(),
                    description: item.description.clone(),
                    metadata: item.metadata.clone(),
                    known_ids: siblings
                        .iter()
                        .filter(|s| s.name == item.name)
                        .map(|s| s.id.clone())
                        .collect(),
                    force: false,
                    without_listing: false,
                },
            ));
        }
        if steps.is_empty() {
            continue;
        }
        let first = next;
        next += steps.len();
        result.push(RollbackVolume {
            volume_id: volume_plan.volume.id.clone(),
            steps: number_steps(first, steps),
        });
    }
    if problems.is_empty() {
        Ok(result)
    } else {
        Err(MigrateError::Preflight(problems))
    }
}

/// Calls the back end for one step; manages return the new id.
pub(crate) async fn execute(
    backend: &dyn Backend,
    action: &Action,
) -> backend::Result<Option<String>> {
    match action {
        Action::UnmanageSnapshot { id } => backend.unmanage_snapshot(id).await.map(|()| None),
        Action::UnmanageVolume { id } => backend.unmanage_volume(id).await.map(|()| None),
        Action::ManageVolume {
            host,
            reference,
            name,
            description,
            metadata,
            without_listing,
            ..
        } => {
            let request = ManageVolumeRequest {
                host: host.clone(),
                reference: reference.clone(),
                name: name.clone(),
                description: description.clone(),
                metadata: metadata.clone(),
                without_listing: *without_listing,
            };
            backend.manage_volume(&request).await.map(|v| Some(v.id))
        }
        Action::ManageSnapshot {
            volume,
            reference,
            name,
            description,
            metadata,
            force,
            without_listing,
            ..
        } => {
            let IdRef::Id(volume_id) = volume else {
                return Err(backend::Error::NotFound(
                    "the parent volume was not created".into(),
                ));
            };
            let request = ManageSnapshotRequest {
                volume_id: volume_id.clone(),
                reference: reference.clone(),
                name: name.clone(),
                description: description.clone(),
                metadata: metadata.clone(),
                force: *force,
                without_listing: *without_listing,
            };
            backend.manage_snapshot(&request).await.map(|s| Some(s.id))
        }
        Action::CreateVolume {
            snapshot_id,
            name,
            description,
            size,
            metadata,
            ..
        } => {
            let request = CreateVolumeRequest {
                snapshot_id: snapshot_id.clone(),
                name: name.clone(),
                description: description.clone(),
                size: *size,
                metadata: metadata.clone(),
            };
            backend.create_volume(&request).await.map(|v| Some(v.id))
        }
        Action::DeleteSnapshot { snapshot } => {
            let IdRef::Id(id) = snapshot else {
                return Err(backend::Error::NotFound(
                    "the snapshot to delete was not imported".into(),
                ));
            };
            backend.delete_snapshot(id).await.map(|()| None)
        }
        Action::DeleteVolume { id } => backend.delete_volume(id).await.map(|()| None),
    }
}

/// What one volume's chain did.
#[derive(Default)]
struct ChainOutcome {
    finished: usize,
    failed: Option<(usize, String)>,
    remaining: usize,
}

/// A run in progress: shared by the volume chains that run at the same time.
struct Run<'a> {
    sides: Sides<'a>,
    journal: Mutex<Journal>,
    phase: Phase,
    options: &'a Options,
    events: &'a (dyn Fn(Event) + Sync),
    stop: &'a AtomicBool,
}

impl Run<'_> {
    fn journal(&self) -> MutexGuard<'_, Journal> {
        lock(&self.journal)
    }

    /// Freezes this chain at a test's pause point until a stop is asked for.
    async fn pause_at(&self, stage: Stage, step: usize) {
        if let Some(point) = &self.options.pause {
            point
                .hold(scope_of(self.phase), stage, step, self.stop)
                .await;
        }
    }

    async fn run_chain(&self, chain: &[Step]) -> Result<ChainOutcome> {
        let mut outcome = ChainOutcome::default();
        for (index, step) in chain.iter().enumerate() {
            if self.stop.load(Ordering::SeqCst) {
                outcome.remaining = chain.len() - index;
                return Ok(outcome);
            }
            let step = resolved(self.journal().state(), self.phase, step);
            self.journal().intent(self.phase, step.step)?;
            self.pause_at(Stage::Intent, step.step).await;
            (self.events)(Event::Started {
                phase: self.phase,
                step: step.step,
                on: step.on,
                description: step.action.describe(),
            });
            let result = execute(self.sides.on(step.on), &step.action)
                .await
                .map_err(|err| err.to_string());
            self.pause_at(Stage::Call, step.step).await;
            self.journal()
                .result(self.phase, step.step, result.clone(), false)?;
            self.pause_at(Stage::Result, step.step).await;
            match result {
                Ok(new_id) => {
                    outcome.finished += 1;
                    (self.events)(Event::Finished {
                        phase: self.phase,
                        step: step.step,
                        new_id,
                    });
                }
                Err(error) => {
                    (self.events)(Event::Failed {
                        phase: self.phase,
                        step: step.step,
                        error: error.clone(),
                    });
                    outcome.failed = Some((step.step, error));
                    outcome.remaining = chain.len() - index;
                    return Ok(outcome);
                }
            }
        }
        Ok(outcome)
    }
}

impl Prepared {
    /// Runs preflight on the steps still to run; they are ready once it passes.
    async fn checked(
        source: Arc<dyn Backend>,
        target: Arc<dyn Backend>,
        journal: JournalSlot,
        phase: Phase,
        chains: Vec<Vec<Step>>,
        new_rollback: Option<Vec<RollbackVolume>>,
    ) -> Result<Self> {
        preflight::check(sides(&source, &target), &chains).await?;
        Ok(Self {
            source,
            target,
            journal,
            phase,
            chains,
            new_rollback,
        })
    }

    /// Which way the steps go.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The steps still to run, one chain per volume, in order.
    pub fn chains(&self) -> &[Vec<Step>] {
        &self.chains
    }

    /// The plan being carried out.
    pub fn plan(&self) -> &Plan {
        match &self.journal {
            JournalSlot::Create(_, plan) => plan,
            JournalSlot::Open(journal) => &journal.state().plan,
        }
    }

    /// The journal file.
    pub fn journal_path(&self) -> &Path {
        match &self.journal {
            JournalSlot::Create(path, _) => path,
            JournalSlot::Open(journal) => journal.path(),
        }
    }

    /// Runs the steps; honours `stop` between steps. Returns the journal's final state
    /// with the outcome.
    pub async fn run(
        self,
        options: &Options,
        events: &(dyn Fn(Event) + Sync),
        stop: &AtomicBool,
    ) -> Result<(Outcome, State)> {
        let mut journal = match self.journal {
            JournalSlot::Create(path, plan) => Journal::create(&path, &plan)?,
            JournalSlot::Open(journal) => journal,
        };
        if let Some(volumes) = self.new_rollback {
            journal.rollback(volumes)?;
        }
        let run = Run {
            sides: sides(&self.source, &self.target),
            journal: Mutex::new(journal),
            phase: self.phase,
            options,
            events,
            stop,
        };
        // The chains' futures are made before the stream: a closure inside it that
        // borrows a chain would keep the whole run from being `Send`.
        let chains: Vec<_> = self
            .chains
            .iter()
            .map(|chain| run.run_chain(chain))
            .collect();
        let results: Vec<Result<ChainOutcome>> = futures::stream::iter(chains)
            .buffer_unordered(options.concurrency.max(1))
            .collect()
            .await;
        let mut outcome = Outcome {
            stopped: stop.load(Ordering::SeqCst),
            ..Outcome::default()
        };
        for chain in results {
            let chain = chain?;
            outcome.finished += chain.finished;
            outcome.remaining += chain.remaining;
            outcome.failed.extend(chain.failed);
        }
        outcome.failed.sort();
        let state = run.journal().state().clone();
        Ok((outcome, state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_manages_give_their_ids_to_later_steps() {
        let source = crate::migrate::plan::SourceVolume {
            volume: crate::migrate::plan::fixtures::volume("v1", "db"),
            snapshots: vec![crate::migrate::plan::fixtures::snapshot("s1", "v1", "s")],
            driver: crate::backend::Driver::LvmThick,
        };
        let plan = Plan::build("old", "new", "new@lvm", &[source]);
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(&dir.path().join("j"), &plan).unwrap();
        for (step, new_id) in [(1, None), (2, None), (3, Some("n1".to_string()))] {
            journal
                .result(Phase::Forward, step, Ok(new_id), false)
                .unwrap();
        }
        let left = pending(journal.state(), Phase::Forward, &plan.chains());
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].len(), 1, "only the snapshot manage is left");
        let Action::ManageSnapshot { volume, .. } = &left[0][0].action else {
            panic!("{left:?}")
        };
        assert_eq!(volume, &IdRef::Id("n1".into()));
    }
}
