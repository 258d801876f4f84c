//! Runs the real `rbd` (and `ceph`) tools on one pool, the way Cinder's RBD driver
//! names and guards images: `volume-<id>`, `snapshot-<id>`, managed snapshots
//! protected. Listings are one `rbd ls -l --format json`; only the "in use" verdict of
//! manageable volumes needs the watchers of each image, which a small Python program on
//! the Ceph bindings (`rbd_watchers.py`) reads for hundreds of images per process. Every
//! call has a timeout: a client waits for a monitor that never answers.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use serde::Deserialize;
use serde::de::{Deserializer, Visitor};
use thiserror::Error;
use tokio::process::Command;

use super::storage::{Capacity, Identity, Storage, StorageKind, StoredObject};
use crate::backend::{Driver, Result};

/// How long one `rbd` or `ceph` call may take unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads the watchers of many images over one cluster connection: one `rbd status`
/// per image costs a process and a monitor session, about 35 ms of CPU each, which
/// for 1,000 images is more than 17 s on two cores.
const WATCHERS_PROGRAM: &str = include_str!("rbd_watchers.py");

/// The interpreter the `ceph` tool itself runs on (its shebang): it has the `rados`
/// and `rbd` modules, which ceph-common depends on. Not `python3` on `PATH`, which
/// may be a virtualenv's or pyenv's without them.
const PYTHON: &str = "/usr/bin/python3";

/// Images per run of [`WATCHERS_PROGRAM`] (command lines stay short)...
const WATCHERS_BATCH: usize = 250;

/// ...and runs at once.
const WATCHERS_CONCURRENCY: usize = 4;

/// How to open a local RBD back end.
#[derive(Debug, Clone)]
pub struct RbdConfig {
    pub pool: String,
    pub catalog: PathBuf,
    /// The `host@backend` part of the host name; default `<hostname>@ceph`.
    pub backend_name: Option<String>,
    /// `--conf` for the tools; `None` leaves it to them (`CEPH_CONF`, /etc/ceph).
    pub ceph_conf: Option<PathBuf>,
    /// `--id` for the tools (a client name without `client.`); `None`: theirs.
    pub ceph_user: Option<String>,
    pub timeout: Duration,
}

/// Why a call of the Ceph tools failed.
#[derive(Debug, Error)]
pub enum CephError {
    #[error("`{0}` not found: install ceph-common (apt-get install -y ceph-common)")]
    Missing(&'static str),
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: &'static str,
        source: std::io::Error,
    },
    #[error("{command} timed out after {seconds} s: no answer from the Ceph cluster")]
    Timeout { command: String, seconds: u64 },
    #[error("{command} failed: {reason}")]
    Failed {
        command: String,
        /// The tool's exit code: the errno of the failure.
        code: Option<i32>,
        reason: String,
    },
    #[error("cannot parse the output of {command}: {message}")]
    Parse { command: String, message: String },
}

impl CephError {
    /// The errno the tool exited with, when it failed on its own.
    fn errno(&self) -> Option<i32> {
        match self {
            CephError::Failed { code, .. } => *code,
            _ => None,
        }
    }

    fn says(&self, text: &str) -> bool {
        matches!(self, CephError::Failed { reason, .. } if reason.contains(text))
    }
}

impl From<CephError> for crate::backend::Error {
    fn from(err: CephError) -> Self {
        crate::backend::Error::Backend(err.to_string())
    }
}

const ENOENT: i32 = 2;
const EBUSY: i32 = 16;
const EINVAL: i32 = 22;

/// The Ceph tools for one pool.
#[derive(Debug, Clone)]
pub struct Rbd {
    pool: String,
    conf: Option<PathBuf>,
    user: Option<String>,
    timeout: Duration,
}

/// A name as `rbd` prints it: raw bytes, which need not be UTF-8.
#[derive(Debug, Clone, PartialEq)]
struct RawName(Vec<u8>);

impl<'de> Deserialize<'de> for RawName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;
        impl Visitor<'_> for Bytes {
            type Value = RawName;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a name")
            }
            fn visit_bytes<E>(self, bytes: &[u8]) -> Result<RawName, E> {
                Ok(RawName(bytes.to_vec()))
            }
            fn visit_str<E>(self, text: &str) -> Result<RawName, E> {
                Ok(RawName(text.as_bytes().to_vec()))
            }
        }
        // serde_json hands a string over as bytes without checking that it is UTF-8
        deserializer.deserialize_bytes(Bytes)
    }
}

