//! Keys: routing a key press to the open dialog, prompt or form, or to the action the
//! key table binds it to on the current screen.

use super::commands::{BackendList, command, complete, guess_host, open_backend_list};
use super::copy::copy;
use super::create_form::{CreateForm, CreateOutcome};
use super::form::{FormOutcome, ImportForm, edit};
use super::gate::{Typing, Verdict};
use super::jobs::{
    create_volumes, import, import_by_reference, launch, read_only_refusal, remove, retire,
};
use super::keymap::{Action, Context, Key, KeyCode};
use super::listing::{push, reload, reload_caches};
use super::plan::Removal;
use super::rows::Importable;
use super::table::Table;
use super::update::Effects;
use super::{App, Confirm, Modal, Pane, Plan, Prompt, PromptKind, Rows, Scope, migrate, switcher};

pub(super) fn key_input(app: &mut App, key: Key) -> Effects {
    app.status = None;
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

pub(super) fn modal_key(app: &mut App, modal: Modal, key: Key) -> Effects {
    let action = app.keymap.action(Context::Dialog, key);
    let close = matches!(action, Some(Action::Confirm | Action::Cancel));
    match modal {
        Modal::Help { scroll } => {
            let closes = close
                || matches!(
                    app.keymap.action(Context::Hosts, key),
                    Some(Action::Help | Action::Quit)
                );
            if !closes {
                let scroll = scrolled(usize::from(scroll), app.page / 2, action)
                    .map_or(scroll, |moved| u16::try_from(moved).unwrap_or(u16::MAX));
                app.modal = Some(Modal::Help { scroll });
            }
        }
        Modal::Notice(notice) => {
            let dismissed = close
                || matches!(
                    app.keymap.action(Context::Hosts, key),
                    Some(Action::Mark | Action::Quit)
                );
            if !dismissed {
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
                action => form.key(action, key),
            };
            form_outcome(app, form, outcome);
        }
        Modal::CreateForm(mut form) => {
            let action = app.keymap.action(Context::ImportForm, key);
            create_outcome(app, form.key(action, key), form);
        }
        Modal::Confirm(confirm) => return confirm_key(app, confirm, key),
        Modal::Switcher(switcher) => return switcher::key(app, switcher, key),
        Modal::Migrate(wizard) => return migrate::key(app, wizard, key),
    }
    Vec::new()
}

pub(super) fn form_outcome(app: &mut App, form: Box<ImportForm>, outcome: FormOutcome) {
    match outcome {
        FormOutcome::Editing => app.modal = Some(Modal::ImportForm(form)),
        FormOutcome::Cancelled => {}
        FormOutcome::Submitted(plan) => {
            app.modal = Some(Modal::Confirm(Box::new(Confirm::new(Plan::Import(plan)))));
        }
    }
}

fn create_outcome(app: &mut App, outcome: CreateOutcome, form: Box<CreateForm>) {
    match outcome {
        CreateOutcome::Editing => app.modal = Some(Modal::CreateForm(form)),
        CreateOutcome::Cancelled => {}
        CreateOutcome::Submitted(plan) => {
            app.modal = Some(Modal::Confirm(Box::new(Confirm::new(Plan::Create(plan)))));
        }
    }
}

/// Moves a list selection with the key table's choice keys; false for other actions.
pub(super) fn move_choice(selected: &mut usize, len: usize, action: Option<Action>) -> bool {
    let last = len.saturating_sub(1);
    *selected = match action {
        Some(Action::Down) => (*selected + 1).min(last),
        Some(Action::Up) => selected.saturating_sub(1),
        Some(Action::Top) => 0,
        Some(Action::Bottom) => last,
        _ => return false,
    };
    true
}

pub(super) fn confirm_key(app: &mut App, mut confirm: Box<Confirm>, key: Key) -> Effects {
    let typing_a_name = confirm.plan.types_name()
        && matches!(
            key.code,
            KeyCode::Char(_) | KeyCode::Backspace | KeyCode::Delete
        )
        && !key.ctrl
        && !key.alt;
    let action = app
        .keymap
        .action(Context::Dialog, key)
        .filter(|_| !typing_a_name);
    if let Some(scroll) = scrolled(confirm.scroll, app.page / 2, action) {
        confirm.scroll = scroll.min(confirm.plan.items().saturating_sub(1));
        app.modal = Some(Modal::Confirm(confirm));
        return Vec::new();
    }
    let plan = &confirm.plan;
    let accepts = |typed: &str| plan.accepts(typed);
    let typing = plan.typing().map(|typed| Typing {
        accepts: &accepts,
        hint: typed.hint,
    });
    let verdict = confirm.gate.key(action, key, typing);
    match verdict {
        Verdict::Cancel => Vec::new(),
        Verdict::Proceed => launch(app, confirm.plan),
        Verdict::Stay => {
            app.modal = Some(Modal::Confirm(confirm));
            Vec::new()
        }
    }
}

/// Where a dialog's scroll action moves its first line; `None` for other actions.
/// The key table keeps the keys of typed confirmations out of them.
pub(super) fn scrolled(scroll: usize, page: usize, action: Option<Action>) -> Option<usize> {
    Some(match action? {
        Action::ScrollDown => scroll + 1,
        Action::ScrollUp => scroll.saturating_sub(1),
        Action::ScrollPageDown => scroll + page.max(1),
        Action::ScrollPageUp => scroll.saturating_sub(page.max(1)),
        Action::ScrollTop => 0,
        _ => return None,
    })
}

pub(super) fn prompt_key(app: &mut App, mut prompt: Prompt, key: Key) -> Effects {
    match (prompt.kind, app.keymap.action(Context::Prompt, key)) {
        (PromptKind::Filter, Some(Action::Cancel)) => {
            app.view_mut().rows.nav_mut().set_filter("");
        }
        (PromptKind::Filter, Some(Action::Confirm)) => {}
        (PromptKind::Command, Some(Action::Cancel)) => {}
        (PromptKind::Command, Some(Action::Confirm)) => {
            return command(app, prompt.input.value());
        }
        (PromptKind::Command, Some(Action::Complete)) => {
            if let Some(completed) = complete(prompt.input.value()) {
                prompt.input = completed.into();
            }
            app.prompt = Some(prompt);
        }
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

pub(super) fn act(app: &mut App, context: Context, action: Action) -> Effects {
    if action.mutating() && app.info.read_only {
        return read_only_refusal(app, action);
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

pub(super) fn act_on_table(app: &mut App, context: Context, action: Action) -> Effects {
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
        Action::Export => remove(app, Removal::Export),
        Action::Delete => remove(app, Removal::Delete),
        Action::CreateVolume => create_volumes(app),
        Action::Retire => retire(app),
        Action::Copy => copy(app),
        Action::Backends => switcher::open(app, None),
        Action::Migrate => migrate::start(app, None),
        // Keys of the import form and of dialogs: never bound on a list screen.
        Action::AcceptDefaults
        | Action::Confirm
        | Action::Cancel
        | Action::SwitchButton
        | Action::ScrollUp
        | Action::ScrollDown
        | Action::ScrollPageUp
        | Action::ScrollPageDown
        | Action::ScrollTop
        | Action::NextField
        | Action::PreviousField
        | Action::NextItem
        | Action::PreviousItem
        | Action::NextChoice
        | Action::PreviousChoice
        | Action::Complete => Vec::new(),
    };
    if app.view().rows.nav().selected_key() != before.as_deref() {
        app.details_scroll = 0;
    }
    let height = app.table_height();
    app.view_mut().rows.nav_mut().keep_visible(height);
    effects
}

pub(super) fn nav(app: &mut App, f: impl FnOnce(&mut dyn super::table::Navigate)) -> Effects {
    f(app.view_mut().rows.nav_mut());
    Vec::new()
}

pub(super) fn open(app: &mut App, _context: Context) -> Effects {
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

pub(super) fn back(app: &mut App) -> Effects {
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

pub(super) fn mark(app: &mut App) -> Effects {
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
