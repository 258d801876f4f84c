//! Shared set-up for tests of the local RBD back end: a pool of its own per test on the
//! harness's real Ceph (`SNAPPORT_E2E_CEPH_CONF` in env.sh; see `cinder_harness` for
//! when tests run), a catalog in a temp dir, and the snapport binary pointed at both.
//!
//! A pool per test costs about 2.7 s of monitor commits (create 0.9 s, enable rbd 1 s,
//! remove 0.7 s), no more than seeding a few snapshots (1 s each): tests stay fully
//! independent (listings are exact, nothing to filter) and run in parallel.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use snapport::backend::local::LocalBackend;
use snapport::backend::local::rbd::{DEFAULT_TIMEOUT, RbdConfig};

use crate::cinder_harness::harness_env;
use crate::rbd_tool::RbdTool;

/// The host name tests give the local RBD back end.
pub const HOST: &str = "test@ceph";

/// A throw-away pool on the harness's Ceph and a temp dir, removed on drop.
pub struct CephPool {
    pub pool: String,
    pub conf: PathBuf,
    pub dir: tempfile::TempDir,
}

/// One image or snapshot as `rbd ls -l` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub image: String,
    pub snapshot: Option<String>,
    pub protected: bool,
    /// The `image@snapshot` a clone was made of.
    pub parent: Option<String>,
    pub size: u64,
}

impl CephPool {
    /// A new pool for `test`, or `None` when the harness is not running (outside CI).
    pub fn new(test: &str) -> Option<Self> {
        let (_, vars) = harness_env()?;
        let conf = PathBuf::from(
            vars.get("SNAPPORT_E2E_CEPH_CONF")
                .expect("env.sh names the harness's ceph.conf (SNAPPORT_E2E_CEPH_CONF)"),
        );
        let pool = Self {
            pool: format!("spt-{test}-{}", std::process::id()),
            conf,
            dir: tempfile::tempdir().expect("temp dir"),
        };
        pool.ceph(&["osd", "pool", "create", &pool.pool, "8", "8", "replicated"]);
        pool.ceph(&["osd", "pool", "application", "enable", &pool.pool, "rbd"]);
        Some(pool)
    }

