//! `snapport batch …`: imports from a file, and batches (the console's or the command
//! line's) that did not finish, listed and finished from their journals. Every
//! command that changes several items runs them here, as one journaled batch.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::migrate::stop_on_signal;
use super::{Failure, Global, ListArgs, OutputArgs, confirm, exit};
use crate::backend::{self, Backend};
use crate::batch::file::RowOptions;
use crate::batch::{self, Batch, BatchError, BatchJournal, Control, Item, State};
use crate::config::{BackendSpec, Paths};
use crate::journal::{JournalError, StepState};
use crate::migrate::Action;
use crate::output::{Column, Format, Tabular, column, visible};
use crate::pause::PausePoint;

#[derive(Debug, Subcommand)]
pub enum BatchAction {
    /// Import the rows of a file as one batch: CSV with a header or JSON lines, with
    /// kind (snapshot|volume), reference, parent (volume id or host), name,
    /// description, properties (`k=v;k=v` in CSV, an object in JSON).
    Import(ImportArgs),
    /// List the batches that did not finish (journals in the state dir).
    List(ListArgs),
    /// Finish a batch from its journal: check the items in flight on the back end, run
    /// the items never started, print what each item became.
    Resume(ResumeArgs),
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The batch journal (`snapport batch list` shows them).
    #[arg(value_name = "JOURNAL")]
    pub journal: PathBuf,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Import even when a snapshot's origin is not its parent volume.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

/// How a batch runs and reports, for every command that runs one.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Skip the checks that need the host's manageable listing (when it fails or the
    /// driver has none); the others are still made.
    #[arg(long)]
    pub no_listing: bool,
    /// How many items run at once.
    #[arg(long, default_value_t = batch::AT_ONCE, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub concurrency: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Where a command-line batch journals, and the back end it runs on.
pub struct Target<'a> {
    pub backend: &'a dyn Backend,
    pub spec: &'a BackendSpec,
    pub paths: &'a Paths,
}

impl From<BatchError> for Failure {
    fn from(err: BatchError) -> Self {
        match err {
            BatchError::Backend(err) => err.into(),
            BatchError::Journal(JournalError::Format { .. }) => Failure::usage(err.to_string()),
            other => Self {
                code: exit::FAILED,
                message: other.to_string(),
            },
        }
    }
}

/// Runs `snapport batch …`.
pub async fn run(global: &Global, paths: &Paths, action: BatchAction) -> Result<(), Failure> {
    match action {
        BatchAction::Import(args) => import(global, paths, args).await,
        BatchAction::List(args) => list(paths, &args),
        BatchAction::Resume(args) => resume(global, paths, args).await,
    }
}

/// An unfinished batch, as `batch list` shows it.
#[derive(Debug, Serialize)]
struct Unfinished {
    journal: PathBuf,
    backend: String,
    /// Items with an outcome, of `items`.
    done: usize,
    items: usize,
    started_at: String,
}

impl Tabular for Unfinished {
    const COLUMNS: &'static [Column] = &[
        column("JOURNAL", &["journal"]),
        column("BACK END", &["backend"]),
        column("DONE", &["done", "items"]),
        column("STARTED", &["started_at"]),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.journal.display().to_string(),
            self.backend.clone(),
            format!("{}/{}", self.done, self.items),
            self.started_at.clone(),
        ]
    }
}

fn list(paths: &Paths, args: &ListArgs) -> Result<(), Failure> {
    let view = args.view();
    view.check::<Unfinished>()?;
    let journals: Vec<Unfinished> = batch::unfinished(&batch::journals_dir(paths))
        .into_iter()
        .map(|(journal, state)| Unfinished {
            journal,
            backend: state.batch.label.clone(),
            done: state.finished(),
            items: state.items.len(),
            started_at: state.started_at,
        })
        .collect();
    if journals.is_empty() && view.format == Format::Table {
        eprintln!("no unfinished batches");
        return Ok(());
    }
    print!("{}", view.list(&journals)?);
    Ok(())
}

