//! The real binary in tmux over one real LVM volume group that two local back ends
//! share (`old` and `new`, named in a config file): open the console on `old`, mark a
//! volume that has snapshots, walk the migration wizard to `new`, confirm, wait for the
//! summary, quit; then check with the CLI that the volume and its snapshots are managed
//! on `new` under their names, that nothing of them is left on `old`, and that the
//! plan, journal and id maps were written.

mod isolated;
mod migrate_env;
mod tmux;

use migrate_env::{Env, Layout};
use tmux::{Tmux, require_prerequisites};

fn json(output: &[u8]) -> Vec<serde_json::Value> {
    serde_json::from_slice(output).unwrap_or_else(|err| {
        panic!("{err}: {}", String::from_utf8_lossy(output));
    })
}

#[test]
fn a_volume_moves_with_its_snapshots_through_the_console_wizard() {
    require_prerequisites();
    let env = Env::create(&[Layout {
        name: "db",
        snapshots: 2,
    }]);
    let original = env.originals[0].clone();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let tmux = Tmux::start(&unique[..8]);
    let state = env.path("xdg/state");
    let command = format!(
        "XDG_CONFIG_HOME={config_home} XDG_DATA_HOME={data} XDG_STATE_HOME={state} \
         {bin} --config {config} --backend old; echo EXIT=$?",
        config_home = env.path("xdg/config").display(),
        data = env.path("xdg/data").display(),
        state = state.display(),
        bin = env!("CARGO_BIN_EXE_snapport"),
        config = env.config.display(),
    );
    tmux.type_text(&command);
    tmux.keys(&["Enter"]);
    tmux.wait_text("Hosts [1/1]");
    tmux.wait_text("old@lvm");

    tmux.keys(&["Enter"]);
    tmux.wait_text("bystander");
    tmux.keys(&["/"]);
    tmux.type_text(&original.volume.id);
    tmux.keys(&["Enter"]);
    tmux.wait_text("[1/2]");
    tmux.keys(&["Space", "M"]);
    let targets = tmux.wait_text("step 1/6: target back end");
    assert!(
        targets.contains("> new") && !targets.contains("  old "),
        "only the other back end is a target:\n{targets}"
    );
    tmux.keys(&["Enter"]);
    let hosts = tmux.wait_text("step 2/6: target host");
    assert!(hosts.contains("> new@lvm#"), "{hosts}");
    tmux.keys(&["Enter"]);
    let review = tmux.wait_text("Preflight passed");
    for step in [
        "1. on old: unmanage snapshot",
        "3. on old: unmanage volume",
        "4. on new: manage volume",
        "6. on new: manage snapshot",
    ] {
        assert!(
            review.contains(step),
            "'{step}' not in the review:\n{review}"
        );
    }
    tmux.keys(&["Enter"]);
    let confirm = tmux.wait_text("step 4/6: confirm");
    assert!(confirm.contains("> [ Cancel ] <"), "{confirm}");
    let flat = confirm.split_whitespace().collect::<String>();
    assert!(
        flat.contains(&format!(
            "{}/snapport/migrations/",
            state.display().to_string().replace(' ', "")
        )),
        "the journal lives in the XDG state dir:\n{confirm}"
    );
    tmux.keys(&["Tab", "Enter"]);
    let summary = tmux.wait_text("Migration complete: all 6 step(s) done.");
    assert!(summary.contains("3 moved, 0 in transit"), "{summary}");
    tmux.keys(&["Enter"]);
    tmux.wait_text("Volumes on old@lvm");
    tmux.keys(&["q"]);
    tmux.wait_text("EXIT=0");
    tmux.assert_restored();

    let world = env.assert_migrated();
    let on_new = env
        .snapport(["--backend", "new", "snapshot", "list", "-f", "json"])
        .assert()
        .success();
    let snapshots = json(&on_new.get_output().stdout);
    let mut names: Vec<&str> = snapshots
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["db-daily-0", "db-daily-1"]);
    let volume = &world.new_volumes[0];
    assert!(
        snapshots
            .iter()
            .all(|s| s["volume_id"].as_str() == Some(volume.id.as_str()))
    );
    let on_new = env
        .snapport(["--backend", "new", "volume", "list", "-f", "json"])
        .assert()
        .success();
    let volumes = json(&on_new.get_output().stdout);
    assert_eq!(volumes.len(), 1);
    assert_eq!(volumes[0]["name"], "db");
    let on_old = env
        .snapport(["--backend", "old", "snapshot", "list", "-f", "json"])
        .assert()
        .success();
    let left: Vec<String> = json(&on_old.get_output().stdout)
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        left,
        [env.bystander.snapshots[0].id.clone()],
        "nothing of db is left on old"
    );
    assert!(
        !left
            .iter()
            .any(|id| original.snapshots.iter().any(|s| &s.id == id))
    );

    let dir = state.join("snapport/migrations");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "{files:?}");
    let stamp = files[3].trim_end_matches(".json").to_string();
    assert_eq!(
        files,
        [
            format!("{stamp}.journal.jsonl"),
            format!("{stamp}.journal.jsonl.ids.csv"),
            format!("{stamp}.journal.jsonl.ids.json"),
            format!("{stamp}.json"),
        ]
    );
    let map: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(&files[2])).unwrap()).unwrap();
    let entries = map["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["source_id"], original.volume.id.as_str());
    assert_eq!(entries[0]["target_id"], volume.id.as_str());
    assert!(entries.iter().all(|e| e["placement"] == "moved"));
    env.snapport(["migrate", "report"])
        .arg(dir.join(&files[0]))
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "old -> new: 1 volume(s), 2 snapshot(s): 3 moved",
        ));
}
