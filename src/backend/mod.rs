//! The back-end layer: one async trait that the CLI, the console and the migration
//! engine use, with the local LVM back end, the remote Cinder API and a read-only
//! wrapper behind it. Nothing here knows about terminals.

pub mod audit;
pub mod driver;
pub mod error;
pub mod layer;
pub mod local;
pub mod model;
pub mod read_only;
pub mod remote;
pub mod side_effects;
pub mod snapshot_keys;
pub mod status;

use async_trait::async_trait;

pub use audit::Audited;
pub use driver::{Driver, driver_on};
pub use error::{Error, Result};
pub use model::*;
pub use read_only::ReadOnly;
pub use status::Status;

/// Receives each page of a listing as it arrives, so a console can show the first rows
/// before the last page is fetched.
pub type PageSink<'a, T> = &'a mut (dyn FnMut(Vec<T>) + Send);

/// What a back end is, for headers, logs and migration reports.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendInfo {
    /// Short human label, e.g. `local lvm vg=cinder-volumes` or `cloud prod`.
    pub label: String,
    /// Who and where, as `openstack` users know it, for the console's header:
    /// `cloud=prod region=RegionOne project=admin user=admin`. Names and ids only,
    /// never a secret; `None` when the label says it all (the VG or pool of local
    /// storage).
    pub identity: Option<String>,
    /// True when mutations are refused before they reach the back end.
    pub read_only: bool,
    /// What the operator must know about this connection (e.g. TLS not verified); the
    /// CLI prints it on stderr, the console shows it.
    pub warnings: Vec<String>,
}

/// Everything snapport needs from a Cinder-like back end.
///
/// Mutations (`manage_*`, `unmanage_*`, `create_volume`, `delete_*`) return once the
/// operation has finished on the back end, not when it was merely accepted.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Describes the back end for display.
    fn info(&self) -> BackendInfo;

    /// Volume services with their pools and capacity.
    async fn hosts(&self) -> Result<Vec<Host>>;

    /// Managed volumes, page by page.
    async fn volumes_paged(&self, filter: &ListFilter, sink: PageSink<'_, Volume>) -> Result<()>;

    /// Managed snapshots, page by page.
    async fn snapshots_paged(
        &self,
        filter: &ListFilter,
        sink: PageSink<'_, Snapshot>,
    ) -> Result<()>;

    /// One volume by id (NotFound when it does not exist).
    async fn volume(&self, id: &str) -> Result<Volume>;

    /// One snapshot by id (NotFound when it does not exist).
    async fn snapshot(&self, id: &str) -> Result<Snapshot>;

    /// Snapshots on a host's back end, managed or not, with Cinder's safety verdict.
    async fn manageable_snapshots(&self, host: &str) -> Result<Vec<ManageableSnapshot>>;

    /// Volumes on a host's back end, managed or not, with Cinder's safety verdict.
    async fn manageable_volumes(&self, host: &str) -> Result<Vec<ManageableVolume>>;

    /// Imports a back-end snapshot under an existing volume.
    async fn manage_snapshot(&self, request: &ManageSnapshotRequest) -> Result<Snapshot>;

    /// Forgets a snapshot and leaves its data on the back end.
    async fn unmanage_snapshot(&self, id: &str) -> Result<()>;

    /// Imports a back-end volume on a host.
    async fn manage_volume(&self, request: &ManageVolumeRequest) -> Result<Volume>;

    /// Forgets a volume (which must have no managed snapshots) and leaves its data.
    async fn unmanage_volume(&self, id: &str) -> Result<()>;

    /// Creates a volume from a managed snapshot and waits until it is available.
    async fn create_volume(&self, request: &CreateVolumeRequest) -> Result<Volume>;

    /// Deletes a snapshot with its data, and waits until it is gone.
    async fn delete_snapshot(&self, id: &str) -> Result<()>;

    /// Deletes a volume with its data (refused while it has snapshots), and waits until
    /// it is gone.
    async fn delete_volume(&self, id: &str) -> Result<()>;

    /// All managed volumes, collected.
    async fn volumes(&self, filter: &ListFilter) -> Result<Vec<Volume>> {
        let mut all = Vec::new();
        self.volumes_paged(filter, &mut |page| all.extend(page))
            .await?;
        Ok(all)
    }

    /// All managed snapshots, collected.
    async fn snapshots(&self, filter: &ListFilter) -> Result<Vec<Snapshot>> {
        let mut all = Vec::new();
        self.snapshots_paged(filter, &mut |page| all.extend(page))
            .await?;
        Ok(all)
    }
}
