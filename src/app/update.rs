//! The one place the console's state changes: `update(app, msg) -> effects`.

use crate::backend::{Error, ListFilter, Volume, backend_of};
use crate::batch;
use crate::migrate::Action as MigrateAction;

use super::form::{FormOutcome, ImportForm, edit};
use super::gate::{Typing, Verdict};
use super::keymap::{Action, Context, Key, KeyCode};
use super::msg::{Effect, Load, Manage, Msg, Page, RequestId};
use super::plan::{ExportItem, ExportKind, ExportPlan};
use super::rows::{
    HostRow, Importable, ManageableRow, ManageableVolumeRow, SnapshotRow, VolumeRow,
};
use super::table::{Row, Table};
use super::{
    App, Cached, Confirm, Job, JobItem, Modal, Notice, Outcome, Pane, Plan, Prompt, PromptKind,
    Rows, Scope, View, migrate, switcher,
};

/// The work one message calls for.
pub(super) type Effects = Vec<Effect>;

/// Applies one message and returns the work it calls for.
pub fn update(app: &mut App, msg: Msg) -> Effects {
    match msg {
        Msg::Key(key) => key_input(app, key),
        Msg::Tick => {
            if app.busy() {
                app.spinner = app.spinner.wrapping_add(1);
            }
            Vec::new()
        }
        Msg::Resize { width, height } => {
            app.width = width;
            app.page = usize::from(height).saturating_sub(4).max(1);
            Vec::new()
        }
        Msg::Page { request, page } => page_arrived(app, request, page),
        Msg::Loaded { request, result } => loaded(app, request, result),
        Msg::Managed {
            request,
            item,
            result,
        } => job_item(app, request, item, result),
        Msg::Unmanaged {
            request,
            item,
            result,
        } => {
            let outcome = result.map(|()| "exported; its data stays on the back end".to_string());
            job_item(app, request, item, outcome)
        }
        Msg::Connected { request, result } => {
            app.settle(request);
            if let Some(effects) = switcher::connected(app, request, &result) {
                return effects;
            }
            migrate::connected(app, request, result).unwrap_or_else(|| {
                vec![Effect::Release {
                    connection: request,
                }]
            })
        }
        Msg::Planned { request, review } => {
            app.settle(request);
            migrate::planned(app, request, review);
            Vec::new()
        }
        Msg::Progress { request, event } => {
            migrate::progress(app, request, event);
            Vec::new()
        }
        Msg::Migrated { request, end } => {
            app.settle(request);
            migrate::migrated(app, request, end);
            Vec::new()
        }
    }
}

impl App {
    /// Opens the hosts screen and asks for the first listing.
    pub fn start(&mut self) -> Effects {
        push(self, Rows::Hosts(Table::default()), Scope::default())
    }

    /// Names the batches a stopped console left unfinished on this back end, with the
    /// command that finishes each, so that none is forgotten.
    pub fn unfinished_batches(&mut self, journals: &[std::path::PathBuf]) {
        if journals.is_empty() {
            return;
        }
        let commands: Vec<String> = journals
            .iter()
            .map(|journal| format!("snapport batch resume {}", journal.display()))
            .collect();
        self.notice(
            "Unfinished batches",
            format!(
                "{} import/export batch(es) on this back end did not finish (the console was \
                 stopped). Finish them from a shell:\n{}",
                journals.len(),
                commands.join("\n")
            ),
            true,
        );
    }

    /// Shows a message the operator dismisses.
    pub(super) fn notice(&mut self, title: &str, text: impl Into<String>, error: bool) {
        self.modal = Some(Modal::Notice(Notice {
            title: title.to_string(),
            text: text.into(),
            error,
        }));
    }
}

fn load_of(view: &View) -> Load {
    match &view.rows {
        Rows::Hosts(_) => Load::Hosts,
        Rows::Volumes(_) => Load::Volumes(ListFilter {
            host: view.scope.host.clone(),
            ..ListFilter::default()
        }),
        Rows::Snapshots(_) => Load::Snapshots(ListFilter {
            volume_id: view.scope.volume.as_ref().map(|(id, _)| id.clone()),
            ..ListFilter::default()
        }),
        Rows::Manageable(_) => Load::Manageable(view.scope.host.clone().unwrap_or_default()),
        Rows::ManageableVolumes(_) => {
            Load::ManageableVolumes(view.scope.host.clone().unwrap_or_default())
        }
    }
}

