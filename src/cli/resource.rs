//! The commands on one back end's resources: hosts, volumes and snapshots, listed,
//! imported and exported (created, deleted and retired in `lifecycle`). Several imports
//! or exports run as one journaled batch.

use clap::{Args, Subcommand};
use futures::StreamExt;

use super::batch;
use super::lifecycle::{self, Deleted};
use super::{Failure, ListArgs, OutputArgs, confirm, exit};
use crate::backend::side_effects::export_warning;
use crate::backend::{
    Backend, Driver, ListFilter, ManageSnapshotRequest, ManageVolumeRequest, Metadata, Reference,
    driver_on, parse_property,
};
use crate::migrate::Action;
use crate::output::{self, Tabular};

/// Commands that read or change resources of one back end.
#[derive(Debug, Subcommand)]
pub enum ResourceCommand {
    /// Volume services (back ends).
    Host {
        #[command(subcommand)]
        action: HostAction,
    },
    /// Volumes, and back-end volumes to import.
    Volume {
        #[command(subcommand)]
        action: VolumeAction,
    },
    /// Snapshots, and back-end snapshots to import.
    Snapshot {
        #[command(subcommand)]
        action: SnapshotAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum HostAction {
    /// List volume services with capacity.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ImportFields {
    /// Name of the new resource.
    #[arg(long)]
    pub name: Option<String>,
    /// Description of the new resource.
    #[arg(long)]
    pub description: Option<String>,
    /// Metadata, repeatable.
    #[arg(long = "property", value_name = "KEY=VALUE", value_parser = parse_property)]
    pub properties: Vec<(String, String)>,
}

/// Ids an export or a delete acts on, confirmed and run as one batch.
#[derive(Debug, Args)]
pub struct IdsArgs {
    /// Ids of the volumes or snapshots.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// How many run at once.
    #[arg(long, default_value_t = crate::batch::AT_ONCE, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub concurrency: usize,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum VolumeAction {
    /// List managed volumes.
    List {
        /// Only volumes on this back end.
        #[arg(long)]
        host: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// List volumes on a back end, managed or not.
    Manageable {
        #[arg(long)]
        host: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Import back-end volumes; several `--ref`s run as one journaled batch.
    Manage {
        #[arg(long)]
        host: String,
        /// The back-end name (LV name); repeatable.
        #[arg(long = "ref", value_name = "NAME", required = true)]
        references: Vec<String>,
        #[command(flatten)]
        fields: ImportFields,
        #[command(flatten)]
        run: batch::RunArgs,
    },
    /// Forget volumes, leaving their data on the back end.
    Unmanage(IdsArgs),
    /// Create volumes from a managed snapshot, waiting until they are available.
    Create(lifecycle::CreateArgs),
    /// Delete volumes with their data (Cinder refuses a volume with snapshots).
    Delete(IdsArgs),
    /// Import a volume's unmanaged back-end snapshots, delete all its snapshots, then
    /// delete the volume, as one journaled batch (`batch resume` finishes it).
    Retire(lifecycle::RetireArgs),
}

#[derive(Debug, Subcommand)]
pub enum SnapshotAction {
    /// List managed snapshots.
    List {
        /// Only snapshots of this volume.
        #[arg(long)]
        volume: Option<String>,
        #[command(flatten)]
        list: ListArgs,
    },
    /// List snapshots on a back end, managed or not.
    Manageable {
        #[arg(long)]
        host: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Import back-end snapshots under an existing volume; several `--ref`s run as one
    /// journaled batch.
    Manage {
        /// The parent volume's id.
        #[arg(long)]
        volume: String,
        /// The back-end name (LV name); repeatable.
        #[arg(long = "ref", value_name = "NAME", required = true)]
        references: Vec<String>,
        /// Import even when the snapshot's origin is not this volume.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        fields: ImportFields,
        #[command(flatten)]
        run: batch::RunArgs,
    },
    /// Forget snapshots, leaving their data on the back end.
    Unmanage(IdsArgs),
    /// Delete snapshots with their data.
    Delete(IdsArgs),
}

fn metadata(properties: Vec<(String, String)>) -> Metadata {
    properties.into_iter().collect()
}

#[derive(Clone, Copy)]
enum Resource {
    Volume,
    Snapshot,
}

impl Resource {
    fn noun(self) -> &'static str {
        match self {
            Resource::Volume => "volume",
            Resource::Snapshot => "snapshot",
        }
    }
}

async fn unmanage(
    target: &batch::Target<'_>,
    resource: Resource,
    args: IdsArgs,
) -> Result<(), Failure> {
    let backend = target.backend;
    if !backend.info().read_only {
        if let Resource::Snapshot = resource {
            for (volume_id, driver) in parents(backend, &args.ids).await {
                let warning = export_warning(&driver, &format!("volume {volume_id}"));
                eprintln!("warning: {}", output::visible(&warning));
            }
        }
        let question = format!(
            "Export (unmanage) {} {}(s)? The data stays on the back end.",
            args.ids.len(),
            resource.noun()
        );
        if !args.yes && !confirm(&question) {
            return Err(Failure {
                code: exit::REFUSED,
                message: "not confirmed: pass --yes to unmanage without a terminal".into(),
            });
        }
    }
    let items = args
        .ids
        .into_iter()
        .map(|id| crate::batch::Item {
            label: id.clone(),
            action: match resource {
                Resource::Volume => Action::UnmanageVolume { id },
                Resource::Snapshot => Action::UnmanageSnapshot { id },
            },
        })
        .collect();
    let run = batch::RunArgs {
        no_listing: false,
        concurrency: args.concurrency,
        output: args.output,
    };
    batch::run_items(target, items, false, &run).await
}

/// The parent volumes of the snapshots `ids`, each once, in order, with the driver of
/// their host; ids that cannot be read are left to the export itself to report, and a
/// host that cannot be read counts as an unknown driver.
async fn parents(backend: &dyn Backend, ids: &[String]) -> Vec<(String, Driver)> {
    let parents: Vec<String> = futures::stream::iter(ids)
        .map(|id| backend.snapshot(id))
        .buffered(crate::batch::AT_ONCE)
        .filter_map(|snapshot| async move { snapshot.ok().map(|s| s.volume_id) })
        .collect()
        .await;
    let mut seen = std::collections::HashSet::new();
    let parents: Vec<String> = parents
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    let hosts = backend.hosts().await.unwrap_or_default();
    futures::stream::iter(parents)
        .map(|id| async move {
            let host = backend
                .volume(&id)
                .await
                .ok()
                .and_then(|volume| volume.host);
            (id, host)
        })
        .buffered(crate::batch::AT_ONCE)
        .map(|(id, host)| {
            let driver = driver_on(&hosts, host.as_deref());
            (id, driver)
        })
        .collect()
        .await
}

/// Imports `references`: one reference prints the new resource `one` returns; several
/// run as one journaled batch whose items are named after their references (so that a
/// resumed batch can tell them apart: `--name` is for a single reference).
async fn manage<T: Tabular, R: Into<Action>>(
    target: &batch::Target<'_>,
    references: Vec<String>,
    fields: ImportFields,
    run: &batch::RunArgs,
    request: impl Fn(Reference, Option<String>, Option<String>, Metadata) -> R,
    one: impl AsyncFnOnce(R) -> Result<T, Failure>,
) -> Result<(), Failure> {
    let metadata = metadata(fields.properties);
    if let [reference] = references.as_slice() {
        let view = run.output.view();
        view.check::<T>()?;
        let reference = Reference::name(reference);
        let imported = one(request(
            reference,
            fields.name,
            fields.description,
            metadata,
        ))
        .await?;
        print!("{}", view.one(&imported)?);
        return Ok(());
    }
    if fields.name.is_some() {
        return Err(Failure::usage(
            "--name names one import: with several --ref, each is named after its reference",
        ));
    }
    let items = references
        .into_iter()
        .map(|reference| crate::batch::Item {
            label: reference.clone(),
            action: request(
                Reference::name(&reference),
                Some(reference),
                fields.description.clone(),
                metadata.clone(),
            )
            .into(),
        })
        .collect();
    batch::run_items(target, items, false, run).await
}

/// Runs one non-interactive command against `target`'s back end, printing to stdout.
pub async fn run_command(
    target: &batch::Target<'_>,
    command: ResourceCommand,
) -> Result<(), Failure> {
    let backend = target.backend;
    let printed = match command {
        ResourceCommand::Host {
            action: HostAction::List(f),
        } => f.view().list(&backend.hosts().await?)?,
        ResourceCommand::Volume { action } => match action {
            VolumeAction::List { host, list } => {
                let filter = ListFilter {
                    host,
                    ..ListFilter::default()
                };
                list.view().list(&backend.volumes(&filter).await?)?
            }
            VolumeAction::Manageable { host, list } => list
                .view()
                .list(&backend.manageable_volumes(&host).await?)?,
            VolumeAction::Manage {
                host,
                references,
                fields,
                run,
            } => {
                let request = |reference, name, description, metadata| ManageVolumeRequest {
                    host: host.clone(),
                    reference,
                    name,
                    description,
                    metadata,
                    without_listing: run.no_listing,
                };
                let one = async |request| Ok(backend.manage_volume(&request).await?);
                return manage(target, references, fields, &run, request, one).await;
            }
            VolumeAction::Unmanage(args) => {
                return unmanage(target, Resource::Volume, args).await;
            }
            VolumeAction::Create(args) => return lifecycle::create(target, args).await,
            VolumeAction::Delete(args) => {
                return lifecycle::delete(target, Deleted::Volume, args).await;
            }
            VolumeAction::Retire(args) => return lifecycle::retire(target, args).await,
        },
        ResourceCommand::Snapshot { action } => match action {
            SnapshotAction::List { volume, list } => {
                let filter = ListFilter {
                    volume_id: volume,
                    ..ListFilter::default()
                };
                list.view().list(&backend.snapshots(&filter).await?)?
            }
            SnapshotAction::Manageable { host, list } => list
                .view()
                .list(&backend.manageable_snapshots(&host).await?)?,
            SnapshotAction::Manage {
                volume,
                references,
                force,
                fields,
                run,
            } => {
                let request = |reference, name, description, metadata| ManageSnapshotRequest {
                    volume_id: volume.clone(),
                    reference,
                    name,
                    description,
                    metadata,
                    force,
                    without_listing: run.no_listing,
                };
                let one = async |request| Ok(backend.manage_snapshot(&request).await?);
                return manage(target, references, fields, &run, request, one).await;
            }
            SnapshotAction::Unmanage(args) => {
                return unmanage(target, Resource::Snapshot, args).await;
            }
            SnapshotAction::Delete(args) => {
                return lifecycle::delete(target, Deleted::Snapshot, args).await;
            }
        },
    };
    print!("{printed}");
    Ok(())
}
