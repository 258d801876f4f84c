//! Domain types shared by every back end. Field names and JSON shapes follow Cinder's
//! v3 API so that `-f json` output from the local and the remote back end is the same.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Driver, Status};

/// Free-form key/value metadata, as Cinder stores it on volumes and snapshots.
pub type Metadata = BTreeMap<String, String>;

/// One GiB in bytes: Cinder sizes are whole GiB, LVM's lowercase `g` is 1024³.
pub const GIB: u64 = 1024 * 1024 * 1024;

/// Rounds a byte count up to whole GiB, as Cinder's LVM driver sizes imported LVs.
pub fn bytes_to_gib_ceil(bytes: u64) -> u64 {
    bytes.div_ceil(GIB)
}

/// A volume service (back end), in Cinder's `host@backend#pool` form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// `host@backend#pool`: the value operators pass to manageable lists and manage.
    pub host: String,
    /// The cluster (`cluster@backend`) of an active/active service: manageable lists
    /// and volume imports go to it rather than to one of its services.
    #[serde(default)]
    pub cluster: Option<String>,
    /// What runs the back end; it decides what an export leaves behind.
    #[serde(default)]
    pub driver: Driver,
    /// Where the data lives, the same for every cloud that sees it (`lvm:<vg>`,
    /// `rbd:<fsid>/<pool>`): two hosts with one storage can hand volumes to each other.
    #[serde(default)]
    pub storage: Option<String>,
    pub zone: Option<String>,
    /// `enabled` or `disabled` (administrative).
    pub status: String,
    /// `up` or `down` (liveness).
    pub state: String,
    pub updated_at: Option<String>,
    pub total_capacity_gb: Option<f64>,
    pub free_capacity_gb: Option<f64>,
}

impl Host {
    /// The `host@backend` part, which is what Cinder matches services on.
    pub fn backend(&self) -> &str {
        backend_of(&self.host)
    }
}

/// The host among `hosts` that `host` (`host@backend[#pool]`, e.g. a volume's host)
/// names: its pool, else its back end.
pub fn find_host<'a>(hosts: &'a [Host], host: &str) -> Option<&'a Host> {
    hosts.iter().find(|known| known.host == host).or_else(|| {
        hosts
            .iter()
            .find(|known| known.backend() == backend_of(host))
    })
}

/// Strips the `#pool` suffix: Cinder reduces host values to the back-end level.
pub fn backend_of(host: &str) -> &str {
    host.split('#').next().unwrap_or(host)
}

/// A Cinder volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Status,
    pub size: u64,
    /// Cinder's `os-vol-host-attr:host` (admin only), the volume's back end.
    pub host: Option<String>,
    pub created_at: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
    /// Attached volumes cannot be unmanaged; migration checks it before any change.
    #[serde(default)]
    pub attached: bool,
}

impl Volume {
    /// Cinder lets a volume be unmanaged only from these statuses.
    pub const UNMANAGEABLE_STATUSES: &'static [Status] = &[
        Status::Available,
        Status::Error,
        Status::ErrorRestoring,
        Status::ErrorExtending,
        Status::ErrorManaging,
    ];

    /// Whether Cinder's status rule allows an unmanage (attachments and snapshots are
    /// checked separately).
    pub fn status_allows_unmanage(&self) -> bool {
        Self::UNMANAGEABLE_STATUSES.contains(&self.status)
    }

    /// The back-end name Cinder's LVM driver gives this volume (`volume_name_template`).
    pub fn lv_name(&self) -> String {
        volume_lv_name(&self.id)
    }
}

/// A Cinder snapshot. Snapshots carry no host: it is their parent volume's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Status,
    pub size: u64,
    pub volume_id: String,
    pub created_at: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
}

impl Snapshot {
    /// Cinder lets a snapshot be unmanaged only from these statuses.
    pub const UNMANAGEABLE_STATUSES: &'static [Status] = &[Status::Available, Status::Error];

    /// Whether Cinder's status rule allows an unmanage.
    pub fn status_allows_unmanage(&self) -> bool {
        Self::UNMANAGEABLE_STATUSES.contains(&self.status)
    }

    /// The LV name Cinder's LVM driver uses (`_snapshot-<id>`: LVM reserves `snapshot*`).
    pub fn lv_name(&self) -> String {
        snapshot_lv_name(&self.id)
    }
}

/// `volume-<id>`, Cinder's default `volume_name_template`.
pub fn volume_lv_name(id: &str) -> String {
    format!("volume-{id}")
}

/// `_snapshot-<id>`, Cinder's `snapshot_name_template` escaped the way its LVM driver does.
pub fn snapshot_lv_name(id: &str) -> String {
    format!("_snapshot-{id}")
}

/// A back-end object reference, the `ref` of a manage request. LVM and RBD use
/// `source-name`; some drivers use `source-id`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Reference {
    #[serde(
        rename = "source-name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub source_name: Option<String>,
    #[serde(rename = "source-id", default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
}

impl Reference {
    /// A `source-name` reference, the only kind the LVM driver understands.
    pub fn name(name: impl Into<String>) -> Self {
        Self {
            source_name: Some(name.into()),
            source_id: None,
        }
    }

    /// True when both name the same back-end object: by name where both have one,
    /// else by id.
    pub fn same_object(&self, other: &Reference) -> bool {
        match (&self.source_name, &other.source_name) {
            (Some(x), Some(y)) => x == y,
            _ => self.source_id.is_some() && self.source_id == other.source_id,
        }
    }

