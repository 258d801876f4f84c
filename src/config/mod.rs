//! Where snapport keeps its files (XDG), and its config file: named back ends for
//! `--backend`, migration and the console's switcher, the theme and key overrides.

pub mod check;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use check::{Position, place};

/// Why the config file could not be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {}: {message}", place(.path, *.position))]
    Parse {
        path: PathBuf,
        /// Where the parser stopped, when it says.
        position: Option<Position>,
        message: String,
    },
    #[error("no back end named '{0}' in the config file (tables [backends.NAME])")]
    UnknownBackend(String),
    #[error("cannot determine a home directory for snapport's files")]
    NoHome,
}

/// snapport's directories, following the XDG base directory spec.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_file: PathBuf,
    pub data_dir: PathBuf,
    pub state_dir: PathBuf,
}

impl Paths {
    /// The XDG locations (`~/.config/snapport`, `~/.local/share/snapport`,
    /// `~/.local/state/snapport`).
    pub fn discover() -> Result<Self, ConfigError> {
        let dirs = directories::ProjectDirs::from("", "", "snapport").ok_or(ConfigError::NoHome)?;
        Ok(Self {
            config_file: dirs.config_dir().join("config.toml"),
            data_dir: dirs.data_dir().to_path_buf(),
            state_dir: dirs
                .state_dir()
                .unwrap_or_else(|| dirs.data_local_dir())
                .to_path_buf(),
        })
    }

    /// The default catalog of a volume group: one catalog per VG.
    pub fn default_catalog(&self, vg: &str) -> PathBuf {
        self.data_dir.join(format!("catalog-{vg}.sqlite"))
    }

    /// The default catalog of a Ceph pool: one catalog per pool.
    pub fn default_rbd_catalog(&self, pool: &str) -> PathBuf {
        self.data_dir.join(format!("catalog-rbd-{pool}.sqlite"))
    }

    /// The log file: logs never go to the terminal.
    pub fn log_file(&self) -> PathBuf {
        self.state_dir.join("snapport.log")
    }

    /// The audit trail: one JSON line per mutation attempt, from every path.
    pub fn audit_file(&self) -> PathBuf {
        self.state_dir.join("audit.jsonl")
    }

    /// Where the console writes migration plans, journals and id maps
    /// (`migrate apply` writes its journal beside its plan).
    pub fn migrations_dir(&self) -> PathBuf {
        self.state_dir.join("migrations")
    }
}

/// A back end named in the config file, or recorded in a batch journal to reopen it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum BackendSpec {
    /// LVM on this machine with an embedded catalog.
    Local {
        vg: String,
        catalog: Option<PathBuf>,
        /// `host@backend` override; default `<hostname>@lvm`.
        host: Option<String>,
        /// `LVM_SYSTEM_DIR` for this VG's lvm commands.
        lvm_system_dir: Option<PathBuf>,
    },
    /// A Ceph RBD pool driven from this machine with an embedded catalog.
    Rbd {
        pool: String,
        catalog: Option<PathBuf>,
        /// `host@backend` override; default `<hostname>@ceph`.
        host: Option<String>,
        /// The ceph.conf; default: the tools' own (`CEPH_CONF`, /etc/ceph/ceph.conf).
        ceph_conf: Option<PathBuf>,
        /// The Ceph client id (`--id`); default: the tools' own.
        ceph_user: Option<String>,
        /// Seconds one rbd or ceph call may take (default 60).
        timeout: Option<u64>,
    },
    /// A cloud of clouds.yaml; none picks the default the way `openstack` does
    /// (`OS_CLOUD`, the `OS_*` variables, or the only cloud in the file).
    Cloud { cloud: Option<String> },
}

impl BackendSpec {
    /// The catalog of a local back end, named or the default one of its VG or pool;
    /// none for a cloud.
    pub fn catalog(&self, paths: &Paths) -> Option<PathBuf> {
        match self {
            BackendSpec::Local { vg, catalog, .. } => {
                Some(catalog.clone().unwrap_or_else(|| paths.default_catalog(vg)))
            }
            BackendSpec::Rbd { pool, catalog, .. } => Some(
                catalog
                    .clone()
                    .unwrap_or_else(|| paths.default_rbd_catalog(pool)),
            ),
            BackendSpec::Cloud { .. } => None,
        }
    }

    /// A short description for lists of back ends.
    pub fn describe(&self) -> String {
        match self {
            BackendSpec::Local { vg, host, .. } => match host {
                Some(host) => format!("local lvm vg={vg} host={host}"),
                None => format!("local lvm vg={vg}"),
            },
            BackendSpec::Rbd { pool, host, .. } => match host {
                Some(host) => format!("local rbd pool={pool} host={host}"),
                None => format!("local rbd pool={pool}"),
            },
            BackendSpec::Cloud { cloud: Some(cloud) } => format!("cloud {cloud}"),
            BackendSpec::Cloud { cloud: None } => "the default cloud".to_string(),
        }
    }
}

