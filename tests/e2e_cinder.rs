//! End-to-end tests against a real OpenStack Cinder (api + scheduler + volume with the
//! LVM driver, RabbitMQ, noauth) brought up by `tests/e2e/cinder-up.sh`.
//!
//! They run only when `SNAPPORT_E2E_DIR` names a running harness (`tests/e2e/run.sh`
//! does all of it: up, these tests, down). Without it they return at once, except in CI
//! (`CI` set), where a missing harness fails every test: a skipped e2e test is a failed
//! one there.
//!
//! The tests share one Cinder and one volume group, so they run one at a time (a lock),
//! and each removes the LVs it seeded: Cinder's manageable listings cost a few lvm calls
//! per LV.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

use serde_json::{Value, json};

/// Serialises the tests: seeding edits VG metadata that Cinder renames LVs in.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A running harness, as described by its env.sh.
struct Harness {
    dir: PathBuf,
    vars: BTreeMap<String, String>,
    _turn: MutexGuard<'static, ()>,
}

/// The harness named by `SNAPPORT_E2E_DIR`, or `None` outside CI when it is not set.
fn harness() -> Option<Harness> {
    let Some(dir) = std::env::var_os("SNAPPORT_E2E_DIR").filter(|d| !d.is_empty()) else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI is set but SNAPPORT_E2E_DIR is not: the real-Cinder e2e tests need the \
                 harness; run them through tests/e2e/run.sh"
            );
        }
        eprintln!("SNAPPORT_E2E_DIR not set: real-Cinder e2e test not run (see tests/e2e/run.sh)");
        return None;
    };
    let dir = PathBuf::from(dir);
    let env_sh = dir.join("env.sh");
    let text = std::fs::read_to_string(&env_sh).unwrap_or_else(|err| {
        panic!(
            "SNAPPORT_E2E_DIR={} is not a running harness ({}: {err}); start it with \
             tests/e2e/cinder-up.sh",
            dir.display(),
            env_sh.display()
        )
    });
    let vars = text
        .lines()
        .filter_map(|line| line.strip_prefix("export "))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches(['\'', '"']).to_string()))
        .collect();
    let turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(Harness {
        dir,
        vars,
        _turn: turn,
    })
}

/// An HTTP answer: status, headers we look at, and the JSON body (Null when empty).
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Harness {
    fn var(&self, key: &str) -> &str {
        self.vars
            .get(key)
            .unwrap_or_else(|| panic!("{key} missing from {}/env.sh", self.dir.display()))
    }

    fn volhost(&self) -> &str {
        self.var("SNAPPORT_E2E_VOLHOST")
    }

    fn e2e_script(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/e2e")
            .join(name)
    }

    /// The harness venv's python (it has the reference clients).
    fn python(&self) -> PathBuf {
        Path::new(self.var("SNAPPORT_E2E_VENV")).join("bin/python3")
    }

    /// A harness helper script run with its environment (VG, private LVM_SYSTEM_DIR).
    fn script(&self, name: &str) -> Command {
        let mut command = Command::new(self.python());
        command
            .arg(Self::e2e_script(name))
            .envs(&self.vars)
            .env("SNAPPORT_E2E_DIR", &self.dir);
        command
    }

    /// Runs a helper script to success and parses its JSON output.
    fn script_json(&self, name: &str, args: &[&str]) -> Value {
        let out = self.script(name).args(args).output().expect("helper runs");
        assert!(
            out.status.success(),
            "{name} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("helper prints JSON")
    }

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
            lvs: created
                .as_array()
                .expect("a list")
                .iter()
                .map(|lv| {
                    (
                        lv["lv"].as_str().unwrap().to_string(),
                        lv["origin"].as_str().map(str::to_string),
                    )
                })
                .collect(),
        }
    }

    /// LV name -> origin, as lvm reports the harness VG.
    fn lvs(&self) -> BTreeMap<String, Option<String>> {
        self.script_json("seed.py", &["lvs"])
            .as_array()
            .expect("a list")
            .iter()
            .map(|lv| {
                (
                    lv["name"].as_str().unwrap().to_string(),
                    lv["origin"].as_str().map(str::to_string),
                )
            })
            .collect()
    }

    /// One request to the real Cinder; `path` is relative to the project endpoint unless
    /// it starts with `http`.
    fn request(&self, method: &str, path: &str, token: bool, body: Option<Value>) -> Answer {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.var("SNAPPORT_E2E_API"))
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let client = reqwest::Client::new();
            let mut request = client
                .request(method.parse().expect("method"), &url)
                .header("OpenStack-API-Version", "volume 3.8");
            if token {
                request = request.header("X-Auth-Token", self.var("SNAPPORT_E2E_TOKEN"));
            }
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request
                .send()
                .await
                .unwrap_or_else(|err| panic!("{method} {url}: {err}"));
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let bytes = response.bytes().await.expect("body");
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
            };
            Answer {
                status,
                headers,
                body,
            }
        })
    }

    fn get(&self, path: &str) -> Value {
        let answer = self.request("GET", path, true, None);
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.body);
        answer.body
    }
}

/// LVs a test seeded; removed again (under their current names) when dropped.
struct Seeded<'h> {
    harness: &'h Harness,
    /// LV name -> origin LV name (None for an origin).
    lvs: Vec<(String, Option<String>)>,
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
}

impl Drop for Seeded<'_> {
    fn drop(&mut self) {
        let present = self.harness.lvs();
        let names: Vec<&str> = self
            .lvs
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| present.contains_key(*name))
            .collect();
        if !names.is_empty() {
            let mut args = vec!["remove"];
            args.extend(names);
            let out = self
                .harness
                .script("seed.py")
                .args(&args)
                .output()
                .expect("seed.py runs");
            if !out.status.success() && !std::thread::panicking() {
                panic!(
                    "cannot remove seeded LVs: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
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