impl RawName {
    /// The name, or its escaped form (`\xNN` for each byte that is not UTF-8) and why
    /// it cannot be used as it is.
    fn decode(self) -> (String, Option<&'static str>) {
        match String::from_utf8(self.0) {
            Ok(name) => (name, None),
            Err(err) => {
                let mut shown = String::new();
                for chunk in err.as_bytes().utf8_chunks() {
                    shown.push_str(chunk.valid());
                    for byte in chunk.invalid() {
                        shown.push_str(&format!("\\x{byte:02x}"));
                    }
                }
                (shown, Some(NOT_UTF8))
            }
        }
    }
}

/// Why a name that is not UTF-8 is refused.
pub const NOT_UTF8: &str =
    "name is not valid UTF-8 (shown escaped): rename it with the rbd tool to import it";

/// `rbd ls -l` writes `protected` as the string "true" or "false".
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Flag {
    Text(String),
    Bool(bool),
}

/// One entry of `rbd ls -l --format json`: an image, or a snapshot of the image before.
#[derive(Debug, Deserialize)]
struct ListEntry {
    image: RawName,
    #[serde(default)]
    snapshot: Option<RawName>,
    size: u64,
    #[serde(default)]
    protected: Option<Flag>,
}

/// One image or snapshot of a pool.
#[derive(Debug, Clone, PartialEq)]
pub struct RbdObject {
    pub image: String,
    pub snapshot: Option<String>,
    pub size_bytes: u64,
    pub protected: bool,
    /// Why its name cannot be used (not UTF-8).
    pub unusable: Option<&'static str>,
}

/// Parses `rbd ls -l --format json POOL`. Names that are not UTF-8 are kept, escaped
/// and marked; the rest of the pool is listed as usual.
pub fn parse_listing(stdout: &[u8]) -> Result<Vec<RbdObject>, serde_json::Error> {
    let entries: Vec<ListEntry> = serde_json::from_slice(stdout)?;
    Ok(entries
        .into_iter()
        .map(|entry| {
            let (image, image_unusable) = entry.image.decode();
            let (snapshot, snapshot_unusable) = match entry.snapshot.map(RawName::decode) {
                Some((name, unusable)) => (Some(name), unusable),
                None => (None, None),
            };
            RbdObject {
                image,
                snapshot,
                size_bytes: entry.size,
                protected: match entry.protected {
                    Some(Flag::Bool(flag)) => flag,
                    Some(Flag::Text(text)) => text == "true",
                    None => false,
                },
                unusable: image_unusable.or(snapshot_unusable),
            }
        })
        .collect())
}

impl RbdObject {
    /// Keyed as the catalog records it (`image`, `image@snapshot`), with the reasons
    /// Cinder's RBD driver gives for not managing it.
    fn into_object(self) -> StoredObject {
        let (key, reference, origin, reserved) = match self.snapshot {
            Some(snapshot) => {
                let reserved = if snapshot.ends_with(".clone_snap") {
                    Some("used for clone snap")
                } else if snapshot.starts_with("backup") && snapshot.contains(".snap.") {
                    Some("used for volume backup")
                } else {
                    None
                };
                let key = format!("{}@{snapshot}", self.image);
                (key, snapshot, Some(self.image), reserved)
            }
            None => {
                let reserved = self
                    .image
                    .ends_with(".deleted")
                    .then_some("volume marked as deleted");
                (self.image.clone(), self.image, None, reserved)
            }
        };
        StoredObject {
            key,
            reference,
            origin,
            size_bytes: self.size_bytes,
            unsafe_reason: self.unusable.or(reserved).map(String::from),
            unusable: self.unusable.map(String::from),
        }
    }
}

/// The lines of the tool's stderr that say why it failed (`rbd: …`), without librbd's
/// log lines; the last line when there is no such line.
fn reason(program: &str, stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let prefix = format!("{program}: ");
    let own: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with(&prefix) || line.starts_with("Error"))
        .collect();
    if own.is_empty() {
        text.lines()
            .map(str::trim)
            .rfind(|line| !line.is_empty())
            .unwrap_or("no message")
            .to_string()
    } else {
        own.join("; ")
    }
}

/// What `rbd_watchers.py` prints.
#[derive(Deserialize)]
struct Watchers {
    watched: std::collections::HashSet<String>,
    failed: std::collections::HashMap<String, String>,
}

#[derive(Deserialize)]
struct Df {
    stats: DfCluster,
    pools: Vec<DfPool>,
}

#[derive(Deserialize)]
struct DfCluster {
    total_bytes: u64,
    total_avail_bytes: u64,
}

#[derive(Deserialize)]
struct DfPool {
    name: String,
    stats: DfStats,
}

