//! Whole-screen snapshots of every screen and dialog at 80×24 and 160×48, rendered
//! with ratatui's TestBackend from the fixed dataset; styled dumps for colours and
//! NO_COLOR.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::keymap::{Key, KeyCode};
use crate::app::msg::Msg;
use crate::app::testdata::{Dataset, ENTER, TAB, chars};
use crate::app::{App, update};
use crate::backend::Driver;

use super::draw;
use super::theme::Theme;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn app_at(data: &Dataset, width: u16, height: u16, keys: &[Key]) -> App {
    let mut app = data.app();
    update(&mut app, Msg::Resize { width, height });
    data.press(&mut app, keys);
    app
}

fn terminal(app: &App, width: u16, height: u16, theme: &Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| draw(frame, app, theme)).unwrap();
    terminal
}

/// Snapshots the screen's text at both sizes after `keys`.
fn screens(name: &str, data: &Dataset, keys: &[Key]) {
    let theme = Theme::load(None, false).unwrap();
    for (width, height) in SIZES {
        let app = app_at(data, width, height, keys);
        let text = terminal(&app, width, height, &theme).backend().to_string();
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), text);
    }
}

/// Snapshots the styled buffer (colours and modifiers) at 80×24, in colour and NO_COLOR.
fn styled(name: &str, data: &Dataset, keys: &[Key]) {
    for (suffix, no_color) in [("colour", false), ("no_color", true)] {
        let theme = Theme::load(None, no_color).unwrap();
        let app = app_at(data, 80, 24, keys);
        let buffer = format!("{:?}", terminal(&app, 80, 24, &theme).backend().buffer());
        if no_color {
            assert!(
                !buffer.contains("fg: Black") && !buffer.contains("bg: Cyan"),
                "NO_COLOR has no colours"
            );
        }
        insta::assert_snapshot!(format!("{name}_{suffix}"), buffer);
    }
}

fn keys(parts: &[&[Key]]) -> Vec<Key> {
    parts.concat()
}

fn command(text: &str) -> Vec<Key> {
    keys(&[&[Key::char(':')], &chars(text), &[ENTER]])
}

#[test]
fn hosts_screen() {
    screens("hosts", &Dataset::default(), &[]);
}

#[test]
fn hosts_screen_with_a_cluster() {
    screens("hosts_cluster", &Dataset::clustered(), &[]);
    screens(
        "hosts_cluster_details",
        &Dataset::clustered(),
        &[Key::char('j'), Key::char('d')],
    );
}

#[test]
fn volumes_screen() {
    screens("volumes", &Dataset::default(), &[ENTER, Key::char(' ')]);
}

#[test]
fn snapshots_screen() {
    screens("snapshots", &Dataset::default(), &command("snapshots"));
}

#[test]
fn manageable_screen() {
    screens("manageable", &Dataset::default(), &chars("m"));
}

#[test]
fn details_pane() {
    screens(
        "details",
        &Dataset::default(),
        &keys(&[&chars("mjjj"), &[ENTER]]),
    );
    screens(
        "volume_details",
        &Dataset::default(),
        &[ENTER, Key::char('d')],
    );
}

#[test]
fn import_form() {
    screens(
        "import_form",
        &Dataset::default(),
        &keys(&[
            &chars("mjjj"),
            &[Key::char(' '), Key::char(' '), Key::char('i')],
        ]),
    );
}

#[test]
fn import_form_choosing_a_parent() {
    screens(
        "import_form_parent",
        &Dataset::default(),
        &keys(&[
            &chars("mG"),
            &[Key::char('k'), Key::char('i'), TAB, TAB, TAB],
        ]),
    );
}

#[test]
fn import_form_stops_accepting_defaults_where_a_parent_is_needed() {
    screens(
        "import_form_defaults_stop",
        &Dataset::default(),
        &keys(&[
            &chars("m"),
            &[Key::ctrl('a'), Key::char('i'), Key::ctrl('y')],
        ]),
    );
}

#[test]
fn import_confirm() {
    screens(
        "import_confirm",
        &Dataset::default(),
        &keys(&[
            &chars("mjjj"),
            &[Key::char(' '), Key::char(' '), Key::char('i'), ENTER, ENTER],
        ]),
    );
}

#[test]
fn export_confirm_with_warning() {
    let path = keys(&[&command("snapshots"), &chars("  x")]);
    screens("export_confirm", &Dataset::default(), &path);
    styled("export_confirm", &Dataset::default(), &path);
}

/// The export dialog says what a later delete of the parent does on the host's
/// driver: RBD moves it to the trash with the snapshot, LVM (thin) keeps the snapshot.
#[test]
fn export_confirm_per_driver() {
    let path = keys(&[&command("snapshots"), &chars("  x")]);
    screens(
        "export_confirm_rbd",
        &Dataset::with_driver(Driver::Rbd),
        &path,
    );
    screens(
        "export_confirm_lvm_thin",
        &Dataset::with_driver(Driver::LvmThin),
        &path,
    );
}

