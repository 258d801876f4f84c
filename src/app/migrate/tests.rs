//! The wizard's steps, refusals and stale replies, driven by keys and the test data's
//! stand-in worker.

use super::*;
use crate::app::Notice;
use crate::app::keymap::Key;
use crate::app::msg::{Msg, Reply};
use crate::app::testdata::{DB, Dataset, ENTER, ESC, TAB, WEB, chars, new_id};
use crate::app::update;
use crate::migrate::Problem;

/// A console on the volumes screen with `marks` marked (space on each row index).
fn on_volumes(data: &Dataset, marks: &[usize]) -> App {
    let mut app = data.app();
    data.press(&mut app, &[ENTER]);
    for row in 0..3 {
        if marks.contains(&row) {
            data.press(&mut app, &chars(" "));
        } else {
            data.press(&mut app, &chars("j"));
        }
    }
    app
}

fn wizard(app: &App) -> &Wizard {
    match &app.modal {
        Some(Modal::Migrate(wizard)) => wizard,
        other => panic!("expected the wizard, got {other:?}"),
    }
}

fn notice(app: &App) -> &Notice {
    match &app.modal {
        Some(Modal::Notice(notice)) => notice,
        other => panic!("expected a notice, got {other:?}"),
    }
}

fn press(app: &mut App, key: Key) -> Vec<Effect> {
    update(app, Msg::Key(key))
}

/// Walks to the review of a plan to `new`, first host.
fn to_review(data: &Dataset, marks: &[usize]) -> App {
    let mut app = on_volumes(data, marks);
    data.press(&mut app, &[Key::char('M'), Key::char('j'), ENTER, ENTER]);
    app
}

