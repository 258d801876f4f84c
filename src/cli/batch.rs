//! `snapport batch …`: the console's import and export batches that a killed console
//! left unfinished, listed and finished from their journals.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use clap::{Args, Subcommand};

use super::migrate::stop_on_signal;
use super::{Failure, Global, confirm, exit};
use crate::backend;
use crate::batch::{self, BatchError, BatchJournal, Control, PausePoint, State};
use crate::config::Paths;
use crate::journal::JournalError;
use crate::output;

#[derive(Debug, Subcommand)]
pub enum BatchAction {
    /// List the console's batches that did not finish (journals in the state dir).
    List,
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
        BatchAction::List => {
            list(paths);
            Ok(())
        }
        BatchAction::Resume(args) => resume(global, paths, args).await,
    }
}

fn list(paths: &Paths) {
    let journals = batch::unfinished(&batch::journals_dir(paths));
    if journals.is_empty() {
        eprintln!("no unfinished batches");
        return;
    }
    let rows: Vec<Vec<String>> = journals
        .iter()
        .map(|(path, state)| {
            vec![
                path.display().to_string(),
                state.batch.label.clone(),
                format!("{}/{}", state.finished(), state.items.len()),
                state.started_at.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        output::table(&["JOURNAL", "BACK END", "DONE", "STARTED"], &rows)
    );
}

async fn resume(global: &Global, paths: &Paths, args: ResumeArgs) -> Result<(), Failure> {
    let state = BatchJournal::read(&args.journal)?;
    if state.complete {
        eprintln!("nothing to do: the batch is complete");
        return summary(&state, &[], &args.journal);
    }
    let backend = crate::connect::open(&state.batch.backend, paths, global.read_only).await?;
    if backend.info().read_only {
        return Err(Failure {
            code: exit::REFUSED,
            message: "resuming a batch changes the back end: not in read-only mode".into(),
        });
    }
    let in_flight = (1..=state.items.len())
        .filter(|n| state.item(*n).needs_reconcile() && !state.has_outcome(*n))
        .count();
    let done = state.finished();
    eprintln!(
        "batch of {} on {}: {done} finished, {in_flight} interrupted (checked on the back \
         end first), {} not started",
        state.items.len(),
        state.batch.label,
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
            Ok(_) => eprintln!("item {number} ({label}): done"),
            Err(err) => eprintln!("item {number} ({label}): failed: {err}"),
        }
    };
    let pause = PausePoint::from_env();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = stop_on_signal(stop.clone())?;
    let control = Control {
        pause: pause.as_ref(),
        stop: &stop,
        report: &report,
    };
    let resumed = batch::resume(&args.journal, backend.as_ref(), control).await;
    watcher.abort();
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
            (Some(None), _) => format!("{}: exported", item.label),
            (None, Some(error)) => {
                failed += 1;
                format!("{}: failed: {error}", item.label)
            }
            (None, None) => format!("{}: not run yet", item.label),
        };
        let note = if found.contains(&number) {
            " (found on the back end)"
        } else {
            ""
        };
        println!("{line}{note}");
    }
    let message = if !state.complete {
        format!(
            "stopped before every item ran: continue with `snapport batch resume {}`",
            journal.display()
        )
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
