//! The console's state machine, free of any terminal code: the screen stack, the rows,
//! marks, filter, dialogs and work in flight. `update` changes it; `tui` draws it.
//!
//! Its length is the state's types (screens, rows, dialogs, jobs, session), kept in one
//! place so that a reader sees the whole state at once; behaviour lives in the modules
//! beside it.

pub mod commands;
mod copy;
pub mod create_form;
pub mod details;
pub mod form;
pub mod gate;
mod jobs;
pub mod keymap;
mod keys;
mod listing;
pub mod migrate;
pub mod msg;
pub mod plan;
mod refresh;
pub mod rows;
pub mod switcher;
pub mod table;
pub mod update;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use tui_input::Input;

use crate::backend::{BackendInfo, ManageableSnapshot, Volume, backend_of};

use self::create_form::CreateForm;
use self::form::ImportForm;
use self::gate::Gate;
use self::keymap::{Action, Context, Keymap};
use self::migrate::Wizard;
use self::msg::RequestId;
use self::plan::{CreatePlan, ExportPlan, ImportPlan, RetirePlan};
use self::rows::{HostRow, ManageableRow, ManageableVolumeRow, SnapshotRow, VolumeRow};
use self::switcher::Switcher;
use self::table::{Column, Navigate, Row, Table};

pub use self::update::update;

/// The rows of one screen, typed.
pub enum Rows {
    Hosts(Table<HostRow>),
    Volumes(Table<VolumeRow>),
    Snapshots(Table<SnapshotRow>),
    Manageable(Table<ManageableRow>),
    ManageableVolumes(Table<ManageableVolumeRow>),
}

impl Rows {
    /// The table, for what every screen does alike.
    pub fn nav(&self) -> &dyn Navigate {
        match self {
            Rows::Hosts(t) => t,
            Rows::Volumes(t) => t,
            Rows::Snapshots(t) => t,
            Rows::Manageable(t) => t,
            Rows::ManageableVolumes(t) => t,
        }
    }

    /// The table, mutable.
    pub fn nav_mut(&mut self) -> &mut dyn Navigate {
        match self {
            Rows::Hosts(t) => t,
            Rows::Volumes(t) => t,
            Rows::Snapshots(t) => t,
            Rows::Manageable(t) => t,
            Rows::ManageableVolumes(t) => t,
        }
    }

    /// The screen's columns, for the legend in help.
    pub fn columns(&self) -> &'static [Column] {
        match self {
            Rows::Hosts(_) => HostRow::columns(),
            Rows::Volumes(_) => VolumeRow::columns(),
            Rows::Snapshots(_) => SnapshotRow::columns(),
            Rows::Manageable(_) => ManageableRow::columns(),
            Rows::ManageableVolumes(_) => ManageableVolumeRow::columns(),
        }
    }

    /// Which key bindings apply.
    pub fn context(&self) -> Context {
        match self {
            Rows::Hosts(_) => Context::Hosts,
            Rows::Volumes(_) => Context::Volumes,
            Rows::Snapshots(_) => Context::Snapshots,
            Rows::Manageable(_) => Context::Manageable,
            Rows::ManageableVolumes(_) => Context::ManageableVolumes,
        }
    }
}

/// What a screen lists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scope {
    /// Only this host (`host@backend#pool`).
    pub host: Option<String>,
    /// Only snapshots of this volume: id and label.
    pub volume: Option<(String, String)>,
}

/// One screen of the stack.
pub struct View {
    pub rows: Rows,
    pub scope: Scope,
    /// The listing this screen waits for.
    pub request: RequestId,
    pub loading: bool,
    /// Why the last listing failed: the back end's own message.
    pub error: Option<String>,
    /// The last listing was refused by Cinder's policy (403): the screen points to
    /// what a user without the admin role may still list.
    pub denied: bool,
    /// The next page replaces the rows (a refresh keeps old rows until then).
    replace_next: bool,
    /// Data changed underneath (an import or export): reload when shown again.
    stale: bool,
}

impl View {
    /// The title line: what is listed and for what scope.
    pub fn title(&self) -> String {
        match (&self.rows, &self.scope) {
            (Rows::Hosts(_), _) => "Hosts".to_string(),
            (
                Rows::Volumes(_),
                Scope {
                    host: Some(host), ..
                },
            ) => format!("Volumes on {host}"),
            (Rows::Volumes(_), _) => "Volumes (all hosts)".to_string(),
            (
                Rows::Snapshots(_),
                Scope {
                    volume: Some((_, label)),
                    ..
                },
            ) => {
                format!("Snapshots of {label}")
            }
            (Rows::Snapshots(_), _) => "Snapshots (all volumes)".to_string(),
            (Rows::Manageable(_), scope) => format!(
                "Back-end snapshots on {}",
                scope.host.as_deref().unwrap_or("?")
            ),
            (Rows::ManageableVolumes(_), scope) => format!(
                "Back-end volumes on {}",
                scope.host.as_deref().unwrap_or("?")
            ),
        }
    }
}

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Table,
    Details,
}

