//! The migration wizard: the volumes chosen on a Volumes screen move with their
//! snapshots to another named back end. Target, target host, plan with preflight,
//! confirmation, progress per step, then the id map. The engine does the work on the
//! worker; this is only the state the operator walks through, so every step is testable
//! without a terminal or a back end.

use std::path::PathBuf;

use crate::backend::{Host, Volume, find_host};
use crate::migrate::{Event, Plan, Side};

use super::gate::Gate;
use super::jobs::read_only_refusal;
use super::keymap::Action;
use super::msg::{Connection, Effect, RequestId};
use super::update::Effects;
use super::{App, Modal, NamedBackend, Rows};

/// The word that confirms a migration of more than one volume.
pub const MIGRATE_WORD: &str = "migrate";

pub use crate::worker::protocol::{Ran, Review, RunEnd};

/// Where one step of the run is.
#[derive(Debug, Clone, PartialEq)]
pub enum StepState {
    Pending,
    Running,
    /// Done, with the id it created.
    Done(Option<String>),
    Failed(String),
}

/// One step of the plan, as the progress list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub step: usize,
    /// The volume whose chain the step belongs to.
    pub volume: String,
    /// The back end the step changes.
    pub on: String,
    pub description: String,
    pub state: StepState,
}

/// A run under way or finished.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub request: RequestId,
    pub plan_file: PathBuf,
    pub journal: PathBuf,
    pub rows: Vec<StepRow>,
    /// The operator asked to stop after the steps in flight.
    pub stopping: bool,
}

impl Run {
    fn new(request: RequestId, plan: &Plan, plan_file: PathBuf, journal: PathBuf) -> Self {
        let rows = plan
            .volumes
            .iter()
            .flat_map(|volume| {
                let label = volume
                    .volume
                    .name
                    .clone()
                    .filter(|name| !name.is_empty())
                    .unwrap_or_else(|| volume.volume.id.clone());
                volume.steps.iter().map(move |step| StepRow {
                    step: step.step,
                    volume: label.clone(),
                    on: match step.on {
                        Side::Source => plan.from.clone(),
                        Side::Target => plan.to.clone(),
                    },
                    description: step.action.describe(),
                    state: StepState::Pending,
                })
            })
            .collect();
        Self {
            request,
            plan_file,
            journal,
            rows,
            stopping: false,
        }
    }

    /// How many steps are done.
    pub fn done(&self) -> usize {
        self.rows
            .iter()
            .filter(|row| matches!(row.state, StepState::Done(_)))
            .count()
    }

    fn event(&mut self, event: Event) {
        let (step, state) = match event {
            Event::Started { step, .. } => (step, StepState::Running),
            Event::Finished { step, new_id, .. } => (step, StepState::Done(new_id)),
            Event::Failed { step, error, .. } => (step, StepState::Failed(error)),
            Event::Reconciled { .. } => return,
        };
        if let Some(row) = self.rows.iter_mut().find(|row| row.step == step) {
            row.state = state;
        }
    }
}

/// The target back end, opened on the worker as connection `connection`.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub connection: RequestId,
    pub hosts: Vec<Host>,
}

/// Where the operator is in the wizard.
#[derive(Debug, Clone)]
pub enum Stage {
    ChooseTarget {
        selected: usize,
    },
    Connecting {
        request: RequestId,
        name: String,
    },
    ChooseHost {
        selected: usize,
    },
    Planning {
        request: RequestId,
        host: String,
    },
    Review(Review),
    Confirm {
        plan: Box<Plan>,
        plan_file: PathBuf,
        journal: PathBuf,
        gate: Gate,
    },
    Running(Run),
    Summary {
        run: Run,
        end: RunEnd,
    },
}

impl Stage {
    /// The step number (of six) and its name, for the title.
    pub fn number(&self) -> (usize, &'static str) {
        match self {
            Stage::ChooseTarget { .. } | Stage::Connecting { .. } => (1, "target back end"),
            Stage::ChooseHost { .. } => (2, "target host"),
            Stage::Planning { .. } | Stage::Review(_) => (3, "plan and preflight"),
            Stage::Confirm { .. } => (4, "confirm"),
            Stage::Running(_) => (5, "apply"),
            Stage::Summary { .. } => (6, "summary"),
        }
    }
}

/// The wizard's state: what moves, from where, to where, and the current step.
#[derive(Debug, Clone)]
pub struct Wizard {
    /// The open back end's name: the plan's source.
    pub from: String,
    /// The volumes to move: id and label.
    pub volumes: Vec<(String, String)>,
    /// The storage all those volumes live on, when the source's hosts say so: the
    /// target host that sees the same storage is the one offered first.
    pub storage: Option<String>,
    /// Named back ends other than the source.
    pub targets: Vec<NamedBackend>,
    pub target: Option<Target>,
    pub stage: Stage,
    /// How far the long pages (plan, progress, summary) are scrolled.
    pub scroll: u16,
    /// Why the last key did not go on, or what went wrong.
    pub hint: Option<String>,
    /// The commands that continue or undo a run: `snapport [--config FILE]`.
    pub command: String,
}

impl Wizard {
    /// True when the confirmation needs [`MIGRATE_WORD`] typed.
    pub fn needs_typing(&self) -> bool {
        self.volumes.len() > 1
    }

    fn go(&mut self, stage: Stage) {
        self.stage = stage;
        self.scroll = 0;
    }

    fn release_target(&mut self) -> Effects {
        self.target
            .take()
            .map(|target| Effect::Release {
                connection: target.connection,
            })
            .into_iter()
            .collect()
    }
}

