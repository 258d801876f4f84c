//! The append-only journal of a migration: JSON lines, each fsync'd before the next
//! step starts. The first line holds the plan, so the journal alone is enough to
//! resume, roll back or report.
//!
//! ```text
//! {"record":"begin","at":"…","plan":{…}}
//! {"record":"intent","phase":"forward","step":1,"at":"…"}
//! {"record":"result","phase":"forward","step":1,"at":"…","status":"done"}
//! {"record":"result","phase":"forward","step":4,"at":"…","status":"done","new_id":"…"}
//! {"record":"result","phase":"forward","step":5,"at":"…","status":"failed","error":"…"}
//! {"record":"rollback","at":"…","volumes":[{"volume_id":"…","steps":[…]}]}
//! ```

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use crate::journal::{Ended, Status, StepState};
use crate::journal::{Replay, now};

use super::plan::{Plan, Step};
use super::{MigrateError, Result};

/// Whether a step moves items forward or undoes that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Forward,
    Rollback,
}

/// The undo steps of one volume, fixed when the rollback starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackVolume {
    /// The volume's id on the source when the plan was made.
    pub volume_id: String,
    pub steps: Vec<Step>,
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "lowercase")]
pub enum Record {
    Begin {
        at: String,
        plan: Plan,
    },
    Intent {
        phase: Phase,
        step: usize,
        at: String,
    },
    Result {
        phase: Phase,
        step: usize,
        at: String,
        #[serde(flatten)]
        ended: Ended,
    },
    Rollback {
        at: String,
        volumes: Vec<RollbackVolume>,
    },
}

/// Everything the journal records, replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub plan: Plan,
    pub rollback: Option<Vec<RollbackVolume>>,
    steps: HashMap<(Phase, usize), StepState>,
}

impl State {
    fn new(plan: Plan) -> Self {
        Self {
            plan,
            rollback: None,
            steps: HashMap::new(),
        }
    }

    /// A step's state (default: never started).
    pub fn step(&self, phase: Phase, step: usize) -> StepState {
        self.steps.get(&(phase, step)).cloned().unwrap_or_default()
    }

    /// The new id a finished manage step created.
    pub fn new_id(&self, phase: Phase, step: usize) -> Option<&str> {
        self.steps.get(&(phase, step))?.done.as_ref()?.as_deref()
    }
}

impl Replay for State {
    type Record = Record;
    type Error = MigrateError;
    const FIRST: &'static str = "plan";

    fn first(record: Record) -> Option<Self> {
        match record {
            Record::Begin { plan, .. } => Some(State::new(plan)),
            _ => None,
        }
    }

    fn check(&self) -> Result<(), String> {
        self.plan.check()
    }

    fn apply(&mut self, record: &Record) -> Result<(), String> {
        match record {
            Record::Begin { .. } => return Err("a second plan".into()),
            Record::Intent { phase, step, .. } => {
                self.steps
                    .entry((*phase, *step))
                    .or_default()
                    .record_intent();
            }
            Record::Result {
                phase, step, ended, ..
            } => {
                let state = self.steps.entry((*phase, *step)).or_default();
                state.record_result(ended);
            }
            Record::Rollback { volumes, .. } => self.rollback = Some(volumes.clone()),
        }
        Ok(())
    }
}

/// An open migration journal: appends records durably and keeps the replayed state
/// current.
pub type Journal = crate::journal::Journal<State>;

impl Journal {
    /// Creates a new journal for `plan`; an existing file is never overwritten.
    pub fn create(path: &Path, plan: &Plan) -> Result<Self> {
        let begin = Record::Begin {
            at: now(),
            plan: plan.clone(),
        };
        Self::begin(path, &begin, State::new(plan.clone()))
    }

    /// Records that a step is about to run.
    pub fn intent(&mut self, phase: Phase, step: usize) -> Result<()> {
        self.append(&Record::Intent {
            phase,
            step,
            at: now(),
        })
    }

    /// Records how a step ended.
    pub fn result(
        &mut self,
        phase: Phase,
        step: usize,
        outcome: std::result::Result<Option<String>, String>,
        reconciled: bool,
    ) -> Result<()> {
        self.append(&Record::Result {
            phase,
            step,
            at: now(),
            ended: Ended::new(outcome, reconciled),
        })
    }

