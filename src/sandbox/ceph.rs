//! A throw-away single-node Ceph cluster: one monitor, one OSD on memstore, one mgr,
//! no authentication, on 127.0.0.1 with ports picked at run time and all state in one
//! directory. The daemons are children of this process, each in its own process group
//! (a Ctrl-C at the terminal reaches snapport, which then stops them in order); they
//! are killed and reaped on drop and the directory goes with them.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use thiserror::Error;
use tokio::process::Command;

/// How long one `ceph` or `rbd` call may take: a client waits for ever for a monitor
/// that does not answer.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the monitor, then the placement groups, may take to come up.
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// Between two looks at the cluster while waiting for it.
const POLL: Duration = Duration::from_millis(100);

/// Ports: the monitor's msgr2 and msgr1, then the range the OSD and the mgr bind in.
const PORTS: u16 = 34;

/// What the cluster runs, with the Debian package that ships it.
const TOOLS: &[(&str, &str)] = &[
    ("ceph-mon", "ceph-mon"),
    ("ceph-osd", "ceph-osd"),
    ("ceph-mgr", "ceph-mgr"),
    ("monmaptool", "ceph-base, which ceph-mon brings"),
    ("ceph", "ceph-common"),
    ("rbd", "ceph-common"),
];

/// How to get every tool of [`TOOLS`] on Debian.
pub const INSTALL: &str = "apt-get install ceph-mon ceph-osd ceph-mgr ceph-common";

/// Why the cluster could not be brought up or used.
#[derive(Debug, Error)]
pub enum CephSandboxError {
    #[error(
        "a throw-away Ceph needs the Ceph packages; not found: {missing}. Install them: {INSTALL}"
    )]
    Missing { missing: String },
    #[error("no block of {PORTS} free ports on 127.0.0.1 for the Ceph daemons")]
    NoPorts,
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{command} timed out after {seconds} s")]
    Timeout { command: String, seconds: u64 },
    #[error("{command} failed: {stderr}")]
    Failed { command: String, stderr: String },
    #[error("{daemon} exited while waiting for {what}: {log}")]
    DaemonExited {
        daemon: &'static str,
        what: &'static str,
        log: String,
    },
    #[error("timed out after {seconds} s waiting for {what}")]
    NotReady { what: &'static str, seconds: u64 },
    #[error("cannot parse `ceph {command}`: {message}")]
    Parse { command: String, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Names the tools of [`TOOLS`] that are not on `PATH`, with their packages.
pub fn check_packages() -> Result<(), CephSandboxError> {
    let missing = missing_tools(&std::env::var_os("PATH").unwrap_or_default());
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CephSandboxError::Missing {
            missing: missing.join(", "),
        })
    }
}

/// `tool (package P)` for each tool of [`TOOLS`] in none of the directories of `path`.
fn missing_tools(path: &std::ffi::OsStr) -> Vec<String> {
    TOOLS
        .iter()
        .filter(|(tool, _)| !std::env::split_paths(path).any(|dir| dir.join(tool).is_file()))
        .map(|(tool, package)| format!("{tool} (package {package})"))
        .collect()
}

/// One daemon of the cluster.
#[derive(Debug)]
struct Daemon {
    name: &'static str,
    child: Child,
    /// Its stdout and stderr (`err to stderr`): why it exited, when it does.
    output: PathBuf,
}

/// A live cluster; dropping it kills the daemons and deletes its directory.
#[derive(Debug)]
pub struct CephSandbox {
    dir: PathBuf,
    conf: PathBuf,
    mon_port: u16,
    /// In start order; stopped in reverse.
    daemons: Vec<Daemon>,
}

