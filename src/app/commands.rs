//! The `:` command line: one table of commands that parses them and lists them.

use super::listing::{push, reload};
use super::table::Table;
use super::update::Effects;
use super::{App, Modal, Pane, Rows, Scope, View, migrate, switcher};

/// One `:` command: the names it answers to (the first is the one shown), the
/// argument it takes, what it is for, and what it does.
pub struct Command {
    pub names: &'static [&'static str],
    pub argument: Option<&'static str>,
    pub help: &'static str,
    run: fn(&mut App, Option<&str>) -> Effects,
}

impl Command {
    /// `:name [ARGUMENT]`, as the help and error messages show it.
    pub fn usage(&self) -> String {
        match self.argument {
            Some(argument) => format!(":{} [{argument}]", self.names[0]),
            None => format!(":{}", self.names[0]),
        }
    }
}

/// Every command of the command line, in the order help lists them.
pub const COMMANDS: &[Command] = &[
    Command {
        names: &["hosts", "host"],
        argument: None,
        help: "the hosts (volume services)",
        run: |app, _| {
            app.views.truncate(1);
            reload(app, 0)
        },
    },
    Command {
        names: &["volumes", "volume", "vol"],
        argument: Some("HOST"),
        help: "managed volumes, of one host or all",
        run: |app, host| {
            let scope = Scope {
                host: host.map(str::to_string),
                volume: None,
            };
            push(app, Rows::Volumes(Table::default()), scope)
        },
    },
    Command {
        names: &["snapshots", "snapshot", "snap"],
        argument: Some("VOLUME-ID"),
        help: "managed snapshots, of one volume or all",
        run: |app, volume| {
            let volume = volume.map(|id| (id.to_string(), app.volume_label(id)));
            let scope = Scope { host: None, volume };
            push(app, Rows::Snapshots(Table::default()), scope)
        },
    },
    Command {
        names: &["manageable", "man"],
        argument: Some("HOST"),
        help: "a host's back-end snapshots, with Cinder's verdict",
        run: |app, host| backend_list_command(app, BackendList::Snapshots, host),
    },
    Command {
        names: &["manageable-volumes", "manvol"],
        argument: Some("HOST"),
        help: "a host's back-end volumes, with Cinder's verdict",
        run: |app, host| backend_list_command(app, BackendList::Volumes, host),
    },
    Command {
        names: &["backend", "backends", "be"],
        argument: Some("NAME"),
        help: "switch to another back end",
        run: switcher::open,
    },
    Command {
        names: &["migrate"],
        argument: Some("TARGET"),
        help: "move the marked volumes with their snapshots",
        run: migrate::start,
    },
    Command {
        names: &["help"],
        argument: None,
        help: "the keys and commands",
        run: |app, _| {
            app.modal = Some(Modal::Help { scroll: 0 });
            Vec::new()
        },
    },
    Command {
        names: &["q", "q!", "quit", "exit"],
        argument: None,
        help: "leave the console",
        run: |app, _| {
            app.quit = true;
            Vec::new()
        },
    },
];

fn find(name: &str) -> Option<&'static Command> {
    COMMANDS
        .iter()
        .find(|command| command.names.contains(&name))
}

/// The commands, as one line for messages.
fn summary() -> String {
    COMMANDS
        .iter()
        .map(Command::usage)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs a command line.
pub(super) fn command(app: &mut App, line: &str) -> Effects {
    let mut words = line.split_whitespace();
    let (name, argument) = (words.next().unwrap_or(""), words.next());
    if name.is_empty() {
        return Vec::new();
    }
    match find(name) {
        Some(command) => (command.run)(app, argument),
        None => {
            app.notice(
                "Unknown command",
                format!("unknown command ':{name}' (commands: {})", summary()),
                true,
            );
            Vec::new()
        }
    }
}

/// Completes the command name being typed when exactly one command's names start
/// with it; `None` when there is nothing (or too much) to complete.
pub(super) fn complete(line: &str) -> Option<String> {
    if line.contains(char::is_whitespace) || line.is_empty() {
        return None;
    }
    let mut matches = COMMANDS
        .iter()
        .filter(|command| command.names.iter().any(|name| name.starts_with(line)));
    let only = matches.next()?;
    if matches.next().is_some() {
        return None;
    }
    let name = only
        .names
        .iter()
        .find(|name| name.starts_with(line))
        .unwrap_or(&only.names[0]);
    Some(format!("{name} "))
}

/// The host an action without an explicit host is about.
pub(super) fn guess_host(app: &App) -> Option<String> {
    let view = app.view();
    let selected = match &view.rows {
        Rows::Hosts(t) => t.selected().map(|row| row.host.host.clone()),
        Rows::Volumes(t) => t.selected().and_then(|row| row.volume.host.clone()),
        _ => None,
    };
    selected
        .or_else(|| view.scope.host.clone())
        .or_else(|| (app.hosts.len() == 1).then(|| app.hosts[0].host.clone()))
}

/// A host's back-end listing: what Cinder could import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BackendList {
    Snapshots,
    Volumes,
}

impl BackendList {
    fn command(self) -> &'static str {
        match self {
            BackendList::Snapshots => "manageable",
            BackendList::Volumes => "manageable-volumes",
        }
    }

    fn shows(self, view: &View, host: &str) -> bool {
        let kind = match view.rows {
            Rows::Manageable(_) => BackendList::Snapshots,
            Rows::ManageableVolumes(_) => BackendList::Volumes,
            _ => return false,
        };
        kind == self && view.scope.host.as_deref() == Some(host)
    }
}

pub(super) fn backend_list_command(
    app: &mut App,
    list: BackendList,
    argument: Option<&str>,
) -> Effects {
    match argument.map(str::to_string).or_else(|| guess_host(app)) {
        Some(host) => open_backend_list(app, list, host),
        None => {
            app.notice(
                "Which host?",
                format!("several hosts are known: type :{} HOST", list.command()),
                true,
            );
            Vec::new()
        }
    }
}

/// Opens a host's back-end snapshots or volumes. Switching between the two listings of
/// one host goes back to the screen underneath when it is the other one, so toggling
/// never piles up screens (and shows the other listing refreshed after an import).
pub(super) fn open_backend_list(app: &mut App, list: BackendList, host: String) -> Effects {
    if list.shows(app.view(), &host) {
        return Vec::new();
    }
    let below = app.views.len().checked_sub(2);
    let other = match list {
        BackendList::Snapshots => BackendList::Volumes,
        BackendList::Volumes => BackendList::Snapshots,
    };
    if let Some(below) = below
        && list.shows(&app.views[below], &host)
        && other.shows(app.view(), &host)
    {
        app.views.pop();
        app.focus = Pane::Table;
        app.details_scroll = 0;
        return if app.view().stale {
            reload(app, below)
        } else {
            Vec::new()
        };
    }
    let rows = match list {
        BackendList::Snapshots => Rows::Manageable(Table::default()),
        BackendList::Volumes => Rows::ManageableVolumes(Table::default()),
    };
    push(
        app,
        rows,
        Scope {
            host: Some(host),
            volume: None,
        },
    )
}
