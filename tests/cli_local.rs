//! The snapport binary with `--local` against a real LVM volume group: JSON shapes,
//! one-line errors and exit codes.

mod common;
mod isolated;

use common::{HOST, LvmEnv, path_with, real_program, standard_layout};
use predicates::prelude::*;
use serde_json::Value;

fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {}", String::from_utf8_lossy(output)))
}

/// Runs snapport with `args` (which end in `-f json`), expecting success, and parses
/// its output.
fn run_json(env: &LvmEnv, args: &[&str]) -> Value {
    json(
        &env.snapport()
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout,
    )
}

/// Manages `lv` as a volume through the CLI and returns its id.
fn manage_volume(env: &LvmEnv, lv: &str) -> String {
    let out = env
        .snapport()
        .args([
            "volume", "manage", "--host", HOST, "--ref", lv, "--name", lv, "-f", "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    json(&out)["id"].as_str().unwrap().to_string()
}

/// Asserts a failure with `code` whose stderr is one line containing `text`.
fn fails_with(command: &mut assert_cmd::Command, code: i32, text: &str) {
    let assert = command.assert().code(code);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains(text), "stderr lacks {text:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn import_list_and_export_a_snapshot() {
    let env = LvmEnv::new("cli-flow", &standard_layout());
    let volume = manage_volume(&env, "vol-a");

    let listed = run_json(
        &env,
        &["snapshot", "manageable", "--host", HOST, "-f", "json"],
    );
    let entries = listed.as_array().unwrap();
    assert_eq!(entries.len(), 3);
    let a1 = entries
        .iter()
        .find(|e| e["reference"]["source-name"] == "snap-a1")
        .unwrap();
    assert_eq!(a1["safe_to_manage"], true);
    assert_eq!(a1["size"], 1);
    assert_eq!(a1["reason_not_safe"], Value::Null);
    assert_eq!(a1["cinder_id"], Value::Null);
    assert_eq!(
        a1["source_reference"]["source-name"],
        format!("volume-{volume}")
    );

    let managed = json(
        &env.snapport()
            .args([
                "snapshot", "manage", "--volume", &volume, "--ref", "snap-a1",
            ])
            .args(["--name", "nightly", "--description", "adopted"])
            .args([
                "--property",
                "origin-cloud=old",
                "--property",
                "ticket=OPS-1",
                "-f",
                "json",
            ])
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    let id = managed["id"].as_str().unwrap().to_string();
    assert_eq!(managed["status"], "available");
    assert_eq!(managed["volume_id"], volume.as_str());
    assert_eq!(managed["name"], "nightly");
    assert_eq!(managed["description"], "adopted");
    assert_eq!(managed["metadata"]["origin-cloud"], "old");
    assert_eq!(managed["metadata"]["ticket"], "OPS-1");
    assert!(env.lv_names().contains(&format!("_snapshot-{id}")));

    let again = run_json(
        &env,
        &["snapshot", "manageable", "--host", HOST, "-f", "json"],
    );
    let entry = again
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["reference"]["source-name"] == format!("_snapshot-{id}"))
        .unwrap();
    assert_eq!(entry["safe_to_manage"], false);
    assert_eq!(entry["reason_not_safe"], "already managed");
    assert_eq!(entry["cinder_id"], id.as_str());

    let table = env.snapport().args(["snapshot", "list"]).assert().success();
    let table = String::from_utf8_lossy(&table.get_output().stdout).to_string();
    assert!(
        table.contains(&id) && table.contains("nightly") && table.contains("origin-cloud='old'"),
        "{table}"
    );

    env.snapport()
        .args(["snapshot", "unmanage", &id, "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("snapshot {id} unmanaged")))
        .stderr(predicate::str::contains("VolumeIsBusy"));
    let after = run_json(&env, &["snapshot", "list", "-f", "json"]);
    assert_eq!(after, Value::Array(vec![]));
    assert!(
        env.lv_names().contains(&format!("_snapshot-{id}")),
        "the LV stays"
    );

    // Each change left one audit line naming the volume group.
    let audit = env.audit();
    let actions: Vec<(&str, &str, &str)> = audit
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap(),
                r["target"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("manage_volume", "vol-a", "done"),
            ("manage_snapshot", "snap-a1", "done"),
            ("unmanage_snapshot", id.as_str(), "done"),
        ]
    );
    for record in &audit {
        assert_eq!(
            record["backend"],
            serde_json::json!({
                "kind": "local",
                "vg": env.sandbox.vg(),
                "host": format!("{HOST}#{}", env.sandbox.vg()),
            })
        );
        assert!(record.get("request_id").is_none(), "{record}");
    }
    assert_eq!(audit[0]["new_id"], volume.as_str());
    assert_eq!(audit[1]["new_id"], id.as_str());
    assert_eq!(audit[1]["params"]["volume_id"], volume.as_str());
    assert_eq!(audit[1]["params"]["metadata"]["ticket"], "OPS-1");
}

#[test]
fn every_refusal_is_one_line_with_the_right_exit_code() {
    let env = LvmEnv::new("cli-errors", &standard_layout());
    let vol_a = manage_volume(&env, "vol-a");
    let vol_b = manage_volume(&env, "vol-b");
    let manage = |volume: &str, lv: &str| {
        let mut command = env.snapport();
        command.args(["snapshot", "manage", "--volume", volume, "--ref", lv]);
        command
    };

    fails_with(
        &mut manage("11111111-2222-3333-4444-555555555555", "snap-a1"),
        1,
        "NotFound: Volume 11111111-2222-3333-4444-555555555555 could not be found.",
    );
    fails_with(
        &mut manage(&vol_a, "ghost"),
        1,
        "ManageExistingInvalidReference: Manage existing volume failed due to invalid backend reference ghost",
    );
    fails_with(
        &mut manage(&vol_a, "plain"),
        1,
        "ManageExistingInvalidReference: plain is not a snapshot LV",
    );
    fails_with(
        &mut manage(&vol_b, "snap-a1"),
        1,
        &format!(
            "ManageExistingInvalidReference: snap-a1 is a snapshot of volume-{vol_a}, not of volume {vol_b}"
        ),
    );
    let out = manage(&vol_a, "snap-a1")
        .args(["-f", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let id = json(&out)["id"].as_str().unwrap().to_string();
    fails_with(
        &mut manage(&vol_a, &format!("_snapshot-{id}")),
        1,
        &format!(
            "ManageExistingAlreadyManaged: _snapshot-{id} is already managed as snapshot {id}"
        ),
    );
    fails_with(
        env.snapport().args(["volume", "unmanage", &vol_a, "--yes"]),
        1,
        &format!("InvalidState: Invalid volume: Volume {vol_a} has managed snapshots ({id})"),
    );
    manage(&vol_a, "snap-a2")
        .args(["--property", "no-equals-sign"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid property 'no-equals-sign': expected key=value",
        ));
    env.snapport()
        .args(["snapshot", "unmanage", &id])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(format!(
            "volume {vol_a} can then not be deleted"
        )))
        .stderr(predicate::str::contains("error: not confirmed: pass --yes"));
    fails_with(
        env.snapport().args([
            "snapshot",
            "unmanage",
            "00000000-0000-0000-0000-000000000000",
            "--yes",
        ]),
        1,
        "NotFound: Snapshot 00000000-0000-0000-0000-000000000000 could not be found.",
    );
    let listed = run_json(&env, &["snapshot", "list", "-f", "json"]);
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "the unconfirmed export changed nothing"
    );
}

#[test]
fn read_only_refuses_before_any_lvm_command_runs() {
    let env = LvmEnv::new("cli-ro", &standard_layout());
    let vol_a = manage_volume(&env, "vol-a");
    let log = env.dir.path().join("lvm-calls.log");
    let wrap = |program: &str| {
        format!(
            "echo {program} \"$@\" >> {}\nexec {} \"$@\"",
            log.display(),
            real_program(program)
        )
    };
    let (lvs, lvrename) = (wrap("lvs"), wrap("lvrename"));
    let bin = env.wrappers(&[("lvs", &lvs), ("lvrename", &lvrename)]);

    for args in [
        vec!["snapshot", "manage", "--volume", &vol_a, "--ref", "snap-a1"],
        vec!["volume", "manage", "--host", HOST, "--ref", "vol-b"],
        vec!["volume", "unmanage", &vol_a, "--yes"],
    ] {
        fails_with(
            env.snapport()
                .env("PATH", path_with(&bin))
                .arg("--read-only")
                .args(&args),
            3,
            "ReadOnly:",
        );
    }
    assert!(
        !log.exists(),
        "no lvm command ran: {:?}",
        std::fs::read_to_string(&log)
    );
    let refused: Vec<(String, String)> = env
        .audit()
        .iter()
        .skip(1)
        .map(|r| (r["action"].to_string(), r["outcome"].to_string()))
        .collect();
    assert_eq!(
        refused,
        [
            ("\"manage_snapshot\"".into(), "\"refused_read_only\"".into()),
            ("\"manage_volume\"".into(), "\"refused_read_only\"".into()),
            ("\"unmanage_volume\"".into(), "\"refused_read_only\"".into()),
        ],
        "each refusal is audited"
    );

    env.snapport()
        .env("PATH", path_with(&bin))
        .args(["--read-only", "snapshot", "manageable", "--host", HOST])
        .assert()
        .success()
        .stdout(predicate::str::contains("snap-a1"));
    let calls = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        calls.lines().count(),
        1,
        "one lvs call per listing: {calls}"
    );
    assert!(calls.starts_with("lvs "), "{calls}");
    assert!(env.lv_names().contains(&"snap-a1".to_string()));
}

#[test]
fn a_failed_rename_leaves_the_catalog_as_it_was() {
    let env = LvmEnv::new("cli-rename", &standard_layout());
    let vol_a = manage_volume(&env, "vol-a");
    let bin = env.wrappers(&[("lvrename", "echo '  Simulated: device busy' >&2\nexit 5")]);
    let assert = env
        .snapport()
        .env("PATH", path_with(&bin))
        .args(["snapshot", "manage", "--volume", &vol_a, "--ref", "snap-a1"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("lvrename") && stderr.contains("Simulated: device busy"),
        "{stderr}"
    );
    let listed = run_json(&env, &["snapshot", "list", "-f", "json"]);
    assert_eq!(listed, Value::Array(vec![]));
    assert!(env.lv_names().contains(&"snap-a1".to_string()));
    let failed = env.audit().pop().unwrap();
    assert_eq!(
        failed["outcome"], "failed",
        "the back end's failure: {failed}"
    );
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("Simulated: device busy")
    );
    env.snapport()
        .args(["snapshot", "manage", "--volume", &vol_a, "--ref", "snap-a1"])
        .assert()
        .success();
}

#[test]
fn usage_errors_exit_two() {
    let env = LvmEnv::new("cli-usage", &[]);
    env.snapport()
        .args(["snapshot", "manage", "--ref", "x"])
        .assert()
        .code(2);
    isolated::snapport_cmd(env.dir.path())
        .args(["host", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("choose a back end"));
}

#[test]
fn several_references_import_as_one_batch_on_a_real_volume_group() {
    let env = LvmEnv::new("cli-batch", &standard_layout());
    let vol_a = manage_volume(&env, "vol-a");
    let out = env
        .snapport()
        .args([
            "snapshot", "manage", "--volume", &vol_a, "--ref", "snap-a1", "--ref", "snap-b1",
            "--ref", "snap-a2", "-f", "json",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let results = json(&out);
    let results = results.as_array().unwrap();
    let references: Vec<&str> = results
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    assert_eq!(references, ["snap-a1", "snap-b1", "snap-a2"], "input order");
    let refused = results[1]["error"].as_str().unwrap();
    assert!(
        refused.starts_with("ManageExistingInvalidReference: snap-b1"),
        "a snapshot of another volume: {refused}"
    );
    let lvs = env.lv_names();
    for index in [0, 2] {
        let id = results[index]["id"].as_str().unwrap();
        assert!(lvs.contains(&format!("_snapshot-{id}")), "{lvs:?}");
    }
    assert!(
        lvs.contains(&"snap-b1".to_string()),
        "the refused one is untouched"
    );
    let listed = run_json(&env, &["snapshot", "list", "-f", "json"]);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(
        names.contains(&"snap-a1") && names.contains(&"snap-a2"),
        "{names:?}"
    );
}

#[test]
fn two_operators_importing_one_lv_at_once_end_with_it_managed_once() {
    let env = LvmEnv::new("cli-two-ops", &standard_layout());
    let vol_a = manage_volume(&env, "vol-a");
    // A barrier behind lvs: each process's first listing is held until the other's has
    // been taken too, so both check the LV before either renames it.
    let arrivals = env.dir.path().join("arrivals");
    std::fs::create_dir(&arrivals).unwrap();
    let barrier = format!(
        "out=$({lvs} \"$@\"); rc=$?\n\
         mkdir -p {dir}; touch {dir}/$$\n\
         i=0; while [ \"$(ls {dir} | wc -l)\" -lt 2 ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done\n\
         printf '%s\\n' \"$out\"; exit $rc",
        dir = arrivals.display(),
        lvs = real_program("lvs")
    );
    let bin = env.wrappers(&[("lvs", &barrier)]);
    let start = || {
        env.snapport_std()
            .env("PATH", path_with(&bin))
            .args([
                "snapshot", "manage", "--volume", &vol_a, "--ref", "snap-a1", "-f", "json",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (start(), start());
    let outputs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    let (won, lost): (Vec<_>, Vec<_>) = outputs.iter().partition(|out| out.status.success());
    assert_eq!((won.len(), lost.len()), (1, 1), "{outputs:?}");
    let loser = String::from_utf8_lossy(&lost[0].stderr);
    assert!(
        loser.starts_with("error: ManageExistingAlreadyManaged: snap-a1"),
        "the loser is told who has it: {loser}"
    );
    assert_eq!(lost[0].status.code(), Some(1));
    let id = json(&won[0].stdout)["id"].as_str().unwrap().to_string();
    let managed = run_json(&env, &["snapshot", "list", "-f", "json"]);
    let ids: Vec<&str> = managed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()], "managed exactly once");
    assert_eq!(managed[0]["status"], "available");
    let lvs = env.lv_names();
    assert!(lvs.contains(&format!("_snapshot-{id}")), "{lvs:?}");
    assert!(!lvs.contains(&"snap-a1".to_string()), "{lvs:?}");
}

#[test]
fn listings_print_in_openstacks_formats_on_a_real_volume_group() {
    let env = LvmEnv::new("cli-formats", &standard_layout());
    let volume = manage_volume(&env, "vol-a");
    let stdout = |args: &[&str]| {
        let output = env.snapport().args(args).assert().success();
        String::from_utf8(output.get_output().stdout.clone()).unwrap()
    };

    let references = stdout(&[
        "snapshot",
        "manageable",
        "--host",
        HOST,
        "-f",
        "value",
        "-c",
        "Reference",
        "-c",
        "Size",
        "--sort-column",
        "Size",
        "--sort-column",
        "Reference",
    ]);
    assert_eq!(references, "snap-a1 1\nsnap-b1 1\nsnap-a2 2\n");

    let ids = stdout(&["volume", "list", "-f", "value", "-c", "ID"]);
    assert_eq!(ids, format!("{volume}\n"));

    let yaml = stdout(&["volume", "list", "-f", "yaml"]);
    let volumes: Vec<snapport::backend::Volume> = serde_yaml_ng::from_str(&yaml).unwrap();
    assert_eq!(volumes[0].id, volume);
    assert_eq!(volumes[0].name.as_deref(), Some("vol-a"));

    let csv = stdout(&["volume", "list", "-f", "csv", "-c", "Name", "-c", "Size"]);
    assert_eq!(csv, "Name,Size\nvol-a,1\n");
}
