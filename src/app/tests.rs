//! The state machine driven by keys and worker replies, without a terminal. One file of
//! tests for one state machine, grouped by screen and flow.

use super::keymap::{Key, KeyCode};
use super::msg::{Effect, Load, Msg, Page, Reply};
use super::table::{Navigate, Row};
use super::testdata::{
    CACHE, DB, Dataset, ENTER, ESC, HOST, ORPHAN, TAB, WEB, chars, imported_volume_id,
};
use super::*;
use crate::backend::{Error, ListFilter};
use crate::migrate::Action;
use crate::migrate::plan::IdRef;

fn selected(app: &App) -> Option<String> {
    app.view().rows.nav().selected_key().map(str::to_string)
}

/// The actions of the one batch a confirmed import or export starts.
fn batch_actions(effects: &[Effect]) -> Vec<&Action> {
    let [Effect::Batch { items, .. }] = effects else {
        panic!("one batch expected: {effects:?}")
    };
    items.iter().map(|item| &item.action).collect()
}

/// Reference, parent volume and name of each snapshot import of the one batch.
fn snapshot_manages(effects: &[Effect]) -> Vec<(String, String, Option<String>)> {
    batch_actions(effects)
        .into_iter()
        .map(|action| match action {
            Action::ManageSnapshot {
                volume: IdRef::Id(volume_id),
                reference,
                name,
                ..
            } => (
                reference.label().to_string(),
                volume_id.clone(),
                name.clone(),
            ),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn notice(app: &App) -> &Notice {
    match &app.modal {
        Some(Modal::Notice(notice)) => notice,
        other => panic!("expected a notice, got {other:?}"),
    }
}

fn volumes(app: &App) -> &Table<VolumeRow> {
    match &app.view().rows {
        Rows::Volumes(t) => t,
        _ => panic!("not on the volumes screen"),
    }
}

#[test]
fn hosts_show_counts_from_the_other_listings() {
    let data = Dataset::default();
    let app = data.app();
    let Rows::Hosts(t) = &app.view().rows else {
        panic!()
    };
    let row = t.selected().unwrap();
    assert_eq!(row.host.host, HOST);
    assert_eq!(
        (row.volumes, row.managed, row.unmanaged),
        (Some(3), Some(2), Some(4))
    );
    assert!(!app.busy(), "everything answered");
}

#[test]
fn enter_and_esc_walk_the_screen_stack() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &[ENTER]);
    assert_eq!(app.view().title(), format!("Volumes on {HOST}"));
    assert_eq!(selected(&app).as_deref(), Some(DB));
    data.press(&mut app, &chars("jj"));
    assert_eq!(selected(&app).as_deref(), Some(CACHE));
    data.press(&mut app, &chars("kg"));
    assert_eq!(selected(&app).as_deref(), Some(DB));
    data.press(&mut app, &[Key::char('G'), Key::plain(KeyCode::PageUp)]);
    assert_eq!(selected(&app).as_deref(), Some(DB));
    data.press(&mut app, &[ENTER]);
    assert_eq!(
        app.view().title(),
        format!("Snapshots of db-primary ({DB})")
    );
    assert_eq!(app.view().rows.nav().visible_len(), 2);
    data.press(&mut app, &[ESC, ESC]);
    assert_eq!(app.views.len(), 1);
    data.press(&mut app, &[ESC]);
    assert_eq!(app.views.len(), 1, "the root stays");
    assert!(!app.quit);
    data.press(&mut app, &chars("q"));
    assert!(app.quit);
}

#[test]
fn volumes_know_back_end_snapshots_cinder_does_not_manage() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &[ENTER]);
    let t = volumes(&app);
    let unmanaged: Vec<_> = t
        .rows()
        .iter()
        .map(|r| r.unmanaged.clone().unwrap())
        .collect();
    assert_eq!(
        unmanaged[0],
        [
            "_snapshot-dddddddd-0000-4000-8000-000000000009",
            "backup-2024-06-01"
        ]
    );
    assert_eq!(unmanaged[1], ["nightly-2024-06-02"]);
    assert!(
        unmanaged[2].is_empty(),
        "unsafe and managed entries do not count"
    );
    let details = app.details_lines();
    assert!(
        details.iter().any(|(l, v)| l == "warning"
            && v.contains("VolumeIsBusy")
            && v.contains("retire it (R)")),
        "{details:?}"
    );
}

#[test]
fn filter_sort_and_marks_from_keys() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &[ENTER, Key::char('/')]);
    data.press(&mut app, &chars("web"));
    assert_eq!(app.view().rows.nav().visible_len(), 1);
    data.press(&mut app, &[ENTER]);
    assert!(app.prompt.is_none());
    assert_eq!(
        app.view().rows.nav().filter(),
        "web",
        "enter keeps the filter"
    );
    data.press(&mut app, &[ESC]);
    assert_eq!(
        app.view().rows.nav().visible_len(),
        3,
        "esc clears the filter first"
    );
    assert_eq!(app.views.len(), 2);
    assert_eq!(
        selected(&app).as_deref(),
        Some(WEB),
        "the selection outlives the filter"
    );
    data.press(&mut app, &chars("gS"));
    assert_eq!(
        selected(&app).as_deref(),
        Some(DB),
        "selection follows its row"
    );
    data.press(&mut app, &chars("g"));
    assert_eq!(
        selected(&app).as_deref(),
        Some(WEB),
        "name descending: web, db, build"
    );
    data.press(&mut app, &[Key::char(' '), Key::char(' ')]);
    assert_eq!(app.view().rows.nav().marked_len(), 2);
    data.press(&mut app, &[Key::ctrl('a')]);
    assert_eq!(app.view().rows.nav().marked_len(), 3);
    data.press(&mut app, &[Key::ctrl('a')]);
    assert_eq!(app.view().rows.nav().marked_len(), 0, "again clears");
}

#[test]
fn unsafe_back_end_snapshots_cannot_be_marked_or_imported() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &chars("m"));
    assert_eq!(app.view().title(), format!("Back-end snapshots on {HOST}"));
    data.press(&mut app, &[Key::char(' ')]);
    let text = &notice(&app).text;
    assert_eq!(
        text,
        "_snapshot-aaaaaaaa-0000-4000-8000-000000000001 cannot be imported: already managed \
         (snapshot aaaaaaaa-0000-4000-8000-000000000001)"
    );
    data.press(&mut app, &[ENTER, Key::char('G'), Key::char('i')]);
    assert_eq!(
        notice(&app).text,
        "scratch-snap cannot be imported: snapshot in use"
    );
    data.press(&mut app, &[ENTER, Key::ctrl('a')]);
    assert_eq!(
        app.view().rows.nav().marked_len(),
        4,
        "mark all takes only safe entries"
    );
}

fn manageable_at(data: &Dataset, app: &mut App, reference: &str) {
    data.press(app, &chars("m"));
    select_reference(data, app, reference);
}

