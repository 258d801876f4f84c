//! `snapport config path|show|check`: where snapport's files are, the configuration in
//! effect with its secrets masked, and a check that names the first problem with its
//! file and line, before the console or a command trips over it.

use std::path::PathBuf;

use clap::Subcommand;
use serde::Serialize;

use super::{Failure, Global, ListArgs, OutputArgs, exit};
use crate::app::keymap::{Keymap, KeymapError};
use crate::backend::remote::clouds::{CloudFile, CloudFiles, ConfigSources};
use crate::config::check::{Located, Problem, check_clouds};
use crate::config::{ConfigFile, Paths};
use crate::output::{Column, Format, Tabular, column, structured};
use crate::tui::theme::Theme;

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Where each file is read from or written to, and whether it exists: the config
    /// file, clouds.yaml, secure.yaml, the local back ends' catalogs, the log, the
    /// audit trail, the journals.
    Path(ListArgs),
    /// The configuration in effect: the config file, and the clouds of clouds.yaml
    /// merged with secure.yaml (and the `OS_*` variables' cloud), secrets masked.
    Show(OutputArgs),
    /// Parse every file and check what otherwise shows up only later (a back end's
    /// cloud or ceph.conf, a key's action, the theme); name the first problem with its
    /// file and line, and exit 1.
    Check,
}

/// Runs `snapport config …`.
pub fn run(global: &Global, paths: &Paths, action: ConfigAction) -> Result<(), Failure> {
    let sources = ConfigSources::from_process();
    match action {
        ConfigAction::Path(args) => {
            let locations = locations(global, paths, &sources)?;
            print!("{}", args.view().list(&locations)?);
            Ok(())
        }
        ConfigAction::Show(args) => show(global, paths, &sources, &args),
        ConfigAction::Check => {
            let summary = check(global, paths, &sources).map_err(|problem| Failure {
                code: exit::FAILED,
                message: problem.to_string(),
            })?;
            print!("{summary}");
            Ok(())
        }
    }
}

/// One of snapport's files or directories.
#[derive(Debug, Serialize)]
struct Location {
    file: String,
    path: Option<PathBuf>,
    exists: bool,
    note: String,
}

impl Location {
    fn new(file: &str, path: PathBuf, note: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            exists: path.exists(),
            path: Some(path),
            note: note.into(),
        }
    }
}

impl Tabular for Location {
    const COLUMNS: &'static [Column] = &[
        column("File", &["file"]),
        column("Path", &["path"]),
        column("Exists", &["exists"]),
        column("Note", &["note"]),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.file.clone(),
            self.path
                .as_ref()
                .map(|path| path.display().to_string())
                .unwrap_or_default(),
            self.exists.to_string(),
            self.note.clone(),
        ]
    }
}

/// Where each file is, as the rest of snapport finds it with the same options and
/// environment.
fn locations(
    global: &Global,
    paths: &Paths,
    sources: &ConfigSources,
) -> Result<Vec<Location>, Failure> {
    let (config_path, named) = global.config_path(paths);
    let mut note = if named { "--config" } else { "default" }.to_string();
    // A config file with a mistake still has a place; its back ends' catalogs wait.
    let config = global.config_file(paths).unwrap_or_else(|_| {
        note += "; not usable: `snapport config check` says why";
        ConfigFile::default()
    });
    let mut locations = vec![Location::new("config", config_path, note)];
    locations.extend([CloudFile::Clouds, CloudFile::Secure].map(|file| cloud_file(file, sources)));
    let mut local = Vec::new();
    if global.local {
        local.push(("--local".to_string(), global.backend_spec(&config)?));
    }
    local.extend(
        config
            .backends
            .iter()
            .map(|(name, spec)| (format!("[backends.{name}]"), spec.clone())),
    );
    for (name, spec) in local {
        if let Some(catalog) = spec.catalog(paths)
            && !locations
                .iter()
                .any(|known| known.path.as_ref() == Some(&catalog))
        {
            let note = format!("{name}: {}", spec.describe());
            locations.push(Location::new("catalog", catalog, note));
        }
    }
    locations.extend([
        Location::new("log", paths.log_file(), "SNAPPORT_LOG sets the level"),
        Location::new(
            "audit",
            paths.audit_file(),
            "every import and export attempt",
        ),
        Location::new(
            "batch journals",
            crate::batch::journals_dir(paths),
            "`snapport batch list` shows the unfinished",
        ),
        Location::new(
            "migration journals",
            paths.migrations_dir(),
            "the console's; `migrate apply` writes its journal beside the plan",
        ),
    ]);
    Ok(locations)
}

/// clouds.yaml or secure.yaml where openstack finds it, or where it was looked for.
fn cloud_file(file: CloudFile, sources: &ConfigSources) -> Location {
    let named = sources.var(file.variable()).map(PathBuf::from);
    if let Some(path) = file.find(sources) {
        let note = if named.as_ref() == Some(&path) {
            file.variable().to_string()
        } else {
            "openstack's search path".to_string()
        };
        return Location::new(file.name(), path, note);
    }
    let searched: Vec<String> = sources
        .dirs
        .iter()
        .map(|dir| dir.display().to_string())
        .collect();
    Location {
        file: file.name().into(),
        exists: false,
        path: named,
        note: format!("not found in {}", searched.join(", ")),
    }
}

