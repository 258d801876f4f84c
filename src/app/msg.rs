//! What flows into `update` (keys and worker results) and out of it (work to do).
//! Every request carries a number; replies for a request no screen waits for any more
//! are dropped, so a slow answer never overwrites a newer one.

use std::path::PathBuf;

use crate::backend::{
    BackendInfo, Error, Host, ListFilter, ManageSnapshotRequest, ManageVolumeRequest,
    ManageableSnapshot, ManageableVolume, Snapshot, Volume,
};
use crate::migrate::{Event, Plan};

use super::keymap::Key;
use super::migrate::{Review, RunEnd};

/// Identifies one request to the back end.
pub type RequestId = u64;

/// An input to the state machine.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The console opened: its first screen, and what it must say first.
    Start,
    /// The journals of batches left unfinished on this back end.
    UnfinishedBatches(Vec<std::path::PathBuf>),
    /// A key press (never a release or repeat).
    Key(Key),
    /// Time passed: spinners move.
    Tick,
    /// The terminal has a new size.
    Resize { width: u16, height: u16 },
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

/// What to import: one import job runs the same machinery for both kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Manage {
    Snapshot(ManageSnapshotRequest),
    Volume(ManageVolumeRequest),
}

/// Work for the worker; the results come back as [`Msg`]s with the same request id.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Load {
        request: RequestId,
        load: Load,
    },
    /// Imports or exports, journaled as one batch; each item's outcome comes back as
    /// [`Msg::Managed`] or [`Msg::Unmanaged`] with its index.
    Batch {
        request: RequestId,
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
}
