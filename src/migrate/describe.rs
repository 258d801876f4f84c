//! The words of a migration for an operator: what a plan will change, how each step
//! went, and what an unfinished run left behind. The CLI prints them; the console's
//! wizard shows them.

use std::path::Path;

use super::apply::{Event, Outcome};
use super::journal::Phase;
use super::plan::{self, Action, Plan, Side};
use super::{MIGRATED_FROM, SOURCE_ID};
use crate::backend::Driver;
use crate::backend::side_effects::delete_consequence;

/// What a run that did not finish left behind, one line each: the failed steps, a stop,
/// and the commands (`snapport` as the operator runs it) that finish or undo it.
pub fn unfinished(outcome: &Outcome, journal: &Path, snapport: &str) -> Vec<String> {
    let mut lines: Vec<String> = outcome
        .failed
        .iter()
        .map(|(step, error)| format!("step {step} failed: {error}"))
        .collect();
    if outcome.stopped {
        lines.push("stopped on request".to_string());
    }
    let journal = journal.display();
    lines.push(format!(
        "{} step(s) not done: fix the cause, then `{snapport} migrate resume {journal}` \
         or `{snapport} migrate rollback {journal}`",
        outcome.remaining
    ));
    lines
}

/// The source drivers of the volumes that leave with snapshots, each once, in plan
/// order: a stopped run can leave one of those volumes with exported snapshots.
fn snapshot_drivers(plan: &Plan) -> Vec<&Driver> {
    let mut drivers: Vec<&Driver> = Vec::new();
    for volume in plan.volumes.iter().filter(|v| !v.snapshots.is_empty()) {
        if !drivers.contains(&&volume.source_driver) {
            drivers.push(&volume.source_driver);
        }
    }
    drivers
}

fn side_label(plan: &Plan, side: Side) -> &str {
    match side {
        Side::Source => &plan.from,
        Side::Target => &plan.to,
    }
}

fn phase_label(phase: Phase) -> &'static str {
    match phase {
        Phase::Forward => "migrate",
        Phase::Rollback => "rollback",
    }
}

/// One line for a progress event, naming the sides as the plan does.
pub fn event(plan: &Plan, event: Event) -> String {
    match event {
        Event::Reconciled {
            phase,
            step,
            description,
            done,
        } => format!(
            "{} step {step} ({description}) was interrupted: {}",
            phase_label(phase),
            if done {
                "it happened; recorded"
            } else {
                "it did not happen; it will run again"
            }
        ),
        Event::Started {
            phase,
            step,
            on,
            description,
        } => format!(
            "{} step {step} on {}: {description}",
            phase_label(phase),
            side_label(plan, on)
        ),
        Event::Finished {
            phase,
            step,
            new_id: Some(id),
        } => format!("{} step {step} done: new id {id}", phase_label(phase)),
        Event::Finished { phase, step, .. } => format!("{} step {step} done", phase_label(phase)),
        Event::Failed { phase, step, error } => {
            format!("{} step {step} FAILED: {error}", phase_label(phase))
        }
    }
}

/// What the steps will change, side by side, with the warnings an operator needs.
pub fn changes(plan: &Plan, chains: &[Vec<plan::Step>], phase: Phase) -> String {
    let count = |side: Side, wanted: fn(&Action) -> bool| {
        chains
            .iter()
            .flatten()
            .filter(|step| step.on == side && wanted(&step.action))
            .count()
    };
    let mut out = format!(
        "{} {} -> {} (target host {}): {} step(s) for {} volume(s)\n",
        if phase == Phase::Forward {
            "migration"
        } else {
            "rollback of migration"
        },
        plan.from,
        plan.to,
        plan.target_host,
        chains.iter().map(Vec::len).sum::<usize>(),
        chains.len(),
    );
    for side in [Side::Source, Side::Target] {
        let unmanage = (
            count(side, |a| matches!(a, Action::UnmanageSnapshot { .. })),
            count(side, |a| matches!(a, Action::UnmanageVolume { .. })),
        );
        let manage = (
            count(side, |a| matches!(a, Action::ManageVolume { .. })),
            count(side, |a| matches!(a, Action::ManageSnapshot { .. })),
        );
        let name = side_label(plan, side);
        if unmanage != (0, 0) {
            out.push_str(&format!(
                "  on {name}: unmanage {} snapshot(s), then {} volume(s); their data stays on the shared storage\n",
                unmanage.0, unmanage.1
            ));
        }
        if manage != (0, 0) {
            out.push_str(&format!(
                "  on {name}: manage {} volume(s), then {} snapshot(s) under them, with their names, descriptions and metadata\n",
                manage.0, manage.1
            ));
        }
    }
    if phase == Phase::Forward {
        out.push_str(&format!(
            "  metadata added on {}: {MIGRATED_FROM}={} and {SOURCE_ID}=<id on {}>\n",
            plan.to, plan.from, plan.from
        ));
        for driver in snapshot_drivers(plan) {
            out.push_str(&format!(
                "note: each volume leaves {} with all its snapshots; only a run stopped between \
                 them leaves a volume there whose snapshots Cinder no longer manages (resume or \
                 roll back the run), and {}\n",
                plan.from,
                delete_consequence(driver, "such a volume")
            ));
        }
    }
    out.push_str(
        "warning: between its unmanage and its manage an item is managed by neither side; if the run \
         stops, finish it with `snapport migrate resume JOURNAL` or undo it with `snapport migrate rollback JOURNAL`\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::plan::SourceVolume;
    use crate::migrate::plan::fixtures::{snapshot, volume};

    fn source(id: &str, snapshots: usize, driver: Driver) -> SourceVolume {
        SourceVolume {
            volume: volume(id, id),
            snapshots: (0..snapshots)
                .map(|n| snapshot(&format!("{id}-s{n}"), id, "snap"))
                .collect(),
            driver,
        }
    }

    #[test]
    fn the_review_warns_per_source_driver_of_volumes_with_snapshots() {
        let plan = Plan::build(
            "old",
            "new",
            "new@lvm#vg",
            &[
                source("v1", 1, Driver::Rbd),
                source("v2", 2, Driver::Rbd),
                source("v3", 0, Driver::LvmThick),
            ],
        );
        let review = changes(&plan, &plan.chains(), Phase::Forward);
        let notes: Vec<&str> = review
            .lines()
            .filter(|line| line.starts_with("note:"))
            .collect();
        let [note] = notes.as_slice() else {
            panic!("one note, for RBD only: {review}")
        };
        assert!(
            note.contains("on RBD (Ceph), a later delete of such a volume"),
            "{note}"
        );
        assert!(note.contains("RBD trash") && !note.contains("VolumeIsBusy"));
        let rollback = changes(&plan, &plan.chains(), Phase::Rollback);
        assert!(!rollback.contains("note:"), "{rollback}");
    }
}