/// Selects the first back-end snapshot row listed under `reference`.
fn select_reference(data: &Dataset, app: &mut App, reference: &str) {
    let Rows::Manageable(t) = &app.view().rows else {
        panic!()
    };
    let at = (0..t.visible_len())
        .find(|n| t.visible(*n).unwrap().entry.reference.label() == reference)
        .unwrap();
    data.press(app, &[Key::char('g')]);
    for _ in 0..at {
        data.press(app, &[Key::char('j')]);
    }
}

#[test]
fn import_goes_form_then_confirm_then_job() {
    let data = Dataset::default();
    let mut app = data.app();
    manageable_at(&data, &mut app, "backup-2024-06-01");
    data.press(&mut app, &[Key::char(' '), Key::char(' '), Key::char('i')]);
    let Some(Modal::ImportForm(form)) = &app.modal else {
        panic!("{:?}", app.modal)
    };
    assert_eq!(form.items.len(), 2);
    assert_eq!(
        form.items[0].target,
        form::FormTarget::Snapshot {
            origin: Some(format!("volume-{DB}")),
            parent: form::Parent::Known {
                id: DB.into(),
                label: format!("db-primary ({DB})")
            }
        }
    );
    data.press(&mut app, &[ENTER, ENTER]);
    let Some(Modal::Confirm(confirm)) = &app.modal else {
        panic!("{:?}", app.modal)
    };
    assert_eq!(confirm.gate.focus, Button::Cancel, "focus starts on Cancel");
    let effects = update(&mut app, Msg::Key(ENTER));
    assert!(
        effects.is_empty() && app.modal.is_none(),
        "enter on Cancel does nothing"
    );
    assert_eq!(
        app.view().rows.nav().marked_len(),
        2,
        "marks stay after a cancel"
    );

    data.press(&mut app, &[Key::char('i'), ENTER, ENTER, TAB]);
    let effects = update(&mut app, Msg::Key(ENTER));
    assert_eq!(
        snapshot_manages(&effects),
        [
            (
                "backup-2024-06-01".to_string(),
                DB.to_string(),
                Some("backup-2024-06-01".to_string())
            ),
            (
                "nightly-2024-06-02".to_string(),
                WEB.to_string(),
                Some("nightly-2024-06-02".to_string())
            ),
        ]
    );
    assert_eq!(app.in_flight(), 2);
    data.serve(&mut app, effects);
    let Some(Modal::Job(job)) = &app.modal else {
        panic!()
    };
    assert!(job.finished());
    assert_eq!(job.items[0].label, "backup-2024-06-01");
    assert_eq!(
        job.items[0].outcome,
        Outcome::Done("eeeeeeee-0000-4000-8000-000000000000".into())
    );
    assert_eq!(app.view().rows.nav().marked_len(), 0);
    data.press(&mut app, &[ENTER]);
    assert!(app.modal.is_none());
}

#[test]
fn one_snapshot_name_under_two_volumes_is_marked_and_imported_apart() {
    let data = Dataset::rbd_dailies();
    let mut app = data.app();
    data.press(&mut app, &chars("m"));
    let Rows::Manageable(t) = &app.view().rows else {
        panic!()
    };
    let keys: Vec<String> = (0..t.visible_len())
        .filter_map(|n| t.visible(n))
        .filter(|row| row.entry.reference.label() == "daily")
        .map(|row| row.key().to_string())
        .collect();
    assert!(
        keys.len() == 2 && keys[0] != keys[1],
        "two rows, two identities: {keys:?}"
    );
    let marked = |app: &App| -> Vec<bool> {
        let Rows::Manageable(t) = &app.view().rows else {
            panic!()
        };
        keys.iter().map(|key| t.is_marked(key)).collect()
    };
    for (row, expected, why) in [
        (0, [true, false], "marking one daily leaves the other"),
        (1, [true, true], "the other is marked on its own"),
        (0, [false, true], "unmarking one keeps the other"),
        (0, [true, true], "marked again"),
    ] {
        select(&data, &mut app, &keys[row]);
        data.press(&mut app, &[Key::char(' ')]);
        assert_eq!(marked(&app), expected, "{why}");
    }
    data.press(&mut app, &[Key::char('i'), Key::ctrl('y')]);
    let Some(Modal::Confirm(confirm)) = &app.modal else {
        panic!("{:?}", app.modal)
    };
    let summary = confirm.plan.summary();
    let lines: Vec<&str> = summary.items.iter().map(String::as_str).collect();
    assert_eq!(
        lines,
        [
            format!("import daily (1 GiB) as snapshot 'daily' of volume db-primary ({DB})"),
            format!("import daily (1 GiB) as snapshot 'daily' of volume web-assets ({WEB})"),
        ]
    );
    assert_eq!(
        summary.groups,
        [
            format!("db-primary ({DB}): 1 snapshot"),
            format!("web-assets ({WEB}): 1 snapshot")
        ]
    );
    data.press(&mut app, &[TAB]);
    let effects = update(&mut app, Msg::Key(ENTER));
    let daily = |volume: &str| {
        (
            "daily".to_string(),
            volume.to_string(),
            Some("daily".into()),
        )
    };
    assert_eq!(snapshot_manages(&effects), [daily(DB), daily(WEB)]);
}

#[test]
fn import_of_a_snapshot_with_an_unknown_origin_asks_for_the_parent() {
    let data = Dataset::default();
    let mut app = data.app();
    manageable_at(&data, &mut app, "pre-migration");
    data.press(&mut app, &[Key::char('i'), ENTER]);
    let Some(Modal::ImportForm(form)) = &app.modal else {
        panic!()
    };
    assert_eq!(
        form.error.as_deref(),
        Some("pre-migration: choose the parent volume (left/right)")
    );
    data.press(
        &mut app,
        &[TAB, TAB, TAB, Key::plain(KeyCode::Right), ENTER, TAB],
    );
    let effects = update(&mut app, Msg::Key(ENTER));
    let [
        Action::ManageSnapshot {
            volume: IdRef::Id(volume_id),
            ..
        },
    ] = batch_actions(&effects).as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(volume_id, CACHE, "first by label: build-cache");
}

fn export_confirm(app: &App) -> &Confirm {
    match &app.modal {
        Some(Modal::Confirm(confirm)) => confirm,
        other => panic!("expected a confirmation, got {other:?}"),
    }
}

