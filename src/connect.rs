//! Turns a back-end description (command-line options or a config-file entry) into a
//! live back end, wrapped read-only when asked.

use std::sync::Arc;

use crate::backend::local::{LocalBackend, LocalConfig};
use crate::backend::{Backend, ReadOnly};
use crate::config::{BackendSpec, Paths};

/// Opens the back end `spec` describes. Read-only sessions skip crash recovery, which
/// writes to the catalog, and refuse every mutation in the back-end layer.
pub async fn open(
    spec: &BackendSpec,
    paths: &Paths,
    read_only: bool,
) -> anyhow::Result<Arc<dyn Backend>> {
    let backend: Box<dyn Backend> = match spec {
        BackendSpec::Local {
            vg,
            catalog,
            host,
            lvm_system_dir,
        } => {
            let config = LocalConfig {
                vg: vg.clone(),
                catalog: catalog.clone().unwrap_or_else(|| paths.default_catalog(vg)),
                backend_name: host.clone(),
                lvm_system_dir: lvm_system_dir
                    .clone()
                    .or_else(|| std::env::var_os("LVM_SYSTEM_DIR").map(Into::into)),
            };
            Box::new(LocalBackend::open(config, !read_only).await?)
        }
        BackendSpec::Cloud { cloud } => {
            anyhow::bail!("cloud '{cloud}': the remote back end is not available in this build")
        }
    };
    Ok(if read_only {
        Arc::new(ReadOnly::new(backend))
    } else {
        Arc::from(backend)
    })
}