/// (Re)loads the screen at `index`; its rows stay until the first page arrives.
fn reload(app: &mut App, index: usize) -> Effects {
    let request = app.request(1);
    let view = &mut app.views[index];
    view.request = request;
    view.loading = true;
    view.replace_next = true;
    view.stale = false;
    let mut effects = vec![Effect::Load {
        request,
        load: load_of(view),
    }];
    let host = view.scope.host.clone();
    match (&view.rows, host) {
        (Rows::Manageable(_), Some(host)) => effects.extend(ensure(app, HostList::Volumes, &host)),
        (Rows::ManageableVolumes(_), Some(host)) => {
            effects.extend(ensure(app, HostList::BackendSnapshots, &host))
        }
        _ => {}
    }
    effects
}

fn push(app: &mut App, rows: Rows, scope: Scope) -> Effects {
    app.views.push(View {
        rows,
        scope,
        request: 0,
        loading: true,
        error: None,
        replace_next: true,
        stale: false,
    });
    app.focus = Pane::Table;
    app.details_scroll = 0;
    reload(app, app.views.len() - 1)
}

/// A per-host listing kept for annotations.
#[derive(Debug, Clone, Copy)]
enum HostList {
    Volumes,
    BackendSnapshots,
}

/// Loads a per-host listing unless it is known or on its way.
fn ensure(app: &mut App, list: HostList, host: &str) -> Effects {
    let key = backend_of(host).to_string();
    let known = match list {
        HostList::Volumes => app.host_volumes.contains_key(&key),
        HostList::BackendSnapshots => app.host_snapshots.contains_key(&key),
    };
    if known {
        Vec::new()
    } else {
        load_host_list(app, list, key)
    }
}

fn load_host_list(app: &mut App, list: HostList, key: String) -> Effects {
    let request = app.request(1);
    let load = match list {
        HostList::Volumes => {
            app.host_volumes
                .insert(key.clone(), Cached::loading(request));
            Load::Volumes(ListFilter {
                host: Some(key),
                ..ListFilter::default()
            })
        }
        HostList::BackendSnapshots => {
            app.host_snapshots
                .insert(key.clone(), Cached::loading(request));
            Load::Manageable(key)
        }
    };
    vec![Effect::Load { request, load }]
}

/// Reloads every per-host listing already known, after a refresh or a job.
fn reload_caches(app: &mut App) -> Effects {
    let volumes = app
        .host_volumes
        .keys()
        .cloned()
        .map(|key| (HostList::Volumes, key));
    let snapshots = app
        .host_snapshots
        .keys()
        .cloned()
        .map(|key| (HostList::BackendSnapshots, key));
    let lists: Vec<_> = volumes.chain(snapshots).collect();
    lists
        .into_iter()
        .flat_map(|(list, key)| load_host_list(app, list, key))
        .collect()
}

fn page_arrived(app: &mut App, request: RequestId, page: Page) -> Effects {
    let mut effects = Vec::new();
    let mut annotate_needed = false;
    match &page {
        Page::Hosts(hosts) => {
            for host in hosts {
                if !app.hosts.iter().any(|known| known.host == host.host) {
                    app.hosts.push(host.clone());
                }
                effects.extend(ensure(app, HostList::Volumes, &host.host));
                effects.extend(ensure(app, HostList::BackendSnapshots, &host.host));
            }
        }
        Page::Volumes(volumes) => {
            for volume in volumes {
                app.volume_names
                    .insert(volume.id.clone(), volume.name.clone().unwrap_or_default());
                if let Some(host) = &volume.host {
                    effects.extend(ensure(app, HostList::BackendSnapshots, host));
                }
            }
            for cache in app
                .host_volumes
                .values_mut()
                .filter(|c| c.request == request)
            {
                cache.items.extend(volumes.iter().cloned());
            }
            annotate_needed = true;
        }
        Page::Manageable(entries) => {
            for cache in app
                .host_snapshots
                .values_mut()
                .filter(|c| c.request == request)
            {
                cache.items.extend(entries.iter().cloned());
            }
            annotate_needed = true;
        }
        Page::Snapshots(_) | Page::ManageableVolumes(_) => {}
    }
    if let Some(index) = app.views.iter().position(|view| view.request == request) {
        add_rows(app, index, page);
    }
    if annotate_needed {
        annotate(app);
    }
    effects
}

fn put<R: super::table::Row>(table: &mut Table<R>, rows: Vec<R>, replace: bool) {
    if replace {
        table.replace(rows);
    } else {
        table.append(rows);
    }
}

