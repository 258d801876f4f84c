//! The real binary in tmux against a real LVM sandbox: an LV left on the back end with
//! a snapshot of it, neither known to Cinder. The operator imports the volume from the
//! back-end volumes screen, then its snapshot, whose parent the console now knows; the
//! CLI then lists both as managed and LVM shows the LVs renamed the way Cinder names
//! them.

mod tmux;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use snapport::sandbox::{LvSpec, Sandbox};

use tmux::{Tmux, require_prerequisites};

const HOST: &str = "e2e@lvm";

/// The environment every snapport run of this test gets: a private home and the
/// sandbox's LVM configuration.
fn environment(home: &Path, sandbox: &Sandbox) -> Vec<(String, String)> {
    let home = home.display();
    vec![
        ("HOME".into(), home.to_string()),
        ("XDG_CONFIG_HOME".into(), format!("{home}/config")),
        ("XDG_DATA_HOME".into(), format!("{home}/data")),
        ("XDG_STATE_HOME".into(), format!("{home}/state")),
        (
            "LVM_SYSTEM_DIR".into(),
            sandbox.lvm_system_dir().display().to_string(),
        ),
    ]
}

/// Runs `snapport --local … ARGS -f json` and parses what it prints.
fn cli_json(env: &[(String, String)], local: &[String], args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_snapport"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(local)
        .args(args)
        .args(["-f", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "snapport {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// The id the job summary shows after `reference -> `.
fn new_id(results: &str, reference: &str) -> String {
    let id = results
        .lines()
        .find_map(|line| line.split(&format!(" {reference} -> ")).nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no new id for {reference} in the results:\n{results}"));
    assert_eq!(id.len(), 36, "a uuid: {id}");
    id
}

#[test]
fn import_a_volume_then_its_snapshot_through_the_console() {
    require_prerequisites();
    let dir = tempfile::tempdir().unwrap();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let vg = format!("snapport-vi-{}", &unique[..8]);
    let sandbox = Sandbox::create(
        &vg,
        &dir.path().join("vg"),
        1024,
        &[
            LvSpec::volume("legacy-db", 256),
            LvSpec::snapshot("legacy-db-nightly", 64, "legacy-db"),
        ],
    )
    .unwrap();
    let catalog = dir.path().join("catalog.sqlite");
    let env = environment(&dir.path().join("home"), &sandbox);
    let local: Vec<String> = [
        "--local",
        "--vg",
        &vg,
        "--catalog",
        &catalog.display().to_string(),
        "--backend-host",
        HOST,
    ]
    .map(str::to_string)
    .to_vec();

    let tmux = Tmux::start(&unique[..8]);
    let exports: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    tmux.type_text(&format!(
        "{} {} {}; echo EXIT=$?",
        exports.join(" "),
        env!("CARGO_BIN_EXE_snapport"),
        local.join(" ")
    ));
    tmux.keys(&["Enter"]);
    tmux.wait_text("Hosts [1/1]");

    tmux.keys(&["m"]);
    tmux.wait_text("legacy-db-nightly");
    tmux.keys(&["d"]);
    let details = tmux.wait_text("next step");
    let flat = details
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("import it first (v or :manageable-volumes)"),
        "the snapshot points to the volume import:\n{details}"
    );

    tmux.keys(&["d", "v"]);
    tmux.wait_text("Back-end volumes on");
    tmux.wait_text("legacy-db");
    tmux.keys(&["i"]);
    tmux.wait_text("Import 1 of 1: legacy-db");
    tmux.keys(&["Enter"]);
    let confirm = tmux.wait_text("Confirm import");
    assert!(
        confirm.contains("as volume 'legacy-db'"),
        "the confirmation names the import:\n{confirm}"
    );
    tmux.keys(&["Tab", "Enter"]);
    let results = tmux.wait_text("finished: 1 done, 0 failed");
    let volume_id = new_id(&results, "legacy-db");

    tmux.keys(&["Enter", "m"]);
    tmux.wait_text("Back-end snapshots on");
    tmux.wait_text("legacy-db-nightly");
    tmux.keys(&["/"]);
    tmux.type_text("nightly");
    tmux.keys(&["Enter", "i"]);
    tmux.wait_text("Import 1 of 1: legacy-db-nightly");
    tmux.wait_text(&format!("legacy-db ({volume_id})  the snapshot's origin"));
    tmux.keys(&["Enter"]);
    tmux.wait_text("Confirm import");
    tmux.keys(&["Tab", "Enter"]);
    let results = tmux.wait_text("finished: 1 done, 0 failed");
    let snapshot_id = new_id(&results, "legacy-db-nightly");
    tmux.keys(&["Enter", "q"]);
    tmux.wait_text("EXIT=0");
    tmux.assert_restored();

    let volumes = cli_json(&env, &local, &["volume", "list"]);
    let volumes = volumes.as_array().unwrap();
    assert_eq!(volumes.len(), 1, "{volumes:?}");
    assert_eq!(volumes[0]["id"], volume_id.as_str());
    assert_eq!(volumes[0]["name"], "legacy-db");
    let snapshots = cli_json(&env, &local, &["snapshot", "list"]);
    let snapshots = snapshots.as_array().unwrap();
    assert_eq!(snapshots.len(), 1, "{snapshots:?}");
    assert_eq!(snapshots[0]["id"], snapshot_id.as_str());
    assert_eq!(snapshots[0]["volume_id"], volume_id.as_str());
    assert_eq!(snapshots[0]["name"], "legacy-db-nightly");

    let mut lvs = sandbox.lv_names().unwrap();
    lvs.sort();
    let volume_lv = format!("volume-{volume_id}");
    let mut expected = vec![
        (format!("_snapshot-{snapshot_id}"), volume_lv.clone()),
        (volume_lv, String::new()),
    ];
    expected.sort();
    assert_eq!(
        lvs, expected,
        "both LVs renamed, the snapshot still of its volume"
    );
}
