//! Turns a back-end description (command-line options or a config-file entry) into a
//! live back end, wrapped read-only when asked.

use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::audit::{self, AuditLog, Audited, Identity};
use crate::backend::local::rbd::{DEFAULT_TIMEOUT, RbdConfig};
use crate::backend::local::{LocalBackend, LocalConfig};
use crate::backend::remote::{RemoteBackend, RemoteOptions};
use crate::backend::{Backend, ReadOnly};
use crate::config::{BackendSpec, ConfigFile, Paths};

/// Opens the back end `spec` describes. Read-only sessions skip crash recovery, which
/// writes to the catalog, and refuse every mutation in the back-end layer. Every
/// mutation attempt, refusals included, goes to the audit trail, and so does each
/// repair crash recovery makes.
pub async fn open(
    spec: &BackendSpec,
    paths: &Paths,
    read_only: bool,
) -> anyhow::Result<Arc<dyn Backend>> {
    let log = AuditLog::at(&paths.audit_file());
    let (backend, identity): (Box<dyn Backend>, Identity) = match spec {
        BackendSpec::Local {
            vg,
            host,
            lvm_system_dir,
            ..
        } => {
            let config = LocalConfig {
                vg: vg.clone(),
                catalog: spec.catalog(paths).expect("a local back end has a catalog"),
                backend_name: host.clone(),
                lvm_system_dir: lvm_system_dir
                    .clone()
                    .or_else(|| std::env::var_os("LVM_SYSTEM_DIR").map(Into::into)),
            };
            opened(LocalBackend::open(config, false).await?, read_only, &log).await?
        }
        BackendSpec::Rbd {
            pool,
            host,
            ceph_conf,
            ceph_user,
            timeout,
            ..
        } => {
            let config = RbdConfig {
                pool: pool.clone(),
                catalog: spec.catalog(paths).expect("an RBD back end has a catalog"),
                backend_name: host.clone(),
                ceph_conf: ceph_conf.clone(),
                ceph_user: ceph_user.clone(),
                timeout: timeout.map_or(DEFAULT_TIMEOUT, std::time::Duration::from_secs),
            };
            opened(
                LocalBackend::open_rbd(config, false).await?,
                read_only,
                &log,
            )
            .await?
        }
        BackendSpec::Cloud { cloud } => {
            let options = RemoteOptions {
                cloud: cloud.clone(),
                ..RemoteOptions::default()
            };
            let remote = RemoteBackend::connect(options).await?;
            let identity = remote.identity();
            (Box::new(remote), identity)
        }
    };
    let backend: Box<dyn Backend> = if read_only {
        Box::new(ReadOnly::new(backend))
    } else {
        backend
    };
    Ok(Arc::new(Audited::new(backend, identity, log)))
}

/// A local back end just opened, with its identity, once crash recovery (unless the
/// session is read-only) has run.
async fn opened(
    local: LocalBackend,
    read_only: bool,
    log: &AuditLog,
) -> anyhow::Result<(Box<dyn Backend>, Identity)> {
    let identity = local.identity();
    if !read_only {
        recover(&local, &identity, log).await?;
    }
    Ok((Box::new(local), identity))
}

/// Crash recovery, each repair recorded as it is made; none starts unless the audit
/// trail can be written.
async fn recover(local: &LocalBackend, identity: &Identity, log: &AuditLog) -> anyhow::Result<()> {
    if !local.has_pending()? {
        return Ok(());
    }
    log.ready()?;
    local
        .recover_with(&mut |repair| log.append(&audit::recovery_record(identity, repair)))
        .await?;
    Ok(())
}

/// Everything needed to open back ends by name after start-up (the console's switcher
/// and migration wizard): the config file, snapport's paths, which back end is open, and
/// the session's read-only flag, which every back end opened later keeps.
#[derive(Debug, Clone)]
pub struct Directory {
    pub config: ConfigFile,
    /// The `--config FILE` given, repeated in the commands the console suggests.
    pub config_path: Option<PathBuf>,
    pub paths: Paths,
    /// The open back end's name, when it has one.
    pub current: Option<String>,
    /// The open back end's description, which batch journals record to reopen it.
    pub spec: Option<BackendSpec>,
    pub read_only: bool,
}

impl Directory {
    /// Opens the back end `name` names: a `[backends.NAME]` or a clouds.yaml cloud.
    pub async fn open(&self, name: &str) -> anyhow::Result<Arc<dyn Backend>> {
        open(&self.config.backend(name), &self.paths, self.read_only).await
    }

    /// The command line that reaches the same config file: `snapport [--config FILE]`.
    pub fn command(&self) -> String {
        match &self.config_path {
            Some(path) => format!("snapport --config {}", path.display()),
            None => "snapport".to_string(),
        }
    }

    /// Where the console writes migration plans, journals and id maps.
    pub fn migrations_dir(&self) -> PathBuf {
        self.paths.migrations_dir()
    }
}
