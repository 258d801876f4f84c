//! Imports, exports, deletes, creates and retirements: from marked rows to a plan, a
//! confirmation, a journaled batch and a summary, item by item.

use crate::backend::side_effects::delete_consequence;
use crate::backend::{
    Driver, Error, ManageSnapshotRequest, ManageVolumeRequest, Snapshot, Volume, driver_on,
};
use crate::batch;
use crate::batch::retire::Survey;
use crate::migrate::Action as MigrateAction;
use crate::migrate::plan::IdRef;

use super::create_form::CreateForm;
use super::form::ImportForm;
use super::keymap::Action;
use super::msg::{Effect, Manage, RequestId};
use super::plan::{ExportItem, ExportKind, ExportPlan, Parent, Removal, RetirePlan};
use super::rows::Importable;
use super::table::{Row, Table};
use super::update::Effects;
use super::update::after_changes;
use super::{App, Cached, Confirm, Job, JobItem, Modal, Notice, Outcome, Plan, Rows};

pub(super) fn job_item(
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
        Err(err) if err.outcome_unknown() => Outcome::Failed(format!(
            "{err}; whether it happened is not known, so the batch stays unfinished: \
             `snapport batch resume` (the console names it at its next start) looks on the \
             back end before sending it again"
        )),
        Err(err) => Outcome::Failed(err.to_string()),
    };
    if !job.finished() {
        return Vec::new();
    }
    after_changes(app)
}

/// Starts the confirmed plan: one journaled batch, progress per item in a dialog.
pub(super) fn launch(app: &mut App, plan: Plan) -> Effects {
    app.view_mut().rows.nav_mut().clear_marks();
    let mut in_order = false;
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
            format!(
                "{} of {} {}",
                plan.removal.verb(),
                plan.items.len(),
                plan.kind.noun()
            ),
            removal_items(plan),
        ),
        Plan::Create(plan) => (format!("Create of {} volume(s)", plan.count), plan.items()),
        Plan::Retire(plan) => {
            in_order = true;
            (
                format!("Retirement of volume {}", plan.name()),
                plan.survey.items(),
            )
        }
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
    vec![Effect::Batch {
        request,
        items,
        in_order,
    }]
}

/// The batch action that exports or deletes the snapshot or volume `id`.
fn removal_action(removal: Removal, kind: ExportKind, id: String) -> MigrateAction {
    match (removal, kind) {
        (Removal::Export, ExportKind::Snapshots) => MigrateAction::UnmanageSnapshot { id },
        (Removal::Export, ExportKind::Volumes) => MigrateAction::UnmanageVolume { id },
        (Removal::Delete, ExportKind::Snapshots) => MigrateAction::DeleteSnapshot {
            snapshot: IdRef::Id(id),
        },
        (Removal::Delete, ExportKind::Volumes) => MigrateAction::DeleteVolume { id },
    }
}

/// The batch items of an export or delete plan.
fn removal_items(plan: ExportPlan) -> Vec<batch::Item> {
    plan.items
        .into_iter()
        .map(|item| batch::Item {
            label: item.label,
            action: removal_action(plan.removal, plan.kind, item.id),
        })
        .collect()
}

