//! What the console and the worker say to each other: the work the console asks for
//! ([`Effect`]) and the worker's answers ([`Reply`]). Every request carries a number;
//! the console drops replies to requests no screen waits for any more, so a slow answer
//! never overwrites a newer one.

use std::path::PathBuf;

use crate::backend::{
    BackendInfo, Error, Host, ListFilter, ManageableSnapshot, ManageableVolume, Snapshot, Volume,
};
use crate::batch::retire::Survey;
use crate::migrate::{Event, IdMap, Outcome, Plan, Problem};

/// Identifies one request to the back end.
pub type RequestId = u64;

/// An answer of the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The journals of batches left unfinished on this back end.
    UnfinishedBatches(Vec<PathBuf>),
    /// A page of a listing arrived.
    Page { request: RequestId, page: Page },
    /// A listing finished, successfully or not.
    Loaded {
        request: RequestId,
        result: Result<(), Error>,
    },
    /// One import of a job finished: the new snapshot's or volume's id, for the summary.
    Managed {
        request: RequestId,
        item: usize,
        result: Result<String, Error>,
    },
    /// One export of a job finished.
    Unmanaged {
        request: RequestId,
        item: usize,
        result: Result<(), Error>,
    },
    /// One delete of a job finished.
    Deleted {
        request: RequestId,
        item: usize,
        result: Result<(), Error>,
    },
    /// What stands in the way of a volume's delete was read.
    Surveyed {
        request: RequestId,
        result: Result<Box<Survey>, Error>,
    },
    /// A back end was opened by name; the worker keeps it as connection `request`.
    Connected {
        request: RequestId,
        result: Result<Connection, String>,
    },
    /// A migration plan was built and checked.
    Planned { request: RequestId, review: Review },
    /// A step of a running migration started, finished or failed.
    Progress { request: RequestId, event: Event },
    /// A migration run ended.
    Migrated { request: RequestId, end: RunEnd },
}

/// A back end just opened, as the console sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub info: BackendInfo,
    /// Its hosts, when asked for.
    pub hosts: Vec<Host>,
}

/// Rows of one page, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Page {
    Hosts(Vec<Host>),
    Volumes(Vec<Volume>),
    Snapshots(Vec<Snapshot>),
    Manageable(Vec<ManageableSnapshot>),
    ManageableVolumes(Vec<ManageableVolume>),
}

/// A listing to fetch.
#[derive(Debug, Clone, PartialEq)]
pub enum Load {
    Hosts,
    Volumes(ListFilter),
    Snapshots(ListFilter),
    /// The back-end snapshots of a host, managed or not.
    Manageable(String),
    /// The back-end volumes of a host, managed or not.
    ManageableVolumes(String),
}

/// Work for the worker; the results come back as [`Reply`]s with the same request id.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Load {
        request: RequestId,
        load: Load,
    },
    /// Imports, exports, creates or deletes, journaled as one batch (`in_order`: one
    /// at a time, stopping at the first failure); each item's outcome comes back as
    /// [`Reply::Managed`], [`Reply::Unmanaged`] or [`Reply::Deleted`] with its index.
    Batch {
        request: RequestId,
        items: Vec<crate::batch::Item>,
        in_order: bool,
    },
    /// Reads what stands in the way of deleting a volume, for its retirement.
    Survey {
        request: RequestId,
        volume_id: String,
    },
    /// Changes a read-only session refused at once: each still goes to the back end,
    /// whose read-only layer refuses it, so that the audit trail records the attempt.
    Refused {
        items: Vec<crate::batch::Item>,
    },
    /// Opens the back end `name` (listing its hosts when `hosts`) and keeps it as
    /// connection `request` until it is used or released.
    Connect {
        request: RequestId,
        name: String,
        hosts: bool,
    },
    /// Makes a connection the console's back end.
    Switch {
        connection: RequestId,
    },
    /// Closes a connection nobody needs any more.
    Release {
        connection: RequestId,
    },
    /// Reads volumes from the console's back end and plans their move to the back end
    /// of connection `target`, with preflight.
    Plan {
        request: RequestId,
        volumes: Vec<String>,
        from: String,
        to: String,
        target_host: String,
        target: RequestId,
    },
    /// Saves the plan beside the journal and carries it out, reporting every step.
    Migrate {
        request: RequestId,
        plan: Box<Plan>,
        plan_file: PathBuf,
        journal: PathBuf,
        target: RequestId,
    },
    /// Asks a running migration to stop after the steps in flight.
    Stop {
        request: RequestId,
    },
    /// Looks for batches a stopped console left unfinished on this back end.
    FindUnfinishedBatches,
    /// Puts `text` on the terminal's clipboard. For the console, not the worker: only
    /// the terminal layer writes to the terminal.
    Copy {
        text: String,
    },
}

/// What planning and preflight found.
#[derive(Debug, Clone, PartialEq)]
pub enum Review {
    /// Preflight passed: the plan can be applied.
    Ready(Plan),
    /// Preflight failed: every problem with its reason, and the plan when one was made.
    Refused {
        plan: Option<Plan>,
        problems: Vec<Problem>,
    },
    /// Planning itself failed (a back end did not answer).
    Failed(String),
}

/// How a migration run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEnd {
    /// Refused before the first step: nothing changed.
    Refused(String),
    /// The run started; the journal tells how far it got.
    Ran(Box<Ran>),
}

/// A run that started.
#[derive(Debug, Clone, PartialEq)]
pub struct Ran {
    pub outcome: Outcome,
    /// An error that ended the run early (a journal write, an ambiguous step).
    pub error: Option<String>,
    /// Old id → new id, from the journal.
    pub map: IdMap,
    /// The JSON and CSV id maps written beside the journal, or why not.
    pub reports: Result<(PathBuf, PathBuf), String>,
}

impl Ran {
    /// True when every step is done.
    pub fn complete(&self) -> bool {
        self.error.is_none() && self.outcome.complete()
    }
}
