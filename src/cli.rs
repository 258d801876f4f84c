//! Command-line interface: global back-end options and noun-verb commands like
//! `openstack`'s. Commands print resources as openstackclient does (`-f`, `-c`, sort) and map failures to exit
//! codes: 0 ok, 1 operation failed, 2 usage, 3 refused (read-only or not confirmed).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::backend::{Backend, Error};
use crate::config::{BackendSpec, ConfigFile, Paths};
use crate::output::{Format, UnknownColumn, View};
use crate::tui::ConsoleOptions;

pub mod audit;
pub mod batch;
pub mod config;
pub mod demo;
pub mod lifecycle;
pub mod migrate;
pub mod resource;
pub mod shell;

pub use resource::{ResourceCommand, run_command};

/// Exit codes.
pub mod exit {
    pub const FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const REFUSED: i32 = 3;
}

/// The version and the commit it was built from (see build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("SNAPPORT_COMMIT"),
    ")"
);

/// snapport: import (manage) and export (unmanage) Cinder snapshots.
#[derive(Debug, Parser)]
#[command(name = "snapport", version = VERSION, propagate_version = true, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options that choose and configure the back end; they go before the command.
#[derive(Debug, Args)]
pub struct Global {
    /// Drive LVM or Ceph RBD on this host directly, with an embedded catalog.
    #[arg(long, conflicts_with_all = ["os_cloud", "backend"])]
    pub local: bool,
    /// The LVM volume group (with --local).
    #[arg(long, requires = "local", value_name = "VG")]
    pub vg: Option<String>,
    /// The Ceph RBD pool (with --local), instead of a volume group.
    #[arg(long, requires = "local", conflicts_with = "vg", value_name = "POOL")]
    pub pool: Option<String>,
    /// The ceph.conf (with --pool); default: $CEPH_CONF or the rbd tool's default.
    #[arg(long, requires = "pool", value_name = "FILE")]
    pub ceph_conf: Option<PathBuf>,
    /// The Ceph client id, without `client.` (with --pool); default: the rbd tool's.
    #[arg(long, requires = "pool", value_name = "ID")]
    pub ceph_user: Option<String>,
    /// Seconds one rbd or ceph call may take (with --pool; default 60).
    #[arg(long, requires = "pool", value_name = "SECS")]
    pub ceph_timeout: Option<u64>,
    /// The catalog file (with --local); default: one per VG or pool in the XDG data dir.
    #[arg(long, requires = "local", value_name = "PATH")]
    pub catalog: Option<PathBuf>,
    /// The `host@backend` this back end calls itself (with --local); default
    /// `<hostname>@lvm` (`@ceph` with --pool).
    #[arg(long, requires = "local", value_name = "HOST")]
    pub backend_host: Option<String>,
    /// A cloud of clouds.yaml (default: $OS_CLOUD).
    #[arg(long, value_name = "NAME", conflicts_with = "backend")]
    pub os_cloud: Option<String>,
    /// A back end named in the config file ([backends.NAME]) or a cloud of clouds.yaml.
    #[arg(long, value_name = "NAME")]
    pub backend: Option<String>,
    /// Refuse every change; enforced in the back-end layer.
    #[arg(long)]
    pub read_only: bool,
    /// The config file (default: config.toml in the XDG config dir).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The console's theme (default, light, high-contrast, or a file).
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(flatten)]
    Resource(ResourceCommand),
    /// Open the console on a throw-away, loop-backed LVM volume group (needs root, lvm2),
    /// or with --rbd on a throw-away single-node Ceph (needs the Ceph packages).
    Demo(DemoArgs),
    /// Move volumes with their snapshots between two back ends that share storage.
    Migrate {
        #[command(subcommand)]
        action: migrate::MigrateAction,
    },
    /// Import from a file; batches left unfinished (killed, crashed): list, resume.
    Batch {
        #[command(subcommand)]
        action: batch::BatchAction,
    },
    /// The audit trail: every import and export attempt, from every path.
    Audit(audit::AuditArgs),
    /// snapport's own files: where they are, what they say (secrets masked), whether
    /// they hold a mistake.
    Config {
        #[command(subcommand)]
        action: config::ConfigAction,
    },
    /// Print a shell completion script (bash, zsh, fish, …).
    Completion(shell::CompletionArgs),
    /// Write the man pages (snapport.1 and one per subcommand) into a directory.
    Man(shell::ManArgs),
}

/// How a command prints what it shows, as openstackclient's `-f` and `-c`.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format: JSON and YAML keep Cinder's field names; `value` prints a row a
    /// line, space-separated.
    #[arg(short = 'f', long = "format", value_enum, default_value_t)]
    pub format: Format,
    /// Show this column, named as in the table's header; repeatable.
    #[arg(short = 'c', long = "column", value_name = "NAME")]
    pub columns: Vec<String>,
}

