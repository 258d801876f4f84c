//! Runs a batch's items against its back end, each journaled before and after its call:
//! a new batch from the console, or the rest of an interrupted one (`batch resume`),
//! after reconciling the items that were in flight when it stopped.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;

use super::journal::{BatchJournal, State};
use super::{Batch, BatchError};
use crate::backend::{self, Backend, ListFilter};
use crate::migrate::apply::{execute, find_outcome};
use crate::migrate::plan::IdRef;
use crate::migrate::{Action, MigrateError};
use crate::pause::{PausePoint, Stage};
use crate::sync::lock;

/// How many items run at once unless told otherwise: what Cinder's API takes in
/// parallel without errors (measured with 8 concurrent manages on MariaDB).
pub const AT_ONCE: usize = 8;

/// The pause-point scope of a batch (`batch:STAGE:ITEM`). Items then run one at a
/// time, in order, so that what is on disk at the kill is known.
pub const PAUSE_SCOPE: &str = "batch";

/// Called as each item ends: its number (from 1) and the back end's answer (the new
/// id for manages).
pub type Report<'a> = &'a (dyn Fn(usize, &backend::Result<Option<String>>) + Sync);

/// How a run goes: the test hook, and the flag that stops it between items.
#[derive(Clone, Copy)]
pub struct Control<'a> {
    pub pause: Option<&'a PausePoint>,
    /// Once set, no further item starts; the items in flight finish and are journaled.
    pub stop: &'a AtomicBool,
    pub report: Report<'a>,
    /// How many items run at once.
    pub at_once: usize,
}

/// Journals `batch` in a new file at `path`, then runs every item. The batch is
/// complete unless a stop left items unstarted.
pub async fn start(
    path: &Path,
    mut batch: Batch,
    backend: &dyn Backend,
    control: Control<'_>,
) -> Result<State, BatchError> {
    remember_known(&mut batch, backend).await?;
    let journal = BatchJournal::create(path, &batch)?;
    let all = (1..=batch.items.len()).collect();
    run(journal, backend, all, control).await
}

/// Finishes the batch journaled at `path`: looks at the back end for each item that
/// was in flight, then runs the items never started. A complete batch is left alone.
/// Returns the final state and the numbers of the items found done by looking.
pub async fn resume(
    path: &Path,
    backend: &dyn Backend,
    control: Control<'_>,
) -> Result<(State, Vec<usize>), BatchError> {
    let mut journal = BatchJournal::open(path)?;
    if journal.state().complete {
        return Ok((journal.state().clone(), Vec::new()));
    }
    let mut found = Vec::new();
    for number in 1..=journal.state().items.len() {
        let state = journal.state();
        if !state.item(number).needs_reconcile() || !state.to_run(number) {
            continue;
        }
        let item = &state.batch.items[number - 1];
        let mut action = resolved(state, &item.action);
        exclude(&mut action, state.new_ids());
        let unclear = |source: MigrateError| BatchError::Unclear {
            item: number,
            label: item.label.clone(),
            source,
        };
        if let Some(new_id) = find_outcome(backend, number, &action)
            .await
            .map_err(unclear)?
        {
            journal.result(number, Ok(new_id), true)?;
            found.push(number);
        }
    }
    let state = journal.state();
    let pending = (1..=state.items.len())
        .filter(|number| state.to_run(*number))
        .collect();
    let state = run(journal, backend, pending, control).await?;
    Ok((state, found))
}

/// The action with the record an earlier item created filled in, once it is done.
fn resolved(state: &State, action: &Action) -> Action {
    match action {
        Action::DeleteSnapshot {
            snapshot: IdRef::NewIdOfStep(number),
        } => match state.item(*number).done.clone().flatten() {
            Some(id) => Action::DeleteSnapshot {
                snapshot: IdRef::Id(id),
            },
            None => action.clone(),
        },
        other => other.clone(),
    }
}

/// Adds `ids` to the records a manage or create must not take for its result.
fn exclude<'a>(action: &mut Action, ids: impl Iterator<Item = &'a str>) {
    if let Action::ManageVolume { known_ids, .. }
    | Action::ManageSnapshot { known_ids, .. }
    | Action::CreateVolume { known_ids, .. } = action
    {
        known_ids.extend(ids.map(str::to_string));
    }
}