fn add_rows(app: &mut App, index: usize, page: Page) {
    let replace = std::mem::take(&mut app.views[index].replace_next);
    match page {
        Page::Hosts(hosts) => {
            let rows = hosts
                .into_iter()
                .map(|host| HostRow {
                    host,
                    volumes: None,
                    managed: None,
                    unmanaged: None,
                })
                .collect();
            if let Rows::Hosts(t) = &mut app.views[index].rows {
                put(t, rows, replace);
            }
            annotate(app);
        }
        Page::Volumes(volumes) => {
            let rows = volumes
                .into_iter()
                .map(|volume| VolumeRow {
                    unmanaged: app.unmanaged_of(&volume),
                    volume,
                })
                .collect();
            if let Rows::Volumes(t) = &mut app.views[index].rows {
                put(t, rows, replace);
            }
        }
        Page::Snapshots(snapshots) => {
            let rows = snapshots
                .into_iter()
                .map(|snapshot| SnapshotRow {
                    volume_name: app.volume_names.get(&snapshot.volume_id).cloned(),
                    snapshot,
                })
                .collect();
            if let Rows::Snapshots(t) = &mut app.views[index].rows {
                put(t, rows, replace);
            }
        }
        Page::Manageable(entries) => {
            let rows = entries
                .into_iter()
                .map(|entry| ManageableRow {
                    parent_name: parent_name(app, &entry),
                    entry,
                })
                .collect();
            if let Rows::Manageable(t) = &mut app.views[index].rows {
                put(t, rows, replace);
            }
        }
        Page::ManageableVolumes(entries) => {
            let host = app.views[index].scope.host.clone().unwrap_or_default();
            let rows = entries
                .into_iter()
                .map(|entry| ManageableVolumeRow {
                    snapshots: snapshots_of_lv(app, &host, entry.reference.label()),
                    entry,
                })
                .collect();
            if let Rows::ManageableVolumes(t) = &mut app.views[index].rows {
                put(t, rows, replace);
            }
        }
    }
}

/// The back-end snapshots of a host whose origin is the LV `reference`.
fn snapshots_of_lv(app: &App, host: &str, reference: &str) -> Option<Vec<String>> {
    app.backend_snapshot_refs(host, |e| {
        e.source_reference.as_ref().map(|r| r.label()) == Some(reference)
    })
}

fn parent_name(app: &App, entry: &crate::backend::ManageableSnapshot) -> Option<String> {
    entry
        .parent_volume_id()
        .and_then(|id| app.volume_names.get(id))
        .filter(|name| !name.is_empty())
        .cloned()
}

/// Refreshes what one listing adds to another: counts, names, unmanaged snapshots.
fn annotate(app: &mut App) {
    let mut views = std::mem::take(&mut app.views);
    for view in &mut views {
        match &mut view.rows {
            Rows::Hosts(table) => {
                for row in table.rows_mut() {
                    let volumes = app.volumes_of(&row.host.host).filter(|c| c.error.is_none());
                    row.volumes = volumes.map(|c| c.items.len());
                    let snapshots = app
                        .backend_snapshots_of(&row.host.host)
                        .filter(|c| c.error.is_none());
                    row.managed =
                        snapshots.map(|c| c.items.iter().filter(|e| e.cinder_id.is_some()).count());
                    row.unmanaged =
                        snapshots.map(|c| c.items.iter().filter(|e| e.safe_to_manage).count());
                }
                table.resort();
            }
            Rows::Volumes(table) => {
                for row in table.rows_mut() {
                    row.unmanaged = app.unmanaged_of(&row.volume);
                }
                table.resort();
            }
            Rows::Snapshots(table) => {
                for row in table.rows_mut() {
                    if row.volume_name.is_none() {
                        row.volume_name = app.volume_names.get(&row.snapshot.volume_id).cloned();
                    }
                }
            }
            Rows::Manageable(table) => {
                for row in table.rows_mut() {
                    row.parent_name = parent_name(app, &row.entry);
                }
                table.resort();
            }
            Rows::ManageableVolumes(table) => {
                let host = view.scope.host.as_deref().unwrap_or_default();
                for row in table.rows_mut() {
                    row.snapshots = snapshots_of_lv(app, host, row.entry.reference.label());
                }
                table.resort();
            }
        }
    }
    app.views = views;
}

