//! Guided migration of volumes with their snapshots between two back ends that share
//! storage: unmanage on the source, manage on the target, journaled so that an
//! interrupted run can be resumed or rolled back, and verified before any change.
//!
//! The engine knows nothing about terminals: it reports progress as [`Event`]s through
//! a callback, so the CLI prints them and a console can show them.

pub mod apply;
pub mod describe;
pub mod journal;
pub mod plan;
pub mod preflight;
pub mod report;
pub mod service;

use thiserror::Error;

pub use apply::{Event, Options, Outcome, PausePoint, Prepared, Stage};
pub use journal::Journal;
pub use plan::{Action, Plan, Side, Step};
pub use preflight::Problem;
pub use report::IdMap;

use crate::backend;

/// Metadata key on every migrated resource: the back end it came from.
pub const MIGRATED_FROM: &str = "snapport:migrated-from";
/// Metadata key on every migrated resource: its id on the back end it came from.
pub const SOURCE_ID: &str = "snapport:source-id";

/// Why a migration command could not do what it was asked.
#[derive(Debug, Error)]
pub enum MigrateError {
    /// Checks before any change failed; nothing was changed.
    #[error("preflight failed, nothing was changed:\n{}", preflight::list(.0))]
    Preflight(Vec<Problem>),
    /// A back-end call outside a journaled step failed (a listing, a lookup).
    #[error(transparent)]
    Backend(#[from] backend::Error),
    /// The plan or journal file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The plan or journal file is not what snapport writes.
    #[error("{path}: {message}")]
    Format {
        path: std::path::PathBuf,
        message: String,
    },
    /// The journal already exists: an apply would mix two runs.
    #[error("journal {0} already exists: continue it with `snapport migrate resume {0}`")]
    JournalExists(std::path::PathBuf),
    /// The journal's migration was rolled back; resuming it would redo what was undone.
    #[error("this migration was rolled back; make a new plan to migrate again")]
    RolledBack,
    /// The state of a step cannot be told from either side: an operator must look.
    #[error("step {step}: {message}")]
    Ambiguous { step: usize, message: String },
}

impl From<crate::journal::JournalError> for MigrateError {
    fn from(err: crate::journal::JournalError) -> Self {
        use crate::journal::JournalError;
        match err {
            JournalError::Io { path, source } => MigrateError::Io { path, source },
            JournalError::Format { path, message } => MigrateError::Format { path, message },
            JournalError::Exists(path) => MigrateError::JournalExists(path),
        }
    }
}

/// Result of a migration operation.
pub type Result<T, E = MigrateError> = std::result::Result<T, E>;
