//! `snapport config check`'s findings, each named with its file, line and column, and
//! the checks that need only the config file and clouds.yaml: does every file parse,
//! does every cloud resolve, does every `[backends.NAME]` name a cloud that exists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;
use thiserror::Error;
use toml::Spanned;

use super::{BackendSpec, ConfigError, ConfigFile};
use crate::backend::remote::clouds::{self, CloudFiles, ConfigSources};

/// A place in a text: the line and the column (in characters), from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// Where byte `offset` of `text` is.
    pub fn of(text: &str, offset: usize) -> Self {
        let mut end = offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        Self {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// `file:line:column`, as compilers name a place (and editors jump to one), or the
/// file alone when the place is not known.
pub fn place(file: &Path, position: Option<Position>) -> String {
    match position {
        Some(Position { line, column }) => format!("{}:{line}:{column}", file.display()),
        None => file.display().to_string(),
    }
}

/// A problem in snapport's configuration, named with where it is when that is known.
#[derive(Debug, Error, PartialEq)]
#[error("{}{message}", self.place())]
pub struct Problem {
    pub file: Option<PathBuf>,
    pub position: Option<Position>,
    pub message: String,
}

impl Problem {
    /// A problem at `position` of `file`.
    pub fn at(file: &Path, position: Option<Position>, message: impl Into<String>) -> Self {
        Self {
            file: Some(file.to_path_buf()),
            position,
            message: message.into(),
        }
    }

    /// A problem that belongs to no file (a command-line option).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            file: None,
            position: None,
            message: message.into(),
        }
    }

    fn place(&self) -> String {
        match &self.file {
            Some(file) => format!("{}: ", place(file, self.position)),
            None => String::new(),
        }
    }
}

impl From<ConfigError> for Problem {
    fn from(err: ConfigError) -> Self {
        match err {
            ConfigError::Read { path, source } => {
                Self::at(&path, None, format!("cannot read: {source}"))
            }
            ConfigError::Parse {
                path,
                position,
                message,
            } => Self::at(&path, position, message),
            other => Self::new(other.to_string()),
        }
    }
}

impl From<clouds::ConfigError> for Problem {
    fn from(err: clouds::ConfigError) -> Self {
        match err {
            clouds::ConfigError::Read { path, message } => {
                Self::at(&path, None, format!("cannot read: {message}"))
            }
            clouds::ConfigError::Parse {
                path,
                location,
                message,
            } => {
                let position = location.map(|(line, column)| Position { line, column });
                Self::at(&path, position, message)
            }
            other => Self::new(other.to_string()),
        }
    }
}

/// The config file, parsed, with where it names what later checks may find fault
/// with: the theme, each `[keys]` entry, each `[backends.NAME]`.
#[derive(Debug)]
pub struct Located {
    pub path: PathBuf,
    pub config: ConfigFile,
    theme: Option<Position>,
    keys: BTreeMap<String, Position>,
    backends: BTreeMap<String, Position>,
}

/// The spans of what [`Located`] keeps; everything else is the config file's.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Spans {
    theme: Option<Spanned<IgnoredAny>>,
    keys: BTreeMap<Spanned<String>, IgnoredAny>,
    backends: BTreeMap<Spanned<String>, IgnoredAny>,
}

impl Located {
    /// Reads and parses the config file at `path`; a missing file is the defaults
    /// unless `required`.
    pub fn load(path: &Path, required: bool) -> Result<Self, Problem> {
        let text = ConfigFile::text(path, required)?.unwrap_or_default();
        let config = ConfigFile::parse(&text, path)?;
        let spans: Spans = toml::from_str(&text).unwrap_or_default();
        let at = |span: std::ops::Range<usize>| Position::of(&text, span.start);
        let positions = |names: BTreeMap<Spanned<String>, IgnoredAny>| {
            names
                .into_keys()
                .map(|name| (name.get_ref().clone(), at(name.span())))
                .collect()
        };
        Ok(Self {
            path: path.to_path_buf(),
            config,
            theme: spans.theme.map(|theme| at(theme.span())),
            keys: positions(spans.keys),
            backends: positions(spans.backends),
        })
    }

    /// A problem with the `theme` setting.
    pub fn theme(&self, message: impl Into<String>) -> Problem {
        Problem::at(&self.path, self.theme, message)
    }

    /// A problem with `[keys]` entry `action`.
    pub fn key(&self, action: &str, message: impl Into<String>) -> Problem {
        Problem::at(&self.path, self.keys.get(action).copied(), message)
    }

    /// A problem with `[backends.NAME]`.
    fn backend(&self, name: &str, message: impl Into<String>) -> Problem {
        Problem::at(&self.path, self.backends.get(name).copied(), message)
    }

    /// The first `[backends.NAME]` that cannot be opened as written: of kind `cloud`,
    /// a cloud clouds.yaml does not define (nor the `OS_*` variables), or no cloud when
    /// no default can be chosen; a local one, a `ceph_conf` or `lvm_system_dir` that
    /// is not there.
    pub fn check_backends(&self, sources: &ConfigSources) -> Result<(), Problem> {
        for (name, spec) in &self.config.backends {
            backend_problem(spec, sources)
                .map_err(|message| self.backend(name, format!("[backends.{name}]: {message}")))?;
        }
        Ok(())
    }
}

/// What keeps the back end `spec` from opening, as far as files tell.
fn backend_problem(spec: &BackendSpec, sources: &ConfigSources) -> Result<(), String> {
    match spec {
        BackendSpec::Cloud { cloud } => clouds::load(cloud.as_deref(), sources)
            .map(drop)
            .map_err(|err| err.to_string()),
        BackendSpec::Rbd {
            ceph_conf: Some(conf),
            ..
        } if !conf.is_file() => Err(format!("ceph_conf {} is not a file", conf.display())),
        BackendSpec::Local {
            lvm_system_dir: Some(dir),
            ..
        } if !dir.is_dir() => Err(format!(
            "lvm_system_dir {} is not a directory",
            dir.display()
        )),
        _ => Ok(()),
    }
}

