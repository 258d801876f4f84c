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
