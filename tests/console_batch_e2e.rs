//! The real binary in tmux against a real LVM sandbox: the operator imports (or
//! exports) three snapshots in one batch and the console is killed with SIGKILL half-way,
//! at a pause point of the batch engine. `snapport batch list` then shows the batch
//! unfinished, the console names it when it starts again, and `snapport batch resume`
//! finishes it: every snapshot ends managed (or unmanaged) exactly once, and a second
//! resume changes nothing.

mod common;
mod isolated;
mod tmux;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use snapport::backend::{Backend, ManageSnapshotRequest, ManageVolumeRequest, Reference};
use snapport::sandbox::LvSpec;

use common::{HOST, LvmEnv};
use tmux::{Tmux, require_prerequisites};

/// The back-end snapshots the batch imports, in the order the console lists them.
const SNAPSHOTS: [&str; 3] = ["nightly-1", "nightly-2", "nightly-3"];

/// A managed volume with three unmanaged snapshot LVs, and a console in tmux.
struct Scenario {
    env: LvmEnv,
    tmux: Tmux,
    volume_id: String,
    marker: PathBuf,
}

impl Scenario {
    fn new(test: &str) -> Self {
        require_prerequisites();
        let mut lvs = vec![LvSpec::volume("volume-src", 256)];
        lvs.extend(SNAPSHOTS.map(|name| LvSpec::snapshot(name, 32, "volume-src")));
        let env = LvmEnv::new(test, &lvs);
        let volume_id = tokio::runtime::Runtime::new().unwrap().block_on(async {
            let backend = env.backend().await;
            let request = ManageVolumeRequest {
                host: HOST.into(),
                reference: Reference::name("volume-src"),
                name: Some("batch-volume".into()),
                description: None,
                metadata: Default::default(),
                without_listing: false,
            };
            backend.manage_volume(&request).await.unwrap().id
        });
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let marker = env.dir.path().join("paused");
        Self {
            tmux: Tmux::start(&unique[..8]),
            env,
            volume_id,
            marker,
        }
    }