#[test]
fn export_confirms_with_the_side_effect_per_volume() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &[Key::char(':')]);
    data.press(&mut app, &chars("snapshots"));
    data.press(
        &mut app,
        &[
            ENTER,
            Key::char(' '),
            Key::char(' '),
            Key::char(' '),
            Key::char('x'),
        ],
    );
    let confirm = export_confirm(&app);
    assert_eq!(confirm.gate.focus, Button::Cancel);
    let Plan::Export(plan) = &confirm.plan else {
        panic!()
    };
    assert!(!plan.needs_typing());
    let summary = plan.summary();
    assert_eq!(
        summary.groups,
        [
            format!("db-primary ({DB}): 2 snapshots"),
            format!("web-assets ({WEB}): 1 snapshot")
        ]
    );
    assert!(
        summary.warnings[0]
            .starts_with("after export the snapshot's data stays on the back end; on LVM (thick)")
    );
    assert!(summary.warnings[0].contains("each of the 2 volumes above can then not be deleted"));
    data.press(&mut app, &[Key::plain(KeyCode::Right)]);
    let effects = update(&mut app, Msg::Key(ENTER));
    let ids: Vec<_> = batch_actions(&effects)
        .into_iter()
        .map(|action| match action {
            Action::UnmanageSnapshot { id } => id.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ids,
        [
            "aaaaaaaa-0000-4000-8000-000000000001",
            "aaaaaaaa-0000-4000-8000-000000000002",
            "aaaaaaaa-0000-4000-8000-000000000003"
        ]
    );
    data.serve(&mut app, effects);
    let Some(Modal::Job(job)) = &app.modal else {
        panic!()
    };
    assert_eq!(job.failures(), 0);
}

#[test]
fn bulk_export_needs_the_count_typed() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &[Key::char(':')]);
    data.press(&mut app, &chars("snapshots"));
    data.press(&mut app, &[ENTER, Key::ctrl('a'), Key::ctrl('d'), TAB]);
    let effects = update(&mut app, Msg::Key(ENTER));
    assert!(effects.is_empty());
    assert_eq!(
        export_confirm(&app).gate.hint.as_deref(),
        Some("type 4 or 'export' to confirm this bulk export")
    );
    data.press(&mut app, &chars("3"));
    assert!(
        update(&mut app, Msg::Key(ENTER)).is_empty(),
        "a wrong count does not confirm"
    );
    data.press(&mut app, &[Key::plain(KeyCode::Backspace), Key::char('4')]);
    assert_eq!(export_confirm(&app).gate.typed.value(), "4");
    let effects = update(&mut app, Msg::Key(ENTER));
    assert_eq!(
        batch_actions(&effects).len(),
        4,
        "one batch of four exports"
    );
}

#[test]
fn volume_export_shows_the_back_ends_refusal() {
    let data = Dataset {
        volume_unmanage: Err(Error::InvalidState(format!(
            "Invalid volume: Volume {DB} has managed snapshots (s1): unmanage them first."
        ))),
        ..Dataset::default()
    };
    let mut app = data.app();
    data.press(&mut app, &[ENTER, Key::char('x'), TAB, ENTER]);
    let Some(Modal::Job(job)) = &app.modal else {
        panic!("{:?}", app.modal)
    };
    assert_eq!(
        job.items[0].outcome,
        Outcome::Failed(format!(
            "InvalidState: Invalid volume: Volume {DB} has managed snapshots (s1): unmanage them first."
        ))
    );
}

#[test]
fn read_only_sessions_explain_instead_of_acting() {
    let data = Dataset::read_only();
    let mut app = data.app();
    data.press(&mut app, &chars("m"));
    select(
        &data,
        &mut app,
        &format!("volume-{DB}\u{1f}backup-2024-06-01"),
    );
    let effects = update(&mut app, Msg::Key(Key::char('i')));
    assert_eq!(refused(&effects), ["ManageSnapshot backup-2024-06-01"]);
    let refusal = notice(&app);
    assert_eq!(refusal.title, "Read-only session");
    assert!(
        refusal
            .text
            .starts_with("Import (manage) is unavailable: this session is read-only (--read-only)")
    );
    data.press(&mut app, &[ENTER, ESC, ENTER]);
    let effects = update(&mut app, Msg::Key(Key::char('x')));
    assert!(
        notice(&app)
            .text
            .starts_with("Export (unmanage) is unavailable")
    );
    assert_eq!(
        refused(&effects),
        [format!("UnmanageVolume db-primary ({DB})")]
    );
}

/// The changes a read-only session refused and still sends to the back end (whose
/// read-only layer refuses them again, audited): each action's kind and item label.
fn refused(effects: &[Effect]) -> Vec<String> {
    let [Effect::Refused { items }] = effects else {
        panic!("one refusal for the audit trail: {effects:?}")
    };
    items
        .iter()
        .map(|item| {
            let kind = format!("{:?}", item.action);
            let kind = kind
                .split([' ', '{', '('])
                .next()
                .unwrap_or_default()
                .to_string();
            format!("{kind} {}", item.label)
        })
        .collect()
}

#[test]
fn late_replies_for_an_old_request_are_dropped() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &[ENTER]);
    let first = update(&mut app, Msg::Key(Key::char('r')));
    let second = update(&mut app, Msg::Key(Key::char('r')));
    let request_of = |effects: &[Effect]| {
        effects
            .iter()
            .find_map(|e| match e {
                Effect::Load {
                    request,
                    load: Load::Volumes(ListFilter { host: Some(h), .. }),
                } if h == HOST => Some(*request),
                _ => None,
            })
            .unwrap()
    };
    let (old, new) = (request_of(&first), request_of(&second));
    assert!(new > old);
    let stale = vec![data.volumes[0].clone()];
    update(
        &mut app,
        Msg::Reply(Reply::Page {
            request: old,
            page: Page::Volumes(stale),
        }),
    );
    update(
        &mut app,
        Msg::Reply(Reply::Loaded {
            request: old,
            result: Ok(()),
        }),
    );
    assert_eq!(
        app.view().rows.nav().visible_len(),
        3,
        "the old reply changed nothing"
    );
    assert!(app.view().loading, "still waiting for the newer request");
    update(
        &mut app,
        Msg::Reply(Reply::Page {
            request: new,
            page: Page::Volumes(vec![data.volumes[1].clone()]),
        }),
    );
    update(
        &mut app,
        Msg::Reply(Reply::Loaded {
            request: new,
            result: Ok(()),
        }),
    );
    assert_eq!(app.view().rows.nav().visible_len(), 1);
    assert!(!app.view().loading);
}

#[test]
fn listing_errors_show_the_back_ends_text() {
    let data = Dataset::default();
    let mut app = data.app();
    let effects = update(&mut app, Msg::Key(Key::char('r')));
    let Effect::Load { request, .. } = effects[0] else {
        panic!()
    };
    let error = Error::Backend("lvs failed: Volume group \"cinder-volumes\" not found".into());
    update(
        &mut app,
        Msg::Reply(Reply::Loaded {
            request,
            result: Err(error),
        }),
    );
    let shown = notice(&app);
    assert!(shown.error);
    assert_eq!(
        shown.text,
        "BackendError: lvs failed: Volume group \"cinder-volumes\" not found"
    );
    assert_eq!(
        app.view().rows.nav().visible_len(),
        1,
        "old rows stay after a failed refresh"
    );
}

