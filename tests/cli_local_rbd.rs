//! The snapport binary with `--local --pool` on a real Ceph pool: output, read-only
//! refusals, crash recovery after a kill between intent and rename, and a migration
//! between two catalogs over one pool.

mod ceph_pool;
mod cinder_harness;
mod isolated;
mod rbd_tool;

use std::process::Stdio;

use ceph_pool::{CephPool, HOST, wait_until};
use predicates::prelude::*;
use serde_json::Value;

fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {}", String::from_utf8_lossy(output)))
}

fn run_json(pool: &CephPool, args: &[&str]) -> Value {
    json(
        &pool
            .snapport()
            .args(args)
            .args(["-f", "json"])
            .assert()
            .success()
            .get_output()
            .stdout,
    )
}

fn manage_volume(pool: &CephPool, image: &str) -> String {
    run_json(pool, &["volume", "manage", "--host", HOST, "--ref", image])["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn import_list_and_export_through_the_command_line() {
    let Some(pool) = CephPool::new("cli-flow") else {
        return;
    };
    pool.seed(&["vol-a"], &["vol-a@daily"]);
    let hosts = run_json(&pool, &["host", "list"]);
    assert_eq!(hosts[0]["host"], format!("{HOST}#{}", pool.pool));
    assert_eq!(hosts[0]["state"], "up");

    let volume = manage_volume(&pool, "vol-a");
    let image = format!("volume-{volume}");
    let listed = run_json(&pool, &["snapshot", "manageable", "--host", HOST]);
    assert_eq!(listed[0]["reference"]["source-name"], "daily");
    assert_eq!(listed[0]["source_reference"]["source-name"], image.as_str());
    assert_eq!(listed[0]["safe_to_manage"], true);

    let managed = run_json(
        &pool,
        &[
            "snapshot",
            "manage",
            "--volume",
            &volume,
            "--ref",
            "daily",
            "--name",
            "nightly",
            "--property",
            "ticket=OPS-1",
        ],
    );
    let id = managed["id"].as_str().unwrap().to_string();
    assert_eq!(managed["volume_id"], volume.as_str());
    assert_eq!(managed["metadata"]["ticket"], "OPS-1");
    assert_eq!(
        pool.snapshots_of(&image),
        [(format!("snapshot-{id}"), true)]
    );

    let table = pool
        .snapport()
        .args(["snapshot", "manageable", "--host", HOST])
        .assert()
        .success();
    let table = String::from_utf8_lossy(&table.get_output().stdout).to_string();
    assert!(
        table.contains(&format!("snapshot-{id}")) && table.contains("already managed"),
        "{table}"
    );

    pool.snapport()
        .args(["snapshot", "unmanage", &id, "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("snapshot {id} unmanaged")));
    assert_eq!(
        pool.snapshots_of(&image),
        [(format!("snapshot-{id}"), false)]
    );

    let audit = pool.audit();
    let actions: Vec<&str> = audit
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["manage_volume", "manage_snapshot", "unmanage_snapshot"]
    );
    assert_eq!(audit[0]["backend"]["pool"], pool.pool.as_str());
}

#[test]
fn read_only_refuses_every_change_and_renames_nothing() {
    let Some(pool) = CephPool::new("cli-ro") else {
        return;
    };
    pool.seed(&["vol-a"], &["vol-a@daily"]);
    let before = pool.listing();
    let assert = pool
        .snapport()
        .args([
            "--read-only",
            "volume",
            "manage",
            "--host",
            HOST,
            "--ref",
            "vol-a",
        ])
        .assert()
        .code(3);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("read-only"), "{stderr}");
    assert_eq!(pool.listing(), before, "nothing renamed");
    let listed = json(
        &pool
            .snapport()
            .args([
                "--read-only",
                "volume",
                "manageable",
                "--host",
                HOST,
                "-f",
                "json",
            ])
            .assert()
            .success()
            .get_output()
            .stdout,
    );
    assert_eq!(listed[0]["safe_to_manage"], true, "listings still work");
}

/// Starts `snapshot manage` with `rbd snap rename` replaced by `script`, waits until
/// it reports its PID, then SIGKILLs snapport and the script.
fn manage_and_kill(pool: &CephPool, volume: &str, script: &str) {
    let marker = pool.dir.path().join("rename.pid");
    let real = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v rbd"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let body = format!(
        "#!/bin/sh\ncase \"$*\" in *\"snap rename\"*) ;; *) exec {} \"$@\";; esac\n{}\n",
        real.trim(),
        script
            .replace("MARKER", &marker.display().to_string())
            .replace("REAL", real.trim())
    );
    let bin = pool.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("rbd"), body).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("rbd"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut child = pool
        .snapport_std()
        .env("PATH", path)
        .args(["snapshot", "manage", "--volume", volume, "--ref", "daily"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the rename to start", || {
        std::fs::read_to_string(&marker).is_ok_and(|text| text.ends_with('\n'))
    });
    let script_pid = std::fs::read_to_string(&marker).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    std::process::Command::new("kill")
        .args(["-9", script_pid.trim()])
        .status()
        .unwrap();
}

fn snapshots(pool: &CephPool, read_only: bool) -> Vec<Value> {
    isolated::snapshot_list(pool.snapport(), read_only)
}