impl CephSandbox {
    /// Brings the cluster up in `dir` (created, and deleted on drop) and tells
    /// `progress` each step it finished. Returns once the OSD is up; the mgr may still
    /// be starting ([`CephSandbox::create_pool`] waits for it).
    pub async fn start(
        dir: &Path,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Self, CephSandboxError> {
        check_packages()?;
        let mon_port = super::ports::free_block(PORTS).ok_or(CephSandboxError::NoPorts)?;
        let mut cluster = Self {
            dir: dir.to_path_buf(),
            conf: dir.join("ceph.conf"),
            mon_port,
            daemons: Vec::new(),
        };
        for sub in ["mon", "osd", "mgr", "run", "crash", "log"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        let fsid = uuid::Uuid::new_v4().to_string();
        std::fs::write(&cluster.conf, cluster.conf_text(&fsid))?;
        let monmap = dir.join("monmap").display().to_string();
        cluster
            .tool(
                "monmaptool",
                &[
                    "--create",
                    "--fsid",
                    &fsid,
                    "--addv",
                    "a",
                    &cluster.mon_address(),
                    &monmap,
                ],
            )
            .await?;
        cluster
            .tool(
                "ceph-mon",
                &[
                    "--id",
                    "a",
                    "--mkfs",
                    "--monmap",
                    &monmap,
                    "--keyring",
                    "/dev/null",
                ],
            )
            .await?;
        cluster.spawn("ceph-mon", &["--id", "a"])?;
        // Its own fsid: a monitor of another cluster that took the port first answers
        // too, while this one exits for want of it.
        cluster
            .wait_for(
                "the monitor",
                |status| status.get("fsid").and_then(Value::as_str) == Some(fsid.as_str()),
                &["status"],
            )
            .await?;
        progress(&format!("monitor up on 127.0.0.1:{mon_port}"));
        cluster.spawn("ceph-mgr", &["--id", "x"])?;
        let osd_uuid = uuid::Uuid::new_v4().to_string();
        let osd_id = String::from_utf8_lossy(&cluster.ceph(&["osd", "create", &osd_uuid]).await?)
            .trim()
            .to_string();
        let osd_name = format!("osd.{osd_id}");
        cluster
            .ceph(&["osd", "crush", "add", &osd_name, "1", "root=default"])
            .await?;
        cluster
            .tool(
                "ceph-osd",
                &["-i", &osd_id, "--mkfs", "--osd-uuid", &osd_uuid],
            )
            .await?;
        cluster.spawn("ceph-osd", &["-i", &osd_id])?;
        cluster
            .wait_for("the OSD", osd_up, &["osd", "dump"])
            .await?;
        progress(&format!("{osd_name} (memstore) up"));
        Ok(cluster)
    }

    /// The cluster's ceph.conf, for `--conf` or `CEPH_CONF`.
    pub fn conf(&self) -> &Path {
        &self.conf
    }

    /// The monitor's address, `[v2:127.0.0.1:PORT,v1:127.0.0.1:PORT+1]`.
    pub fn mon_address(&self) -> String {
        format!(
            "[v2:127.0.0.1:{},v1:127.0.0.1:{}]",
            self.mon_port,
            self.mon_port + 1
        )
    }

    /// Makes an RBD pool and waits until every placement group of the cluster is
    /// active: client I/O to one that is not blocks.
    pub async fn create_pool(&mut self, pool: &str) -> Result<(), CephSandboxError> {
        self.ceph(&["osd", "pool", "create", pool, "8", "8", "replicated"])
            .await?;
        self.ceph(&["osd", "pool", "application", "enable", pool, "rbd"])
            .await?;
        self.wait_for(
            "every placement group to be active",
            all_pgs_active,
            &["pg", "stat"],
        )
        .await
    }

    /// `ceph ARGS` on this cluster; its stdout.
    pub async fn ceph(&self, args: &[&str]) -> Result<Vec<u8>, CephSandboxError> {
        let timeout = CALL_TIMEOUT.as_secs().to_string();
        let mut full = vec!["--connect-timeout", &timeout];
        full.extend_from_slice(args);
        self.tool("ceph", &full).await
    }

    /// `rbd ARGS` on this cluster; its stdout.
    pub async fn rbd(&self, args: &[&str]) -> Result<Vec<u8>, CephSandboxError> {
        self.tool("rbd", args).await
    }

    /// Runs one Ceph program with this cluster's `--conf`, bounded by [`CALL_TIMEOUT`].
    async fn tool(&self, program: &str, args: &[&str]) -> Result<Vec<u8>, CephSandboxError> {
        let command_line = format!("{program} {}", args.join(" "));
        let run = Command::new(program)
            .arg("--conf")
            .arg(&self.conf)
            .args(args)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(CALL_TIMEOUT, run)
            .await
            .map_err(|_| CephSandboxError::Timeout {
                command: command_line.clone(),
                seconds: CALL_TIMEOUT.as_secs(),
            })?
            .map_err(|source| CephSandboxError::Spawn {
                program: program.to_string(),
                source,
            })?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(CephSandboxError::Failed {
                command: command_line,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            })
        }
    }

    /// Starts a daemon in the foreground (`-f`) as a child of this process.
    fn spawn(&mut self, name: &'static str, args: &[&str]) -> Result<(), CephSandboxError> {
        let output = self.dir.join("log").join(format!("{name}.out"));
        let log = std::fs::File::create(&output)?;
        let child = std::process::Command::new(name)
            .arg("--conf")
            .arg(&self.conf)
            .args(args)
            .arg("-f")
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .map_err(|source| CephSandboxError::Spawn {
                program: name.to_string(),
                source,
            })?;
        self.daemons.push(Daemon {
            name,
            child,
            output,
        });
        Ok(())
    }

    /// Polls `ceph ARGS -f json` until `ready` holds of its output, failing early when a
    /// daemon exits (with the end of what it printed).
    async fn wait_for(
        &mut self,
        what: &'static str,
        ready: impl Fn(&Value) -> bool,
        args: &[&str],
    ) -> Result<(), CephSandboxError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut json_args = args.to_vec();
        json_args.extend(["-f", "json"]);
        loop {
            self.check_daemons(what)?;
            if let Ok(stdout) = self.ceph(&json_args).await {
                let value: Value =
                    serde_json::from_slice(&stdout).map_err(|err| CephSandboxError::Parse {
                        command: args.join(" "),
                        message: err.to_string(),
                    })?;
                if ready(&value) {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(CephSandboxError::NotReady {
                    what,
                    seconds: READY_TIMEOUT.as_secs(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn check_daemons(&mut self, what: &'static str) -> Result<(), CephSandboxError> {
        for daemon in &mut self.daemons {
            if daemon.child.try_wait()?.is_some() {
                let printed = std::fs::read_to_string(&daemon.output).unwrap_or_default();
                let last: Vec<&str> = printed.lines().rev().take(5).collect();
                let log = last.into_iter().rev().collect::<Vec<_>>().join(" / ");
                return Err(CephSandboxError::DaemonExited {
                    daemon: daemon.name,
                    what,
                    log,
                });
            }
        }
        Ok(())
    }

    fn conf_text(&self, fsid: &str) -> String {
        let dir = self.dir.display();
        let bind_min = self.mon_port + 2;
        let bind_max = self.mon_port + PORTS - 1;
        format!(
            "# snapport: a throw-away single-node Ceph on 127.0.0.1, no authentication
[global]
fsid = {fsid}
mon host = {mon}
# without these the OSD and the mgr bind every interface, on Ceph's default ports
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind port min = {bind_min}
ms bind port max = {bind_max}
auth cluster required = none
auth service required = none
auth client required = none
keyring = /dev/null
# one host, one OSD, one copy of everything
osd crush chooseleaf type = 0
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
mon data avail warn = 1
mon data avail crit = 0
run dir = {dir}/run
admin socket = {dir}/run/$cluster-$name.asok
crash dir = {dir}/crash
pid file = {dir}/run/$name.pid
log file = {dir}/log/$name.log
log to stderr = false
err to stderr = true
[client]
# no admin socket nor log per rbd call
admin socket =
log file = /dev/null
client mount timeout = 30
[mon.a]
mon data = {dir}/mon
mon cluster log file = {dir}/log/cluster.log
# every snapshot id comes from an OSD map change the monitor commits at most once per
# interval (default 1 s)
paxos propose interval = 0.05
[osd]
osd data = {dir}/osd
# cls_rbd and the other object classes RBD needs
osd class load list = *
osd class default list = *
osd crush update on start = false
osd objectstore = memstore
memstore device bytes = 4294967296
[mgr]
mgr data = {dir}/mgr
# how often the OSD reports its placement groups to the mgr (default 5 s): the wait
# for them to be active is seconds shorter
mgr stats period = 1
",
            mon = self.mon_address(),
        )
    }
}

/// `ceph osd dump`: the OSD is up.
fn osd_up(dump: &Value) -> bool {
    dump["osds"]
        .as_array()
        .is_some_and(|osds| osds.iter().any(|osd| osd["up"] == 1))
}

/// `ceph pg stat`: some placement groups, all of them active.
fn all_pgs_active(stat: &Value) -> bool {
    let summary = &stat["pg_summary"];
    let total = summary["num_pgs"].as_u64().unwrap_or(0);
    let active: u64 = summary["num_pg_by_state"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|state| {
            state["name"]
                .as_str()
                .is_some_and(|name| name.starts_with("active"))
        })
        .filter_map(|state| state["num"].as_u64())
        .sum();
    total > 0 && active == total
}

impl Drop for CephSandbox {
    fn drop(&mut self) {
        // Thrown away: no clean shutdown to wait for, memstore keeps nothing anyway.
        for daemon in self.daemons.iter_mut().rev() {
            let _ = daemon.child.kill();
            let _ = daemon.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tools_are_named_with_their_packages() {
        let dir = tempfile::tempdir().unwrap();
        for tool in ["ceph-mon", "ceph", "rbd", "monmaptool"] {
            std::fs::write(dir.path().join(tool), "").unwrap();
        }
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::write(elsewhere.path().join("ceph-mgr"), "").unwrap();
        let path = std::env::join_paths([dir.path(), elsewhere.path()]).unwrap();
        assert_eq!(missing_tools(&path), vec!["ceph-osd (package ceph-osd)"]);
        assert_eq!(missing_tools(std::ffi::OsStr::new("")).len(), TOOLS.len());
    }

    #[test]
    fn placement_groups_count_as_active_in_any_active_state() {
        let stat = serde_json::json!({"pg_summary": {"num_pgs": 8, "num_pg_by_state": [
            {"name": "active+clean", "num": 5}, {"name": "active+undersized", "num": 3}]}});
        assert!(all_pgs_active(&stat));
        let creating = serde_json::json!({"pg_summary": {"num_pgs": 8, "num_pg_by_state": [
            {"name": "active+clean", "num": 5}, {"name": "creating", "num": 3}]}});
        assert!(!all_pgs_active(&creating));
        let none = serde_json::json!({"pg_summary": {"num_pgs": 0, "num_pg_by_state": []}});
        assert!(!all_pgs_active(&none));
    }
}
