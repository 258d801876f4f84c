//! The copy key: what it copies from a list and what the footer then says. The text
//! leaves as an effect; the terminal layer puts it on the clipboard.

use super::msg::Effect;
use super::update::Effects;
use super::{App, Rows, StatusLine};

/// Copies the ids (references on back-end listings, names on Hosts) of the marked rows,
/// or of the selected row when none is marked, one a line.
pub(super) fn copy(app: &mut App) -> Effects {
    let rows = &app.view().rows;
    let copied = rows.nav().chosen_copied();
    let what = match rows {
        Rows::Hosts(_) => "host name",
        Rows::Volumes(_) | Rows::Snapshots(_) => "id",
        Rows::Manageable(_) | Rows::ManageableVolumes(_) => "reference",
    };
    let status = match copied.len() {
        0 => "nothing to copy".to_string(),
        1 => format!("copied 1 {what} to the clipboard"),
        n => format!("copied {n} {what}s to the clipboard"),
    };
    app.status = Some(StatusLine {
        text: status,
        error: false,
    });
    if copied.is_empty() {
        return Vec::new();
    }
    vec![Effect::Copy {
        text: copied.join("\n"),
    }]
}

#[cfg(test)]
mod tests {
    use super::super::keymap::Key;
    use super::super::msg::Msg;
    use super::super::testdata::{DB, Dataset, ENTER, WEB, chars};
    use super::super::update;
    use super::*;

    fn copied(effects: &[Effect]) -> &str {
        match effects {
            [Effect::Copy { text }] => text,
            other => panic!("one copy expected: {other:?}"),
        }
    }

    fn status(app: &App) -> Option<&str> {
        app.status.as_ref().map(|status| status.text.as_str())
    }

    /// A console after `keys`, and what `y` then asks for.
    fn y_after(keys: &[Key]) -> (App, Effects) {
        let data = Dataset::default();
        let mut app = data.app();
        data.press(&mut app, keys);
        let effects = update(&mut app, Msg::Key(Key::char('y')));
        (app, effects)
    }

    #[test]
    fn y_without_marks_copies_the_selected_rows_id() {
        let (mut app, effects) = y_after(&[ENTER]);
        let Rows::Volumes(table) = &app.view().rows else {
            panic!("on the volumes screen")
        };
        let selected = table.selected().unwrap().volume.id.clone();
        assert_eq!(copied(&effects), selected);
        assert_eq!(status(&app), Some("copied 1 id to the clipboard"));
        update(&mut app, Msg::Key(Key::char('j')));
        assert_eq!(app.status, None, "the next key clears the report");
    }

    #[test]
    fn y_with_marks_copies_every_marked_id_one_a_line() {
        let (app, effects) = y_after(&[ENTER, Key::char(' '), Key::char(' ')]);
        assert_eq!(copied(&effects), format!("{DB}\n{WEB}"), "in list order");
        assert_eq!(status(&app), Some("copied 2 ids to the clipboard"));
    }

    #[test]
    fn y_on_a_back_end_listing_copies_references() {
        let (app, effects) = y_after(&[chars("m/backup"), vec![ENTER]].concat());
        assert_eq!(copied(&effects), "backup-2024-06-01");
        assert_eq!(status(&app), Some("copied 1 reference to the clipboard"));
    }

    #[test]
    fn y_on_an_empty_list_copies_nothing_and_says_so() {
        let (app, effects) = y_after(&[chars("/no-such-host"), vec![ENTER]].concat());
        assert!(effects.is_empty(), "{effects:?}");
        assert_eq!(status(&app), Some("nothing to copy"));
    }
}