impl OutputArgs {
    pub fn view(&self) -> View {
        View {
            format: self.format,
            columns: self.columns.clone(),
            ..View::default()
        }
    }
}

/// A listing's output options: `-f`, `-c`, the sort order and the wide columns.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    /// Sort by this column, named as in the table's header; repeatable, the first
    /// one first.
    #[arg(long = "sort-column", value_name = "NAME")]
    pub sort_columns: Vec<String>,
    /// Sort ascending (the default).
    #[arg(long, overrides_with = "sort_descending")]
    pub sort_ascending: bool,
    /// Sort descending.
    #[arg(long, overrides_with = "sort_ascending")]
    pub sort_descending: bool,
    /// Show the wide columns too.
    #[arg(long)]
    pub long: bool,
}

impl ListArgs {
    pub fn view(&self) -> View {
        View {
            sort_columns: self.sort_columns.clone(),
            descending: self.sort_descending,
            long: self.long,
            ..self.output.view()
        }
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the volume group and catalog after exit.
    #[arg(long)]
    pub keep: bool,
    /// A single-node Ceph cluster and an RBD pool instead of LVM; always removed at exit.
    #[arg(long, conflicts_with = "keep")]
    pub rbd: bool,
}

/// A failure with the exit code it deserves.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Self {
            code: exit::USAGE,
            message: message.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        Self {
            code: if err.is_read_only() {
                exit::REFUSED
            } else {
                exit::FAILED
            },
            message: err.to_string(),
        }
    }
}

impl From<UnknownColumn> for Failure {
    fn from(err: UnknownColumn) -> Self {
        Failure::usage(err.to_string())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        match err.downcast::<Error>() {
            Ok(backend) => backend.into(),
            Err(other) => Self {
                code: exit::FAILED,
                message: format!("{other:#}"),
            },
        }
    }
}

impl Global {
    /// The config file, explicit or default.
    pub fn config_file(&self, paths: &Paths) -> Result<ConfigFile, Failure> {
        let (path, required) = self.config_path(paths);
        ConfigFile::load(&path, required).map_err(|err| Failure::usage(err.to_string()))
    }

    /// The config file's path, and whether it must exist (when `--config` names it).
    pub fn config_path(&self, paths: &Paths) -> (PathBuf, bool) {
        match &self.config {
            Some(path) => (path.clone(), true),
            None => (paths.config_file.clone(), false),
        }
    }

    /// The name of the back end `spec` describes, as `migrate resume` will look it up:
    /// `--backend NAME`, the config file's entry for the same back end, or the
    /// `--os-cloud` cloud when the config file does not reuse its name.
    pub fn backend_name(&self, config: &ConfigFile, spec: &BackendSpec) -> Option<String> {
        if let Some(name) = &self.backend {
            return Some(name.clone());
        }
        if let Some((name, _)) = config.backends.iter().find(|(_, named)| *named == spec) {
            return Some(name.clone());
        }
        match spec {
            BackendSpec::Cloud { cloud: Some(cloud) } if !config.backends.contains_key(cloud) => {
                Some(cloud.clone())
            }
            _ => None,
        }
    }

    /// Which back end the options name.
    pub fn backend_spec(&self, config: &ConfigFile) -> Result<BackendSpec, Failure> {
        if self.local {
            if let Some(pool) = &self.pool {
                return Ok(BackendSpec::Rbd {
                    pool: pool.clone(),
                    catalog: self.catalog.clone(),
                    host: self.backend_host.clone(),
                    ceph_conf: self.ceph_conf.clone(),
                    ceph_user: self.ceph_user.clone(),
                    timeout: self.ceph_timeout,
                });
            }
            let vg = self
                .vg
                .clone()
                .ok_or_else(|| Failure::usage("--local needs --vg VG or --pool POOL"))?;
            return Ok(BackendSpec::Local {
                vg,
                catalog: self.catalog.clone(),
                host: self.backend_host.clone(),
                lvm_system_dir: None,
            });
        }
        if let Some(name) = &self.backend {
            return Ok(config.backend(name));
        }
        if self.os_cloud.is_none() {
            let sources = crate::backend::remote::clouds::ConfigSources::from_process();
            if let Err(err) = crate::backend::remote::clouds::load(None, &sources) {
                return Err(Failure::usage(format!(
                    "choose a back end: --local --vg VG, --local --pool POOL, --os-cloud NAME \
                     or --backend NAME ({err})"
                )));
            }
        }
        Ok(BackendSpec::Cloud {
            cloud: self.os_cloud.clone(),
        })
    }
}

