//! A layer over another back end that passes every read through and decides about
//! mutations: the read-only wrapper refuses them, the audit trail records them. The
//! reads are delegated here, once, for every layer.

use async_trait::async_trait;

use super::{
    Backend, BackendInfo, CreateVolumeRequest, Host, ListFilter, ManageSnapshotRequest,
    ManageVolumeRequest, ManageableSnapshot, ManageableVolume, PageSink, Result, Snapshot, Volume,
};

/// What a layer adds to the back end below it: its mutations (and, if it wants, how it
/// describes itself).
#[async_trait]
pub trait Layer: Send + Sync {
    /// The back end below.
    fn inner(&self) -> &dyn Backend;

    fn info(&self) -> BackendInfo {
        self.inner().info()
    }

    async fn manage_snapshot(&self, request: &ManageSnapshotRequest) -> Result<Snapshot>;
    async fn unmanage_snapshot(&self, id: &str) -> Result<()>;
    async fn manage_volume(&self, request: &ManageVolumeRequest) -> Result<Volume>;
    async fn unmanage_volume(&self, id: &str) -> Result<()>;
    async fn create_volume(&self, request: &CreateVolumeRequest) -> Result<Volume>;
    async fn delete_snapshot(&self, id: &str) -> Result<()>;
    async fn delete_volume(&self, id: &str) -> Result<()>;
}

#[async_trait]
impl<L: Layer> Backend for L {
    fn info(&self) -> BackendInfo {
        Layer::info(self)
    }

    async fn hosts(&self) -> Result<Vec<Host>> {
        self.inner().hosts().await
    }

    async fn volumes_paged(&self, filter: &ListFilter, sink: PageSink<'_, Volume>) -> Result<()> {
        self.inner().volumes_paged(filter, sink).await
    }

    async fn snapshots_paged(
        &self,
        filter: &ListFilter,
        sink: PageSink<'_, Snapshot>,
    ) -> Result<()> {
        self.inner().snapshots_paged(filter, sink).await
    }

    async fn volume(&self, id: &str) -> Result<Volume> {
        self.inner().volume(id).await
    }

    async fn snapshot(&self, id: &str) -> Result<Snapshot> {
        self.inner().snapshot(id).await
    }

    async fn manageable_snapshots(&self, host: &str) -> Result<Vec<ManageableSnapshot>> {
        self.inner().manageable_snapshots(host).await
    }

    async fn manageable_volumes(&self, host: &str) -> Result<Vec<ManageableVolume>> {
        self.inner().manageable_volumes(host).await
    }

    async fn manage_snapshot(&self, request: &ManageSnapshotRequest) -> Result<Snapshot> {
        Layer::manage_snapshot(self, request).await
    }

    async fn unmanage_snapshot(&self, id: &str) -> Result<()> {
        Layer::unmanage_snapshot(self, id).await
    }

    async fn manage_volume(&self, request: &ManageVolumeRequest) -> Result<Volume> {
        Layer::manage_volume(self, request).await
    }

    async fn unmanage_volume(&self, id: &str) -> Result<()> {
        Layer::unmanage_volume(self, id).await
    }

    async fn create_volume(&self, request: &CreateVolumeRequest) -> Result<Volume> {
        Layer::create_volume(self, request).await
    }

    async fn delete_snapshot(&self, id: &str) -> Result<()> {
        Layer::delete_snapshot(self, id).await
    }

    async fn delete_volume(&self, id: &str) -> Result<()> {
        Layer::delete_volume(self, id).await
    }
}