    fn ceph(&self, args: &[&str]) {
        let out = Command::new("ceph")
            .arg("--conf")
            .arg(&self.conf)
            .args(args)
            .output()
            .expect("the ceph CLI runs");
        assert!(
            out.status.success(),
            "ceph {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `rbd` with this pool's ceph.conf.
    pub fn tool(&self) -> RbdTool {
        RbdTool {
            conf: self.conf.clone(),
        }
    }

    pub fn rbd_command(&self) -> Command {
        self.tool().command()
    }

    pub fn rbd<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        self.tool().run(args)
    }

    pub fn rbd_ok<S: AsRef<OsStr> + std::fmt::Debug>(&self, args: &[S]) -> Vec<u8> {
        self.tool().ok(args)
    }

    /// `pool/name`.
    pub fn spec(&self, name: &str) -> String {
        format!("{}/{name}", self.pool)
    }

    /// Creates 1 GiB images, then their snapshots (`image@snapshot`), all in parallel:
    /// a snapshot is a monitor commit of about a second.
    pub fn seed(&self, images: &[&str], snapshots: &[&str]) {
        self.parallel(images.iter().map(|image| {
            vec![
                "create".to_string(),
                "--size".into(),
                "1G".into(),
                self.spec(image),
            ]
        }));
        self.parallel(
            snapshots
                .iter()
                .map(|snapshot| vec!["snap".into(), "create".into(), self.spec(snapshot)]),
        );
    }

    fn parallel(&self, calls: impl Iterator<Item = Vec<String>>) {
        std::thread::scope(|scope| {
            let running: Vec<_> = calls
                .map(|args| scope.spawn(move || self.rbd_ok(&args)))
                .collect();
            for call in running {
                call.join().expect("an rbd call");
            }
        });
    }

    /// What the pool holds now, from `rbd ls -l --format json` (names read lossily).
    pub fn listing(&self) -> Vec<Listed> {
        let out = self.rbd_ok(&["ls", "-l", "--format", "json", &self.pool]);
        let entries: Value =
            serde_json::from_str(&String::from_utf8_lossy(&out)).expect("rbd prints JSON");
        entries
            .as_array()
            .expect("a list")
            .iter()
            .map(|entry| Listed {
                image: entry["image"].as_str().expect("a name").to_string(),
                snapshot: entry["snapshot"].as_str().map(String::from),
                protected: entry["protected"] == "true",
                parent: entry["parent"]["image"].as_str().map(|image| {
                    format!(
                        "{image}@{}",
                        entry["parent"]["snapshot"].as_str().unwrap_or("")
                    )
                }),
                size: entry["size"].as_u64().unwrap_or_default(),
            })
            .collect()
    }

    /// The snapshots of `image` with their protection, from `rbd ls -l`.
    pub fn snapshots_of(&self, image: &str) -> Vec<(String, bool)> {
        self.listing()
            .into_iter()
            .filter(|listed| listed.image == image)
            .filter_map(|listed| Some((listed.snapshot?, listed.protected)))
            .collect()
    }

    /// Image names in the pool now.
    pub fn images(&self) -> Vec<String> {
        self.listing()
            .into_iter()
            .filter(|listed| listed.snapshot.is_none())
            .map(|listed| listed.image)
            .collect()
    }

    pub fn catalog(&self) -> PathBuf {
        self.dir.path().join("catalog.sqlite")
    }

    pub fn config(&self) -> RbdConfig {
        self.config_with(&self.catalog(), HOST)
    }

    /// The back end on this pool with another catalog and host name.
    pub fn config_with(&self, catalog: &Path, host: &str) -> RbdConfig {
        RbdConfig {
            pool: self.pool.clone(),
            catalog: catalog.to_path_buf(),
            backend_name: Some(host.to_string()),
            ceph_conf: Some(self.conf.clone()),
            ceph_user: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The local RBD back end on this pool, in-process.
    pub async fn backend(&self) -> LocalBackend {
        LocalBackend::open_rbd(self.config(), true)
            .await
            .expect("the local RBD back end opens")
    }

    /// The snapport binary with `--local --pool` options for this pool; logs and XDG
    /// dirs in the temp dir. `CEPH_CONF` names the ceph.conf, as an operator's would.
    pub fn snapport(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.snapport_std())
    }

    /// [`CephPool::snapport`] as a plain process, for tests that spawn and kill it.
    pub fn snapport_std(&self) -> Command {
        let mut command = crate::isolated::snapport(self.dir.path());
        command
            .env("CEPH_CONF", &self.conf)
            .args(["--local", "--pool", &self.pool, "--catalog"])
            .arg(self.catalog())
            .args(["--backend-host", HOST]);
        command
    }

    /// The records of the audit trail the binary wrote, oldest first.
    pub fn audit(&self) -> Vec<Value> {
        crate::isolated::audit(self.dir.path())
    }

    /// Holds a watch on `image` (as a client that has it open does) until dropped;
    /// returns once `rbd status` shows it.
    pub fn watch(&self, image: &str) -> Watch {
        let child = self
            .rbd_command()
            .args(["watch", &self.spec(image)])
            // it watches until a line arrives on stdin
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("rbd watch starts");
        let watch = Watch(child);
        wait_until(&format!("a watcher on {image}"), || {
            let status: Value = serde_json::from_slice(&self.rbd_ok(&[
                "status",
                "--format",
                "json",
                &self.spec(image),
            ]))
            .expect("rbd status prints JSON");
            status["watchers"].as_array().is_some_and(|w| !w.is_empty())
        });
        watch
    }
}

impl Drop for CephPool {
    fn drop(&mut self) {
        let out = Command::new("ceph")
            .arg("--conf")
            .arg(&self.conf)
            .args(["osd", "pool", "rm", &self.pool, &self.pool])
            .arg("--yes-i-really-really-mean-it")
            .output();
        if !out.is_ok_and(|out| out.status.success()) && !std::thread::panicking() {
            panic!("cannot remove pool {}", self.pool);
        }
    }
}

/// An `rbd watch` process, killed on drop.
pub struct Watch(std::process::Child);

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `condition` every 50 ms for up to 30 s.
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
