//! A manage killed between committing its intent and renaming the LV (or right after
//! the rename) is completed or rolled back at the next start, by looking at LV names.

mod common;
mod isolated;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{HOST, LvmEnv, path_with, real_program, standard_layout};
use serde_json::Value;

fn wait_for(path: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text.trim().to_string();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{} never appeared", path.display());
}

fn snapshots(env: &LvmEnv, read_only: bool) -> Vec<Value> {
    isolated::snapshot_list(env.snapport(), read_only)
}

/// Starts `snapshot manage` with `lvrename` replaced by `wrapper`, waits until the
/// wrapper reports its PID, then SIGKILLs snapport and the wrapper.
fn manage_and_kill(env: &LvmEnv, volume: &str, wrapper: &str) {
    let marker = env.dir.path().join("lvrename.pid");
    let body = wrapper
        .replace("MARKER", &marker.display().to_string())
        .replace("REAL", &real_program("lvrename"));
    let bin = env.wrappers(&[("lvrename", &body)]);
    let mut child = env
        .snapport_std()
        .env("PATH", path_with(&bin))
        .args(["snapshot", "manage", "--volume", volume, "--ref", "snap-a1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let wrapper_pid = wait_for(&marker);
    child.kill().unwrap();
    child.wait().unwrap();
    Command::new("kill")
        .args(["-9", &wrapper_pid])
        .status()
        .unwrap();
}

fn managed_volume(env: &LvmEnv) -> String {
    let out = env
        .snapport()
        .args([
            "volume", "manage", "--host", HOST, "--ref", "vol-a", "-f", "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice::<Value>(&out).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn killed_before_the_rename_rolls_back() {
    let env = LvmEnv::new("crash-before", &standard_layout());
    let volume = managed_volume(&env);
    manage_and_kill(&env, &volume, "echo $$ > MARKER\nexec sleep 600");

    let pending = snapshots(&env, true);
    assert_eq!(
        pending.len(),
        1,
        "read-only sees the intent and repairs nothing"
    );
    assert_eq!(pending[0]["status"], "creating");

    assert!(
        snapshots(&env, false).is_empty(),
        "the intent was rolled back"
    );
    assert!(env.lv_names().contains(&"snap-a1".to_string()));
    assert_recovery_audited(&env, "rolled_back", "done");
    let manageable = env
        .snapport()
        .args(["snapshot", "manageable", "--host", HOST, "-f", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let manageable: Value = serde_json::from_slice(&manageable).unwrap();
    let entry = manageable
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["reference"]["source-name"] == "snap-a1")
        .unwrap();
    assert_eq!(entry["safe_to_manage"], true, "it can be imported again");
}

#[test]
fn killed_after_the_rename_completes() {
    let env = LvmEnv::new("crash-after", &standard_layout());
    let volume = managed_volume(&env);
    manage_and_kill(
        &env,
        &volume,
        "REAL \"$@\" || exit 1\necho $$ > MARKER\nexec sleep 600",
    );

    let pending = snapshots(&env, true);
    assert_eq!(pending[0]["status"], "creating");
    let id = pending[0]["id"].as_str().unwrap().to_string();
    assert!(
        env.lv_names().contains(&format!("_snapshot-{id}")),
        "the rename happened"
    );

    let recovered = snapshots(&env, false);
    assert_eq!(recovered.len(), 1);
    assert_eq!(recovered[0]["id"], id.as_str());
    assert_eq!(
        recovered[0]["status"], "available",
        "the manage was completed"
    );
    assert_eq!(recovered[0]["volume_id"], volume.as_str());
    assert_recovery_audited(&env, "completed", "done");
}

/// The audit trail holds the volume's import, then the repair of the killed snapshot
/// import (the killed call itself never returned, so it left no line).
fn assert_recovery_audited(env: &LvmEnv, repair: &str, outcome: &str) {
    let audit = env.audit();
    assert_eq!(audit.len(), 2, "{audit:#?}");
    assert_eq!(audit[0]["action"], "manage_volume");
    let recovery = &audit[1];
    assert_eq!(recovery["action"], "recover_manage");
    assert_eq!(recovery["target"], "snap-a1");
    assert_eq!(recovery["params"]["repair"], repair);
    assert_eq!(recovery["params"]["kind"], "snapshot");
    assert_eq!(recovery["outcome"], outcome);
    assert_eq!(recovery["backend"]["vg"], env.sandbox.vg());
}
