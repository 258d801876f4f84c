//! Two "clouds" sharing one real LVM volume group: two local back ends with their own
//! catalogs (`old@lvm` and `new@lvm`) over one loop-backed VG, named in a config file,
//! and the real snapport binary to drive them.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use snapport::backend::local::{LocalBackend, LocalConfig};
use snapport::backend::{
    Backend, ListFilter, ManageSnapshotRequest, ManageVolumeRequest, Metadata, Reference, Snapshot,
    Volume,
};
use snapport::sandbox::{LvSpec, Sandbox};

pub const MIGRATED_FROM: &str = "snapport:migrated-from";
pub const SOURCE_ID: &str = "snapport:source-id";

pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A volume to lay out and manage on `old`: its name and how many snapshots it has.
pub struct Layout {
    pub name: &'static str,
    pub snapshots: usize,
}

/// The standard layout of the tests: 10 steps (db: 6, web: 4).
pub const TWO_VOLUMES: &[Layout] = &[
    Layout {
        name: "db",
        snapshots: 2,
    },
    Layout {
        name: "web",
        snapshots: 1,
    },
];

/// A volume as it was on `old` before the migration.
#[derive(Debug, Clone)]
pub struct Original {
    pub volume: Volume,
    pub snapshots: Vec<Snapshot>,
}

/// Everything both sides hold, to compare before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    pub old_volumes: Vec<Volume>,
    pub old_snapshots: Vec<Snapshot>,
    pub new_volumes: Vec<Volume>,
    pub new_snapshots: Vec<Snapshot>,
    pub lvs: BTreeSet<(String, String)>,
}

/// Runs `command` (snapport) with a pause point and waits until it is frozen there;
/// the marker and the stderr log go to `dir`.
pub fn pause(mut command: Command, point: &str, dir: &Path) -> Paused {
    let marker = dir.join(format!("paused-{}", point.replace(':', "-")));
    let log = dir.join(format!("paused-{}.log", point.replace(':', "-")));
    let mut child = command
        .env("SNAPPORT_PAUSE_AT", point)
        .env("SNAPPORT_PAUSE_MARKER", &marker)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !marker.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "snapport ended ({status}) before pausing at {point}:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no pause at {point}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Paused { child, log }
}

/// A snapport process frozen at a pause point.
pub struct Paused {
    child: std::process::Child,
    log: PathBuf,
}

impl Paused {
    /// SIGKILL: nothing runs after this.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends a signal (`INT`, `TERM`) and waits for the exit; returns its code and stderr.
    pub fn signal(mut self, name: &str) -> (Option<i32>, String) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        (status.code(), std::fs::read_to_string(&self.log).unwrap())
    }
}

/// Sandbox first: it is dropped (VG removed) before the temp dir.
pub struct Env {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    /// The volumes the tests migrate, as they were on `old`.
    pub originals: Vec<Original>,
    /// A volume with a snapshot on `old` that no plan names.
    pub bystander: Original,
}

fn local(sandbox: &Sandbox, catalog: &Path, host: &str) -> LocalConfig {
    LocalConfig {
        vg: sandbox.vg().to_string(),
        catalog: catalog.to_path_buf(),
        backend_name: Some(host.to_string()),
        lvm_system_dir: Some(sandbox.lvm_system_dir()),
    }
}

async fn manage_on(
    backend: &LocalBackend,
    volume_lv: &str,
    name: &str,
    snapshot_lvs: &[String],
) -> Original {
    let volume = backend
        .manage_volume(&ManageVolumeRequest {
            host: backend.host_name().to_string(),
            reference: Reference::name(volume_lv),
            name: Some(name.to_string()),
            description: Some(format!("{name}, described")),
            metadata: Metadata::from([("tier".to_string(), format!("{name}-tier"))]),
            without_listing: false,
        })
        .await
        .unwrap();
    let mut snapshots = Vec::new();
    for (index, lv) in snapshot_lvs.iter().enumerate() {
        let snapshot = backend
            .manage_snapshot(&ManageSnapshotRequest {
                volume_id: volume.id.clone(),
                reference: Reference::name(lv),
                name: Some(format!("{name}-daily-{index}")),
                description: (index == 0).then(|| "first".to_string()),
                metadata: Metadata::from([("index".to_string(), index.to_string())]),
                force: false,
                without_listing: false,
            })
            .await
            .unwrap();
        snapshots.push(snapshot);
    }
    Original { volume, snapshots }
}