    /// Imports the three snapshots in the test, in-process, for an export batch.
    fn manage_all(&self) -> Vec<String> {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let backend = self.env.backend().await;
            let mut ids = Vec::new();
            for name in SNAPSHOTS {
                let request = ManageSnapshotRequest {
                    volume_id: self.volume_id.clone(),
                    reference: Reference::name(name),
                    name: Some(name.into()),
                    description: None,
                    metadata: Default::default(),
                    force: false,
                    without_listing: false,
                };
                ids.push(backend.manage_snapshot(&request).await.unwrap().id);
            }
            ids
        })
    }

    /// Starts the console in tmux, frozen at `pause` (`batch:STAGE:ITEM`) when given.
    fn console(&self, pause: Option<&str>) {
        let dir = self.env.dir.path();
        let hook = pause.map_or(String::new(), |point| {
            format!(
                "SNAPPORT_PAUSE_AT={point} SNAPPORT_PAUSE_MARKER={} ",
                self.marker.display()
            )
        });
        self.tmux.type_text(&format!(
            "stty sane; clear; {hook}XDG_STATE_HOME={state} XDG_CONFIG_HOME={config} \
             XDG_DATA_HOME={data} LVM_SYSTEM_DIR={lvm} {bin} --local --vg {vg} --catalog \
             {catalog} --backend-host {HOST}; echo EXIT=$?",
            state = dir.join("state").display(),
            config = dir.join("config").display(),
            data = dir.join("data").display(),
            lvm = self.env.sandbox.lvm_system_dir().display(),
            bin = env!("CARGO_BIN_EXE_snapport"),
            vg = self.env.sandbox.vg(),
            catalog = self.env.catalog().display(),
        ));
        self.tmux.keys(&["Enter"]);
    }

    /// Waits for the console to freeze at its pause point, then kills it with SIGKILL.
    fn kill_when_paused(&self) {
        self.signal_when_paused("-KILL");
        self.tmux.wait_text("EXIT=137");
    }

    /// Waits for the console to freeze at its pause point, then sends it `signal`.
    fn signal_when_paused(&self, signal: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let pid = loop {
            if let Ok(text) = std::fs::read_to_string(&self.marker)
                && let Ok(pid) = text.trim().parse::<u32>()
            {
                break pid;
            }
            assert!(
                Instant::now() < deadline,
                "the batch never reached its pause point; the screen:\n{}",
                self.tmux.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let sent = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// `snapport ARGS` with this sandbox's environment: (exit code, stdout, stderr).
    fn snapport(&self, args: &[&str]) -> (i32, String, String) {
        let output = self.env.snapport().args(args).output().unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// The managed snapshots as `snapshot list -f json` prints them: (name, id).
    fn managed(&self) -> Vec<(String, String)> {
        let (code, stdout, stderr) = self.snapport(&["snapshot", "list", "-f", "json"]);
        assert_eq!(code, 0, "{stderr}");
        let listed: Value = serde_json::from_str(&stdout).unwrap();
        let mut managed: Vec<(String, String)> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap_or_default().to_string(),
                    s["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        managed.sort();
        managed
    }

    /// The one unfinished batch `batch list` shows: its journal and DONE column.
    fn listed_batch(&self) -> (PathBuf, String) {
        let (code, stdout, stderr) = self.snapport(&["batch", "list"]);
        assert_eq!(code, 0, "{stderr}");
        let rows: Vec<&str> = stdout
            .lines()
            .filter(|line| line.contains(".journal.jsonl"))
            .collect();
        let [row] = rows.as_slice() else {
            panic!("one unfinished batch expected:\n{stdout}")
        };
        let columns: Vec<&str> = row.split_whitespace().collect();
        assert!(row.contains("local lvm"), "the back end is named: {row}");
        (
            PathBuf::from(columns[0]),
            columns[columns.len() - 2].to_string(),
        )
    }

    /// `batch resume JOURNAL --yes`: (exit code, stdout, stderr).
    fn resume(&self, journal: &Path) -> (i32, String, String) {
        self.snapport(&["batch", "resume", &journal.display().to_string(), "--yes"])
    }
}

/// The summary line of item `number` up to its new id: `REFERENCE -> ID`.
fn managed_name(summary: &str, number: usize) -> &str {
    let line = summary.lines().nth(number - 1).unwrap_or_default();
    line.split(" (").next().unwrap_or_default()
}

/// Marks the three back-end snapshots and imports them.
fn import_all(tmux: &Tmux) {
    tmux.wait_text("Hosts [1/1]");
    tmux.keys(&["m"]);
    tmux.wait_text(SNAPSHOTS[2]);
    tmux.keys(&["C-a", "i"]);
    for number in 1..=3 {
        tmux.wait_text(&format!("Import {number} of 3"));
        tmux.keys(&["Enter"]);
    }
    tmux.wait_text("Confirm import");
    tmux.keys(&["Tab", "Enter"]);
}

/// Kills the console in an import batch at `pause`, checks what the kill left, resumes
/// and checks every snapshot is managed exactly once, LV renamed; resumes again.
/// `found`: item 2 was in flight and its effect is on the back end, so resume finds it.
fn import_killed_at(
    test: &str,
    pause: &str,
    managed_at_kill: usize,
    done_at_kill: &str,
    found: bool,
) {
    let scenario = Scenario::new(test);
    scenario.console(Some(pause));
    import_all(&scenario.tmux);
    scenario.kill_when_paused();

    assert_eq!(
        scenario.managed().len(),
        managed_at_kill,
        "snapshots managed when the console died"
    );
    let (journal, done) = scenario.listed_batch();
    assert_eq!(done, done_at_kill, "items with an outcome in the journal");
    assert!(journal.starts_with(scenario.env.dir.path().join("state/snapport/batches")));

    let (code, stdout, stderr) = scenario.resume(&journal);
    assert_eq!(code, 0, "resume succeeds:\n{stdout}\n{stderr}");
    assert_eq!(
        stdout.contains(&format!(
            "{} (found on the back end)",
            managed_name(&stdout, 2)
        )),
        found,
        "{stdout}"
    );
    let managed = scenario.managed();
    let names: Vec<&str> = managed.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, SNAPSHOTS, "each snapshot managed exactly once");
    let lvs = scenario.env.lv_names();
    for (name, id) in &managed {
        assert!(
            stdout.contains(&format!("{name} -> {id}")),
            "the summary maps {name} to {id}:\n{stdout}"
        );
        assert!(lvs.contains(&format!("_snapshot-{id}")), "{lvs:?}");
        assert!(!lvs.contains(name), "{name} was renamed: {lvs:?}");
    }
    let (_, listed, _) = scenario.snapport(&["batch", "list"]);
    assert!(
        !listed.contains("journal"),
        "the batch is complete:\n{listed}"
    );

    let (code, again, stderr) = scenario.resume(&journal);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("nothing to do"), "{stderr}");
    assert_eq!(again, stdout.replace(" (found on the back end)", ""));
    assert_eq!(
        scenario.managed(),
        managed,
        "a second resume changes nothing"
    );
}

#[test]
fn an_import_batch_killed_after_the_second_result_is_finished_by_resume() {
    import_killed_at("batch-result", "batch:result:2", 2, "2/3", false);
}

#[test]
fn an_import_killed_between_the_call_and_its_result_is_found_not_repeated() {
    import_killed_at("batch-call", "batch:call:2", 2, "1/3", true);
}

#[test]
fn an_import_killed_after_its_intent_runs_on_resume() {
    import_killed_at("batch-intent", "batch:intent:2", 1, "1/3", false);
}

#[test]
fn the_console_names_an_unfinished_batch_and_an_export_batch_resumes() {
    let scenario = Scenario::new("batch-export");
    let ids = scenario.manage_all();
    scenario.console(Some("batch:call:2"));
    scenario.tmux.wait_text("Hosts [1/1]");
    scenario.tmux.keys(&[":"]);
    scenario.tmux.type_text("snapshots");
    scenario.tmux.keys(&["Enter"]);
    scenario.tmux.wait_text("Snapshots (all volumes) [3/3]");
    scenario.tmux.keys(&["C-a", "x"]);
    scenario.tmux.wait_text("Confirm export");
    scenario.tmux.keys(&["Tab", "Enter"]);
    scenario.kill_when_paused();
    assert_eq!(
        scenario.managed().len(),
        1,
        "two exports reached the back end"
    );
    let (journal, done) = scenario.listed_batch();
    assert_eq!(done, "1/3");

    std::fs::remove_file(&scenario.marker).unwrap();
    scenario.console(None);
    let screen = scenario.tmux.wait_text("Unfinished batches");
    let flat: String = screen.replace('│', "").split_whitespace().collect();
    let file = journal.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        flat.contains("snapportbatchresume") && flat.contains(&file),
        "the notice names the command and the journal:\n{screen}"
    );
    scenario.tmux.keys(&["Enter", "q"]);
    scenario.tmux.wait_text("EXIT=0");

    let journal_arg = journal.display().to_string();
    let (code, _, stderr) =
        scenario.snapport(&["--read-only", "batch", "resume", &journal_arg, "--yes"]);
    assert_eq!(code, 3, "a read-only session cannot resume: {stderr}");
    assert_eq!(scenario.managed().len(), 1, "and changed nothing");

    let (code, stdout, stderr) = scenario.resume(&journal);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        scenario.managed().is_empty(),
        "every snapshot exported once"
    );
    let lvs = scenario.env.lv_names();
    for id in &ids {
        assert!(
            lvs.contains(&format!("_snapshot-{id}")),
            "exported data stays on the back end: {lvs:?}"
        );
    }
    assert_eq!(stdout.matches(": exported").count(), 3, "{stdout}");
    let (code, _, stderr) = scenario.resume(&journal);
    assert_eq!(code, 0);
    assert!(stderr.contains("nothing to do"), "{stderr}");
}

#[test]
fn a_console_told_to_stop_finishes_the_item_in_flight_and_leaves_the_rest_to_resume() {
    let scenario = Scenario::new("batch-term");
    scenario.console(Some("batch:intent:2"));
    import_all(&scenario.tmux);
    scenario.signal_when_paused("-TERM");
    scenario.tmux.wait_text("EXIT=0");
    assert_eq!(
        scenario.managed().len(),
        2,
        "the item in flight finished, the next one never started"
    );
    let (journal, done) = scenario.listed_batch();
    assert_eq!(done, "2/3", "both outcomes are in the journal");
    let (code, stdout, stderr) = scenario.resume(&journal);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        !stdout.contains("found on the back end"),
        "nothing was in flight: {stdout}"
    );
    let names: Vec<String> = scenario
        .managed()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, SNAPSHOTS);
}
