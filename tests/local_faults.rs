//! Faults of the local back end on a real volume group: `lvrename` failing for one item
//! of a batch, lvm missing, the catalog locked by another process, read-only or not a
//! database, a full disk under the audit trail. Each says what failed and leaves the catalog and the VG consistent:
//! nothing renamed that is not recorded, no record left `creating`.

mod common;
mod isolated;

use std::path::{Path, PathBuf};

use common::{HOST, LvmEnv, path_with, real_program, standard_layout};
use serde_json::Value;

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).to_string()
}

/// The records of the catalog, through the binary: (name, status) of every snapshot.
fn snapshots(env: &LvmEnv) -> Vec<(String, String)> {
    isolated::snapshot_list(env.snapport(), true)
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or("").to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn manage_volume(env: &LvmEnv, lv: &str) -> String {
    let out = env
        .snapport()
        .args([
            "volume", "manage", "--host", HOST, "--ref", lv, "-f", "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let volume: Value = serde_json::from_slice(&out).unwrap();
    volume["id"].as_str().unwrap().to_string()
}

#[test]
fn a_failing_lvrename_fails_its_item_naming_lvm_and_its_words_and_the_rest_run() {
    let env = LvmEnv::new("fault-rename", &standard_layout());
    let vol_a = manage_volume(&env, "vol-a");
    let failing = format!(
        "case \"$*\" in *snap-a1*) echo '  Simulated: device busy' >&2; exit 5;; esac\nexec {} \"$@\"",
        real_program("lvrename")
    );
    let bin = env.wrappers(&[("lvrename", &failing)]);
    let assert = env
        .snapport()
        .env("PATH", path_with(&bin))
        .args([
            "snapshot",
            "manage",
            "--volume",
            &vol_a,
            "--concurrency",
            "1",
        ])
        .args(["--ref", "snap-a1", "--ref", "snap-a2"])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        stderr.contains("error: snap-a1:")
            && stderr.contains("lvrename")
            && stderr.contains("Simulated: device busy"),
        "{stderr}"
    );
    assert!(stdout.contains("snap-a2 -> "), "{stdout}");
    assert_eq!(
        snapshots(&env),
        [("snap-a2".to_string(), "available".to_string())],
        "the failed import left no record, not even one `creating`"
    );
    let names = env.lv_names();
    assert!(names.contains(&"snap-a1".to_string()), "{names:?}");
    assert!(!names.contains(&"snap-a2".to_string()), "{names:?}");
}

#[test]
fn without_lvm_on_the_path_the_command_is_named_and_nothing_changes() {
    let env = LvmEnv::new("fault-nolvm", &standard_layout());
    let vol_a = manage_volume(&env, "vol-a");
    let empty = env.wrappers(&[]);
    let assert = env
        .snapport()
        .env("PATH", empty.as_os_str())
        .args(["snapshot", "manage", "--volume", &vol_a, "--ref", "snap-a1"])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains("not found: install lvm2") && stderr.contains('`'),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(snapshots(&env).is_empty());
    assert!(env.lv_names().contains(&"snap-a1".to_string()));
}

#[test]
fn a_catalog_locked_by_another_process_is_named_after_the_busy_timeout() {
    let env = LvmEnv::new("fault-locked", &standard_layout());
    let vol_a = manage_volume(&env, "vol-a");
    let holder = rusqlite::Connection::open(env.catalog()).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    // Listing still works while another process writes.
    assert!(snapshots(&env).is_empty());
    import_refused_by_the_catalog(
        &env,
        &vol_a,
        "locked by another process (gave up waiting after 10 s)",
    );
    holder.execute_batch("ROLLBACK").unwrap();
    assert!(snapshots(&env).is_empty(), "no record, none `creating`");
}

/// Imports `snap-a1` under `volume`, which must fail (exit 1) with a message that names
/// the catalog file and says `why`; the LV keeps its name.
fn import_refused_by_the_catalog(env: &LvmEnv, volume: &str, why: &str) {
    let assert = env
        .snapport()
        .args(["snapshot", "manage", "--volume", volume, "--ref", "snap-a1"])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!("catalog {}", env.catalog().display())) && stderr.contains(why),
        "{stderr}"
    );
    assert!(
        env.lv_names().contains(&"snap-a1".to_string()),
        "nothing was renamed"
    );
}

/// A 64 KiB tmpfs at `dir`, filled up, unmounted on drop.
struct FullDisk(PathBuf);

impl FullDisk {
    fn at(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(mounted.success(), "mount a tmpfs (needs root)");
        let disk = Self(dir.to_path_buf());
        let filled = std::fs::write(dir.join("filler"), vec![0u8; 128 * 1024]);
        assert!(filled.is_err(), "the disk is full");
        disk
    }
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn on_a_full_disk_no_change_starts_that_cannot_be_audited() {
    let env = LvmEnv::new("fault-full", &standard_layout());
    let vol_a = manage_volume(&env, "vol-a");
    let audit_dir = env.dir.path().join("state/snapport");
    let audited = std::fs::read_to_string(audit_dir.join("audit.jsonl")).unwrap();
    std::fs::remove_dir_all(&audit_dir).unwrap();
    let _full = FullDisk::at(&audit_dir);
    std::fs::write(audit_dir.join("audit.jsonl"), "").unwrap();
    for refs in [
        vec!["--ref", "snap-a1"],
        vec!["--ref", "snap-a1", "--ref", "snap-a2"],
    ] {
        let assert = env
            .snapport()
            .args(["snapshot", "manage", "--volume", &vol_a])
            .args(&refs)
            .assert()
            .code(1);
        let stderr = stderr_of(&assert);
        assert!(stderr.contains("No space left on device"), "{stderr}");
    }
    assert!(snapshots(&env).is_empty());
    let names = env.lv_names();
    assert!(
        names.contains(&"snap-a1".to_string()) && names.contains(&"snap-a2".to_string()),
        "nothing was renamed: {names:?}"
    );
    assert!(!audited.is_empty());
}

/// `file` bound read-only onto itself: even root cannot write it. Undone on drop.
struct ReadOnlyFile(PathBuf);

impl ReadOnlyFile {
    fn at(file: &Path) -> Self {
        for args in [&["--bind"][..], &["-o", "remount,ro,bind"][..]] {
            let mounted = std::process::Command::new("mount")
                .args(args)
                .arg(file)
                .arg(file)
                .status()
                .unwrap();
            assert!(mounted.success(), "mount {args:?} (needs root)");
        }
        Self(file.to_path_buf())
    }
}

impl Drop for ReadOnlyFile {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_read_only_catalog_is_named_and_nothing_is_renamed() {
    let env = LvmEnv::new("fault-ro-catalog", &standard_layout());
    let vol_a = manage_volume(&env, "vol-a");
    let _read_only = ReadOnlyFile::at(&env.catalog());
    // Listing needs no write.
    assert!(snapshots(&env).is_empty());
    import_refused_by_the_catalog(&env, &vol_a, "read-only");
}

#[test]
fn a_catalog_that_is_not_a_database_is_named_and_left_as_it_is() {
    let env = LvmEnv::new("fault-garbage-catalog", &standard_layout());
    let garbage = vec![0x5a_u8; 8192];
    std::fs::write(env.catalog(), &garbage).unwrap();
    let assert = env.snapport().args(["volume", "list"]).assert().code(1);
    let stderr = stderr_of(&assert);
    assert!(
        stderr.contains(&format!("catalog {}: ", env.catalog().display()))
            && stderr.contains("file is not a database"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(env.catalog()).unwrap(),
        garbage,
        "not overwritten"
    );
}
