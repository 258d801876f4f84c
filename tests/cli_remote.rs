//! The snapport binary with `--os-cloud` against the fake Cinder and Keystone: the same
//! `-f json` shapes as the local back end, exit codes, and nothing sent when read-only.

mod isolated;
mod migrate_env;
mod support;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use axum::http::Method;
use serde_json::Value;
use support::fake_cinder::{FakeCloud, FakeConfig, RootAnswer, Storage};
use support::{Login, cloud_entry, password_yaml};
use tempfile::TempDir;

/// The JSON keys of each resource, as the local back end prints them.
const HOST_KEYS: &[&str] = &[
    "host",
    "cluster",
    "driver",
    "storage",
    "zone",
    "status",
    "state",
    "updated_at",
    "total_capacity_gb",
    "free_capacity_gb",
];
const VOLUME_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "status",
    "size",
    "host",
    "created_at",
    "metadata",
    "attached",
];
const SNAPSHOT_KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "status",
    "size",
    "volume_id",
    "created_at",
    "metadata",
];
const MANAGEABLE_VOLUME_KEYS: &[&str] = &[
    "reference",
    "size",
    "safe_to_manage",
    "reason_not_safe",
    "cinder_id",
    "extra_info",
];
const MANAGEABLE_SNAPSHOT_KEYS: &[&str] = &[
    "reference",
    "size",
    "safe_to_manage",
    "reason_not_safe",
    "cinder_id",
    "extra_info",
    "source_reference",
];

struct Env {
    cloud: FakeCloud,
    dir: TempDir,
}

impl Env {
    fn new() -> Self {
        Self::with(FakeConfig::default())
    }

    /// A cloud with `config`, statuses settling on the first poll.
    fn with(config: FakeConfig) -> Self {
        Self::on(Storage::new("node@lvm", "lvm"), config)
    }

    /// A cloud in front of an RBD pool (host `node@rbd#rbd`).
    fn rbd() -> Self {
        Self::on(Storage::rbd("node@rbd", "rbd"), FakeConfig::default())
    }

    fn on(storage: Arc<Storage>, config: FakeConfig) -> Self {
        let config = FakeConfig {
            polls_to_settle: 1,
            ..config
        };
        let cloud = FakeCloud::start(storage, config);
        let dir = TempDir::new().unwrap();
        let clouds = dir.path().join("my-clouds.yaml");
        std::fs::write(&clouds, password_yaml(&cloud)).unwrap();
        // It holds a password: only its owner reads it, as an operator keeps it.
        std::fs::set_permissions(&clouds, std::fs::Permissions::from_mode(0o600)).unwrap();
        Self { cloud, dir }
    }

    /// The binary with `--os-cloud fake`.
    fn snapport(&self) -> assert_cmd::Command {
        let mut command = self.binary();
        command.args(["--os-cloud", "fake"]);
        command
    }

    /// The binary; clouds.yaml found through OS_CLIENT_CONFIG_FILE, every XDG directory
    /// inside the test's own.
    fn binary(&self) -> assert_cmd::Command {
        let root = self.dir.path();
        let mut command = isolated::snapport_cmd(root);
        command.env("OS_CLIENT_CONFIG_FILE", root.join("my-clouds.yaml"));
        command
    }

    fn json(&self, args: &[&str]) -> Value {
        let output = self
            .snapport()
            .args(args)
            .args(["-f", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&output)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", String::from_utf8_lossy(&output)))
    }

    fn posts(&self) -> usize {
        self.cloud.requests_to("POST", "/volume/").len()
    }
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

fn assert_keys(value: &Value, expected: &[&str]) {
    assert_eq!(keys(value), expected.iter().copied().collect(), "{value}");
}

/// Reads every log file under the state directory: there must be one, without `secret`.
fn logs_have_no(state: &Path, secret: &str) {
    let logs = walk(state);
    assert!(!logs.is_empty(), "no log written under {}", state.display());
    for entry in logs {
        let text = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains(secret),
            "{} contains a secret",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn lists_have_the_local_back_ends_shapes() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 2);
    let snapshot = env.cloud.seed_snapshot(&volume, "snap-a");
    env.cloud
        .storage()
        .add_snapshot_lv("snap-b", &format!("volume-{volume}"), 2);
    env.cloud.storage().add_volume_lv("lv-free", 1);

    let hosts = env.json(&["host", "list"]);
    assert_eq!(hosts.as_array().unwrap().len(), 1);
    assert_keys(&hosts[0], HOST_KEYS);
    assert_eq!(hosts[0]["host"], "node@lvm#lvm");
    assert_eq!(hosts[0]["driver"], "lvm-thick");
    assert_eq!(hosts[0]["cluster"], Value::Null);

    let volumes = env.json(&["volume", "list"]);
    assert_keys(&volumes[0], VOLUME_KEYS);
    assert_eq!(
        (volumes[0]["id"].as_str(), volumes[0]["attached"].as_bool()),
        (Some(volume.as_str()), Some(false))
    );

    let snapshots = env.json(&["snapshot", "list", "--volume", &volume]);
    assert_keys(&snapshots[0], SNAPSHOT_KEYS);
    assert_eq!(snapshots[0]["id"], snapshot.as_str());

    let manageable = env.json(&["snapshot", "manageable", "--host", "node@lvm#lvm"]);
    let entries = manageable.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for entry in entries {
        assert_keys(entry, MANAGEABLE_SNAPSHOT_KEYS);
    }
    let b = entries
        .iter()
        .find(|e| e["reference"]["source-name"] == "snap-b")
        .unwrap();
    assert_eq!(b["safe_to_manage"], true);
    assert_eq!(
        b["source_reference"]["source-name"],
        format!("volume-{volume}")
    );

    let volumes = env.json(&["volume", "manageable", "--host", "node@lvm"]);
    for entry in volumes.as_array().unwrap() {
        assert_keys(entry, MANAGEABLE_VOLUME_KEYS);
    }
    let state = env.dir.path().join("state");
    logs_have_no(&state, support::fake_cinder::PASSWORD);
    for token in env.cloud.issued_tokens() {
        logs_have_no(&state, &token);
    }
}

#[test]
fn snapshots_are_imported_and_exported() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 2);
    env.cloud
        .storage()
        .add_snapshot_lv("snap-b", &format!("volume-{volume}"), 2);

