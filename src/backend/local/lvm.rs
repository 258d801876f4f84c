//! Runs the real `lvm2` tools and parses their JSON reports. Only stdout is parsed: with
//! activation disabled lvm prints warnings on stderr for every command.

use std::path::PathBuf;
use std::process::Stdio;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::process::Command;

use super::storage::{Capacity, Identity, Storage, StorageKind, StoredObject};
use crate::backend::{Driver, Error, Result, snapshot_lv_name};

/// One logical volume as `lvs` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicalVolume {
    pub name: String,
    /// LVM's ten-character attribute string, e.g. `swi-a-s---`.
    pub attr: String,
    pub size_bytes: u64,
    /// The origin LV of a classic snapshot.
    pub origin: Option<String>,
}

impl LogicalVolume {
    /// A classic (thick) snapshot: attr[0] is `s` (or `S` when invalid), as Cinder tests.
    pub fn is_snapshot(&self) -> bool {
        matches!(self.attr.as_bytes().first(), Some(b's' | b'S'))
    }

    /// A thin pool or its metadata is no volume anyone could import.
    pub fn is_pool(&self) -> bool {
        matches!(self.attr.as_bytes().first(), Some(b't' | b'e'))
    }

    /// A thin pool (attr[0] `t`): its volume group serves thin LVs.
    pub fn is_thin_pool(&self) -> bool {
        self.attr.as_bytes().first() == Some(&b't')
    }

    /// attr[5] is `o` while something holds the LV open (Cinder's "in use").
    pub fn is_open(&self) -> bool {
        self.attr.as_bytes().get(5) == Some(&b'o')
    }

    /// The LV as the shared local back end sees it: keyed and referenced by its name.
    fn into_object(self) -> StoredObject {
        let snapshot = self.is_snapshot();
        let kind = if snapshot { "snapshot" } else { "volume" };
        StoredObject {
            unsafe_reason: self.is_open().then(|| format!("{kind} in use")),
            origin: snapshot.then(|| self.origin.unwrap_or_default()),
            size_bytes: self.size_bytes,
            key: self.name.clone(),
            reference: self.name,
            unusable: None,
        }
    }
}

/// The lvm2 command line for one volume group.
#[derive(Debug, Clone)]
pub struct Lvm {
    vg: String,
    system_dir: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Report<T> {
    report: Vec<T>,
}

#[derive(Deserialize)]
struct LvSection {
    #[serde(default)]
    lv: Vec<LvRow>,
}

#[derive(Deserialize)]
struct LvRow {
    lv_name: String,
    lv_attr: String,
    lv_size: String,
    #[serde(default)]
    origin: String,
}

#[derive(Deserialize)]
struct VgSection {
    #[serde(default)]
    vg: Vec<VgRow>,
}

#[derive(Deserialize)]
struct VgRow {
    vg_size: String,
    vg_free: String,
}

fn parse_bytes(field: &str, text: &str) -> Result<u64> {
    text.trim().parse().map_err(|_| {
        Error::Backend(format!(
            "lvm reported a {field} that is not a number: {text:?}"
        ))
    })
}

/// The `lvs` fields snapport reads.
pub const LV_FIELDS: &str = "lv_name,lv_attr,lv_size,origin";
/// The `vgs` fields snapport reads.
const VG_FIELDS: &str = "vg_size,vg_free";

/// Arguments of an `lvs`/`vgs` JSON report in bytes for `fields` of `vg`; the
/// benchmark runs the same call raw.
pub fn report_args<'a>(fields: &'a str, vg: &'a str) -> [&'a str; 8] {
    [
        "--reportformat",
        "json",
        "--units",
        "b",
        "--nosuffix",
        "-o",
        fields,
        vg,
    ]
}

/// Parses `lvs --reportformat json --units b --nosuffix -o lv_name,lv_attr,lv_size,origin`.
pub fn parse_lvs(stdout: &[u8]) -> Result<Vec<LogicalVolume>> {
    let report: Report<LvSection> = serde_json::from_slice(stdout)
        .map_err(|err| Error::Backend(format!("cannot parse lvs report: {err}")))?;
    let rows = report.report.into_iter().flat_map(|section| section.lv);
    rows.map(|row| {
        Ok(LogicalVolume {
            size_bytes: parse_bytes("size", &row.lv_size)?,
            origin: Some(row.origin).filter(|origin| !origin.is_empty()),
            name: row.lv_name,
            attr: row.lv_attr,
        })
    })
    .collect()
}