/// A line being typed at the bottom of the screen.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: Input,
}

/// What the typed line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Filter,
    Command,
}

/// A message for the operator; errors carry the back end's own text.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub title: String,
    pub text: String,
    pub error: bool,
}

/// A line in the footer until the next key: what the last action did (how many ids `y`
/// copied), or a failure that must not cover the dialog on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusLine {
    pub text: String,
    pub error: bool,
}

/// The button a dialog's Enter activates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Button {
    #[default]
    Cancel,
    Proceed,
}

/// A plan waiting for the operator's yes.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Import(ImportPlan),
    /// An export or a delete.
    Export(ExportPlan),
    Create(CreatePlan),
    Retire(RetirePlan),
}

/// The confirmation dialog: it holds exactly what will run.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub plan: Plan,
    /// The buttons; bulk exports and deletes need the count or the word typed, a
    /// retirement the volume's name.
    pub gate: Gate,
    /// The first item shown when the items do not all fit.
    pub scroll: usize,
}

impl Confirm {
    /// A confirmation of `plan`, focus on Cancel, items from the first.
    pub fn new(plan: Plan) -> Self {
        Self {
            plan,
            gate: Gate::default(),
            scroll: 0,
        }
    }
}

/// How one item of a job went.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Running,
    Done(String),
    Failed(String),
}

/// One item of a job, for the progress and result lists.
#[derive(Debug, Clone, PartialEq)]
pub struct JobItem {
    pub label: String,
    pub outcome: Outcome,
}

/// Imports or exports under way or just finished.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub request: RequestId,
    pub title: String,
    pub items: Vec<JobItem>,
}

impl Job {
    /// True when every item has an outcome.
    pub fn finished(&self) -> bool {
        self.items
            .iter()
            .all(|item| item.outcome != Outcome::Running)
    }

    /// How many items failed.
    pub fn failures(&self) -> usize {
        self.items
            .iter()
            .filter(|item| matches!(item.outcome, Outcome::Failed(_)))
            .count()
    }
}

/// What covers the screen and takes the keys.
#[derive(Debug, Clone)]
pub enum Modal {
    Help { scroll: u16 },
    Notice(Notice),
    ImportForm(Box<ImportForm>),
    CreateForm(Box<CreateForm>),
    Confirm(Box<Confirm>),
    Job(Job),
    Switcher(Switcher),
    Migrate(Box<Wizard>),
}

/// A back end named in the config file.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedBackend {
    pub name: String,
    /// What it is, e.g. `local lvm vg=cinder-volumes` or `cloud prod`.
    pub about: String,
}

/// The back ends the console can reach by name, and what it tells the operator to type
/// on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The open back end's name; a migration needs it so that `migrate resume` finds
    /// the source again.
    pub current: Option<String>,
    /// The config file's named back ends.
    pub backends: Vec<NamedBackend>,
    /// Where the wizard writes plans, journals and id maps.
    pub migrations_dir: PathBuf,
    /// `snapport` with the options that reach the same config file.
    pub command: String,
}

impl Default for Session {
    fn default() -> Self {
        Self {
            current: None,
            backends: Vec::new(),
            migrations_dir: PathBuf::from("migrations"),
            command: "snapport".to_string(),
        }
    }
}

/// A listing kept for annotations: per host, its volumes or its back-end snapshots.
#[derive(Debug, Clone)]
pub struct Cached<T> {
    pub request: RequestId,
    pub items: Vec<T>,
    pub loading: bool,
    pub error: Option<String>,
}

impl<T> Cached<T> {
    /// An empty listing waiting for `request`.
    pub fn loading(request: RequestId) -> Self {
        Self {
            request,
            items: Vec::new(),
            loading: true,
            error: None,
        }
    }
}

/// The whole console state.
pub struct App {
    pub info: BackendInfo,
    /// The back ends reachable by name.
    pub session: Session,
    pub keymap: Keymap,
    /// The screen stack; never empty.
    pub views: Vec<View>,
    pub modal: Option<Modal>,
    pub prompt: Option<Prompt>,
    pub details: bool,
    pub focus: Pane,
    pub details_scroll: u16,
    pub spinner: usize,
    pub quit: bool,
    /// Rows that fit in the table, for page up/down.
    pub page: usize,
    /// The terminal's width, for the layout of the details pane.
    pub width: u16,
    /// Known hosts (from the hosts listing).
    pub hosts: Vec<crate::backend::Host>,
    /// Volumes per host (`host@backend`).
    pub host_volumes: HashMap<String, Cached<Volume>>,
    /// Back-end snapshots per host (`host@backend`).
    pub host_snapshots: HashMap<String, Cached<ManageableSnapshot>>,
    /// Every volume name seen, for snapshot rows.
    pub volume_names: HashMap<String, String>,
    /// The survey a retirement waits for.
    pub survey: Option<RequestId>,
    /// The footer's report until the next key.
    pub status: Option<StatusLine>,
    /// How often a volume or snapshot list with rows in flux reloads by itself; `None`
    /// reloads only on the refresh key.
    pub auto_refresh: Option<std::time::Duration>,
    /// Outstanding replies per request.
    pending: BTreeMap<RequestId, usize>,
    next_request: RequestId,
}