    let managed = env.json(&[
        "snapshot",
        "manage",
        "--volume",
        &volume,
        "--ref",
        "snap-b",
        "--name",
        "nightly",
        "--property",
        "ticket=OPS-1",
    ]);
    assert_keys(&managed, SNAPSHOT_KEYS);
    assert_eq!(managed["status"], "available");
    assert_eq!(managed["name"], "nightly");
    assert_eq!(managed["metadata"]["ticket"], "OPS-1");
    let id = managed["id"].as_str().unwrap().to_string();

    let output = env
        .snapport()
        .args(["snapshot", "unmanage", "--yes", &id])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("snapshot {id} unmanaged")),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("VolumeIsBusy"),
        "the export warning is shown: {stderr}"
    );
    assert!(env.cloud.snapshot_status(&id).is_none(), "Cinder forgot it");
    assert!(
        env.cloud.storage().lv(&format!("_snapshot-{id}")).is_some(),
        "its data stays"
    );
}

#[test]
fn volumes_are_imported_and_exported() {
    let env = Env::new();
    env.cloud.storage().add_volume_lv("lv-free", 3);
    let managed = env.json(&[
        "volume",
        "manage",
        "--host",
        "node@lvm#lvm",
        "--ref",
        "lv-free",
        "--name",
        "adopted",
    ]);
    assert_keys(&managed, VOLUME_KEYS);
    assert_eq!(
        (managed["status"].as_str(), managed["size"].as_u64()),
        (Some("available"), Some(3))
    );
    let id = managed["id"].as_str().unwrap().to_string();
    env.snapport()
        .args(["volume", "unmanage", "--yes", &id])
        .assert()
        .success();
    assert!(env.cloud.volume_status(&id).is_none());
}

#[test]
fn refusals_exit_with_one_line_and_send_nothing() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 1);
    let snapshot = env.cloud.seed_snapshot(&volume, "s");
    let lv = format!("_snapshot-{snapshot}");

    let output = env
        .snapport()
        .args([
            "snapshot", "manage", "--volume", &volume, "--ref", &lv, "--force",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: ManageExistingAlreadyManaged:"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");

    env.snapport()
        .args(["--read-only", "snapshot", "unmanage", "--yes", &snapshot])
        .assert()
        .code(3);
    assert_eq!(env.posts(), 0);
    assert_eq!(
        env.cloud.snapshot_status(&snapshot).as_deref(),
        Some("available")
    );

    let output = env
        .binary()
        .args(["--os-cloud", "nope", "host", "list"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cloud 'nope' is not defined") && stderr.contains("clouds: fake"),
        "{stderr}"
    );
}

#[test]
fn a_proxy_that_hides_the_version_root_is_seen_through() {
    let env = Env::with(FakeConfig {
        root: RootAnswer::NotFound,
        max_version: 64,
        ..FakeConfig::default()
    });
    env.cloud.seed_volume("vol-a", 1);
    let volumes = env.json(&["volume", "list"]);
    assert_eq!(volumes[0]["name"], "vol-a");
    let listing = env
        .cloud
        .requests_to("GET", "volumes/detail")
        .pop()
        .unwrap();
    assert_eq!(listing.header("OpenStack-API-Version"), Some("volume 3.64"));

    env.cloud.inject(
        Method::GET,
        "/volume/v3/",
        404,
        "text/html",
        "<html><h1>404 Not Found</h1></html>",
    );
    let output = env
        .snapport()
        .args(["volume", "list"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let base = &env.cloud.base;
    // each URL is named with the catalog entry it came from
    let origin = "(catalog endpoint of region RegionOne, interface public)";
    assert!(
        stderr.contains(&format!(
            "GET {base}/volume/ {origin} returned HTTP 404 Not Found"
        )) && stderr.contains(&format!(
            "GET {base}/volume/v3/ {origin} returned HTTP 404 Not Found"
        )),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}

#[test]
fn several_references_import_as_one_batch_with_one_listing_and_report_in_input_order() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 1);
    let origin = format!("volume-{volume}");
    let lvs: Vec<String> = (0..5).map(|i| format!("snap-{i}")).collect();
    for lv in &lvs {
        env.cloud.storage().add_snapshot_lv(lv, &origin, 1);
    }
    let mut args = vec!["snapshot", "manage", "--volume", volume.as_str()];
    for lv in [
        "snap-0",
        "no-such-lv",
        "snap-1",
        "snap-2",
        "snap-3",
        "snap-4",
    ] {
        args.extend(["--ref", lv]);
    }
    args.extend(["--property", "ticket=OPS-7", "-f", "json"]);
    let output = env
        .snapport()
        .args(&args)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let results: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = results.as_array().unwrap();
    let references: Vec<&str> = results
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        references,
        [
            "snap-0",
            "no-such-lv",
            "snap-1",
            "snap-2",
            "snap-3",
            "snap-4"
        ],
        "input order"
    );
    let missing = results[1]["error"].as_str().unwrap();
    assert!(
        missing.starts_with("ManageExistingInvalidReference: no-such-lv does not exist"),
        "{missing}"
    );
    assert!(results[1].get("id").is_none());
    let ids: Vec<String> = [0, 2, 3, 4, 5]
        .iter()
        .map(|&i| results[i]["id"].as_str().unwrap().to_string())
        .collect();
    for (id, lv) in ids.iter().zip(&lvs) {
        let snapshot = env
            .json(&["snapshot", "list", "--volume", &volume])
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id.as_str())
            .cloned()
            .unwrap();
        assert_eq!(snapshot["name"], lv.as_str(), "named after its reference");
        assert_eq!(snapshot["metadata"]["ticket"], "OPS-7");
    }
    assert_eq!(
        env.cloud.requests_to("GET", "manageable_snapshots").len(),
        1,
        "one listing for six references"
    );

    let mut args = vec!["snapshot", "unmanage", "--yes", "-f", "json"];
    args.extend(ids.iter().map(String::as_str));
    let exported = env
        .snapport()
        .args(&args)
        .assert()
        .success()
        .get_output()
        .clone();
    let exported: Value = serde_json::from_slice(&exported.stdout).unwrap();
    let expected: Vec<Value> = ids
        .iter()
        .map(|id| serde_json::json!({ "id": id }))
        .collect();
    assert_eq!(exported, Value::Array(expected));
    assert!(ids.iter().all(|id| env.cloud.snapshot_status(id).is_none()));

    env.snapport()
        .args(["batch", "list"])
        .assert()
        .success()
        .stderr(predicates::str::contains("no unfinished batches"));
}

