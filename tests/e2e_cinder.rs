//! End-to-end tests against a real OpenStack Cinder (api + scheduler + volume with the
//! LVM driver, RabbitMQ, noauth) brought up by `tests/e2e/cinder-up.sh` (see
//! `cinder_harness` for when they run).
//!
//! The tests share one Cinder and one volume group, so they run one at a time (a lock),
//! and each removes the LVs it seeded: Cinder's manageable listings cost a few lvm calls
//! per LV.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

mod cinder_harness;
mod e2e_console;
mod isolated;
mod tmux;

use cinder_harness::{Answer, Harness, harness, moved_to};

/// (LV name, origin LV) of each entry of a `seed.py` listing; the name is under `key`.
fn names_and_origins<'a>(
    listing: &'a Value,
    key: &'a str,
) -> impl Iterator<Item = (String, Option<String>)> + 'a {
    listing.as_array().expect("a list").iter().map(move |lv| {
        (
            lv[key].as_str().expect("an LV name").to_string(),
            lv["origin"].as_str().map(str::to_string),
        )
    })
}

impl Harness {
    /// Seeds `volumes` origin LVs with `snapshots` snapshot LVs each.
    fn seed(&self, volumes: usize, snapshots: usize) -> Seeded<'_> {
        let created = self.script_json(
            "seed.py",
            &[
                "add",
                "--volumes",
                &volumes.to_string(),
                "--snapshots",
                &snapshots.to_string(),
            ],
        );
        Seeded {
            harness: self,
            snapshot_ids: RefCell::default(),
            volume_ids: RefCell::default(),
            error_records: RefCell::default(),
            lvs: names_and_origins(&created, "lv").collect(),
        }
    }

    /// LV name -> origin, as lvm reports the harness VG.
    fn lvs(&self) -> BTreeMap<String, Option<String>> {
        names_and_origins(&self.script_json("seed.py", &["lvs"]), "name").collect()
    }

    /// Removes those of `names` that are still LVs of the VG (snapshots before their
    /// origins): what a test seeded and must leave behind clean.
    fn remove_lvs(&self, mut names: Vec<String>) -> Result<(), String> {
        let present = self.lvs();
        names.retain(|name| present.contains_key(name));
        if names.is_empty() {
            return Ok(());
        }
        let out = self
            .script("seed.py")
            .arg("remove")
            .args(&names)
            .output()
            .map_err(|err| err.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// What python-cinderclient sees now on `deployment` "a" or "b" (manageable
    /// lists, volumes, snapshots).
    fn reference_view(&self, deployment: &str) -> Value {
        self.script_json("reference_client.py", &["view", "--deployment", deployment])
    }
}

/// LVs a test seeded and the Cinder records it created. Dropping it unmanages the
/// imports, deletes error records and removes the LVs under their current names, so
/// the VG stays small (listing cost grows with it) and tests stay independent.
struct Seeded<'h> {
    harness: &'h Harness,
    /// LV name -> origin LV name (None for an origin).
    lvs: Vec<(String, Option<String>)>,
    /// Managed snapshot ids (unmanaged at the end; their LV is `_snapshot-<id>`).
    snapshot_ids: RefCell<Vec<String>>,
    /// Managed volume ids (unmanaged at the end; their LV is `volume-<id>`).
    volume_ids: RefCell<Vec<String>>,
    /// Records left in status error by a failed import (deleted at the end).
    error_records: RefCell<Vec<(&'static str, String)>>,
}

impl Seeded<'_> {
    fn volumes(&self) -> Vec<&str> {
        self.lvs
            .iter()
            .filter(|(_, origin)| origin.is_none())
            .map(|(name, _)| name.as_str())
            .collect()
    }

    fn snapshots(&self) -> Vec<(&str, &str)> {
        self.lvs
            .iter()
            .filter_map(|(name, origin)| origin.as_deref().map(|o| (name.as_str(), o)))
            .collect()
    }

    /// Snapshot LVs seeded on origin `volume` (its seeded name).
    fn snapshots_of(&self, volume: &str) -> Vec<&str> {
        self.snapshots()
            .into_iter()
            .filter(|(_, origin)| *origin == volume)
            .map(|(name, _)| name)
            .collect()
    }

    /// [`Self::snapshots_of`], owned.
    fn snapshot_names_of(&self, volume: &str) -> Vec<String> {
        self.snapshots_of(volume)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    fn track_volume(&self, id: &str) {
        self.volume_ids.borrow_mut().push(id.to_string());
    }

    fn track_snapshot(&self, id: &str) {
        self.snapshot_ids.borrow_mut().push(id.to_string());
    }

    fn untrack_snapshot(&self, id: &str) {
        self.snapshot_ids.borrow_mut().retain(|s| s != id);
    }

    fn track_error_record(&self, kind: &'static str, id: &str) {
        self.error_records.borrow_mut().push((kind, id.to_string()));
    }

    /// Sends a cleanup request and waits until the record is gone.
    fn forget(&self, method: &str, path: &str, body: Option<Value>) -> Result<(), String> {
        let h = self.harness;
        let answer = h.request(method, path, true, body);
        if answer.status != 202 && answer.status != 404 {
            return Err(format!(
                "{method} {path}: {} {}",
                answer.status, answer.body
            ));
        }
        let record = path.trim_end_matches("/action");
        for _ in 0..120 {
            if h.request("GET", record, true, None).status == 404 {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(format!("{record} still there 30 s after {method} {path}"))
    }

    fn clean_up(&self) -> Result<(), String> {
        let unmanage = Some(json!({"os-unmanage": null}));
        // whatever a batch imported under a tracked volume, even if the test never
        // learnt the ids (it failed, or the process was killed)
        for volume in self.volume_ids.borrow().iter() {
            let answer = self.harness.request(
                "GET",
                &format!("/snapshots?all_tenants=1&volume_id={volume}"),
                true,
                None,
            );
            for snapshot in answer.body["snapshots"].as_array().into_iter().flatten() {
                if let Some(id) = snapshot["id"].as_str()
                    && !self.snapshot_ids.borrow().iter().any(|s| s == id)
                {
                    self.snapshot_ids.borrow_mut().push(id.to_string());
                }
            }
        }
        for id in self.snapshot_ids.borrow().iter() {
            self.forget("POST", &format!("/snapshots/{id}/action"), unmanage.clone())?;
        }
        for (kind, id) in self.error_records.borrow().iter() {
            self.forget("DELETE", &format!("/{kind}s/{id}"), None)?;
        }
        for id in self.volume_ids.borrow().iter() {
            self.forget("POST", &format!("/volumes/{id}/action"), unmanage.clone())?;
        }
        let mut names: Vec<String> = self.lvs.iter().map(|(name, _)| name.clone()).collect();
        names.extend(
            self.snapshot_ids
                .borrow()
                .iter()
                .map(|id| format!("_snapshot-{id}")),
        );
        names.extend(
            self.volume_ids
                .borrow()
                .iter()
                .map(|id| format!("volume-{id}")),
        );
        self.harness.remove_lvs(names)
    }
}

impl Drop for Seeded<'_> {
    fn drop(&mut self) {
        if let Err(err) = self.clean_up()
            && !std::thread::panicking()
        {
            panic!("cleanup after the test failed: {err}");
        }
    }
}

/// Numeric value of a "3.71"-style microversion.
fn microversion(text: &str) -> (u32, u32) {
    let (major, minor) = text.split_once('.').expect("major.minor");
    (major.parse().unwrap(), minor.parse().unwrap())
}

#[test]
fn version_document_offers_the_snapshot_manage_microversions() {
    let Some(h) = harness() else { return };
    let answer = h.request(
        "GET",
        &format!("{}/", h.var("SNAPPORT_E2E_API_ROOT")),
        false,
        None,
    );
    assert_eq!(answer.status, 300, "{}", answer.body);
    let v3 = answer.body["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["id"] == "v3.0")
        .unwrap_or_else(|| panic!("no v3.0 in {}", answer.body));
    assert_eq!(v3["status"], "CURRENT");
    assert_eq!(v3["min_version"], "3.0");
    // manageable_snapshots needs 3.8
    assert!(
        microversion(v3["version"].as_str().unwrap()) >= (3, 8),
        "{v3}"
    );
}

#[test]
fn volume_and_scheduler_services_are_up() {
    let Some(h) = harness() else { return };
    let services = h.get("/os-services");
    // os-services order is not stable
    let up: BTreeSet<(String, String, String)> = services["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| {
            (
                s["binary"].as_str().unwrap().to_string(),
                s["host"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let volhost = h.volhost().to_string();
    let service_host = volhost.split('@').next().unwrap().to_string();
    assert_eq!(
        up,
        BTreeSet::from([
            ("cinder-scheduler".into(), service_host, "up".into()),
            ("cinder-volume".into(), volhost, "up".into()),
            (
                "cinder-volume".into(),
                h.var("SNAPPORT_E2E_RBD_VOLHOST").into(),
                "up".into()
            ),
        ])
    );
}

#[test]
fn the_lvm_pool_is_reported_on_the_harness_vg() {
    let Some(h) = harness() else { return };
    let pools = h.get("/scheduler-stats/get_pools?detail=true");
    let pool = pools["pools"]
        .as_array()
        .expect("pools")
        .iter()
        .find(|p| p["name"] == h.var("SNAPPORT_E2E_POOL"))
        .unwrap_or_else(|| panic!("pool missing: {pools}"));
    let caps = &pool["capabilities"];
    assert_eq!(caps["volume_backend_name"], "lvm");
    assert!(
        caps["total_capacity_gb"].as_f64().unwrap() > 100.0,
        "{caps}"
    );
    // location_info is "LVMVolumeDriver:<host>:<vg>:<type>:<mirrors>"
    let location = caps["location_info"].as_str().unwrap();
    assert_eq!(
        location.split(':').nth(2),
        Some(h.var("SNAPPORT_E2E_VG")),
        "{location}"
    );
}

#[test]
fn noauth_needs_the_token_except_for_version_discovery() {
    let Some(h) = harness() else { return };
    // Cinder's noauth answers a token-less request with 204 and a fake token ...
    let bare = h.request("GET", "/volumes", false, None);
    assert_eq!(bare.status, 204, "{}", bare.body);
    assert!(bare.headers.contains_key("x-auth-token"));
    // ... but the harness lets keystoneauth's token-less discovery of /v3/ through
    let discovery = h.request(
        "GET",
        &format!("{}/v3/", h.var("SNAPPORT_E2E_API_ROOT")),
        false,
        None,
    );
    assert_eq!(discovery.status, 200, "{}", discovery.body);
    assert_eq!(discovery.body["versions"][0]["id"], "v3.0");
    // and with the token the same request is served
    assert_eq!(h.request("GET", "/volumes", true, None).status, 200);
}

#[test]
fn clouds_yaml_describes_the_harness_for_snapport() {
    let Some(h) = harness() else { return };
    let text = std::fs::read_to_string(h.var("OS_CLIENT_CONFIG_FILE")).expect("clouds.yaml");
    let clouds: Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
    let project = h.var("SNAPPORT_E2E_PROJECT");
    let api = h.var("SNAPPORT_E2E_API");
    assert_eq!(
        clouds["clouds"]["e2e"],
        json!({
            "auth_type": "noauth",
            "auth": {"user_id": "admin", "project_id": project},
            "block_storage_endpoint_override": api,
        })
    );
    assert_eq!(
        clouds["clouds"]["e2e-token"],
        json!({
            "auth_type": "admin_token",
            "auth": {"token": format!("admin:{project}"), "endpoint": api},
        })
    );
    // the noauth token is "<user>:<project>", and the endpoint serves that project
    assert_eq!(h.var("SNAPPORT_E2E_TOKEN"), format!("admin:{project}"));
    let volumes = h.get("/volumes");
    assert!(volumes["volumes"].is_array(), "{volumes}");
}

#[test]
fn seeded_snapshot_lvs_are_listed_as_manageable() {
    let Some(h) = harness() else { return };
    let seeded = h.seed(1, 2);
    let listing = h.get(&format!(
        "/manageable_snapshots/detail?host={}",
        h.volhost()
    ));
    // the list key is hyphenated
    let entries = listing["manageable-snapshots"]
        .as_array()
        .unwrap_or_else(|| panic!("no manageable-snapshots in {listing}"));
    for (lv, origin) in seeded.snapshots() {
        let entry = entries
            .iter()
            .find(|e| e["reference"]["source-name"] == lv)
            .unwrap_or_else(|| panic!("{lv} not listed: {listing}"));
        assert_eq!(
            entry,
            &json!({
                "reference": {"source-name": lv},
                "size": 1,
                "safe_to_manage": true,
                "reason_not_safe": null,
                "cinder_id": null,
                "extra_info": null,
                "source_reference": {"source-name": origin},
            })
        );
    }
    let volumes = h.get(&format!("/manageable_volumes?host={}", h.volhost()));
    let names: BTreeSet<&str> = volumes["manageable-volumes"]
        .as_array()
        .expect("manageable-volumes")
        .iter()
        .map(|v| v["reference"]["source-name"].as_str().unwrap())
        .collect();
    assert!(names.contains(seeded.volumes()[0]), "{volumes}");
}

#[test]
fn reference_clients_run_the_manage_flows() {
    let Some(h) = harness() else { return };
    let record_path = h.dir.join("reference.json");
    let out = h
        .script("reference_client.py")
        .args(["flows", "--out"])
        .arg(&record_path)
        .output()
        .expect("reference_client.py runs");
    let record: Value = serde_json::from_slice(
        &std::fs::read(&record_path).expect("the reference client writes its record"),
    )
    .expect("JSON record");
    let failed: Vec<&Value> = record["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["ok"] != true)
        .collect();
    assert!(
        out.status.success() && failed.is_empty(),
        "reference flows failed: {failed:#?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(record["passed"], true);
    // Cinder's own answer to an unknown volume, for snapport to show verbatim
    assert_eq!(
        record["errors"]["unknown_volume"]["api"]["body"]["itemNotFound"]["message"],
        "Volume 00000000-0000-0000-0000-000000000000 could not be found."
    );
    assert_eq!(record["errors"]["missing_lv"]["status"], "error");
    // everything it seeded is gone again
    let left: Vec<String> = h.lvs().into_keys().collect();
    for lv in record["seeded"].as_array().unwrap() {
        assert!(
            !left.contains(&lv["lv"].as_str().unwrap().to_string()),
            "{lv} left behind"
        );
    }
}

// ---------------------------------------------------------------------------------
// snapport itself (`--os-cloud e2e`) against the real Cinder.

const UNKNOWN_ID: &str = "00000000-0000-0000-0000-000000000000";

/// Entries of a manageable listing keyed by their reference's source-name.
fn by_reference(listing: &Value) -> BTreeMap<String, Value> {
    listing
        .as_array()
        .unwrap_or_else(|| panic!("a list: {listing}"))
        .iter()
        .map(|entry| {
            let name = entry["reference"]["source-name"]
                .as_str()
                .expect("source-name");
            (name.to_string(), entry.clone())
        })
        .collect()
}

/// Manages `lv` as a volume with snapport and returns its id.
fn manage_volume(h: &Harness, seeded: &Seeded, lv: &str) -> String {
    let volume = h.snapport_json(&[
        "volume",
        "manage",
        "--host",
        h.var("SNAPPORT_E2E_POOL"),
        "--ref",
        lv,
        "--name",
        "e2e-volume",
    ]);
    let id = volume["id"].as_str().expect("id").to_string();
    seeded.track_volume(&id);
    assert_eq!(volume["status"], "available", "{volume}");
    id
}

/// Manages snapshot LV `lv` under volume `volume_id` with snapport, returns its id.
fn manage_snapshot(h: &Harness, seeded: &Seeded, volume_id: &str, lv: &str) -> String {
    let snapshot = h.snapport_json(&[
        "snapshot", "manage", "--volume", volume_id, "--ref", lv, "--name", "e2e-snap",
    ]);
    let id = snapshot["id"].as_str().expect("id").to_string();
    seeded.track_snapshot(&id);
    assert_eq!(snapshot["status"], "available", "{snapshot}");
    assert_eq!(snapshot["volume_id"], volume_id, "{snapshot}");
    id
}

#[test]
fn snapport_lists_the_harness_host() {
    let Some(h) = harness() else { return };
    let hosts = h.snapport_json(&["host", "list"]);
    let hosts = hosts.as_array().expect("a list");
    let names: BTreeSet<&str> = hosts.iter().filter_map(|h| h["host"].as_str()).collect();
    let expected = BTreeSet::from([h.var("SNAPPORT_E2E_POOL"), h.var("SNAPPORT_E2E_RBD_POOL")]);
    assert_eq!(names, expected, "the LVM and the RBD back end: {hosts:?}");
    let host = hosts
        .iter()
        .find(|host| host["host"] == h.var("SNAPPORT_E2E_POOL"))
        .expect("the LVM host");
    assert_eq!(host["state"], "up");
    assert_eq!(host["status"], "enabled");
    assert!(
        host["total_capacity_gb"].as_f64().unwrap() > 100.0,
        "{host}"
    );
    // the admin_token cloud reaches the same Cinder
    let via_token = h
        .snapport_on("e2e-token")
        .args(["host", "list", "-f", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let via_token: Value = serde_json::from_slice(&via_token).expect("JSON");
    let via_token: BTreeSet<&str> = via_token
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|h| h["host"].as_str())
        .collect();
    assert_eq!(via_token, names);
}

#[test]
fn snapport_imports_a_volume_and_snapshot_and_exports_the_snapshot() {
    let Some(h) = harness() else { return };
    let seeded = h.seed(1, 2);
    let volhost = h.volhost();
    let lv = seeded.volumes()[0].to_string();
    let (first, second) = {
        let snaps = seeded.snapshots_of(&lv);
        (snaps[0].to_string(), snaps[1].to_string())
    };

    // the seeded origin is listed as safe to manage
    let volumes = by_reference(&h.snapport_json(&["volume", "manageable", "--host", volhost]));
    assert_eq!(volumes[&lv]["safe_to_manage"], true, "{}", volumes[&lv]);
    assert_eq!(volumes[&lv]["cinder_id"], Value::Null);

    // volume import: Cinder renames the LV to volume-<id>; its snapshots follow it
    let volume_id = manage_volume(&h, &seeded, &lv);
    let volume_lv = format!("volume-{volume_id}");
    let lvs = h.lvs();
    assert!(
        lvs.contains_key(&volume_lv) && !lvs.contains_key(&lv),
        "{lvs:?}"
    );
    assert_eq!(lvs[&first].as_deref(), Some(volume_lv.as_str()));

    // both snapshots are manageable, safe, with the renamed origin
    let snapshots = by_reference(&h.snapport_json(&["snapshot", "manageable", "--host", volhost]));
    for name in [&first, &second] {
        assert_eq!(
            snapshots[name],
            json!({
                "reference": {"source-name": name},
                "size": 1,
                "safe_to_manage": true,
                "reason_not_safe": null,
                "cinder_id": null,
                "extra_info": null,
                "source_reference": {"source-name": volume_lv},
            })
        );
    }

    // snapshot import: renamed to _snapshot-<id>, still a snapshot of the volume's LV
    let snapshot_id = manage_snapshot(&h, &seeded, &volume_id, &first);
    let snapshot_lv = format!("_snapshot-{snapshot_id}");
    let lvs = h.lvs();
    assert!(!lvs.contains_key(&first), "{lvs:?}");
    assert_eq!(lvs[&snapshot_lv].as_deref(), Some(volume_lv.as_str()));

    // now unsafe (already managed, with its id); the other one is still safe
    let listing = h.snapport_json(&["snapshot", "manageable", "--host", volhost]);
    let snapshots = by_reference(&listing);
    assert_eq!(snapshots[&snapshot_lv]["safe_to_manage"], false);
    assert_eq!(
        snapshots[&snapshot_lv]["reason_not_safe"],
        "already managed"
    );
    assert_eq!(snapshots[&snapshot_lv]["cinder_id"], snapshot_id.as_str());
    assert_eq!(snapshots[&second]["safe_to_manage"], true);

    // snapport and python-cinderclient see the same back end and the same records
    let reference = h.reference_view("a");
    assert_eq!(
        by_reference(&reference["manageable_snapshots"]),
        snapshots,
        "snapport and cinderclient disagree on the manageable snapshots"
    );
    let snapport_volumes =
        by_reference(&h.snapport_json(&["volume", "manageable", "--host", volhost]));
    assert_eq!(
        by_reference(&reference["manageable_volumes"]),
        snapport_volumes,
        "snapport and cinderclient disagree on the manageable volumes"
    );
    let listed = h.snapport_json(&["snapshot", "list"]);
    let ours = listed
        .as_array()
        .expect("a list")
        .iter()
        .find(|s| s["id"] == snapshot_id.as_str())
        .unwrap_or_else(|| panic!("{snapshot_id} not listed: {listed}"));
    assert_eq!(ours["status"], "available");
    assert_eq!(ours["volume_id"], volume_id.as_str());
    let theirs = reference["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .find(|s| s["ID"] == snapshot_id.as_str())
        .unwrap_or_else(|| panic!("cinderclient does not list {snapshot_id}"));
    assert_eq!(
        (
            &theirs["Volume ID"],
            &theirs["Status"],
            &theirs["Name"],
            &theirs["Size"]
        ),
        (
            &ours["volume_id"],
            &ours["status"],
            &ours["name"],
            &ours["size"]
        )
    );

    // export: the record goes, the LV stays and is manageable again
    h.snapport()
        .args(["snapshot", "unmanage", &snapshot_id, "--yes"])
        .assert()
        .success();
    seeded.untrack_snapshot(&snapshot_id);
    let gone = h.request("GET", &format!("/snapshots/{snapshot_id}"), true, None);
    assert_eq!(gone.status, 404, "{}", gone.body);
    assert_eq!(
        h.lvs().get(&snapshot_lv).cloned().flatten().as_deref(),
        Some(volume_lv.as_str()),
        "the LV must stay after the export"
    );
    let snapshots = by_reference(&h.snapport_json(&["snapshot", "manageable", "--host", volhost]));
    assert_eq!(snapshots[&snapshot_lv]["safe_to_manage"], true);
    assert_eq!(snapshots[&snapshot_lv]["cinder_id"], Value::Null);
}

#[test]
fn snapport_reports_cinders_errors_for_an_unknown_volume_and_a_missing_lv() {
    let Some(h) = harness() else { return };
    let seeded = h.seed(1, 1);
    let lv = seeded.volumes()[0].to_string();
    let snapshot = seeded.snapshots_of(&lv)[0].to_string();

    // unknown parent volume: Cinder's own 404 message, and nothing is posted
    let posts = h.posts();
    let line = h.snapport_fails(
        &[
            "snapshot", "manage", "--volume", UNKNOWN_ID, "--ref", &snapshot,
        ],
        1,
    );
    let cinder = h.request("GET", &format!("/volumes/{UNKNOWN_ID}"), true, None);
    assert_eq!(cinder.status, 404);
    let message = cinder.body["itemNotFound"]["message"].as_str().unwrap();
    assert_eq!(message, format!("Volume {UNKNOWN_ID} could not be found."));
    assert!(line.contains(message), "{line}");
    assert_eq!(h.posts(), posts, "a request for an unknown volume was sent");

    // a missing LV as a volume: Cinder accepts it (202) and fails later; snapport
    // reports the failure and names the error record it left
    let missing = format!("volume-missing-{}", std::process::id());
    let posts = h.posts();
    let line = h.snapport_fails(
        &[
            "volume",
            "manage",
            "--host",
            h.var("SNAPPORT_E2E_POOL"),
            "--ref",
            &missing,
        ],
        1,
    );
    assert_eq!(h.posts(), posts + 1, "exactly the import is posted");
    let record = line
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .find(|word| word.len() == 36 && word.matches('-').count() == 4)
        .unwrap_or_else(|| panic!("no record id in: {line}"))
        .to_string();
    seeded.track_error_record("volume", &record);
    assert!(line.contains("went to status error"), "{line}");
    assert!(line.contains(&format!("error record {record}")), "{line}");
    let volume = h.get(&format!("/volumes/{record}"));
    assert_eq!(volume["volume"]["status"], "error", "{volume}");
    let log = std::fs::read_to_string(h.var("SNAPPORT_E2E_VOLUME_LOG")).expect("volume log");
    assert!(
        log.lines()
            .any(|l| l.contains("ManageExistingInvalidReference")
                && l.contains(&missing)
                && l.contains("Specified logical volume does not exist.")),
        "cinder-volume.log does not explain the failure"
    );

    // a missing LV as a snapshot: snapport finds it absent from the back end's list and
    // refuses before posting
    let volume_id = manage_volume(&h, &seeded, &lv);
    let posts = h.posts();
    let line = h.snapport_fails(
        &[
            "snapshot",
            "manage",
            "--volume",
            &volume_id,
            "--ref",
            "_snapshot-missing",
        ],
        1,
    );
    assert!(line.contains("ManageExistingInvalidReference"), "{line}");
    assert!(line.contains("_snapshot-missing does not exist"), "{line}");
    assert_eq!(h.posts(), posts, "a request for a missing LV was sent");
}

#[test]
fn snapport_refuses_foreign_and_managed_snapshots_before_sending() {
    let Some(h) = harness() else { return };
    let seeded = h.seed(2, 1);
    let (a, b) = (
        seeded.volumes()[0].to_string(),
        seeded.volumes()[1].to_string(),
    );
    let snap_of_a = seeded.snapshots_of(&a)[0].to_string();
    let volume_a = manage_volume(&h, &seeded, &a);
    let volume_b = manage_volume(&h, &seeded, &b);
    let managed = manage_snapshot(&h, &seeded, &volume_a, &snap_of_a);
    let snap_of_b = seeded.snapshots_of(&b)[0].to_string();

    let posts = h.posts();
    // a snapshot of B declared on A (Cinder itself would accept it)
    let line = h.snapport_fails(
        &[
            "snapshot", "manage", "--volume", &volume_a, "--ref", &snap_of_b,
        ],
        1,
    );
    assert!(
        line.contains(&format!(
            "{snap_of_b} is listed on host {} only as a snapshot of volume-{volume_b}",
            h.var("SNAPPORT_E2E_POOL")
        )),
        "{line}"
    );
    // the current LV name of a managed snapshot (Cinder would import it twice)
    let line = h.snapport_fails(
        &[
            "snapshot",
            "manage",
            "--volume",
            &volume_a,
            "--ref",
            &format!("_snapshot-{managed}"),
        ],
        1,
    );
    assert!(line.contains("already managed"), "{line}");
    assert!(line.contains(&managed), "{line}");
    // a volume LV that is already managed
    let line = h.snapport_fails(
        &[
            "volume",
            "manage",
            "--host",
            h.var("SNAPPORT_E2E_POOL"),
            "--ref",
            &format!("volume-{volume_b}"),
        ],
        1,
    );
    assert!(line.contains("already managed"), "{line}");
    assert_eq!(h.posts(), posts, "a refused import was sent to Cinder");
    // the refused LVs are untouched
    let lvs = h.lvs();
    assert!(lvs.contains_key(&snap_of_b), "{lvs:?}");
    assert!(lvs.contains_key(&format!("_snapshot-{managed}")), "{lvs:?}");
}

#[test]
fn read_only_snapport_lists_but_sends_no_post() {
    let Some(h) = harness() else { return };
    let seeded = h.seed(1, 1);
    let lv = seeded.volumes()[0].to_string();
    let snapshot = seeded.snapshots_of(&lv)[0].to_string();
    let volume_id = manage_volume(&h, &seeded, &lv);
    let snapshot_id = manage_snapshot(&h, &seeded, &volume_id, &snapshot);

    let posts = h.posts();
    let listing = h
        .snapport()
        .args([
            "--read-only",
            "snapshot",
            "manageable",
            "--host",
            h.volhost(),
            "-f",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let listing: Value = serde_json::from_slice(&listing).expect("JSON");
    assert!(by_reference(&listing).contains_key(&format!("_snapshot-{snapshot_id}")));
    let pool = h.var("SNAPPORT_E2E_POOL");
    for args in [
        vec!["snapshot", "unmanage", snapshot_id.as_str(), "--yes"],
        vec![
            "snapshot",
            "manage",
            "--volume",
            &volume_id,
            "--ref",
            "_snapshot-x",
        ],
        vec!["volume", "manage", "--host", pool, "--ref", "volume-x"],
        vec!["volume", "unmanage", volume_id.as_str(), "--yes"],
    ] {
        let mut full = vec!["--read-only"];
        full.extend(args);
        let line = h.snapport_fails(&full, 3);
        assert!(line.contains("read-only"), "{line}");
    }
    assert_eq!(h.posts(), posts, "read-only snapport sent a POST");
    let still = h.get(&format!("/snapshots/{snapshot_id}"));
    assert_eq!(still["snapshot"]["status"], "available");

    // nor a DELETE: deletes and retirements are refused below the UI too
    for args in [
        ["snapshot", "delete", "--yes", snapshot_id.as_str()],
        ["volume", "delete", "--yes", volume_id.as_str()],
    ] {
        let mut full = vec!["--read-only"];
        full.extend(args);
        let line = h.snapport_fails(&full, 3);
        assert!(line.contains("read-only"), "{line}");
    }
    let retire = h
        .snapport()
        .args(["--read-only", "volume", "retire", "--yes", &volume_id])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&retire.stderr);
    assert!(stderr.contains("ReadOnly"), "{stderr}");
    assert_eq!(deletes_of(&h, &volume_id), 0, "a DELETE of the volume");
    assert_eq!(deletes_of(&h, &snapshot_id), 0, "a DELETE of the snapshot");
    assert!(h.lvs().contains_key(&format!("_snapshot-{snapshot_id}")));
}

// A migration between the harness's two deployments ("e2e" and "e2e-b"): two Cinders
// with their own databases and API ports over the same volume group.

/// GET on deployment b's API: the status and the JSON body.
fn get_on_b(h: &Harness, path: &str) -> Answer {
    h.request(
        "GET",
        &format!("{}{path}", h.var("SNAPPORT_E2E_B_API")),
        true,
        None,
    )
}

/// Rolls the migrations back when dropped (rollback is idempotent, and a no-op once
/// done), then hands what they managed again on deployment a to `seeded`, whose own
/// cleanup runs next: whatever the test did, neither cloud keeps a record of it.
struct RollBackOnDrop<'a> {
    h: &'a Harness,
    seeded: &'a Seeded<'a>,
    /// A journal, or a directory of `*.journal.jsonl` (the console's migrations dir).
    journals: PathBuf,
}

impl RollBackOnDrop<'_> {
    fn journals(&self) -> Vec<PathBuf> {
        if self.journals.is_file() {
            return vec![self.journals.clone()];
        }
        let Ok(entries) = std::fs::read_dir(&self.journals) else {
            return Vec::new();
        };
        entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.to_string_lossy().ends_with(".journal.jsonl"))
            .collect()
    }

    fn roll_back(&self, journal: &Path) {
        let rolled_back = self
            .h
            .snapport_bare()
            .args(["migrate", "rollback", "--yes"])
            .arg(journal)
            .output()
            .expect("snapport runs");
        for entry in self.h.id_map(journal)["entries"]
            .as_array()
            .expect("entries")
        {
            if let Some(id) = entry["rollback_id"].as_str() {
                match entry["kind"].as_str() {
                    Some("volume") => self.seeded.track_volume(id),
                    _ => self.seeded.track_snapshot(id),
                }
            }
        }
        if !rolled_back.status.success() && !std::thread::panicking() {
            panic!(
                "rolling the migration back failed: {}",
                String::from_utf8_lossy(&rolled_back.stderr)
            );
        }
    }
}

impl Drop for RollBackOnDrop<'_> {
    fn drop(&mut self) {
        for journal in self.journals() {
            self.roll_back(&journal);
        }
    }
}

#[test]
fn snapport_migrates_a_volume_with_snapshots_to_another_cinder_and_rolls_back() {
    let Some(h) = harness() else { return };
    let seeded = h.seed(1, 2);
    let lv = seeded.volumes()[0].to_string();
    let volume_id = manage_volume(&h, &seeded, &lv);
    let mut snapshot_ids = Vec::new();
    for (n, snapshot_lv) in seeded.snapshots_of(&lv).into_iter().enumerate() {
        let name = format!("e2e-daily-{n}");
        let snapshot = h.snapport_json(&[
            "snapshot",
            "manage",
            "--volume",
            &volume_id,
            "--ref",
            snapshot_lv,
            "--name",
            &name,
        ]);
        let id = snapshot["id"].as_str().expect("id").to_string();
        seeded.track_snapshot(&id);
        snapshot_ids.push((id, name));
    }
    let b_pool = h.var("SNAPPORT_E2E_B_POOL");
    let work = h.home.path();
    let plan = work.join("plan.json");
    let journal = work.join("plan.journal.jsonl");
    let _rollback = RollBackOnDrop {
        h: &h,
        seeded: &seeded,
        journals: journal.clone(),
    };

    // plan and preflight: deployment b sees the volume's LV on its host
    h.snapport_bare()
        .args(["migrate", "plan", "--from", "e2e", "--to", "e2e-b"])
        .args(["--target-host", b_pool, "-o"])
        .arg(&plan)
        .arg(&volume_id)
        .assert()
        .success();
    let posts = h.posts();
    h.snapport_bare()
        .args(["migrate", "apply", "--yes", "--journal"])
        .arg(&journal)
        .arg(&plan)
        .assert()
        .success();
    assert_eq!(
        h.posts(),
        posts + 3,
        "deployment a gets one unmanage per snapshot and one for the volume"
    );

    // deployment a forgot them; deployment b manages them, with their names, on its host
    for id in std::iter::once(&volume_id).chain(snapshot_ids.iter().map(|(id, _)| id)) {
        let kind = if *id == volume_id {
            "volumes"
        } else {
            "snapshots"
        };
        let gone = h.request("GET", &format!("/{kind}/{id}"), true, None);
        assert_eq!(gone.status, 404, "{kind}/{id} still on a: {}", gone.body);
    }
    let map = h.id_map(&journal);
    let moved = |source: &str| moved_to(&map, source);
    let b_volume = moved(&volume_id);
    let on_b = get_on_b(&h, &format!("/volumes/{b_volume}"));
    assert_eq!(on_b.status, 200, "{}", on_b.body);
    let volume = &on_b.body["volume"];
    assert_eq!(volume["name"], "e2e-volume");
    assert_eq!(volume["status"], "available");
    assert_eq!(volume["os-vol-host-attr:host"], b_pool);
    assert_eq!(volume["metadata"]["snapport:source-id"], volume_id.as_str());
    let lvs = h.lvs();
    let b_volume_lv = format!("volume-{b_volume}");
    assert!(lvs.contains_key(&b_volume_lv), "{lvs:?}");
    let mut b_snapshots = Vec::new();
    for (id, name) in &snapshot_ids {
        let b_snapshot = moved(id);
        b_snapshots.push(b_snapshot.clone());
        let on_b = get_on_b(&h, &format!("/snapshots/{b_snapshot}"));
        assert_eq!(on_b.status, 200, "{}", on_b.body);
        let snapshot = &on_b.body["snapshot"];
        assert_eq!(snapshot["name"], name.as_str());
        assert_eq!(snapshot["status"], "available");
        assert_eq!(snapshot["volume_id"], b_volume.as_str());
        assert_eq!(
            lvs.get(&format!("_snapshot-{b_snapshot}")),
            Some(&Some(b_volume_lv.clone())),
            "the snapshot LV carries b's id and stays a snapshot of the volume: {lvs:?}"
        );
    }
    // snapport on b and cinderclient on b see the same records and back end
    let listed = h.snapport_json_on("e2e-b", &["snapshot", "list"]);
    let reference = h.reference_view("b");
    for snapshot in listed.as_array().expect("a list") {
        let theirs = reference["snapshots"]
            .as_array()
            .expect("snapshots")
            .iter()
            .find(|s| s["ID"] == snapshot["id"])
            .unwrap_or_else(|| panic!("cinderclient on b does not list {snapshot}"));
        assert_eq!(
            (&theirs["Volume ID"], &theirs["Status"], &theirs["Name"]),
            (
                &snapshot["volume_id"],
                &snapshot["status"],
                &snapshot["name"]
            )
        );
    }
    let manageable = h.snapport_json_on(
        "e2e-b",
        &[
            "snapshot",
            "manageable",
            "--host",
            h.var("SNAPPORT_E2E_B_VOLHOST"),
        ],
    );
    let manageable = by_reference(&manageable);
    assert_eq!(
        by_reference(&reference["manageable_snapshots"]),
        manageable,
        "snapport and cinderclient disagree on b's manageable snapshots"
    );
    for id in &b_snapshots {
        let entry = &manageable[&format!("_snapshot-{id}")];
        assert_eq!(
            (&entry["safe_to_manage"], &entry["cinder_id"]),
            (&json!(false), &json!(id)),
            "b knows its snapshot: {entry}"
        );
    }
    let mut names: Vec<&str> = listed
        .as_array()
        .expect("a list")
        .iter()
        .filter(|s| s["volume_id"] == b_volume.as_str())
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["e2e-daily-0", "e2e-daily-1"]);

    // rollback: back on a under new ids, gone from b
    h.snapport_bare()
        .args(["migrate", "rollback", "--yes"])
        .arg(&journal)
        .assert()
        .success();
    let gone = get_on_b(&h, &format!("/volumes/{b_volume}"));
    assert_eq!(gone.status, 404, "still on b: {}", gone.body);
    let map = h.id_map(&journal);
    for entry in map["entries"].as_array().expect("entries") {
        assert_eq!(entry["placement"], "rolled_back", "{entry}");
        let id = entry["rollback_id"].as_str().expect("rollback id");
        let kind = if entry["kind"] == "volume" {
            "volume"
        } else {
            "snapshot"
        };
        let back = h.get(&format!("/{kind}s/{id}"));
        assert_eq!(back[kind]["status"], "available", "{back}");
        assert_eq!(back[kind]["name"], entry["name"], "{back}");
    }
}

/// The console on cloud `e2e` in a new tmux session, on the LVM host's volumes,
/// filtered to `volume_id` (imported as `e2e-volume`).
fn console_on_volume(h: &Harness, volume_id: &str) -> tmux::Tmux {
    e2e_console::console_on_volume(h, h.var("SNAPPORT_E2E_POOL"), "e2e-volume", volume_id)
}

/// The console's migration wizard, in a real terminal, between the two real Cinders:
/// what an operator does over SSH.
#[test]
fn the_console_wizard_moves_a_volume_to_the_other_cinder() {
    let Some(h) = harness() else { return };
    tmux::require_prerequisites();
    let seeded = h.seed(1, 1);
    let lv = seeded.volumes()[0].to_string();
    let volume_id = manage_volume(&h, &seeded, &lv);
    let snapshot_lv = seeded.snapshots_of(&lv)[0].to_string();
    let snapshot_id = manage_snapshot(&h, &seeded, &volume_id, &snapshot_lv);
    let home = h.home.path();
    let migrations = home.join("state/snapport/migrations");
    let _rollback = RollBackOnDrop {
        h: &h,
        seeded: &seeded,
        journals: migrations.clone(),
    };

    let tmux = console_on_volume(&h, &volume_id);
    let hosts = e2e_console::migrate_to_b(&h, &tmux);
    assert!(
        !hosts.contains(&format!("{}  up", h.var("SNAPPORT_E2E_POOL"))),
        "only b's hosts are offered:\n{hosts}"
    );
    let review = e2e_console::migrate_one_volume(&tmux);
    assert!(review.contains("1. on e2e: unmanage snapshot"), "{review}");

    // a forgot them, b has them, as the journal's id map says
    for path in [
        format!("/volumes/{volume_id}"),
        format!("/snapshots/{snapshot_id}"),
    ] {
        let gone = h.request("GET", &path, true, None);
        assert_eq!(gone.status, 404, "{path} still on a: {}", gone.body);
    }
    let journals = _rollback.journals();
    assert_eq!(journals.len(), 1, "{journals:?}");
    let map = h.id_map(&journals[0]);
    let target_of = |source: &str| -> String {
        map["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["source_id"] == source)
            .and_then(|e| e["target_id"].as_str())
            .unwrap_or_else(|| panic!("{source} not moved: {map}"))
            .to_string()
    };
    let volume = get_on_b(&h, &format!("/volumes/{}", target_of(&volume_id)));
    assert_eq!(volume.status, 200, "{}", volume.body);
    assert_eq!(volume.body["volume"]["name"], "e2e-volume");
    assert_eq!(volume.body["volume"]["status"], "available");
    let snapshot = get_on_b(&h, &format!("/snapshots/{}", target_of(&snapshot_id)));
    assert_eq!(snapshot.status, 200, "{}", snapshot.body);
    assert_eq!(snapshot.body["snapshot"]["name"], "e2e-snap");
    assert_eq!(
        snapshot.body["snapshot"]["volume_id"],
        target_of(&volume_id).as_str()
    );
}

// ---------------------------------------------------------------------------------
// Batches from the command line: several references in one command, one manageable
// listing for all of them, journaled like the console's batches.

/// `snapshot manage --volume V --ref A --ref B ... -f json` to success: the reference ->
/// new id of each item, in input order.
fn manage_snapshots(h: &Harness, volume_id: &str, refs: &[&str], extra: &[&str]) -> Vec<String> {
    let mut args = vec!["snapshot", "manage", "--volume", volume_id];
    for r in refs {
        args.extend(["--ref", r]);
    }
    args.extend(extra);
    let items = h.snapport_json(&args);
    let items = items
        .as_array()
        .unwrap_or_else(|| panic!("an array: {items}"));
    assert_eq!(items.len(), refs.len(), "one item per reference: {items:?}");
    items
        .iter()
        .zip(refs)
        .map(|(item, r)| {
            assert_eq!(item["reference"], *r, "input order: {items:?}");
            assert!(item.get("error").is_none(), "{item}");
            item["id"].as_str().expect("the new id").to_string()
        })
        .collect()
}

/// Checks that snapshot `id` is available under `volume_id` with `name`, and that its LV
/// (seeded as `seeded_lv`) now carries its id and is still a snapshot of the volume's LV.
fn assert_imported(
    h: &Harness,
    lvs: &BTreeMap<String, Option<String>>,
    id: &str,
    volume_id: &str,
    seeded_lv: &str,
    name: Option<&str>,
) {
    let snapshot = &h.get(&format!("/snapshots/{id}"))["snapshot"];
    assert_eq!(snapshot["status"], "available", "{snapshot}");
    assert_eq!(snapshot["volume_id"], volume_id, "{snapshot}");
    if let Some(name) = name {
        assert_eq!(snapshot["name"], name, "{snapshot}");
    }
    assert!(
        !lvs.contains_key(seeded_lv),
        "{seeded_lv} was renamed: {lvs:?}"
    );
    assert_eq!(
        lvs.get(&format!("_snapshot-{id}")),
        Some(&Some(format!("volume-{volume_id}"))),
        "the LV of {id}: {lvs:?}"
    );
}

#[test]
fn a_cli_batch_imports_several_snapshots_of_a_volume_with_one_listing() {
    let Some(h) = harness() else { return };
    let seeded = h.seed(1, 3);
    let lv = seeded.volumes()[0].to_string();
    let refs: Vec<String> = seeded
        .snapshots_of(&lv)
        .iter()
        .map(|s| s.to_string())
        .collect();
    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
    let volume_id = manage_volume(&h, &seeded, &lv);

    let listings = h.listing_gets_in("SNAPPORT_E2E_API_LOG", "SNAPPORT_E2E_VOLHOST");
    let posts = h.posts();
    // with several references each import is named after its reference
    let ids = manage_snapshots(&h, &volume_id, &refs, &[]);
    for id in &ids {
        seeded.track_snapshot(id);
    }
    assert_eq!(
        h.listing_gets_in("SNAPPORT_E2E_API_LOG", "SNAPPORT_E2E_VOLHOST"),
        listings + 1,
        "one manageable listing for the whole batch"
    );
    assert_eq!(h.posts(), posts + refs.len(), "one manage per reference");
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "{ids:?}");
    let lvs = h.lvs();
    for (id, r) in ids.iter().zip(&refs) {
        assert_imported(&h, &lvs, id, &volume_id, r, Some(r));
    }
    // nothing is left unfinished
    let listed = h
        .snapport_bare()
        .args(["batch", "list"])
        .output()
        .expect("runs");
    assert!(listed.status.success());
    assert!(
        !String::from_utf8_lossy(&listed.stdout).contains(".journal.jsonl"),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );
}

/// Records on another deployment of the harness (its API named in env.sh by `api_var`)
/// and LVs under their current names: dropping it unmanages the records there and
/// removes the LVs, whatever the test did.
struct OnDeployment<'h> {
    h: &'h Harness,
    api_var: &'static str,
    snapshots: RefCell<Vec<String>>,
    volumes: RefCell<Vec<String>>,
    lvs: RefCell<Vec<String>>,
}

impl<'h> OnDeployment<'h> {
    fn new(h: &'h Harness, api_var: &'static str) -> Self {
        Self {
            h,
            api_var,
            snapshots: RefCell::default(),
            volumes: RefCell::default(),
            lvs: RefCell::default(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.h.var(self.api_var))
    }

    fn get(&self, path: &str) -> Answer {
        self.h.request("GET", &self.url(path), true, None)
    }

    /// Polls `path` until its `kind` record has `status` (or, for "gone", a 404).
    fn wait_for(&self, path: &str, kind: &str, status: &str) -> Result<(), String> {
        let mut last = Value::Null;
        for _ in 0..240 {
            let answer = self.get(path);
            if status == "gone" && answer.status == 404 {
                return Ok(());
            }
            if answer.status == 200 && answer.body[kind]["status"] == status {
                return Ok(());
            }
            last = answer.body;
            std::thread::sleep(Duration::from_millis(250));
        }
        Err(format!("{path} not {status} after 60 s: {last}"))
    }

    /// Manages volume LV `lv` on this deployment's `pool` through the API.
    fn manage_volume(&self, pool: &str, lv: &str) -> String {
        let answer = self.h.request(
            "POST",
            &self.url("/manageable_volumes"),
            true,
            Some(json!({"volume": {"host": pool, "ref": {"source-name": lv}, "name": "e2e-slow"}})),
        );
        assert_eq!(answer.status, 202, "{}", answer.body);
        let id = answer.body["volume"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        self.volumes.borrow_mut().push(id.clone());
        self.lvs.borrow_mut().push(format!("volume-{id}"));
        self.wait_for(&format!("/volumes/{id}"), "volume", "available")
            .unwrap();
        id
    }

    fn clean_up(&self) -> Result<(), String> {
        let unmanage = Some(json!({"os-unmanage": null}));
        for (kind, ids) in [("snapshot", &self.snapshots), ("volume", &self.volumes)] {
            for id in ids.borrow().iter() {
                let path = format!("/{kind}s/{id}");
                let answer = self.h.request(
                    "POST",
                    &self.url(&format!("{path}/action")),
                    true,
                    unmanage.clone(),
                );
                if answer.status != 202 && answer.status != 404 {
                    return Err(format!(
                        "unmanage {path}: {} {}",
                        answer.status, answer.body
                    ));
                }
                self.wait_for(&path, kind, "gone")?;
            }
        }
        self.h.remove_lvs(self.lvs.borrow().clone())
    }
}

impl Drop for OnDeployment<'_> {
    fn drop(&mut self) {
        if let Err(err) = self.clean_up()
            && !std::thread::panicking()
        {
            panic!("cleanup after the test failed: {err}");
        }
    }
}

/// Deployment c ("e2e-slow") answers a manageable listing with HTTP 500 once the VG
/// holds a handful of snapshot LVs (its RPC timeout is 1 s): snapport says so and
/// offers --no-listing, which imports without the listing and still refuses what is
/// managed already.
#[test]
fn a_listing_that_times_out_is_named_and_no_listing_imports_without_it() {
    let Some(h) = harness() else { return };
    let c = OnDeployment::new(&h, "SNAPPORT_E2E_C_API");
    let created = h.script_json("seed.py", &["add", "--volumes", "1"]);
    let lv = created[0]["lv"].as_str().expect("lv").to_string();
    c.lvs.borrow_mut().push(lv.clone());
    let volume_id = c.manage_volume(h.var("SNAPPORT_E2E_C_POOL"), &lv);
    let volume_lv = format!("volume-{volume_id}");
    // ~0.2 s of lvdisplay per snapshot LV (less on a fast machine): 12 of them take
    // c's listing well past its 1 s timeout
    let created = h.script_json("seed.py", &["add", "--on", &volume_lv, "--snapshots", "12"]);
    let snapshots: Vec<String> = names_and_origins(&created, "lv").map(|(n, _)| n).collect();
    c.lvs.borrow_mut().extend(snapshots.iter().cloned());
    let first = snapshots[0].as_str();

    // without the flag: the listing fails, snapport says so and names the way out
    let listings = h.listing_gets_in("SNAPPORT_E2E_C_API_LOG", "SNAPPORT_E2E_C_VOLHOST");
    let posts = h.posts_in("SNAPPORT_E2E_C_API_LOG");
    let line = h.snapport_fails_on(
        "e2e-slow",
        &["snapshot", "manage", "--volume", &volume_id, "--ref", first],
        1,
    );
    // one error line, as every error: "error: <Cinder-style name>: <message>"
    assert!(
        line.trim_start_matches("error: ")
            .starts_with("ListingUnavailable:"),
        "{line}"
    );
    assert!(line.contains("--no-listing"), "{line}");
    // Cinder's own message for the 500 it answered after the RPC timeout
    assert!(
        line.contains(
            "The server has either erred or is incapable of performing the requested operation."
        ),
        "{line}"
    );
    assert!(
        h.listing_gets_in("SNAPPORT_E2E_C_API_LOG", "SNAPPORT_E2E_C_VOLHOST") > listings,
        "the listing was asked for"
    );
    let api_log = std::fs::read_to_string(h.var("SNAPPORT_E2E_C_API_LOG")).expect("c's API log");
    assert!(
        api_log.contains("MessagingTimeout"),
        "c's listing timed out"
    );
    assert_eq!(
        h.posts_in("SNAPPORT_E2E_C_API_LOG"),
        posts,
        "nothing was imported"
    );
    assert!(h.lvs().contains_key(first));

    // with it: imported, available, the LV renamed
    let snapshot = h.snapport_json_on(
        "e2e-slow",
        &[
            "snapshot",
            "manage",
            "--volume",
            &volume_id,
            "--ref",
            first,
            "--no-listing",
        ],
    );
    let id = snapshot["id"].as_str().expect("id").to_string();
    c.snapshots.borrow_mut().push(id.clone());
    let snapshot_lv = format!("_snapshot-{id}");
    c.lvs.borrow_mut().push(snapshot_lv.clone());
    assert_eq!(snapshot["status"], "available", "{snapshot}");
    assert_eq!(snapshot["volume_id"], volume_id.as_str(), "{snapshot}");
    assert_eq!(h.posts_in("SNAPPORT_E2E_C_API_LOG"), posts + 1);
    let on_c = c.get(&format!("/snapshots/{id}"));
    assert_eq!(
        on_c.body["snapshot"]["status"], "available",
        "{}",
        on_c.body
    );
    let lvs = h.lvs();
    assert!(!lvs.contains_key(first), "{lvs:?}");
    assert_eq!(
        lvs.get(&snapshot_lv),
        Some(&Some(volume_lv.clone())),
        "{lvs:?}"
    );

    // the LV of a managed snapshot is refused without the listing too, before any POST
    let posts = h.posts_in("SNAPPORT_E2E_C_API_LOG");
    let line = h.snapport_fails_on(
        "e2e-slow",
        &[
            "snapshot",
            "manage",
            "--volume",
            &volume_id,
            "--ref",
            &snapshot_lv,
            "--no-listing",
        ],
        1,
    );
    assert!(line.contains("ManageExistingAlreadyManaged"), "{line}");
    assert!(line.contains(&id), "{line}");
    assert_eq!(
        h.posts_in("SNAPPORT_E2E_C_API_LOG"),
        posts,
        "a managed snapshot was sent to Cinder again"
    );
}

/// The journals of the snapport runs of this test (`$XDG_STATE_HOME/snapport/batches`).
fn batch_journals(h: &Harness) -> Vec<PathBuf> {
    let dir = h.home.path().join("state/snapport/batches");
    let mut journals: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.to_string_lossy().ends_with(".journal.jsonl"))
                .collect()
        })
        .unwrap_or_default();
    journals.sort();
    journals
}

/// `snapport batch list`: its output.
fn unfinished_batches(h: &Harness) -> String {
    let out = h
        .snapport_bare()
        .args(["batch", "list"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A CLI batch import killed with SIGKILL at `pause` and finished by `batch resume`:
/// every snapshot managed exactly once, under its volume, its LV renamed.
fn cli_import_killed_at(pause: &str) {
    let Some(h) = harness() else { return };
    let seeded = h.seed(1, 4);
    let lv = seeded.volumes()[0].to_string();
    let refs: Vec<String> = seeded
        .snapshots_of(&lv)
        .iter()
        .map(|s| s.to_string())
        .collect();
    let volume_id = manage_volume(&h, &seeded, &lv);

    let marker = h.home.path().join("paused");
    let mut command = isolated::snapport(h.home.path());
    command
        .env("OS_CLIENT_CONFIG_FILE", h.var("OS_CLIENT_CONFIG_FILE"))
        .env("SNAPPORT_PAUSE_AT", pause)
        .env("SNAPPORT_PAUSE_MARKER", &marker)
        .args([
            "--os-cloud",
            "e2e",
            "snapshot",
            "manage",
            "--volume",
            &volume_id,
        ]);
    for r in &refs {
        command.args(["--ref", r]);
    }
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("snapport starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(text) = std::fs::read_to_string(&marker)
            && text.trim().parse::<u32>() == Ok(child.id())
        {
            break;
        }
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("snapport ended ({status}) before its pause point {pause}");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the batch never reached {pause}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");

    let journals = batch_journals(&h);
    let [journal] = journals.as_slice() else {
        panic!("one journal expected: {journals:?}")
    };
    let listed = unfinished_batches(&h);
    assert!(
        listed.contains(&journal.display().to_string()),
        "batch list shows the killed batch:\n{listed}"
    );

    let resumed = h
        .snapport_bare()
        .args(["batch", "resume"])
        .arg(journal)
        .arg("--yes")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        resumed.status.success(),
        "resume: {stdout}\n{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let snapshots = h.get(&format!("/snapshots?all_tenants=1&volume_id={volume_id}"));
    let ids: Vec<String> = snapshots["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect();
    for id in &ids {
        seeded.track_snapshot(id);
    }
    assert_eq!(
        ids.len(),
        refs.len(),
        "each snapshot managed once: {snapshots}"
    );
    let lvs = h.lvs();
    for r in &refs {
        assert!(!lvs.contains_key(r), "{r} was renamed: {lvs:?}");
    }
    for id in &ids {
        let snapshot = &h.get(&format!("/snapshots/{id}"))["snapshot"];
        assert_eq!(snapshot["status"], "available", "{snapshot}");
        assert!(stdout.contains(id.as_str()), "resume names {id}:\n{stdout}");
        assert_eq!(
            lvs.get(&format!("_snapshot-{id}")),
            Some(&Some(format!("volume-{volume_id}"))),
            "{lvs:?}"
        );
    }
    assert!(
        !unfinished_batches(&h).contains(".journal.jsonl"),
        "the batch is complete"
    );
}

#[test]
fn a_cli_import_killed_between_a_call_and_its_result_is_finished_by_resume() {
    cli_import_killed_at("batch:call:2");
}

/// The console in a real terminal: several marked back-end snapshots imported in one
/// batch, checked against the one manageable listing the screen showed: the import
/// lists nothing; only the refresh after it does.
#[test]
fn the_console_imports_several_marked_snapshots_with_one_listing() {
    let Some(h) = harness() else { return };
    tmux::require_prerequisites();
    let seeded = h.seed(1, 3);
    let lv = seeded.volumes()[0].to_string();
    let refs: Vec<String> = seeded
        .snapshots_of(&lv)
        .iter()
        .map(|s| s.to_string())
        .collect();
    let volume_id = manage_volume(&h, &seeded, &lv);

    let unique = uuid::Uuid::new_v4().simple().to_string();
    let tmux = tmux::Tmux::start(&unique[..8]);
    let listings = h.listing_gets_in("SNAPPORT_E2E_API_LOG", "SNAPPORT_E2E_VOLHOST");
    let posts = h.posts();
    tmux.type_text(&h.console_line("e2e"));
    tmux.keys(&["Enter"]);
    tmux.wait_text(h.var("SNAPPORT_E2E_POOL"));
    tmux.keys(&["/"]);
    tmux.type_text("@lvm#lvm");
    tmux.keys(&["Enter", "m"]);
    tmux.wait_for_within(
        Duration::from_secs(60),
        "the back-end snapshots",
        |screen| refs.iter().all(|r| screen.contains(r.as_str())),
    );
    tmux.keys(&["C-a", "i"]);
    for number in 1..=refs.len() {
        tmux.wait_text(&format!("Import {number} of {}", refs.len()));
        tmux.keys(&["Enter"]);
    }
    tmux.wait_text("Confirm import");
    assert_eq!(
        h.listing_gets_in("SNAPPORT_E2E_API_LOG", "SNAPPORT_E2E_VOLHOST"),
        listings + 1,
        "one listing for the host's annotations and the screen"
    );
    tmux.keys(&["Tab", "Enter"]);
    let summary = tmux.wait_for_within(Duration::from_secs(180), "the summary", |screen| {
        screen.contains(&format!("finished: {} done, 0 failed", refs.len()))
    });
    assert_eq!(h.posts(), posts + refs.len(), "one manage per snapshot");
    // The screen refreshes once the import is done: wait for that listing to land.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while h.listing_gets_in("SNAPPORT_E2E_API_LOG", "SNAPPORT_E2E_VOLHOST") < listings + 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "no refresh after the import:\n{summary}"
        );
    }
    tmux.keys(&["Enter", "q"]);
    tmux.wait_text("EXIT=0");
    tmux.assert_restored();
    assert_eq!(
        h.listing_gets_in("SNAPPORT_E2E_API_LOG", "SNAPPORT_E2E_VOLHOST"),
        listings + 2,
        "the import checked against the listing on screen, and listed nothing itself:\n{summary}"
    );

    let snapshots = h.get(&format!("/snapshots?all_tenants=1&volume_id={volume_id}"));
    let ids: Vec<String> = snapshots["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect();
    for id in &ids {
        seeded.track_snapshot(id);
    }
    assert_eq!(ids.len(), refs.len(), "{snapshots}");
    let lvs = h.lvs();
    for r in &refs {
        assert!(!lvs.contains_key(r), "{r} was renamed: {lvs:?}");
    }
    for id in &ids {
        assert!(
            summary.contains(id.as_str()),
            "the summary names {id}:\n{summary}"
        );
        assert_imported(&h, &lvs, id, &volume_id, "", None);
    }
}

#[test]
fn a_cli_import_killed_after_a_result_is_finished_by_resume() {
    cli_import_killed_at("batch:result:2");
}

#[test]
fn a_cli_import_killed_after_an_intent_is_finished_by_resume() {
    cli_import_killed_at("batch:intent:3");
}

/// DELETE requests about `id` that cinder-api has served so far.
fn deletes_of(h: &Harness, id: &str) -> usize {
    h.requests_in("SNAPPORT_E2E_API_LOG", |request| {
        request.starts_with("DELETE /v3/") && request.contains(id)
    })
}

/// The snapshots Cinder has of `volume_id`.
fn snapshots_of_volume(h: &Harness, volume_id: &str) -> Vec<Value> {
    let listed = h.get(&format!("/snapshots?all_tenants=1&volume_id={volume_id}"));
    listed["snapshots"].as_array().expect("snapshots").clone()
}

/// The blueprint's flow on the LVM driver: a volume whose LV has a managed and an
/// unmanaged snapshot LV. Cinder refuses its delete with its own message; `volume
/// retire` imports the unmanaged one, deletes both snapshots, then the volume, and all
/// three LVs are gone.
#[test]
fn snapport_retires_a_volume_whose_lv_has_a_managed_and_an_unmanaged_snapshot() {
    let Some(h) = harness() else { return };
    let seeded = h.seed(1, 2);
    let lv = seeded.volumes()[0].to_string();
    let snapshots = seeded.snapshot_names_of(&lv);
    let volume_id = manage_volume(&h, &seeded, &lv);
    let managed = manage_snapshot(&h, &seeded, &volume_id, &snapshots[0]);
    let volume_lv = format!("volume-{volume_id}");

    let refused = h.snapport_fails(&["volume", "delete", "--yes", &volume_id], 1);
    assert!(
        refused.contains("Invalid volume: Volume status must be available or error")
            && refused.contains("have snapshots"),
        "Cinder's own message: {refused}"
    );

    let output = h
        .snapport()
        .args(["volume", "retire", "--yes", &volume_id])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("1. manage snapshot {}", snapshots[1]))
            && stderr.contains(&format!("3. delete snapshot {managed}"))
            && stderr.contains(&format!("4. delete volume {volume_id}")),
        "the plan: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("{}: deleted", snapshots[1]))
            || stdout.contains(&format!("{} (imported): deleted", snapshots[1])),
        "{stdout}"
    );

    let lvs = h.lvs();
    assert!(!lvs.contains_key(&volume_lv), "{lvs:?}");
    assert!(
        !lvs.values().flatten().any(|origin| *origin == volume_lv),
        "no snapshot LV of the volume is left: {lvs:?}"
    );
    assert!(!lvs.contains_key(&format!("_snapshot-{managed}")));
    assert!(!lvs.contains_key(&snapshots[1]));
    let gone = h.request("GET", &format!("/volumes/{volume_id}"), true, None);
    assert_eq!(gone.status, 404, "{}", gone.body);
    assert!(snapshots_of_volume(&h, &volume_id).is_empty());
}

/// What the issue saw: on LVM (thick) a delete of a volume whose LV still has a snapshot
/// Cinder does not manage goes `deleting` and back to `available`; snapport says so,
/// and a retirement then deletes it cleanly.
#[test]
fn a_delete_the_lvm_driver_refuses_is_reported_and_a_retirement_then_deletes_it() {
    let Some(h) = harness() else { return };
    let seeded = h.seed(1, 1);
    let lv = seeded.volumes()[0].to_string();
    let snapshot = seeded.snapshots_of(&lv)[0].to_string();
    let volume_id = manage_volume(&h, &seeded, &lv);
    let volume_lv = format!("volume-{volume_id}");

    let refused = h.snapport_fails(&["volume", "delete", "--yes", &volume_id], 1);
    assert!(
        refused.contains("went back to available") && refused.contains("VolumeIsBusy"),
        "{refused}"
    );
    let still = h.get(&format!("/volumes/{volume_id}"));
    assert_eq!(still["volume"]["status"], "available", "{still}");
    assert!(h.lvs().contains_key(&volume_lv));

    h.snapport()
        .args(["volume", "retire", "--yes", &volume_id])
        .assert()
        .success();
    let lvs = h.lvs();
    assert!(
        !lvs.contains_key(&volume_lv) && !lvs.contains_key(&snapshot),
        "{lvs:?}"
    );
    assert!(!lvs.values().flatten().any(|origin| *origin == volume_lv));
    let gone = h.request("GET", &format!("/volumes/{volume_id}"), true, None);
    assert_eq!(gone.status, 404, "{}", gone.body);
}

/// The retirement in the console, in a real terminal: `R` on the volume, the review of
/// what stands in the way, the volume's name typed, each step's outcome.
#[test]
fn the_console_retires_a_volume_with_a_managed_and_an_unmanaged_snapshot() {
    let Some(h) = harness() else { return };
    tmux::require_prerequisites();
    let seeded = h.seed(1, 2);
    let lv = seeded.volumes()[0].to_string();
    let snapshots = seeded.snapshot_names_of(&lv);
    let volume_id = manage_volume(&h, &seeded, &lv);
    let managed = manage_snapshot(&h, &seeded, &volume_id, &snapshots[0]);
    let volume_lv = format!("volume-{volume_id}");

    let tmux = console_on_volume(&h, &volume_id);
    tmux.keys(&["R"]);
    let review = tmux.wait_for_within(Duration::from_secs(60), "the review", |screen| {
        screen.contains("Review the retirement") && screen.contains("[ Retire ]")
    });
    assert!(
        review.contains("1 managed snapshot(s), 1 back-end snapshot(s)"),
        "{review}"
    );
    assert!(review.contains("> [ Cancel ] <"), "{review}");
    tmux.type_text("e2e-volume");
    tmux.keys(&["Tab", "Enter"]);
    let done = tmux.wait_for_within(Duration::from_secs(180), "the steps", |screen| {
        screen.contains("finished:")
    });
    assert!(done.contains("finished: 4 done, 0 failed"), "{done}");
    tmux.keys(&["Enter", "q"]);
    tmux.wait_text("EXIT=0");
    tmux.assert_restored();

    let lvs = h.lvs();
    assert!(!lvs.contains_key(&volume_lv), "{lvs:?}");
    assert!(
        !lvs.contains_key(&format!("_snapshot-{managed}")),
        "{lvs:?}"
    );
    assert!(!lvs.contains_key(&snapshots[1]), "{lvs:?}");
    assert!(!lvs.values().flatten().any(|origin| *origin == volume_lv));
    let gone = h.request("GET", &format!("/volumes/{volume_id}"), true, None);
    assert_eq!(gone.status, 404, "{}", gone.body);
}
