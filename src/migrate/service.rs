//! A migration as both the CLI and the console run it: a review (gather the volumes,
//! build the plan, run preflight on both sides) and a run (save the plan, apply it
//! journaled, write the id map beside the journal).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::apply::{self, Event, Options, Outcome, Prepared};
use super::journal::{Journal, Phase, State};
use super::plan::{self, Plan};
use super::preflight::{self, Problem, Sides};
use super::{IdMap, MigrateError, Result};
use crate::backend::Backend;

/// What a review found.
#[derive(Debug)]
pub enum Review {
    /// Preflight passed: the plan can be applied.
    Ready(Plan),
    /// Preflight failed: every problem with its reason, and the plan when one was made.
    Refused {
        plan: Option<Plan>,
        problems: Vec<Problem>,
    },
}

/// Reads `volumes` from the source, builds the plan from `from` to `to` onto
/// `target_host` and checks it on both sides, read-only. An error is a failure to
/// look (a back end did not answer), not a refusal.
pub async fn review(
    sides: Sides<'_>,
    volumes: &[String],
    from: &str,
    to: &str,
    target_host: &str,
) -> Result<Review> {
    let found = match plan::gather(sides.source, volumes).await {
        Ok(found) => found,
        Err(MigrateError::Preflight(problems)) => {
            return Ok(Review::Refused {
                plan: None,
                problems,
            });
        }
        Err(err) => return Err(err),
    };
    let mut plan = Plan::build(from, to, target_host, &found);
    plan.name_snapshots(|id| sides.source.snapshot_name(id));
    match preflight::check(sides, &plan.chains()).await {
        Ok(()) => Ok(Review::Ready(plan)),
        Err(MigrateError::Preflight(problems)) => Ok(Review::Refused {
            plan: Some(plan),
            problems,
        }),
        Err(err) => Err(err),
    }
}

/// Saves a reviewed plan to `plan_file` and prepares its run journaled in `journal`
/// (which re-checks both sides).
pub async fn prepare(
    plan: Plan,
    plan_file: &Path,
    journal: &Path,
    source: Arc<dyn Backend>,
    target: Arc<dyn Backend>,
) -> Result<Prepared> {
    for dir in [plan_file.parent(), journal.parent()].into_iter().flatten() {
        std::fs::create_dir_all(dir).map_err(|source| MigrateError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    plan.save(plan_file)?;
    apply::prepare_apply(plan, journal, source, target).await
}

/// How a run ended: what it did, the error that stopped it early, the journal's state
/// and the id map, with the files it was written to (or why not).
pub struct Finished {
    pub outcome: Outcome,
    pub error: Option<MigrateError>,
    pub state: State,
    pub map: IdMap,
    pub reports: Result<(PathBuf, PathBuf)>,
}

/// Runs prepared steps, then writes the id map beside the journal, however far the run
/// got. Fails only when not even the journal can be read afterwards.
pub async fn run(
    prepared: Prepared,
    options: &Options,
    events: &(dyn Fn(Event) + Sync),
    stop: &AtomicBool,
) -> Result<Finished> {
    let journal = prepared.journal_path().to_path_buf();
    let (outcome, error, state) = match prepared.run(options, events, stop).await {
        Ok((outcome, state)) => (outcome, None, state),
        Err(err) => {
            let Ok(state) = Journal::read(&journal) else {
                return Err(err);
            };
            let remaining = state
                .plan
                .steps()
                .filter(|step| !state.step(Phase::Forward, step.step).is_done())
                .count();
            let outcome = Outcome {
                remaining,
                ..Outcome::default()
            };
            (outcome, Some(err), state)
        }
    };
    let map = IdMap::from_state(&state);
    let reports = map.write_next_to(&journal);
    Ok(Finished {
        outcome,
        error,
        state,
        map,
        reports,
    })
}