    /// What to show an operator: the name, else the id.
    pub fn label(&self) -> &str {
        self.source_name
            .as_deref()
            .or(self.source_id.as_deref())
            .unwrap_or("")
    }
}

/// A snapshot on the back end that Cinder may or may not manage
/// (an entry of `GET /manageable_snapshots/detail`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManageableSnapshot {
    pub reference: Reference,
    pub size: u64,
    pub safe_to_manage: bool,
    #[serde(default)]
    pub reason_not_safe: Option<String>,
    #[serde(default)]
    pub cinder_id: Option<String>,
    #[serde(default)]
    pub extra_info: Option<serde_json::Value>,
    /// The parent on the back end (for LVM the origin LV), not a Cinder id.
    #[serde(default)]
    pub source_reference: Option<Reference>,
}

impl ManageableSnapshot {
    /// The Cinder id of the parent volume, when the origin carries Cinder's
    /// `volume-<uuid>` name; a manage needs that id.
    pub fn parent_volume_id(&self) -> Option<&str> {
        self.source_reference
            .as_ref()?
            .source_name
            .as_deref()?
            .strip_prefix("volume-")
    }
}

#[cfg(test)]
impl ManageableSnapshot {
    /// A 1 GiB snapshot, safe to manage, of `origin` when there is one.
    pub(crate) fn unmanaged(name: &str, origin: Option<&str>) -> Self {
        Self {
            reference: Reference::name(name),
            size: 1,
            safe_to_manage: true,
            reason_not_safe: None,
            cinder_id: None,
            extra_info: None,
            source_reference: origin.map(Reference::name),
        }
    }
}

/// A volume on the back end that Cinder may or may not manage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManageableVolume {
    pub reference: Reference,
    pub size: u64,
    pub safe_to_manage: bool,
    #[serde(default)]
    pub reason_not_safe: Option<String>,
    #[serde(default)]
    pub cinder_id: Option<String>,
    #[serde(default)]
    pub extra_info: Option<serde_json::Value>,
}

/// Import an existing back-end snapshot under an existing Cinder volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManageSnapshotRequest {
    pub volume_id: String,
    #[serde(rename = "ref")]
    pub reference: Reference,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
    /// Skip the check that the back-end snapshot's origin is this volume (never the
    /// double-import check). Cinder's LVM driver never checks the origin; snapport does.
    #[serde(default)]
    pub force: bool,
    /// Import without the host's manageable listing (it failed, or the driver has
    /// none): only the checks that need no listing are made.
    #[serde(default)]
    pub without_listing: bool,
}

/// Import an existing back-end volume on a given host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManageVolumeRequest {
    pub host: String,
    #[serde(rename = "ref")]
    pub reference: Reference,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
    /// Import without the host's manageable listing: only the checks that need none.
    #[serde(default)]
    pub without_listing: bool,
}

/// Create a new volume from a managed snapshot (Cinder's `POST /volumes` with
/// `snapshot_id`): the volume template use of an imported snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateVolumeRequest {
    pub snapshot_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// GiB; `None` takes the snapshot's size (Cinder refuses less than that).
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub metadata: Metadata,
}

/// Narrows a volume or snapshot listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    /// Only resources on this back end (`host@backend`, pool ignored).
    pub host: Option<String>,
    /// Only snapshots of this volume.
    pub volume_id: Option<String>,
}

/// Parses `key=value` as given to `--property`; the key must be non-empty.
pub fn parse_property(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("invalid property '{text}': expected key=value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_up_to_whole_gib() {
        assert_eq!(bytes_to_gib_ceil(0), 0);
        assert_eq!(bytes_to_gib_ceil(1), 1);
        assert_eq!(bytes_to_gib_ceil(GIB), 1);
        assert_eq!(bytes_to_gib_ceil(GIB + 4 * 1024 * 1024), 2);
    }

    #[test]
    fn reference_serializes_with_cinder_key() {
        let json = serde_json::to_string(&Reference::name("snap-a")).unwrap();
        assert_eq!(json, r#"{"source-name":"snap-a"}"#);
    }

    #[test]
    fn references_match_by_name_else_by_id() {
        assert!(Reference::name("a").same_object(&Reference::name("a")));
        assert!(!Reference::name("a").same_object(&Reference::name("b")));
        let by_id = Reference {
            source_name: None,
            source_id: Some("x".into()),
        };
        assert!(by_id.same_object(&by_id.clone()));
        let empty = Reference {
            source_name: None,
            source_id: None,
        };
        assert!(!empty.same_object(&empty.clone()));
    }

    #[test]
    fn parent_id_comes_from_the_origin_name() {
        let entry = ManageableSnapshot::unmanaged("snap", Some("volume-abc"));
        assert_eq!(entry.parent_volume_id(), Some("abc"));
    }

    #[test]
    fn properties_need_a_key() {
        assert_eq!(parse_property("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert!(parse_property("=x").is_err());
        assert!(parse_property("novalue").is_err());
    }

    #[test]
    fn backend_drops_the_pool() {
        assert_eq!(backend_of("node@lvm#vg"), "node@lvm");
        assert_eq!(backend_of("node@lvm"), "node@lvm");
    }
}
