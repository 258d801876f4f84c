//! The local back end: drives LVM or Ceph RBD directly on the storage host, the way
//! Cinder's driver for it does, with an embedded catalog standing in for Cinder's
//! database. What differs between the two is behind [`storage::Storage`].

pub mod catalog;
pub mod lvm;
pub mod rbd;
pub mod storage;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use self::catalog::{Catalog, Kind, NewRecord};
use self::lvm::Lvm;
use self::rbd::{Rbd, RbdConfig};
use self::storage::{Storage, StorageKind, StoredObject};
use super::{
    Backend, BackendInfo, CreateVolumeRequest, Error, Host, ListFilter, ManageSnapshotRequest,
    ManageVolumeRequest, ManageableSnapshot, ManageableVolume, PageSink, Result, Snapshot, Status,
    Volume, backend_of, bytes_to_gib_ceil, volume_lv_name,
};
use crate::sync::lock;

/// How to open a local back end.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    pub vg: String,
    pub catalog: PathBuf,
    /// The `host@backend` part of the host name; default `<hostname>@lvm`.
    pub backend_name: Option<String>,
    /// `LVM_SYSTEM_DIR` for the lvm commands; `None` inherits the environment.
    pub lvm_system_dir: Option<PathBuf>,
}

/// What crash recovery did to one interrupted manage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairAction {
    /// The LV had its new name: the record was made available.
    Completed,
    /// The LV had its old name: the record was removed.
    RolledBack,
    /// Neither name exists: the record was set to error.
    MarkedError,
}

/// One repair of crash recovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// `volume` or `snapshot`.
    pub kind: &'static str,
    pub id: String,
    pub source_lv: String,
    pub lv_name: String,
    pub action: RepairAction,
}

/// Cinder's LVM or RBD driver plus its database, on this machine.
pub struct LocalBackend {
    storage: Box<dyn Storage>,
    catalog: Mutex<Catalog>,
    host: String,
    /// Held while a clone is made: the catalog allows one intent per source at a time.
    cloning: tokio::sync::Mutex<()>,
    /// Beside the catalog: every process holds it shared while it imports, and crash
    /// recovery takes it alone, so that one operator's recovery never mistakes another
    /// operator's import in flight for an interrupted one.
    imports_lock: PathBuf,
}

fn machine_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn missing_object(storage: &dyn Storage, reference: &str) -> Error {
    Error::InvalidReference(format!(
        "Manage existing volume failed due to invalid backend reference {reference}: \
         Specified {} does not exist.",
        storage.kind().object()
    ))
}

fn find<'a>(objects: &'a [StoredObject], key: &str) -> Option<&'a StoredObject> {
    objects.iter().find(|object| object.key == key)
}

fn reference_name(reference: &super::Reference) -> Result<&str> {
    reference.source_name.as_deref().ok_or_else(|| {
        Error::InvalidReference(
            "Manage existing volume failed due to invalid backend reference: \
             Reference must contain source-name element."
                .into(),
        )
    })
}

impl LocalBackend {
    /// Opens the catalog of a volume group and, unless `recover` is false (read-only
    /// sessions), repairs manages that a crash interrupted.
    pub async fn open(config: LocalConfig, recover: bool) -> Result<Self> {
        let storage = Lvm::new(config.vg, config.lvm_system_dir);
        Self::open_on(
            Box::new(storage),
            &config.catalog,
            config.backend_name,
            recover,
        )
        .await
    }

    /// [`Self::open`] on a Ceph pool.
    pub async fn open_rbd(config: RbdConfig, recover: bool) -> Result<Self> {
        let catalog = config.catalog.clone();
        let backend_name = config.backend_name.clone();
        Self::open_on(Box::new(Rbd::new(config)), &catalog, backend_name, recover).await
    }

