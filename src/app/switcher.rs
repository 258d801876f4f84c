//! The back-end switcher: the config file's named back ends and the open one. Choosing
//! one opens it on the worker; once it answers, every screen reloads on it. A read-only
//! session stays read-only: the worker opens every back end the way the session is.

use crate::backend::BackendInfo;

use super::keymap::{Action, Context, Key};
use super::keys::move_choice;
use super::msg::{Connection, Effect, RequestId};
use super::update::Effects;
use super::{App, Modal, NamedBackend};

/// The list of back ends, and the one being opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Switcher {
    pub choices: Vec<NamedBackend>,
    /// The open back end's row.
    pub current: usize,
    pub selected: usize,
    /// The connection being opened: its request and name.
    pub connecting: Option<(RequestId, String)>,
}

impl Switcher {
    /// The named back ends with the open one first when the config file does not name it.
    fn new(app: &App) -> Self {
        let mut choices = app.session.backends.clone();
        let named = app
            .session
            .current
            .as_ref()
            .and_then(|name| choices.iter().position(|c| &c.name == name));
        let current = match named {
            Some(index) => index,
            None => {
                let name = app
                    .session
                    .current
                    .clone()
                    .unwrap_or_else(|| "(this session)".to_string());
                choices.insert(
                    0,
                    NamedBackend {
                        name,
                        about: app.info.label.clone(),
                    },
                );
                0
            }
        };
        Self {
            choices,
            current,
            selected: current,
            connecting: None,
        }
    }
}

/// Opens the switcher; with a name, starts opening that back end at once.
pub(super) fn open(app: &mut App, name: Option<&str>) -> Effects {
    let switcher = Switcher::new(app);
    match name {
        None => {
            app.modal = Some(Modal::Switcher(switcher));
            Vec::new()
        }
        Some(name) => connect(app, switcher, name.to_string()),
    }
}

fn connect(app: &mut App, mut switcher: Switcher, name: String) -> Effects {
    if switcher.choices[switcher.current].name == name {
        app.notice(
            "Back end",
            format!("'{name}' is the back end already open"),
            false,
        );
        return Vec::new();
    }
    let request = app.request(1);
    if let Some(index) = switcher.choices.iter().position(|c| c.name == name) {
        switcher.selected = index;
    }
    switcher.connecting = Some((request, name.clone()));
    app.modal = Some(Modal::Switcher(switcher));
    vec![Effect::Connect {
        request,
        name,
        hosts: false,
    }]
}

/// Keys of the switcher: move, open, close; while opening, esc gives up waiting.
pub(super) fn key(app: &mut App, mut switcher: Switcher, key: Key) -> Effects {
    let action = app.keymap.action(Context::Choice, key);
    if switcher.connecting.is_some() {
        if action != Some(Action::Cancel) {
            app.modal = Some(Modal::Switcher(switcher));
        }
        return Vec::new();
    }
    let quit = app.keymap.action(Context::Hosts, key) == Some(Action::Quit);
    match action {
        Some(Action::Cancel) => Vec::new(),
        _ if quit => Vec::new(),
        Some(Action::Confirm) => {
            let name = switcher.choices[switcher.selected].name.clone();
            if switcher.selected == switcher.current {
                return Vec::new();
            }
            connect(app, switcher, name)
        }
        _ => {
            move_choice(&mut switcher.selected, switcher.choices.len(), action);
            app.modal = Some(Modal::Switcher(switcher));
            Vec::new()
        }
    }
}

/// A connection the switcher waits for arrived: switch to it, or show why not. `None`
/// when the switcher does not wait for this request.
pub(super) fn connected(
    app: &mut App,
    request: RequestId,
    result: &Result<Connection, String>,
) -> Option<Effects> {
    let Some(Modal::Switcher(Switcher {
        connecting: Some((waiting, name)),
        ..
    })) = &app.modal
    else {
        return None;
    };
    if *waiting != request {
        return None;
    }
    let name = name.clone();
    app.modal = None;
    Some(match result {
        Ok(connection) => {
            let mut effects = vec![Effect::Switch {
                connection: request,
            }];
            effects.extend(app.reset(name, connection.info.clone()));
            effects
        }
        Err(error) => {
            app.notice(
                &format!("Cannot open back end '{name}'"),
                error.clone(),
                true,
            );
            Vec::new()
        }
    })
}

