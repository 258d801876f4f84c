//! End-to-end tests against a real Cinder with the RBD driver on a real single-node Ceph,
//! both brought up by `tests/e2e/cinder-up.sh` (see `cinder_harness` for when they run).
//! Deployments a and b each have an RBD back end on the same Ceph pool: two clouds that
//! share one Ceph cluster.
//!
//! Each test seeds its own images with the `rbd` CLI, as storage made outside OpenStack,
//! and removes them (from the trash too) when it ends, with whatever Cinder records it
//! made. What Ceph holds is always read with `rbd ls -l` and `rbd trash ls`, never taken
//! from Cinder's word.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

mod cinder_harness;
mod e2e_console;
mod isolated;
mod rbd_tool;
mod tmux;

use cinder_harness::{Harness, harness, moved_to};
use rbd_tool::RbdTool;

/// One snapshot of an image, as `rbd ls -l` shows it.
#[derive(Debug, Clone, PartialEq)]
struct RbdSnapshot {
    name: String,
    protected: bool,
}

/// Images a test seeded, known by their RBD image id (names change on import), and the
/// Cinder records the test made of them. Dropping it unmanages the records and removes
/// the images, from the pool or from the trash, with their snapshots.
struct Pool<'h> {
    harness: &'h Harness,
    tool: RbdTool,
    /// RBD image ids of the seeded images.
    images: Vec<String>,
    /// Cinder ids to unmanage at the end: (deployment's API variable, kind, id).
    records: RefCell<Vec<(&'static str, &'static str, String)>>,
    /// Volumes deployment a created from the seeded snapshots: deleted first, with
    /// their clone images, so that the parent snapshots can be unprotected.
    created: RefCell<Vec<String>>,
}

impl<'h> Pool<'h> {
    /// Seeds one `volume-<uuid>` image of 1 GiB per entry, with the named snapshots, and
    /// returns the pool and the image names in the order given.
    fn seed(harness: &'h Harness, images: &[&[&str]]) -> (Self, Vec<String>) {
        let mut pool = Pool {
            harness,
            tool: RbdTool {
                conf: harness.var("SNAPPORT_E2E_CEPH_CONF").into(),
            },
            images: Vec::new(),
            records: RefCell::default(),
            created: RefCell::default(),
        };
        let mut names = Vec::new();
        for snapshots in images {
            let name = format!("volume-{}", uuid());
            pool.rbd_ok(&["create", "--size", "1G", &pool.spec(&name)]);
            pool.images.push(pool.image_id(&name));
            for snapshot in *snapshots {
                pool.rbd_ok(&[
                    "snap",
                    "create",
                    &format!("{}@{snapshot}", pool.spec(&name)),
                ]);
            }
            names.push(name);
        }
        (pool, names)
    }

    fn name(&self) -> &str {
        self.harness.var("SNAPPORT_E2E_CEPH_POOL")
    }

    fn spec(&self, image: &str) -> String {
        format!("{}/{image}", self.name())
    }

    fn rbd(&self, args: &[&str]) -> std::process::Output {
        self.tool.run(args)
    }

    fn rbd_ok(&self, args: &[&str]) -> Vec<u8> {
        self.tool.ok(args)
    }

    fn rbd_json(&self, args: &[&str]) -> Value {
        self.tool.json(args)
    }

    fn image_id(&self, image: &str) -> String {
        let info = self.rbd_json(&["info", &self.spec(image)]);
        info["id"].as_str().expect("an image id").to_string()
    }

    /// The seeded images that are in the pool now: name -> snapshots, from `rbd ls -l`.
    fn images(&self) -> BTreeMap<String, Vec<RbdSnapshot>> {
        let mut images: BTreeMap<String, Vec<RbdSnapshot>> = BTreeMap::new();
        for entry in self
            .rbd_json(&["ls", "-l", self.name()])
            .as_array()
            .expect("a list")
        {
            if !self.images.iter().any(|id| entry["id"] == id.as_str()) {
                continue;
            }
            let snapshots = images
                .entry(entry["image"].as_str().expect("a name").to_string())
                .or_default();
            if let Some(name) = entry["snapshot"].as_str() {
                snapshots.push(RbdSnapshot {
                    name: name.to_string(),
                    protected: entry["protected"] == "true",
                });
            }
        }
        images
    }

