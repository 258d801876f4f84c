//! What flows into `update`: keys, time, the terminal's size and the worker's replies.
//! What flows out of it is the worker's [`Effect`]s.

use crate::backend::{ManageSnapshotRequest, ManageVolumeRequest};

use super::keymap::Key;

pub use crate::worker::protocol::{Connection, Effect, Load, Page, Reply, RequestId};

/// An input to the state machine.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The console opened: its first screen, and what it must say first.
    Start,
    /// A key press (never a release or repeat).
    Key(Key),
    /// Time passed: spinners move.
    Tick,
    /// The auto-refresh interval passed: lists with rows in flux reload.
    Refresh,
    /// The terminal has a new size.
    Resize { width: u16, height: u16 },
    /// The worker answered.
    Reply(Reply),
}

/// What to import: one import job runs the same machinery for both kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Manage {
    Snapshot(ManageSnapshotRequest),
    Volume(ManageVolumeRequest),
}