#[test]
fn bulk_export_typing() {
    let path = keys(&[
        &command("snapshots"),
        &[Key::ctrl('a'), Key::char('x'), Key::char('4'), TAB],
    ]);
    screens("bulk_export", &Dataset::default(), &path);
}

#[test]
fn bulk_export_of_31_snapshots_fits_and_scrolls() {
    let data = Dataset::many_snapshots();
    let confirm = keys(&[&command("snapshots"), &[Key::ctrl('a'), Key::char('x')]]);
    screens("export_31_confirm", &data, &confirm);
    screens(
        "export_31_confirm_scrolled",
        &data,
        &keys(&[&confirm, &chars("jjj"), &[Key::plain(KeyCode::PageDown)]]),
    );
}

#[test]
fn job_results() {
    let path = keys(&[
        &chars("mjjj"),
        &[
            Key::char(' '),
            Key::char(' '),
            Key::char('i'),
            ENTER,
            ENTER,
            TAB,
            ENTER,
        ],
    ]);
    screens("import_results", &Dataset::default(), &path);
}

#[test]
fn help_overlay() {
    screens("help", &Dataset::default(), &chars("?"));
}

#[test]
fn header_names_the_cloud_region_project_and_user() {
    let mut data = Dataset::default();
    data.info.label = "cloud prod".into();
    data.info.identity = Some("cloud=prod region=RegionOne project=admin user=alice".into());
    screens("header_cloud", &data, &[]);
}

#[test]
fn the_footer_says_how_many_ids_were_copied() {
    screens(
        "copied",
        &Dataset::default(),
        &[ENTER, Key::char(' '), Key::char(' '), Key::char('y')],
    );
}

#[test]
fn error_notice() {
    screens("error", &Dataset::default(), &command("volumz"));
}

#[test]
fn read_only_header_and_refusal() {
    screens("read_only", &Dataset::read_only(), &[]);
    screens("read_only_refusal", &Dataset::read_only(), &chars("mi"));
}

#[test]
fn filter_bar() {
    screens(
        "filter",
        &Dataset::default(),
        &keys(&[&[ENTER, Key::char('/')], &chars("db")]),
    );
}

#[test]
fn marks_and_selection_in_colour_and_without() {
    styled("volumes", &Dataset::default(), &[ENTER, Key::char(' ')]);
}

#[test]
fn tiny_terminals_do_not_panic() {
    let data = Dataset::default();
    let theme = Theme::load(None, false).unwrap();
    for (width, height) in [(1, 1), (20, 5), (40, 10)] {
        for path in [
            vec![],
            chars("?"),
            command("snapshots"),
            keys(&[&chars("mjjj"), &[Key::char('i')]]),
            keys(&[&command("snapshots"), &[Key::ctrl('a'), Key::char('x')]]),
            chars("vI"),
        ] {
            let app = app_at(&data, width, height, &path);
            terminal(&app, width, height, &theme);
        }
    }
    let app = app_at(&data, 80, 24, &[Key::plain(KeyCode::Enter)]);
    terminal(&app, 80, 24, &theme);
}

#[test]
fn backend_switcher() {
    screens("switcher", &Dataset::default(), &chars("b"));
}

/// Keys from the hosts screen to the wizard for the marked volumes (the first `marks`).
fn wizard_path(marks: usize, then: &[Key]) -> Vec<Key> {
    let marks = vec![Key::char(' '); marks];
    keys(&[&[ENTER], &marks, &[Key::char('M')], then])
}

#[test]
fn migration_wizard_steps() {
    let data = Dataset::default();
    screens("wizard_target", &data, &wizard_path(1, &[Key::char('j')]));
    screens(
        "wizard_host",
        &data,
        &wizard_path(1, &[Key::char('j'), ENTER]),
    );
    let review = wizard_path(1, &[Key::char('j'), ENTER, ENTER]);
    screens("wizard_review", &data, &review);
    screens(
        "wizard_confirm",
        &data,
        &wizard_path(
            2,
            &keys(&[&[Key::char('j'), ENTER, ENTER, ENTER], &chars("migr")]),
        ),
    );
    screens(
        "wizard_summary",
        &data,
        &keys(&[&review, &[ENTER, TAB, ENTER]]),
    );
}

#[test]
fn migration_wizard_refusals_and_failures() {
    let data = Dataset {
        problems: vec![
            crate::migrate::Problem::new(
                "new@lvm#cinder-volumes",
                "the target host is not up (state 'down')",
            ),
            crate::migrate::Problem::new(
                "_snapshot-aaaaaaaa-0000-4000-8000-000000000002",
                "a volume or snapshot of this name is already managed on the target",
            ),
        ],
        ..Dataset::default()
    };
    let review = wizard_path(1, &[Key::char('j'), ENTER, ENTER]);
    screens("wizard_review_refused", &data, &review);

    let mut data = Dataset {
        stall_at: Some(3),
        ..Dataset::default()
    };
    screens(
        "wizard_progress",
        &data,
        &keys(&[&review, &[ENTER, TAB, ENTER]]),
    );
    data.stall_at = None;
    data.fail_at = Some(3);
    screens(
        "wizard_unfinished",
        &data,
        &keys(&[&review, &[ENTER, TAB, ENTER]]),
    );
    screens(
        "wizard_read_only",
        &Dataset::read_only(),
        &wizard_path(1, &[]),
    );
}

