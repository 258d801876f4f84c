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

/// The records of the audit trail that snapport runs from [`snapport`] at `root`
/// wrote, oldest first.
pub fn audit(root: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(root.join("state/snapport/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object a line"))
        .collect()
}

/// The managed snapshots `command` (snapport with its back end chosen) lists, run
/// `--read-only` when asked (then crash recovery leaves intents alone).
pub fn snapshot_list(mut command: assert_cmd::Command, read_only: bool) -> Vec<serde_json::Value> {
    if read_only {
        command.arg("--read-only");
    }
    let out = command
        .args(["snapshot", "list", "-f", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let listed: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    listed.as_array().expect("a list").clone()
}
