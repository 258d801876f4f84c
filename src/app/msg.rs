//! What flows into `update` (keys and worker results) and out of it (work to do).
//! Every request carries a number; replies for a request no screen waits for any more
//! are dropped, so a slow answer never overwrites a newer one.

use crate::backend::{
    Error, Host, ListFilter, ManageSnapshotRequest, ManageableSnapshot, Snapshot, Volume,
};

use super::keymap::Key;

/// Identifies one request to the back end.
pub type RequestId = u64;

/// An input to the state machine.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
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
    /// One import of a job finished.
    Managed {
        request: RequestId,
        item: usize,
        result: Result<Snapshot, Error>,
    },
    /// One export of a job finished.
    Unmanaged {
        request: RequestId,
        item: usize,
        result: Result<(), Error>,
    },
}

/// Rows of one page, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Page {
    Hosts(Vec<Host>),
    Volumes(Vec<Volume>),
    Snapshots(Vec<Snapshot>),
    Manageable(Vec<ManageableSnapshot>),
}

/// A listing to fetch.
#[derive(Debug, Clone, PartialEq)]
pub enum Load {
    Hosts,
    Volumes(ListFilter),
    Snapshots(ListFilter),
    /// The back-end snapshots of a host, managed or not.
    Manageable(String),
}

/// What to export.
#[derive(Debug, Clone, PartialEq)]
pub enum Unmanage {
    Snapshot(String),
    Volume(String),
}

/// Work for the worker; the results come back as [`Msg`]s with the same request id.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Load {
        request: RequestId,
        load: Load,
    },
    Manage {
        request: RequestId,
        item: usize,
        manage: ManageSnapshotRequest,
    },
    Unmanage {
        request: RequestId,
        item: usize,
        unmanage: Unmanage,
    },
}