/// Parses `vgs --reportformat json --units b --nosuffix -o vg_size,vg_free`.
pub fn parse_vgs(stdout: &[u8]) -> Result<Capacity> {
    let report: Report<VgSection> = serde_json::from_slice(stdout)
        .map_err(|err| Error::Backend(format!("cannot parse vgs report: {err}")))?;
    let row = report
        .report
        .into_iter()
        .flat_map(|section| section.vg)
        .next()
        .ok_or_else(|| Error::Backend("vgs reported no volume group".into()))?;
    Ok(Capacity {
        size_bytes: parse_bytes("size", &row.vg_size)?,
        free_bytes: parse_bytes("free space", &row.vg_free)?,
    })
}

/// Keeps what lvm says about the failure, minus the warnings every command prints when
/// activation is disabled or backups are off.
fn meaningful_stderr(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(str::trim)
        .filter(|line| {
            !line.is_empty()
                && !line.contains("Activation disabled")
                && !line.contains("is NOT backed up")
                && !line.contains("leaked on")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Lvm {
    /// Commands for `vg`; `system_dir` becomes `LVM_SYSTEM_DIR` when given, otherwise the
    /// process environment's value (or lvm's default) applies.
    pub fn new(vg: impl Into<String>, system_dir: Option<PathBuf>) -> Self {
        Self {
            vg: vg.into(),
            system_dir,
        }
    }

    async fn run(&self, program: &str, args: &[&str]) -> Result<Vec<u8>> {
        let mut command = Command::new(program);
        command
            .args(args)
            .env("LC_ALL", "C")
            .env("LVM_SUPPRESS_FD_WARNINGS", "1")
            .stdin(Stdio::null())
            .kill_on_drop(false);
        if let Some(dir) = &self.system_dir {
            command.env("LVM_SYSTEM_DIR", dir);
        }
        tracing::debug!(program, ?args, "lvm");
        let output = command.output().await.map_err(|err| {
            if err.kind() == std::io::ErrorKind::NotFound {
                Error::Backend(format!(
                    "`{program}` not found: install lvm2 (apt-get install -y lvm2)"
                ))
            } else {
                Error::Backend(format!("cannot run {program}: {err}"))
            }
        })?;
        if output.status.success() {
            Ok(output.stdout)
        } else {
            Err(Error::Backend(format!(
                "{program} {} failed: {}",
                args.join(" "),
                meaningful_stderr(&output.stderr)
            )))
        }
    }

    /// Every LV of the group, in one `lvs` call.
    pub async fn logical_volumes(&self) -> Result<Vec<LogicalVolume>> {
        let stdout = self.run("lvs", &report_args(LV_FIELDS, &self.vg)).await?;
        parse_lvs(&stdout)
    }

    /// Removes an LV of the group with its data.
    async fn remove(&self, name: &str) -> Result<()> {
        let lv = format!("{}/{name}", self.vg);
        self.run("lvremove", &["-f", &lv]).await.map(drop)
    }

    /// Renames an LV inside the group; the data is untouched.
    pub async fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.run("lvrename", &[&self.vg, from, to]).await.map(drop)
    }
}

/// Cinder's LVM driver: LVs named by themselves, snapshots `_snapshot-<id>` wherever
/// their origin is. Thin pools are no volume anyone could import and are not listed.
#[async_trait]
impl Storage for Lvm {
    fn kind(&self) -> StorageKind {
        StorageKind::Lvm
    }

    fn location(&self) -> &str {
        &self.vg
    }

    async fn objects(&self) -> Result<Vec<StoredObject>> {
        let lvs = self.logical_volumes().await?;
        Ok(lvs
            .into_iter()
            .filter(|lv| !lv.is_pool())
            .map(LogicalVolume::into_object)
            .collect())
    }

    async fn capacity(&self) -> Result<Capacity> {
        let stdout = self.run("vgs", &report_args(VG_FIELDS, &self.vg)).await?;
        parse_vgs(&stdout)
    }

    async fn identity(&self) -> Result<Identity> {
        let lvs = self.logical_volumes().await?;
        // As Cinder's `lvm_type = auto` decides: thin once the group holds a thin pool.
        let driver = if lvs.iter().any(LogicalVolume::is_thin_pool) {
            Driver::LvmThin
        } else {
            Driver::LvmThick
        };
        Ok(Identity {
            driver,
            storage: Some(format!("lvm:{}", self.vg)),
        })
    }

    async fn rename_volume(&self, from: &str, to: &str) -> Result<()> {
        self.rename(from, to).await
    }

    async fn rename_snapshot(&self, from: &str, to: &str) -> Result<()> {
        self.rename(from, to).await
    }

    fn snapshot_key(&self, _volume: &str, reference: &str) -> String {
        reference.to_string()
    }

    fn managed_snapshot_name(&self, id: &str) -> String {
        snapshot_lv_name(id)
    }

    /// Cinder's LVM driver makes such a volume by copying the snapshot's data into a new
    /// LV with dd; snapport copies no data through itself.
    async fn clone_snapshot(&self, snapshot: &str, _volume: &str, _size_gib: u64) -> Result<()> {
        Err(Error::BadRequest(format!(
            "a volume cannot be created from {snapshot} on LVM without copying its data \
             (Cinder's LVM driver copies it with dd) and snapport does not copy data through \
             itself: create it through Cinder (--os-cloud) instead"
        )))
    }

    async fn remove_volume(&self, key: &str) -> Result<()> {
        self.remove(key).await
    }

    async fn remove_snapshot(&self, key: &str) -> Result<()> {
        self.remove(key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LVS: &str = r#"{
      "report": [
          {
              "lv": [
                  {"lv_name":"volume-1", "lv_attr":"owi---s---", "lv_size":"1073741824", "origin":""},
                  {"lv_name":"snap-a", "lv_attr":"swi---s---", "lv_size":"67108864", "origin":"volume-1"},
                  {"lv_name":"busy", "lv_attr":"-wi-ao----", "lv_size":"4194304", "origin":""}
              ]
          }
      ]
  }"#;

    #[test]
    fn a_thin_pool_makes_the_group_thin() {
        let lvs = parse_lvs(
            br#"{"report": [{"lv": [
                {"lv_name":"cinder-volumes-pool", "lv_attr":"twi-aotz--", "lv_size":"1073741824", "origin":""},
                {"lv_name":"volume-1", "lv_attr":"Vwi-a-tz--", "lv_size":"1073741824", "origin":""}
            ]}]}"#,
        )
        .unwrap();
        let thin_pools: Vec<bool> = lvs.iter().map(LogicalVolume::is_thin_pool).collect();
        assert_eq!(thin_pools, [true, false]);
        let thick = parse_lvs(LVS.as_bytes()).unwrap();
        assert!(!thick.iter().any(LogicalVolume::is_thin_pool));
    }

    #[test]
    fn parses_snapshots_origins_and_sizes() {
        let lvs = parse_lvs(LVS.as_bytes()).unwrap();
        assert_eq!(lvs.len(), 3);
        assert!(!lvs[0].is_snapshot());
        assert!(lvs[1].is_snapshot());
        assert_eq!(lvs[1].origin.as_deref(), Some("volume-1"));
        assert_eq!(lvs[1].size_bytes, 64 << 20);
        assert_eq!(lvs[0].origin, None);
        assert!(lvs[2].is_open());
        assert!(!lvs[1].is_open());
    }

    #[test]
    fn rejects_non_numeric_sizes() {
        let bad = LVS.replace("67108864", "64.00m");
        let err = parse_lvs(bad.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("not a number"), "{err}");
    }

    #[test]
    fn parses_group_capacity() {
        let vgs = r#"{"report":[{"vg":[{"vg_size":"4290772992","vg_free":"1000"}]}]}"#;
        let cap = parse_vgs(vgs.as_bytes()).unwrap();
        assert_eq!(cap.size_bytes, 4_290_772_992);
        assert_eq!(cap.free_bytes, 1000);
    }

    #[test]
    fn stderr_keeps_only_the_reason() {
        let stderr = b"  WARNING: Activation disabled. No device-mapper interaction will be attempted.\n  Logical volume \"x\" not found in volume group \"vg\"\n";
        assert_eq!(
            meaningful_stderr(stderr),
            "Logical volume \"x\" not found in volume group \"vg\""
        );
    }
}
