//! The wizard's keys, one handler per step, all taken from the key table.

use std::path::PathBuf;

use super::{MIGRATE_WORD, Review, Run, Stage, Wizard, connect};
use crate::app::gate::{Gate, Typing, Verdict};
use crate::app::keymap::{Action, Context, Key};
use crate::app::keys::{move_choice, scrolled};
use crate::app::msg::{Effect, RequestId};
use crate::app::update::{Effects, after_changes};
use crate::app::{App, Modal};
use crate::migrate::Plan;

/// Scrolls the long pages (plan, progress, summary) with the dialog's scroll keys.
fn scroll(wizard: &mut Wizard, action: Option<Action>) {
    if let Some(moved) = scrolled(usize::from(wizard.scroll), 10, action) {
        wizard.scroll = u16::try_from(moved).unwrap_or(u16::MAX);
    }
}

/// What one key asks of the wizard: the key, and what the key table makes of it in a
/// choice list and in a dialog.
#[derive(Clone, Copy)]
struct Press {
    key: Key,
    choice: Option<Action>,
    dialog: Option<Action>,
}

impl Press {
    /// Back one step (and, while running, stop).
    fn back(self) -> bool {
        self.dialog == Some(Action::Cancel)
    }

    fn confirm(self) -> bool {
        self.dialog == Some(Action::Confirm)
    }
}

/// What a step's key handler leaves: the work to do, and whether the wizard closes.
struct Step {
    effects: Effects,
    closed: bool,
}

impl Step {
    fn stay(effects: Effects) -> Self {
        Self {
            effects,
            closed: false,
        }
    }

    fn close(effects: Effects) -> Self {
        Self {
            effects,
            closed: true,
        }
    }
}

/// The keys of every step. The cancel key goes one step back (and stops a run); the
/// Cancel button leaves.
pub(in crate::app) fn key(app: &mut App, mut wizard: Box<Wizard>, key: Key) -> Effects {
    wizard.hint = None;
    let press = Press {
        key,
        choice: app.keymap.action(Context::Choice, key),
        dialog: app.keymap.action(Context::Dialog, key),
    };
    let stage = std::mem::replace(&mut wizard.stage, Stage::ChooseTarget { selected: 0 });
    let step = match stage {
        Stage::ChooseTarget { selected } => choose_target(app, &mut wizard, selected, press),
        Stage::Connecting { request, name } => connecting(&mut wizard, request, name, press),
        Stage::ChooseHost { selected } => choose_host(app, &mut wizard, selected, press),
        Stage::Planning { request, host } => {
            if press.back() {
                back_to_host(&mut wizard, &host);
            } else {
                wizard.stage = Stage::Planning { request, host };
            }
            Step::stay(Vec::new())
        }
        Stage::Review(review) => reviewing(app, &mut wizard, review, press),
        Stage::Confirm {
            plan,
            plan_file,
            journal,
            gate,
        } => confirming(app, &mut wizard, (plan, plan_file, journal), gate, press),
        Stage::Running(run) => running(&mut wizard, run, press),
        Stage::Summary { run, end } => {
            let leave = press.back()
                || press.confirm()
                || app.keymap.action(Context::Hosts, key) == Some(Action::Quit);
            if leave {
                let mut effects = wizard.release_target();
                effects.extend(after_changes(app));
                Step::close(effects)
            } else {
                wizard.stage = Stage::Summary { run, end };
                scroll(&mut wizard, press.dialog);
                Step::stay(Vec::new())
            }
        }
    };
    if !step.closed {
        app.modal = Some(Modal::Migrate(wizard));
    }
    step.effects
}

fn choose_target(app: &mut App, wizard: &mut Wizard, mut selected: usize, press: Press) -> Step {
    if press.choice == Some(Action::Cancel) {
        return Step::close(wizard.release_target());
    }
    wizard.stage = Stage::ChooseTarget { selected };
    if press.choice == Some(Action::Confirm) {
        let effects = match wizard.targets.get(selected) {
            Some(target) => {
                let name = target.name.clone();
                connect(app, wizard, name)
            }
            None => Vec::new(),
        };
        return Step::stay(effects);
    }
    move_choice(&mut selected, wizard.targets.len(), press.choice);
    wizard.stage = Stage::ChooseTarget { selected };
    Step::stay(Vec::new())
}

fn connecting(wizard: &mut Wizard, request: RequestId, name: String, press: Press) -> Step {
    if press.back() {
        let selected = wizard.targets.iter().position(|t| t.name == name);
        wizard.go(Stage::ChooseTarget {
            selected: selected.unwrap_or_default(),
        });
    } else {
        wizard.stage = Stage::Connecting { request, name };
    }
    Step::stay(Vec::new())
}