async fn resume(global: &Global, paths: &Paths, args: ResumeArgs) -> Result<(), Failure> {
    let state = BatchJournal::read(&args.journal)?;
    if state.complete {
        eprintln!("nothing to do: the batch is complete");
        return summary(&state, &[], &args.journal);
    }
    let backend = super::open(&state.batch.backend, paths, global.read_only).await?;
    if backend.info().read_only {
        let pending = (1..=state.items.len())
            .filter(|number| !state.has_outcome(*number))
            .map(|number| &state.batch.items[number - 1]);
        return Err(refuse_read_only(
            backend.as_ref(),
            pending,
            "resuming a batch changes the back end: not in read-only mode",
        )
        .await);
    }
    let in_flight = (1..=state.items.len())
        .filter(|n| state.item(*n).needs_reconcile() && !state.has_outcome(*n))
        .count();
    let done = state.finished();
    eprintln!(
        "batch of {} on {}: {done} finished, {in_flight} interrupted (checked on the back \
         end first), {} not started",
        state.items.len(),
        visible(&state.batch.label),
        state.items.len() - done - in_flight
    );
    if !args.yes && !confirm("Finish this batch?") {
        return Err(Failure {
            code: exit::REFUSED,
            message: "not confirmed: pass --yes to resume without a terminal".into(),
        });
    }
    let report = |number: usize, result: &backend::Result<Option<String>>| {
        let label = &state.batch.items[number - 1].label;
        match result {
            Ok(_) => eprintln!("{}", visible(&format!("item {number} ({label}): done"))),
            Err(err) => eprintln!(
                "{}",
                visible(&format!("item {number} ({label}): failed: {err}"))
            ),
        }
    };
    let resumed = controlled(&report, batch::AT_ONCE, async |control| {
        batch::resume(&args.journal, backend.as_ref(), control).await
    })
    .await?;
    let (state, found) = resumed?;
    for number in &found {
        eprintln!(
            "item {number} ({}) was interrupted: it happened; recorded",
            state.batch.items[number - 1].label
        );
    }
    summary(&state, &found, &args.journal)
}

/// Prints what each item became; fails (exit 1) when an item failed or a stop left
/// items to run.
fn summary(state: &State, found: &[usize], journal: &Path) -> Result<(), Failure> {
    let mut failed = 0;
    for (index, item) in state.batch.items.iter().enumerate() {
        let number = index + 1;
        let outcome = state.item(number);
        let line = match (&outcome.done, &outcome.error) {
            (Some(Some(new_id)), _) => format!("{} -> {new_id}", item.label),
            (Some(None), _) if item.action.is_delete() => format!("{}: deleted", item.label),
            (Some(None), _) => format!("{}: exported", item.label),
            (None, Some(error)) => {
                failed += 1;
                format!("{}: failed: {error}", item.label)
            }
            (None, None) => format!("{}: {}", item.label, pending_text(outcome)),
        };
        let note = if found.contains(&number) {
            " (found on the back end)"
        } else {
            ""
        };
        println!("{}", visible(&format!("{line}{note}")));
    }
    let message = if !state.complete {
        unfinished_message(state, journal)
    } else if failed > 0 {
        format!("{failed} of {} item(s) failed", state.items.len())
    } else {
        return Ok(());
    };
    Err(Failure {
        code: exit::FAILED,
        message,
    })
}

async fn import(global: &Global, paths: &Paths, args: ImportArgs) -> Result<(), Failure> {
    let text = if args.file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| Failure::usage(format!("standard input: {err}")))?;
        text
    } else {
        std::fs::read_to_string(&args.file)
            .map_err(|err| Failure::usage(format!("{}: {err}", args.file.display())))?
    };
    let options = RowOptions {
        force: args.force,
        without_listing: args.run.no_listing,
    };
    let items = batch::file::parse(&text, options)
        .map_err(|err| Failure::usage(format!("{}: {err}", args.file.display())))?;
    let config = global.config_file(paths)?;
    let spec = global.backend_spec(&config)?;
    let backend = super::open(&spec, paths, global.read_only).await?;
    let target = Target {
        backend: backend.as_ref(),
        spec: &spec,
        paths,
    };
    run_items(&target, items, false, &args.run).await
}

/// Runs `items` as one journaled batch (`in_order`: one at a time, stopping at the
/// first failure, see [`Batch::in_order`]), a progress bar on a terminal's stderr, then
/// prints what each item became, in input order. Fails (exit 1) when an item failed
/// or a stop left items to run; a read-only session is refused before anything.
pub async fn run_items(
    target: &Target<'_>,
    items: Vec<Item>,
    in_order: bool,
    run: &RunArgs,
) -> Result<(), Failure> {
    run.output.view().check::<ItemResult>()?;
    if target.backend.info().read_only {
        return Err(refuse_read_only(
            target.backend,
            &items,
            "ReadOnly: this session is read-only; nothing was changed",
        )
        .await);
    }
    let dir = batch::journals_dir(target.paths);
    std::fs::create_dir_all(&dir).map_err(|err| Failure {
        code: exit::FAILED,
        message: format!("cannot create {}: {err}", dir.display()),
    })?;
    let path = batch::new_journal_path(&dir);
    let bar = progress_bar(items.len());
    let report = |_: usize, _: &backend::Result<Option<String>>| bar.inc(1);
    let batch = Batch {
        backend: target.spec.clone(),
        label: target.backend.info().label,
        items,
        in_order,
    };
    tracing::info!(journal = %path.display(), items = batch.items.len(), "batch starts");
    let started = controlled(&report, run.concurrency, async |control| {
        batch::start(&path, batch, target.backend, control).await
    })
    .await?;
    bar.finish_and_clear();
    let state = started?;
    match run.output.format {
        Format::Table if run.output.columns.is_empty() => print_results(&state),
        _ => print!("{}", run.output.view().list(&item_results(&state))?),
    }
    outcome(&state, &path)
}

