//! What the local back end needs from the storage it drives: LVM or Ceph RBD. The
//! catalog, intents, crash recovery, verdicts and locking are shared; only listing,
//! renaming and the storage's own safety steps differ.

use async_trait::async_trait;

use crate::backend::{Driver, Result};

/// One volume or snapshot as the storage lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredObject {
    /// What the catalog records and what names the object uniquely on the storage: an
    /// LV name, an RBD image name, or `image@snapshot` for an RBD snapshot.
    pub key: String,
    /// What an operator passes as `source-name`: the LV, image or snapshot name.
    pub reference: String,
    /// The key of a snapshot's volume; `None` for a volume.
    pub origin: Option<String>,
    pub size_bytes: u64,
    /// Why Cinder's driver would call it unsafe, as far as the listing tells.
    pub unsafe_reason: Option<String>,
    /// Why it cannot be imported at all, even by reference.
    pub unusable: Option<String>,
}

impl StoredObject {
    pub fn is_snapshot(&self) -> bool {
        self.origin.is_some()
    }

    /// Marks it unsafe with `reason` unless something more important was already said.
    pub fn mark_unsafe(&mut self, reason: impl Into<String>) {
        if self.unsafe_reason.is_none() {
            self.unsafe_reason = Some(reason.into());
        }
    }
}

/// Size and free space of the volume group or pool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacity {
    pub size_bytes: u64,
    pub free_bytes: u64,
}

/// What Cinder would run the storage with, and where its data lives (see
/// [`crate::backend::Host`]): what the host of a local back end reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub driver: Driver,
    pub storage: Option<String>,
}

/// Which storage a local back end drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageKind {
    Lvm,
    Rbd,
}

impl StorageKind {
    /// `lvm` or `rbd`, for labels.
    pub fn name(self) -> &'static str {
        match self {
            StorageKind::Lvm => "lvm",
            StorageKind::Rbd => "rbd",
        }
    }

    /// What the location is called in labels: `vg` or `pool`.
    pub fn place(self) -> &'static str {
        match self {
            StorageKind::Lvm => "vg",
            StorageKind::Rbd => "pool",
        }
    }

    /// The `@backend` of the default host name, as Cinder deployments usually name it.
    pub fn default_backend(self) -> &'static str {
        match self {
            StorageKind::Lvm => "lvm",
            StorageKind::Rbd => "ceph",
        }
    }

    /// What a snapshot is called in refusals: `snapshot LV` or `RBD snapshot`.
    pub fn snapshot(self) -> &'static str {
        match self {
            StorageKind::Lvm => "snapshot LV",
            StorageKind::Rbd => "RBD snapshot",
        }
    }

    /// What one object is called in Cinder's "does not exist" message.
    pub fn object(self) -> &'static str {
        match self {
            StorageKind::Lvm => "logical volume",
            StorageKind::Rbd => "RBD image or snapshot",
        }
    }
}

/// A volume group or a pool, driven the way Cinder's driver for it does.
#[async_trait]
pub trait Storage: Send + Sync {
    fn kind(&self) -> StorageKind;

    /// The volume group or pool, as the operator named it.
    fn location(&self) -> &str;

    /// Every volume and snapshot, in one listing.
    async fn objects(&self) -> Result<Vec<StoredObject>>;

    async fn capacity(&self) -> Result<Capacity>;

    async fn identity(&self) -> Result<Identity>;

    /// Renames a volume; its data and snapshots stay.
    async fn rename_volume(&self, from: &str, to: &str) -> Result<()>;

    /// Renames a snapshot, both named by key.
    async fn rename_snapshot(&self, from: &str, to: &str) -> Result<()>;

    /// The key of the snapshot an operator's `reference` names under the volume whose
    /// key is `volume`.
    fn snapshot_key(&self, volume: &str, reference: &str) -> String;

    /// The name a snapshot gets once managed as `id` (Cinder's template).
    fn managed_snapshot_name(&self, id: &str) -> String;

    /// The key a snapshot of `volume` gets once managed as `id`.
    fn managed_snapshot_key(&self, volume: &str, id: &str) -> String {
        self.snapshot_key(volume, &self.managed_snapshot_name(id))
    }

    /// Makes the volume `volume` from the snapshot `snapshot` (a key) without copying
    /// data through snapport, `size_gib` large; refused where the storage cannot.
    async fn clone_snapshot(&self, snapshot: &str, volume: &str, size_gib: u64) -> Result<()>;

    /// Removes a volume with its data (the caller has checked it has no snapshots).
    async fn remove_volume(&self, key: &str) -> Result<()>;

    /// Removes a snapshot with its data.
    async fn remove_snapshot(&self, key: &str) -> Result<()>;

    /// Marks the volumes in use as unsafe where the listing alone cannot tell.
    async fn check_in_use(&self, _volumes: &mut [&mut StoredObject]) -> Result<()> {
        Ok(())
    }

    /// Done once a snapshot is managed (RBD protects it, as Cinder does).
    async fn secure_snapshot(&self, _key: &str) -> Result<()> {
        Ok(())
    }

    /// Done when a snapshot is unmanaged (RBD unprotects it unless a clone needs it).
    async fn release_snapshot(&self, _key: &str) -> Result<()> {
        Ok(())
    }
}