#[derive(Deserialize)]
struct DfStats {
    #[serde(default)]
    stored: u64,
    max_avail: u64,
}

impl Rbd {
    pub fn new(config: RbdConfig) -> Self {
        Self {
            pool: config.pool,
            conf: config.ceph_conf,
            user: config.ceph_user,
            timeout: config.timeout,
        }
    }

    /// `pool/name`, where name is an image or `image@snapshot`.
    fn spec(&self, name: &str) -> String {
        format!("{}/{name}", self.pool)
    }

    async fn run(&self, program: &'static str, args: &[&str]) -> Result<Vec<u8>, CephError> {
        let mut command = Command::new(program);
        if let Some(conf) = &self.conf {
            command.arg("--conf").arg(conf);
        }
        if let Some(user) = &self.user {
            command.args(["--id", user]);
        }
        command.args(args);
        self.output(program, command, format!("{program} {}", args.join(" ")))
            .await
    }

    /// Runs `command` (shown as `shown`) with the timeout; its stdout when it succeeds.
    async fn output(
        &self,
        program: &'static str,
        mut command: Command,
        shown: String,
    ) -> Result<Vec<u8>, CephError> {
        command
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        tracing::debug!(command = %shown, "ceph");
        let output = match tokio::time::timeout(self.timeout, command.output()).await {
            Err(_) => {
                return Err(CephError::Timeout {
                    command: shown,
                    seconds: self.timeout.as_secs(),
                });
            }
            Ok(Err(err)) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(CephError::Missing(program));
            }
            Ok(Err(source)) => return Err(CephError::Spawn { program, source }),
            Ok(Ok(output)) => output,
        };
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(CephError::Failed {
                command: shown,
                code: output.status.code(),
                reason: reason(program, &output.stderr),
            })
        }
    }

    /// Every image and snapshot of the pool, in one call.
    pub async fn list(&self) -> Result<Vec<RbdObject>, CephError> {
        let args = ["ls", "-l", "--format", "json", &self.pool];
        let stdout = self.run("rbd", &args).await?;
        parse_listing(&stdout).map_err(|err| CephError::Parse {
            command: format!("rbd {}", args.join(" ")),
            message: err.to_string(),
        })
    }

    /// Which of `images` a client has open (Cinder's "volume in use"): each image's
    /// verdict, or why it cannot be told.
    async fn watched(&self, images: &[String]) -> Vec<Result<bool, String>> {
        let mut command = Command::new(PYTHON);
        let conf = self.conf.as_deref().unwrap_or(std::path::Path::new(""));
        command
            .args(["-c", WATCHERS_PROGRAM, &self.pool])
            .arg(conf)
            .arg(self.user.as_deref().unwrap_or(""))
            .args(images);
        let shown = format!("the watchers of {} images (rbd_watchers.py)", images.len());
        let verdicts = match self.output(PYTHON, command, shown.clone()).await {
            Ok(stdout) => {
                serde_json::from_slice::<Watchers>(&stdout).map_err(|err| CephError::Parse {
                    command: shown,
                    message: err.to_string(),
                })
            }
            Err(err) => Err(err),
        };
        match verdicts {
            Ok(mut verdicts) => images
                .iter()
                .map(|image| match verdicts.failed.remove(image) {
                    Some(reason) => Err(reason),
                    None => Ok(verdicts.watched.contains(image)),
                })
                .collect(),
            Err(err) => images.iter().map(|_| Err(err.to_string())).collect(),
        }
    }

    /// Whether clones were made of the snapshot `image@snapshot` (in the trash too).
    async fn has_children(&self, key: &str) -> Result<bool, CephError> {
        let spec = self.spec(key);
        let stdout = self
            .run("rbd", &["children", "--all", "--format", "json", &spec])
            .await?;
        let children: Vec<serde_json::Value> =
            serde_json::from_slice(&stdout).map_err(|err| CephError::Parse {
                command: format!("rbd children {spec}"),
                message: err.to_string(),
            })?;
        Ok(!children.is_empty())
    }
}

#[async_trait]
impl Storage for Rbd {
    fn kind(&self) -> StorageKind {
        StorageKind::Rbd
    }

    fn location(&self) -> &str {
        &self.pool
    }

    async fn objects(&self) -> Result<Vec<StoredObject>> {
        let objects = self.list().await?;
        Ok(objects.into_iter().map(RbdObject::into_object).collect())
    }

