//! The append-only journal of a batch, on the same durable JSON lines as a migration's.
//! Items are numbered from 1, as the operator counts them.
//!
//! ```text
//! {"record":"begin","at":"…","batch":{"backend":{…},"label":"…","items":[…]}}
//! {"record":"intent","item":1,"at":"…"}
//! {"record":"result","item":1,"at":"…","status":"done","new_id":"…"}
//! {"record":"result","item":2,"at":"…","status":"failed","error":"…"}
//! {"record":"complete","at":"…"}
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Batch, BatchError};
use crate::journal::{Ended, Journal, Replay, StepState, now};

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "lowercase")]
pub enum Record {
    Begin {
        at: String,
        batch: Batch,
    },
    Intent {
        item: usize,
        at: String,
    },
    Result {
        item: usize,
        at: String,
        #[serde(flatten)]
        ended: Ended,
    },
    /// Every item has its outcome: the journal is now only a record.
    Complete {
        at: String,
    },
}

/// Everything a batch journal records, replayed.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub batch: Batch,
    pub started_at: String,
    /// Per item, in batch order.
    pub items: Vec<StepState>,
    pub complete: bool,
}

impl State {
    fn new(batch: Batch, started_at: String) -> Self {
        Self {
            items: vec![StepState::default(); batch.items.len()],
            batch,
            started_at,
            complete: false,
        }
    }

    /// Item `number`'s state (numbers start at 1).
    pub fn item(&self, number: usize) -> &StepState {
        &self.items[number - 1]
    }

    /// True once item `number` has an outcome, done or failed.
    pub fn has_outcome(&self, number: usize) -> bool {
        let item = self.item(number);
        item.is_done() || item.error.is_some()
    }

    /// How many items got no answer from the back end and await a resume's look.
    pub fn unanswered(&self) -> usize {
        self.items
            .iter()
            .filter(|item| item.unknown.is_some() && !item.is_done())
            .count()
    }

    /// True once every item has the outcome the batch needs: each done for a batch run
    /// in order, else each done or failed.
    pub fn settled(&self) -> bool {
        (1..=self.items.len()).all(|number| {
            if self.batch.in_order {
                self.item(number).is_done()
            } else {
                self.has_outcome(number)
            }
        })
    }

    /// True when item `number` is still to run: in a batch run in order, a failed item
    /// runs again.
    pub fn to_run(&self, number: usize) -> bool {
        if self.batch.in_order {
            !self.item(number).is_done()
        } else {
            !self.has_outcome(number)
        }
    }

    /// How many items have an outcome.
    pub fn finished(&self) -> usize {
        (1..=self.items.len())
            .filter(|number| self.has_outcome(*number))
            .count()
    }

    /// The ids the batch's manages created so far.
    pub fn new_ids(&self) -> impl Iterator<Item = &str> {
        self.items
            .iter()
            .filter_map(|item| item.done.as_ref()?.as_deref())
    }

    fn slot(&mut self, item: usize) -> Result<&mut StepState, String> {
        let count = self.items.len();
        item.checked_sub(1)
            .and_then(|index| self.items.get_mut(index))
            .ok_or_else(|| format!("item {item} is not in the batch of {count}"))
    }
}

impl Replay for State {
    type Record = Record;
    type Error = BatchError;
    const FIRST: &'static str = "batch";

    fn first(record: Record) -> Option<Self> {
        match record {
            Record::Begin { at, batch } => Some(State::new(batch, at)),
            _ => None,
        }
    }

    fn apply(&mut self, record: &Record) -> Result<(), String> {
        match record {
            Record::Begin { .. } => return Err("a second batch".into()),
            Record::Intent { item, .. } => self.slot(*item)?.record_intent(),
            Record::Result { item, ended, .. } => self.slot(*item)?.record_result(ended),
            Record::Complete { .. } => self.complete = true,
        }
        Ok(())
    }
}

/// An open batch journal: appends records durably and keeps the replayed state current.
pub type BatchJournal = Journal<State>;

impl BatchJournal {
    /// Creates the journal of a new batch; an existing file is never overwritten.
    pub fn create(path: &Path, batch: &Batch) -> Result<Self, BatchError> {
        let at = now();
        let begin = Record::Begin {
            at: at.clone(),
            batch: batch.clone(),
        };
        Self::begin(path, &begin, State::new(batch.clone(), at))
    }

    /// Records that item `item` is about to be sent to the back end.
    pub fn intent(&mut self, item: usize) -> Result<(), BatchError> {
        self.append(&Record::Intent { item, at: now() })
    }

    /// Records how item `item` ended.
    pub fn result(
        &mut self,
        item: usize,
        outcome: Result<Option<String>, String>,
        reconciled: bool,
    ) -> Result<(), BatchError> {
        self.append(&Record::Result {
            item,
            at: now(),
            ended: Ended::new(outcome, reconciled),
        })
    }

    /// Records that item `item`'s call got no answer (`error` says how): it stays in
    /// flight, for a resume to look for on the back end.
    pub fn unanswered(&mut self, item: usize, error: String) -> Result<(), BatchError> {
        self.append(&Record::Result {
            item,
            at: now(),
            ended: Ended::unknown(error),
        })
    }

