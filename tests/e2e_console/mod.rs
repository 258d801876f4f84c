//! The console walks the real-Cinder suites share, driven in tmux.

use std::time::Duration;

use crate::cinder_harness::Harness;
use crate::tmux::Tmux;

/// The console on cloud `e2e` in a new tmux session, on the volumes of `host` (a pool of
/// the harness), filtered to `volume` (shown with `name`).
pub fn console_on_volume(h: &Harness, host: &str, name: &str, volume: &str) -> Tmux {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let tmux = Tmux::start(&unique[..8]);
    tmux.type_text(&h.console_line("e2e"));
    tmux.keys(&["Enter"]);
    tmux.wait_text(host);
    tmux.keys(&["/"]);
    tmux.type_text(&host[host.find('@').unwrap_or_default()..]);
    tmux.keys(&["Enter", "Enter"]);
    tmux.wait_text(name);
    tmux.keys(&["/"]);
    tmux.type_text(volume);
    tmux.keys(&["Enter"]);
    tmux
}

/// Marks the one volume `tmux` shows and opens the migration wizard towards cloud
/// `e2e-b`. Returns the wizard's target-host step as shown.
pub fn migrate_to_b(h: &Harness, tmux: &Tmux) -> String {
    tmux.keys(&["Space"]);
    tmux.wait_text("1 marked");
    tmux.type_text(":migrate e2e-b");
    tmux.keys(&["Enter"]);
    tmux.wait_for_within(Duration::from_secs(60), "the target hosts", |screen| {
        screen.contains("target host") && screen.contains(h.var("SNAPPORT_E2E_B_POOL"))
    })
}

/// From the wizard's target-host step, takes the host offered, confirms the plan once
/// the preflight passed (focus starts on Cancel) and runs the migration of one volume
/// with one snapshot to its summary, then quits the console. Returns the plan's review.
pub fn migrate_one_volume(tmux: &Tmux) -> String {
    tmux.keys(&["Enter"]);
    let review = tmux.wait_for_within(Duration::from_secs(60), "the preflight", |screen| {
        screen.contains("Preflight passed")
    });
    tmux.keys(&["Enter"]);
    let confirm = tmux.wait_text("confirm");
    assert!(confirm.contains("> [ Cancel ] <"), "{confirm}");
    tmux.keys(&["Tab", "Enter"]);
    let summary = tmux.wait_for_within(Duration::from_secs(180), "the summary", |screen| {
        screen.contains("Migration complete: all 4 step(s) done.")
    });
    assert!(summary.contains("2 moved, 0 in transit"), "{summary}");
    tmux.keys(&["Enter", "q"]);
    tmux.wait_text("EXIT=0");
    tmux.assert_restored();
    review
}