#[test]
fn a_policy_refusal_is_told_apart_and_the_projects_lists_still_open() {
    let data = Dataset::member();
    let mut app = data.app();
    assert!(app.view().denied, "a 403 marks the screen");
    assert!(
        app.view()
            .error
            .as_deref()
            .is_some_and(|e| e.contains("Policy doesn't allow"))
    );
    data.press(&mut app, &[Key::char(':')]);
    data.press(&mut app, &chars("volumes"));
    data.press(&mut app, &[ENTER]);
    assert_eq!(app.view().title(), "Volumes (all hosts)");
    assert!(!app.view().denied && app.view().error.is_none());
    assert!(app.view().rows.nav().visible_len() > 0);
}

#[test]
fn commands_open_screens_and_report_typos() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &[Key::char(':')]);
    data.press(&mut app, &chars("manageable node1@lvm"));
    data.press(&mut app, &[ENTER]);
    assert_eq!(app.view().title(), "Back-end snapshots on node1@lvm");
    assert_eq!(app.view().rows.nav().visible_len(), 7);
    data.press(&mut app, &[Key::char(':')]);
    data.press(&mut app, &chars("volumz"));
    data.press(&mut app, &[ENTER]);
    assert!(notice(&app).text.starts_with("unknown command ':volumz'"));
    data.press(&mut app, &[ENTER, Key::char(':')]);
    data.press(&mut app, &chars("hosts"));
    data.press(&mut app, &[ENTER]);
    assert_eq!(app.views.len(), 1);
    data.press(&mut app, &[Key::char(':'), Key::char('q'), ENTER]);
    assert!(app.quit);
}

#[test]
fn details_follow_the_selection_and_scroll_when_focused() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &chars("m"));
    data.press(&mut app, &chars("jjj"));
    let details = app.details_lines();
    assert!(details.contains(&("reference".to_string(), "backup-2024-06-01".to_string())));
    assert!(details.contains(&("parent".to_string(), format!("db-primary ({DB})"))));
    data.press(&mut app, &[TAB, Key::char('j'), Key::char('j')]);
    assert_eq!((app.focus, app.details_scroll), (Pane::Details, 2));
    assert_eq!(
        selected(&app),
        Some(format!("volume-{DB}\u{1f}backup-2024-06-01")),
        "j scrolls the pane, not the table"
    );
    data.press(&mut app, &[ESC, Key::char('j')]);
    assert_eq!(app.focus, Pane::Table);
    assert_eq!(app.details_scroll, 0);
}

fn backend_volumes(app: &App) -> &Table<ManageableVolumeRow> {
    match &app.view().rows {
        Rows::ManageableVolumes(t) => t,
        _ => panic!("not on the back-end volumes screen: {}", app.view().title()),
    }
}

/// Selects the row `key` of the current screen.
fn select(data: &Dataset, app: &mut App, key: &str) {
    data.press(app, &[Key::char('g')]);
    for _ in 0..app.view().rows.nav().visible_len() {
        if selected(app).as_deref() == Some(key) {
            return;
        }
        data.press(app, &[Key::char('j')]);
    }
    assert_eq!(selected(app).as_deref(), Some(key), "no row {key}");
}

fn orphan() -> String {
    format!("volume-{ORPHAN}")
}

#[test]
fn back_end_volumes_list_verdicts_and_their_snapshots() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &chars("v"));
    assert_eq!(app.view().title(), format!("Back-end volumes on {HOST}"));
    let t = backend_volumes(&app);
    let rows: Vec<_> = t
        .rows()
        .iter()
        .map(|r| {
            (
                r.entry.reference.label().to_string(),
                r.entry.safe_to_manage,
                r.snapshots.as_ref().map(Vec::len),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (format!("volume-{DB}"), false, Some(4)),
            (format!("volume-{WEB}"), false, Some(1)),
            (format!("volume-{CACHE}"), false, Some(1)),
            (orphan(), true, Some(1)),
            ("legacy-app".to_string(), true, Some(0)),
            ("swap-lv".to_string(), false, Some(0)),
        ]
    );
    select(&data, &mut app, "legacy-app");
    let details = app.details_lines();
    assert!(details.contains(&(
        "extra info".to_string(),
        r#"{"lv_attr":"-wi-a-----"}"#.to_string()
    )));
    select(&data, &mut app, &orphan());
    let details = app.details_lines();
    assert!(details.contains(&("snapshots".to_string(), "pre-migration".to_string())));
    assert!(
        details
            .iter()
            .any(|(l, v)| l == "next step" && v.starts_with("once this volume is imported")),
        "{details:?}"
    );
}

#[test]
fn unsafe_back_end_volumes_cannot_be_marked_or_imported() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &chars("v"));
    select(&data, &mut app, "swap-lv");
    data.press(&mut app, &[Key::char(' ')]);
    assert_eq!(
        notice(&app).text,
        "swap-lv cannot be imported: volume in use"
    );
    data.press(&mut app, &[ENTER]);
    select(&data, &mut app, &format!("volume-{DB}"));
    data.press(&mut app, &[Key::char('i')]);
    assert_eq!(
        notice(&app).text,
        format!("volume-{DB} cannot be imported: already managed (volume {DB})")
    );
    data.press(&mut app, &[ENTER, Key::ctrl('a')]);
    assert_eq!(
        app.view().rows.nav().marked_len(),
        2,
        "mark all takes only safe entries"
    );
}