impl App {
    /// A console on a back end described by `info`, showing the hosts screen.
    pub fn new(info: BackendInfo, keymap: Keymap) -> Self {
        Self {
            info,
            session: Session::default(),
            keymap,
            views: Vec::new(),
            modal: None,
            prompt: None,
            details: false,
            focus: Pane::Table,
            details_scroll: 0,
            spinner: 0,
            quit: false,
            page: 20,
            width: 80,
            hosts: Vec::new(),
            host_volumes: HashMap::new(),
            host_snapshots: HashMap::new(),
            volume_names: HashMap::new(),
            survey: None,
            status: None,
            auto_refresh: None,
            pending: BTreeMap::new(),
            next_request: 0,
        }
    }

    /// The screen on top of the stack.
    pub fn view(&self) -> &View {
        self.views.last().expect("the screen stack is never empty")
    }

    fn view_mut(&mut self) -> &mut View {
        self.views
            .last_mut()
            .expect("the screen stack is never empty")
    }

    /// True when the details pane sits beside the table rather than below it.
    pub fn details_beside(&self) -> bool {
        self.width >= 120
    }

    /// Rows of the table on screen (the details pane below takes half).
    pub fn table_height(&self) -> usize {
        if self.details && !self.details_beside() {
            (self.page + 2) / 2 - 2
        } else {
            self.page
        }
        .max(1)
    }

    /// How many back-end calls are in flight.
    pub fn in_flight(&self) -> usize {
        self.pending.values().sum()
    }

    /// True while anything is in flight (spinners need ticks).
    pub fn busy(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The host the current screen is about, for the header.
    pub fn current_host(&self) -> Option<&str> {
        let view = self.view();
        view.scope.host.as_deref().or_else(|| match &view.rows {
            Rows::Hosts(t) => t.selected().map(|row| row.host.host.as_str()),
            _ => None,
        })
    }

    fn request(&mut self, replies: usize) -> RequestId {
        self.next_request += 1;
        self.pending.insert(self.next_request, replies);
        self.next_request
    }

    /// Counts a reply; false when nothing waited for it.
    fn settle(&mut self, request: RequestId) {
        if let Some(count) = self.pending.get_mut(&request) {
            *count -= 1;
            if *count == 0 {
                self.pending.remove(&request);
            }
        }
    }

    /// The volumes of a host, as far as known.
    pub fn volumes_of(&self, host: &str) -> Option<&Cached<Volume>> {
        self.host_volumes.get(backend_of(host))
    }

    /// The back-end snapshots of a host, as far as known.
    pub fn backend_snapshots_of(&self, host: &str) -> Option<&Cached<ManageableSnapshot>> {
        self.host_snapshots.get(backend_of(host))
    }

    /// References of a host's back-end snapshots that `keep` selects; `None` while the
    /// listing is unknown.
    pub fn backend_snapshot_refs(
        &self,
        host: &str,
        keep: impl Fn(&ManageableSnapshot) -> bool,
    ) -> Option<Vec<String>> {
        let cached = self.backend_snapshots_of(host)?;
        if cached.loading && cached.items.is_empty() || cached.error.is_some() {
            return None;
        }
        Some(
            cached
                .items
                .iter()
                .filter(|e| keep(e))
                .map(|e| e.reference.label().to_string())
                .collect(),
        )
    }

    /// Safe-to-manage back-end snapshots whose origin is this volume.
    pub fn unmanaged_of(&self, volume: &Volume) -> Option<Vec<String>> {
        self.backend_snapshot_refs(volume.host.as_deref()?, |e| {
            e.safe_to_manage && e.parent_volume_id() == Some(volume.id.as_str())
        })
    }

    /// How the operator reaches the volume import (key and command), for back-end
    /// snapshots whose origin Cinder does not manage yet.
    pub fn volume_import_hint(&self) -> String {
        format!(
            "{} or :manageable-volumes",
            self.keymap.label(Action::ManageableVolumes)
        )
    }

    /// True when the back end names an origin for this snapshot and the host's volume
    /// listing (loaded) has no such managed volume: the volume must be imported first.
    pub fn origin_unmanaged(&self, entry: &ManageableSnapshot, host: &str) -> bool {
        let Some(cached) = self.volumes_of(host) else {
            return false;
        };
        if cached.loading && cached.items.is_empty() || cached.error.is_some() {
            return false;
        }
        entry.source_reference.is_some()
            && !entry
                .parent_volume_id()
                .is_some_and(|id| cached.items.iter().any(|v| v.id == id))
    }

    /// "name (id)" or the id, as the operator knows a volume.
    pub fn volume_label(&self, id: &str) -> String {
        match self.volume_names.get(id) {
            Some(name) if !name.is_empty() => format!("{name} ({id})"),
            _ => id.to_string(),
        }
    }
}

#[cfg(test)]
pub(crate) mod testdata;
#[cfg(test)]
mod tests;