#[test]
fn a_file_of_rows_imports_volumes_and_snapshots_from_stdin() {
    let env = Env::new();
    env.cloud.storage().add_volume_lv("lv-free", 2);
    let volume = env.cloud.seed_volume("vol-a", 1);
    env.cloud
        .storage()
        .add_snapshot_lv("snap-x", &format!("volume-{volume}"), 1);
    let csv = format!(
        "kind,reference,parent,name,description,properties\n\
         volume,lv-free,node@lvm#lvm,adopted,from a file,team=storage\n\
         snapshot,snap-x,{volume},,,\n"
    );
    let output = env
        .snapport()
        .args(["batch", "import", "-"])
        .write_stdin(csv)
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("lv-free -> "), "{stdout}");
    assert!(lines[1].starts_with("snap-x -> "), "{stdout}");
    let volumes = env.json(&["volume", "list"]);
    let adopted = volumes
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "adopted")
        .unwrap();
    assert_eq!(adopted["description"], "from a file");
    assert_eq!(adopted["metadata"]["team"], "storage");
    let snapshots = env.json(&["snapshot", "list", "--volume", &volume]);
    assert_eq!(snapshots[0]["name"], "snap-x");

    env.snapport()
        .args(["batch", "import", "-"])
        .write_stdin("kind,reference,parent\nbackup,x,y\n")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("line 2"));
}

/// The error line of a refused `snapshot manage --volume VOLUME --ref REFERENCE`.
fn refused_import(env: &Env, volume: &str, reference: &str) -> String {
    let output = env
        .snapport()
        .args(["snapshot", "manage", "--volume", volume, "--ref", reference])
        .assert()
        .code(1)
        .get_output()
        .clone();
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn rbd_snapshots_of_one_name_are_imported_each_under_the_volume_named() {
    let env = Env::rbd();
    let [a, b] = env.cloud.seed_two_images_with("daily");
    env.cloud
        .storage()
        .add_image_snapshot(&format!("volume-{a}"), "weekly", 1);
    let mut ids = Vec::new();
    for volume in [&b, &a] {
        let snapshot = env.json(&["snapshot", "manage", "--volume", volume, "--ref", "daily"]);
        assert_eq!(snapshot["volume_id"], volume.as_str());
        ids.push(snapshot["id"].as_str().unwrap().to_string());
    }
    assert_eq!(env.posts(), 2);

    let renamed = format!("snapshot-{}", ids[1]);
    let stderr = refused_import(&env, &a, &renamed);
    assert!(
        stderr.starts_with("error: ManageExistingAlreadyManaged:") && stderr.contains(&ids[1]),
        "{stderr}"
    );
    let stderr = refused_import(&env, &b, "weekly");
    assert!(
        stderr.starts_with("error: ManageExistingInvalidReference: weekly is listed on host node@rbd#rbd only as a snapshot of")
            && stderr.contains(&format!("volume-{a}, not of volume {b}")),
        "{stderr}"
    );
    assert_eq!(env.posts(), 2, "neither refusal reached Cinder");
}

#[test]
fn a_file_with_the_dailies_of_two_volumes_imports_each_under_its_volume() {
    let env = Env::rbd();
    let [a, b] = env.cloud.seed_two_images_with("daily");
    let csv = format!(
        "kind,reference,parent,name,description,properties\n\
         snapshot,daily,{a},,,\n\
         snapshot,daily,{b},,,\n"
    );
    let output = env
        .snapport()
        .args(["batch", "import", "-", "-f", "json"])
        .write_stdin(csv)
        .assert()
        .success()
        .get_output()
        .clone();
    let results: Value = serde_json::from_slice(&output.stdout).unwrap();
    for (result, volume) in results.as_array().unwrap().iter().zip([&a, &b]) {
        assert_eq!(result["reference"], "daily");
        let listed = env.json(&["snapshot", "list", "--volume", volume]);
        assert_eq!(listed[0]["id"], result["id"], "{results}");
        assert_eq!(listed[0]["name"], "daily");
    }
}

#[test]
fn an_interrupted_batch_of_two_dailies_resumes_each_under_its_volume() {
    use snapport::backend::{ManageSnapshotRequest, Reference};
    use snapport::batch::{Batch, BatchJournal, Item};
    use snapport::config::BackendSpec;

    let env = Env::rbd();
    let [a, b] = env.cloud.seed_two_images_with("daily");
    let daily = |volume: &str| Item {
        label: "daily".into(),
        action: ManageSnapshotRequest {
            volume_id: volume.into(),
            reference: Reference::name("daily"),
            name: Some("daily".into()),
            description: None,
            metadata: Default::default(),
            force: false,
            without_listing: false,
        }
        .into(),
    };
    let journal = env.dir.path().join("dailies.journal.jsonl");
    let batch = Batch {
        backend: BackendSpec::Cloud {
            cloud: Some("fake".into()),
        },
        label: "cloud fake".into(),
        items: vec![daily(&a), daily(&b)],
        in_order: false,
    };
    // Killed after the first item's call reached Cinder, before its result was written.
    BatchJournal::create(&journal, &batch)
        .unwrap()
        .intent(1)
        .unwrap();
    let first = env.json(&[
        "snapshot", "manage", "--volume", &a, "--ref", "daily", "--name", "daily",
    ]);

    let output = env
        .snapport()
        .args(["batch", "resume", "--yes"])
        .arg(&journal)
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let under_b = env.json(&["snapshot", "list", "--volume", &b]);
    let lines: Vec<String> = stdout.lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        [
            format!(
                "daily -> {} (found on the back end)",
                first["id"].as_str().unwrap()
            ),
            format!("daily -> {}", under_b[0]["id"].as_str().unwrap()),
        ],
        "{stdout}"
    );
    assert_eq!(env.posts(), 2, "the first daily was not imported twice");
}

