//! The commands that make or destroy data rather than move records: volumes created
//! from a snapshot, deletes, and the retirement of a volume with back-end snapshots.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;

use super::batch::{self, RunArgs, Target};
use super::resource::ImportFields;
use super::{Failure, OutputArgs, confirm, exit};
use crate::backend::side_effects::delete_effect;
use crate::backend::{Backend, CreateVolumeRequest, Metadata, Volume};
use crate::batch::Item;
use crate::batch::create::MOST_VOLUMES;
use crate::batch::retire::Survey;
use crate::migrate::Action;
use crate::migrate::plan::IdRef;
use crate::output::visible;

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The managed snapshot the volume is made from.
    #[arg(long, value_name = "ID")]
    pub snapshot: String,
    /// Size in GiB (default: the snapshot's; never less).
    #[arg(long, value_name = "GIB")]
    pub size: Option<u64>,
    /// How many volumes; with more than one, names are numbered (`NAME-1`, `NAME-2`, …).
    #[arg(long, default_value_t = 1, value_parser = clap::builder::RangedU64ValueParser::<u64>::new().range(1..=MOST_VOLUMES))]
    pub count: u64,
    #[command(flatten)]
    pub fields: ImportFields,
    /// How many run at once.
    #[arg(long, default_value_t = crate::batch::AT_ONCE, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub concurrency: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct RetireArgs {
    /// The volume to retire.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Do not ask for the volume's name.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Which kind of record a delete destroys.
#[derive(Debug, Clone, Copy)]
pub enum Deleted {
    Volume,
    Snapshot,
}

fn run_args(concurrency: usize, output: OutputArgs) -> RunArgs {
    RunArgs {
        no_listing: false,
        concurrency,
        output,
    }
}

/// `volume create --snapshot ID`: one volume printed as the resource, several as a
/// journaled batch whose names are numbered.
pub async fn create(target: &Target<'_>, args: CreateArgs) -> Result<(), Failure> {
    let backend = target.backend;
    let metadata: Metadata = args.fields.properties.into_iter().collect();
    let request = |name: Option<String>| CreateVolumeRequest {
        snapshot_id: args.snapshot.clone(),
        name,
        description: args.fields.description.clone(),
        size: args.size,
        metadata: metadata.clone(),
    };
    if args.count == 1 {
        let view = args.output.view();
        view.check::<Volume>()?;
        let bar = batch::progress_bar(1);
        bar.set_message(format!("creating a volume from snapshot {}", args.snapshot));
        let volume = backend
            .create_volume(&request(args.fields.name.clone()))
            .await;
        bar.finish_and_clear();
        print!("{}", view.one(&volume?)?);
        return Ok(());
    }
    let base = match args.fields.name.clone() {
        Some(name) => name,
        None => snapshot_label(backend, &args.snapshot).await,
    };
    let items = crate::batch::create::numbered(&request(None), &base, args.count);
    let run = run_args(args.concurrency, args.output);
    batch::run_items(target, items, false, &run).await
}

/// The snapshot's name, else its id: what numbered volume names start with.
async fn snapshot_label(backend: &dyn Backend, id: &str) -> String {
    backend
        .snapshot(id)
        .await
        .ok()
        .and_then(|snapshot| snapshot.name)
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| id.to_string())
}

/// `snapshot delete` / `volume delete`: confirmed like an export, run as a batch.
pub async fn delete(
    target: &Target<'_>,
    deleted: Deleted,
    args: super::resource::IdsArgs,
) -> Result<(), Failure> {
    let noun = match deleted {
        Deleted::Volume => "volume",
        Deleted::Snapshot => "snapshot",
    };
    if !target.backend.info().read_only {
        let question = format!(
            "Delete {} {noun}(s)? {}.",
            args.ids.len(),
            delete_effect(&format!("each {noun}"))
        );
        if !args.yes && !confirm(&question) {
            return Err(Failure {
                code: exit::REFUSED,
                message: "not confirmed: pass --yes to delete without a terminal".into(),
            });
        }
    }
    let items = args
        .ids
        .into_iter()
        .map(|id| Item {
            label: id.clone(),
            action: match deleted {
                Deleted::Volume => Action::DeleteVolume { id },
                Deleted::Snapshot => Action::DeleteSnapshot {
                    snapshot: IdRef::Id(id),
                },
            },
        })
        .collect();
    let run = run_args(args.concurrency, args.output);
    batch::run_items(target, items, false, &run).await
}

/// `volume retire ID`: prints what stands in the way and the plan, asks for the
/// volume's name (or `--yes`), then runs the plan as a batch in order.
pub async fn retire(target: &Target<'_>, args: RetireArgs) -> Result<(), Failure> {
    let survey = Survey::of(target.backend, &args.id).await?;
    for line in survey.review() {
        eprintln!("{}", visible(&line));
    }
    let blockers = survey.blockers();
    if !blockers.is_empty() {
        for blocker in &blockers {
            eprintln!("{}", visible(&format!("in the way: {blocker}")));
        }
        return Err(Failure {
            code: exit::FAILED,
            message: "nothing was changed: clear what is in the way first".into(),
        });
    }
    if !target.backend.info().read_only && !args.yes && !typed(survey.name()) {
        return Err(Failure {
            code: exit::REFUSED,
            message: "not confirmed: type the volume's name, or pass --yes without a terminal"
                .into(),
        });
    }
    let run = run_args(1, args.output);
    batch::run_items(target, survey.items(), true, &run).await
}

/// Asks for `word` to be typed on the terminal; without one, the answer is no.
fn typed(word: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!(
        "{}",
        visible(&format!("Type the volume's name ({word}) to retire it: "))
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok() && answer.trim() == word
}
