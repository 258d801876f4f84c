//! The snapport binary run as an operator would, but sealed off from the machine it
//! runs on: HOME, the working directory and the XDG dirs inside the test's own
//! directory, none of the operator's `OS_*` or `SNAPPORT_*` settings, no terminal on
//! stdin. Every test that runs the binary starts from here and adds what it needs.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};

/// `snapport` with HOME at `root` and `$XDG_{CONFIG,DATA,STATE}_HOME` in
/// `root/{config,data,state}`.
pub fn snapport(root: &Path) -> Command {
    std::fs::create_dir_all(root).expect("the test's directory");
    let mut command = Command::new(env!("CARGO_BIN_EXE_snapport"));
    for (key, _) in
        std::env::vars().filter(|(k, _)| k.starts_with("OS_") || k.starts_with("SNAPPORT_"))
    {
        command.env_remove(key);
    }
    command
        .current_dir(root)
        .env("HOME", root)
        .env("XDG_CONFIG_HOME", root.join("config"))
        .env("XDG_DATA_HOME", root.join("data"))
        .env("XDG_STATE_HOME", root.join("state"))
        .stdin(Stdio::null());
    command
}

/// [`snapport`], ready for assert_cmd's assertions.
pub fn snapport_cmd(root: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(snapport(root))
}
