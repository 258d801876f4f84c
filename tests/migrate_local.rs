//! Migration between two local back ends sharing one real LVM volume group, through the
//! real binary: plan, apply, resume, rollback, report, and the preflight refusals.

mod isolated;
mod migrate_env;

use migrate_env::{Env, Layout, TWO_VOLUMES, block_on};
use predicates::str::contains;
use snapport::backend::local::catalog::{Catalog, Kind, NewRecord};
use snapport::backend::{Backend, Metadata};
use snapport::sandbox::Sandbox;

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn volumes_move_with_their_snapshots_and_the_id_map_says_where() {
    let env = Env::create(&[
        Layout {
            name: "db",
            snapshots: 3,
        },
        Layout {
            name: "web",
            snapshots: 2,
        },
        Layout {
            name: "cache",
            snapshots: 0,
        },
    ]);
    let plan = env.plan();
    let text = std::fs::read_to_string(&plan).unwrap();
    assert!(
        text.contains("\"version\": 1") && text.contains("\n  \"from\": \"old\""),
        "{text}"
    );
    assert_eq!(
        read_json(&plan)["volumes"][0]["steps"]
            .as_array()
            .unwrap()
            .len(),
        8
    );

    env.snapport(["migrate", "apply", "--yes", "--concurrency", "2"])
        .arg(&plan)
        .assert()
        .success()
        .stdout(contains(
            "old -> new: 3 volume(s), 5 snapshot(s): 8 moved, 0 in transit",
        ))
        .stderr(contains("on old: unmanage 5 snapshot(s), then 3 volume(s)"))
        .stderr(contains("migrate step 16 done"));
    let world = env.assert_migrated();

    let journal = env.journal();
    let map = read_json(&journal.with_file_name("plan.journal.jsonl.ids.json"));
    for entry in map["entries"].as_array().unwrap() {
        let target = entry["target_id"].as_str().unwrap();
        let on_new = world
            .new_volumes
            .iter()
            .map(|v| (&v.id, &v.metadata))
            .chain(world.new_snapshots.iter().map(|s| (&s.id, &s.metadata)));
        let (_, metadata) = on_new
            .into_iter()
            .find(|(id, _)| *id == target)
            .expect("the map names ids on new");
        assert_eq!(
            metadata["snapport:source-id"],
            entry["source_id"].as_str().unwrap()
        );
        assert_eq!(entry["placement"], "moved");
    }
    let csv =
        std::fs::read_to_string(journal.with_file_name("plan.journal.jsonl.ids.csv")).unwrap();
    assert_eq!(csv.lines().count(), 9, "{csv}");
    env.snapport(["migrate", "report", "-f", "csv"])
        .arg(&journal)
        .assert()
        .success()
        .stdout(csv);
    env.snapport(["migrate", "report", "-f", "json"])
        .arg(&journal)
        .assert()
        .success()
        .stdout(contains("\"placement\": \"moved\""));
}

#[test]
fn resume_and_rollback_are_idempotent() {
    let env = Env::create(TWO_VOLUMES);
    let plan = env.plan();
    let journal = env.journal();
    env.snapport(["migrate", "apply", "--yes"])
        .arg(&plan)
        .assert()
        .success();
    env.assert_migrated();
    env.assert_again_changes_nothing("resume");

    env.snapport(["migrate", "rollback", "--yes"])
        .arg(&journal)
        .assert()
        .success()
        .stdout(contains(
            "0 moved, 0 in transit, 0 on source, 5 rolled back",
        ));
    let rolled_back = env.assert_rolled_back();
    env.assert_again_changes_nothing("rollback");

    env.snapport(["migrate", "resume", "--yes"])
        .arg(&journal)
        .assert()
        .code(1)
        .stderr(contains("rolled back; make a new plan"));
    assert_eq!(env.world(), rolled_back);
}

#[test]
fn apply_without_yes_or_terminal_is_refused_and_changes_nothing() {
    let env = Env::create(TWO_VOLUMES);
    let plan = env.plan();
    let before = env.world();
    env.snapport(["migrate", "apply"])
        .arg(&plan)
        .assert()
        .code(3)
        .stderr(contains("pass --yes"))
        .stderr(contains(
            "metadata added on new: snapport:migrated-from=old",
        ));
    assert_eq!(env.world(), before);
    assert!(!env.journal().exists(), "no journal for a refused apply");
}