#[test]
fn names_and_messages_from_outside_cannot_drive_the_terminal() {
    let env = Env::new();
    let hostile = "x\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mred";
    let volume = env.cloud.seed_volume(hostile, 1);
    env.cloud.seed_snapshot(&volume, hostile);
    let raw = |bytes: &[u8]| bytes.iter().any(|b| *b == 0x1b || *b == 0x07);

    for args in [["snapshot", "list"], ["volume", "list"]] {
        let out = env
            .snapport()
            .args(args)
            .assert()
            .success()
            .get_output()
            .clone();
        assert!(
            !raw(&out.stdout),
            "{args:?}: {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        let table = String::from_utf8_lossy(&out.stdout);
        assert!(
            table.contains("x\\e]0;pwned\\x07\\e[2J\\e[31mred"),
            "{table}"
        );
    }
    let listed = env.json(&["snapshot", "list"]);
    assert_eq!(listed[0]["name"], hostile, "JSON keeps the name exact");

    env.cloud.inject(
        Method::GET,
        "/volumes/",
        404,
        "application/json",
        r#"{"itemNotFound": {"code": 404, "message": "Volume \u001b[2Jgone could not be found."}}"#,
    );
    let out = env
        .snapport()
        .args(["snapshot", "manage", "--volume", &volume, "--ref", "lv"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(
        !raw(&out.stderr),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Volume \\e[2Jgone could not be found."),
        "Cinder's words, made visible: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_secret_in_a_file_others_can_read_draws_a_warning_naming_it() {
    let env = Env::new();
    let clouds = env.dir.path().join("my-clouds.yaml");
    let quiet = env
        .snapport()
        .args(["host", "list"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(
        !String::from_utf8_lossy(&quiet.stderr).contains("chmod"),
        "0600 is how it should be"
    );
    std::fs::set_permissions(&clouds, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env
        .snapport()
        .args(["host", "list"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{} holds this cloud's secret and other users can read it: chmod 600",
            clouds.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains(support::fake_cinder::PASSWORD), "{stderr}");
}

/// The audit file's records, one per line.
fn audit_records(env: &Env) -> Vec<Value> {
    let path = env.dir.path().join("state/snapport/audit.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text.lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object a line"))
        .collect()
}

/// The request id the fake answered the POST whose path contains `part` with, the
/// `index`-th of them.
fn post_request_id(env: &Env, part: &str, index: usize) -> String {
    env.cloud.requests_to("POST", part)[index]
        .request_id
        .clone()
}

#[test]
fn every_import_and_export_attempt_is_audited_with_cinders_request_id() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 2);
    let seeded = env.cloud.seed_snapshot(&volume, "s");
    env.cloud
        .storage()
        .add_snapshot_lv("snap-b", &format!("volume-{volume}"), 2);

    let managed = env.json(&[
        "snapshot", "manage", "--volume", &volume, "--ref", "snap-b", "--name", "nightly",
    ]);
    let id = managed["id"].as_str().unwrap().to_string();
    env.snapport()
        .args(["snapshot", "unmanage", "--yes", &id])
        .assert()
        .success();
    env.snapport()
        .args([
            "snapshot",
            "manage",
            "--volume",
            &volume,
            "--ref",
            &format!("_snapshot-{seeded}"),
            "--force",
        ])
        .assert()
        .code(1);
    env.snapport()
        .args(["--read-only", "snapshot", "unmanage", "--yes", &seeded])
        .assert()
        .code(3);
    env.cloud.storage().add_volume_lv("lv-free", 1);
    env.cloud.inject(
        Method::POST,
        "/manageable_volumes",
        400,
        "application/json",
        r#"{"badRequest": {"code": 400, "message": "Cinder says no."}}"#,
    );
    env.snapport()
        .args([
            "volume",
            "manage",
            "--host",
            "node@lvm#lvm",
            "--ref",
            "lv-free",
        ])
        .assert()
        .code(1);

    let records = audit_records(&env);
    assert_eq!(records.len(), 5, "{records:#?}");
    for record in &records {
        assert!(record["time"].as_str().unwrap().ends_with('Z'), "{record}");
        assert!(!record["user"].as_str().unwrap().is_empty(), "{record}");
        assert_eq!(
            record["backend"],
            serde_json::json!({"kind": "cloud", "cloud": "fake", "user": "admin", "project": "admin"})
        );
    }
    let fields = |record: &Value| {
        (
            record["action"].as_str().unwrap().to_string(),
            record["target"].as_str().unwrap().to_string(),
            record["outcome"].as_str().unwrap().to_string(),
        )
    };
    let [import, export, refused, read_only, failed] = &records[..] else {
        unreachable!()
    };
    assert_eq!(
        fields(import),
        ("manage_snapshot".into(), "snap-b".into(), "done".into())
    );
    assert_eq!(import["new_id"], id.as_str());
    assert_eq!(import["params"]["volume_id"], volume.as_str());
    assert_eq!(import["params"]["name"], "nightly");
    assert_eq!(
        import["request_id"],
        post_request_id(&env, "/manageable_snapshots", 0).as_str()
    );

    assert_eq!(
        fields(export),
        ("unmanage_snapshot".into(), id.clone(), "done".into())
    );
    let unmanage_id = post_request_id(&env, "/action", 0);
    assert!(unmanage_id.starts_with("req-"), "{unmanage_id}");
    assert_eq!(export["request_id"], unmanage_id.as_str());

    assert_eq!(
        fields(refused),
        (
            "manage_snapshot".into(),
            format!("_snapshot-{seeded}"),
            "refused_check".into()
        )
    );
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .starts_with("ManageExistingAlreadyManaged:"),
        "{refused}"
    );
    assert!(refused.get("request_id").is_none(), "nothing was sent");

    assert_eq!(
        fields(read_only),
        (
            "unmanage_snapshot".into(),
            seeded.clone(),
            "refused_read_only".into()
        )
    );
    assert!(
        read_only["error"]
            .as_str()
            .unwrap()
            .starts_with("ReadOnly:")
    );

    assert_eq!(
        fields(failed),
        ("manage_volume".into(), "lv-free".into(), "failed".into())
    );
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("Cinder says no."),
        "{failed}"
    );
    assert_eq!(
        failed["request_id"],
        post_request_id(&env, "/manageable_volumes", 0).as_str()
    );
    assert_eq!(env.posts(), 3, "an import, an export, a failed import");

    let path = env.dir.path().join("state/snapport/audit.jsonl");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the audit file is private");

    // `snapport audit` reads it back, whole or since a time.
    let all = env.json(&["audit"]);
    assert_eq!(all.as_array().unwrap(), &records);
    let since = env.json(&["audit", "--since", refused["time"].as_str().unwrap()]);
    assert_eq!(since.as_array().unwrap(), &records[2..]);
    let none = env.json(&["audit", "--since", "2999-01-01"]);
    assert_eq!(none, serde_json::json!([]));
    let table = env
        .binary()
        .args(["audit", "--since", "2000-01-01T00:00:00Z"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8_lossy(&table);
    for expected in [
        "TIME",
        "BACK END",
        "REQUEST ID",
        "cloud fake (admin/admin)",
        "refused_read_only",
        unmanage_id.as_str(),
    ] {
        assert!(table.contains(expected), "{expected}: {table}");
    }
    env.binary()
        .args(["audit", "--since", "last tuesday"])
        .assert()
        .code(2);
}

#[test]
fn concurrent_imports_each_carry_their_own_request_id() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 1);
    let origin = format!("volume-{volume}");
    let mut args = vec![
        "snapshot".to_string(),
        "manage".into(),
        "--volume".into(),
        volume.clone(),
    ];
    for i in 0..8 {
        let lv = format!("snap-{i}");
        env.cloud.storage().add_snapshot_lv(&lv, &origin, 1);
        args.extend(["--ref".to_string(), lv]);
    }
    args.extend(["--concurrency".to_string(), "8".into()]);
    env.snapport().args(&args).assert().success();
    let records = audit_records(&env);
    assert_eq!(records.len(), 8);
    for record in &records {
        assert_eq!(record["outcome"], "done");
        let target = record["target"].as_str().unwrap();
        let post = env
            .cloud
            .requests_to("POST", "/manageable_snapshots")
            .into_iter()
            .find(|post| post.json()["snapshot"]["ref"]["source-name"] == target)
            .unwrap();
        assert_eq!(record["request_id"], post.request_id.as_str(), "{target}");
    }
}

/// Every `(file, secret)` pair where `file` holds `secret`.
fn leaks(files: &[std::path::PathBuf], secrets: &[String]) -> Vec<(std::path::PathBuf, String)> {
    let mut found = Vec::new();
    for path in files {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).to_string();
        for secret in secrets
            .iter()
            .filter(|secret| text.contains(secret.as_str()))
        {
            found.push((path.clone(), secret.clone()));
        }
    }
    found
}

/// List, import, a batch, export, a read-only refusal and a migration to a second
/// cloud on the same storage, all logged in with `login` and logging at debug level;
/// then no file snapport wrote (log, audit trail, batch and migration journals, plan,
/// id maps) holds the password, the application credential secret or any token.
fn no_secret_is_written_after_a_full_flow_with(login: Login) {
    let env = Env::new();
    let other = FakeCloud::start(
        env.cloud.storage().clone(),
        FakeConfig {
            polls_to_settle: 1,
            ..FakeConfig::default()
        },
    );
    let root = env.dir.path();
    std::fs::write(
        root.join("my-clouds.yaml"),
        format!(
            "clouds:\n{}{}",
            cloud_entry("fake", &env.cloud, login),
            cloud_entry("other", &other, login)
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let mut command = env.binary();
        command.env("SNAPPORT_LOG", "debug").args(args);
        command
    };
    let volume = env.cloud.seed_volume("vol-a", 1);
    let origin = format!("volume-{volume}");
    for lv in ["snap-0", "snap-1", "snap-2"] {
        env.cloud.storage().add_snapshot_lv(lv, &origin, 1);
    }
    let fake = |args: &[&str]| run(&[&["--os-cloud", "fake"], args].concat());
    let manageable = ["snapshot", "manageable", "--host", "node@lvm#lvm"];
    for args in [&["volume", "list"][..], &["snapshot", "list"], &manageable] {
        fake(args).assert().success();
    }
    let manage = ["snapshot", "manage", "--volume", &volume, "--ref", "snap-0"];
    let output = fake(&[&manage[..], &["-f", "json"]].concat())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let imported: Value = serde_json::from_slice(&output).unwrap();
    fake(&["batch", "import", "-"])
        .write_stdin(format!(
            "kind,reference,parent\nsnapshot,snap-1,{volume}\nsnapshot,snap-2,{volume}\n"
        ))
        .assert()
        .success();
    let id = imported["id"].as_str().unwrap();
    fake(&["snapshot", "unmanage", "--yes", id])
        .assert()
        .success();
    fake(&["--read-only", "volume", "unmanage", "--yes", &volume])
        .assert()
        .code(3);
    run(&[
        "migrate",
        "plan",
        "--from",
        "fake",
        "--to",
        "other",
        "--target-host",
        "node@lvm",
        "-o",
        "plan.json",
        &volume,
    ])
    .assert()
    .success();
    run(&["migrate", "apply", "--yes", "plan.json"])
        .assert()
        .success();
    assert_eq!(other.snapshot_ids().len(), 2, "the batch's imports moved");
    let records = audit_records(&env);
    assert_eq!(
        records.len(),
        11,
        "4 changes, a refusal, a volume and 2 snapshots unmanaged and managed: {records:#?}"
    );

    let written: Vec<_> = walk(root)
        .into_iter()
        .filter(|path| !path.ends_with("my-clouds.yaml"))
        .collect();
    for expected in [
        "state/snapport/snapport.log",
        "state/snapport/audit.jsonl",
        "state/snapport/batches/",
        "plan.json",
        "plan.journal.jsonl",
        "plan.journal.jsonl.ids.json",
        "plan.journal.jsonl.ids.csv",
    ] {
        let covered = written.iter().any(|path| {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy();
            let matches = match expected.strip_suffix('/') {
                Some(dir) => relative.starts_with(dir),
                None => relative == expected,
            };
            matches && std::fs::metadata(path).unwrap().len() > 0
        });
        assert!(
            covered,
            "{expected} was written and is searched: {written:?}"
        );
    }
    let mut secrets = vec![
        support::fake_cinder::PASSWORD.to_string(),
        support::fake_cinder::APP_CRED_SECRET.to_string(),
    ];
    let tokens = [env.cloud.issued_tokens(), other.issued_tokens()].concat();
    assert!(tokens.len() >= 2, "each cloud issued a token");
    secrets.extend(tokens);

    // The search finds a secret where there is one.
    let scratch = TempDir::new().unwrap();
    let planted = scratch.path().join("planted");
    std::fs::write(&planted, format!("x{}y", secrets.last().unwrap())).unwrap();
    assert_eq!(leaks(&[planted], &secrets).len(), 1);

    assert_eq!(leaks(&written, &secrets), [], "{login:?}");
}

#[test]
fn no_password_reaches_the_audit_trail_logs_journals_plans_or_id_maps() {
    no_secret_is_written_after_a_full_flow_with(Login::Password);
}

#[test]
fn no_application_credential_secret_reaches_the_audit_trail_logs_journals_plans_or_id_maps() {
    no_secret_is_written_after_a_full_flow_with(Login::ApplicationCredential);
}

#[test]
fn no_token_reaches_the_audit_trail_logs_journals_plans_or_id_maps() {
    no_secret_is_written_after_a_full_flow_with(Login::Token);
}

#[test]
fn an_unwritable_audit_trail_stops_a_change_before_it_starts() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 1);
    let snapshot = env.cloud.seed_snapshot(&volume, "s");
    let audit = env.dir.path().join("state/snapport/audit.jsonl");
    std::fs::create_dir_all(&audit).unwrap();
    let output = env
        .snapport()
        .args(["snapshot", "unmanage", "--yes", &snapshot, "-f", "json"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let said = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("cannot write the audit trail") && said.contains("audit.jsonl"),
        "{said}"
    );
    assert_eq!(env.posts(), 0, "nothing was sent");
    assert_eq!(
        env.cloud.snapshot_status(&snapshot).as_deref(),
        Some("available")
    );
}

#[test]
fn host_list_shows_the_cluster_and_the_driver() {
    let env = Env::with(FakeConfig {
        cluster: Some("mycluster@lvm".into()),
        ..FakeConfig::default()
    });
    let hosts = env.json(&["host", "list"]);
    assert_keys(&hosts[0], HOST_KEYS);
    assert_eq!(hosts[0]["cluster"], "mycluster@lvm");
    assert_eq!(hosts[0]["driver"], "lvm-thick");
    let output = env
        .snapport()
        .args(["host", "list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8_lossy(&output);
    let [header, _rule, row] = table.lines().collect::<Vec<_>>()[..] else {
        panic!("a header, its rule and one row: {table}")
    };
    assert!(
        header.contains("Cluster") && header.contains("Driver"),
        "{table}"
    );
    assert!(
        row.contains("node@lvm#lvm")
            && row.contains("mycluster@lvm")
            && row.contains("LVM (thick)"),
        "{table}"
    );
}

/// On RBD the export warning says that a later delete of the parent is not refused and
/// takes the snapshot to the trash, not that it fails with VolumeIsBusy.
#[test]
fn unmanaging_a_snapshot_on_rbd_warns_of_the_trash() {
    let report: Value = serde_json::from_str(include_str!("corpus/cinder/pools_rbd.json")).unwrap();
    let env = Env::with(FakeConfig {
        capabilities: Some(report["pools"][0]["capabilities"].clone()),
        ..FakeConfig::default()
    });
    let volume = env.cloud.seed_volume("vol-a", 2);
    let snapshot = env.cloud.seed_snapshot(&volume, "s");
    let output = env
        .snapport()
        .args(["snapshot", "unmanage", "--yes", &snapshot])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "on RBD (Ceph), a later delete of volume {volume} is not refused"
        )) && stderr.contains("RBD trash"),
        "{stderr}"
    );
    assert!(!stderr.contains("VolumeIsBusy"), "{stderr}");
}

/// `args` run with `--os-cloud fake`, failing with `code`: its stderr.
fn refused(env: &Env, args: &[&str], code: i32) -> String {
    let output = env
        .snapport()
        .args(args)
        .assert()
        .code(code)
        .get_output()
        .clone();
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn volumes_are_created_from_a_snapshot_numbered_and_no_smaller_than_it() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 2);
    let snapshot = env.cloud.seed_snapshot(&volume, "golden");

    let created = env.json(&[
        "volume",
        "create",
        "--snapshot",
        &snapshot,
        "--name",
        "web",
        "--count",
        "3",
        "--property",
        "role=web",
    ]);
    let names: Vec<&str> = created
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web-1", "web-2", "web-3"]);
    for item in created.as_array().unwrap() {
        let id = item["id"].as_str().expect("a new id");
        assert_eq!(env.cloud.volume_status(id).as_deref(), Some("available"));
        assert!(env.cloud.storage().lv(&format!("volume-{id}")).is_some());
    }
    let posts = env.cloud.requests_to("POST", "/volumes");
    assert_eq!(posts.len(), 3);
    let sent = posts[0].json();
    assert_eq!(sent["volume"]["snapshot_id"], snapshot.as_str());
    assert_eq!(sent["volume"]["metadata"]["role"], "web");
    assert!(sent["volume"].get("size").is_none(), "the snapshot's size");

    let big = env.json(&[
        "volume",
        "create",
        "--snapshot",
        &snapshot,
        "--name",
        "big",
        "--size",
        "5",
    ]);
    assert_keys(&big, VOLUME_KEYS);
    assert_eq!(
        (
            big["name"].as_str(),
            big["size"].as_u64(),
            big["status"].as_str()
        ),
        (Some("big"), Some(5), Some("available"))
    );

    let stderr = refused(
        &env,
        &["volume", "create", "--snapshot", &snapshot, "--size", "1"],
        1,
    );
    assert!(
        stderr.contains("cannot be smaller than the snapshot size 2GB"),
        "Cinder's own words: {stderr}"
    );
}

#[test]
fn deletes_destroy_data_and_cinders_refusal_comes_with_its_message() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 1);
    let snapshot = env.cloud.seed_snapshot(&volume, "s");

    let stderr = refused(&env, &["volume", "delete", &volume], 3);
    assert!(stderr.contains("--yes"), "{stderr}");
    let stderr = refused(&env, &["volume", "delete", "--yes", &volume], 1);
    assert!(
        stderr.contains("Invalid volume: Volume status must be available or error")
            && stderr.contains("have snapshots"),
        "{stderr}"
    );

    let output = env
        .snapport()
        .args(["snapshot", "delete", "--yes", &snapshot])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&format!("{snapshot}: deleted")), "{stdout}");
    assert!(env.cloud.snapshot_status(&snapshot).is_none());
    assert!(
        env.cloud
            .storage()
            .lv(&format!("_snapshot-{snapshot}"))
            .is_none(),
        "its data is gone"
    );

    env.snapport()
        .args(["volume", "delete", "--yes", &volume])
        .assert()
        .success();
    assert!(env.cloud.volume_status(&volume).is_none());
    assert!(
        env.cloud
            .storage()
            .lv(&format!("volume-{volume}"))
            .is_none()
    );
    assert_eq!(env.cloud.requests_to("DELETE", "/volume/").len(), 3);
}