/// The refusal of `items` in a read-only session. Each item still goes to the back
/// end, whose read-only layer refuses it before anything is sent, so that the audit
/// trail records every refused attempt.
async fn refuse_read_only<'a>(
    backend: &dyn Backend,
    items: impl IntoIterator<Item = &'a Item>,
    message: &str,
) -> Failure {
    for item in items {
        let _ = crate::migrate::apply::execute(backend, &item.action).await;
    }
    Failure {
        code: exit::REFUSED,
        message: message.into(),
    }
}

/// Runs `body` with the control every command-line batch gets: the test pause point
/// from the environment, and a stop flag set by SIGINT or SIGTERM.
async fn controlled<T>(
    report: batch::run::Report<'_>,
    at_once: usize,
    body: impl AsyncFnOnce(Control<'_>) -> T,
) -> Result<T, Failure> {
    let pause = PausePoint::from_env(&[batch::PAUSE_SCOPE]);
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = stop_on_signal(stop.clone())?;
    let control = Control {
        pause: pause.as_ref(),
        stop: &stop,
        report,
        at_once,
    };
    let result = body(control).await;
    watcher.abort();
    Ok(result)
}

/// A bar of `len` steps on stderr when it is a terminal, hidden otherwise.
pub(crate) fn progress_bar(len: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {wide_msg}") {
        bar.set_style(style);
    }
    bar
}

/// One object per item in input order: the reference (the id for an export), the new
/// resource's `id` when an import worked, the `error` when the item failed.
/// What one item of a batch became, for `-f json|yaml|csv|value`: the reference an
/// import or the name a create started from, the id (new, or the one exported or
/// deleted), or the error.
#[derive(Debug, Serialize)]
struct ItemResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Tabular for ItemResult {
    const COLUMNS: &'static [Column] = &[
        column("Reference", &["reference"]),
        column("Name", &["name"]),
        column("ID", &["id"]),
        column("Error", &["error"]),
    ];

    fn cells(&self) -> Vec<String> {
        [&self.reference, &self.name, &self.id, &self.error]
            .map(|cell| cell.clone().unwrap_or_default())
            .to_vec()
    }
}

fn item_results(state: &State) -> Vec<ItemResult> {
    state
        .batch
        .items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let outcome = state.item(index + 1);
            let label = Some(item.label.clone());
            let (reference, name, id) = match &item.action {
                action if action.is_manage() => (label, None, None),
                Action::CreateVolume { .. } => (None, label, None),
                _ => (None, None, label),
            };
            let mut result = ItemResult {
                reference,
                name,
                id,
                error: None,
            };
            match (&outcome.done, &outcome.error) {
                (Some(Some(new_id)), _) => result.id = Some(new_id.clone()),
                (Some(None), _) => {}
                (None, Some(error)) => result.error = Some(error.clone()),
                (None, None) => result.error = Some(pending_text(outcome)),
            }
            result
        })
        .collect()
}

/// A line per item in input order: imports as `reference -> new id` on stdout, exports
/// as today's sentence; failures on stderr.
fn print_results(state: &State) {
    for (index, item) in state.batch.items.iter().enumerate() {
        let outcome = state.item(index + 1);
        match (&outcome.done, &outcome.error) {
            (Some(Some(new_id)), _) => {
                println!("{}", visible(&format!("{} -> {new_id}", item.label)))
            }
            (Some(None), _) if item.action.is_delete() => {
                println!("{}", visible(&format!("{}: deleted", item.label)))
            }
            (Some(None), _) => println!(
                "{} unmanaged; its data stays on the back end",
                item.action.describe().trim_start_matches("unmanage ")
            ),
            (None, Some(error)) => {
                eprintln!("{}", visible(&format!("error: {}: {error}", item.label)))
            }
            (None, None) => eprintln!(
                "{}",
                visible(&format!("error: {}: {}", item.label, pending_text(outcome)))
            ),
        }
    }
}

/// Exit 1 when an item failed (each was named already) or a stop left items to run.
fn outcome(state: &State, journal: &Path) -> Result<(), Failure> {
    if !state.complete {
        return Err(Failure {
            code: exit::FAILED,
            message: unfinished_message(state, journal),
        });
    }
    let failed = (1..=state.items.len())
        .filter(|number| state.item(*number).error.is_some())
        .count();
    if failed == 0 {
        return Ok(());
    }
    Err(Failure {
        code: exit::FAILED,
        message: String::new(),
    })
}

/// What became of an item without an outcome: its answer was lost, or it never ran.
fn pending_text(outcome: &StepState) -> String {
    match &outcome.unknown {
        Some(error) => format!("outcome unknown: {error}"),
        None => "not run: the batch was stopped".into(),
    }
}

/// Why a batch is not complete, and the command that finishes it.
fn unfinished_message(state: &State, journal: &Path) -> String {
    let resume = format!("`snapport batch resume {}`", journal.display());
    match state.unanswered() {
        0 => format!("stopped before every item ran: continue with {resume}"),
        lost => format!(
            "{lost} item(s) got no answer from the back end: {resume} looks for them there \
             before sending anything again"
        ),
    }
}
