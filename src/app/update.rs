//! The one place the console's state changes: `update(app, msg) -> effects`.

use super::jobs::{job_item, surveyed};
use super::keys::key_input;
use super::listing::{loaded, page_arrived, push, reload, reload_caches};
use super::msg::{Effect, Msg, Reply};
use super::refresh::refresh;
use super::table::Table;
use super::{App, Modal, Notice, Rows, Scope, migrate, switcher};

/// The work one message calls for.
pub(super) type Effects = Vec<Effect>;

/// Applies one message and returns the work it calls for.
pub fn update(app: &mut App, msg: Msg) -> Effects {
    match msg {
        Msg::Start => {
            app.warn_of_backend();
            let mut effects = app.start();
            effects.push(Effect::FindUnfinishedBatches);
            effects
        }
        Msg::Key(key) => key_input(app, key),
        Msg::Tick => {
            if app.busy() {
                app.spinner = app.spinner.wrapping_add(1);
            }
            Vec::new()
        }
        Msg::Refresh => refresh(app),
        Msg::Resize { width, height } => {
            app.width = width;
            app.page = usize::from(height).saturating_sub(4).max(1);
            Vec::new()
        }
        Msg::Reply(reply) => replied(app, reply),
    }
}

/// Applies one of the worker's answers.
fn replied(app: &mut App, reply: Reply) -> Effects {
    match reply {
        Reply::UnfinishedBatches(journals) => {
            app.unfinished_batches(&journals);
            Vec::new()
        }
        Reply::Page { request, page } => page_arrived(app, request, page),
        Reply::Loaded { request, result } => loaded(app, request, result),
        Reply::Managed {
            request,
            item,
            result,
        } => job_item(app, request, item, result),
        Reply::Unmanaged {
            request,
            item,
            result,
        } => {
            let outcome = result.map(|()| "exported; its data stays on the back end".to_string());
            job_item(app, request, item, outcome)
        }
        Reply::Deleted {
            request,
            item,
            result,
        } => {
            let outcome = result.map(|()| "deleted, with its data".to_string());
            job_item(app, request, item, outcome)
        }
        Reply::Surveyed { request, result } => {
            surveyed(app, request, result);
            Vec::new()
        }
        Reply::Connected { request, result } => {
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
        Reply::Planned { request, review } => {
            app.settle(request);
            migrate::planned(app, request, review);
            Vec::new()
        }
        Reply::Progress { request, event } => {
            migrate::progress(app, request, event);
            Vec::new()
        }
        Reply::Migrated { request, end } => {
            app.settle(request);
            migrate::migrated(app, request, end);
            Vec::new()
        }
    }
}

impl App {
    /// Opens the hosts screen and asks for the first listing.
    pub(super) fn start(&mut self) -> Effects {
        push(self, Rows::Hosts(Table::default()), Scope::default())
    }

    /// Shows what the back end says the operator must know about it.
    pub(super) fn warn_of_backend(&mut self) {
        if !self.info.warnings.is_empty() {
            let text = format!("{}: {}", self.info.label, self.info.warnings.join("; "));
            self.notice("Warning", text, true);
        }
    }

    /// Names the batches a stopped console left unfinished on this back end, with the
    /// command that finishes each, so that none is forgotten.
    fn unfinished_batches(&mut self, journals: &[std::path::PathBuf]) {
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
