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
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::journal::{JsonLines, now};
pub use crate::journal::{Status, StepState};

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
        status: Status,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// The outcome was found by looking at both sides, after an interruption.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reconciled: bool,
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

    fn apply(&mut self, record: &Record) {
        match record {
            Record::Begin { .. } => {}
            Record::Intent { phase, step, .. } => {
                self.steps
                    .entry((*phase, *step))
                    .or_default()
                    .record_intent();
            }
            Record::Result {
                phase,
                step,
                status,
                new_id,
                error,
                ..
            } => {
                let state = self.steps.entry((*phase, *step)).or_default();
                state.record_result(*status, new_id, error);
            }
            Record::Rollback { volumes, .. } => self.rollback = Some(volumes.clone()),
        }
    }

    /// Replays journal text. A last line cut short by a crash is ignored; any other bad
    /// line is an error.
    pub fn replay(text: &str) -> Result<Self, String> {
        let mut records = crate::journal::replay::<Record>(text)?.into_iter();
        let mut state = match records.next() {
            Some((_, Record::Begin { plan, .. })) => State::new(plan),
            _ => return Err("line 1: the journal does not start with its plan".into()),
        };
        for (line, record) in records {
            if matches!(record, Record::Begin { .. }) {
                return Err(format!("line {line}: a second plan"));
            }
            state.apply(&record);
        }
        Ok(state)
    }
}

/// An open journal: appends records durably and keeps the replayed state current.
#[derive(Debug)]
pub struct Journal {
    lines: JsonLines,
    state: State,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> MigrateError + '_ {
    move |source| MigrateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn format_error(path: &Path) -> impl FnOnce(String) -> MigrateError + '_ {
    move |message| MigrateError::Format {
        path: path.to_path_buf(),
        message,
    }
}

impl Journal {
    /// Creates a new journal for `plan`; an existing file is never overwritten.
    pub fn create(path: &Path, plan: &Plan) -> Result<Self> {
        let begin = Record::Begin {
            at: now(),
            plan: plan.clone(),
        };
        let lines = JsonLines::create(path, &begin).map_err(|err| {
            if err.kind() == std::io::ErrorKind::AlreadyExists {
                MigrateError::JournalExists(path.to_path_buf())
            } else {
                io_error(path)(err)
            }
        })?;
        Ok(Self {
            lines,
            state: State::new(plan.clone()),
        })
    }

    /// Reads a journal without opening it for writing.
    pub fn read(path: &Path) -> Result<State> {
        let text = std::fs::read_to_string(path).map_err(io_error(path))?;
        State::replay(&text).map_err(format_error(path))
    }

    /// Opens a journal to continue it, dropping a last line that a crash cut short.
    pub fn open(path: &Path) -> Result<Self> {
        let (lines, text) = JsonLines::open(path).map_err(io_error(path))?;
        let state = State::replay(&text).map_err(format_error(path))?;
        Ok(Self { lines, state })
    }

    /// Where the journal lives.
    pub fn path(&self) -> &Path {
        self.lines.path()
    }

    /// The replayed state, including everything appended since.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Appends one record and waits until it is on disk.
    pub fn append(&mut self, record: &Record) -> Result<()> {
        let path: PathBuf = self.lines.path().to_path_buf();
        self.lines.append(record).map_err(io_error(&path))?;
        self.state.apply(record);
        Ok(())
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
        let (status, new_id, error) = Status::of(outcome);
        self.append(&Record::Result {
            phase,
            step,
            at: now(),
            status,
            new_id,
            error,
            reconciled,
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
    use std::fs::OpenOptions;
    use std::io::Write;

    use crate::migrate::plan::fixtures::volume;
    use crate::migrate::plan::{Side, SourceVolume};

    fn plan() -> Plan {
        let source = SourceVolume {
            volume: volume("v1", "db"),
            snapshots: vec![],
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
        assert!(State::replay("").unwrap_err().contains("empty"));
        let begin = serde_json::to_string(&Record::Begin {
            at: "t".into(),
            plan: plan(),
        })
        .unwrap();
        let err = State::replay(&format!("{begin}\nnot json\n{begin}\n")).unwrap_err();
        assert!(err.starts_with("line 2"), "{err}");
        let intent = r#"{"record":"intent","phase":"forward","step":1,"at":"t"}"#;
        assert!(
            State::replay(&format!("{intent}\n"))
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
