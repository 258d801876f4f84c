//! The back-end switcher: the config file's named back ends and the open one. Choosing
//! one opens it on the worker; once it answers, every screen reloads on it. A read-only
//! session stays read-only: the worker opens every back end the way the session is.

use crate::backend::BackendInfo;

use super::keymap::{Key, KeyCode};
use super::msg::{Connection, Effect, RequestId};
use super::update::{Effects, move_choice};
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
    if switcher.connecting.is_some() {
        if key.code != KeyCode::Esc {
            app.modal = Some(Modal::Switcher(switcher));
        }
        return Vec::new();
    }
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => Vec::new(),
        KeyCode::Enter => {
            let name = switcher.choices[switcher.selected].name.clone();
            if switcher.selected == switcher.current {
                return Vec::new();
            }
            connect(app, switcher, name)
        }
        _ => {
            move_choice(&mut switcher.selected, switcher.choices.len(), key);
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
        self.start()
    }
}