#[test]
fn volume_import_goes_form_then_confirm_then_job() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &chars("v"));
    select(&data, &mut app, "legacy-app");
    data.press(&mut app, &[Key::char(' ')]);
    select(&data, &mut app, &orphan());
    data.press(&mut app, &[Key::char(' '), Key::char('i')]);
    let Some(Modal::ImportForm(form)) = &app.modal else {
        panic!("{:?}", app.modal)
    };
    let defaults: Vec<_> = form
        .items
        .iter()
        .map(|item| {
            (
                item.name.value().to_string(),
                item.description.value().to_string(),
                item.metadata.value().to_string(),
                item.target.clone(),
            )
        })
        .collect();
    let on_host = form::FormTarget::Volume { host: HOST.into() };
    assert_eq!(
        defaults,
        [
            (
                format!("imported-{ORPHAN}"),
                format!("imported from back-end volume {}", orphan()),
                format!("source-name={}", orphan()),
                on_host.clone(),
            ),
            (
                "legacy-app".to_string(),
                "imported from back-end volume legacy-app".to_string(),
                "source-name=legacy-app".to_string(),
                on_host,
            ),
        ],
        "in table order, names from the LV names"
    );
    data.press(&mut app, &[Key::ctrl('u')]);
    data.press(&mut app, &chars("restored-db"));
    data.press(&mut app, &[ENTER, ENTER]);
    let confirm = export_confirm(&app);
    assert_eq!(confirm.gate.focus, Button::Cancel, "focus starts on Cancel");
    let Plan::Import(plan) = &confirm.plan else {
        panic!()
    };
    let summary = plan.summary();
    assert_eq!(
        summary.items,
        [
            format!(
                "import {} (2 GiB) as volume 'restored-db' on {HOST}",
                orphan()
            ),
            format!("import legacy-app (4 GiB) as volume 'legacy-app' on {HOST}"),
        ]
    );
    assert_eq!(
        summary.warnings,
        [
            "Cinder renames each LV to volume-<new id>; the data is not copied. Back-end \
          snapshots of these LVs can be imported afterwards."
        ]
    );
    data.press(&mut app, &[TAB]);
    let effects = update(&mut app, Msg::Key(ENTER));
    let manages: Vec<_> = batch_actions(&effects)
        .into_iter()
        .map(|action| match action {
            Action::ManageVolume {
                host,
                reference,
                name,
                ..
            } => (host.clone(), reference.label().to_string(), name.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        manages,
        [
            (HOST.to_string(), orphan(), Some("restored-db".to_string())),
            (
                HOST.to_string(),
                "legacy-app".to_string(),
                Some("legacy-app".to_string())
            ),
        ]
    );
    let Some(Modal::Job(job)) = &app.modal else {
        panic!()
    };
    assert_eq!(job.title, "Import of 2 volume(s)");
    assert_eq!(job.items[1].outcome, Outcome::Running, "progress per item");
    data.serve(&mut app, effects);
    let Some(Modal::Job(job)) = &app.modal else {
        panic!()
    };
    let summary: Vec<_> = job
        .items
        .iter()
        .map(|i| (i.label.clone(), i.outcome.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (orphan(), Outcome::Done(imported_volume_id(0))),
            (
                "legacy-app".to_string(),
                Outcome::Done(imported_volume_id(1))
            ),
        ],
        "old reference -> new volume id"
    );
    assert_eq!(app.view().rows.nav().marked_len(), 0);
}

#[test]
fn a_volume_import_makes_its_back_end_snapshots_importable() {
    let data = Dataset::default();
    let mut app = data.app();
    manageable_at(&data, &mut app, "pre-migration");
    let hint = app
        .details_lines()
        .into_iter()
        .find(|(label, _)| label == "next step")
        .map(|(_, value)| value);
    assert_eq!(
        hint.as_deref(),
        Some(
            format!(
                "the origin {} is not a managed volume: import it first (v or \
                 :manageable-volumes), then this snapshot",
                orphan()
            )
            .as_str()
        )
    );

    data.press(&mut app, &chars("v"));
    assert_eq!(
        app.views.len(),
        3,
        "hosts, back-end snapshots, back-end volumes"
    );
    select(&data, &mut app, &orphan());
    data.press(&mut app, &[Key::char('i'), ENTER, TAB]);
    let effects = update(&mut app, Msg::Key(ENTER));
    let new_id = imported_volume_id(0);
    let after = data.after_orphan_import(&new_id, &format!("imported-{ORPHAN}"));
    let [manage @ Effect::Batch { .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let reply = after.replies(manage).remove(0);
    let reloads = update(&mut app, reply);
    assert!(
        reloads.iter().any(|e| matches!(
            e,
            Effect::Load { load: Load::Manageable(host), .. } if host == "node1@lvm"
        )),
        "the host's back-end snapshots are reloaded: {reloads:?}"
    );
    after.serve(&mut app, reloads);
    let row = backend_volumes(&app)
        .rows()
        .iter()
        .find(|r| r.entry.cinder_id.as_deref() == Some(new_id.as_str()))
        .unwrap();
    assert_eq!(
        row.entry.reason_not_safe.as_deref(),
        Some("already managed")
    );

    after.press(&mut app, &[ENTER, Key::char('m')]);
    assert_eq!(app.views.len(), 2, "m goes back to the back-end snapshots");
    assert_eq!(app.view().title(), format!("Back-end snapshots on {HOST}"));
    select_reference(&after, &mut app, "pre-migration");
    let Rows::Manageable(t) = &app.view().rows else {
        panic!()
    };
    assert_eq!(
        t.selected().unwrap().parent_name.as_deref(),
        Some(format!("imported-{ORPHAN}").as_str()),
        "the parent is now known"
    );
    assert!(
        !app.details_lines().iter().any(|(l, _)| l == "next step"),
        "no more hint once the origin is managed"
    );
    after.press(&mut app, &[Key::char('i')]);
    let Some(Modal::ImportForm(form)) = &app.modal else {
        panic!("{:?}", app.modal)
    };
    assert_eq!(
        form.item().target,
        form::FormTarget::Snapshot {
            origin: Some(format!("volume-{new_id}")),
            parent: form::Parent::Known {
                id: new_id.clone(),
                label: format!("imported-{ORPHAN} ({new_id})")
            }
        }
    );
}

#[test]
fn back_end_listings_toggle_without_piling_up_screens() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &[Key::char(':')]);
    data.press(&mut app, &chars("manageable-volumes node1@lvm"));
    data.press(&mut app, &[ENTER]);
    assert_eq!(app.view().title(), "Back-end volumes on node1@lvm");
    assert_eq!(app.view().rows.nav().visible_len(), 6);
    data.press(&mut app, &chars("mvmvm"));
    assert_eq!(app.views.len(), 3);
    assert_eq!(app.view().title(), "Back-end snapshots on node1@lvm");
    data.press(&mut app, &chars("v"));
    assert_eq!(app.views.len(), 2, "back to the volumes underneath");
    data.press(&mut app, &[ESC]);
    assert_eq!(app.views.len(), 1);
}

#[test]
fn read_only_sessions_explain_instead_of_importing_volumes() {
    let data = Dataset::read_only();
    let mut app = data.app();
    data.press(&mut app, &chars("v"));
    select(&data, &mut app, "legacy-app");
    let effects = update(&mut app, Msg::Key(Key::char('i')));
    assert_eq!(refused(&effects), ["ManageVolume legacy-app"]);
    let refusal = notice(&app);
    assert_eq!(refusal.title, "Read-only session");
    assert!(
        refusal
            .text
            .starts_with("Import (manage) is unavailable: this session is read-only (--read-only)"),
        "{}",
        refusal.text
    );
}

#[test]
fn unfinished_batches_are_named_with_the_command_that_finishes_them() {
    let mut app = Dataset::default().app();
    update(&mut app, Msg::Reply(Reply::UnfinishedBatches(Vec::new())));
    assert!(app.modal.is_none(), "no notice without unfinished batches");
    let journals = [
        std::path::PathBuf::from("/state/batches/20260101T000000.000Z.journal.jsonl"),
        std::path::PathBuf::from("/state/batches/20260102T000000.000Z.journal.jsonl"),
    ];
    update(
        &mut app,
        Msg::Reply(Reply::UnfinishedBatches(journals.to_vec())),
    );
    let shown = notice(&app);
    assert_eq!(shown.title, "Unfinished batches");
    assert!(shown.error);
    let lines: Vec<&str> = shown.text.lines().collect();
    assert!(
        lines[0].starts_with("2 import/export batch(es)"),
        "{lines:?}"
    );
    assert_eq!(
        lines[1..],
        [
            "snapport batch resume /state/batches/20260101T000000.000Z.journal.jsonl",
            "snapport batch resume /state/batches/20260102T000000.000Z.journal.jsonl",
        ]
    );
}

#[test]
fn one_key_accepts_the_defaults_for_every_remaining_item() {
    let data = Dataset::default();
    let mut app = data.app();
    manageable_at(&data, &mut app, "backup-2024-06-01");
    data.press(&mut app, &[Key::char(' '), Key::char(' '), Key::char('i')]);
    data.press(&mut app, &[Key::ctrl('u')]);
    data.press(&mut app, &chars("typed-by-hand"));
    data.press(&mut app, &[Key::ctrl('y')]);
    let Some(Modal::Confirm(confirm)) = &app.modal else {
        panic!("straight to the confirmation: {:?}", app.modal)
    };
    assert_eq!(confirm.gate.focus, Button::Cancel);
    let Plan::Import(plan) = &confirm.plan else {
        panic!()
    };
    let names: Vec<_> = plan.items.iter().map(|i| i.name.as_deref()).collect();
    assert_eq!(
        names,
        [Some("backup-2024-06-01"), Some("nightly-2024-06-02")],
        "this item and the rest take their defaults"
    );
}

#[test]
fn accepting_defaults_stops_at_an_item_whose_parent_must_be_chosen() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &chars("m"));
    data.press(&mut app, &[Key::ctrl('a'), Key::char('i'), Key::ctrl('y')]);
    let Some(Modal::ImportForm(form)) = &app.modal else {
        panic!("the form stays: {:?}", app.modal)
    };
    assert_eq!(form.item().reference().label(), "pre-migration");
    assert_eq!(form.field, form::Field::Parent, "the parent has the cursor");
    assert_eq!(
        form.error.as_deref(),
        Some(
            "pre-migration: the back end names no managed volume as its origin, so it has no \
             default parent: choose one (left/right), then ctrl-y again"
        )
    );
    data.press(&mut app, &[Key::plain(KeyCode::Right), Key::ctrl('y')]);
    let Some(Modal::Confirm(confirm)) = &app.modal else {
        panic!("{:?}", app.modal)
    };
    let Plan::Import(plan) = &confirm.plan else {
        panic!()
    };
    assert_eq!(plan.items.len(), 4);
}

