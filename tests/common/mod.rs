//! Shared set-up for tests that drive real lvm2: a loop-backed VG per test, a catalog
//! in a temp dir, and the snapport binary pointed at both.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use snapport::backend::local::{LocalBackend, LocalConfig};
use snapport::sandbox::{LvSpec, Sandbox, check_prerequisites};

/// The host name tests give the local back end.
pub const HOST: &str = "test@lvm";

/// A real VG and a catalog path, torn down on drop.
pub struct LvmEnv {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
}

/// A VG name unique to this test and process.
pub fn vg_name(test: &str) -> String {
    format!("spt-{test}-{}", std::process::id())
}

impl LvmEnv {
    /// Builds the VG. A missing prerequisite fails the test: these tests never skip.
    pub fn new(test: &str, lvs: &[LvSpec]) -> Self {
        if let Err(err) = check_prerequisites() {
            panic!("LVM test prerequisites missing: {err}");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let sandbox = Sandbox::create(&vg_name(test), &dir.path().join("vg"), 4096, lvs)
            .unwrap_or_else(|err| panic!("cannot build the LVM sandbox: {err}"));
        Self { sandbox, dir }
    }

    pub fn catalog(&self) -> PathBuf {
        self.dir.path().join("catalog.sqlite")
    }

    pub fn config(&self) -> LocalConfig {
        LocalConfig {
            vg: self.sandbox.vg().to_string(),
            catalog: self.catalog(),
            backend_name: Some(HOST.to_string()),
            lvm_system_dir: Some(self.sandbox.lvm_system_dir()),
        }
    }

    /// The local back end on this VG, in-process.
    pub async fn backend(&self) -> LocalBackend {
        LocalBackend::open(self.config(), true)
            .await
            .expect("local back end opens")
    }

    /// The records of the audit trail the binary wrote, oldest first.
    pub fn audit(&self) -> Vec<serde_json::Value> {
        crate::isolated::audit(self.dir.path())
    }

    /// The snapport binary with `--local` options for this VG; logs and XDG dirs in the
    /// temp dir.
    pub fn snapport(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.snapport_std())
    }

    /// [`LvmEnv::snapport`] as a plain process, for tests that spawn and kill it.
    pub fn snapport_std(&self) -> std::process::Command {
        let mut command = crate::isolated::snapport(self.dir.path());
        command
            .env("LVM_SYSTEM_DIR", self.sandbox.lvm_system_dir())
            .args(["--local", "--vg", self.sandbox.vg(), "--catalog"])
            .arg(self.catalog())
            .args(["--backend-host", HOST]);
        command
    }

    /// LV names currently in the VG.
    pub fn lv_names(&self) -> Vec<String> {
        self.sandbox
            .lv_names()
            .expect("lvs runs")
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    /// The origin of LV `name`, as lvm reports it.
    pub fn origin_of(&self, name: &str) -> Option<String> {
        self.sandbox
            .lv_names()
            .expect("lvs runs")
            .into_iter()
            .find(|(lv, _)| lv == name)
            .map(|(_, origin)| origin)
    }

    /// A directory of wrapper scripts to put first on PATH: each `(program, script body)`
    /// replaces an lvm command for the child process only.
    pub fn wrappers(&self, scripts: &[(&str, &str)]) -> PathBuf {
        let bin = self.dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        for (program, body) in scripts {
            let path = bin.join(program);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        bin
    }
}

/// PATH with `first` in front.
pub fn path_with(first: &Path) -> String {
    format!(
        "{}:{}",
        first.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Where an lvm program really lives, for wrappers that call through.
pub fn real_program(name: &str) -> String {
    let out = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .expect("sh runs");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(!path.is_empty(), "{name} not found: install lvm2");
    path
}

/// The standard layout: two volume LVs (`volume-a-lv` 1 GiB, `volume-b-lv` 512 MiB),
/// snapshots of each, and a plain LV.
pub fn standard_layout() -> Vec<LvSpec> {
    vec![
        LvSpec::volume("vol-a", 1024),
        LvSpec::volume("vol-b", 512),
        LvSpec::snapshot("snap-a1", 100, "vol-a"),
        LvSpec::snapshot("snap-a2", 1100, "vol-a"),
        LvSpec::snapshot("snap-b1", 64, "vol-b"),
        LvSpec::volume("plain", 64),
    ]
}
