//! The one place that decides "no writes": a wrapper that refuses every mutation before
//! anything reaches the wrapped back end, whatever the UI above it does.

use async_trait::async_trait;

use super::layer::Layer;
use super::{
    Backend, BackendInfo, CreateVolumeRequest, Error, ManageSnapshotRequest, ManageVolumeRequest,
    Result, Snapshot, Volume,
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
impl Layer for ReadOnly {
    fn inner(&self) -> &dyn Backend {
        self.inner.as_ref()
    }

    fn info(&self) -> BackendInfo {
        BackendInfo {
            read_only: true,
            ..self.inner.info()
        }
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

    async fn create_volume(&self, _request: &CreateVolumeRequest) -> Result<Volume> {
        refuse("volume create")
    }

    async fn delete_snapshot(&self, _id: &str) -> Result<()> {
        refuse("snapshot delete")
    }

    async fn delete_volume(&self, _id: &str) -> Result<()> {
        refuse("volume delete")
    }
}