/// Explains why a change is unavailable in a read-only session. The chosen rows'
/// changes still go to the back end, whose read-only layer refuses them before anything
/// is sent, so that the audit trail records each refused attempt.
pub(super) fn read_only_refusal(app: &mut App, action: Action) -> Effects {
    let items = refused_items(app, action);
    let what = match action {
        Action::Import => "Import (manage)",
        Action::ImportByReference => "Import by reference (manage)",
        Action::Migrate => "Migration (unmanage here, manage on the target)",
        Action::Delete => "Delete",
        Action::CreateVolume => "Creating volumes from a snapshot",
        Action::Retire => "Retiring a volume",
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
    if items.is_empty() {
        return Vec::new();
    }
    vec![Effect::Refused { items }]
}

/// What `action` would have asked of the back end for the chosen rows: their exports,
/// or the imports of those that may be imported, with the defaults (snapshots whose
/// parent volume is known).
fn refused_items(app: &App, action: Action) -> Vec<batch::Item> {
    let view = app.view();
    let host = view.scope.host.clone().unwrap_or_default();
    match (action, &view.rows) {
        (Action::Export, _) => removal_plan(app, Removal::Export)
            .map(removal_items)
            .unwrap_or_default(),
        (Action::Delete, _) => removal_plan(app, Removal::Delete)
            .map(removal_items)
            .unwrap_or_default(),
        (Action::Import, Rows::Manageable(table)) => table
            .chosen()
            .into_iter()
            .filter(|row| row.refusal().is_none())
            .filter_map(|row| {
                let request = ManageSnapshotRequest {
                    volume_id: row.entry.parent_volume_id()?.to_string(),
                    reference: row.entry.reference.clone(),
                    name: None,
                    description: None,
                    metadata: Default::default(),
                    force: false,
                    without_listing: false,
                };
                Some(batch::Item {
                    label: row.entry.reference.label().to_string(),
                    action: request.into(),
                })
            })
            .collect(),
        (Action::Import, Rows::ManageableVolumes(table)) => table
            .chosen()
            .into_iter()
            .filter(|row| row.refusal().is_none())
            .map(|row| batch::Item {
                label: row.entry.reference.label().to_string(),
                action: ManageVolumeRequest {
                    host: host.clone(),
                    reference: row.entry.reference.clone(),
                    name: None,
                    description: None,
                    metadata: Default::default(),
                    without_listing: false,
                }
                .into(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The entries of the chosen rows (marked, else selected); `None` when nothing is
/// chosen. The first chosen row that cannot be imported refuses the whole import.
pub(super) fn importable<R: Row + Importable, E>(
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
pub(super) fn parent_volumes<'a>(app: &'a App, host: &str) -> Result<&'a [Volume], Notice> {
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
pub(super) fn import_by_reference(app: &mut App) -> Effects {
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
    let driver = driver_on(&app.hosts, Some(&host));
    app.modal = Some(match form {
        Ok(form) => Modal::ImportForm(Box::new(form.on(driver))),
        Err(notice) => Modal::Notice(notice),
    });
    Vec::new()
}

/// Opens the import form for the chosen back-end snapshots or volumes.
pub(super) fn import(app: &mut App) -> Effects {
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
    let driver = driver_on(&app.hosts, Some(&host));
    app.modal = match form {
        Ok(form) => form.map(|form| Modal::ImportForm(Box::new(form.on(driver)))),
        Err(notice) => Some(Modal::Notice(notice)),
    };
    Vec::new()
}

/// The driver of the host volume `id` lives on: its host when a volume listing showed
/// it, else the screen's host, else the one driver all known hosts share.
fn volume_driver(app: &App, id: &str) -> Driver {
    let host = app
        .host_volumes
        .values()
        .flat_map(|cached| &cached.items)
        .find(|volume| volume.id == id)
        .and_then(|volume| volume.host.as_deref())
        .or(app.view().scope.host.as_deref());
    if host.is_some() {
        return driver_on(&app.hosts, host);
    }
    let mut drivers = app.hosts.iter().map(|host| &host.driver);
    match drivers.next() {
        Some(first) if drivers.all(|driver| driver == first) => first.clone(),
        _ => Driver::default(),
    }
}

/// "name (id)" or the id, as the operator knows a snapshot.
fn snapshot_label(snapshot: &Snapshot) -> String {
    match snapshot.name.as_deref() {
        Some(name) if !name.is_empty() => format!("{name} ({})", snapshot.id),
        _ => snapshot.id.clone(),
    }
}

/// Opens the confirmation of an export or delete of the chosen snapshots or volumes.
pub(super) fn remove(app: &mut App, removal: Removal) -> Effects {
    if let Some(plan) = removal_plan(app, removal) {
        app.modal = Some(Modal::Confirm(Box::new(Confirm::new(Plan::Export(plan)))));
    }
    Vec::new()
}

/// The export or delete of the chosen snapshots or volumes; `None` when nothing is
/// chosen.
fn removal_plan(app: &App, removal: Removal) -> Option<ExportPlan> {
    let plan = match &app.view().rows {
        Rows::Snapshots(t) => ExportPlan {
            removal,
            kind: ExportKind::Snapshots,
            items: t
                .chosen()
                .into_iter()
                .map(|row| {
                    let s = &row.snapshot;
                    ExportItem {
                        id: s.id.clone(),
                        label: snapshot_label(s),
                        parent: Some(Parent {
                            id: s.volume_id.clone(),
                            label: app.volume_label(&s.volume_id),
                            driver: volume_driver(app, &s.volume_id),
                        }),
                        busy: None,
                    }
                })
                .collect(),
        },
        Rows::Volumes(t) => ExportPlan {
            removal,
            kind: ExportKind::Volumes,
            items: t
                .chosen()
                .into_iter()
                .map(|row| {
                    let label = app.volume_label(&row.volume.id);
                    let held = app.unmanaged_of(&row.volume).unwrap_or_default();
                    let busy = (removal == Removal::Delete && !held.is_empty()).then(|| {
                        format!(
                            "the back end holds {} snapshot(s) of volume {label} that Cinder \
                             does not manage: {}",
                            held.len(),
                            delete_consequence(&volume_driver(app, &row.volume.id), "it")
                        )
                    });
                    ExportItem {
                        id: row.volume.id.clone(),
                        label,
                        parent: None,
                        busy,
                    }
                })
                .collect(),
        },
        _ => return None,
    };
    (!plan.items.is_empty()).then_some(plan)
}

/// Opens the form that creates volumes from the selected snapshot.
pub(super) fn create_volumes(app: &mut App) -> Effects {
    let Rows::Snapshots(t) = &app.view().rows else {
        return Vec::new();
    };
    let Some(row) = t.selected() else {
        return Vec::new();
    };
    let snapshot = row.snapshot.clone();
    let label = snapshot_label(&snapshot);
    let driver = volume_driver(app, &snapshot.volume_id);
    app.modal = Some(Modal::CreateForm(Box::new(CreateForm::new(
        &snapshot, label, driver,
    ))));
    Vec::new()
}

/// Asks what stands in the way of the selected volume's delete; the review opens
/// when the answer comes.
pub(super) fn retire(app: &mut App) -> Effects {
    let Rows::Volumes(t) = &app.view().rows else {
        return Vec::new();
    };
    let Some(row) = t.selected() else {
        return Vec::new();
    };
    let volume_id = row.volume.id.clone();
    let request = app.request(1);
    app.survey = Some(request);
    app.notice(
        "Retire",
        format!(
            "Looking at what stands in the way of volume {}: its snapshots, the back end's \
             snapshots of it, its attachments…",
            app.volume_label(&volume_id)
        ),
        false,
    );
    vec![Effect::Survey { request, volume_id }]
}

/// The survey arrived: the review of the retirement, or why it could not be made.
pub(super) fn surveyed(app: &mut App, request: RequestId, result: Result<Box<Survey>, Error>) {
    app.settle(request);
    if app.survey != Some(request) {
        return;
    }
    app.survey = None;
    if !matches!(app.modal, None | Some(Modal::Notice(_))) {
        return;
    }
    app.modal = Some(match result {
        Ok(survey) => Modal::Confirm(Box::new(Confirm::new(Plan::Retire(RetirePlan {
            survey: *survey,
        })))),
        Err(err) => Modal::Notice(super::Notice {
            title: "Cannot retire".to_string(),
            text: err.to_string(),
            error: true,
        }),
    });
}