fn loaded(app: &mut App, request: RequestId, result: Result<(), Error>) -> Effects {
    app.settle(request);
    let error = result.err().map(|err| err.to_string());
    for cache in app
        .host_volumes
        .values_mut()
        .filter(|c| c.request == request)
    {
        cache.loading = false;
        cache.error = error.clone();
    }
    for cache in app
        .host_snapshots
        .values_mut()
        .filter(|c| c.request == request)
    {
        cache.loading = false;
        cache.error = error.clone();
    }
    if let Some(index) = app.views.iter().position(|view| view.request == request) {
        let view = &mut app.views[index];
        view.loading = false;
        if std::mem::take(&mut view.replace_next) && error.is_none() {
            match &mut view.rows {
                Rows::Hosts(t) => t.replace(Vec::new()),
                Rows::Volumes(t) => t.replace(Vec::new()),
                Rows::Snapshots(t) => t.replace(Vec::new()),
                Rows::Manageable(t) => t.replace(Vec::new()),
                Rows::ManageableVolumes(t) => t.replace(Vec::new()),
            }
        }
        view.error = error.clone();
        // An empty screen shows the failure in its body; one that keeps its old rows
        // says so in a notice.
        if let Some(error) = &error
            && view.rows.nav().visible_len() > 0
        {
            let title = format!("Listing failed: {}", view.title());
            app.notice(&title, error.clone(), true);
        }
    }
    annotate(app);
    Vec::new()
}

fn job_item(
    app: &mut App,
    request: RequestId,
    item: usize,
    outcome: Result<String, Error>,
) -> Effects {
    app.settle(request);
    let Some(Modal::Job(job)) = &mut app.modal else {
        return Vec::new();
    };
    if job.request != request || item >= job.items.len() {
        return Vec::new();
    }
    job.items[item].outcome = match outcome {
        Ok(done) => Outcome::Done(done),
        Err(err) => Outcome::Failed(err.to_string()),
    };
    if !job.finished() {
        return Vec::new();
    }
    after_changes(app)
}

/// Reloads what a change on the back end may have touched: the screen on top now, the
/// others when shown again.
pub(super) fn after_changes(app: &mut App) -> Effects {
    for view in &mut app.views {
        view.stale = true;
    }
    let mut effects = reload(app, app.views.len() - 1);
    effects.extend(reload_caches(app));
    effects
}

fn key_input(app: &mut App, key: Key) -> Effects {
    if let Some(modal) = app.modal.take() {
        return modal_key(app, modal, key);
    }
    if let Some(prompt) = app.prompt.take() {
        return prompt_key(app, prompt, key);
    }
    let context = app.view().rows.context();
    match app.keymap.action(context, key) {
        Some(action) => act(app, context, action),
        None => Vec::new(),
    }
}

fn is(key: Key, code: KeyCode) -> bool {
    key.code == code && !key.ctrl && !key.alt
}

fn modal_key(app: &mut App, modal: Modal, key: Key) -> Effects {
    let close = is(key, KeyCode::Esc) || is(key, KeyCode::Enter);
    match modal {
        Modal::Help { scroll } => {
            let scroll = match key.code {
                KeyCode::Char('j') | KeyCode::Down => scroll.saturating_add(1),
                KeyCode::Char('k') | KeyCode::Up => scroll.saturating_sub(1),
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('?' | 'q') => return Vec::new(),
                _ => scroll,
            };
            app.modal = Some(Modal::Help { scroll });
        }
        Modal::Notice(notice) => {
            if !(close || is(key, KeyCode::Char(' ')) || is(key, KeyCode::Char('q'))) {
                app.modal = Some(Modal::Notice(notice));
            }
        }
        Modal::Job(job) => {
            if !(close && job.finished()) {
                app.modal = Some(Modal::Job(job));
            }
        }
        Modal::ImportForm(mut form) => {
            let outcome = match app.keymap.action(Context::ImportForm, key) {
                Some(Action::AcceptDefaults) => {
                    form.accept_defaults(&app.keymap.label(Action::AcceptDefaults))
                }
                _ => form.key(key),
            };
            form_outcome(app, form, outcome);
        }
        Modal::Confirm(confirm) => return confirm_key(app, confirm, key),
        Modal::Switcher(switcher) => return switcher::key(app, switcher, key),
        Modal::Migrate(wizard) => return migrate::key(app, wizard, key),
    }
    Vec::new()
}

fn form_outcome(app: &mut App, form: Box<ImportForm>, outcome: FormOutcome) {
    match outcome {
        FormOutcome::Editing => app.modal = Some(Modal::ImportForm(form)),
        FormOutcome::Cancelled => {}
        FormOutcome::Submitted(plan) => {
            app.modal = Some(Modal::Confirm(Box::new(Confirm::new(Plan::Import(plan)))));
        }
    }
}

