//! Faults in the middle of command-line batches against the fake Cinder: an answer of
//! 500 or 503, a connection dropped after Cinder acted, a call that hangs past the
//! timeout, an item someone else took away. Each failing item is named with what went
//! wrong, the others complete, the journal says what happened, and `batch resume`
//! looks on the back end for what got no answer before sending anything again.

mod isolated;
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use axum::http::Method;
use serde_json::Value;
use support::fake_cinder::{FakeCloud, FakeConfig, Fault, Storage};
use support::password_yaml;
use tempfile::TempDir;

/// The `api_timeout` the tests' clouds.yaml sets, in seconds: hangs end quickly.
const API_TIMEOUT: u64 = 1;

struct Env {
    cloud: FakeCloud,
    dir: TempDir,
}

impl Env {
    fn new() -> Self {
        let config = FakeConfig {
            polls_to_settle: 1,
            ..FakeConfig::default()
        };
        let cloud = FakeCloud::start(Storage::new("node@lvm", "lvm"), config);
        let dir = TempDir::new().unwrap();
        let clouds = dir.path().join("clouds.yaml");
        let yaml = format!("{}    api_timeout: {API_TIMEOUT}\n", password_yaml(&cloud));
        std::fs::write(&clouds, yaml).unwrap();
        std::fs::set_permissions(&clouds, std::fs::Permissions::from_mode(0o600)).unwrap();
        Self { cloud, dir }
    }

    fn snapport(&self) -> assert_cmd::Command {
        let root = self.dir.path();
        let mut command = isolated::snapport_cmd(root);
        command
            .env("OS_CLIENT_CONFIG_FILE", root.join("clouds.yaml"))
            .args(["--os-cloud", "fake"]);
        command
    }

    /// `snapport batch list`, which succeeds.
    fn batch_list(&self) -> assert_cmd::assert::Assert {
        self.snapport().args(["batch", "list"]).assert().success()
    }

    /// The one batch journal the runs wrote.
    fn journal(&self) -> PathBuf {
        let dir = self.dir.path().join("state/snapport/batches");
        let mut journals: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(journals.len(), 1, "{journals:?}");
        journals.pop().unwrap()
    }