/// Notes, for each manage or create, the records that already carry its name: after a
/// crash they are not its result. One listing per parent volume, one for all volumes.
async fn remember_known(batch: &mut Batch, backend: &dyn Backend) -> Result<(), BatchError> {
    let mut snapshots: HashMap<String, Vec<(String, Option<String>)>> = HashMap::new();
    let mut volumes: Option<Vec<(String, Option<String>)>> = None;
    for item in &mut batch.items {
        let (existing, name, known_ids) = match &mut item.action {
            Action::ManageSnapshot {
                volume: IdRef::Id(volume_id),
                name,
                known_ids,
                ..
            } => {
                if !snapshots.contains_key(volume_id) {
                    let filter = ListFilter {
                        volume_id: Some(volume_id.clone()),
                        ..ListFilter::default()
                    };
                    let listed = backend.snapshots(&filter).await?;
                    let pairs = listed.into_iter().map(|s| (s.id, s.name)).collect();
                    snapshots.insert(volume_id.clone(), pairs);
                }
                (&snapshots[volume_id.as_str()], &*name, known_ids)
            }
            Action::ManageVolume {
                name, known_ids, ..
            }
            | Action::CreateVolume {
                name, known_ids, ..
            } => {
                if volumes.is_none() {
                    let listed = backend.volumes(&ListFilter::default()).await?;
                    volumes = Some(listed.into_iter().map(|v| (v.id, v.name)).collect());
                }
                (volumes.as_ref().expect("listed above"), &*name, known_ids)
            }
            _ => continue,
        };
        known_ids.extend(
            existing
                .iter()
                .filter(|(_, existing_name)| existing_name == name)
                .map(|(id, _)| id.clone()),
        );
    }
    Ok(())
}

/// Runs the items `pending` (numbers from 1), then marks the batch complete once
/// every item has its outcome.
async fn run(
    journal: BatchJournal,
    backend: &dyn Backend,
    pending: Vec<usize>,
    control: Control<'_>,
) -> Result<State, BatchError> {
    let batch = journal.state().batch.clone();
    let journal = Mutex::new(journal);
    if batch.in_order {
        for number in pending {
            let action = resolved(lock(&journal).state(), &batch.items[number - 1].action);
            run_item(&journal, backend, number, &action, control).await?;
            if !lock(&journal).state().item(number).is_done() {
                break;
            }
        }
    } else {
        let at_once = if control.pause.is_some() {
            1
        } else {
            control.at_once.max(1)
        };
        let results: Vec<Result<(), BatchError>> = futures::stream::iter(pending)
            .map(|number| {
                let action = &batch.items[number - 1].action;
                run_item(&journal, backend, number, action, control)
            })
            .buffered(at_once)
            .collect()
            .await;
        results.into_iter().collect::<Result<(), BatchError>>()?;
    }
    let mut journal = lock(&journal);
    if journal.state().settled() {
        journal.complete()?;
    }
    Ok(journal.state().clone())
}

/// Intent, call, result: the intent is on disk before the back end hears of the item.
async fn run_item(
    journal: &Mutex<BatchJournal>,
    backend: &dyn Backend,
    number: usize,
    action: &Action,
    control: Control<'_>,
) -> Result<(), BatchError> {
    if control.stop.load(Ordering::SeqCst) {
        return Ok(());
    }
    lock(journal).intent(number)?;
    pause_at(control, Stage::Intent, number).await;
    tracing::info!(item = number, action = %action.describe(), "batch item");
    let result = execute(backend, action).await;
    if let Err(err) = &result {
        tracing::warn!(item = number, error = %err, "batch item failed");
    }
    pause_at(control, Stage::Call, number).await;
    match &result {
        Err(err) if err.outcome_unknown() => lock(journal).unanswered(number, err.to_string())?,
        _ => {
            let outcome = result.clone().map_err(|err| err.to_string());
            lock(journal).result(number, outcome, false)?
        }
    }
    pause_at(control, Stage::Result, number).await;
    (control.report)(number, &result);
    Ok(())
}

/// Freezes this item at a test's pause point until a stop is asked for.
async fn pause_at(control: Control<'_>, stage: Stage, number: usize) {
    if let Some(point) = control.pause {
        point.hold(PAUSE_SCOPE, stage, number, control.stop).await;
    }
}