/// From the hosts screen to the back-end volumes, both importable ones marked.
fn volumes_marked(then: &[Key]) -> Vec<Key> {
    keys(&[&chars("vjjj"), &[Key::char(' '), Key::char(' ')], then])
}

#[test]
fn manageable_volumes_screen() {
    let data = Dataset::default();
    screens("manageable_volumes", &data, &chars("v"));
    styled("manageable_volumes", &data, &chars("v"));
    screens(
        "manageable_volume_details",
        &data,
        &keys(&[&chars("vjjj"), &[ENTER]]),
    );
}

#[test]
fn volume_import_dialogs() {
    let data = Dataset::default();
    screens(
        "volume_import_form",
        &data,
        &volumes_marked(&[Key::char('i')]),
    );
    let confirm = volumes_marked(&[Key::char('i'), ENTER, ENTER]);
    screens("volume_import_confirm", &data, &confirm);
    styled("volume_import_confirm", &data, &confirm);
    screens(
        "volume_import_results",
        &data,
        &keys(&[&confirm, &[TAB, ENTER]]),
    );
    screens(
        "volume_import_read_only",
        &Dataset::read_only(),
        &chars("vjjji"),
    );
    let unanswered = Dataset {
        manage_error: Some(crate::backend::Error::NoAnswer(
            "POST /manageable_volumes: timed out after 60 s".into(),
        )),
        ..Dataset::default()
    };
    screens(
        "volume_import_unanswered",
        &unanswered,
        &keys(&[&confirm, &[TAB, ENTER]]),
    );
}

#[test]
fn snapshot_of_an_unmanaged_volume_points_to_the_volume_import() {
    screens(
        "manageable_unmanaged_origin",
        &Dataset::default(),
        &keys(&[&chars("mjjjjj"), &[ENTER]]),
    );
}

#[test]
fn failed_back_end_listing_and_import_by_reference() {
    let data = Dataset::backend_listing_fails();
    screens("backend_listing_failed", &data, &chars("m"));
    let form = keys(&[
        &chars("mIlost-snap"),
        &[TAB, TAB, TAB, TAB, Key::plain(KeyCode::Right)],
    ]);
    screens("import_by_reference_form", &data, &form);
    screens(
        "import_by_reference_confirm",
        &data,
        &keys(&[&form, &[ENTER]]),
    );
}

/// A user without the admin role: the refused host listing says where the console
/// still works.
#[test]
fn hosts_refused_by_policy() {
    screens("hosts_denied", &Dataset::member(), &[]);
}

/// Names and other text from the back end that hold control characters (an OSC title,
/// a clear screen, a colour, C1 CSI) are drawn without them: no cell of the screen
/// holds one, in lists, details and the import form.
#[test]
fn control_characters_from_the_back_end_never_reach_the_screen() {
    let data = Dataset::hostile_names();
    let theme = Theme::load(None, false).unwrap();
    let views = [
        keys(&[&command("snapshots"), &chars("d")]),
        vec![ENTER, Key::char('d')],
        keys(&[&chars("m/backup"), &[ENTER, ENTER]]),
        keys(&[&chars("m/backup"), &[ENTER, Key::char(' '), Key::char('i')]]),
    ];
    for view in &views {
        for (width, height) in SIZES {
            let app = app_at(&data, width, height, view);
            let terminal = terminal(&app, width, height, &theme);
            let buffer = terminal.backend().buffer();
            for (index, cell) in buffer.content().iter().enumerate() {
                let (x, y) = buffer.pos_of(index);
                assert!(
                    !cell.symbol().contains(char::is_control),
                    "control character {:?} at ({x}, {y}) of\n{}",
                    cell.symbol(),
                    terminal.backend()
                );
            }
            let text = terminal.backend().to_string();
            assert!(text.contains("pwned"), "the name is shown:\n{text}");
        }
    }
    screens("hostile_snapshots", &data, &views[0]);
    screens("hostile_volume", &data, &views[1]);
    screens("hostile_import_form", &data, &views[3]);
}

/// The delete dialog says plainly that a delete destroys data and an export does not.
#[test]
fn delete_confirm_says_it_destroys_data() {
    let path = keys(&[&command("snapshots"), &chars(" X")]);
    screens("delete_confirm", &Dataset::default(), &path);
}

#[test]
fn create_volume_form_and_confirmation() {
    let form = keys(&[&command("snapshots"), &chars("c")]);
    screens("create_volume_form", &Dataset::default(), &form);
    let confirm = keys(&[&form, &[TAB, TAB], &chars("3"), &[ENTER]]);
    screens(
        "create_volume_confirm",
        &Dataset::with_driver(Driver::Rbd),
        &confirm,
    );
}

/// The retirement's review: what stands in the way, why the back-end snapshots are
/// imported first, the steps, and the volume's name to type.
#[test]
fn retire_review() {
    let path = keys(&[&[ENTER, Key::char('R')], &chars("db-pri")]);
    screens("retire_review", &Dataset::default(), &path);
}