    /// The snapshots of `volume` named `name`.
    fn snapshots_named(&self, volume: &str, name: &str) -> usize {
        let output = self
            .snapport()
            .args(["snapshot", "list", "--volume", volume, "-f", "json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let listed: Value = serde_json::from_slice(&output).unwrap();
        listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|snapshot| snapshot["name"] == name)
            .count()
    }
}

/// What the journal at `path` says of each item, in order: its last result line's
/// status and error, or `in flight` without one.
fn journal_says(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let items = records[0]["batch"]["items"].as_array().unwrap().len();
    (1..=items)
        .map(|item| {
            records
                .iter()
                .rev()
                .find(|r| r["record"] == "result" && r["item"] == item)
                .map(|r| {
                    (
                        r["status"].as_str().unwrap().to_string(),
                        r["error"].as_str().unwrap_or("").to_string(),
                    )
                })
                .unwrap_or(("in flight".into(), String::new()))
        })
        .collect()
}

/// Runs `command`, which must exit 1, and gives its stdout and stderr.
fn failing(command: &mut assert_cmd::Command) -> (String, String) {
    let output = command.assert().code(1).get_output().clone();
    (
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn an_import_batch_names_each_fault_finishes_the_rest_and_resume_looks_before_resending() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 1);
    for lv in ["snap-a", "snap-b", "snap-c", "snap-d"] {
        env.cloud
            .storage()
            .add_snapshot_lv(lv, &format!("volume-{volume}"), 1);
    }
    // In input order (one at a time): a 500, an import Cinder made but whose answer
    // was lost with the connection, one that hangs past the timeout, one that works.
    let manage = "manageable_snapshots";
    env.cloud.inject_fault(
        Method::POST,
        manage,
        Fault::cinder(500, "The server has either erred or is incapable."),
    );
    env.cloud.lose_answer(Method::POST, manage, Fault::Drop);
    env.cloud.inject_fault(Method::POST, manage, Fault::Hang);
    let (stdout, stderr) = failing(
        env.snapport()
            .args([
                "snapshot",
                "manage",
                "--volume",
                &volume,
                "--concurrency",
                "1",
            ])
            .args([
                "--ref", "snap-a", "--ref", "snap-b", "--ref", "snap-c", "--ref", "snap-d",
            ]),
    );
    assert!(
        stderr.contains("error: snap-a: BackendError: HTTP 500: The server has either erred"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: snap-b: outcome unknown: NoAnswer: POST")
            && stderr.contains("connection closed before the answer"),
        "{stderr}"
    );
    assert!(
        stderr.contains("error: snap-c: outcome unknown: NoAnswer: POST")
            && stderr.contains(&format!("timed out after {API_TIMEOUT} s")),
        "{stderr}"
    );
    assert!(
        stderr.contains("whether Cinder acted on it is unknown"),
        "{stderr}"
    );
    let journal = env.journal();
    assert!(
        stderr.contains(&format!(
            "2 item(s) got no answer from the back end: `snapport batch resume {}`",
            journal.display()
        )),
        "{stderr}"
    );
    assert!(stdout.contains("snap-d -> "), "the last item ran: {stdout}");
    let said = journal_says(&journal);
    assert_eq!(said[0].0, "failed");
    assert!(said[0].1.contains("HTTP 500"), "{said:?}");
    assert_eq!(
        (said[1].0.as_str(), said[2].0.as_str()),
        ("unknown", "unknown")
    );
    assert!(said[2].1.contains("timed out"), "{said:?}");
    assert_eq!(said[3].0, "done");
    let outcomes: Vec<Value> = isolated::audit(env.dir.path())
        .into_iter()
        .map(|record| record["outcome"].clone())
        .collect();
    assert_eq!(outcomes, ["failed", "unknown", "unknown", "done"]);
    env.batch_list().stdout(predicates::str::contains("2/4"));
    assert_eq!(env.cloud.requests_to("POST", manage).len(), 4);

    // A read-only resume sends nothing, and each item it would have run is audited as
    // refused.
    env.snapport()
        .args(["--read-only", "batch", "resume", "--yes"])
        .arg(&journal)
        .assert()
        .code(3)
        .stderr(predicates::str::contains("not in read-only mode"));
    let refused: Vec<(String, String)> = isolated::audit(env.dir.path())[4..]
        .iter()
        .map(|record| {
            let text = |key: &str| record[key].as_str().unwrap_or_default().to_string();
            (text("target"), text("outcome"))
        })
        .collect();
    let refused_read_only = |target: &str| (target.to_string(), "refused_read_only".to_string());
    assert_eq!(
        refused,
        [refused_read_only("snap-b"), refused_read_only("snap-c")]
    );
    assert_eq!(env.cloud.requests_to("POST", manage).len(), 4);

    let (stdout, stderr) = failing(
        env.snapport()
            .args(["batch", "resume", "--yes"])
            .arg(&journal),
    );
    assert!(
        stdout.contains("snap-b -> ") && stdout.contains("(found on the back end)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("snap-a: failed: BackendError: HTTP 500"),
        "{stdout}"
    );
    assert!(stderr.contains("1 of 4 item(s) failed"), "{stderr}");
    assert_eq!(
        env.cloud.requests_to("POST", manage).len(),
        5,
        "only the import that never happened was sent again"
    );
    for name in ["snap-b", "snap-c", "snap-d"] {
        assert_eq!(env.snapshots_named(&volume, name), 1, "{name} managed once");
    }
    assert_eq!(env.snapshots_named(&volume, "snap-a"), 0);
    env.batch_list()
        .stderr(predicates::str::contains("no unfinished batches"));
}

#[test]
fn an_export_batch_goes_on_past_a_503_and_a_snapshot_someone_else_took_away() {
    let env = Env::new();
    let volume = env.cloud.seed_volume("vol-a", 1);
    let [kept, gone, refused] =
        ["s1", "s2", "s3"].map(|name| env.cloud.seed_snapshot(&volume, name));
    env.cloud.forget_snapshot(&gone);
    env.cloud.inject_fault(
        Method::POST,
        &format!("snapshots/{refused}/action"),
        Fault::unavailable(30),
    );
    let (stdout, stderr) = failing(
        env.snapport()
            .args(["snapshot", "unmanage", "--yes", &kept, &gone, &refused]),
    );
    assert!(stdout.contains(&format!("{kept} unmanaged")), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "error: {gone}: NotFound: Snapshot {gone} could not be found"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "error: {refused}: BackendError: HTTP 503: The server is currently unavailable"
        )),
        "{stderr}"
    );
    assert_eq!(env.cloud.snapshot_status(&kept), None, "exported");
    assert_eq!(
        env.cloud.snapshot_status(&refused).as_deref(),
        Some("available"),
        "a refused POST is not sent again"
    );
    assert_eq!(
        env.cloud
            .requests_to("POST", &format!("snapshots/{refused}/action"))
            .len(),
        1
    );
    let said = journal_says(&env.journal());
    let statuses: Vec<&str> = said.iter().map(|(status, _)| status.as_str()).collect();
    assert_eq!(statuses, ["done", "failed", "failed"]);
    env.batch_list()
        .stderr(predicates::str::contains("no unfinished batches"));
}