    async fn open_on(
        storage: Box<dyn Storage>,
        catalog: &std::path::Path,
        backend_name: Option<String>,
        recover: bool,
    ) -> Result<Self> {
        let owner = catalog::owner(storage.kind(), storage.location());
        let mut imports_lock = catalog.to_path_buf().into_os_string();
        imports_lock.push(".imports.lock");
        let catalog = Catalog::open(catalog, &owner)?;
        let backend_name = backend_name.unwrap_or_else(|| {
            format!(
                "{}@{}",
                machine_hostname(),
                storage.kind().default_backend()
            )
        });
        let backend = Self {
            host: format!("{}#{}", backend_of(&backend_name), storage.location()),
            storage,
            catalog: Mutex::new(catalog),
            cloning: tokio::sync::Mutex::new(()),
            imports_lock: imports_lock.into(),
        };
        if recover {
            backend.recover().await?;
        }
        Ok(backend)
    }

    /// This back end's single host, `host@backend#vg` (or `#pool`).
    pub fn host_name(&self) -> &str {
        &self.host
    }

    fn catalog(&self) -> MutexGuard<'_, Catalog> {
        lock(&self.catalog)
    }

    /// Completes or rolls back each manage whose intent was committed but whose outcome
    /// is unknown, by looking at the storage's names: the new name means the rename
    /// happened, the old name means it did not.
    pub async fn recover(&self) -> Result<()> {
        self.recover_with(&mut |_| Ok(())).await
    }

    /// [`Self::recover`], telling `repaired` of each repair once it is made; an error
    /// from `repaired` stops the recovery before the next one.
    pub async fn recover_with(
        &self,
        repaired: &mut (dyn FnMut(&Repair) -> Result<()> + Send),
    ) -> Result<()> {
        let lock = self.open_imports_lock()?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                tracing::info!("another process is importing on this catalog: recovery waits");
                return Ok(());
            }
            Err(std::fs::TryLockError::Error(err)) => {
                return Err(Error::Backend(format!(
                    "cannot lock {}: {err}",
                    self.imports_lock.display()
                )));
            }
        }
        let pending = self.catalog().pending()?;
        if pending.is_empty() {
            return Ok(());
        }
        let objects = self.storage.objects().await?;
        for intent in pending {
            let action = if find(&objects, &intent.lv_name).is_some() {
                tracing::warn!(id = %intent.id, key = %intent.lv_name, "completing interrupted manage");
                if intent.kind == Kind::Snapshot {
                    self.storage.secure_snapshot(&intent.lv_name).await?;
                }
                self.catalog()
                    .set_status(intent.kind, &intent.id, "available")?;
                RepairAction::Completed
            } else if find(&objects, &intent.source_lv).is_some() {
                tracing::warn!(id = %intent.id, key = %intent.source_lv, "rolling back interrupted manage");
                self.catalog().delete(intent.kind, &intent.id)?;
                RepairAction::RolledBack
            } else {
                tracing::error!(id = %intent.id, "interrupted manage: neither name exists");
                self.catalog()
                    .set_status(intent.kind, &intent.id, "error")?;
                RepairAction::MarkedError
            };
            repaired(&Repair {
                kind: match intent.kind {
                    Kind::Volume => "volume",
                    Kind::Snapshot => "snapshot",
                },
                id: intent.id,
                source_lv: intent.source_lv,
                lv_name: intent.lv_name,
                action,
            })?;
        }
        Ok(())
    }

    /// True when a crash left manages whose outcome recovery must settle.
    pub fn has_pending(&self) -> Result<bool> {
        Ok(!self.catalog().pending()?.is_empty())
    }

    /// What this back end is, for the audit trail.
    pub fn identity(&self) -> super::audit::Identity {
        let location = Some(self.storage.location().to_string());
        let (vg, pool) = match self.storage.kind() {
            StorageKind::Rbd => (None, location),
            StorageKind::Lvm => (location, None),
        };
        super::audit::Identity {
            kind: "local".into(),
            vg,
            pool,
            host: Some(self.host.clone()),
            ..Default::default()
        }
    }

    fn check_host(&self, host: &str) -> Result<()> {
        let asked = backend_of(host);
        if asked == backend_of(&self.host) || asked == self.host.split('@').next().unwrap_or("") {
            Ok(())
        } else {
            Err(Error::NotFound(format!(
                "Service cinder-volume could not be found on host {host}."
            )))
        }
    }

    /// A listing filtered to another host has nothing from this single-host back end.
    fn serves(&self, filter: &ListFilter) -> bool {
        filter
            .host
            .as_deref()
            .is_none_or(|host| self.check_host(host).is_ok())
    }

    /// Renames the object whose intent is committed (a snapshot is then secured, as
    /// the driver does), then marks the record available. A failure removes the intent
    /// (and undoes the rename) so that the catalog and the storage stay as they were.
    async fn adopt(&self, kind: Kind, id: &str, source_lv: &str, lv_name: &str) -> Result<()> {
        let renamed = match kind {
            Kind::Volume => self.storage.rename_volume(source_lv, lv_name).await,
            Kind::Snapshot => self.storage.rename_snapshot(source_lv, lv_name).await,
        };
        if let Err(err) = renamed {
            self.catalog().delete(kind, id)?;
            // Another process may have taken the object between our listing and our rename.
            let gone = self
                .storage
                .objects()
                .await
                .is_ok_and(|objects| find(&objects, source_lv).is_none());
            let owner = if gone {
                self.catalog().imported_by_another(kind, source_lv, id)?
            } else {
                None
            };
            if let Some(owner) = owner {
                return Err(Error::AlreadyManaged(format!(
                    "{source_lv} was imported by another snapport process meanwhile, as {owner}"
                )));
            }
            return Err(err);
        }
        if kind == Kind::Snapshot
            && let Err(err) = self.storage.secure_snapshot(lv_name).await
        {
            self.catalog().delete(kind, id)?;
            self.storage.rename_snapshot(lv_name, source_lv).await?;
            return Err(err);
        }
        self.catalog().set_status(kind, id, "available")
    }

    /// The object `key` names, or why there is none: an object this catalog imported
    /// under that name (perhaps by another process a moment ago) is already managed.
    /// One whose name snapport cannot pass back to the storage is refused.
    fn listed<'a>(
        &self,
        objects: &'a [StoredObject],
        kind: Kind,
        key: &str,
    ) -> Result<&'a StoredObject> {
        if let Some(object) = find(objects, key) {
            if let Some(reason) = &object.unusable {
                return Err(Error::InvalidReference(format!("{key}: {reason}")));
            }
            return Ok(object);
        }
        match self.catalog().imported_by_another(kind, key, "")? {
            Some(owner) => Err(Error::AlreadyManaged(format!(
                "{key} is already managed as {owner}: it was renamed when it was imported"
            ))),
            None => Err(missing_object(&*self.storage, key)),
        }
    }

    fn open_imports_lock(&self) -> Result<std::fs::File> {
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.imports_lock)
            .map_err(|err| {
                Error::Backend(format!(
                    "cannot open {}: {err}",
                    self.imports_lock.display()
                ))
            })
    }

    /// Held while this process imports: from the intent to the renamed object.
    fn importing(&self) -> Result<std::fs::File> {
        let lock = self.open_imports_lock()?;
        lock.lock_shared().map_err(|err| {
            Error::Backend(format!(
                "cannot lock {}: {err}",
                self.imports_lock.display()
            ))
        })?;
        Ok(lock)
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn info(&self) -> BackendInfo {
        let kind = self.storage.kind();
        BackendInfo {
            label: format!(
                "local {} {}={}",
                kind.name(),
                kind.place(),
                self.storage.location()
            ),
            identity: None,
            read_only: false,
            warnings: Vec::new(),
        }
    }

    async fn hosts(&self) -> Result<Vec<Host>> {
        let (capacity, identity) =
            futures::try_join!(self.storage.capacity(), self.storage.identity())?;
        let gib = |bytes: u64| bytes as f64 / super::GIB as f64;
        Ok(vec![Host {
            host: self.host.clone(),
            cluster: None,
            driver: identity.driver,
            storage: identity.storage,
            zone: Some("nova".into()),
            status: "enabled".into(),
            state: "up".into(),
            updated_at: None,
            total_capacity_gb: Some(gib(capacity.size_bytes)),
            free_capacity_gb: Some(gib(capacity.free_bytes)),
        }])
    }

    async fn volumes_paged(&self, filter: &ListFilter, sink: PageSink<'_, Volume>) -> Result<()> {
        if self.serves(filter) {
            let volumes = self.catalog().volumes()?;
            sink(volumes);
        }
        Ok(())
    }

    async fn snapshots_paged(
        &self,
        filter: &ListFilter,
        sink: PageSink<'_, Snapshot>,
    ) -> Result<()> {
        if self.serves(filter) {
            let snapshots = self.catalog().snapshots(filter.volume_id.as_deref())?;
            sink(snapshots);
        }
        Ok(())
    }

    async fn volume(&self, id: &str) -> Result<Volume> {
        self.catalog()
            .volume(id)?
            .ok_or_else(|| Error::NotFound(format!("Volume {id} could not be found.")))
    }

    async fn snapshot(&self, id: &str) -> Result<Snapshot> {
        self.catalog()
            .snapshot(id)?
            .ok_or_else(|| Error::NotFound(format!("Snapshot {id} could not be found.")))
    }

    async fn manageable_snapshots(&self, host: &str) -> Result<Vec<ManageableSnapshot>> {
        self.check_host(host)?;
        let objects = self.storage.objects().await?;
        let owners = self.catalog().lv_owners()?;
        Ok(objects
            .iter()
            .filter(|object| object.is_snapshot())
            .map(|object| snapshot_entry(object, &owners))
            .collect())
    }

    async fn manageable_volumes(&self, host: &str) -> Result<Vec<ManageableVolume>> {
        self.check_host(host)?;
        let mut volumes: Vec<StoredObject> = self
            .storage
            .objects()
            .await?
            .into_iter()
            .filter(|object| !object.is_snapshot())
            .collect();
        let owners = self.catalog().lv_owners()?;
        let mut unmanaged: Vec<&mut StoredObject> = volumes
            .iter_mut()
            .filter(|volume| !owners.contains_key(&volume.key))
            .collect();
        self.storage.check_in_use(&mut unmanaged).await?;
        Ok(volumes
            .iter()
            .map(|volume| {
                let (safe, reason, cinder_id) = verdict(volume, &owners);
                ManageableVolume {
                    reference: super::Reference::name(&volume.reference),
                    size: bytes_to_gib_ceil(volume.size_bytes),
                    safe_to_manage: safe,
                    reason_not_safe: reason,
                    cinder_id,
                    extra_info: None,
                }
            })
            .collect())
    }

    async fn manage_snapshot(&self, request: &ManageSnapshotRequest) -> Result<Snapshot> {
        let volume = self.volume(&request.volume_id).await?;
        if !matches!(volume.status, Status::Available | Status::InUse) {
            return Err(Error::InvalidState(format!(
                "Invalid volume: Volume {} status must be available, in-use, but current status is: {}.",
                volume.id, volume.status
            )));
        }
        let reference = reference_name(&request.reference)?;
        let parent = self
            .catalog()
            .volume_lv(&volume.id)?
            .unwrap_or_else(|| volume_lv_name(&volume.id));
        let key = self.storage.snapshot_key(&parent, reference);
        let objects = self.storage.objects().await?;
        let object = self.listed(&objects, Kind::Snapshot, &key)?;
        let Some(origin) = object.origin.as_deref() else {
            return Err(Error::InvalidReference(format!(
                "{reference} is not a {}: import it as a volume instead",
                self.storage.kind().snapshot()
            )));
        };
        let id = uuid::Uuid::new_v4().to_string();
        let managed_key = self.storage.managed_snapshot_key(origin, &id);
        let _importing = self.importing()?;
        {
            let catalog = self.catalog();
            if let Some((_, owner)) = catalog.lv_owners()?.get(&key) {
                return Err(Error::AlreadyManaged(format!(
                    "{key} is already managed as snapshot {owner}"
                )));
            }
            if !request.force && origin != parent {
                return Err(Error::InvalidReference(format!(
                    "{key} is a snapshot of {origin}, not of volume {} ({parent})",
                    volume.id
                )));
            }
            catalog.insert_snapshot_intent(
                &NewRecord {
                    id: &id,
                    name: request.name.as_deref(),
                    description: request.description.as_deref(),
                    size: bytes_to_gib_ceil(object.size_bytes),
                    lv_name: &managed_key,
                    source_lv: &key,
                    metadata: &request.metadata,
                },
                &volume.id,
            )?;
        }
        self.adopt(Kind::Snapshot, &id, &key, &managed_key).await?;
        self.snapshot(&id).await
    }

    async fn unmanage_snapshot(&self, id: &str) -> Result<()> {
        let snapshot = self.snapshot(id).await?;
        if !snapshot.status_allows_unmanage() {
            return Err(Error::InvalidState(format!(
                "Invalid snapshot: Snapshot status must be available or error and must not be \
                 part of a group (snapshot {id} is {}).",
                snapshot.status
            )));
        }
        let key = self.catalog().snapshot_lv(id)?;
        if let Some(key) = key {
            self.storage.release_snapshot(&key).await?;
        }
        self.catalog().delete(Kind::Snapshot, id)?;
        Ok(())
    }

    async fn manage_volume(&self, request: &ManageVolumeRequest) -> Result<Volume> {
        self.check_host(&request.host)
            .map_err(|_| Error::BadRequest(format!("Host '{}' not found", request.host)))?;
        let reference = reference_name(&request.reference)?;
        let objects = self.storage.objects().await?;
        let object = self.listed(&objects, Kind::Volume, reference)?;
        if object.is_snapshot() {
            return Err(Error::InvalidReference(format!(
                "{reference} is a {}: manage it as a snapshot of its origin volume",
                self.storage.kind().snapshot()
            )));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let _importing = self.importing()?;
        {
            let catalog = self.catalog();
            if let Some((_, owner)) = catalog.lv_owners()?.get(reference) {
                return Err(Error::AlreadyManaged(format!(
                    "Unable to manage existing volume. The volume is already managed (as {owner})."
                )));
            }
            catalog.insert_volume_intent(
                &NewRecord {
                    id: &id,
                    name: request.name.as_deref(),
                    description: request.description.as_deref(),
                    size: bytes_to_gib_ceil(object.size_bytes),
                    lv_name: &volume_lv_name(&id),
                    source_lv: reference,
                    metadata: &request.metadata,
                },
                &self.host,
            )?;
        }
        self.adopt(Kind::Volume, &id, reference, &volume_lv_name(&id))
            .await?;
        self.volume(&id).await
    }

    async fn unmanage_volume(&self, id: &str) -> Result<()> {
        let volume = self.volume(id).await?;
        if !volume.status_allows_unmanage() {
            return Err(Error::InvalidState(format!(
                "Invalid volume: Volume {id} status must be available or error, but is {}.",
                volume.status
            )));
        }
        let catalog = self.catalog();
        let snapshots = catalog.snapshots(Some(id))?;
        if !snapshots.is_empty() {
            let ids: Vec<&str> = snapshots.iter().map(|s| s.id.as_str()).collect();
            return Err(Error::InvalidState(format!(
                "Invalid volume: Volume {id} has managed snapshots ({}): unmanage them first.",
                ids.join(", ")
            )));
        }
        catalog.delete(Kind::Volume, id)?;
        Ok(())
    }

    /// A clone of the snapshot where the storage can make one without copying data
    /// (RBD), recorded with an intent first like an import, so crash recovery settles it.
    async fn create_volume(&self, request: &CreateVolumeRequest) -> Result<Volume> {
        let snapshot = self.snapshot(&request.snapshot_id).await?;
        if snapshot.status != Status::Available {
            return Err(Error::InvalidState(format!(
                "Invalid snapshot: Originating snapshot status must be one of 'available' \
                 values (snapshot {} is {}).",
                snapshot.id, snapshot.status
            )));
        }
        let size = request.size.unwrap_or(snapshot.size);
        if size < snapshot.size {
            return Err(Error::BadRequest(format!(
                "Invalid input received: Volume size '{size}'GB cannot be smaller than the \
                 snapshot size {}GB. They must be >= original snapshot size.",
                snapshot.size
            )));
        }
        let key = self.catalog().snapshot_lv(&snapshot.id)?.ok_or_else(|| {
            Error::NotFound(format!("Snapshot {} could not be found.", snapshot.id))
        })?;
        let id = uuid::Uuid::new_v4().to_string();
        let lv_name = volume_lv_name(&id);
        let _cloning = self.cloning.lock().await;
        let _importing = self.importing()?;
        self.catalog().insert_volume_intent(
            &NewRecord {
                id: &id,
                name: request.name.as_deref(),
                description: request.description.as_deref(),
                size,
                lv_name: &lv_name,
                source_lv: &key,
                metadata: &request.metadata,
            },
            &self.host,
        )?;
        if let Err(err) = self.storage.clone_snapshot(&key, &lv_name, size).await {
            self.catalog().delete(Kind::Volume, &id)?;
            return Err(err);
        }
        self.catalog().set_status(Kind::Volume, &id, "available")?;
        self.volume(&id).await
    }

    async fn delete_snapshot(&self, id: &str) -> Result<()> {
        let snapshot = self.snapshot(id).await?;
        if !snapshot.status_allows_unmanage() {
            return Err(Error::InvalidState(format!(
                "Invalid snapshot: Snapshot status must be available or error (snapshot {id} \
                 is {}).",
                snapshot.status
            )));
        }
        let key = self.catalog().snapshot_lv(id)?;
        if let Some(key) = key {
            self.storage.remove_snapshot(&key).await?;
        }
        self.catalog().delete(Kind::Snapshot, id)?;
        Ok(())
    }

    /// Refused, as Cinder refuses it, while the volume has managed snapshots; and while
    /// the storage holds snapshots of it that are not managed (LVM would take them with
    /// it, Cinder's LVM driver fails with VolumeIsBusy).
    async fn delete_volume(&self, id: &str) -> Result<()> {
        let volume = self.volume(id).await?;
        let managed = self.catalog().snapshots(Some(id))?;
        if !volume.status_allows_unmanage() || volume.attached || !managed.is_empty() {
            return Err(Error::InvalidState(
                "Invalid volume: Volume status must be available or error or error_restoring \
                 or error_extending or error_managing and must not be migrating, attached, \
                 belong to a group, have snapshots, awaiting a transfer, or be disassociated \
                 from snapshots after volume transfer."
                    .into(),
            ));
        }
        let key = self
            .catalog()
            .volume_lv(id)?
            .unwrap_or_else(|| volume_lv_name(id));
        let objects = self.storage.objects().await?;
        let unmanaged: Vec<&str> = objects
            .iter()
            .filter(|object| object.origin.as_deref() == Some(key.as_str()))
            .map(|object| object.reference.as_str())
            .collect();
        if !unmanaged.is_empty() {
            return Err(Error::InvalidState(format!(
                "VolumeIsBusy: volume {id} ({key}) still has snapshots on the back end that are \
                 not managed ({}): import and delete them first (snapport volume retire {id})",
                unmanaged.join(", ")
            )));
        }
        if find(&objects, &key).is_some() {
            self.storage.remove_volume(&key).await?;
        }
        self.catalog().delete(Kind::Volume, id)?;
        Ok(())
    }
}

/// Cinder's verdict: managed → "already managed", else what the storage found unsafe
/// (in use, and for RBD Cinder's reserved names), else safe.
fn verdict(
    object: &StoredObject,
    owners: &HashMap<String, (Kind, String)>,
) -> (bool, Option<String>, Option<String>) {
    if let Some((_, id)) = owners.get(&object.key) {
        (false, Some("already managed".into()), Some(id.clone()))
    } else if let Some(reason) = &object.unsafe_reason {
        (false, Some(reason.clone()), None)
    } else {
        (true, None, None)
    }
}

fn snapshot_entry(
    object: &StoredObject,
    owners: &HashMap<String, (Kind, String)>,
) -> ManageableSnapshot {
    let (safe, reason, cinder_id) = verdict(object, owners);
    let origin = object.origin.clone().unwrap_or_default();
    let origin_managed = matches!(owners.get(&origin), Some((Kind::Volume, _)));
    let extra_info = (!origin_managed).then(|| {
        serde_json::Value::String(format!(
            "origin {origin} is not a managed volume: a manage would fail with NotFound, \
             import the volume first"
        ))
    });
    ManageableSnapshot {
        reference: super::Reference::name(&object.reference),
        size: bytes_to_gib_ceil(object.size_bytes),
        safe_to_manage: safe,
        reason_not_safe: reason,
        cinder_id,
        extra_info,
        source_reference: Some(super::Reference::name(origin)),
    }
}