    /// Records that every item has its outcome.
    pub fn complete(&mut self) -> Result<(), BatchError> {
        self.append(&Record::Complete { at: now() })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use super::*;
    use crate::backend::Reference;
    use crate::batch::Item;
    use crate::config::BackendSpec;
    use crate::journal::replay;
    use crate::migrate::Action;

    fn batch() -> Batch {
        let manage = |lv: &str| Item {
            label: lv.into(),
            action: Action::from(crate::backend::ManageSnapshotRequest {
                volume_id: "v1".into(),
                reference: Reference::name(lv),
                name: None,
                description: None,
                metadata: Default::default(),
                force: false,
                without_listing: false,
            }),
        };
        Batch {
            backend: BackendSpec::Local {
                vg: "vg0".into(),
                catalog: Some("/c.sqlite".into()),
                host: None,
                lvm_system_dir: None,
            },
            label: "local lvm vg=vg0".into(),
            items: vec![manage("snap-a"), manage("snap-b"), manage("snap-c")],
            in_order: false,
        }
    }

    #[test]
    fn replay_tracks_outcomes_and_completion() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.journal.jsonl");
        let mut journal = BatchJournal::create(&path, &batch()).unwrap();
        journal.intent(1).unwrap();
        journal.result(1, Ok(Some("s-1".into())), false).unwrap();
        journal.intent(2).unwrap();
        journal
            .result(2, Err("InvalidReference: gone".into()), false)
            .unwrap();
        journal.intent(3).unwrap();
        drop(journal);

        let state = BatchJournal::read(&path).unwrap();
        assert_eq!(state.batch, batch(), "the journal alone holds the batch");
        assert_eq!(state.finished(), 2);
        assert!(state.item(3).needs_reconcile());
        assert_eq!(state.new_ids().collect::<Vec<_>>(), ["s-1"]);
        assert!(!state.complete);

        let mut journal = BatchJournal::open(&path).unwrap();
        journal.result(3, Ok(Some("s-3".into())), true).unwrap();
        journal.complete().unwrap();
        let state = BatchJournal::read(&path).unwrap();
        assert!(state.complete);
        assert_eq!(
            state.item(2).error.as_deref(),
            Some("InvalidReference: gone")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(r#""item":3"#) && text.contains(r#""reconciled":true"#),
            "{text}"
        );
    }

    #[test]
    fn a_batch_in_order_runs_a_failed_item_again_and_is_settled_only_when_all_are_done() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.journal.jsonl");
        let in_order = Batch {
            in_order: true,
            ..batch()
        };
        let mut journal = BatchJournal::create(&path, &in_order).unwrap();
        journal.result(1, Ok(Some("s-1".into())), false).unwrap();
        journal
            .result(2, Err("VolumeIsBusy".into()), false)
            .unwrap();
        journal.result(3, Ok(Some("s-3".into())), false).unwrap();
        let state = journal.state();
        assert!(!state.settled(), "item 2 is not done");
        assert!(state.to_run(2) && !state.to_run(1));

        let mut unordered = state.clone();
        unordered.batch.in_order = false;
        assert!(unordered.settled(), "a failure is an outcome");
        assert!(!unordered.to_run(2));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#""in_order":true"#), "{text}");
        let plain = serde_json::to_string(&batch()).unwrap();
        assert!(
            !plain.contains("in_order"),
            "old journals stay as they were"
        );
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_the_item_is_still_in_flight() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.journal.jsonl");
        let mut journal = BatchJournal::create(&path, &batch()).unwrap();
        journal.intent(1).unwrap();
        drop(journal);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(br#"{"record":"result","item":1,"st"#)
            .unwrap();
        drop(file);

        let mut journal = BatchJournal::open(&path).unwrap();
        assert!(journal.state().item(1).needs_reconcile());
        journal.result(1, Ok(Some("s-1".into())), true).unwrap();
        let state = BatchJournal::read(&path).unwrap();
        assert!(state.item(1).is_done());
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
    }

    #[test]
    fn foreign_lines_and_items_outside_the_batch_are_refused_with_their_line() {
        let begin = serde_json::to_string(&Record::Begin {
            at: "t".into(),
            batch: batch(),
        })
        .unwrap();
        let intent = |item: usize| format!(r#"{{"record":"intent","item":{item},"at":"t"}}"#);
        let err = replay::<State>(&format!("{begin}\n{}\n", intent(4))).unwrap_err();
        assert!(
            err.starts_with("line 2") && err.contains("not in the batch of 3"),
            "{err}"
        );
        assert!(
            replay::<State>(&format!("{}\n", intent(1)))
                .unwrap_err()
                .contains("batch")
        );
        let err = replay::<State>(&format!("{begin}\n{begin}\n")).unwrap_err();
        assert!(err.contains("second batch"), "{err}");
    }

    #[test]
    fn only_unfinished_journals_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let done = dir.path().join("20260101T000000.000Z.journal.jsonl");
        let open = dir.path().join("20260102T000000.000Z.journal.jsonl");
        let mut journal = BatchJournal::create(&done, &batch()).unwrap();
        journal.complete().unwrap();
        BatchJournal::create(&open, &batch()).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let listed: Vec<PathBuf> = crate::batch::unfinished(dir.path())
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        assert_eq!(listed, [open]);
    }
}
