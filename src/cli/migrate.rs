//! `snapport migrate …`: plan, apply, resume, roll back and report a migration between
//! two named back ends. The engine is `crate::migrate`; this module only talks to the
//! operator (stderr for progress, stdout for results) and maps outcomes to exit codes.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, Subcommand, ValueEnum};

use super::{Failure, Global, confirm, exit};
use crate::backend::Backend;
use crate::config::{ConfigFile, Paths};
use crate::migrate::apply::{self, Event, Options, Outcome, PausePoint, Prepared};
use crate::migrate::journal::{Journal, Phase, State};
use crate::migrate::plan::Plan;
use crate::migrate::{IdMap, MigrateError, describe, service};
use crate::output::visible;

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Check volumes and write the plan that moves them with their snapshots.
    Plan(PlanArgs),
    /// Carry out a plan, journaling every step.
    Apply(ApplyArgs),
    /// Finish an interrupted migration from its journal.
    Resume(JournalArgs),
    /// Undo a migration from its journal: manage on the source again what was moved.
    Rollback(JournalArgs),
    /// Show a migration's id map (old id -> new id).
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The back end the volumes leave ([backends.NAME] or a clouds.yaml cloud).
    #[arg(long, value_name = "NAME")]
    pub from: String,
    /// The back end the volumes arrive on.
    #[arg(long, value_name = "NAME")]
    pub to: String,
    /// The target's `host@backend[#pool]` that manages the volumes.
    #[arg(long, value_name = "HOST")]
    pub target_host: String,
    /// Write the plan here (default: stdout).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Volumes to move, with all their snapshots.
    #[arg(required = true, value_name = "VOLUME_ID")]
    pub volumes: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Volumes moved at the same time.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan file from `migrate plan`.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// The journal to write (default: PLAN with extension .journal.jsonl).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct JournalArgs {
    /// The journal of the migration.
    #[arg(value_name = "JOURNAL")]
    pub journal: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
}

/// How `migrate report` prints the id map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The journal of the migration.
    #[arg(value_name = "JOURNAL")]
    pub journal: PathBuf,
    /// Output format.
    #[arg(short = 'f', long = "format", value_enum, default_value_t)]
    pub format: ReportFormat,
}

impl From<MigrateError> for Failure {
    fn from(err: MigrateError) -> Self {
        match err {
            MigrateError::Backend(err) => err.into(),
            MigrateError::JournalExists(_) | MigrateError::Format { .. } => {
                Failure::usage(err.to_string())
            }
            other => Self {
                code: exit::FAILED,
                message: other.to_string(),
            },
        }
    }
}

/// The two sides of a migration, opened by name.
struct Sides {
    source: Arc<dyn Backend>,
    target: Arc<dyn Backend>,
}

async fn open_sides(
    global: &Global,
    paths: &Paths,
    from: &str,
    to: &str,
    read_only: bool,
) -> Result<Sides, Failure> {
    let config: ConfigFile = global.config_file(paths)?;
    let source = super::open(&config.backend(from), paths, read_only).await?;
    let target = super::open(&config.backend(to), paths, read_only).await?;
    if !read_only && (source.info().read_only || target.info().read_only) {
        return Err(Failure {
            code: exit::REFUSED,
            message: "a migration changes both back ends: not in read-only mode".into(),
        });
    }
    Ok(Sides { source, target })
}

/// Runs `snapport migrate …`.
pub async fn run(global: &Global, paths: &Paths, action: MigrateAction) -> Result<(), Failure> {
    match action {
        MigrateAction::Plan(args) => plan(global, paths, args).await,
        MigrateAction::Apply(args) => {
            let plan = Plan::load(&args.plan)?;
            let journal = args
                .journal
                .unwrap_or_else(|| args.plan.with_extension("journal.jsonl"));
            let sides = open_sides(global, paths, &plan.from, &plan.to, global.read_only).await?;
            let prepared = apply::prepare_apply(plan, &journal, sides.source, sides.target).await?;
            carry_out(prepared, &args.run).await
        }
        MigrateAction::Resume(args) => continue_journal(global, paths, args, Phase::Forward).await,
        MigrateAction::Rollback(args) => {
            continue_journal(global, paths, args, Phase::Rollback).await
        }
        MigrateAction::Report(args) => {
            let map = IdMap::from_state(&Journal::read(&args.journal)?);
            print!(
                "{}",
                match args.format {
                    ReportFormat::Table => map.summary(),
                    ReportFormat::Json => map.to_json(),
                    ReportFormat::Csv => map.to_csv(),
                }
            );
            Ok(())
        }
    }
}