    /// The seeded images in the trash now: image id -> the name it had.
    fn trash(&self) -> BTreeMap<String, String> {
        self.rbd_json(&["trash", "ls", "--long", self.name()])
            .as_array()
            .expect("a list")
            .iter()
            .filter(|entry| self.images.iter().any(|id| entry["id"] == id.as_str()))
            .map(|entry| {
                (
                    entry["id"].as_str().expect("an id").to_string(),
                    entry["name"].as_str().expect("a name").to_string(),
                )
            })
            .collect()
    }

    /// Snapshots of a trashed image.
    fn trashed_snapshots(&self, image_id: &str) -> Vec<String> {
        self.rbd_json(&["snap", "ls", "-p", self.name(), "--image-id", image_id])
            .as_array()
            .expect("a list")
            .iter()
            .map(|s| s["name"].as_str().expect("a name").to_string())
            .collect()
    }

    fn track(&self, api_var: &'static str, kind: &'static str, id: &str) {
        self.records
            .borrow_mut()
            .push((api_var, kind, id.to_string()));
    }

    fn untrack(&self, id: &str) {
        self.records
            .borrow_mut()
            .retain(|(_, _, known)| known != id);
    }

    /// The images in the pool that are clones of a seeded image's snapshot now: name ->
    /// `image@snapshot` of the parent, from `rbd ls -l`.
    fn clones(&self) -> BTreeMap<String, String> {
        let listing = self.rbd_json(&["ls", "-l", self.name()]);
        let seeded: Vec<String> = self.images().into_keys().collect();
        listing
            .as_array()
            .expect("a list")
            .iter()
            .filter(|entry| entry["snapshot"].is_null())
            .filter(|entry| {
                seeded
                    .iter()
                    .any(|image| entry["parent"]["image"] == *image)
            })
            .map(|entry| {
                let parent = &entry["parent"];
                (
                    entry["image"].as_str().expect("a name").to_string(),
                    format!(
                        "{}@{}",
                        parent["image"].as_str().expect("a parent image"),
                        parent["snapshot"].as_str().expect("a parent snapshot")
                    ),
                )
            })
            .collect()
    }

    fn track_created(&self, id: &str) {
        self.created.borrow_mut().push(id.to_string());
    }

    /// Deletes the volumes created from the seeded snapshots, and their images if
    /// Cinder left them.
    fn delete_created(&self) -> Result<(), String> {
        let deployment = Deployment::new(self.harness, "SNAPPORT_E2E_API");
        for id in self.created.take() {
            let path = deployment.url(&format!("/volumes/{id}"));
            let answer = self.harness.request("DELETE", &path, true, None);
            if ![202, 404].contains(&answer.status) {
                return Err(format!(
                    "delete volume {id}: {} {}",
                    answer.status, answer.body
                ));
            }
            deployment.wait_gone("volumes", &id, Duration::from_secs(60))?;
            self.rbd(&["rm", &self.spec(&format!("volume-{id}"))]);
        }
        Ok(())
    }

