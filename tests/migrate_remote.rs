//! Migration between two fake Cinder clouds (each with its own Keystone and database)
//! over loopback that share one simulated back end, through the real binary: the
//! remote back end on both sides, an attached volume refused, unshared storage refused,
//! and a killed run resumed by looking at both clouds.

mod isolated;
mod migrate_env;
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;

use predicates::str::contains;
use serde_json::Value;
use support::fake_cinder::{FakeCloud, FakeConfig, Storage};
use support::{Login, cloud_entry};
use tempfile::TempDir;

struct Clouds {
    old: FakeCloud,
    new: FakeCloud,
    storage: Arc<Storage>,
    dir: TempDir,
    /// Seeded on `old`.
    seeded: Vec<Seeded>,
}

/// A volume seeded on `old`, with its snapshots' ids and names.
struct Seeded {
    id: String,
    name: String,
    snapshots: Vec<(String, String)>,
}

/// A fake cloud whose manages and unmanages settle after one poll.
fn quick() -> FakeConfig {
    FakeConfig {
        polls_to_settle: 1,
        ..FakeConfig::default()
    }
}

impl Clouds {
    /// Two clouds on one back end, or (`shared` false) each on its own.
    fn start(shared: bool) -> Self {
        Self::start_with(shared, quick())
    }

    /// Like [`Clouds::start`], with `new` configured by `new_config`.
    fn start_with(shared: bool, new_config: FakeConfig) -> Self {
        let storage = Storage::new("node@lvm", "lvm");
        let old = FakeCloud::start(storage.clone(), quick());
        let new_storage = if shared {
            storage.clone()
        } else {
            Storage::new("node@lvm", "lvm")
        };
        let new = FakeCloud::start(new_storage, new_config);
        let mut seeded = Vec::new();
        for (name, snapshots) in [("db", 2), ("web", 1)] {
            let volume = old.seed_volume(name, 1);
            let snapshots = (0..snapshots)
                .map(|index| {
                    let snapshot_name = format!("{name}-daily-{index}");
                    (old.seed_snapshot(&volume, &snapshot_name), snapshot_name)
                })
                .collect();
            seeded.push(Seeded {
                id: volume,
                name: name.to_string(),
                snapshots,
            });
        }
        let dir = TempDir::new().unwrap();
        let yaml = format!(
            "clouds:\n{}{}",
            cloud_entry("old", &old, Login::Password),
            cloud_entry("new", &new, Login::Password)
        );
        let clouds = dir.path().join("clouds.yaml");
        std::fs::write(&clouds, yaml).unwrap();
        std::fs::set_permissions(&clouds, std::fs::Permissions::from_mode(0o600)).unwrap();
        Self {
            old,
            new,
            storage,
            dir,
            seeded,
        }
    }

    fn journal(&self) -> PathBuf {
        self.dir.path().join("plan.journal.jsonl")
    }

