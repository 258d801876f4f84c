//! The one place that decides "no writes": a wrapper that refuses every mutation before
//! anything reaches the wrapped back end, whatever the UI above it does.

use async_trait::async_trait;

use super::{
    Backend, BackendInfo, Error, Host, ListFilter, ManageSnapshotRequest, ManageVolumeRequest,
    ManageableSnapshot, ManageableVolume, PageSink, Result, Snapshot, Volume,
};

/// Read-only view of a back end.
pub struct ReadOnly {
    inner: Box<dyn Backend>,
}

impl ReadOnly {
    /// Wraps `inner` so that all mutations fail with [`Error::ReadOnly`].
    pub fn new(inner: Box<dyn Backend>) -> Self {
        Self { inner }
    }
}

fn refuse<T>(what: &str) -> Result<T> {
    Err(Error::ReadOnly(format!(
        "{what} refused: snapport runs in read-only mode"
    )))
}

#[async_trait]
impl Backend for ReadOnly {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            read_only: true,
            ..self.inner.info()
        }
    }

    async fn hosts(&self) -> Result<Vec<Host>> {
        self.inner.hosts().await
    }

    async fn volumes_paged(&self, filter: &ListFilter, sink: PageSink<'_, Volume>) -> Result<()> {
        self.inner.volumes_paged(filter, sink).await
    }

    async fn snapshots_paged(
        &self,
        filter: &ListFilter,
        sink: PageSink<'_, Snapshot>,
    ) -> Result<()> {
        self.inner.snapshots_paged(filter, sink).await
    }

    async fn volume(&self, id: &str) -> Result<Volume> {
        self.inner.volume(id).await
    }

    async fn snapshot(&self, id: &str) -> Result<Snapshot> {
        self.inner.snapshot(id).await
    }

    async fn manageable_snapshots(&self, host: &str) -> Result<Vec<ManageableSnapshot>> {
        self.inner.manageable_snapshots(host).await
    }

    async fn manageable_volumes(&self, host: &str) -> Result<Vec<ManageableVolume>> {
        self.inner.manageable_volumes(host).await
    }

    async fn manage_snapshot(&self, _request: &ManageSnapshotRequest) -> Result<Snapshot> {
        refuse("snapshot manage")
    }

    async fn unmanage_snapshot(&self, _id: &str) -> Result<()> {
        refuse("snapshot unmanage")
    }

    async fn manage_volume(&self, _request: &ManageVolumeRequest) -> Result<Volume> {
        refuse("volume manage")
    }

    async fn unmanage_volume(&self, _id: &str) -> Result<()> {
        refuse("volume unmanage")
    }
}