    fn clean_up(&self) -> Result<(), String> {
        self.delete_created()?;
        // snapshots before the volumes they belong to
        let mut records = self.records.take();
        records.sort_by_key(|(_, kind, _)| *kind != "snapshots");
        for (api_var, kind, id) in &records {
            let deployment = Deployment::new(self.harness, api_var);
            deployment.unmanage(kind, id)?;
        }
        for (id, name) in self.trash() {
            let out = self.rbd(&["trash", "restore", "-p", self.name(), &id]);
            if !out.status.success() {
                return Err(format!(
                    "rbd trash restore {id} ({name}): {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        for (image, snapshots) in self.images() {
            let spec = self.spec(&image);
            for snapshot in snapshots.iter().filter(|s| s.protected) {
                self.rbd(&["snap", "unprotect", &format!("{spec}@{}", snapshot.name)]);
            }
            self.rbd(&["snap", "purge", &spec]);
            let out = self.rbd(&["rm", &spec]);
            if !out.status.success() {
                return Err(format!(
                    "rbd rm {spec}: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        Ok(())
    }
}

impl Drop for Pool<'_> {
    fn drop(&mut self) {
        let result = self.clean_up();
        if !std::thread::panicking() {
            result.expect("the seeded images and records are removed");
        }
    }
}

/// One of the harness's Cinder deployments, by the env.sh variable of its API.
struct Deployment<'h> {
    harness: &'h Harness,
    api_var: &'static str,
}

impl<'h> Deployment<'h> {
    fn new(harness: &'h Harness, api_var: &'static str) -> Self {
        Self { harness, api_var }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.harness.var(self.api_var))
    }

    fn get(&self, path: &str) -> cinder_harness::Answer {
        self.harness.request("GET", &self.url(path), true, None)
    }

    /// Waits until `GET /{kind}/{id}` answers 404: the record is gone.
    fn wait_gone(&self, kind: &str, id: &str, within: Duration) -> Result<(), String> {
        let deadline = std::time::Instant::now() + within;
        loop {
            let answer = self.get(&format!("/{kind}/{id}"));
            if answer.status == 404 {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("{kind}/{id} still there: {}", answer.body));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn unmanage(&self, kind: &str, id: &str) -> Result<(), String> {
        let answer = self.harness.request(
            "POST",
            &self.url(&format!("/{kind}/{id}/action")),
            true,
            Some(json!({"os-unmanage": null})),
        );
        match answer.status {
            202 => self.wait_gone(kind, id, Duration::from_secs(60)),
            404 => Ok(()),
            status => Err(format!("unmanage {kind}/{id}: {status} {}", answer.body)),
        }
    }
}

fn uuid() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/uuid")
        .expect("a kernel uuid")
        .trim()
        .to_string()
}

/// Imports `image` as a volume of deployment a's RBD host with snapport; its id.
fn import_volume(h: &Harness, pool: &Pool, image: &str) -> String {
    let volume = h.snapport_json(&[
        "volume",
        "manage",
        "--host",
        h.var("SNAPPORT_E2E_RBD_POOL"),
        "--ref",
        image,
        "--name",
        "e2e-rbd-volume",
    ]);
    let id = volume["id"].as_str().expect("id").to_string();
    pool.track("SNAPPORT_E2E_API", "volumes", &id);
    assert_eq!(volume["status"], "available", "{volume}");
    id
}

/// Imports snapshot `name` of volume `volume_id` with snapport; its id.
fn import_snapshot(h: &Harness, pool: &Pool, volume_id: &str, name: &str) -> String {
    let snapshot = h.snapport_json(&[
        "snapshot", "manage", "--volume", volume_id, "--ref", name, "--name", name,
    ]);
    let id = snapshot["id"].as_str().expect("id").to_string();
    pool.track("SNAPPORT_E2E_API", "snapshots", &id);
    assert_eq!(snapshot["status"], "available", "{snapshot}");
    assert_eq!(snapshot["volume_id"], volume_id, "{snapshot}");
    id
}

fn snap(name: &str, protected: bool) -> RbdSnapshot {
    RbdSnapshot {
        name: name.to_string(),
        protected,
    }
}

/// The entries of a manageable listing whose reference or source reference is one of
/// `images`, as (source reference, reference, safe) sorted.
fn listed(listing: &Value, images: &[&str]) -> Vec<(String, String, bool)> {
    let mut rows: Vec<_> = listing
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| {
            images.iter().any(|i| {
                e["reference"]["source-name"] == *i || e["source_reference"]["source-name"] == *i
            })
        })
        .map(|e| {
            (
                e["source_reference"]["source-name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                e["reference"]["source-name"]
                    .as_str()
                    .expect("a reference")
                    .to_string(),
                e["safe_to_manage"].as_bool().expect("a verdict"),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn snapport_imports_and_exports_rbd_images_and_snapshots_as_the_rbd_driver_renames_them() {
    let Some(h) = harness() else { return };
    let (pool, images) = Pool::seed(&h, &[&["daily", "weekly"]]);
    let image = images[0].as_str();
    let host = h.var("SNAPPORT_E2E_RBD_VOLHOST");

    // snapport's listings agree with python-cinderclient's
    let volumes = h.snapport_json(&["volume", "manageable", "--host", host]);
    let snapshots = h.snapport_json(&["snapshot", "manageable", "--host", host]);
    let reference = h.script_json("reference_client.py", &["view", "--backend", "rbd"]);
    assert_eq!(
        listed(&volumes, &[image]),
        listed(&reference["manageable_volumes"], &[image])
    );
    assert_eq!(
        listed(&snapshots, &[image]),
        listed(&reference["manageable_snapshots"], &[image])
    );
    assert_eq!(
        listed(&snapshots, &[image]),
        vec![
            (image.to_string(), "daily".to_string(), true),
            (image.to_string(), "weekly".to_string(), true),
        ]
    );

    let volume = import_volume(&h, &pool, image);
    let daily = import_snapshot(&h, &pool, &volume, "daily");
    // the image is now volume-<id>, the imported snapshot snapshot-<id> and protected
    let managed_image = format!("volume-{volume}");
    let renamed = format!("snapshot-{daily}");
    assert_eq!(
        pool.images(),
        BTreeMap::from([(
            managed_image.clone(),
            vec![snap(&renamed, true), snap("weekly", false)]
        )])
    );

    // export: Cinder forgets it, Ceph keeps it under its name, unprotected
    h.snapport()
        .args(["snapshot", "unmanage", &daily, "--yes"])
        .assert()
        .success();
    pool.untrack(&daily);
    assert_eq!(
        Deployment::new(&h, "SNAPPORT_E2E_API")
            .get(&format!("/snapshots/{daily}"))
            .status,
        404
    );
    assert_eq!(
        pool.images(),
        BTreeMap::from([(
            managed_image.clone(),
            vec![snap(&renamed, false), snap("weekly", false)]
        )])
    );
    let snapshots = h.snapport_json(&["snapshot", "manageable", "--host", host]);
    assert_eq!(
        listed(&snapshots, &[&managed_image]),
        vec![
            (managed_image.clone(), renamed.clone(), true),
            (managed_image.clone(), "weekly".to_string(), true),
        ],
        "the exported snapshot is offered again"
    );
}

#[test]
fn snapport_refuses_a_double_import_and_another_images_snapshot_before_sending() {
    let Some(h) = harness() else { return };
    let (pool, images) = Pool::seed(&h, &[&["daily"], &["only-on-b"]]);
    let volume = import_volume(&h, &pool, &images[0]);
    let daily = import_snapshot(&h, &pool, &volume, "daily");
    let before = h.posts();

    // Cinder's RBD driver would rename the snapshot again and leave the first record
    // pointing at nothing
    let again = h.snapport_fails(
        &[
            "snapshot",
            "manage",
            "--volume",
            &volume,
            "--ref",
            &format!("snapshot-{daily}"),
        ],
        1,
    );
    assert!(again.contains("already managed"), "{again}");
    assert!(again.contains(&daily), "names the owner: {again}");

    // Cinder would accept it (202) and fail later with the reason only in its log
    let foreign = h.snapport_fails(
        &[
            "snapshot",
            "manage",
            "--volume",
            &volume,
            "--ref",
            "only-on-b",
        ],
        1,
    );
    assert!(foreign.contains(&images[1]), "names where it is: {foreign}");
    assert_eq!(h.posts(), before, "nothing was sent to Cinder");
    assert_eq!(
        pool.images()[&format!("volume-{volume}")],
        vec![snap(&format!("snapshot-{daily}"), true)]
    );
}

#[test]
fn the_export_warning_says_what_a_later_delete_does_on_rbd() {
    let Some(h) = harness() else { return };
    let (pool, images) = Pool::seed(&h, &[&["daily"]]);
    let volume = import_volume(&h, &pool, &images[0]);
    let daily = import_snapshot(&h, &pool, &volume, "daily");
    let export = h
        .snapport()
        .args(["snapshot", "unmanage", &daily, "--yes"])
        .assert()
        .success();
    pool.untrack(&daily);
    let warning = String::from_utf8_lossy(&export.get_output().stderr).into_owned();

    // what the warning is about: delete the parent volume while Ceph still holds the
    // exported snapshot
    let a = Deployment::new(&h, "SNAPPORT_E2E_API");
    let delete = h.request("DELETE", &a.url(&format!("/volumes/{volume}")), true, None);
    assert_eq!(delete.status, 202, "{}", delete.body);
    // the driver retries for ~15 s before it moves the image to the trash
    a.wait_gone("volumes", &volume, Duration::from_secs(120))
        .expect("Cinder deletes the volume");
    pool.untrack(&volume);
    assert!(pool.images().is_empty(), "the image left the pool");
    let trash = pool.trash();
    assert_eq!(
        trash.values().collect::<Vec<_>>(),
        vec![&format!("volume-{volume}")],
        "the image is in the RBD trash"
    );
    let (image_id, _) = trash.first_key_value().expect("one trashed image");
    assert_eq!(
        pool.trashed_snapshots(image_id),
        vec![format!("snapshot-{daily}")],
        "with the exported snapshot"
    );

    assert!(
        warning.contains("trash") && !warning.contains("VolumeIsBusy"),
        "the warning says what RBD does: {warning}"
    );
}

#[test]
fn snapport_moves_a_volume_with_snapshots_between_two_clouds_on_one_ceph_pool_and_back() {
    let Some(h) = harness() else { return };
    let (pool, images) = Pool::seed(&h, &[&["daily", "weekly"]]);
    let volume = import_volume(&h, &pool, &images[0]);
    let daily = import_snapshot(&h, &pool, &volume, "daily");
    let weekly = import_snapshot(&h, &pool, &volume, "weekly");
    let b_host = h.var("SNAPPORT_E2E_B_RBD_POOL");
    let plan = h.home.path().join("plan.json");
    let journal = h.home.path().join("plan.journal.jsonl");

    h.snapport_bare()
        .args(["migrate", "plan", "--from", "e2e", "--to", "e2e-b"])
        .args(["--target-host", b_host, "-o"])
        .arg(&plan)
        .arg(&volume)
        .assert()
        .success();
    let applied = h
        .snapport_bare()
        .args(["migrate", "apply", "--yes", "--journal"])
        .arg(&journal)
        .arg(&plan)
        .output()
        .expect("snapport runs");
    let map = h.id_map(&journal);
    for entry in map["entries"].as_array().expect("entries") {
        if let Some(id) = entry["target_id"].as_str() {
            let kind = if entry["kind"] == "volume" {
                "volumes"
            } else {
                "snapshots"
            };
            pool.track("SNAPPORT_E2E_B_API", kind, id);
        }
    }
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    for id in [&volume, &daily, &weekly] {
        pool.untrack(id);
    }

    // b manages them on its RBD host; a forgot them; Ceph renamed them to b's ids
    let b = Deployment::new(&h, "SNAPPORT_E2E_B_API");
    let a = Deployment::new(&h, "SNAPPORT_E2E_API");
    let b_volume = moved_to(&map, &volume);
    let on_b = b.get(&format!("/volumes/{b_volume}"));
    assert_eq!(
        on_b.body["volume"]["os-vol-host-attr:host"], b_host,
        "{}",
        on_b.body
    );
    assert_eq!(on_b.body["volume"]["status"], "available");
    assert_eq!(a.get(&format!("/volumes/{volume}")).status, 404);
    let b_daily = moved_to(&map, &daily);
    let b_weekly = moved_to(&map, &weekly);
    for id in [&b_daily, &b_weekly] {
        let snapshot = b.get(&format!("/snapshots/{id}"));
        assert_eq!(snapshot.body["snapshot"]["volume_id"], b_volume.as_str());
        assert_eq!(snapshot.body["snapshot"]["status"], "available");
    }
    let mut expected = vec![
        snap(&format!("snapshot-{b_daily}"), true),
        snap(&format!("snapshot-{b_weekly}"), true),
    ];
    expected.sort_by(|x, y| x.name.cmp(&y.name));
    let mut images_now = pool.images();
    for snapshots in images_now.values_mut() {
        snapshots.sort_by(|x, y| x.name.cmp(&y.name));
    }
    assert_eq!(
        images_now,
        BTreeMap::from([(format!("volume-{b_volume}"), expected)]),
        "renamed to b's ids, snapshots protected"
    );
    assert!(pool.trash().is_empty(), "nothing in the trash");

    // and back: a manages them again under new ids
    h.snapport_bare()
        .args(["migrate", "rollback", "--yes"])
        .arg(&journal)
        .assert()
        .success();
    let map = h.id_map(&journal);
    for entry in map["entries"].as_array().expect("entries") {
        assert_eq!(entry["placement"], "rolled_back", "{entry}");
        let id = entry["rollback_id"].as_str().expect("a rollback id");
        let kind = if entry["kind"] == "volume" {
            "volumes"
        } else {
            "snapshots"
        };
        pool.track("SNAPPORT_E2E_API", kind, id);
    }
    for id in [&b_volume, &b_daily, &b_weekly] {
        pool.untrack(id);
    }
    assert_eq!(b.get(&format!("/volumes/{b_volume}")).status, 404);
    let images_now = pool.images();
    assert_eq!(images_now.len(), 1, "{images_now:?}");
    let (image, snapshots) = images_now.first_key_value().expect("the image");
    let a_volume = image.strip_prefix("volume-").expect("a volume image");
    assert_eq!(
        a.get(&format!("/volumes/{a_volume}")).body["volume"]["status"],
        "available"
    );
    assert_eq!(snapshots.len(), 2, "{snapshots:?}");
    for snapshot in snapshots {
        let id = snapshot
            .name
            .strip_prefix("snapshot-")
            .expect("a managed name");
        assert!(snapshot.protected, "{snapshot:?}");
        let record = a.get(&format!("/snapshots/{id}"));
        assert_eq!(
            record.body["snapshot"]["volume_id"], a_volume,
            "{}",
            record.body
        );
    }
    assert!(pool.trash().is_empty(), "nothing in the trash");
}

#[test]
fn snapshots_of_one_name_on_two_images_each_land_on_their_own_volume_in_either_order() {
    let Some(h) = harness() else { return };
    let (pool, images) = Pool::seed(&h, &[&["daily"], &["daily"], &["daily"], &["daily"]]);
    let volumes: Vec<String> = images
        .iter()
        .map(|image| import_volume(&h, &pool, image))
        .collect();
    // the first pair in listing order, the second the other way round
    for order in [[0, 1], [3, 2]] {
        for index in order {
            let id = import_snapshot(&h, &pool, &volumes[index], "daily");
            let image = format!("volume-{}", volumes[index]);
            assert_eq!(
                pool.images()[&image],
                vec![snap(&format!("snapshot-{id}"), true)],
                "{image}'s own daily was imported"
            );
        }
    }
}

#[test]
fn the_console_wizard_moves_an_rbd_volume_to_the_other_cloud_on_the_same_pool() {
    let Some(h) = harness() else { return };
    tmux::require_prerequisites();
    let (pool, images) = Pool::seed(&h, &[&["daily"]]);
    let volume = import_volume(&h, &pool, &images[0]);
    let daily = import_snapshot(&h, &pool, &volume, "daily");
    let migrations = h.home.path().join("state/snapport/migrations");

    let tmux = e2e_console::console_on_volume(
        &h,
        h.var("SNAPPORT_E2E_RBD_POOL"),
        "e2e-rbd-volume",
        &volume,
    );
    // b's host on the same Ceph pool is offered first, before its LVM host
    let hosts = e2e_console::migrate_to_b(&h, &tmux);
    let offered = hosts
        .lines()
        .find(|line| line.contains("│> "))
        .unwrap_or_default();
    assert!(
        offered.contains(h.var("SNAPPORT_E2E_B_RBD_POOL")),
        "{hosts}"
    );
    let review = e2e_console::migrate_one_volume(&tmux);
    assert!(
        review.contains(&format!("manage snapshot snapshot-{daily}")),
        "RBD's snapshot name: {review}"
    );

    let journal = std::fs::read_dir(&migrations)
        .expect("the migrations dir")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.to_string_lossy().ends_with(".journal.jsonl"))
        .expect("the wizard's journal");
    let map = h.id_map(&journal);
    let b_volume = moved_to(&map, &volume);
    let b_daily = moved_to(&map, &daily);
    pool.track("SNAPPORT_E2E_B_API", "volumes", &b_volume);
    pool.track("SNAPPORT_E2E_B_API", "snapshots", &b_daily);
    pool.untrack(&volume);
    pool.untrack(&daily);
    assert_eq!(
        pool.images(),
        BTreeMap::from([(
            format!("volume-{b_volume}"),
            vec![snap(&format!("snapshot-{b_daily}"), true)]
        )]),
        "renamed to b's ids, the snapshot protected"
    );
    assert!(pool.trash().is_empty(), "nothing in the trash");
}

/// The blueprint's volume templates on RBD: volumes created from an imported snapshot
/// are clones of it (`rbd clone` by Cinder's driver), each on its own image; deleted,
/// the clones are gone and the parent snapshot can be exported and unprotected.
#[test]
fn volumes_created_from_an_imported_rbd_snapshot_are_clones_of_it() {
    let Some(h) = harness() else { return };
    let (pool, images) = Pool::seed(&h, &[&["golden"]]);
    let volume = import_volume(&h, &pool, &images[0]);
    let golden = import_snapshot(&h, &pool, &volume, "golden");

    let created = h.snapport_json(&[
        "volume",
        "create",
        "--snapshot",
        &golden,
        "--name",
        "e2e-from-golden",
        "--count",
        "2",
    ]);
    let ids: Vec<String> = created
        .as_array()
        .unwrap_or_else(|| panic!("a list: {created}"))
        .iter()
        .map(|item| {
            let id = item["id"].as_str().unwrap_or_else(|| panic!("{item}"));
            pool.track_created(id);
            id.to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2, "{created}");
    let parent = format!("volume-{volume}@snapshot-{golden}");
    let expected: BTreeMap<String, String> = ids
        .iter()
        .map(|id| (format!("volume-{id}"), parent.clone()))
        .collect();
    assert_eq!(pool.clones(), expected, "Cinder cloned the snapshot");
    for (index, id) in ids.iter().enumerate() {
        let shown = h.get(&format!("/volumes/{id}"));
        assert_eq!(shown["volume"]["status"], "available", "{shown}");
        assert_eq!(shown["volume"]["snapshot_id"], golden.as_str());
        assert_eq!(
            shown["volume"]["name"],
            format!("e2e-from-golden-{}", index + 1).as_str()
        );
    }

    // the clones first: Ceph unprotects no snapshot that has clones
    let mut delete = h.snapport();
    delete.args(["volume", "delete", "--yes"]).args(&ids);
    delete.assert().success();
    pool.created.take();
    assert!(pool.clones().is_empty(), "{:?}", pool.clones());
    h.snapport()
        .args(["snapshot", "unmanage", "--yes", &golden])
        .assert()
        .success();
    pool.untrack(&golden);
    assert_eq!(
        pool.images()[&format!("volume-{volume}")],
        vec![snap(&format!("snapshot-{golden}"), false)],
        "no clone left: unprotected on export"
    );
}