/// The first cloud of clouds.yaml (merged with secure.yaml) that snapport could not
/// use, named with the file that defines it.
pub fn check_clouds(files: &CloudFiles, sources: &ConfigSources) -> Result<(), Problem> {
    for name in files.names() {
        if let Err(err) = clouds::load(Some(&name), sources) {
            return Err(match files.defining(&name) {
                Some(path) => Problem::at(path, None, err.to_string()),
                None => err.into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        let text = "a = 1\nbé = [\n  x";
        assert_eq!(Position::of(text, 0), Position { line: 1, column: 1 });
        assert_eq!(Position::of(text, 6), Position { line: 2, column: 1 });
        let x = text.find('x').unwrap();
        assert_eq!(Position::of(text, x), Position { line: 3, column: 3 });
        let bracket = text.find('[').unwrap();
        assert_eq!(
            Position::of(text, bracket),
            Position { line: 2, column: 6 },
            "é is one column"
        );
        assert_eq!(
            Position::of(text, 8),
            Position { line: 2, column: 2 },
            "inside é: the character's column"
        );
        assert_eq!(Position::of(text, 999).line, 3);
    }

    #[test]
    fn problems_name_file_line_and_column() {
        let file = Path::new("/etc/snapport/config.toml");
        let at = Problem::at(file, Some(Position { line: 3, column: 7 }), "bad");
        assert_eq!(at.to_string(), "/etc/snapport/config.toml:3:7: bad");
        assert_eq!(
            Problem::at(file, None, "bad").to_string(),
            "/etc/snapport/config.toml: bad"
        );
        assert_eq!(Problem::new("bad").to_string(), "bad");
    }

    fn located(text: &str) -> Result<Located, Problem> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        Located::load(&path, true)
    }

    #[test]
    fn back_ends_are_checked_against_clouds_yaml_and_the_files_they_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("clouds.yaml"),
            "clouds:\n  lab:\n    auth_type: none\n    \
             block_storage_endpoint_override: http://cinder:8776/v3\n",
        )
        .unwrap();
        let sources = ConfigSources {
            env: BTreeMap::new(),
            dirs: vec![dir.path().to_path_buf()],
        };
        let problem = |text: &str| {
            located(text)
                .unwrap()
                .check_backends(&sources)
                .err()
                .map(|problem| (problem.position.map(|p| p.line), problem.message))
        };
        assert_eq!(
            problem("[backends.a]\nkind = \"cloud\"\ncloud = \"lab\"\n"),
            None
        );
        let (line, message) =
            problem("[backends.a]\nkind = \"cloud\"\ncloud = \"lab\"\n[backends.b]\nkind = \"cloud\"\ncloud = \"lbb\"\n")
                .unwrap();
        assert_eq!(line, Some(4));
        assert!(
            message.starts_with("[backends.b]: cloud 'lbb' is not defined")
                && message.contains("clouds: lab"),
            "{message}"
        );
        let (line, message) = problem(
            "[backends.ceph]\nkind = \"rbd\"\npool = \"p\"\nceph_conf = \"/nonexistent/ceph.conf\"\n",
        )
        .unwrap();
        assert_eq!(line, Some(1));
        assert_eq!(
            message,
            "[backends.ceph]: ceph_conf /nonexistent/ceph.conf is not a file"
        );
        let (_, message) = problem(
            "[backends.lvm]\nkind = \"local\"\nvg = \"vg0\"\nlvm_system_dir = \"/nonexistent/lvm\"\n",
        )
        .unwrap();
        assert!(
            message.contains("lvm_system_dir /nonexistent/lvm"),
            "{message}"
        );
    }

    #[test]
    fn a_parse_error_names_its_line_and_column() {
        let err = located("theme = \"light\"\n[keys]\nrefresh = ctrl-r\n").unwrap_err();
        assert_eq!(
            err.position,
            Some(Position {
                line: 3,
                column: 11
            })
        );
        assert!(err.to_string().contains("config.toml:3:11: "), "{err}");
        let err = located("theme = \"light\"\n[backends.old]\nkind = \"local\"\nvgg = \"x\"\n")
            .unwrap_err();
        assert_eq!(
            err.position,
            Some(Position { line: 2, column: 1 }),
            "a back end's unknown key: its table"
        );
        assert!(err.message.contains("vgg"), "{err}");
    }

    #[test]
    fn names_are_found_where_they_are_written() {
        let config = located(
            "theme = \"dark\"\n\n[keys]\nrefresh = \"ctrl-r\"\n  quit = \"Q\"\n\
             [backends.old]\nkind = \"cloud\"\ncloud = \"x\"\n",
        )
        .unwrap();
        let line = |problem: Problem| problem.position.map(|p| (p.line, p.column));
        assert_eq!(line(config.theme("")), Some((1, 9)));
        assert_eq!(line(config.key("refresh", "")), Some((4, 1)));
        assert_eq!(line(config.key("quit", "")), Some((5, 3)));
        assert_eq!(line(config.backend("old", "")), Some((6, 11)));
        assert_eq!(line(config.key("absent", "")), None);
    }

    #[test]
    fn a_missing_file_is_the_defaults_unless_required() {
        let missing = Path::new("/nonexistent/snapport/config.toml");
        let config = Located::load(missing, false).unwrap();
        assert_eq!(config.config, ConfigFile::default());
        let err = Located::load(missing, true).unwrap_err();
        assert_eq!(err.file.as_deref(), Some(missing));
    }
}