#[test]
fn a_delete_the_driver_refuses_says_the_volume_went_back_to_available() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 1);
    let lv = format!("volume-{volume}");
    env.cloud.storage().add_snapshot_lv("snap-x", &lv, 1);

    let stderr = refused(&env, &["volume", "delete", "--yes", &volume], 1);
    assert!(
        stderr.contains("went back to available") && stderr.contains("VolumeIsBusy"),
        "{stderr}"
    );
    assert_eq!(
        env.cloud.volume_status(&volume).as_deref(),
        Some("available")
    );
    assert!(env.cloud.storage().lv(&lv).is_some());
}

#[test]
fn read_only_deletes_creates_and_retirements_send_nothing_and_are_audited() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 1);
    let snapshot = env.cloud.seed_snapshot(&volume, "s");
    for args in [
        vec!["volume", "delete", "--yes", volume.as_str()],
        vec!["snapshot", "delete", "--yes", snapshot.as_str()],
        vec!["volume", "create", "--snapshot", snapshot.as_str()],
        vec!["volume", "retire", "--yes", volume.as_str()],
    ] {
        let mut read_only = vec!["--read-only"];
        read_only.extend(args);
        let stderr = refused(&env, &read_only, 3);
        assert!(stderr.contains("ReadOnly"), "{stderr}");
    }
    assert!(env.cloud.requests_to("DELETE", "/").is_empty());
    assert_eq!(env.posts(), 0);
    let actions: Vec<(String, String)> = audit_records(&env)
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for action in ["delete_volume", "delete_snapshot", "create_volume"] {
        assert!(
            actions.contains(&(action.to_string(), "refused_read_only".to_string())),
            "{action} audited: {actions:?}"
        );
    }
}

