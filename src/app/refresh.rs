//! The auto-refresh: on each interval the screen on top reloads, the way the refresh
//! key reloads it (rows, selection, marks and filter kept), but only a volume or
//! snapshot list, only while one of its rows is in a transient status or a job runs,
//! never behind another dialog and never over a reload still in flight. Back-end
//! listings cost a real driver a scan of the whole back end: they reload only on the
//! refresh key.

use super::listing::reload;
use super::update::Effects;
use super::{App, Modal, Rows};

/// Reloads the screen on top if its rows may still change by themselves.
pub(super) fn refresh(app: &mut App) -> Effects {
    if app.auto_refresh.is_none() {
        return Vec::new();
    }
    let view = app.view();
    let in_flux = match &view.rows {
        Rows::Volumes(t) => t.rows().iter().any(|row| row.volume.status.is_transient()),
        Rows::Snapshots(t) => t
            .rows()
            .iter()
            .any(|row| row.snapshot.status.is_transient()),
        Rows::Hosts(_) | Rows::Manageable(_) | Rows::ManageableVolumes(_) => return Vec::new(),
    };
    // Not behind a form or a confirmation: the operator is busy with it, and the list
    // refreshes when it closes.
    let job_runs = match &app.modal {
        None => false,
        Some(Modal::Job(job)) if !job.finished() => true,
        Some(_) => return Vec::new(),
    };
    if view.loading || !(in_flux || job_runs) {
        return Vec::new();
    }
    reload(app, app.views.len() - 1)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::keymap::Key;
    use super::super::msg::{Effect, Load, Msg, Reply};
    use super::super::testdata::{DB, Dataset, ENTER, chars};
    use super::super::{Job, JobItem, Outcome, update};
    use super::*;
    use crate::backend::Error;

    /// A console with auto-refresh on, on the volumes screen, the first volume `status`.
    fn volumes_with(status: &str) -> (Dataset, App) {
        let mut data = Dataset::default();
        data.volumes[0].status = status.into();
        let mut app = data.app();
        app.auto_refresh = Some(Duration::from_secs(5));
        data.press(&mut app, &[ENTER]);
        (data, app)
    }

    fn status_of(app: &App, id: &str) -> String {
        let Rows::Volumes(t) = &app.view().rows else {
            panic!("not on the volumes screen")
        };
        let row = t.rows().iter().find(|row| row.volume.id == id).unwrap();
        row.volume.status.to_string()
    }

    fn running_job() -> Modal {
        Modal::Job(Job {
            request: 999,
            title: "Import".into(),
            items: vec![JobItem {
                label: "nightly".into(),
                outcome: Outcome::Running,
            }],
        })
    }

    #[test]
    fn a_creating_volume_turns_available_without_a_key_keeping_selection_marks_and_filter() {
        let (mut data, mut app) = volumes_with("creating");
        data.press(&mut app, &chars("/-"));
        data.press(
            &mut app,
            &[ENTER, Key::char('j'), Key::char(' '), Key::char('k')],
        );
        let nav = app.view().rows.nav();
        let before = (nav.selected_key().map(str::to_string), nav.marked_len());
        assert_eq!(status_of(&app, DB), "creating");

        data.volumes[0].status = "available".into();
        let effects = update(&mut app, Msg::Refresh);
        assert!(
            matches!(
                effects.as_slice(),
                [Effect::Load {
                    load: Load::Volumes(_),
                    ..
                }]
            ),
            "one reload of the screen's own list: {effects:?}"
        );
        data.serve(&mut app, effects);
        assert_eq!(status_of(&app, DB), "available");
        let nav = app.view().rows.nav();
        assert_eq!(
            (nav.selected_key().map(str::to_string), nav.marked_len()),
            before
        );
        assert_eq!(nav.filter(), "-");

        assert_eq!(
            update(&mut app, Msg::Refresh),
            Vec::new(),
            "nothing left in flux: no more reloads"
        );
    }

    #[test]
    fn no_reload_starts_while_the_last_one_is_in_flight() {
        let (_, mut app) = volumes_with("deleting");
        assert_eq!(update(&mut app, Msg::Refresh).len(), 1);
        assert_eq!(update(&mut app, Msg::Refresh), Vec::new());
    }

    #[test]
    fn settled_lists_reload_only_while_a_job_runs() {
        let (_, mut app) = volumes_with("available");
        assert_eq!(update(&mut app, Msg::Refresh), Vec::new());
        app.modal = Some(running_job());
        assert_eq!(update(&mut app, Msg::Refresh).len(), 1);
    }

    #[test]
    fn back_end_listings_and_hosts_never_reload_by_themselves() {
        let (data, mut app) = volumes_with("creating");
        for keys in [chars("m"), chars("v")] {
            app.modal = None;
            data.press(&mut app, &keys);
            app.modal = Some(running_job());
            assert_eq!(
                update(&mut app, Msg::Refresh),
                Vec::new(),
                "{}",
                app.view().title()
            );
        }
        let mut data = Dataset::default();
        data.volumes[0].status = "creating".into();
        let mut app = data.app();
        app.auto_refresh = Some(Duration::from_secs(5));
        app.modal = Some(running_job());
        assert_eq!(update(&mut app, Msg::Refresh), Vec::new(), "hosts");
    }

    #[test]
    fn a_dialog_holds_the_refresh_until_it_closes() {
        let (_, mut app) = volumes_with("creating");
        app.modal = Some(Modal::Help { scroll: 0 });
        assert_eq!(update(&mut app, Msg::Refresh), Vec::new());
        app.modal = None;
        assert_eq!(update(&mut app, Msg::Refresh).len(), 1);
    }

    #[test]
    fn a_failed_refresh_behind_a_job_leaves_the_job_on_screen_and_says_so_below() {
        let (_, mut app) = volumes_with("creating");
        app.modal = Some(running_job());
        let [Effect::Load { request, .. }] = update(&mut app, Msg::Refresh)[..] else {
            panic!("one reload expected")
        };
        let error = Error::Backend("HTTP 503 from Cinder".into());
        let text = format!("Listing failed: {}: {error}", app.view().title());
        let result = Err(error);
        update(&mut app, Msg::Reply(Reply::Loaded { request, result }));
        assert!(matches!(app.modal, Some(Modal::Job(_))), "{:?}", app.modal);
        let status = app.status.clone().expect("a footer report");
        assert_eq!((status.text, status.error), (text, true));
        assert_eq!(status_of(&app, DB), "creating", "the old rows stay");
    }

    #[test]
    fn refresh_seconds_zero_turns_it_off() {
        let (_, mut app) = volumes_with("creating");
        app.auto_refresh = None;
        app.modal = Some(running_job());
        assert_eq!(update(&mut app, Msg::Refresh), Vec::new());
    }

    #[test]
    fn snapshot_lists_reload_while_a_snapshot_is_in_flux() {
        let mut data = Dataset::default();
        data.snapshots[2].status = "unmanaging".into();
        let mut app = data.app();
        app.auto_refresh = Some(Duration::from_secs(5));
        data.press(&mut app, &chars(":snapshots"));
        data.press(&mut app, &[ENTER]);
        assert_eq!(app.view().title(), "Snapshots (all volumes)");
        assert_eq!(update(&mut app, Msg::Refresh).len(), 1);
    }
}
