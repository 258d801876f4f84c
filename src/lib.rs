//! snapport: import ("manage") and export ("unmanage") Cinder snapshots from a terminal.

pub mod app;
pub mod backend;
pub mod batch;
pub mod cli;
pub mod config;
pub mod connect;
pub mod demo;
pub mod journal;
pub mod logging;
pub mod migrate;
pub mod output;
pub mod pause;
pub mod sandbox;
pub mod sync;
pub mod tui;
pub mod worker;