/// Moves a list selection with the list keys; false for other keys.
pub(super) fn move_choice(selected: &mut usize, len: usize, key: Key) -> bool {
    let last = len.saturating_sub(1);
    *selected = match key.code {
        KeyCode::Char('j') | KeyCode::Down | KeyCode::Tab => (*selected + 1).min(last),
        KeyCode::Char('k') | KeyCode::Up | KeyCode::BackTab => selected.saturating_sub(1),
        KeyCode::Char('g') | KeyCode::Home => 0,
        KeyCode::Char('G') | KeyCode::End => last,
        _ => return false,
    };
    true
}

fn confirm_key(app: &mut App, mut confirm: Box<Confirm>, key: Key) -> Effects {
    if let Some(scroll) = scrolled(confirm.scroll, app.page / 2, key) {
        confirm.scroll = scroll.min(confirm.plan.items().saturating_sub(1));
        app.modal = Some(Modal::Confirm(confirm));
        return Vec::new();
    }
    let typing = match &confirm.plan {
        Plan::Export(plan) if plan.needs_typing() => Some(Typing {
            accepts: &|typed| plan.accepts(typed),
            hint: format!(
                "type {} or '{}' to confirm this bulk export",
                plan.items.len(),
                super::plan::BULK_WORD
            ),
        }),
        _ => None,
    };
    match confirm.gate.key(key, typing) {
        Verdict::Cancel => Vec::new(),
        Verdict::Proceed => launch(app, confirm.plan),
        Verdict::Stay => {
            app.modal = Some(Modal::Confirm(confirm));
            Vec::new()
        }
    }
}

/// Where the scroll keys of a dialog's list move its first line; `None` for other
/// keys. No confirmation word contains j or k, so they never take typed text.
fn scrolled(scroll: usize, page: usize, key: Key) -> Option<usize> {
    if key.ctrl || key.alt {
        return None;
    }
    Some(match key.code {
        KeyCode::Char('j') | KeyCode::Down => scroll + 1,
        KeyCode::Char('k') | KeyCode::Up => scroll.saturating_sub(1),
        KeyCode::PageDown => scroll + page.max(1),
        KeyCode::PageUp => scroll.saturating_sub(page.max(1)),
        _ => return None,
    })
}

/// Starts the confirmed plan: one journaled batch, progress per item in a dialog.
fn launch(app: &mut App, plan: Plan) -> Effects {
    app.view_mut().rows.nav_mut().clear_marks();
    let (title, items): (String, Vec<batch::Item>) = match plan {
        Plan::Import(plan) => (
            format!("Import of {} {}", plan.items.len(), plan.noun()),
            plan.items
                .iter()
                .zip(plan.requests())
                .map(|(item, manage)| batch::Item {
                    label: item.reference.label().to_string(),
                    action: match manage {
                        Manage::Snapshot(request) => request.into(),
                        Manage::Volume(request) => request.into(),
                    },
                })
                .collect(),
        ),
        Plan::Export(plan) => (
            format!("Export of {} {}", plan.items.len(), plan.kind.noun()),
            plan.items
                .into_iter()
                .map(|export| batch::Item {
                    label: export.label,
                    action: match plan.kind {
                        ExportKind::Snapshots => MigrateAction::UnmanageSnapshot { id: export.id },
                        ExportKind::Volumes => MigrateAction::UnmanageVolume { id: export.id },
                    },
                })
                .collect(),
        ),
    };
    let request = app.request(items.len());
    let labels: Vec<String> = items.iter().map(|item| item.label.clone()).collect();
    app.modal = Some(Modal::Job(Job {
        request,
        title,
        items: labels
            .into_iter()
            .map(|label| JobItem {
                label,
                outcome: Outcome::Running,
            })
            .collect(),
    }));
    vec![Effect::Batch { request, items }]
}

fn prompt_key(app: &mut App, mut prompt: Prompt, key: Key) -> Effects {
    match (prompt.kind, key.code) {
        (PromptKind::Filter, KeyCode::Esc) => {
            app.view_mut().rows.nav_mut().set_filter("");
        }
        (PromptKind::Filter, KeyCode::Enter) => {}
        (PromptKind::Command, KeyCode::Esc) => {}
        (PromptKind::Command, KeyCode::Enter) => return command(app, prompt.input.value()),
        (kind, _) => {
            edit(&mut prompt.input, key);
            if kind == PromptKind::Filter {
                app.view_mut()
                    .rows
                    .nav_mut()
                    .set_filter(prompt.input.value());
            }
            app.prompt = Some(prompt);
        }
    }
    Vec::new()
}

