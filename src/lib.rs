//! snapport: import ("manage") and export ("unmanage") Cinder snapshots from a terminal.

pub mod backend;
