//! Fault injection: the real binary is frozen at every step of a migration (and of a
//! rollback) and killed with SIGKILL there, or signalled; a resume (or a new rollback)
//! must always end complete and correct, with nothing lost or managed twice.
//!
//! The layout (TWO_VOLUMES) gives 10 steps each way: db (2 snapshots) in steps 1-6,
//! web (1 snapshot) in steps 7-10.

mod isolated;
mod migrate_env;

use migrate_env::{Env, TWO_VOLUMES};
use predicates::prelude::*;
use predicates::str::contains;

const STEPS: usize = 10;

fn apply_args(plan: &std::path::Path) -> Vec<&str> {
    vec![
        "migrate",
        "apply",
        "--yes",
        "--concurrency",
        "1",
        plan.to_str().unwrap(),
    ]
}

fn rollback_args(journal: &std::path::Path) -> Vec<&str> {
    vec![
        "migrate",
        "rollback",
        "--yes",
        "--concurrency",
        "1",
        journal.to_str().unwrap(),
    ]
}

fn resume(env: &Env) {
    env.snapport(["migrate", "resume", "--yes"])
        .arg(env.journal())
        .assert()
        .success();
}

fn rollback(env: &Env) {
    env.snapport(["migrate", "rollback", "--yes"])
        .arg(env.journal())
        .assert()
        .success();
}

/// Every intent in the journal has a result after it (the run stopped cleanly).
fn assert_journal_settled(env: &Env) {
    let mut open = std::collections::BTreeSet::new();
    for record in env.journal_records() {
        let key = (record["phase"].to_string(), record["step"].as_u64());
        match record["record"].as_str().unwrap() {
            "intent" => open.insert(key),
            "result" => open.remove(&key),
            _ => true,
        };
    }
    assert!(open.is_empty(), "intents without results: {open:?}");
}

#[test]
fn apply_killed_after_any_step_resumes_to_a_complete_migration() {
    for step in 1..=STEPS {
        let env = Env::create(TWO_VOLUMES);
        let plan = env.plan();
        env.kill_at(&format!("forward:result:{step}"), &apply_args(&plan));
        let last = env.journal_records().pop().unwrap();
        assert_eq!(
            (last["record"].as_str(), last["step"].as_u64()),
            (Some("result"), Some(step as u64))
        );
        resume(&env);
        env.assert_migrated();
        if step == 4 {
            env.assert_again_changes_nothing("resume");
        }
    }
}

#[test]
fn apply_killed_between_intent_and_result_resumes_to_a_complete_migration() {
    // 1: snapshot unmanage, 3: volume unmanage, 4: volume manage, 5: snapshot manage.
    for stage in ["intent", "call"] {
        for step in [1, 3, 4, 5] {
            let env = Env::create(TWO_VOLUMES);
            let plan = env.plan();
            env.kill_at(&format!("forward:{stage}:{step}"), &apply_args(&plan));
            env.snapport(["migrate", "resume", "--yes"])
                .arg(env.journal())
                .assert()
                .success()
                .stderr(contains(format!("migrate step {step} (")))
                .stderr(contains(if stage == "call" {
                    "it happened; recorded"
                } else {
                    "it did not happen"
                }));
            env.assert_migrated();
        }
    }
}

#[test]
fn apply_killed_with_two_volumes_in_flight_resumes() {
    let env = Env::create(TWO_VOLUMES);
    let plan = env.plan();
    let args = [
        "migrate",
        "apply",
        "--yes",
        "--concurrency",
        "2",
        plan.to_str().unwrap(),
    ];
    env.kill_at("forward:call:8", &args);
    resume(&env);
    env.assert_migrated();
}

#[test]
fn rollback_killed_after_any_step_rolls_back_completely() {
    for step in 1..=STEPS {
        let env = Env::create(TWO_VOLUMES);
        let plan = env.plan();
        env.snapport(apply_args(&plan)).assert().success();
        let journal = env.journal();
        env.kill_at(&format!("rollback:result:{step}"), &rollback_args(&journal));
        rollback(&env);
        env.assert_rolled_back();
        if step == 5 {
            env.assert_again_changes_nothing("rollback");
        }
    }
}

#[test]
fn rollback_killed_between_intent_and_result_rolls_back_completely() {
    // 1: snapshot unmanage on new, 3: volume unmanage on new, 4: volume manage on old,
    // 5: snapshot manage on old.
    for stage in ["intent", "call"] {
        for step in [1, 3, 4, 5] {
            let env = Env::create(TWO_VOLUMES);
            let plan = env.plan();
            env.snapport(apply_args(&plan)).assert().success();
            let journal = env.journal();
            env.kill_at(
                &format!("rollback:{stage}:{step}"),
                &rollback_args(&journal),
            );
            rollback(&env);
            env.assert_rolled_back();
        }
    }
}

#[test]
fn a_migration_killed_half_way_rolls_back_completely() {
    for step in [1, 3, 4, 5, 8] {
        let env = Env::create(TWO_VOLUMES);
        let plan = env.plan();
        env.kill_at(&format!("forward:call:{step}"), &apply_args(&plan));
        rollback(&env);
        env.assert_rolled_back();
        env.snapport(["migrate", "report", "-f", "csv"])
            .arg(env.journal())
            .assert()
            .success()
            .stdout(contains(",moved\n").not())
            .stdout(contains(",in_transit\n").not());
    }
}

#[test]
fn a_signal_stops_after_the_step_in_flight() {
    let env = Env::create(TWO_VOLUMES);
    let plan = env.plan();
    let (code, stderr) = env
        .pause_at("forward:call:3", &apply_args(&plan))
        .signal("INT");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("stopped on request") && stderr.contains("migrate resume"),
        "{stderr}"
    );
    assert_journal_settled(&env);
    let records = env.journal_records();
    assert_eq!(
        records.last().unwrap()["step"],
        3,
        "step 3 finished, step 4 never started"
    );
    resume(&env);
    env.assert_migrated();

    let journal = env.journal();
    let (code, stderr) = env
        .pause_at("rollback:intent:2", &rollback_args(&journal))
        .signal("TERM");
    assert_eq!(code, Some(1), "{stderr}");
    assert_journal_settled(&env);
    rollback(&env);
    env.assert_rolled_back();
}