const COMMANDS: &str = ":hosts, :volumes [HOST], :snapshots [VOLUME-ID], :manageable [HOST], \
     :manageable-volumes [HOST], :backend [NAME], :migrate [TARGET], :help, :q";

fn command(app: &mut App, line: &str) -> Effects {
    let mut words = line.split_whitespace();
    let (name, argument) = (words.next().unwrap_or(""), words.next());
    match name {
        "" => Vec::new(),
        "q" | "q!" | "quit" | "exit" => {
            app.quit = true;
            Vec::new()
        }
        "help" => {
            app.modal = Some(Modal::Help { scroll: 0 });
            Vec::new()
        }
        "hosts" | "host" => {
            app.views.truncate(1);
            reload(app, 0)
        }
        "volumes" | "volume" | "vol" => push(
            app,
            Rows::Volumes(Table::default()),
            Scope {
                host: argument.map(str::to_string),
                volume: None,
            },
        ),
        "snapshots" | "snapshot" | "snap" => {
            let volume = argument.map(|id| (id.to_string(), app.volume_label(id)));
            push(
                app,
                Rows::Snapshots(Table::default()),
                Scope { host: None, volume },
            )
        }
        "backend" | "backends" | "be" => switcher::open(app, argument),
        "migrate" => migrate::start(app, argument),
        "manageable" | "man" => backend_list_command(app, BackendList::Snapshots, argument),
        "manageable-volumes" | "manvol" => {
            backend_list_command(app, BackendList::Volumes, argument)
        }
        other => {
            app.notice(
                "Unknown command",
                format!("unknown command ':{other}' (commands: {COMMANDS})"),
                true,
            );
            Vec::new()
        }
    }
}