/// The storage every one of `volumes` lives on, as their hosts among `hosts` report it;
/// none when one is not known or they differ.
fn shared_storage<'a>(hosts: &[Host], volumes: impl Iterator<Item = &'a Volume>) -> Option<String> {
    let mut storages =
        volumes.map(|volume| find_host(hosts, volume.host.as_deref()?)?.storage.clone());
    let first = storages.next()??;
    storages
        .all(|storage| storage.as_deref() == Some(&first))
        .then_some(first)
}

/// Opens the wizard for the volumes chosen on the current screen; with a target name,
/// opens that back end at once.
pub(super) fn start(app: &mut App, target: Option<&str>) -> Effects {
    if app.info.read_only {
        return read_only_refusal(app, Action::Migrate);
    }
    let (volumes, storage): (Vec<(String, String)>, Option<String>) = match &app.view().rows {
        Rows::Volumes(table) => {
            let chosen = table.chosen();
            let storage = shared_storage(&app.hosts, chosen.iter().map(|row| &row.volume));
            let volumes = chosen
                .into_iter()
                .map(|row| (row.volume.id.clone(), app.volume_label(&row.volume.id)))
                .collect();
            (volumes, storage)
        }
        _ => {
            app.notice(
                "Which volumes?",
                "mark the volumes to move on a Volumes screen (enter on a host, or :volumes), \
                 then press M or type :migrate",
                false,
            );
            return Vec::new();
        }
    };
    if volumes.is_empty() {
        return Vec::new();
    }
    let Some(from) = app.session.current.clone() else {
        app.notice(
            "This back end has no name",
            "a migration names both back ends so that `snapport migrate resume` can open them \
             again: open the console with --backend NAME (a [backends.NAME] of the config \
             file or a clouds.yaml cloud)",
            true,
        );
        return Vec::new();
    };
    let targets: Vec<NamedBackend> = app
        .session
        .backends
        .iter()
        .filter(|backend| backend.name != from)
        .cloned()
        .collect();
    if targets.is_empty() && target.is_none() {
        app.notice(
            "No other back end",
            format!(
                "the config file names no back end besides '{from}': add a [backends.NAME] \
                 table, or type :migrate CLOUD for a clouds.yaml cloud"
            ),
            true,
        );
        return Vec::new();
    }
    let mut wizard = Box::new(Wizard {
        from,
        volumes,
        storage,
        targets,
        target: None,
        stage: Stage::ChooseTarget { selected: 0 },
        scroll: 0,
        hint: None,
        command: app.session.command.clone(),
    });
    let effects = match target {
        Some(name) => connect(app, &mut wizard, name.to_string()),
        None => Vec::new(),
    };
    app.modal = Some(Modal::Migrate(wizard));
    effects
}

fn connect(app: &mut App, wizard: &mut Wizard, name: String) -> Effects {
    if name == wizard.from {
        wizard.hint = Some(format!("'{name}' is the source: choose another back end"));
        return Vec::new();
    }
    let request = app.request(1);
    wizard.go(Stage::Connecting {
        request,
        name: name.clone(),
    });
    vec![Effect::Connect {
        request,
        name,
        hosts: true,
    }]
}

/// The wizard on screen, mutable.
fn wizard(app: &mut App) -> Option<&mut Wizard> {
    match &mut app.modal {
        Some(Modal::Migrate(wizard)) => Some(wizard),
        _ => None,
    }
}

/// The target the wizard waits for opened (or did not). `None` when it does not wait
/// for this request.
pub(super) fn connected(
    app: &mut App,
    request: RequestId,
    result: Result<Connection, String>,
) -> Option<Effects> {
    let wizard = wizard(app)?;
    let Stage::Connecting {
        request: waiting,
        name,
    } = &wizard.stage
    else {
        return None;
    };
    if *waiting != request {
        return None;
    }
    let name = name.clone();
    match result {
        Ok(connection) => {
            if connection.hosts.is_empty() {
                wizard.hint = Some(format!("'{name}' lists no hosts to manage the volumes"));
            }
            let selected = connection
                .hosts
                .iter()
                .position(|host| host.storage.is_some() && host.storage == wizard.storage)
                .unwrap_or_default();
            wizard.target = Some(Target {
                name,
                connection: request,
                hosts: connection.hosts,
            });
            wizard.go(Stage::ChooseHost { selected });
        }
        Err(error) => {
            let selected = wizard.targets.iter().position(|t| t.name == name);
            wizard.go(Stage::ChooseTarget {
                selected: selected.unwrap_or_default(),
            });
            wizard.hint = Some(format!("cannot open '{name}': {error}"));
        }
    }
    Some(Vec::new())
}

/// The plan the wizard waits for arrived.
pub(super) fn planned(app: &mut App, request: RequestId, review: Review) {
    if let Some(wizard) = wizard(app)
        && matches!(wizard.stage, Stage::Planning { request: waiting, .. } if waiting == request)
    {
        wizard.go(Stage::Review(review));
    }
}

/// A step of the running migration moved on.
pub(super) fn progress(app: &mut App, request: RequestId, event: Event) {
    if let Some(wizard) = wizard(app)
        && let Stage::Running(run) = &mut wizard.stage
        && run.request == request
    {
        run.event(event);
    }
}

/// The running migration ended.
pub(super) fn migrated(app: &mut App, request: RequestId, end: RunEnd) {
    if let Some(wizard) = wizard(app)
        && let Stage::Running(run) = &wizard.stage
        && run.request == request
    {
        let Stage::Running(run) =
            std::mem::replace(&mut wizard.stage, Stage::ChooseTarget { selected: 0 })
        else {
            unreachable!("matched above")
        };
        wizard.go(Stage::Summary { run, end });
    }
}

mod keys;
#[cfg(test)]
mod tests;

pub(super) use keys::key;