#[test]
fn the_wizard_walks_from_target_to_summary() {
    let data = Dataset::default();
    let mut app = on_volumes(&data, &[0]);
    data.press(&mut app, &[Key::char('M')]);
    let w = wizard(&app);
    assert_eq!(w.from, "old");
    assert_eq!(w.volumes, [(DB.to_string(), format!("db-primary ({DB})"))]);
    let targets: Vec<&str> = w.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(targets, ["lab", "new"], "the source is not a target");
    assert_eq!(w.stage.number(), (1, "target back end"));

    data.press(&mut app, &chars("j"));
    let effects = press(&mut app, ENTER);
    let [
        Effect::Connect {
            request,
            name,
            hosts: true,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(name, "new");
    assert!(matches!(wizard(&app).stage, Stage::Connecting { .. }));
    data.serve(&mut app, effects.clone());
    let w = wizard(&app);
    assert_eq!(w.target.as_ref().unwrap().connection, *request);
    assert!(matches!(w.stage, Stage::ChooseHost { selected: 0 }));

    data.press(&mut app, &chars("j"));
    let effects = press(&mut app, ENTER);
    let [
        Effect::Plan {
            volumes,
            from,
            to,
            target_host,
            target,
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (volumes.as_slice(), from.as_str(), to.as_str()),
        ([DB.to_string()].as_slice(), "old", "new")
    );
    assert_eq!(target_host, "new@lvm#fast", "the chosen host");
    assert_eq!(target, request, "planned against the opened target");
    data.serve(&mut app, effects.clone());
    let Stage::Review(Review::Ready(plan)) = &wizard(&app).stage else {
        panic!("{:?}", wizard(&app).stage)
    };
    assert_eq!(
        plan.steps().count(),
        6,
        "2 snapshots and the volume, out and in"
    );

    data.press(&mut app, &[ENTER]);
    let Stage::Confirm { journal, gate, .. } = &wizard(&app).stage else {
        panic!()
    };
    assert_eq!(
        journal.to_str().unwrap(),
        "/home/op/.local/state/snapport/migrations/20240605T093000Z.journal.jsonl"
    );
    assert_eq!(
        gate.focus,
        crate::app::Button::Cancel,
        "focus starts on Cancel"
    );
    assert!(!wizard(&app).needs_typing(), "one volume needs no word");

    data.press(&mut app, &[TAB]);
    let effects = press(&mut app, ENTER);
    let [Effect::Migrate { plan_file, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(
        plan_file.to_str().unwrap(),
        "/home/op/.local/state/snapport/migrations/20240605T093000Z.json",
        "the plan is saved beside the journal"
    );
    data.serve(&mut app, effects);
    let Stage::Summary { run, end } = &wizard(&app).stage else {
        panic!()
    };
    assert_eq!(run.done(), 6);
    let RunEnd::Ran(ran) = end else { panic!() };
    assert!(ran.complete());
    assert_eq!(ran.map.entries[0].target_id, Some(new_id(4)));

    let effects = press(&mut app, ENTER);
    assert!(app.modal.is_none());
    assert!(
        effects.contains(&Effect::Release {
            connection: *request
        }),
        "{effects:?}"
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Load { .. })),
        "the screen reloads after the move: {effects:?}"
    );
}

#[test]
fn cancel_leaves_and_esc_goes_back_one_step() {
    let data = Dataset::default();
    let mut app = to_review(&data, &[0]);
    data.press(&mut app, &[ENTER]);
    assert!(matches!(wizard(&app).stage, Stage::Confirm { .. }));
    data.press(&mut app, &[ESC]);
    assert!(matches!(
        wizard(&app).stage,
        Stage::Review(Review::Ready(_))
    ));
    data.press(&mut app, &[ESC]);
    assert!(matches!(wizard(&app).stage, Stage::ChooseHost { .. }));
    let effects = press(&mut app, ESC);
    assert!(matches!(effects.as_slice(), [Effect::Release { .. }]));
    assert!(matches!(
        wizard(&app).stage,
        Stage::ChooseTarget { selected: 1 }
    ));
    assert!(wizard(&app).target.is_none());
    data.press(&mut app, &[ENTER, ENTER, ENTER]);
    let effects = press(&mut app, ENTER);
    assert!(app.modal.is_none(), "enter on the focused Cancel leaves");
    assert!(
        matches!(effects.as_slice(), [Effect::Release { .. }]),
        "{effects:?}"
    );
}

#[test]
fn several_volumes_need_the_word_typed() {
    let data = Dataset::default();
    let mut app = to_review(&data, &[0, 1]);
    data.press(&mut app, &[ENTER, TAB]);
    assert!(wizard(&app).needs_typing());
    let effects = press(&mut app, ENTER);
    assert!(effects.is_empty());
    assert_eq!(
        wizard(&app).hint,
        None,
        "the hint lives in the gate while confirming"
    );
    let Stage::Confirm { gate, .. } = &wizard(&app).stage else {
        panic!()
    };
    assert_eq!(
        gate.hint.as_deref(),
        Some("type 'migrate' to move these 2 volumes")
    );
    data.press(&mut app, &chars("migrat"));
    assert!(press(&mut app, ENTER).is_empty(), "not the whole word");
    data.press(&mut app, &chars("e"));
    let effects = press(&mut app, ENTER);
    let [Effect::Migrate { plan, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(plan.volumes.len(), 2);
    assert_eq!(plan.steps().count(), 12);
    assert!(
        app.views.last().unwrap().rows.nav().marked_len() == 0,
        "marks are cleared once the run starts"
    );
}

#[test]
fn refused_plans_show_every_problem_and_cannot_be_applied() {
    let data = Dataset {
        problems: vec![
            Problem::new("new@lvm#fast", "the target host is down"),
            Problem::new(WEB, "a snapshot is in use"),
        ],
        ..Dataset::default()
    };
    let mut app = to_review(&data, &[0]);
    let Stage::Review(Review::Refused { plan, problems }) = &wizard(&app).stage else {
        panic!("{:?}", wizard(&app).stage)
    };
    assert!(plan.is_some());
    assert_eq!(problems.len(), 2);
    let effects = press(&mut app, ENTER);
    assert!(effects.is_empty(), "nothing runs: {effects:?}");
    assert!(matches!(wizard(&app).stage, Stage::Review(_)));
    assert!(
        wizard(&app)
            .hint
            .as_deref()
            .unwrap()
            .contains("cannot be applied")
    );
}

#[test]
fn read_only_sessions_cannot_start_a_migration() {
    let data = Dataset::read_only();
    let mut app = on_volumes(&data, &[0]);
    for keys in [
        vec![Key::char('M')],
        [&[Key::char(':')][..], &chars("migrate new"), &[ENTER]].concat(),
    ] {
        let mut effects = Vec::new();
        for key in keys {
            effects.extend(press(&mut app, key));
        }
        assert!(effects.is_empty(), "nothing is sent: {effects:?}");
        let text = &notice(&app).text;
        assert!(
            text.starts_with("Migration (unmanage here, manage on the target) is unavailable")
                && text.contains("read-only"),
            "{text}"
        );
        data.press(&mut app, &[ESC]);
    }
}

#[test]
fn a_migration_needs_a_named_source_and_another_back_end() {
    let mut data = Dataset::default();
    data.session.current = None;
    let mut app = on_volumes(&data, &[0]);
    data.press(&mut app, &[Key::char('M')]);
    assert!(notice(&app).text.contains("--backend NAME"));

    let mut data = Dataset::default();
    data.session.backends.retain(|b| b.name == "old");
    let mut app = on_volumes(&data, &[0]);
    data.press(&mut app, &[Key::char('M')]);
    assert_eq!(notice(&app).title, "No other back end");

    let data = Dataset::default();
    let mut app = data.app();
    data.press(&mut app, &[Key::char(':')]);
    data.press(&mut app, &chars("migrate"));
    data.press(&mut app, &[ENTER]);
    assert_eq!(
        notice(&app).title,
        "Which volumes?",
        "hosts are not volumes"
    );
}

#[test]
fn an_unreachable_target_is_explained_and_another_can_be_chosen() {
    let data = Dataset::default();
    let mut app = on_volumes(&data, &[0]);
    data.press(&mut app, &[Key::char('M'), ENTER]);
    let w = wizard(&app);
    assert!(matches!(w.stage, Stage::ChooseTarget { selected: 0 }));
    assert_eq!(
        w.hint.as_deref(),
        Some("cannot open 'lab': cannot reach https://lab.example:5000/v3: connection refused")
    );
    data.press(&mut app, &[Key::char('j'), ENTER]);
    assert!(matches!(wizard(&app).stage, Stage::ChooseHost { .. }));
}

#[test]
fn migrate_with_a_name_opens_that_target_at_once() {
    let data = Dataset::default();
    let mut app = on_volumes(&data, &[1]);
    data.press(&mut app, &[Key::char(':')]);
    data.press(&mut app, &chars("migrate new"));
    data.press(&mut app, &[ENTER]);
    let w = wizard(&app);
    assert_eq!(w.target.as_ref().unwrap().name, "new");
    assert_eq!(w.volumes[0].0, WEB);
    assert!(matches!(w.stage, Stage::ChooseHost { .. }));
}

#[test]
fn progress_rows_follow_the_engine_and_esc_asks_to_stop() {
    let data = Dataset {
        stall_at: Some(3),
        ..Dataset::default()
    };
    let mut app = to_review(&data, &[0]);
    data.press(&mut app, &[ENTER, TAB, ENTER]);
    let Stage::Running(run) = &wizard(&app).stage else {
        panic!("{:?}", wizard(&app).stage)
    };
    let states: Vec<&StepState> = run.rows.iter().map(|row| &row.state).collect();
    assert_eq!(
        states,
        [
            &StepState::Done(None),
            &StepState::Done(None),
            &StepState::Running,
            &StepState::Pending,
            &StepState::Pending,
            &StepState::Pending,
        ]
    );
    assert_eq!(run.rows[2].on, "old");
    assert_eq!(run.rows[3].on, "new");
    let request = run.request;

    assert!(
        press(&mut app, Key::char('q')).is_empty(),
        "no quitting mid-run"
    );
    assert!(app.modal.is_some() && !app.quit);
    let effects = press(&mut app, ESC);
    assert_eq!(effects, [Effect::Stop { request }]);
    assert!(press(&mut app, ESC).is_empty(), "one stop is enough");

    update(
        &mut app,
        Msg::Reply(Reply::Progress {
            request,
            event: Event::Finished {
                phase: crate::migrate::journal::Phase::Forward,
                step: 3,
                new_id: None,
            },
        }),
    );
    let end = RunEnd::Refused("x".into());
    update(
        &mut app,
        Msg::Reply(Reply::Migrated {
            request: request + 100,
            end: end.clone(),
        }),
    );
    assert!(
        matches!(wizard(&app).stage, Stage::Running(_)),
        "a reply for another run is dropped"
    );
    update(&mut app, Msg::Reply(Reply::Migrated { request, end }));
    let Stage::Summary { run, .. } = &wizard(&app).stage else {
        panic!()
    };
    assert_eq!(run.done(), 3);
    assert!(run.stopping);
}

#[test]
fn a_failed_step_ends_in_an_unfinished_summary() {
    let data = Dataset {
        fail_at: Some(3),
        ..Dataset::default()
    };
    let mut app = to_review(&data, &[0]);
    data.press(&mut app, &[ENTER, TAB, ENTER]);
    let Stage::Summary { run, end } = &wizard(&app).stage else {
        panic!()
    };
    assert!(matches!(run.rows[2].state, StepState::Failed(_)));
    assert!(matches!(run.rows[3].state, StepState::Pending));
    let RunEnd::Ran(ran) = end else { panic!() };
    assert!(!ran.complete());
    assert_eq!(ran.outcome.remaining, 4);
}

#[test]
fn late_replies_for_abandoned_steps_are_dropped() {
    let data = Dataset::default();
    let mut app = on_volumes(&data, &[0]);
    data.press(&mut app, &[Key::char('M'), Key::char('j')]);
    let connect = press(&mut app, ENTER);
    press(&mut app, ESC);
    assert!(matches!(wizard(&app).stage, Stage::ChooseTarget { .. }));
    let [Effect::Connect { request, .. }] = connect.as_slice() else {
        panic!()
    };
    let reply = data.replies(&connect[0]);
    let effects: Vec<Effect> = reply
        .into_iter()
        .flat_map(|msg| update(&mut app, msg))
        .collect();
    assert_eq!(
        effects,
        [Effect::Release {
            connection: *request
        }],
        "the abandoned connection is closed"
    );
    assert!(matches!(wizard(&app).stage, Stage::ChooseTarget { .. }));
    assert!(!app.busy(), "the reply was counted");

    data.press(&mut app, &[ENTER]);
    let plan = press(&mut app, ENTER);
    press(&mut app, ESC);
    for msg in data.replies(&plan[0]) {
        update(&mut app, msg);
    }
    assert!(
        matches!(wizard(&app).stage, Stage::ChooseHost { .. }),
        "a plan for a host the operator left is dropped"
    );
}

#[test]
fn the_target_host_on_the_same_storage_is_offered_first() {
    let mut data = Dataset::default();
    data.target_hosts.reverse();
    let mut app = on_volumes(&data, &[0, 1]);
    data.press(&mut app, &[Key::char('M'), Key::char('j'), ENTER]);
    let w = wizard(&app);
    assert_eq!(w.storage.as_deref(), Some("lvm:cinder-volumes"));
    let Stage::ChooseHost { selected } = w.stage else {
        panic!("{:?}", w.stage)
    };
    let hosts = &w.target.as_ref().expect("the target").hosts;
    assert_eq!(hosts[selected].host, "new@lvm#cinder-volumes", "{hosts:?}");

    // a source whose storage is not known prefers nothing: the first host is offered
    data.hosts[0].storage = None;
    let mut app = on_volumes(&data, &[0, 1]);
    data.press(&mut app, &[Key::char('M'), Key::char('j'), ENTER]);
    assert_eq!(wizard(&app).storage, None);
    assert!(matches!(
        wizard(&app).stage,
        Stage::ChooseHost { selected: 0 }
    ));
}