/// A volume with a managed snapshot and a back-end snapshot Cinder does not manage,
/// beside another volume with a back-end snapshot of its own: (volume, managed id).
fn volume_in_the_way(env: &Env) -> (String, String) {
    let volume = env.cloud.seed_volume("old-db", 1);
    let managed = env.cloud.seed_snapshot(&volume, "nightly");
    let storage = env.cloud.storage();
    storage.add_snapshot_lv("snap-x", &format!("volume-{volume}"), 1);
    let other = env.cloud.seed_volume("other", 1);
    storage.add_snapshot_lv("snap-other", &format!("volume-{other}"), 1);
    (volume, managed)
}

/// Nothing of the retired volume is left, in Cinder or on the back end; the other
/// volume and its back-end snapshot are untouched.
fn assert_retired(env: &Env, volume: &str) {
    assert!(env.cloud.volume_status(volume).is_none());
    assert!(
        env.cloud.snapshot_ids().is_empty(),
        "every snapshot deleted"
    );
    let lvs = env.cloud.storage().lv_names();
    assert_eq!(lvs.len(), 2, "{lvs:?}");
    assert!(lvs.contains(&"snap-other".to_string()), "{lvs:?}");
}

#[test]
fn a_volume_with_back_end_snapshots_is_retired_in_order() {
    let env = Env::new();
    let (volume, managed) = volume_in_the_way(&env);

    let stderr = refused(&env, &["volume", "retire", &volume], 3);
    assert!(stderr.contains("type the volume's name"), "{stderr}");
    assert_eq!(env.posts(), 0);

    let output = env
        .snapport()
        .args(["volume", "retire", "--yes", &volume])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    for step in [
        "1. manage snapshot snap-x as 'snap-x'",
        "2. delete the snapshot item 1 imported",
        &format!("3. delete snapshot {managed}"),
        &format!("4. delete volume {volume}"),
    ] {
        assert!(stderr.contains(step), "{step}: {stderr}");
    }
    assert!(stderr.contains("1 back-end snapshot(s) Cinder does not"));
    assert!(stderr.contains("VolumeIsBusy"), "why: {stderr}");
    assert_retired(&env, &volume);
    let deletes: Vec<String> = env
        .cloud
        .requests_to("DELETE", "/volume/")
        .iter()
        .map(|r| r.path.rsplit('/').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(deletes, ["snapshots", "snapshots", "volumes"], "in order");
}

#[test]
fn an_attached_volume_is_not_retired() {
    let env = Env::new();
    let (volume, _) = volume_in_the_way(&env);
    env.cloud.set_volume_attached(&volume, true);
    let stderr = refused(&env, &["volume", "retire", "--yes", &volume], 1);
    assert!(stderr.contains("attached: detach it first"), "{stderr}");
    assert_eq!(env.posts(), 0);
    assert!(env.cloud.requests_to("DELETE", "/").is_empty());
}

#[test]
fn a_retirement_killed_at_each_stage_is_finished_by_batch_resume() {
    for point in ["batch:intent:1", "batch:call:2", "batch:result:4"] {
        let env = Env::new();
        let (volume, _) = volume_in_the_way(&env);
        let mut command = isolated::snapport(env.dir.path());
        command
            .env(
                "OS_CLIENT_CONFIG_FILE",
                env.dir.path().join("my-clouds.yaml"),
            )
            .args(["--os-cloud", "fake", "volume", "retire", "--yes", &volume]);
        migrate_env::pause(command, point, env.dir.path()).kill();

        let dir = env.dir.path().join("state/snapport/batches");
        let journals: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        let [journal] = journals.as_slice() else {
            panic!("one journal: {journals:?}")
        };
        let listed = env
            .snapport()
            .args(["batch", "list"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert!(
            String::from_utf8_lossy(&listed).contains(&journal.display().to_string()),
            "{point}: listed unfinished"
        );
        env.binary()
            .args(["batch", "resume", "--yes"])
            .arg(journal)
            .assert()
            .success();
        assert_retired(&env, &volume);
        env.binary()
            .args(["batch", "resume", "--yes"])
            .arg(journal)
            .assert()
            .success();
    }
}

impl Env {
    /// Runs snapport with the words of `line`, expecting success, and returns its
    /// stdout.
    fn stdout(&self, line: &str) -> String {
        let output = self
            .snapport()
            .args(line.split_whitespace())
            .assert()
            .success();
        String::from_utf8(output.get_output().stdout.clone()).unwrap()
    }
}

#[test]
fn lists_print_in_openstacks_formats_columns_and_order() {
    let env = Env::new();
    let small = env.cloud.seed_volume("small, \"quoted\"", 1);
    let big = env.cloud.seed_volume("big", 3);

    let ids = env.stdout("volume list -f value -c ID --sort-column Size --sort-descending");
    assert_eq!(ids, format!("{big}\n{small}\n"));
    let rows = env.stdout("volume list -f value -c ID -c Size --sort-column Size");
    assert_eq!(rows, format!("{small} 1\n{big} 3\n"));

    let csv = env.stdout("volume list -f csv -c Name -c Size --sort-column Size");
    assert_eq!(csv, "Name,Size\n\"small, \"\"quoted\"\"\",1\nbig,3\n");

    let yaml = env.stdout("volume list -f yaml --sort-column Name");
    let volumes: Vec<snapport::backend::Volume> = serde_yaml_ng::from_str(&yaml).unwrap();
    let names: Vec<_> = volumes.iter().map(|v| v.name.clone().unwrap()).collect();
    assert_eq!(names, ["big", "small, \"quoted\""]);
    let json = env.json(&["volume", "list", "-c", "ID", "-c", "Status"]);
    assert_keys(&json[0], &["id", "status"]);

    let table = env.stdout("volume list");
    assert!(!table.contains("Created At"), "{table}");
    let long = env.stdout("volume list --long");
    assert!(
        long.lines().next().unwrap().contains("Created At"),
        "{long}"
    );

    let hosts = env.stdout("host list -f value -c Host -c Driver");
    assert_eq!(hosts, "node@lvm#lvm LVM (thick)\n");
}

#[test]
fn an_unknown_column_is_a_usage_error_before_anything_is_sent() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 1);
    env.cloud
        .storage()
        .add_snapshot_lv("snap-b", &format!("volume-{volume}"), 1);
    let out = env
        .snapport()
        .args(["volume", "list", "-c", "id"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("no column 'id'") && stderr.contains("'ID'"),
        "{stderr}"
    );
    let posts = env.posts();
    env.snapport()
        .args(["snapshot", "manage", "--volume", &volume, "--ref", "snap-b"])
        .args(["-c", "Nmae"])
        .assert()
        .code(2);
    assert_eq!(env.posts(), posts, "nothing imported");
}