/// Asks on the terminal; without one, the answer is no (the caller refuses).
fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok()
        && matches!(answer.trim(), "y" | "Y" | "yes")
}

/// The console's theme and keys from `--theme` and the config file, checked now so
/// that a typo is a clear error on the normal screen.
/// `current` is the open back end's name, for the switcher and the migration wizard;
/// `spec` its description, for batch journals.
fn console_options(
    global: &Global,
    config: &ConfigFile,
    paths: &Paths,
    current: Option<String>,
    spec: Option<BackendSpec>,
) -> Result<ConsoleOptions, Failure> {
    let directory = crate::connect::Directory {
        config: config.clone(),
        config_path: global.config.clone(),
        paths: paths.clone(),
        current,
        spec,
        read_only: global.read_only,
    };
    let options = ConsoleOptions::new(
        global.theme.clone().or_else(|| config.theme.clone()),
        config.keys.clone(),
        Some(paths.log_file()),
        Some(directory),
    );
    options
        .prepare()
        .map_err(|err| Failure::usage(format!("{err:#}")))?;
    Ok(options)
}

/// Opens a back end for a command, with its warnings on stderr (the console shows
/// them itself).
pub(crate) async fn open(
    spec: &BackendSpec,
    paths: &Paths,
    read_only: bool,
) -> Result<Arc<dyn Backend>, Failure> {
    let backend = crate::connect::open(spec, paths, read_only).await?;
    let info = backend.info();
    for warning in &info.warnings {
        eprintln!(
            "{}",
            crate::output::visible(&format!("warning: {}: {warning}", info.label))
        );
    }
    Ok(backend)
}

/// Runs what the command line asks for; without a command, the console.
pub async fn run(cli: Cli, paths: &Paths) -> Result<(), Failure> {
    match cli.command {
        Some(Command::Completion(args)) => {
            shell::completion(args);
            Ok(())
        }
        Some(Command::Man(args)) => shell::man(args),
        Some(Command::Demo(args)) => {
            let config = cli.global.config_file(paths)?;
            let options = console_options(&cli.global, &config, paths, None, None)?;
            demo::run(args, options, paths, cli.global.read_only).await
        }
        Some(Command::Migrate { action }) => migrate::run(&cli.global, paths, action).await,
        Some(Command::Batch { action }) => batch::run(&cli.global, paths, action).await,
        Some(Command::Audit(args)) => audit::run(paths, args),
        Some(Command::Config { action }) => config::run(&cli.global, paths, action),
        Some(Command::Resource(command)) => {
            let config = cli.global.config_file(paths)?;
            let spec = cli.global.backend_spec(&config)?;
            let backend = open(&spec, paths, cli.global.read_only).await?;
            let target = batch::Target {
                backend: backend.as_ref(),
                spec: &spec,
                paths,
            };
            run_command(&target, command).await
        }
        None => {
            let config = cli.global.config_file(paths)?;
            let spec = cli.global.backend_spec(&config)?;
            let name = cli.global.backend_name(&config, &spec);
            let options = console_options(&cli.global, &config, paths, name, Some(spec.clone()))?;
            let backend = crate::connect::open(&spec, paths, cli.global.read_only).await?;
            crate::tui::run(backend, options)
                .await
                .map_err(Failure::from)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(args: &[&str]) -> Global {
        let mut argv = vec!["snapport"];
        argv.extend(args);
        Cli::try_parse_from(argv).unwrap().global
    }

    #[test]
    fn the_open_back_end_is_named_the_way_migrate_resume_finds_it() {
        let config: ConfigFile = toml::from_str(
            "[backends.old]\nkind = \"local\"\nvg = \"vg0\"\n\
             [backends.prod]\nkind = \"cloud\"\ncloud = \"other\"\n",
        )
        .unwrap();
        let name = |args: &[&str]| {
            let global = global(args);
            let spec = global.backend_spec(&config).unwrap();
            global.backend_name(&config, &spec)
        };
        assert_eq!(name(&["--backend", "old"]).as_deref(), Some("old"));
        assert_eq!(
            name(&["--local", "--vg", "vg0"]).as_deref(),
            Some("old"),
            "the config entry that describes the same back end"
        );
        assert_eq!(
            name(&["--local", "--vg", "vg1"]),
            None,
            "no name to resume by"
        );
        assert_eq!(name(&["--os-cloud", "lab"]).as_deref(), Some("lab"));
        assert_eq!(
            name(&["--os-cloud", "prod"]),
            None,
            "'prod' names another back end in the config file"
        );
    }
}