/// The config file, `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfigFile {
    /// Theme name (a file in `themes/`) or path.
    pub theme: Option<String>,
    /// Key overrides: action name → key, e.g. `refresh = "ctrl-r"`.
    pub keys: BTreeMap<String, String>,
    /// Named back ends: `[backends.NAME]`.
    pub backends: BTreeMap<String, BackendSpec>,
    /// Seconds between the console's refreshes of a volume or snapshot list while a row
    /// is in a transient status or a job runs; 0 refreshes only on `r`. Default 5.
    pub refresh_seconds: Option<u64>,
}

/// How often lists with rows in flux refresh when the config file does not say.
const DEFAULT_REFRESH_SECONDS: u64 = 5;

impl ConfigFile {
    /// Reads `path`; a missing file is an empty config unless `required`.
    pub fn load(path: &Path, required: bool) -> Result<Self, ConfigError> {
        match Self::text(path, required)? {
            Some(text) => Self::parse(&text, path),
            None => Ok(Self::default()),
        }
    }

    /// The text of the file at `path`; none when it is missing and not `required`.
    pub fn text(path: &Path, required: bool) -> Result<Option<String>, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(text)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound && !required => Ok(None),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parses the text of the config file at `path` (named in the error, with the line
    /// and column the parser stopped at).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|err| ConfigError::Parse {
            path: path.to_path_buf(),
            position: err.span().map(|span| Position::of(text, span.start)),
            message: err.message().to_string(),
        })
    }

    /// The console's auto-refresh interval; `None` when `refresh_seconds = 0` turns it off.
    pub fn refresh_interval(&self) -> Option<std::time::Duration> {
        let seconds = self.refresh_seconds.unwrap_or(DEFAULT_REFRESH_SECONDS);
        (seconds > 0).then(|| std::time::Duration::from_secs(seconds))
    }

    /// A named back end, or a cloud of that name when the file does not define it
    /// (names of clouds.yaml work everywhere a back-end name does).
    pub fn backend(&self, name: &str) -> BackendSpec {
        self.backends
            .get(name)
            .cloned()
            .unwrap_or_else(|| BackendSpec::Cloud {
                cloud: Some(name.to_string()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_named_backends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "theme = \"light\"\n[keys]\nrefresh = \"ctrl-r\"\n\
             [backends.old]\nkind = \"local\"\nvg = \"vg0\"\ncatalog = \"/var/lib/a.sqlite\"\n\
             [backends.new]\nkind = \"cloud\"\ncloud = \"prod\"\n",
        )
        .unwrap();
        let config = ConfigFile::load(&path, true).unwrap();
        assert_eq!(config.theme.as_deref(), Some("light"));
        assert_eq!(config.keys["refresh"], "ctrl-r");
        assert_eq!(
            config.backend("old"),
            BackendSpec::Local {
                vg: "vg0".into(),
                catalog: Some("/var/lib/a.sqlite".into()),
                host: None,
                lvm_system_dir: None
            }
        );
        assert_eq!(
            config.backend("new"),
            BackendSpec::Cloud {
                cloud: Some("prod".into())
            }
        );
        assert_eq!(config.backend("old").describe(), "local lvm vg=vg0");
        assert_eq!(config.backend("new").describe(), "cloud prod");
        assert_eq!(
            config.backend("other"),
            BackendSpec::Cloud {
                cloud: Some("other".into())
            }
        );
    }

    #[test]
    fn reads_rbd_backends() {
        let config = ConfigFile::parse(
            "[backends.ceph]\nkind = \"rbd\"\npool = \"volumes\"\n\
             ceph_conf = \"/etc/ceph/lab.conf\"\nceph_user = \"cinder\"\ntimeout = 5\n",
            Path::new("config.toml"),
        )
        .unwrap();
        assert_eq!(
            config.backend("ceph"),
            BackendSpec::Rbd {
                pool: "volumes".into(),
                catalog: None,
                host: None,
                ceph_conf: Some("/etc/ceph/lab.conf".into()),
                ceph_user: Some("cinder".into()),
                timeout: Some(5),
            }
        );
        assert_eq!(config.backend("ceph").describe(), "local rbd pool=volumes");
    }

    #[test]
    fn rejects_unknown_keys_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[backends.x]\nkind = \"local\"\nvgg = \"typo\"\n").unwrap();
        let err = ConfigFile::load(&path, true).unwrap_err().to_string();
        assert!(err.contains("config.toml") && err.contains("vgg"), "{err}");
    }

    #[test]
    fn refresh_seconds_sets_the_console_interval_and_zero_turns_it_off() {
        let parse = |text: &str| ConfigFile::parse(text, Path::new("config.toml")).unwrap();
        let every = |secs| Some(std::time::Duration::from_secs(secs));
        assert_eq!(parse("").refresh_interval(), every(5));
        assert_eq!(parse("refresh_seconds = 2").refresh_interval(), every(2));
        assert_eq!(parse("refresh_seconds = 0").refresh_interval(), None);
        let err = ConfigFile::parse("refresh_seconds = -1", Path::new("config.toml"));
        assert!(err.is_err(), "a negative interval is refused");
    }

    #[test]
    fn a_missing_optional_file_is_empty() {
        let config = ConfigFile::load(Path::new("/nonexistent/snapport.toml"), false).unwrap();
        assert_eq!(config, ConfigFile::default());
        assert!(ConfigFile::load(Path::new("/nonexistent/snapport.toml"), true).is_err());
    }
}