    fn snapport(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.base())
    }

    /// The binary; clouds.yaml through OS_CLIENT_CONFIG_FILE, XDG dirs in the test's own.
    fn base(&self) -> std::process::Command {
        let root = self.dir.path();
        let mut command = isolated::snapport(root);
        command.env("OS_CLIENT_CONFIG_FILE", root.join("clouds.yaml"));
        command
    }

    fn plan_command(&self) -> assert_cmd::Command {
        let mut command = self.snapport();
        command.args([
            "migrate",
            "plan",
            "--from",
            "old",
            "--to",
            "new",
            "--target-host",
            "node@lvm",
            "-o",
            "plan.json",
        ]);
        command.args(self.seeded.iter().map(|seeded| &seeded.id));
        command
    }

    /// Every change the migration (apply, resume, rollback) sent is in the audit trail,
    /// `changes` of them, done, on the cloud that received it, with that request's id.
    fn assert_audited(&self, changes: usize) {
        let path = self.dir.path().join("state/snapport/audit.jsonl");
        let text = std::fs::read_to_string(path).unwrap();
        let records: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(records.len(), changes, "{records:#?}");
        let mut sent: Vec<(String, &str)> = Vec::new();
        for (name, cloud) in [("old", &self.old), ("new", &self.new)] {
            for post in cloud.requests_to("POST", "/volume/") {
                sent.push((post.request_id, name));
            }
        }
        assert_eq!(sent.len(), changes);
        for record in &records {
            assert_eq!(record["outcome"], "done", "{record}");
            let id = record["request_id"].as_str().unwrap();
            let (_, cloud) = sent.iter().find(|(sent, _)| sent == id).unwrap();
            assert_eq!(record["backend"]["cloud"], *cloud, "{record}");
        }
    }

    fn list(&self, cloud: &str, noun: &str) -> Vec<Value> {
        let output = self
            .snapport()
            .args(["--os-cloud", cloud, noun, "list", "-f", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice::<Value>(&output)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    fn posts(&self) -> usize {
        self.old.requests_to("POST", "/volume/").len()
            + self.new.requests_to("POST", "/volume/").len()
    }

    /// Everything is on `new` once, with names and provenance; `old` has nothing; the
    /// shared back end's LVs carry the new ids.
    fn assert_migrated(&self) {
        assert!(self.old.volume_ids().is_empty() && self.old.snapshot_ids().is_empty());
        let volumes = self.list("new", "volume");
        let snapshots = self.list("new", "snapshot");
        assert_eq!(volumes.len(), 2, "{volumes:?}");
        assert_eq!(snapshots.len(), 3, "{snapshots:?}");
        let mut lvs = Vec::new();
        for Seeded {
            id: old_id,
            name,
            snapshots: seeded_snapshots,
        } in &self.seeded
        {
            let moved: Vec<&Value> = volumes
                .iter()
                .filter(|v| v["metadata"]["snapport:source-id"] == *old_id)
                .collect();
            assert_eq!(moved.len(), 1, "{volumes:?}");
            let volume = moved[0];
            assert_eq!(volume["name"], name.as_str());
            assert_eq!(volume["metadata"]["snapport:migrated-from"], "old");
            assert_eq!(volume["status"], "available");
            let new_id = volume["id"].as_str().unwrap();
            lvs.push(format!("volume-{new_id}"));
            for (old_snapshot, snapshot_name) in seeded_snapshots {
                let moved: Vec<&Value> = snapshots
                    .iter()
                    .filter(|s| s["metadata"]["snapport:source-id"] == *old_snapshot)
                    .collect();
                assert_eq!(moved.len(), 1, "{snapshots:?}");
                assert_eq!(moved[0]["name"], snapshot_name.as_str());
                assert_eq!(moved[0]["volume_id"], new_id);
                lvs.push(format!("_snapshot-{}", moved[0]["id"].as_str().unwrap()));
            }
        }
        lvs.sort();
        assert_eq!(self.storage.lv_names(), lvs);
    }
}

#[test]
fn volumes_move_between_two_clouds_and_back() {
    let clouds = Clouds::start(true);
    clouds
        .plan_command()
        .assert()
        .success()
        .stderr(contains("preflight passed"));
    assert_eq!(clouds.posts(), 0, "planning changes nothing");
    clouds
        .snapport()
        .args(["migrate", "apply", "--yes", "plan.json"])
        .assert()
        .success()
        .stdout(contains("old -> new: 2 volume(s), 3 snapshot(s): 5 moved"));
    clouds.assert_migrated();

    clouds
        .snapport()
        .args(["migrate", "rollback", "--yes"])
        .arg(clouds.journal())
        .assert()
        .success()
        .stdout(contains("5 rolled back"));
    assert!(clouds.new.volume_ids().is_empty() && clouds.new.snapshot_ids().is_empty());
    let volumes = clouds.list("old", "volume");
    let snapshots = clouds.list("old", "snapshot");
    let mut names: Vec<&str> = volumes
        .iter()
        .chain(&snapshots)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["db", "db-daily-0", "db-daily-1", "web", "web-daily-0"]
    );
    assert!(
        volumes
            .iter()
            .all(|v| v["metadata"] == serde_json::json!({})),
        "original metadata: {volumes:?}"
    );
    let posts = clouds.posts();
    clouds
        .snapport()
        .args(["migrate", "rollback"])
        .arg(clouds.journal())
        .assert()
        .success()
        .stderr(contains("nothing to do"));
    assert_eq!(clouds.posts(), posts, "a second rollback sends nothing");
    clouds.assert_audited(20);
}

#[test]
fn attached_volumes_and_unshared_storage_are_refused_without_a_change() {
    let clouds = Clouds::start(true);
    let db = &clouds.seeded[0].id;
    clouds.old.set_volume_attached(db, true);
    clouds
        .plan_command()
        .assert()
        .code(1)
        .stderr(contains(format!(
            "volume {db}: attached: detach it before migrating"
        )))
        .stderr(contains(format!("volume {db}: status is in-use")));
    assert_eq!(clouds.posts(), 0);
    assert!(!clouds.dir.path().join("plan.json").exists());

    let apart = Clouds::start(false);
    let web = &apart.seeded[1].id;
    apart
        .plan_command()
        .assert()
        .code(1)
        .stderr(contains(format!(
            "volume-{web}: not visible on the target at host node@lvm"
        )));
    assert_eq!(apart.posts(), 0);
    assert_eq!(apart.old.volume_ids().len(), 2);
}

#[test]
fn a_killed_remote_migration_is_resumed_by_looking_at_both_clouds() {
    // Step 1 unmanages a snapshot on old, step 4 manages db on new.
    for point in ["forward:call:1", "forward:call:4", "forward:intent:5"] {
        let clouds = Clouds::start(true);
        clouds.plan_command().assert().success();
        let mut command = clouds.base();
        command.args([
            "migrate",
            "apply",
            "--yes",
            "--concurrency",
            "1",
            "plan.json",
        ]);
        migrate_env::pause(command, point, clouds.dir.path()).kill();
        let step = point.rsplit(':').next().unwrap();
        clouds
            .snapport()
            .args(["migrate", "resume", "--yes"])
            .arg(clouds.journal())
            .assert()
            .success()
            .stderr(contains(format!("migrate step {step} (")));
        clouds.assert_migrated();
    }
}

#[test]
fn a_target_below_the_needed_microversion_is_refused_without_a_change() {
    let clouds = Clouds::start_with(
        true,
        FakeConfig {
            max_version: 7,
            ..quick()
        },
    );
    clouds
        .plan_command()
        .assert()
        .code(1)
        .stderr(contains("microversions 3.0 to 3.7"))
        .stderr(contains("snapport needs at least 3.8"));
    assert!(!clouds.dir.path().join("plan.json").exists());
    assert_eq!(clouds.posts(), 0, "nothing was sent to either cloud");
    assert_eq!(clouds.old.volume_ids().len(), 2);
    assert_eq!(clouds.old.snapshot_ids().len(), 3);
    assert!(clouds.new.volume_ids().is_empty());
}