    async fn capacity(&self) -> Result<Capacity> {
        let stdout = self.run("ceph", &["df", "--format", "json"]).await?;
        let df: Df = serde_json::from_slice(&stdout).map_err(|err| CephError::Parse {
            command: "ceph df".into(),
            message: err.to_string(),
        })?;
        if let Some(pool) = df.pools.into_iter().find(|pool| pool.name == self.pool) {
            return Ok(Capacity {
                size_bytes: pool.stats.stored + pool.stats.max_avail,
                free_bytes: pool.stats.max_avail,
            });
        }
        // `ceph df` comes from the mgr, which reports a new pool a few seconds late; the
        // monitor knows at once. Such a pool holds nothing yet: the cluster's figures.
        let pools = self
            .run("ceph", &["osd", "pool", "ls", "--format", "json"])
            .await?;
        let pools: Vec<String> =
            serde_json::from_slice(&pools).map_err(|err| CephError::Parse {
                command: "ceph osd pool ls".into(),
                message: err.to_string(),
            })?;
        if !pools.contains(&self.pool) {
            return Err(crate::backend::Error::NotFound(format!(
                "no pool {}",
                self.pool
            )));
        }
        Ok(Capacity {
            size_bytes: df.stats.total_bytes,
            free_bytes: df.stats.total_avail_bytes,
        })
    }

    /// The cluster's fsid and the pool: what two back ends sharing it both see.
    async fn identity(&self) -> Result<Identity> {
        let fsid = self.run("ceph", &["fsid"]).await?;
        let fsid = String::from_utf8_lossy(&fsid).trim().to_string();
        Ok(Identity {
            driver: Driver::Rbd,
            storage: (!fsid.is_empty()).then(|| format!("rbd:{fsid}/{}", self.pool)),
        })
    }

    async fn rename_volume(&self, from: &str, to: &str) -> Result<()> {
        let (from, to) = (self.spec(from), self.spec(to));
        self.run("rbd", &["rename", &from, &to]).await?;
        Ok(())
    }

    async fn rename_snapshot(&self, from: &str, to: &str) -> Result<()> {
        let (from, to) = (self.spec(from), self.spec(to));
        self.run("rbd", &["snap", "rename", &from, &to]).await?;
        Ok(())
    }

    /// A snapshot is named under its volume's image; `image@snapshot` names one of
    /// another image (imported with `--force`).
    fn snapshot_key(&self, volume: &str, reference: &str) -> String {
        if reference.contains('@') {
            reference.to_string()
        } else {
            format!("{volume}@{reference}")
        }
    }

    fn managed_snapshot_name(&self, id: &str) -> String {
        format!("snapshot-{id}")
    }

    /// Looks at the watchers of the images, hundreds per process; the verdict comes before
    /// "marked as deleted", as in Cinder.
    async fn check_in_use(&self, volumes: &mut [&mut StoredObject]) -> Result<()> {
        let usable: Vec<usize> = (0..volumes.len())
            .filter(|&index| volumes[index].unusable.is_none())
            .collect();
        let keys: Vec<String> = usable
            .iter()
            .map(|&index| volumes[index].key.clone())
            .collect();
        let verdicts: Vec<Result<bool, String>> =
            futures::stream::iter(keys.chunks(WATCHERS_BATCH).map(<[String]>::to_vec))
                .map(|batch| async move { self.watched(&batch).await })
                .buffered(WATCHERS_CONCURRENCY)
                .flat_map(futures::stream::iter)
                .collect()
                .await;
        for (index, verdict) in usable.into_iter().zip(verdicts) {
            match verdict {
                Ok(true) => volumes[index].unsafe_reason = Some("volume in use".into()),
                Ok(false) => {}
                Err(err) => {
                    volumes[index].mark_unsafe(format!("cannot tell whether it is in use: {err}"))
                }
            }
        }
        Ok(())
    }

    /// `rbd clone` of the protected snapshot (copy-on-write, as Cinder's RBD driver
    /// does), grown to `size_gib` (never less than the snapshot's size, rounded up).
    async fn clone_snapshot(&self, snapshot: &str, volume: &str, size_gib: u64) -> Result<()> {
        let (parent, child) = (self.spec(snapshot), self.spec(volume));
        self.run("rbd", &["clone", &parent, &child]).await?;
        let size = format!("{size_gib}G");
        let grown = self.run("rbd", &["resize", "--size", &size, &child]).await;
        if let Err(err) = grown {
            let _ = self.run("rbd", &["rm", &child]).await;
            return Err(err.into());
        }
        Ok(())
    }

    /// `rbd rm`: refused by Ceph while the image has snapshots.
    async fn remove_volume(&self, key: &str) -> Result<()> {
        self.run("rbd", &["rm", &self.spec(key)]).await?;
        Ok(())
    }