#[test]
fn a_read_only_apply_changes_nothing_and_its_refusal_is_audited() {
    let env = Env::create(TWO_VOLUMES);
    let plan = env.plan();
    let before = env.world();
    let refused = env
        .snapport(["--read-only", "migrate", "apply", "--yes"])
        .arg(&plan)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(stderr.contains("read-only"), "{stderr}");
    assert_eq!(env.world(), before);
    let audit = isolated::audit(&env.path("xdg"));
    let outcomes: Vec<&str> = audit
        .iter()
        .filter_map(|record| record["outcome"].as_str())
        .collect();
    assert!(
        !outcomes.is_empty() && outcomes.iter().all(|status| *status == "refused_read_only"),
        "{audit:?}"
    );
}

/// Runs `migrate plan` expecting a refusal that names every reason; checks nothing
/// changed and no plan was written.
fn assert_plan_refused(env: &Env, volumes: &[String], reasons: &[&str]) {
    let before = env.world();
    let plan = env.path("refused.json");
    let mut assert = env
        .plan_command(&plan)
        .args(volumes)
        .assert()
        .code(1)
        .stderr(contains("preflight failed, nothing was changed"));
    for reason in reasons {
        assert = assert.stderr(contains(*reason));
    }
    assert!(!plan.exists(), "no plan file for a refused plan");
    assert_eq!(env.world(), before, "both sides untouched");
}

#[test]
fn unshared_storage_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let other = Sandbox::create(
        &format!(
            "snapport-mig-other-{}",
            &uuid::Uuid::new_v4().to_string()[..8]
        ),
        &dir.path().join("vg"),
        64,
        &[],
    )
    .unwrap();
    let env = Env::create_unshared(TWO_VOLUMES, &other);
    let db = &env.originals[0];
    assert_plan_refused(
        &env,
        &env.volume_ids(),
        &[
            &format!(
                "volume-{}: not visible on the target at host new@lvm: the two back ends do not share this storage",
                db.volume.id
            ),
            &format!(
                "_snapshot-{}: not visible on the target",
                db.snapshots[1].id
            ),
        ],
    );
}

#[test]
fn busy_items_unknown_volumes_and_down_hosts_are_refused() {
    let env = Env::create(TWO_VOLUMES);
    let catalog = Catalog::open(&env.path("old.sqlite"), env.sandbox.vg()).unwrap();
    let db = &env.originals[0];
    catalog
        .set_status(Kind::Volume, &db.volume.id, "maintenance")
        .unwrap();
    catalog
        .set_status(Kind::Snapshot, &db.snapshots[0].id, "deleting")
        .unwrap();
    let mut ids = env.volume_ids();
    ids.push("no-such-volume".into());
    assert_plan_refused(&env, &ids, &["no-such-volume: not on the source"]);
    assert_plan_refused(
        &env,
        &env.volume_ids(),
        &[
            &format!("volume {}: status is maintenance", db.volume.id),
            &format!("snapshot {}: status is deleting", db.snapshots[0].id),
        ],
    );
    catalog
        .set_status(Kind::Volume, &db.volume.id, "available")
        .unwrap();
    catalog
        .set_status(Kind::Snapshot, &db.snapshots[0].id, "available")
        .unwrap();
    let before = env.world();
    env.snapport([
        "migrate",
        "plan",
        "--from",
        "old",
        "--to",
        "new",
        "--target-host",
        "elsewhere@lvm",
    ])
    .args(env.volume_ids())
    .assert()
    .code(1)
    .stderr(contains(
        "host elsewhere@lvm: no such volume service on the target",
    ));
    assert_eq!(env.world(), before);
}