#[test]
fn a_bulk_confirmation_scrolls_its_items_and_still_takes_the_count() {
    let data = Dataset::many_snapshots();
    let mut app = data.app();
    data.press(&mut app, &[Key::char(':')]);
    data.press(&mut app, &chars("snapshots"));
    data.press(&mut app, &[ENTER, Key::ctrl('a'), Key::char('x')]);
    let scroll = |app: &App| export_confirm(app).scroll;
    data.press(&mut app, &chars("jj"));
    assert_eq!(scroll(&app), 2);
    data.press(&mut app, &[Key::plain(KeyCode::Up)]);
    assert_eq!(scroll(&app), 1);
    for _ in 0..10 {
        data.press(&mut app, &[Key::plain(KeyCode::PageDown)]);
    }
    assert_eq!(scroll(&app), 30, "no further than the last item");
    data.press(&mut app, &chars("31"));
    assert_eq!(
        export_confirm(&app).gate.typed.value(),
        "31",
        "j/k never type"
    );
    assert_eq!(export_confirm(&app).gate.focus, Button::Cancel);
    data.press(&mut app, &[TAB]);
    let effects = update(&mut app, Msg::Key(ENTER));
    assert_eq!(batch_actions(&effects).len(), 31);
}

/// The one manage action of a confirmed import by reference.
fn by_reference_action(data: &Dataset, app: &mut App) -> Action {
    let Some(Modal::Confirm(_)) = &app.modal else {
        panic!("a confirmation: {:?}", app.modal)
    };
    data.press(app, &[TAB]);
    let effects = update(app, Msg::Key(ENTER));
    let actions = batch_actions(&effects);
    let [action] = actions.as_slice() else {
        panic!("{effects:?}")
    };
    let action = (*action).clone();
    data.serve(app, effects);
    action
}

#[test]
fn a_failed_back_end_listing_shows_on_the_screen_and_offers_import_by_reference() {
    let data = Dataset::backend_listing_fails();
    let mut app = data.app();
    data.press(&mut app, &chars("m"));
    assert!(app.modal.is_none(), "the screen body shows it, no notice");
    let error = app.view().error.clone().unwrap();
    assert!(
        error.starts_with("BackendError: HTTP 500") && error.contains("MessagingTimeout"),
        "{error}"
    );
    data.press(&mut app, &chars("I"));
    let Some(Modal::ImportForm(form)) = &app.modal else {
        panic!("{:?}", app.modal)
    };
    assert_eq!(
        form.field,
        form::Field::Reference,
        "the reference comes first"
    );
    assert!(form.listing_failed.is_some());
    data.press(&mut app, &[ENTER]);
    let Some(Modal::ImportForm(form)) = &app.modal else {
        panic!()
    };
    assert_eq!(
        form.error.as_deref(),
        Some("type the back-end reference (the LV name)")
    );
    data.press(&mut app, &chars("lost-snap"));
    data.press(
        &mut app,
        &[TAB, TAB, TAB, TAB, Key::plain(KeyCode::Right), ENTER],
    );
    let confirm = export_confirm(&app);
    let summary = confirm.plan.summary();
    assert_eq!(
        summary.warnings[0],
        format!(
            "The back-end snapshot listing of {HOST} failed: {error}. snapport will only check \
             that the parent volume exists and is available and that the reference is not an \
             already-managed name (_snapshot-<id>, volume-<id>); it cannot check that the \
             reference exists or is a snapshot of that volume."
        )
    );
    assert_eq!(
        summary.items,
        [format!(
            "import lost-snap as snapshot 'lost-snap' of volume build-cache ({CACHE})"
        )]
    );
    let Action::ManageSnapshot {
        volume: IdRef::Id(volume),
        reference,
        name,
        description,
        without_listing,
        ..
    } = by_reference_action(&data, &mut app)
    else {
        panic!()
    };
    assert_eq!(
        (volume.as_str(), reference.label(), name.as_deref()),
        (CACHE, "lost-snap", Some("lost-snap"))
    );
    assert_eq!(
        description.as_deref(),
        Some("imported from back-end snapshot lost-snap"),
        "empty fields take the defaults from the typed reference"
    );
    assert!(
        without_listing,
        "the listing failed: the import goes without it"
    );
    let Some(Modal::Job(job)) = &app.modal else {
        panic!()
    };
    assert_eq!(job.failures(), 0);
}