async fn plan(global: &Global, paths: &Paths, args: PlanArgs) -> Result<(), Failure> {
    let sides = open_sides(global, paths, &args.from, &args.to, true).await?;
    let both = crate::migrate::preflight::Sides {
        source: sides.source.as_ref(),
        target: sides.target.as_ref(),
    };
    let plan = match service::review(both, &args.volumes, &args.from, &args.to, &args.target_host)
        .await?
    {
        service::Review::Ready(plan) => plan,
        service::Review::Refused { problems, .. } => {
            return Err(MigrateError::Preflight(problems).into());
        }
    };
    match &args.output {
        Some(path) => {
            plan.save(path)?;
            eprintln!("preflight passed; plan written to {}", path.display());
        }
        None => print!("{}", plan.to_json()),
    }
    eprint!(
        "{}",
        visible(&describe::changes(&plan, &plan.chains(), Phase::Forward))
    );
    Ok(())
}

async fn continue_journal(
    global: &Global,
    paths: &Paths,
    args: JournalArgs,
    phase: Phase,
) -> Result<(), Failure> {
    let state = Journal::read(&args.journal)?;
    let sides = open_sides(
        global,
        paths,
        &state.plan.from,
        &state.plan.to,
        global.read_only,
    )
    .await?;
    let events = |event| print_event(&state.plan, event);
    let prepared = match phase {
        Phase::Forward => {
            apply::prepare_resume(&args.journal, sides.source, sides.target, &events).await?
        }
        Phase::Rollback => {
            apply::prepare_rollback(&args.journal, sides.source, sides.target, &events).await?
        }
    };
    if prepared.chains().is_empty() {
        eprintln!("nothing to do: every step is done");
        return finish(
            &args.journal,
            &Journal::read(&args.journal)?,
            &Outcome::default(),
        );
    }
    carry_out(prepared, &args.run).await
}

/// Shows what will change, asks, runs with progress on stderr and Ctrl-C handling,
/// then writes the id map next to the journal.
async fn carry_out(prepared: Prepared, run: &RunArgs) -> Result<(), Failure> {
    eprint!(
        "{}",
        visible(&describe::changes(
            prepared.plan(),
            prepared.chains(),
            prepared.phase()
        ))
    );
    eprintln!("journal: {}", prepared.journal_path().display());
    if !run.yes && !confirm("Carry out these steps?") {
        return Err(Failure {
            code: exit::REFUSED,
            message: "not confirmed: pass --yes to migrate without a terminal".into(),
        });
    }
    let journal = prepared.journal_path().to_path_buf();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = stop_on_signal(stop.clone())?;
    let options = Options {
        concurrency: usize::from(run.concurrency),
        pause: PausePoint::from_env(&apply::PAUSE_SCOPES),
    };
    let plan = prepared.plan().clone();
    let events = |event| print_event(&plan, event);
    let result = service::run(prepared, &options, &events, &stop).await;
    watcher.abort();
    let finished = result?;
    print!("{}", visible(&finished.map.summary()));
    let (json, csv) = finished.reports?;
    eprintln!("id map: {} and {}", json.display(), csv.display());
    match finished.error {
        Some(err) => Err(err.into()),
        None => unless_unfinished(&finished.outcome, &journal),
    }
}

/// Sets `stop` on SIGINT or SIGTERM: the run (a migration's or a batch's) ends after
/// the work in flight. The handlers are in place when this returns.
pub(super) fn stop_on_signal(
    stop: Arc<AtomicBool>,
) -> Result<tokio::task::JoinHandle<()>, Failure> {
    use tokio::signal::unix::{SignalKind, signal};
    let handler = |kind| {
        signal(kind).map_err(|err| Failure {
            code: exit::FAILED,
            message: format!("cannot handle signals: {err}"),
        })
    };
    let mut interrupt = handler(SignalKind::interrupt())?;
    let mut terminate = handler(SignalKind::terminate())?;
    Ok(tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        stop.store(true, Ordering::SeqCst);
        eprintln!("stopping once the work in flight is done (the journal stays consistent)");
    }))
}

/// Prints the id map of a journal that needs nothing more and writes it beside it.
fn finish(journal: &Path, state: &State, outcome: &Outcome) -> Result<(), Failure> {
    let map = IdMap::from_state(state);
    let (json, csv) = map.write_next_to(journal)?;
    print!("{}", visible(&map.summary()));
    eprintln!("id map: {} and {}", json.display(), csv.display());
    unless_unfinished(outcome, journal)
}

/// Exit 1, naming what is left and how to finish or undo it, unless every step is done.
fn unless_unfinished(outcome: &Outcome, journal: &Path) -> Result<(), Failure> {
    if outcome.complete() {
        return Ok(());
    }
    Err(Failure {
        code: exit::FAILED,
        message: describe::unfinished(outcome, journal, "snapport").join("\n"),
    })
}

/// Prints progress events on stderr, naming the sides as the plan does.
fn print_event(plan: &Plan, event: Event) {
    eprintln!("{}", visible(&describe::event(plan, event)));
}
