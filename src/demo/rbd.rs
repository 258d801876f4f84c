//! The RBD demo: a throw-away single-node Ceph whose pool is laid out like one that
//! Cinder's RBD driver and people with the `rbd` tool have both used.

use std::path::PathBuf;

use futures::future::try_join_all;

use super::{DemoError, Import, import};
use crate::backend::local::LocalBackend;
use crate::backend::local::rbd::{DEFAULT_TIMEOUT, RbdConfig};
use crate::config::BackendSpec;
use crate::sandbox::ceph::CephSandbox;

/// The demo's pool, named like Cinder's default for its RBD driver.
const POOL: &str = "volumes";

/// The `host@backend` the demo's back end reports.
const BACKEND_NAME: &str = "demo@ceph";

/// One image the demo makes, with its snapshots.
struct DemoImage {
    name: &'static str,
    size: &'static str,
    snapshots: &'static [&'static str],
    /// Imported into the catalog under its name, with the snapshots of `managed`.
    imported: bool,
    managed: &'static [&'static str],
}

/// Two imported volumes each with a `daily` of their own (RBD names snapshots per
/// image), snapshots Cinder's driver refuses (its clone and backup snapshots), images
/// it would list as manageable and one marked deleted; `golden-image@base` is
/// protected with a clone child (made below).
const LAYOUT: &[DemoImage] = &[
    DemoImage {
        name: "db-primary",
        size: "4G",
        snapshots: &["daily", "backup-2024-06-01", "nightly-2024-06-02"],
        imported: true,
        managed: &["nightly-2024-06-02"],
    },
    DemoImage {
        name: "web-assets",
        size: "2G",
        snapshots: &[
            "daily",
            "pre-upgrade-2024-05-30",
            "volume-6f1c2a9e-5b1d-4c7e-9a0f-3d2b1c0e9f8a.clone_snap",
            "nightly-2024-06-02",
        ],
        imported: true,
        managed: &["nightly-2024-06-02"],
    },
    DemoImage {
        name: "build-cache",
        size: "1G",
        snapshots: &[
            "pre-migration",
            "backup.0c5e7d2a-8b4f-4f6e-a1d3-9e8f7c6b5a4d.snap.1717200000.5",
        ],
        imported: false,
        managed: &[],
    },
    DemoImage {
        name: "golden-image",
        size: "2G",
        snapshots: &["base"],
        imported: false,
        managed: &[],
    },
    DemoImage {
        name: "scratch",
        size: "512M",
        snapshots: &[],
        imported: false,
        managed: &[],
    },
    DemoImage {
        name: "volume-3a7e9c10-2f4b-4d8e-b6a1-5c9d0e1f2a3b.deleted",
        size: "1G",
        snapshots: &[],
        imported: false,
        managed: &[],
    },
];

/// The protected snapshot and the clone made of it.
const CLONE_PARENT: &str = "golden-image@base";
const CLONE: &str = "app-from-golden";

/// A live RBD demo; dropping it stops the cluster and deletes every file.
pub struct RbdDemo {
    /// Declared first: dropped (daemons killed) before the directory goes.
    cluster: CephSandbox,
    pub spec: BackendSpec,
    dir: tempfile::TempDir,
}

impl RbdDemo {
    /// Starts the cluster, lays out the pool and fills the catalog, telling `progress`
    /// each step it finished.
    pub async fn create(progress: &mut dyn FnMut(&str)) -> Result<Self, DemoError> {
        let dir = tempfile::Builder::new()
            .prefix("snapport-demo-")
            .tempdir()?;
        let mut cluster = CephSandbox::start(&dir.path().join("ceph"), progress).await?;
        cluster.create_pool(POOL).await?;
        progress(&format!("pool {POOL} active"));
        let spec_of = |name: &str| format!("{POOL}/{name}");
        let images = LAYOUT.iter().map(|image| {
            let size = image.size.to_string();
            vec!["create".into(), "--size".into(), size, spec_of(image.name)]
        });
        in_parallel(&cluster, images).await?;
        let snapshots = LAYOUT.iter().flat_map(|image| {
            image.snapshots.iter().map(move |snapshot| {
                let spec = spec_of(&format!("{}@{snapshot}", image.name));
                vec!["snap".into(), "create".into(), "--no-progress".into(), spec]
            })
        });
        in_parallel(&cluster, snapshots).await?;
        cluster
            .rbd(&["snap", "protect", &spec_of(CLONE_PARENT)])
            .await?;
        cluster
            .rbd(&["clone", &spec_of(CLONE_PARENT), &spec_of(CLONE)])
            .await?;
        progress("images and snapshots made");
        let config = RbdConfig {
            pool: POOL.to_string(),
            catalog: dir.path().join("catalog.sqlite"),
            backend_name: Some(BACKEND_NAME.to_string()),
            ceph_conf: Some(cluster.conf().to_path_buf()),
            ceph_user: None,
            timeout: DEFAULT_TIMEOUT,
        };
        let backend = LocalBackend::open_rbd(config.clone(), true).await?;
        import(&backend, imports()).await?;
        progress("catalog filled");
        let spec = BackendSpec::Rbd {
            pool: config.pool,
            catalog: Some(config.catalog),
            host: config.backend_name,
            ceph_conf: config.ceph_conf,
            ceph_user: None,
            timeout: None,
        };
        Ok(Self { cluster, spec, dir })
    }

    /// How to reach the demo from another shell with the CLI.
    pub fn describe(&self) -> String {
        format!(
            "demo Ceph cluster (monitor {}, pool {POOL}; files in {})\n\
             try, from another shell:\n  \
             rbd --conf {conf} ls -l {POOL}\n  \
             snapport --local --pool {POOL} --ceph-conf {conf} --catalog {} --backend-host {BACKEND_NAME} snapshot manageable --host {BACKEND_NAME}\n",
            self.cluster.mon_address(),
            self.dir.path().display(),
            self.catalog().display(),
            conf = self.cluster.conf().display(),
        )
    }

    fn catalog(&self) -> PathBuf {
        self.dir.path().join("catalog.sqlite")
    }
}

/// Runs `rbd` calls at once: each snapshot waits for a monitor commit.
async fn in_parallel(
    cluster: &CephSandbox,
    calls: impl Iterator<Item = Vec<String>>,
) -> Result<(), DemoError> {
    try_join_all(calls.map(|args| async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        cluster.rbd(&args).await
    }))
    .await?;
    Ok(())
}

/// The layout's imports; each managed snapshot is named after its volume in the catalog.
fn imports() -> Vec<Import> {
    LAYOUT
        .iter()
        .filter(|image| image.imported)
        .map(|image| Import {
            reference: image.name.to_string(),
            name: image.name,
            snapshots: image
                .managed
                .iter()
                .map(|snapshot| (snapshot.to_string(), format!("{}-{snapshot}", image.name)))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_images_hold_a_daily_and_managed_snapshots_exist() {
        let dailies = LAYOUT
            .iter()
            .filter(|image| image.snapshots.contains(&"daily"))
            .count();
        assert_eq!(dailies, 2);
        for image in LAYOUT {
            for managed in image.managed {
                assert!(image.snapshots.contains(managed), "{managed} is made first");
            }
        }
        assert!(LAYOUT.iter().any(|image| image.name.ends_with(".deleted")));
        assert_eq!(imports().len(), 2);
    }
}
