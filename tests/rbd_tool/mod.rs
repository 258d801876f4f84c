//! The `rbd` tool on the harness's Ceph, as tests drive it to seed images and to read
//! what the storage holds, never taking snapport's or Cinder's word for it.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// `rbd` with one cluster's ceph.conf.
pub struct RbdTool {
    pub conf: PathBuf,
}

impl RbdTool {
    pub fn command(&self) -> Command {
        let mut command = Command::new("rbd");
        command.arg("--conf").arg(&self.conf);
        command
    }

    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        self.command()
            .args(args)
            .output()
            .expect("the rbd CLI runs")
    }

    /// Runs to success; its stdout.
    pub fn ok<S: AsRef<OsStr> + std::fmt::Debug>(&self, args: &[S]) -> Vec<u8> {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "rbd {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Runs to success with `--format json`; the parsed output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        serde_json::from_slice(&self.ok(&args)).expect("rbd prints JSON")
    }
}