/// The host an action without an explicit host is about.
fn guess_host(app: &App) -> Option<String> {
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
enum BackendList {
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

fn backend_list_command(app: &mut App, list: BackendList, argument: Option<&str>) -> Effects {
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
fn open_backend_list(app: &mut App, list: BackendList, host: String) -> Effects {
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

/// Explains why a change is unavailable in a read-only session.
pub(super) fn read_only_refusal(app: &mut App, action: Action) {
    let what = match action {
        Action::Import => "Import (manage)",
        Action::ImportByReference => "Import by reference (manage)",
        Action::Migrate => "Migration (unmanage here, manage on the target)",
        _ => "Export (unmanage)",
    };
    app.notice(
        "Read-only session",
        format!(
            "{what} is unavailable: this session is read-only (--read-only), so the back end \
             refuses every change. Nothing was sent. Restart without --read-only to change it."
        ),
        false,
    );
}

fn act(app: &mut App, context: Context, action: Action) -> Effects {
    if action.mutating() && app.info.read_only {
        read_only_refusal(app, action);
        return Vec::new();
    }
    let page = app.page as isize;
    if app.focus == Pane::Details {
        let scroll = &mut app.details_scroll;
        match action {
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Down => *scroll = scroll.saturating_add(1),
            Action::PageUp => *scroll = scroll.saturating_sub(page as u16),
            Action::PageDown => *scroll = scroll.saturating_add(page as u16),
            Action::Top => *scroll = 0,
            _ => return act_on_table(app, context, action),
        }
        return Vec::new();
    }
    act_on_table(app, context, action)
}

fn act_on_table(app: &mut App, context: Context, action: Action) -> Effects {
    let page = app.page as isize;
    let before = app.view().rows.nav().selected_key().map(str::to_string);
    let effects = match action {
        Action::Quit => {
            app.quit = true;
            Vec::new()
        }
        Action::Help => {
            app.modal = Some(Modal::Help { scroll: 0 });
            Vec::new()
        }
        Action::Refresh => {
            let mut effects = reload(app, app.views.len() - 1);
            effects.extend(reload_caches(app));
            effects
        }
        Action::Filter | Action::Command => {
            let (kind, text) = match action {
                Action::Filter => (
                    PromptKind::Filter,
                    app.view().rows.nav().filter().to_string(),
                ),
                _ => (PromptKind::Command, String::new()),
            };
            app.prompt = Some(Prompt {
                kind,
                input: text.into(),
            });
            Vec::new()
        }
        Action::Up => nav(app, |t| t.move_by(-1)),
        Action::Down => nav(app, |t| t.move_by(1)),
        Action::PageUp => nav(app, |t| t.move_by(-page)),
        Action::PageDown => nav(app, |t| t.move_by(page)),
        Action::Top => nav(app, |t| t.first()),
        Action::Bottom => nav(app, |t| t.last()),
        Action::Sort => nav(app, |t| t.cycle_sort()),
        Action::SortReverse => nav(app, |t| t.reverse_sort()),
        Action::Open => open(app, context),
        Action::Back => back(app),
        Action::Mark => mark(app),
        Action::MarkAll => {
            match &mut app.view_mut().rows {
                Rows::Manageable(t) => t.mark_all(Importable::safe),
                Rows::ManageableVolumes(t) => t.mark_all(Importable::safe),
                Rows::Hosts(_) => {}
                Rows::Volumes(t) => t.mark_all(|_| true),
                Rows::Snapshots(t) => t.mark_all(|_| true),
            }
            Vec::new()
        }
        Action::Details => {
            app.details = !app.details;
            app.focus = Pane::Table;
            Vec::new()
        }
        Action::Focus => {
            if app.details && app.focus == Pane::Details {
                app.focus = Pane::Table;
            } else {
                app.details = true;
                app.focus = Pane::Details;
            }
            Vec::new()
        }
        Action::Manageable => match guess_host(app) {
            Some(host) => open_backend_list(app, BackendList::Snapshots, host),
            None => Vec::new(),
        },
        Action::ManageableVolumes => match guess_host(app) {
            Some(host) => open_backend_list(app, BackendList::Volumes, host),
            None => Vec::new(),
        },
        Action::Import => import(app),
        Action::ImportByReference => import_by_reference(app),
        Action::Export => export(app),
        Action::Backends => switcher::open(app, None),
        Action::Migrate => migrate::start(app, None),
        // The import form's key: never bound on a list screen.
        Action::AcceptDefaults => Vec::new(),
    };
    if app.view().rows.nav().selected_key() != before.as_deref() {
        app.details_scroll = 0;
    }
    let height = app.table_height();
    app.view_mut().rows.nav_mut().keep_visible(height);
    effects
}

fn nav(app: &mut App, f: impl FnOnce(&mut dyn super::table::Navigate)) -> Effects {
    f(app.view_mut().rows.nav_mut());
    Vec::new()
}

fn open(app: &mut App, _context: Context) -> Effects {
    let view = app.view();
    match &view.rows {
        Rows::Hosts(t) => match t.selected() {
            Some(row) => {
                let host = row.host.host.clone();
                push(
                    app,
                    Rows::Volumes(Table::default()),
                    Scope {
                        host: Some(host),
                        volume: None,
                    },
                )
            }
            None => Vec::new(),
        },
        Rows::Volumes(t) => match t.selected() {
            Some(row) => {
                let volume = (row.volume.id.clone(), app.volume_label(&row.volume.id));
                let host = row.volume.host.clone();
                push(
                    app,
                    Rows::Snapshots(Table::default()),
                    Scope {
                        host,
                        volume: Some(volume),
                    },
                )
            }
            None => Vec::new(),
        },
        Rows::Snapshots(_) | Rows::Manageable(_) | Rows::ManageableVolumes(_) => {
            app.details = true;
            Vec::new()
        }
    }
}

fn back(app: &mut App) -> Effects {
    if app.focus == Pane::Details {
        app.focus = Pane::Table;
        return Vec::new();
    }
    let nav = app.view_mut().rows.nav_mut();
    if !nav.filter().is_empty() {
        nav.set_filter("");
        return Vec::new();
    }
    if app.views.len() > 1 {
        app.views.pop();
        app.details_scroll = 0;
        if app.view().stale {
            return reload(app, app.views.len() - 1);
        }
    }
    Vec::new()
}

fn mark(app: &mut App) -> Effects {
    let refusal = match &app.view().rows {
        Rows::Manageable(t) => t.selected().and_then(Importable::refusal),
        Rows::ManageableVolumes(t) => t.selected().and_then(Importable::refusal),
        Rows::Hosts(_) => return Vec::new(),
        _ => None,
    };
    if let Some(refusal) = refusal {
        app.notice("Cannot be imported", refusal, false);
        return Vec::new();
    }
    let nav = app.view_mut().rows.nav_mut();
    if let Some(key) = nav.selected_key().map(str::to_string) {
        nav.toggle_mark(&key);
        nav.move_by(1);
    }
    Vec::new()
}

/// The entries of the chosen rows (marked, else selected); `None` when nothing is
/// chosen. The first chosen row that cannot be imported refuses the whole import.
fn importable<R: Row + Importable, E>(
    table: &Table<R>,
    entry: impl Fn(&R) -> E,
) -> Result<Option<Vec<E>>, Notice> {
    let chosen = table.chosen();
    if let Some(refusal) = chosen.iter().find_map(|row| row.refusal()) {
        return Err(Notice {
            title: "Cannot be imported".to_string(),
            text: refusal,
            error: false,
        });
    }
    Ok((!chosen.is_empty()).then(|| chosen.into_iter().map(entry).collect()))
}

/// The host's managed volumes, which snapshot imports need as parents.
fn parent_volumes<'a>(app: &'a App, host: &str) -> Result<&'a [Volume], Notice> {
    match app.volumes_of(host) {
        Some(cache) if !cache.loading && cache.error.is_none() => Ok(&cache.items),
        Some(Cached {
            error: Some(error), ..
        }) => Err(Notice {
            title: "Cannot import".to_string(),
            text: format!(
                "the volumes of {host} could not be listed, so no parent can be chosen: {error}"
            ),
            error: true,
        }),
        _ => Err(Notice {
            title: "Still loading".to_string(),
            text: format!("the volumes of {host} are still loading; try again in a moment"),
            error: false,
        }),
    }
}

/// Opens the form for one back-end snapshot or volume whose reference the operator
/// types: the listing failed, or the driver lists nothing. When the listing failed the
/// import goes without it, and the confirmation says what cannot be checked.
fn import_by_reference(app: &mut App) -> Effects {
    let view = app.view();
    let host = view.scope.host.clone().unwrap_or_default();
    let listing_failed = |noun: &str| {
        view.error
            .as_ref()
            .map(|error| format!("The back-end {noun} listing of {host} failed: {error}"))
    };
    let form = match &view.rows {
        Rows::Manageable(_) => parent_volumes(app, &host).map(|volumes| {
            ImportForm::snapshot_by_reference(
                volumes,
                app.volume_import_hint(),
                listing_failed("snapshot"),
            )
        }),
        Rows::ManageableVolumes(_) => Ok(ImportForm::volume_by_reference(
            &host,
            listing_failed("volume"),
        )),
        _ => return Vec::new(),
    };
    app.modal = Some(match form {
        Ok(form) => Modal::ImportForm(Box::new(form)),
        Err(notice) => Modal::Notice(notice),
    });
    Vec::new()
}

/// Opens the import form for the chosen back-end snapshots or volumes.
fn import(app: &mut App) -> Effects {
    let view = app.view();
    let host = view.scope.host.clone().unwrap_or_default();
    let form = match &view.rows {
        Rows::Manageable(t) => importable(t, |row| row.entry.clone()).and_then(|entries| {
            entries
                .map(|entries| {
                    parent_volumes(app, &host).map(|volumes| {
                        ImportForm::snapshots(&entries, volumes, app.volume_import_hint())
                    })
                })
                .transpose()
        }),
        Rows::ManageableVolumes(t) => importable(t, |row| row.entry.clone())
            .map(|entries| entries.map(|entries| ImportForm::volumes(&entries, &host))),
        _ => Ok(None),
    };
    app.modal = match form {
        Ok(form) => form.map(|form| Modal::ImportForm(Box::new(form))),
        Err(notice) => Some(Modal::Notice(notice)),
    };
    Vec::new()
}

fn export(app: &mut App) -> Effects {
    let plan = match &app.view().rows {
        Rows::Snapshots(t) => ExportPlan {
            kind: ExportKind::Snapshots,
            items: t
                .chosen()
                .into_iter()
                .map(|row| {
                    let s = &row.snapshot;
                    ExportItem {
                        id: s.id.clone(),
                        label: match s.name.as_deref() {
                            Some(name) if !name.is_empty() => format!("{name} ({})", s.id),
                            _ => s.id.clone(),
                        },
                        parent: Some((s.volume_id.clone(), app.volume_label(&s.volume_id))),
                    }
                })
                .collect(),
        },
        Rows::Volumes(t) => ExportPlan {
            kind: ExportKind::Volumes,
            items: t
                .chosen()
                .into_iter()
                .map(|row| ExportItem {
                    id: row.volume.id.clone(),
                    label: app.volume_label(&row.volume.id),
                    parent: None,
                })
                .collect(),
        },
        _ => return Vec::new(),
    };
    if !plan.items.is_empty() {
        app.modal = Some(Modal::Confirm(Box::new(Confirm::new(Plan::Export(plan)))));
    }
    Vec::new()
}