impl Env {
    /// A VG whose volumes (and one bystander) are managed on `old`; `new` shares it.
    pub fn create(layout: &[Layout]) -> Self {
        Self::create_with(layout, None, false)
    }

    /// Like [`Env::create`], plus two unmanaged LVs for tests to manage later:
    /// `spare-volume`, and `spare-snapshot` of the first volume. (The sandbox can only
    /// lay out LVs before lvm2 itself has rewritten the VG metadata.)
    pub fn create_with_spares(layout: &[Layout]) -> Self {
        Self::create_with(layout, None, true)
    }

    /// Like [`Env::create`], but `new` sees another VG: the clouds share no storage.
    pub fn create_unshared(layout: &[Layout], other: &Sandbox) -> Self {
        Self::create_with(layout, Some(other), false)
    }

    fn create_with(layout: &[Layout], new_vg: Option<&Sandbox>, spares: bool) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("snapport-migrate-")
            .tempdir()
            .unwrap();
        let vg = format!("snapport-mig-{}", &uuid()[..8]);
        let mut lvs = Vec::new();
        let mut planned = Vec::new();
        for volume in layout.iter().chain([&Layout {
            name: "bystander",
            snapshots: 1,
        }]) {
            let volume_lv = format!("volume-{}", uuid());
            lvs.push(LvSpec::volume(&volume_lv, 16));
            let snapshots: Vec<String> = (0..volume.snapshots)
                .map(|_| format!("_snapshot-{}", uuid()))
                .collect();
            for lv in &snapshots {
                lvs.push(LvSpec::snapshot(lv, 8, &volume_lv));
            }
            planned.push((volume.name, volume_lv, snapshots));
        }
        if spares {
            lvs.push(LvSpec::volume("spare-volume", 16));
            lvs.push(LvSpec::snapshot("spare-snapshot", 8, &planned[0].1));
        }
        let sandbox = Sandbox::create(&vg, &dir.path().join("vg"), 512, &lvs)
            .expect("an LVM sandbox (needs root, lvm2 and loop devices)");
        let old = local(&sandbox, &dir.path().join("old.sqlite"), "old@lvm");
        let mut originals = block_on(async {
            let backend = LocalBackend::open(old, true).await.unwrap();
            let mut originals = Vec::new();
            for (name, volume_lv, snapshots) in &planned {
                originals.push(manage_on(&backend, volume_lv, name, snapshots).await);
            }
            originals
        });
        let bystander = originals.pop().unwrap();
        let new_sandbox = new_vg.unwrap_or(&sandbox);
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[backends.old]\nkind = \"local\"\nvg = \"{vg}\"\ncatalog = \"{}\"\nhost = \"old@lvm\"\nlvm_system_dir = \"{}\"\n\n\
                 [backends.new]\nkind = \"local\"\nvg = \"{}\"\ncatalog = \"{}\"\nhost = \"new@lvm\"\nlvm_system_dir = \"{}\"\n",
                dir.path().join("old.sqlite").display(),
                sandbox.lvm_system_dir().display(),
                new_sandbox.vg(),
                dir.path().join("new.sqlite").display(),
                new_sandbox.lvm_system_dir().display(),
            ),
        )
        .unwrap();
        Self {
            sandbox,
            dir,
            config,
            originals,
            bystander,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The ids of the volumes the tests migrate.
    pub fn volume_ids(&self) -> Vec<String> {
        self.originals.iter().map(|o| o.volume.id.clone()).collect()
    }

    fn base_command(&self) -> Command {
        let mut command = crate::isolated::snapport(&self.path("xdg"));
        command.arg("--config").arg(&self.config);
        command
    }

    /// `snapport --config CONFIG ARGS…`, ready for assert_cmd.
    pub fn snapport<I, S>(&self, args: I) -> assert_cmd::Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = assert_cmd::Command::from_std(self.base_command());
        command.args(args);
        command
    }

    /// `migrate plan` from `old` to `new` writing `output`, without volume ids.
    pub fn plan_command(&self, output: &Path) -> assert_cmd::Command {
        let mut command = self.snapport(["migrate", "plan", "--from", "old", "--to", "new"]);
        command.args(["--target-host", "new@lvm", "-o"]).arg(output);
        command
    }

    /// Writes `plan.json` for every migrated volume and returns its path.
    pub fn plan(&self) -> PathBuf {
        let plan = self.path("plan.json");
        self.plan_command(&plan)
            .args(self.volume_ids())
            .assert()
            .success();
        plan
    }

    /// Runs `migrate VERB JOURNAL` again and checks that it finds nothing to do and
    /// changes nothing, neither on the back ends nor in the journal.
    pub fn assert_again_changes_nothing(&self, verb: &str) {
        let world = self.world();
        let journal = std::fs::read_to_string(self.journal()).unwrap();
        self.snapport(["migrate", verb])
            .arg(self.journal())
            .assert()
            .success()
            .stderr(predicates::str::contains("nothing to do"));
        assert_eq!(self.world(), world, "a second {verb} changes nothing");
        assert_eq!(
            std::fs::read_to_string(self.journal()).unwrap(),
            journal,
            "a second {verb} journals nothing"
        );
    }

    pub fn journal(&self) -> PathBuf {
        self.path("plan.journal.jsonl")
    }

    /// Runs snapport with a pause point and waits until it is frozen there.
    pub fn pause_at(&self, point: &str, args: &[&str]) -> Paused {
        let mut command = self.base_command();
        command.args(args);
        pause(command, point, self.dir.path())
    }

    /// Runs snapport with a pause point and kills it there with SIGKILL.
    pub fn kill_at(&self, point: &str, args: &[&str]) {
        self.pause_at(point, args).kill();
    }

    /// The journal's records, parsed.
    pub fn journal_records(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.journal())
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    fn old_config(&self) -> LocalConfig {
        local(&self.sandbox, &self.path("old.sqlite"), "old@lvm")
    }

    /// Both catalogs and the VG, read without recovering anything.
    pub fn world(&self) -> World {
        block_on(async {
            let old = LocalBackend::open(self.old_config(), false).await.unwrap();
            let new_config = {
                let text = std::fs::read_to_string(&self.config).unwrap();
                let config: snapport::config::ConfigFile = toml::from_str(&text).unwrap();
                match config.backend("new") {
                    snapport::config::BackendSpec::Local {
                        vg, lvm_system_dir, ..
                    } => LocalConfig {
                        vg,
                        catalog: self.path("new.sqlite"),
                        backend_name: Some("new@lvm".into()),
                        lvm_system_dir,
                    },
                    other => panic!("{other:?}"),
                }
            };
            let new = LocalBackend::open(new_config, false).await.unwrap();
            let all = ListFilter::default();
            World {
                old_volumes: old.volumes(&all).await.unwrap(),
                old_snapshots: old.snapshots(&all).await.unwrap(),
                new_volumes: new.volumes(&all).await.unwrap(),
                new_snapshots: new.snapshots(&all).await.unwrap(),
                lvs: self.sandbox.lv_names().unwrap().into_iter().collect(),
            }
        })
    }

    fn bystander_lvs(&self) -> BTreeSet<(String, String)> {
        let volume = format!("volume-{}", self.bystander.volume.id);
        let mut lvs = BTreeSet::from([(volume.clone(), String::new())]);
        for snapshot in &self.bystander.snapshots {
            lvs.insert((format!("_snapshot-{}", snapshot.id), volume.clone()));
        }
        lvs
    }

    /// Every volume and snapshot is managed exactly once, on `new`, with its name,
    /// description and metadata plus provenance; `old` keeps only the bystander; the
    /// LVs carry the new ids. Returns the world for further checks.
    pub fn assert_migrated(&self) -> World {
        let world = self.world();
        assert_eq!(
            world.old_volumes,
            vec![self.bystander.volume.clone()],
            "old keeps only the bystander"
        );
        assert_eq!(
            world.old_snapshots, self.bystander.snapshots,
            "old keeps only the bystander's snapshot"
        );
        let snapshot_count: usize = self.originals.iter().map(|o| o.snapshots.len()).sum();
        assert_eq!(world.new_volumes.len(), self.originals.len(), "{world:#?}");
        assert_eq!(world.new_snapshots.len(), snapshot_count, "{world:#?}");
        let mut lvs = self.bystander_lvs();
        for original in &self.originals {
            let moved: Vec<&Volume> = world
                .new_volumes
                .iter()
                .filter(|v| v.metadata.get(SOURCE_ID) == Some(&original.volume.id))
                .collect();
            assert_eq!(
                moved.len(),
                1,
                "volume {} on new: {moved:?}",
                original.volume.id
            );
            let volume = moved[0];
            assert_eq!(volume.name, original.volume.name);
            assert_eq!(volume.description, original.volume.description);
            assert_eq!(volume.status, "available");
            assert_eq!(
                volume.host.as_deref(),
                Some(format!("new@lvm#{}", self.sandbox.vg()).as_str())
            );
            assert_eq!(
                volume.metadata,
                with_provenance(&original.volume.metadata, &original.volume.id)
            );
            let volume_lv = format!("volume-{}", volume.id);
            lvs.insert((volume_lv.clone(), String::new()));
            for snapshot in &original.snapshots {
                let moved: Vec<&Snapshot> = world
                    .new_snapshots
                    .iter()
                    .filter(|s| s.metadata.get(SOURCE_ID) == Some(&snapshot.id))
                    .collect();
                assert_eq!(moved.len(), 1, "snapshot {} on new: {moved:?}", snapshot.id);
                let new = moved[0];
                assert_eq!(new.volume_id, volume.id);
                assert_eq!(new.name, snapshot.name);
                assert_eq!(new.description, snapshot.description);
                assert_eq!(new.status, "available");
                assert_eq!(
                    new.metadata,
                    with_provenance(&snapshot.metadata, &snapshot.id)
                );
                lvs.insert((format!("_snapshot-{}", new.id), volume_lv.clone()));
            }
        }
        assert_eq!(world.lvs, lvs, "the LVs carry the new ids");
        world
    }

    /// Every volume and snapshot is managed on `old` again (new ids, original names,
    /// descriptions and metadata), `new` has nothing, the LVs carry the ids on `old`.
    pub fn assert_rolled_back(&self) -> World {
        let world = self.world();
        assert!(
            world.new_volumes.is_empty() && world.new_snapshots.is_empty(),
            "{world:#?}"
        );
        let snapshot_count: usize = self.originals.iter().map(|o| o.snapshots.len()).sum();
        assert_eq!(
            world.old_volumes.len(),
            self.originals.len() + 1,
            "{world:#?}"
        );
        assert_eq!(world.old_snapshots.len(), snapshot_count + 1, "{world:#?}");
        let mut lvs = self.bystander_lvs();
        assert!(world.old_volumes.contains(&self.bystander.volume));
        for original in &self.originals {
            let back: Vec<&Volume> = world
                .old_volumes
                .iter()
                .filter(|v| v.name == original.volume.name)
                .collect();
            assert_eq!(
                back.len(),
                1,
                "volume {:?} on old: {back:?}",
                original.volume.name
            );
            let volume = back[0];
            assert_eq!(volume.description, original.volume.description);
            assert_eq!(volume.metadata, original.volume.metadata);
            assert_eq!(volume.status, "available");
            let volume_lv = format!("volume-{}", volume.id);
            lvs.insert((volume_lv.clone(), String::new()));
            for snapshot in &original.snapshots {
                let back: Vec<&Snapshot> = world
                    .old_snapshots
                    .iter()
                    .filter(|s| s.name == snapshot.name)
                    .collect();
                assert_eq!(
                    back.len(),
                    1,
                    "snapshot {:?} on old: {back:?}",
                    snapshot.name
                );
                assert_eq!(back[0].volume_id, volume.id);
                assert_eq!(back[0].description, snapshot.description);
                assert_eq!(back[0].metadata, snapshot.metadata);
                lvs.insert((format!("_snapshot-{}", back[0].id), volume_lv.clone()));
            }
        }
        assert_eq!(world.lvs, lvs, "the LVs carry the ids on old");
        world
    }
}

/// The metadata a migrated item has on `new`.
pub fn with_provenance(metadata: &Metadata, id: &str) -> Metadata {
    let mut metadata = metadata.clone();
    metadata.insert(MIGRATED_FROM.into(), "old".into());
    metadata.insert(SOURCE_ID.into(), id.into());
    metadata
}