    /// Unprotects the snapshot (refused by Ceph while clones of it exist), then removes it.
    async fn remove_snapshot(&self, key: &str) -> Result<()> {
        let spec = self.spec(key);
        match self.run("rbd", &["snap", "unprotect", &spec]).await {
            Err(err) if err.errno() == Some(EINVAL) => {}
            other => other.map(drop)?,
        }
        self.run("rbd", &["snap", "rm", &spec]).await?;
        Ok(())
    }

    /// Protects the snapshot, as the driver does, so that clones can be made of it.
    async fn secure_snapshot(&self, key: &str) -> Result<()> {
        match self.run("rbd", &["snap", "protect", &self.spec(key)]).await {
            Err(err) if err.errno() == Some(EBUSY) && err.says("already protected") => Ok(()),
            other => other.map(drop).map_err(Into::into),
        }
    }

    /// Unprotects the snapshot unless clones depend on it (then it stays protected);
    /// a snapshot that is gone or not protected needs nothing.
    async fn release_snapshot(&self, key: &str) -> Result<()> {
        match self.has_children(key).await {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(err) if err.errno() == Some(ENOENT) => return Ok(()),
            Err(err) => return Err(err.into()),
        }
        match self
            .run("rbd", &["snap", "unprotect", &self.spec(key)])
            .await
        {
            Err(err) if matches!(err.errno(), Some(EINVAL | EBUSY | ENOENT)) => Ok(()),
            other => other.map(drop).map_err(Into::into),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &[u8] = br#"[{"image":"a","id":"1","size":1073741824,"format":2},{"image":"a","id":"1","snapshot":"daily","snapshot_id":4,"size":1073741824,"format":2,"protected":"true"},{"image":"b.deleted","id":"2","size":5,"format":2},{"image":"b.deleted","id":"2","snapshot":"x.clone_snap","snapshot_id":5,"size":5,"format":2,"protected":"false"},{"image":"c","id":"3","size":5,"format":2,"parent":{"pool":"p","pool_namespace":"","image":"a","snapshot":"daily"}},{"image":"c","id":"3","snapshot":"backup.1.snap.2","snapshot_id":6,"size":5,"format":2,"protected":"false"}]"#;

    #[test]
    fn one_listing_gives_images_and_their_snapshots() {
        let objects = parse_listing(LISTING).unwrap();
        assert_eq!(objects.len(), 6);
        assert_eq!(objects[1].snapshot.as_deref(), Some("daily"));
        assert!(objects[1].protected);
        assert!(!objects[3].protected);
        let stored: Vec<StoredObject> = objects.into_iter().map(RbdObject::into_object).collect();
        assert_eq!(stored[1].key, "a@daily");
        assert_eq!(stored[1].reference, "daily");
        assert_eq!(stored[1].origin.as_deref(), Some("a"));
        let reasons: Vec<Option<&str>> = stored
            .iter()
            .map(|object| object.unsafe_reason.as_deref())
            .collect();
        assert_eq!(
            reasons,
            [
                None,
                None,
                Some("volume marked as deleted"),
                Some("used for clone snap"),
                None,
                Some("used for volume backup"),
            ]
        );
    }

    #[test]
    fn a_name_that_is_not_utf8_is_escaped_and_the_rest_listed() {
        let mut listing = br#"[{"image":"ok","id":"1","size":1,"format":2},{"image":"bad"#.to_vec();
        listing.push(0xff);
        listing.extend_from_slice(
            br#"","id":"2","size":1,"format":2},{"image":"z\u0001","id":"3","size":1,"format":2}]"#,
        );
        let objects = parse_listing(&listing).unwrap();
        assert_eq!(objects.len(), 3);
        assert_eq!(objects[0].unusable, None);
        assert_eq!(objects[1].image, "bad\\xff");
        assert_eq!(objects[1].unusable, Some(NOT_UTF8));
        assert_eq!(objects[2].image, "z\u{1}");
        let stored = objects[1].clone().into_object();
        assert_eq!(stored.unsafe_reason.as_deref(), Some(NOT_UTF8));
    }

    #[test]
    fn stderr_keeps_the_tools_reason_not_the_log_lines() {
        let stderr = b"2024-05-01T10:00:00.000+0000 7f00 -1 librbd::image::RenameRequest: rename failed\nrbd: rename error: (17) File exists\n";
        assert_eq!(reason("rbd", stderr), "rbd: rename error: (17) File exists");
        assert_eq!(reason("rbd", b"\nsomething odd\n\n"), "something odd");
    }
}
