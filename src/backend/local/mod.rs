//! The local back end: drives LVM directly on the storage host, the way Cinder's LVM
//! driver does, with an embedded catalog standing in for Cinder's database.

pub mod catalog;
pub mod lvm;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use self::catalog::{Catalog, Kind, NewRecord};
use self::lvm::{LogicalVolume, Lvm};
use super::{
    Backend, BackendInfo, Driver, Error, Host, ListFilter, ManageSnapshotRequest,
    ManageVolumeRequest, ManageableSnapshot, ManageableVolume, PageSink, Result, Snapshot, Status,
    Volume, backend_of, bytes_to_gib_ceil, snapshot_lv_name, volume_lv_name,
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

/// Cinder's LVM driver plus its database, on this machine.
pub struct LocalBackend {
    lvm: Lvm,
    catalog: Mutex<Catalog>,
    host: String,
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

fn missing_lv(reference: &str) -> Error {
    Error::InvalidReference(format!(
        "Manage existing volume failed due to invalid backend reference {reference}: \
         Specified logical volume does not exist."
    ))
}

fn find<'a>(lvs: &'a [LogicalVolume], name: &str) -> Option<&'a LogicalVolume> {
    lvs.iter().find(|lv| lv.name == name)
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
    /// Opens the catalog and, unless `recover` is false (read-only sessions), repairs
    /// manages that a crash interrupted.
    pub async fn open(config: LocalConfig, recover: bool) -> Result<Self> {
        let catalog = Catalog::open(&config.catalog, &config.vg)?;
        let backend_name = config
            .backend_name
            .unwrap_or_else(|| format!("{}@lvm", machine_hostname()));
        let mut imports_lock = config.catalog.clone().into_os_string();
        imports_lock.push(".imports.lock");
        let backend = Self {
            host: format!("{}#{}", backend_of(&backend_name), config.vg),
            lvm: Lvm::new(config.vg, config.lvm_system_dir),
            catalog: Mutex::new(catalog),
            imports_lock: imports_lock.into(),
        };
        if recover {
            backend.recover().await?;
        }
        Ok(backend)
    }

    /// This back end's single host, `host@backend#vg`.
    pub fn host_name(&self) -> &str {
        &self.host
    }

    fn catalog(&self) -> MutexGuard<'_, Catalog> {
        lock(&self.catalog)
    }

    /// Completes or rolls back each manage whose intent was committed but whose outcome
    /// is unknown, by looking at the LV names: the new name means the rename happened,
    /// the old name means it did not.
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
        let lvs = self.lvm.logical_volumes().await?;
        let catalog = self.catalog();
        for intent in pending {
            let action = if let Some(lv) = find(&lvs, &intent.lv_name) {
                tracing::warn!(id = %intent.id, lv = %lv.name, "completing interrupted manage");
                catalog.set_status(intent.kind, &intent.id, "available")?;
                RepairAction::Completed
            } else if find(&lvs, &intent.source_lv).is_some() {
                tracing::warn!(id = %intent.id, lv = %intent.source_lv, "rolling back interrupted manage");
                catalog.delete(intent.kind, &intent.id)?;
                RepairAction::RolledBack
            } else {
                tracing::error!(id = %intent.id, "interrupted manage: neither LV name exists");
                catalog.set_status(intent.kind, &intent.id, "error")?;
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
        super::audit::Identity {
            kind: "local".into(),
            vg: Some(self.lvm.vg().to_string()),
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

    /// Records the intent, renames the LV, then marks the record available. A failed
    /// rename removes the intent so the catalog stays as it was.
    async fn adopt(&self, kind: Kind, id: &str, source_lv: &str, lv_name: &str) -> Result<()> {
        if let Err(err) = self.lvm.rename(source_lv, lv_name).await {
            self.catalog().delete(kind, id)?;
            // Another process may have taken the LV between our listing and our rename.
            let gone = self
                .lvm
                .logical_volumes()
                .await
                .is_ok_and(|lvs| find(&lvs, source_lv).is_none());
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
        self.catalog().set_status(kind, id, "available")
    }

    /// The LV `reference` names, or why there is none: an LV this catalog imported
    /// under that name (perhaps by another process a moment ago) is already managed.
    fn listed<'a>(
        &self,
        lvs: &'a [LogicalVolume],
        kind: Kind,
        reference: &str,
    ) -> Result<&'a LogicalVolume> {
        if let Some(lv) = find(lvs, reference) {
            return Ok(lv);
        }
        match self.catalog().imported_by_another(kind, reference, "")? {
            Some(owner) => Err(Error::AlreadyManaged(format!(
                "{reference} is already managed as {owner}: it was renamed when it was imported"
            ))),
            None => Err(missing_lv(reference)),
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

    /// Held while this process imports: from the intent to the renamed LV.
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
        BackendInfo {
            label: format!("local lvm vg={}", self.lvm.vg()),
            read_only: false,
            warnings: Vec::new(),
        }
    }

    async fn hosts(&self) -> Result<Vec<Host>> {
        let (capacity, lvs) = futures::try_join!(self.lvm.capacity(), self.lvm.logical_volumes())?;
        let gib = |bytes: u64| bytes as f64 / super::GIB as f64;
        // As Cinder's `lvm_type = auto` decides: thin once the group holds a thin pool.
        let driver = if lvs.iter().any(LogicalVolume::is_thin_pool) {
            Driver::LvmThin
        } else {
            Driver::LvmThick
        };
        Ok(vec![Host {
            host: self.host.clone(),
            cluster: None,
            driver,
            storage: Some(format!("lvm:{}", self.lvm.vg())),
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
        let lvs = self.lvm.logical_volumes().await?;
        let owners = self.catalog().lv_owners()?;
        Ok(lvs
            .iter()
            .filter(|lv| lv.is_snapshot())
            .map(|lv| snapshot_entry(lv, &owners))
            .collect())
    }

    async fn manageable_volumes(&self, host: &str) -> Result<Vec<ManageableVolume>> {
        self.check_host(host)?;
        let lvs = self.lvm.logical_volumes().await?;
        let owners = self.catalog().lv_owners()?;
        Ok(lvs
            .iter()
            .filter(|lv| !lv.is_snapshot() && !lv.is_pool())
            .map(|lv| {
                let (safe, reason, cinder_id) = verdict(lv, &owners, "volume");
                ManageableVolume {
                    reference: super::Reference::name(&lv.name),
                    size: bytes_to_gib_ceil(lv.size_bytes),
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
        let lvs = self.lvm.logical_volumes().await?;
        let lv = self.listed(&lvs, Kind::Snapshot, reference)?;
        if !lv.is_snapshot() {
            return Err(Error::InvalidReference(format!(
                "{reference} is not a snapshot LV: import it as a volume instead"
            )));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let _importing = self.importing()?;
        {
            let catalog = self.catalog();
            if let Some((_, owner)) = catalog.lv_owners()?.get(reference) {
                return Err(Error::AlreadyManaged(format!(
                    "{reference} is already managed as snapshot {owner}"
                )));
            }
            let parent_lv = catalog
                .volume_lv(&volume.id)?
                .unwrap_or_else(|| volume_lv_name(&volume.id));
            if !request.force && lv.origin.as_deref() != Some(parent_lv.as_str()) {
                return Err(Error::InvalidReference(format!(
                    "{reference} is a snapshot of {}, not of volume {} ({parent_lv})",
                    lv.origin.as_deref().unwrap_or("nothing"),
                    volume.id
                )));
            }
            catalog.insert_snapshot_intent(
                &NewRecord {
                    id: &id,
                    name: request.name.as_deref(),
                    description: request.description.as_deref(),
                    size: bytes_to_gib_ceil(lv.size_bytes),
                    lv_name: &snapshot_lv_name(&id),
                    source_lv: reference,
                    metadata: &request.metadata,
                },
                &volume.id,
            )?;
        }
        self.adopt(Kind::Snapshot, &id, reference, &snapshot_lv_name(&id))
            .await?;
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
        self.catalog().delete(Kind::Snapshot, id)?;
        Ok(())
    }

    async fn manage_volume(&self, request: &ManageVolumeRequest) -> Result<Volume> {
        self.check_host(&request.host)
            .map_err(|_| Error::BadRequest(format!("Host '{}' not found", request.host)))?;
        let reference = reference_name(&request.reference)?;
        let lvs = self.lvm.logical_volumes().await?;
        let lv = self.listed(&lvs, Kind::Volume, reference)?;
        if lv.is_snapshot() {
            return Err(Error::InvalidReference(format!(
                "{reference} is a snapshot LV: manage it as a snapshot of its origin volume"
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
                    size: bytes_to_gib_ceil(lv.size_bytes),
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
}

/// Cinder's LVM verdict: managed → "already managed", open → "<kind> in use", else safe.
fn verdict(
    lv: &LogicalVolume,
    owners: &HashMap<String, (Kind, String)>,
    kind: &str,
) -> (bool, Option<String>, Option<String>) {
    if let Some((_, id)) = owners.get(&lv.name) {
        (false, Some("already managed".into()), Some(id.clone()))
    } else if lv.is_open() {
        (false, Some(format!("{kind} in use")), None)
    } else {
        (true, None, None)
    }
}

fn snapshot_entry(
    lv: &LogicalVolume,
    owners: &HashMap<String, (Kind, String)>,
) -> ManageableSnapshot {
    let (safe, reason, cinder_id) = verdict(lv, owners, "snapshot");
    let origin = lv.origin.clone().unwrap_or_default();
    let origin_managed = matches!(owners.get(&origin), Some((Kind::Volume, _)));
    let extra_info = (!origin_managed).then(|| {
        serde_json::Value::String(format!(
            "origin {origin} is not a managed volume: a manage would fail with NotFound, \
             import the volume first"
        ))
    });
    ManageableSnapshot {
        reference: super::Reference::name(&lv.name),
        size: bytes_to_gib_ceil(lv.size_bytes),
        safe_to_manage: safe,
        reason_not_safe: reason,
        cinder_id,
        extra_info,
        source_reference: Some(super::Reference::name(origin)),
    }
}