#[test]
fn import_by_reference_works_where_the_listing_worked_and_reports_a_late_failure() {
    let data = Dataset {
        manage_error: Some(Error::ListingUnavailable(
            "the manageable listing of node1@lvm timed out, so snapport could not check that \
             'lost-vol' exists; import with without_listing to skip these checks"
                .into(),
        )),
        ..Dataset::default()
    };
    let mut app = data.app();
    data.press(&mut app, &chars("vI"));
    data.press(&mut app, &chars("lost-vol"));
    data.press(&mut app, &[TAB]);
    data.press(&mut app, &chars("restored"));
    data.press(&mut app, &[ENTER]);
    let summary = export_confirm(&app).plan.summary();
    assert_eq!(summary.warnings.len(), 1, "no listing failed: {summary:?}");
    let Action::ManageVolume {
        host,
        name,
        without_listing,
        ..
    } = by_reference_action(&data, &mut app)
    else {
        panic!()
    };
    assert_eq!((host.as_str(), name.as_deref()), (HOST, Some("restored")));
    assert!(!without_listing);
    let Some(Modal::Job(job)) = &app.modal else {
        panic!()
    };
    assert!(matches!(
        &job.items[0].outcome,
        Outcome::Failed(text) if text.starts_with("ListingUnavailable: the manageable listing")
    ));
}

#[test]
fn read_only_sessions_explain_instead_of_importing_by_reference() {
    let data = Dataset::read_only();
    let mut app = data.app();
    data.press(&mut app, &chars("mI"));
    assert!(
        notice(&app)
            .text
            .starts_with("Import by reference (manage) is unavailable: this session is read-only")
    );
}

#[test]
fn dialog_keys_come_from_the_key_table() {
    let data = Dataset::default();
    let mut app = data.app();
    let overrides = std::collections::BTreeMap::from([
        ("switch_button".to_string(), "ctrl-o".to_string()),
        ("cancel".to_string(), "ctrl-g".to_string()),
    ]);
    app.keymap = super::keymap::Keymap::with_overrides(&overrides).unwrap();
    data.press(&mut app, &[Key::char(':')]);
    data.press(&mut app, &chars("snapshots"));
    data.press(&mut app, &[ENTER, Key::char(' '), Key::char('x')]);
    data.press(&mut app, &[TAB]);
    assert_eq!(
        export_confirm(&app).gate.focus,
        Button::Cancel,
        "tab no longer switches the buttons"
    );
    data.press(&mut app, &[Key::ctrl('o')]);
    assert_eq!(export_confirm(&app).gate.focus, Button::Proceed);
    data.press(&mut app, &[ESC]);
    assert!(app.modal.is_some(), "esc no longer cancels");
    data.press(&mut app, &[Key::ctrl('g')]);
    assert!(app.modal.is_none(), "the new cancel key does");

    let typed = super::keymap::Keymap::with_overrides(&std::collections::BTreeMap::from([(
        "scroll_down".to_string(),
        "e".to_string(),
    )]))
    .unwrap_err();
    assert_eq!(
        typed.to_string(),
        "config [keys]: 'e' cannot do 'scroll_down': the confirmation dialog uses it for typing"
    );
}

#[test]
fn tab_completes_a_command_name() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &[Key::char(':')]);
    data.press(&mut app, &chars("manageable-v"));
    data.press(&mut app, &[TAB]);
    assert_eq!(
        app.prompt.as_ref().map(|p| p.input.value().to_string()),
        Some("manageable-volumes ".to_string())
    );
    data.press(&mut app, &chars("node1@lvm"));
    data.press(&mut app, &[ENTER]);
    assert_eq!(app.view().title(), "Back-end volumes on node1@lvm");
    data.press(&mut app, &[Key::char(':'), Key::char('m'), TAB]);
    assert_eq!(
        app.prompt.as_ref().map(|p| p.input.value().to_string()),
        Some("m".to_string()),
        "several commands start with m: nothing is completed"
    );
}

