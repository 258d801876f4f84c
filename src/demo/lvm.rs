//! The LVM demo: a throw-away, loop-backed volume group laid out like a storage host
//! that two clouds have used.

use std::path::Path;

use super::{DemoError, Import, import, uuid};
use crate::backend::local::{LocalBackend, LocalConfig};
use crate::config::BackendSpec;
use crate::sandbox::{LvSpec, Sandbox};

/// A live demo environment; dropping it tears it down (unless kept).
pub struct LvmDemo {
    pub sandbox: Sandbox,
    pub spec: BackendSpec,
    dir: tempfile::TempDir,
}

/// A volume the demo imports, with its snapshots on the back end.
struct DemoVolume {
    name: &'static str,
    mib: u64,
    /// Snapshots the catalog manages.
    managed: usize,
    /// `_snapshot-<uuid>` LVs left behind by another cloud: unmanaged.
    cinder_named: usize,
    /// Snapshots made outside any cloud.
    foreign: &'static [&'static str],
}

const LAYOUT: &[DemoVolume] = &[
    DemoVolume {
        name: "db-primary",
        mib: 2048,
        managed: 2,
        cinder_named: 1,
        foreign: &["backup-2024-06-01"],
    },
    DemoVolume {
        name: "web-assets",
        mib: 1024,
        managed: 1,
        cinder_named: 1,
        foreign: &["nightly-2024-06-02", "pre-upgrade-2024-05-30"],
    },
    DemoVolume {
        name: "build-cache",
        mib: 512,
        managed: 0,
        cinder_named: 2,
        foreign: &[],
    },
];

impl LvmDemo {
    /// Builds the volume group and the catalog: managed volumes with managed and
    /// unmanaged snapshots, foreign snapshots, a snapshot of an unmanaged volume and a
    /// plain LV.
    pub async fn create(keep: bool) -> Result<Self, DemoError> {
        let dir = tempfile::Builder::new()
            .prefix("snapport-demo-")
            .tempdir()?;
        let vg = format!("snapport-demo-{}", &uuid()[..8]);
        let mut lvs = Vec::new();
        let mut imports = Vec::new();
        for volume in LAYOUT {
            let volume_lv = format!("volume-{}", uuid());
            lvs.push(LvSpec::volume(&volume_lv, volume.mib));
            let mut snapshots = Vec::new();
            for index in 0..volume.managed + volume.cinder_named {
                let lv = format!("_snapshot-{}", uuid());
                lvs.push(LvSpec::snapshot(&lv, volume.mib / 4, &volume_lv));
                if index < volume.managed {
                    snapshots.push((lv, format!("{}-daily-{index}", volume.name)));
                }
            }
            for name in volume.foreign {
                lvs.push(LvSpec::snapshot(*name, 64, &volume_lv));
            }
            imports.push(Import {
                reference: volume_lv,
                name: volume.name,
                snapshots,
            });
        }
        let stray = format!("volume-{}", uuid());
        lvs.push(LvSpec::volume(&stray, 512));
        lvs.push(LvSpec::snapshot("pre-migration", 64, &stray));
        lvs.push(LvSpec::volume("scratch", 256));
        let mut sandbox = Sandbox::create(&vg, &dir.path().join("vg"), 16 * 1024, &lvs)?;
        if keep {
            sandbox.keep();
        }
        let config = LocalConfig {
            vg,
            catalog: dir.path().join("catalog.sqlite"),
            backend_name: Some("demo@lvm".into()),
            lvm_system_dir: Some(sandbox.lvm_system_dir()),
        };
        let backend = LocalBackend::open(config.clone(), true).await?;
        import(&backend, imports).await?;
        let spec = BackendSpec::Local {
            vg: config.vg,
            catalog: Some(config.catalog),
            host: config.backend_name,
            lvm_system_dir: config.lvm_system_dir,
        };
        Ok(Self { sandbox, spec, dir })
    }

    /// Where the demo's catalog and VG files live.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Leaves the volume group and the catalog in place after exit.
    pub fn keep(mut self) {
        self.sandbox.keep();
        let _ = self.dir.keep();
    }

    /// How to reach the demo from another shell with the CLI.
    pub fn describe(&self) -> String {
        let BackendSpec::Local { vg, catalog, .. } = &self.spec else {
            unreachable!("the demo is always local")
        };
        format!(
            "demo volume group {vg} on {} (files in {})\n\
             try, from another shell:\n  \
             export LVM_SYSTEM_DIR={}\n  \
             snapport --local --vg {vg} --catalog {} --backend-host demo@lvm snapshot manageable --host demo@lvm\n",
            self.sandbox.loop_device(),
            self.dir().display(),
            self.sandbox.lvm_system_dir().display(),
            catalog.as_deref().unwrap_or(Path::new("")).display(),
        )
    }
}