#[test]
fn killed_before_the_rename_rolls_back() {
    let Some(pool) = CephPool::new("crash-before") else {
        return;
    };
    pool.seed(&["vol-a"], &["vol-a@daily"]);
    let volume = manage_volume(&pool, "vol-a");
    manage_and_kill(&pool, &volume, "echo $$ > MARKER\nexec sleep 600");

    let pending = snapshots(&pool, true);
    assert_eq!(
        pending.len(),
        1,
        "read-only sees the intent, repairs nothing"
    );
    assert_eq!(pending[0]["status"], "creating");

    assert!(
        snapshots(&pool, false).is_empty(),
        "the intent was rolled back"
    );
    let image = format!("volume-{volume}");
    assert_eq!(pool.snapshots_of(&image), [("daily".to_string(), false)]);
    let recovery = pool.audit().pop().unwrap();
    assert_eq!(recovery["action"], "recover_manage");
    assert_eq!(recovery["params"]["repair"], "rolled_back");
}

#[test]
fn killed_after_the_rename_completes_and_protects() {
    let Some(pool) = CephPool::new("crash-after") else {
        return;
    };
    pool.seed(&["vol-a"], &["vol-a@daily"]);
    let volume = manage_volume(&pool, "vol-a");
    manage_and_kill(
        &pool,
        &volume,
        "REAL \"$@\" || exit 1\necho $$ > MARKER\nexec sleep 600",
    );
    let pending = snapshots(&pool, true);
    assert_eq!(pending[0]["status"], "creating");
    let id = pending[0]["id"].as_str().unwrap().to_string();
    let image = format!("volume-{volume}");
    assert_eq!(
        pool.snapshots_of(&image),
        [(format!("snapshot-{id}"), false)],
        "renamed, killed before the protect"
    );

    let recovered = snapshots(&pool, false);
    assert_eq!(recovered[0]["status"], "available");
    assert_eq!(
        pool.snapshots_of(&image),
        [(format!("snapshot-{id}"), true)],
        "recovery finished the manage as the driver does"
    );
    let recovery = pool.audit().pop().unwrap();
    assert_eq!(recovery["params"]["repair"], "completed");
}

#[test]
fn a_volume_and_its_snapshots_migrate_between_two_catalogs_over_one_pool() {
    let Some(pool) = CephPool::new("migrate") else {
        return;
    };
    pool.seed(&["db"], &["db@mon", "db@tue"]);
    let config = pool.dir.path().join("config.toml");
    let side = |name: &str| {
        format!(
            "[backends.{name}]\nkind = \"rbd\"\npool = \"{}\"\ncatalog = \"{}\"\n\
             host = \"{name}@ceph\"\nceph_conf = \"{}\"\n",
            pool.pool,
            pool.dir.path().join(format!("{name}.sqlite")).display(),
            pool.conf.display()
        )
    };
    std::fs::write(&config, side("old") + &side("new")).unwrap();
    let on = |backend: &str| {
        let mut command = assert_cmd::Command::from_std(isolated::snapport(pool.dir.path()));
        command
            .arg("--config")
            .arg(&config)
            .args(["--backend", backend]);
        command
    };
    let output = |command: &mut assert_cmd::Command| {
        json(
            &command
                .args(["-f", "json"])
                .assert()
                .success()
                .get_output()
                .stdout,
        )
    };
    let volume = output(on("old").args(["volume", "manage", "--host", "old@ceph", "--ref", "db"]));
    let volume = volume["id"].as_str().unwrap().to_string();
    for snapshot in ["mon", "tue"] {
        output(on("old").args(["snapshot", "manage", "--volume", &volume, "--ref", snapshot]));
    }

    let plan = pool.dir.path().join("plan.json");
    let target = format!("new@ceph#{}", pool.pool);
    assert_cmd::Command::from_std(isolated::snapport(pool.dir.path()))
        .arg("--config")
        .arg(&config)
        .args([
            "migrate",
            "plan",
            "--from",
            "old",
            "--to",
            "new",
            "--target-host",
            &target,
            &volume,
            "-o",
        ])
        .arg(&plan)
        .assert()
        .success();
    assert_cmd::Command::from_std(isolated::snapport(pool.dir.path()))
        .arg("--config")
        .arg(&config)
        .args(["migrate", "apply", "--yes"])
        .arg(&plan)
        .assert()
        .success();

    assert_eq!(
        output(on("old").args(["volume", "list"])),
        Value::Array(vec![])
    );
    let moved = output(on("new").args(["volume", "list"]));
    let new_id = moved[0]["id"].as_str().unwrap().to_string();
    assert_eq!(moved[0]["metadata"]["snapport:source-id"], volume.as_str());
    let snapshots = output(on("new").args(["snapshot", "list"]));
    let mut expected: Vec<(String, bool)> = snapshots
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (format!("snapshot-{}", s["id"].as_str().unwrap()), true))
        .collect();
    expected.sort();
    let mut on_pool = pool.snapshots_of(&format!("volume-{new_id}"));
    on_pool.sort();
    assert_eq!(on_pool, expected, "renamed for the new catalog, protected");
    assert_eq!(pool.images(), [format!("volume-{new_id}")]);
}