/// One setting of `config show` as a table shows it: its dotted path and its value.
#[derive(Debug, Serialize)]
struct Setting {
    field: String,
    value: String,
}

impl Tabular for Setting {
    const COLUMNS: &'static [Column] = &[column("Field", &["field"]), column("Value", &["value"])];

    fn cells(&self) -> Vec<String> {
        vec![self.field.clone(), self.value.clone()]
    }
}

/// The configuration in effect, secrets masked.
#[derive(Debug, Serialize)]
struct Shown {
    config_file: PathBuf,
    #[serde(flatten)]
    config: ConfigFile,
    clouds_files: Vec<PathBuf>,
    clouds: serde_yaml_ng::Mapping,
}

fn show(
    global: &Global,
    paths: &Paths,
    sources: &ConfigSources,
    args: &OutputArgs,
) -> Result<(), Failure> {
    let view = args.view();
    view.check::<Setting>()?;
    let mut config = global.config_file(paths)?;
    config.theme = Some(
        global
            .theme
            .clone()
            .or(config.theme)
            .unwrap_or_else(|| "default".into()),
    );
    let clouds = CloudFiles::read(sources).map_err(|err| Failure::usage(err.to_string()))?;
    let shown = Shown {
        config_file: global.config_path(paths).0,
        config,
        clouds_files: clouds.paths(),
        clouds: clouds.masked(sources),
    };
    let document = serde_json::to_value(&shown).map_err(|err| Failure {
        code: exit::FAILED,
        message: format!("cannot show the configuration: {err}"),
    })?;
    match args.format {
        Format::Json | Format::Yaml if args.columns.is_empty() => {
            print!("{}", structured(&document, args.format))
        }
        _ => {
            let mut settings = Vec::new();
            flatten("", &document, &mut settings);
            print!("{}", view.list(&settings)?);
        }
    }
    Ok(())
}

/// The leaves of `value`, each under its dotted path (`clouds.prod.auth.username`,
/// `clouds_files[0]`); nulls and empty tables are left out.
fn flatten(path: &str, value: &serde_json::Value, out: &mut Vec<Setting>) {
    match value {
        serde_json::Value::Object(object) => {
            for (key, value) in object {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                flatten(&path, value, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                flatten(&format!("{path}[{index}]"), item, out);
            }
        }
        serde_json::Value::Null => {}
        serde_json::Value::String(text) => out.push(Setting {
            field: path.into(),
            value: text.clone(),
        }),
        other => out.push(Setting {
            field: path.into(),
            value: other.to_string(),
        }),
    }
}

/// Parses every file, then checks what the parsers cannot: the theme, the keys, every
/// cloud, the back ends' clouds and files. The first problem, or a summary of what was
/// read.
fn check(global: &Global, paths: &Paths, sources: &ConfigSources) -> Result<String, Problem> {
    let (path, required) = global.config_path(paths);
    let located = Located::load(&path, required)?;
    let clouds = CloudFiles::read(sources)?;
    let config = &located.config;
    let theme = global.theme.as_deref().or(config.theme.as_deref());
    Theme::load(theme, false).map_err(|err| match &global.theme {
        Some(_) => Problem::new(format!("--theme: {err}")),
        None => located.theme(err.to_string()),
    })?;
    Keymap::with_overrides(&config.keys).map_err(|err| key_problem(&located, err))?;
    check_clouds(&clouds, sources)?;
    located.check_backends(sources)?;

    let config_line = if path.exists() {
        format!(
            "{}: {} back end(s), {} key override(s), theme {}",
            path.display(),
            config.backends.len(),
            config.keys.len(),
            theme.unwrap_or("default")
        )
    } else {
        format!("{}: not there, the defaults apply", path.display())
    };
    let files: Vec<String> = clouds
        .paths()
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    let clouds_line = if files.is_empty() {
        "no clouds.yaml found".to_string()
    } else {
        format!("{}: {} cloud(s)", files.join(", "), clouds.names().len())
    };
    Ok(format!("ok: {config_line}\nok: {clouds_line}\n"))
}

/// A refused `[keys]` entry, at the line of the override it comes from.
fn key_problem(located: &Located, err: KeymapError) -> Problem {
    let named: Vec<&str> = match &err {
        KeymapError::UnknownAction(action, _) | KeymapError::BadKey { action, .. } => {
            vec![action]
        }
        KeymapError::Conflict { first, second, .. } => vec![second, first],
        KeymapError::Reserved { action, .. } => vec![action],
    };
    let action = named
        .into_iter()
        .find(|action| located.config.keys.contains_key(*action))
        .unwrap_or_default();
    located.key(action, err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_names_each_leaf_by_its_path() {
        let document = serde_json::json!({
            "theme": "light",
            "keys": {},
            "backends": {"old": {"kind": "local", "vg": "vg0", "catalog": null, "timeout": 5}},
            "clouds_files": ["/a/clouds.yaml", "/a/secure.yaml"],
        });
        let mut settings = Vec::new();
        flatten("", &document, &mut settings);
        let pairs: Vec<(&str, &str)> = settings
            .iter()
            .map(|s| (s.field.as_str(), s.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("backends.old.kind", "local"),
                ("backends.old.timeout", "5"),
                ("backends.old.vg", "vg0"),
                ("clouds_files[0]", "/a/clouds.yaml"),
                ("clouds_files[1]", "/a/secure.yaml"),
                ("theme", "light"),
            ]
        );
    }
}