fn choose_host(app: &mut App, wizard: &mut Wizard, mut selected: usize, press: Press) -> Step {
    let Some(target) = wizard.target.clone() else {
        // No target is open (its connection went away): choose one again.
        wizard.go(Stage::ChooseTarget { selected: 0 });
        return Step::stay(Vec::new());
    };
    if press.choice == Some(Action::Cancel) {
        let effects = wizard.release_target();
        let selected = wizard.targets.iter().position(|t| t.name == target.name);
        wizard.go(Stage::ChooseTarget {
            selected: selected.unwrap_or_default(),
        });
        return Step::stay(effects);
    }
    if press.choice != Some(Action::Confirm) {
        move_choice(&mut selected, target.hosts.len(), press.choice);
        wizard.stage = Stage::ChooseHost { selected };
        return Step::stay(Vec::new());
    }
    let Some(host) = target.hosts.get(selected) else {
        wizard.hint = Some(format!("'{}' lists no hosts", target.name));
        wizard.stage = Stage::ChooseHost { selected };
        return Step::stay(Vec::new());
    };
    let request = app.request(1);
    let plan = Effect::Plan {
        request,
        volumes: wizard.volumes.iter().map(|(id, _)| id.clone()).collect(),
        from: wizard.from.clone(),
        to: target.name.clone(),
        target_host: host.host.clone(),
        target: target.connection,
    };
    wizard.go(Stage::Planning {
        request,
        host: host.host.clone(),
    });
    Step::stay(vec![plan])
}

fn reviewing(app: &App, wizard: &mut Wizard, review: Review, press: Press) -> Step {
    if press.back() {
        let host = match &review {
            Review::Ready(plan)
            | Review::Refused {
                plan: Some(plan), ..
            } => plan.target_host.clone(),
            _ => String::new(),
        };
        back_to_host(wizard, &host);
        return Step::stay(Vec::new());
    }
    match review {
        Review::Ready(plan) if press.confirm() => {
            let stamp: String = plan
                .created_at
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            let dir = &app.session.migrations_dir;
            wizard.go(Stage::Confirm {
                plan_file: dir.join(format!("{stamp}.json")),
                journal: dir.join(format!("{stamp}.journal.jsonl")),
                plan: Box::new(plan),
                gate: Gate::default(),
            });
        }
        review => {
            if press.confirm() {
                wizard.hint = Some(
                    "this plan cannot be applied: esc to go back, fix the problems, plan again"
                        .to_string(),
                );
            }
            scroll(wizard, press.dialog);
            wizard.stage = Stage::Review(review);
        }
    }
    Step::stay(Vec::new())
}

fn confirming(
    app: &mut App,
    wizard: &mut Wizard,
    (plan, plan_file, journal): (Box<Plan>, PathBuf, PathBuf),
    mut gate: Gate,
    press: Press,
) -> Step {
    if press.back() {
        wizard.go(Stage::Review(Review::Ready(*plan)));
        return Step::stay(Vec::new());
    }
    let count = wizard.volumes.len();
    let accepts = |typed: &str| typed.trim() == MIGRATE_WORD;
    let typing = wizard.needs_typing().then(|| Typing {
        accepts: &accepts,
        hint: format!("type '{MIGRATE_WORD}' to move these {count} volumes"),
    });
    match gate.key(press.dialog, press.key, typing) {
        Verdict::Cancel => Step::close(wizard.release_target()),
        Verdict::Stay => {
            wizard.stage = Stage::Confirm {
                plan,
                plan_file,
                journal,
                gate,
            };
            Step::stay(Vec::new())
        }
        Verdict::Proceed => {
            let request = app.request(1);
            let target = wizard.target.as_ref().map_or(0, |t| t.connection);
            let run = Run::new(request, &plan, plan_file.clone(), journal.clone());
            app.view_mut().rows.nav_mut().clear_marks();
            wizard.go(Stage::Running(run));
            Step::stay(vec![Effect::Migrate {
                request,
                plan,
                plan_file,
                journal,
                target,
            }])
        }
    }
}

fn running(wizard: &mut Wizard, mut run: Run, press: Press) -> Step {
    let mut effects = Vec::new();
    if press.back() && !run.stopping {
        run.stopping = true;
        effects.push(Effect::Stop {
            request: run.request,
        });
    }
    scroll(wizard, press.dialog);
    wizard.stage = Stage::Running(run);
    Step::stay(effects)
}

fn back_to_host(wizard: &mut Wizard, host: &str) {
    let selected = wizard
        .target
        .as_ref()
        .and_then(|t| t.hosts.iter().position(|h| h.host == host));
    wizard.go(Stage::ChooseHost {
        selected: selected.unwrap_or_default(),
    });
}