impl App {
    /// Forgets everything of the old back end and opens the hosts screen of the new one.
    fn reset(&mut self, name: String, info: BackendInfo) -> Effects {
        self.info = info;
        self.session.current = Some(name);
        self.views.clear();
        self.modal = None;
        self.prompt = None;
        self.details = false;
        self.hosts.clear();
        self.host_volumes.clear();
        self.host_snapshots.clear();
        self.volume_names.clear();
        self.warn_of_backend();
        self.start()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::msg::{Load, Msg};
    use crate::app::testdata::{Dataset, ENTER, ESC, chars};
    use crate::app::{Rows, update};

    fn switcher(app: &App) -> &Switcher {
        match &app.modal {
            Some(Modal::Switcher(switcher)) => switcher,
            other => panic!("expected the switcher, got {other:?}"),
        }
    }

    #[test]
    fn b_lists_the_named_back_ends_with_the_open_one_selected() {
        let data = Dataset::default();
        let mut app = data.app();
        data.press(&mut app, &chars("b"));
        let s = switcher(&app);
        let names: Vec<&str> = s.choices.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["lab", "new", "old"]);
        assert_eq!((s.current, s.selected), (2, 2));
        data.press(&mut app, &[ENTER]);
        assert!(app.modal.is_none(), "enter on the open one just closes");

        let mut data = Dataset::default();
        data.session.current = None;
        let mut app = data.app();
        data.press(&mut app, &chars("b"));
        let s = switcher(&app);
        assert_eq!(s.choices[0].name, "(this session)");
        assert_eq!(s.choices[0].about, "local lvm vg=cinder-volumes");
        assert_eq!(s.current, 0);
    }

    #[test]
    fn choosing_a_back_end_switches_and_reloads_every_screen() {
        let data = Dataset::default();
        let mut app = data.app();
        data.press(&mut app, &[ENTER]);
        assert_eq!(app.views.len(), 2);
        data.press(&mut app, &chars("bk"));
        let effects = update(&mut app, Msg::Key(ENTER));
        let [
            Effect::Connect {
                request,
                name,
                hosts: false,
            },
        ] = effects.as_slice()
        else {
            panic!("{effects:?}")
        };
        assert_eq!(name, "new");
        assert_eq!(
            switcher(&app).connecting,
            Some((*request, "new".to_string()))
        );
        assert!(app.busy(), "the header shows the work in flight");
        let reply = data.replies(&effects[0]);
        let effects = update(&mut app, reply[0].clone());
        assert_eq!(
            effects[0],
            Effect::Switch {
                connection: *request
            }
        );
        assert!(
            matches!(
                &effects[1],
                Effect::Load {
                    load: Load::Hosts,
                    ..
                }
            ),
            "{effects:?}"
        );
        assert_eq!(app.session.current.as_deref(), Some("new"));
        assert_eq!(app.info.label, "local lvm vg=cinder-volumes host=new@lvm");
        assert_eq!(app.views.len(), 1, "back to the hosts screen");
        assert!(matches!(app.view().rows, Rows::Hosts(_)));
        assert!(app.host_volumes.is_empty(), "nothing of the old back end");
        assert!(app.modal.is_none());
    }

    #[test]
    fn an_unreachable_back_end_is_a_dismissible_error() {
        let data = Dataset::default();
        let mut app = data.app();
        data.press(&mut app, &[ENTER]);
        data.press(&mut app, &chars(":backend lab"));
        data.press(&mut app, &[ENTER]);
        let Some(Modal::Notice(notice)) = &app.modal else {
            panic!("{:?}", app.modal)
        };
        assert_eq!(notice.title, "Cannot open back end 'lab'");
        assert!(notice.text.contains("connection refused"));
        assert!(notice.error);
        data.press(&mut app, &[ESC]);
        assert!(app.modal.is_none());
        assert_eq!(app.session.current.as_deref(), Some("old"), "still on old");
        assert_eq!(app.views.len(), 2, "the screens stay");
    }

    #[test]
    fn a_reply_nobody_waits_for_is_released() {
        let data = Dataset::default();
        let mut app = data.app();
        data.press(&mut app, &chars(":backend new"));
        let effects = update(&mut app, Msg::Key(ENTER));
        assert!(
            update(&mut app, Msg::Key(crate::app::testdata::TAB)).is_empty(),
            "keys wait while opening"
        );
        assert!(switcher(&app).connecting.is_some());
        update(&mut app, Msg::Key(ESC));
        assert!(app.modal.is_none(), "esc stops waiting");
        let [Effect::Connect { request, .. }] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        let reply = data.replies(&effects[0]);
        let effects = update(&mut app, reply[0].clone());
        assert_eq!(
            effects,
            [Effect::Release {
                connection: *request
            }]
        );
        assert_eq!(app.session.current.as_deref(), Some("old"));
        assert!(!app.busy());
    }
}