    /// Records the undo steps of a rollback, once.
    pub fn rollback(&mut self, volumes: Vec<RollbackVolume>) -> Result<()> {
        self.append(&Record::Rollback { at: now(), volumes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::replay;
    use std::fs::OpenOptions;
    use std::io::Write;

    use crate::migrate::plan::fixtures::volume;
    use crate::migrate::plan::{Side, SourceVolume};

    fn plan() -> Plan {
        let source = SourceVolume {
            volume: volume("v1", "db"),
            snapshots: vec![],
            driver: crate::backend::Driver::LvmThick,
        };
        Plan::build("old", "new", "new@lvm", &[source])
    }

    #[test]
    fn replay_tracks_intents_results_and_new_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut journal = Journal::create(&path, &plan()).unwrap();
        journal.intent(Phase::Forward, 1).unwrap();
        journal.result(Phase::Forward, 1, Ok(None), false).unwrap();
        journal.intent(Phase::Forward, 2).unwrap();
        journal
            .result(Phase::Forward, 2, Err("boom".into()), false)
            .unwrap();
        journal.intent(Phase::Forward, 2).unwrap();
        drop(journal);

        let state = Journal::read(&path).unwrap();
        assert_eq!(state.plan, plan());
        assert!(state.step(Phase::Forward, 1).is_done());
        let second = state.step(Phase::Forward, 2);
        assert!(second.needs_reconcile());
        assert_eq!(second.error.as_deref(), Some("boom"));
        assert!(!state.step(Phase::Rollback, 1).started);

        let mut journal = Journal::open(&path).unwrap();
        journal
            .result(Phase::Forward, 2, Ok(Some("new-v".into())), true)
            .unwrap();
        let state = Journal::read(&path).unwrap();
        assert_eq!(state.new_id(Phase::Forward, 2), Some("new-v"));
        assert_eq!(state.step(Phase::Forward, 2).error, None);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 7);
        assert!(
            text.lines()
                .last()
                .unwrap()
                .contains(r#""reconciled":true"#),
            "{text}"
        );
    }

    #[test]
    fn a_torn_last_line_is_dropped_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut journal = Journal::create(&path, &plan()).unwrap();
        journal.intent(Phase::Forward, 1).unwrap();
        drop(journal);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(br#"{"record":"result","phase":"forw"#)
            .unwrap();
        drop(file);

        let mut journal = Journal::open(&path).unwrap();
        assert!(journal.state().step(Phase::Forward, 1).needs_reconcile());
        journal.result(Phase::Forward, 1, Ok(None), true).unwrap();
        assert!(
            Journal::read(&path)
                .unwrap()
                .step(Phase::Forward, 1)
                .is_done()
        );
    }

    #[test]
    fn an_existing_journal_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        Journal::create(&path, &plan()).unwrap();
        let err = Journal::create(&path, &plan()).unwrap_err();
        assert!(matches!(err, MigrateError::JournalExists(_)), "{err}");
    }

    #[test]
    fn bad_lines_and_foreign_files_are_refused_with_their_line() {
        assert!(replay::<State>("").unwrap_err().contains("empty"));
        let begin = serde_json::to_string(&Record::Begin {
            at: "t".into(),
            plan: plan(),
        })
        .unwrap();
        let err = replay::<State>(&format!("{begin}\nnot json\n{begin}\n")).unwrap_err();
        assert!(err.starts_with("line 2"), "{err}");
        let intent = r#"{"record":"intent","phase":"forward","step":1,"at":"t"}"#;
        assert!(
            replay::<State>(&format!("{intent}\n"))
                .unwrap_err()
                .contains("plan")
        );
    }

    #[test]
    fn rollback_steps_are_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut journal = Journal::create(&path, &plan()).unwrap();
        let steps = vec![Step {
            step: 1,
            item: "v1".into(),
            on: Side::Target,
            action: crate::migrate::Action::UnmanageVolume { id: "b1".into() },
        }];
        journal
            .rollback(vec![RollbackVolume {
                volume_id: "v1".into(),
                steps: steps.clone(),
            }])
            .unwrap();
        let state = Journal::read(&path).unwrap();
        assert_eq!(state.rollback.unwrap()[0].steps, steps);
    }
}
