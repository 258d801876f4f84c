//! `snapport demo`: throw-away storage laid out like a storage host that clouds have
//! used, a catalog in a temp dir, and the console on top: a loop-backed LVM volume
//! group ([`lvm`]) or a single-node Ceph cluster's pool ([`rbd`]).

pub mod lvm;
pub mod rbd;

use thiserror::Error;

use crate::backend::local::LocalBackend;
use crate::backend::{Backend, ManageSnapshotRequest, ManageVolumeRequest, Metadata, Reference};
use crate::sandbox::SandboxError;
use crate::sandbox::ceph::CephSandboxError;

/// Why a demo could not be built.
#[derive(Debug, Error)]
pub enum DemoError {
    #[error("{0}")]
    Lvm(#[from] SandboxError),
    #[error("{0}")]
    Ceph(#[from] CephSandboxError),
    #[error("{0}")]
    Backend(#[from] crate::backend::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A volume the demo imports into its catalog, with the snapshots it imports on it.
struct Import {
    /// The LV or image as the back end names it before the import.
    reference: String,
    name: &'static str,
    /// `(back-end name, catalog name)` of each snapshot to import.
    snapshots: Vec<(String, String)>,
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Imports the volumes and their snapshots as an operator would, so that the catalog
/// holds managed records among what the back end holds unmanaged.
async fn import(backend: &LocalBackend, imports: Vec<Import>) -> Result<(), DemoError> {
    for volume in imports {
        let managed = backend
            .manage_volume(&ManageVolumeRequest {
                host: backend.host_name().to_string(),
                reference: Reference::name(volume.reference),
                name: Some(volume.name.to_string()),
                description: Some("imported by the demo".into()),
                metadata: Metadata::from([("tier".to_string(), "demo".to_string())]),
                without_listing: false,
            })
            .await?;
        for (reference, name) in volume.snapshots {
            backend
                .manage_snapshot(&ManageSnapshotRequest {
                    volume_id: managed.id.clone(),
                    reference: Reference::name(reference),
                    name: Some(name),
                    description: None,
                    metadata: Metadata::new(),
                    force: false,
                    without_listing: false,
                })
                .await?;
        }
    }
    Ok(())
}