#[test]
fn references_the_target_already_manages_are_refused() {
    let env = Env::create(TWO_VOLUMES);
    let db = &env.originals[0];
    let web = &env.originals[1];
    // The target's database already claims db's LV and a snapshot of web's.
    let new = Catalog::open(&env.path("new.sqlite"), env.sandbox.vg()).unwrap();
    let empty = Metadata::new();
    fn claim<'a>(id: &'a str, lv: &'a str, metadata: &'a Metadata) -> NewRecord<'a> {
        NewRecord {
            id,
            name: Some("squatter"),
            description: None,
            size: 1,
            lv_name: lv,
            source_lv: lv,
            metadata,
        }
    }
    let db_lv = format!("volume-{}", db.volume.id);
    new.insert_volume_intent(&claim("squatter-v", &db_lv, &empty), "new@lvm")
        .unwrap();
    new.set_status(Kind::Volume, "squatter-v", "available")
        .unwrap();
    let web_snapshot_lv = format!("_snapshot-{}", web.snapshots[0].id);
    new.insert_snapshot_intent(&claim("squatter-s", &web_snapshot_lv, &empty), "squatter-v")
        .unwrap();
    new.set_status(Kind::Snapshot, "squatter-s", "available")
        .unwrap();
    assert_plan_refused(
        &env,
        &env.volume_ids(),
        &[
            &format!("{db_lv}: already managed there as squatter-v"),
            &format!("{web_snapshot_lv}: already managed there as squatter-s"),
        ],
    );
}

/// `volume manage` of the spare LV on `new`, for tests to add their options to.
fn manage_spare_on_new(env: &Env) -> assert_cmd::Command {
    env.snapport([
        "--backend",
        "new",
        "volume",
        "manage",
        "--host",
        "new@lvm",
        "--ref",
        "spare-volume",
    ])
}

#[test]
fn items_already_migrated_are_refused() {
    let env = Env::create_with_spares(&[Layout {
        name: "db",
        snapshots: 1,
    }]);
    let db = &env.originals[0];
    // Someone already brought db to new by hand, from a copy, with provenance.
    manage_spare_on_new(&env)
        .args(["--property", "snapport:migrated-from=old", "--property"])
        .arg(format!("snapport:source-id={}", db.volume.id))
        .assert()
        .success();
    assert_plan_refused(&env, &env.volume_ids(), &["already migrated: volume"]);
}

#[test]
fn a_name_the_target_already_uses_is_refused() {
    let env = Env::create_with_spares(&[Layout {
        name: "db",
        snapshots: 1,
    }]);
    // new already has an unrelated volume called db
    let other = manage_spare_on_new(&env)
        .args(["--name", "db", "-f", "json"])
        .assert()
        .success();
    let other: serde_json::Value = serde_json::from_slice(&other.get_output().stdout).unwrap();
    let other_id = other["id"].as_str().unwrap();
    assert_plan_refused(
        &env,
        &env.volume_ids(),
        &[&format!(
            "name clash: the target already has a volume named 'db' ({other_id}); rename one of them first"
        )],
    );
}

#[test]
fn apply_checks_again_and_refuses_a_plan_the_source_outgrew() {
    let env = Env::create_with_spares(TWO_VOLUMES);
    let plan = env.plan();
    let db = &env.originals[0];
    let late = "spare-snapshot";
    let late_id = block_on(async {
        let old = snapport::backend::local::LocalBackend::open(
            snapport::backend::local::LocalConfig {
                vg: env.sandbox.vg().into(),
                catalog: env.path("old.sqlite"),
                backend_name: Some("old@lvm".into()),
                lvm_system_dir: Some(env.sandbox.lvm_system_dir()),
            },
            true,
        )
        .await
        .unwrap();
        let request = snapport::backend::ManageSnapshotRequest {
            volume_id: db.volume.id.clone(),
            reference: snapport::backend::Reference::name(late),
            name: Some("late".into()),
            description: None,
            metadata: Metadata::new(),
            force: false,
            without_listing: false,
        };
        old.manage_snapshot(&request).await.unwrap().id
    });
    let before = env.world();
    env.snapport(["migrate", "apply", "--yes"])
        .arg(&plan)
        .assert()
        .code(1)
        .stderr(contains(format!(
            "has snapshot {late_id} that the plan does not move"
        )));
    assert_eq!(env.world(), before);
    assert!(!env.journal().exists());
}
