//! Import and export batches, from the console or the command line, journaled: a
//! process killed half-way (SSH drop, SIGKILL, crash) leaves a journal from which
//! `snapport batch resume` finds out what happened and finishes the rest. The batch reuses the migration
//! engine's actions, back-end calls and reconciliation.

pub mod create;
pub mod file;
pub mod journal;
pub mod retire;
pub mod run;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::backend;
use crate::config::{BackendSpec, Paths};
use crate::journal::JournalError;
use crate::migrate::{Action, MigrateError};

pub use journal::{BatchJournal, State};
pub use run::{AT_ONCE, Control, PAUSE_SCOPE, resume, start};

/// Why a batch could not be journaled, run or resumed.
#[derive(Debug, Error)]
pub enum BatchError {
    /// A back-end call outside an item (a listing before the start) failed.
    #[error(transparent)]
    Backend(#[from] backend::Error),
    /// The journal could not be read or written, or is not what snapport writes.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// Whether an interrupted item happened cannot be told: an operator must look.
    #[error("item {item} ({label}): {source}")]
    Unclear {
        item: usize,
        label: String,
        source: MigrateError,
    },
}

/// A batch: the back end it runs on and its items, in the order the operator chose.
/// The journal's first line holds it whole, so the journal alone is enough to resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// How to open the back end again, without the console's command line.
    pub backend: BackendSpec,
    /// The back end as the console named it, for lists and summaries.
    pub label: String,
    pub items: Vec<Item>,
    /// Each item needs the ones before it (a retirement): they run one at a time, in
    /// order, the first failure stops the batch, and a resume starts again there.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_order: bool,
}

/// One import, export, create or delete of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// What the operator saw: the back-end reference, the name or id exported or
    /// deleted, or the name of a new volume.
    pub label: String,
    #[serde(flatten)]
    pub action: Action,
}

/// Where batch journals live: `$XDG_STATE_HOME/snapport/batches`.
pub fn journals_dir(paths: &Paths) -> PathBuf {
    paths.state_dir.join("batches")
}

/// A new journal's path in `dir`, named by the UTC time the batch starts.
pub fn new_journal_path(dir: &Path) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    dir.join(format!("{stamp}.journal.jsonl"))
}

/// The journals in `dir` whose batch did not finish, oldest first, with their state.
/// Files that are not batch journals are skipped: they are not ours to judge.
pub fn unfinished(dir: &Path) -> Vec<(PathBuf, State)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut journals: Vec<(PathBuf, State)> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.to_string_lossy().ends_with(".journal.jsonl"))
        .filter_map(|path| {
            let state = BatchJournal::read(&path).ok()?;
            (!state.complete).then_some((path, state))
        })
        .collect();
    journals.sort_by(|a, b| a.0.cmp(&b.0));
    journals
}
