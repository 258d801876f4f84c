//! Listings on the console: which load each screen needs, pages as they arrive, the
//! caches behind the annotations (hosts, volumes, back-end listings) and their reloads.

use std::collections::HashMap;

use crate::backend::{Error, ListFilter, backend_of};

use super::msg::{Effect, Load, Page, RequestId};
use super::rows::{HostRow, ManageableRow, ManageableVolumeRow, SnapshotRow, VolumeRow};
use super::table::Table;
use super::update::Effects;
use super::{App, Cached, Pane, Rows, Scope, StatusLine, View};

pub(super) fn load_of(view: &View) -> Load {
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
pub(super) fn reload(app: &mut App, index: usize) -> Effects {
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
    if let (Rows::Manageable(_), Some(host)) = (&view.rows, &host) {
        // One listing serves the screen and the annotations: it is the dearest call.
        app.host_snapshots
            .insert(backend_of(host).to_string(), Cached::loading(request));
    }
    let view = &app.views[index];
    match (&view.rows, host) {
        (Rows::Manageable(_), Some(host)) => effects.extend(ensure(app, HostList::Volumes, &host)),
        (Rows::ManageableVolumes(_), Some(host)) => {
            effects.extend(ensure(app, HostList::BackendSnapshots, &host))
        }
        _ => {}
    }
    effects
}

pub(super) fn push(app: &mut App, rows: Rows, scope: Scope) -> Effects {
    app.views.push(View {
        rows,
        scope,
        request: 0,
        loading: true,
        error: None,
        denied: false,
        replace_next: true,
        stale: false,
    });
    app.focus = Pane::Table;
    app.details_scroll = 0;
    let index = app.views.len() - 1;
    if let Some(effects) = from_cache(app, index) {
        return effects;
    }
    reload(app, index)
}

/// Opens a host's back-end snapshots on the listing the console already has or is
/// fetching for its annotations, rather than asking the back end again: a manageable
/// listing costs a real driver a scan of the whole back end. `None` when there is none
/// to share (or it failed).
fn from_cache(app: &mut App, index: usize) -> Option<Effects> {
    let view = &app.views[index];
    let (Rows::Manageable(_), Some(host)) = (&view.rows, view.scope.host.clone()) else {
        return None;
    };
    let cached = app.host_snapshots.get(backend_of(&host))?;
    if cached.error.is_some() {
        return None;
    }
    let (request, loading, items) = (cached.request, cached.loading, cached.items.clone());
    let view = &mut app.views[index];
    view.request = request;
    view.loading = loading;
    if !items.is_empty() || !loading {
        add_rows(app, index, Page::Manageable(items));
        annotate(app);
    }
    Some(ensure(app, HostList::Volumes, &host))
}

/// A per-host listing kept for annotations.
#[derive(Debug, Clone, Copy)]
pub(super) enum HostList {
    Volumes,
    BackendSnapshots,
}

/// Loads a per-host listing unless it is known or on its way.
pub(super) fn ensure(app: &mut App, list: HostList, host: &str) -> Effects {
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

pub(super) fn load_host_list(app: &mut App, list: HostList, key: String) -> Effects {
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

/// The hosts whose listing in `caches` is not on its way.
fn settled<T>(caches: &HashMap<String, Cached<T>>) -> impl Iterator<Item = String> + '_ {
    caches
        .iter()
        .filter(|(_, cache)| !cache.loading)
        .map(|(key, _)| key.clone())
}

/// Reloads every per-host listing already known, after a refresh or a job, but for
/// those already on their way (a screen's own reload fetches its host's).
pub(super) fn reload_caches(app: &mut App) -> Effects {
    let volumes = settled(&app.host_volumes).map(|key| (HostList::Volumes, key));
    let snapshots = settled(&app.host_snapshots).map(|key| (HostList::BackendSnapshots, key));
    let lists: Vec<_> = volumes.chain(snapshots).collect();
    lists
        .into_iter()
        .flat_map(|(list, key)| load_host_list(app, list, key))
        .collect()
}

pub(super) fn page_arrived(app: &mut App, request: RequestId, page: Page) -> Effects {
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

pub(super) fn put<R: super::table::Row>(table: &mut Table<R>, rows: Vec<R>, replace: bool) {
    if replace {
        table.replace(rows);
    } else {
        table.append(rows);
    }
}

pub(super) fn add_rows(app: &mut App, index: usize, page: Page) {
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
                .map(|entry| {
                    let parent = parent_name(app, &entry);
                    ManageableRow::new(entry, parent)
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
pub(super) fn snapshots_of_lv(app: &App, host: &str, reference: &str) -> Option<Vec<String>> {
    app.backend_snapshot_refs(host, |e| {
        e.source_reference.as_ref().map(|r| r.label()) == Some(reference)
    })
}

pub(super) fn parent_name(app: &App, entry: &crate::backend::ManageableSnapshot) -> Option<String> {
    entry
        .parent_volume_id()
        .and_then(|id| app.volume_names.get(id))
        .filter(|name| !name.is_empty())
        .cloned()
}

/// Refreshes what one listing adds to another: counts, names, unmanaged snapshots.
pub(super) fn annotate(app: &mut App) {
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

pub(super) fn loaded(app: &mut App, request: RequestId, result: Result<(), Error>) -> Effects {
    app.settle(request);
    let denied = matches!(result, Err(Error::Forbidden(_)));
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
        view.denied = denied;
        // An empty screen shows the failure in its body; one that keeps its old rows
        // says so in a notice, or in the footer when a dialog is open (a job's progress,
        // behind which an auto-refresh failed), which a notice would replace.
        if let Some(error) = &error
            && view.rows.nav().visible_len() > 0
        {
            let title = format!("Listing failed: {}", view.title());
            if app.modal.is_some() {
                app.status = Some(StatusLine {
                    text: format!("{title}: {error}"),
                    error: true,
                });
            } else {
                app.notice(&title, error.clone(), true);
            }
        }
    }
    annotate(app);
    Vec::new()
}