#[test]
fn a_hosts_back_end_snapshots_open_on_the_listing_the_console_already_has() {
    let data = Dataset::default();
    let mut app = data.app();
    let effects = update(&mut app, Msg::Key(Key::char('m')));
    let listings = effects
        .iter()
        .filter(|effect| {
            matches!(
                effect,
                Effect::Load {
                    load: Load::Manageable(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(listings, 0, "no second scan of the back end: {effects:?}");
    assert_eq!(
        app.view().title(),
        "Back-end snapshots on node1@lvm#cinder-volumes"
    );
    assert_eq!(app.view().rows.nav().visible_len(), 7);
    let refresh = update(&mut app, Msg::Key(Key::char('r')));
    let reloads: Vec<RequestId> = refresh
        .iter()
        .filter_map(|effect| match effect {
            Effect::Load {
                request,
                load: Load::Manageable(_),
            } => Some(*request),
            _ => None,
        })
        .collect();
    assert_eq!(
        reloads.len(),
        1,
        "a refresh asks once, for the screen and the caches: {refresh:?}"
    );
}

#[test]
fn a_delete_starts_on_cancel_says_it_destroys_data_and_needs_the_word_for_several() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &command_keys("snapshots"));
    data.press(&mut app, &[Key::ctrl('a'), Key::char('X')]);
    let confirm = export_confirm(&app);
    assert_eq!(confirm.gate.focus, Button::Cancel);
    let Plan::Export(plan) = &confirm.plan else {
        panic!("a removal: {:?}", confirm.plan)
    };
    assert_eq!(plan.removal, plan::Removal::Delete);
    assert!(plan.needs_typing(), "{} snapshots", plan.items.len());
    let summary = plan.summary();
    assert!(
        summary.heading.starts_with("Delete "),
        "{}",
        summary.heading
    );
    assert!(
        summary.warnings[0].contains("DESTROYS the data")
            && summary.warnings[0].contains("export (unmanage) would only make Cinder forget"),
        "{:?}",
        summary.warnings
    );
    assert_eq!(confirm.plan.title(), "Confirm delete");

    assert!(
        update(&mut app, Msg::Key(ENTER)).is_empty(),
        "Enter on Cancel"
    );
    assert!(app.modal.is_none());
    data.press(&mut app, &[Key::char('X'), TAB]);
    assert!(
        update(&mut app, Msg::Key(ENTER)).is_empty(),
        "nothing typed"
    );
    let hint = export_confirm(&app).gate.hint.clone().unwrap();
    assert!(hint.contains("'delete'"), "{hint}");
    data.press(&mut app, &chars("delete"));
    let effects = update(&mut app, Msg::Key(ENTER));
    let deleted: Vec<&str> = batch_actions(&effects)
        .into_iter()
        .map(|action| match action {
            Action::DeleteSnapshot {
                snapshot: IdRef::Id(id),
            } => id.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(deleted.len(), plan_len(&effects));
    data.serve(&mut app, effects);
    let Some(Modal::Job(job)) = &app.modal else {
        panic!("the job: {:?}", app.modal)
    };
    assert!(job.title.starts_with("Delete of"), "{}", job.title);
    assert!(
        job.items
            .iter()
            .all(|item| item.outcome == Outcome::Done("deleted, with its data".into())),
        "{job:?}"
    );
}

fn plan_len(effects: &[Effect]) -> usize {
    batch_actions(effects).len()
}

fn command_keys(name: &str) -> Vec<Key> {
    let mut keys = vec![Key::char(':')];
    keys.extend(chars(name));
    keys.push(ENTER);
    keys
}

#[test]
fn volumes_are_created_from_the_selected_snapshot_through_a_form_and_a_confirmation() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &command_keys("snapshots"));
    data.press(&mut app, &[Key::char('c')]);
    let Some(Modal::CreateForm(form)) = &app.modal else {
        panic!("the form: {:?}", app.modal)
    };
    let snapshot_size = form.snapshot_size;
    assert_eq!(form.size.value(), snapshot_size.to_string());
    assert_eq!(form.count.value(), "1");
    data.press(&mut app, &[TAB, TAB, Key::plain(KeyCode::Backspace)]);
    data.press(&mut app, &chars("2"));
    data.press(&mut app, &[ENTER]);
    let confirm = export_confirm(&app);
    let Plan::Create(plan) = &confirm.plan else {
        panic!("a create: {:?}", confirm.plan)
    };
    assert_eq!(plan.count, 2);
    assert!(
        plan.summary().warnings[0].contains("LVM driver copies"),
        "{:?}",
        plan.summary()
    );
    data.press(&mut app, &[TAB]);
    let effects = update(&mut app, Msg::Key(ENTER));
    let names: Vec<String> = batch_actions(&effects)
        .into_iter()
        .map(|action| match action {
            Action::CreateVolume { name, size, .. } => {
                assert_eq!(*size, Some(snapshot_size));
                name.clone().unwrap()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names[0].ends_with("-volume-1") && names[1].ends_with("-volume-2"));
}

#[test]
fn a_volume_is_retired_after_the_review_once_its_name_is_typed() {
    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &[ENTER]);
    assert_eq!(selected(&app).as_deref(), Some(DB));
    let effects = update(&mut app, Msg::Key(Key::char('R')));
    let [Effect::Survey { volume_id, .. }] = effects.as_slice() else {
        panic!("a survey: {effects:?}")
    };
    assert_eq!(volume_id, DB);
    assert!(notice(&app).text.contains("stands in the way"));
    data.serve(&mut app, effects);
    let confirm = export_confirm(&app);
    let Plan::Retire(plan) = &confirm.plan else {
        panic!("a retirement: {:?}", confirm.plan)
    };
    assert_eq!(plan.name(), "db-primary");
    let summary = plan.summary();
    assert!(summary.heading.contains("DESTROYS"), "{}", summary.heading);
    assert!(
        summary.groups[0].contains("2 managed snapshot(s), 2 back-end snapshot(s)"),
        "{:?}",
        summary.groups
    );
    assert!(summary.warnings[0].contains("VolumeIsBusy"));
    assert_eq!(confirm.gate.focus, Button::Cancel);

    data.press(&mut app, &[TAB]);
    assert!(
        update(&mut app, Msg::Key(ENTER)).is_empty(),
        "no name typed"
    );
    assert!(export_confirm(&app).gate.hint.is_some());
    // every character types, even the dialog's scroll keys
    data.press(&mut app, &chars("db-primarj"));
    data.press(&mut app, &[Key::plain(KeyCode::Backspace), Key::char('y')]);
    assert_eq!(export_confirm(&app).gate.typed.value(), "db-primary");
    let effects = update(&mut app, Msg::Key(ENTER));
    let [
        Effect::Batch {
            items, in_order, ..
        },
    ] = effects.as_slice()
    else {
        panic!("one batch: {effects:?}")
    };
    assert!(*in_order);
    let steps: Vec<String> = items.iter().map(|item| item.action.describe()).collect();
    assert_eq!(steps.len(), 7, "{steps:?}");
    assert!(steps[0].starts_with("manage snapshot"), "{steps:?}");
    assert_eq!(steps[2], "delete the snapshot item 1 imported");
    assert_eq!(steps[6], format!("delete volume {DB}"));
}

#[test]
fn read_only_sessions_refuse_deletes_creates_and_retirements_with_the_reason() {
    let data = Dataset::read_only();
    let mut app = data.app();
    data.press(&mut app, &[ENTER]);
    // the delete still goes to the back end's read-only layer, which audits the refusal
    let effects = update(&mut app, Msg::Key(Key::char('X')));
    let [Effect::Refused { items }] = effects.as_slice() else {
        panic!("the refused delete: {effects:?}")
    };
    let refused: Vec<String> = items.iter().map(|item| item.action.describe()).collect();
    assert_eq!(refused, [format!("delete volume {DB}")]);
    assert!(notice(&app).text.contains("read-only"));
    app.modal = None;
    assert!(update(&mut app, Msg::Key(Key::char('R'))).is_empty());
    assert!(notice(&app).text.contains("read-only"));
    app.modal = None;
    data.press(&mut app, &command_keys("snapshots"));
    assert!(update(&mut app, Msg::Key(Key::char('c'))).is_empty());
    assert!(
        notice(&app)
            .text
            .contains("Creating volumes from a snapshot is unavailable")
    );
}

#[test]
fn a_batch_that_meets_faults_says_so_per_item_and_the_console_keeps_answering() {
    let data = Dataset {
        manage_error: Some(Error::NoAnswer(
            "POST /manageable_volumes: connection closed before the answer".into(),
        )),
        ..Dataset::default()
    };
    let mut app = data.app();
    data.press(&mut app, &chars("v"));
    select(&data, &mut app, "legacy-app");
    data.press(
        &mut app,
        &[Key::char(' '), Key::char('i'), ENTER, TAB, ENTER],
    );
    let Some(Modal::Job(job)) = &app.modal else {
        panic!("the job dialog: {:?}", app.modal)
    };
    assert_eq!(job.failures(), 1);
    let Outcome::Failed(text) = &job.items[0].outcome else {
        panic!("{:?}", job.items[0].outcome)
    };
    assert!(
        text.starts_with("NoAnswer: POST /manageable_volumes: connection closed"),
        "{text}"
    );
    assert!(text.contains("whether it happened is not known"), "{text}");
    assert!(text.contains("`snapport batch resume`"), "{text}");

    // the dialog closes and the console goes on: refresh, then back to the hosts
    data.press(&mut app, &[ENTER]);
    assert!(app.modal.is_none(), "{:?}", app.modal);
    let effects = update(&mut app, Msg::Key(Key::char('r')));
    assert!(!effects.is_empty(), "a refresh is asked of the worker");
    data.serve(&mut app, effects);
    data.press(&mut app, &[ESC]);
    assert!(
        matches!(app.view().rows, Rows::Hosts(_)),
        "back on the hosts"
    );
}
