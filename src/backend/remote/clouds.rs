//! Reads cloud settings the way the `openstack` client does (openstacksdk's loader):
//! clouds.yaml and secure.yaml on the same search path, `OS_CLOUD`, and plain `OS_*`
//! variables forming the `envvars` cloud. Secrets stay in [`SecretString`]s.
//!
//! Longer than most: openstacksdk's precedence rules (files, secure.yaml merge, `OS_*`,
//! auth types) only make sense read together, and they are tested together here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::de::DeserializeSeed;
use serde_yaml_ng::{Mapping, Value};
use thiserror::Error;

/// Why no usable cloud could be read.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path} is not valid YAML: {message}")]
    Parse {
        path: PathBuf,
        /// The line and column the parser stopped at, when it says (from 1).
        location: Option<(usize, usize)>,
        message: String,
    },
    #[error("cloud '{name}' is not defined{}", describe_sources(.files, .known))]
    UnknownCloud {
        name: String,
        files: Vec<PathBuf>,
        known: Vec<String>,
    },
    #[error("no cloud selected: set OS_CLOUD or --os-cloud{}", describe_sources(.files, .known))]
    NoCloud {
        files: Vec<PathBuf>,
        known: Vec<String>,
    },
    #[error("cloud '{cloud}': {message}")]
    Invalid { cloud: String, message: String },
}

fn describe_sources(files: &[PathBuf], known: &[String]) -> String {
    if files.is_empty() {
        return " (no clouds.yaml found and no OS_* variables set)".into();
    }
    let files: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    if known.is_empty() {
        format!(" (read {}: no clouds)", files.join(", "))
    } else {
        format!(" (read {}; clouds: {})", files.join(", "), known.join(", "))
    }
}

/// Where settings come from. Tests build one with their own environment and directories
/// instead of changing the process environment.
#[derive(Debug, Clone)]
pub struct ConfigSources {
    /// Environment variables: `OS_*`, plus `HOME`/`XDG_*` for the default directories.
    pub env: BTreeMap<String, String>,
    /// Directories searched, in order, for clouds.yaml and secure.yaml.
    pub dirs: Vec<PathBuf>,
}

impl ConfigSources {
    /// The process environment and openstack's search path.
    pub fn from_process() -> Self {
        Self::from_env(std::env::vars().collect())
    }

    /// The given environment and the search path it implies (current directory first).
    pub fn from_env(env: BTreeMap<String, String>) -> Self {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let dirs = default_dirs(&env, &cwd);
        Self { env, dirs }
    }

    /// A variable's value; an empty one counts as unset.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// openstacksdk's order: current directory, the user config dir (XDG aware),
/// `~/.config/openstack`, the site config dir, `/etc/openstack`.
pub fn default_dirs(env: &BTreeMap<String, String>, cwd: &Path) -> Vec<PathBuf> {
    let non_empty = |name: &str| env.get(name).filter(|v| !v.is_empty());
    let home = non_empty("HOME").map(PathBuf::from);
    let xdg_home = non_empty("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let site = non_empty("XDG_CONFIG_DIRS")
        .and_then(|dirs| dirs.split(':').find(|d| !d.is_empty()).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/etc/xdg"));
    let mut dirs = vec![cwd.to_path_buf()];
    dirs.extend(
        xdg_home
            .or_else(|| home.as_ref().map(|h| h.join(".config")))
            .map(|d| d.join("openstack")),
    );
    dirs.extend(home.map(|h| h.join(".config/openstack")));
    dirs.push(site.join("openstack"));
    dirs.push(PathBuf::from("/etc/openstack"));
    let mut unique = Vec::new();
    for dir in dirs {
        if !unique.contains(&dir) {
            unique.push(dir);
        }
    }
    unique
}

/// How to prove who we are.
#[derive(Debug, Clone)]
pub enum AuthConfig {
    /// Keystone v3 password (`password`, `v3password`).
    Password {
        auth_url: String,
        user: Named,
        password: SecretString,
        scope: Scope,
    },
    /// Keystone v3 application credential; its project is fixed, so it sends no scope.
    ApplicationCredential {
        auth_url: String,
        credential: Named,
        /// Needed only when the credential is given by name.
        user: Option<Named>,
        secret: SecretString,
    },
    /// An existing Keystone token exchanged for a scoped one (`token`, `v3token`).
    Token {
        auth_url: String,
        token: SecretString,
        scope: Scope,
    },
    /// A token used as is against a fixed endpoint (`admin_token`, `token_endpoint`).
    AdminToken { token: SecretString },
    /// Cinder's noauth pipeline: `X-Auth-Token: <user>:<project>` (`noauth`, `none`).
    NoAuth { user: String, project: String },
}

impl AuthConfig {
    /// Whether a rejected token can be replaced by asking Keystone again.
    pub fn can_reauthenticate(&self) -> bool {
        matches!(
            self,
            Self::Password { .. } | Self::ApplicationCredential { .. } | Self::Token { .. }
        )
    }
}

/// A user, project or credential: by id, or by name (with a domain for users/projects).
#[derive(Debug, Clone, PartialEq)]
pub enum Named {
    Id(String),
    Name {
        name: String,
        domain: Option<Domain>,
    },
}

/// A domain by id or name.
#[derive(Debug, Clone, PartialEq)]
pub enum Domain {
    Id(String),
    Name(String),
}

/// What the token is scoped to.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    Project(Named),
    Domain(Domain),
    Unscoped,
}

/// TLS settings: verification is on unless `verify: false` or `insecure: true`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsConfig {
    pub insecure: bool,
    pub cacert: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

/// One cloud, resolved.
#[derive(Debug, Clone)]
pub struct CloudConfig {
    pub name: String,
    pub auth: AuthConfig,
    pub region_name: Option<String>,
    /// `public`, `internal` or `admin`.
    pub interface: String,
    /// Block-storage endpoint that replaces the catalog's (required without Keystone).
    pub endpoint_override: Option<String>,
    pub tls: TlsConfig,
    /// `block_storage_api_version` and friends: an upper bound for the microversion.
    pub api_version: Option<String>,
    /// `api_timeout`: how long one call may take, in place of snapport's default.
    pub api_timeout: Option<std::time::Duration>,
    /// The files the settings were read from (empty for `envvars`).
    pub files: Vec<PathBuf>,
    /// Those of `files` that hold this cloud's password, secret or token and that other
    /// users may read: the operator should be told, as ssh tells of an open key file.
    pub exposed_secrets: Vec<PathBuf>,
}

/// What the names of keys whose values are secrets end with: `password`,
/// `application_credential_secret`, `token`, and their kin (`admin_password`,
/// `client_secret`, …), whatever the case or spelling (`-` or `_`).
const SECRET_WORDS: &[&str] = &["password", "secret", "token"];

/// True when the value of `key` is a secret.
fn is_secret(key: &str) -> bool {
    let key = normalize_key(&key.to_ascii_lowercase());
    SECRET_WORDS
        .iter()
        .any(|word| key == *word || key.ends_with(&format!("_{word}")))
}

/// True when `layer`'s cloud `name` holds a secret (in `auth` or at its top level).
fn holds_secret(layer: &Value, name: &str) -> bool {
    let Some(cloud) = layer.get("clouds").and_then(|clouds| clouds.get(name)) else {
        return false;
    };
    let secret_in = |mapping: Option<&Value>| {
        mapping
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .any(|(key, _)| key.as_str().is_some_and(is_secret))
    };
    secret_in(Some(cloud)) || secret_in(cloud.get("auth"))
}

/// What stands for a secret in what snapport shows.
const MASK: &str = "********";

/// `value` with the value of every secret key masked, at any depth.
fn masked(value: &Value) -> Value {
    match value {
        Value::Mapping(mapping) => Value::Mapping(
            mapping
                .iter()
                .map(|(key, value)| {
                    let secret = key.as_str().is_some_and(is_secret) && !value.is_null();
                    let shown = if secret {
                        Value::String(MASK.into())
                    } else {
                        masked(value)
                    };
                    (key.clone(), shown)
                })
                .collect(),
        ),
        Value::Sequence(items) => Value::Sequence(items.iter().map(masked).collect()),
        Value::Tagged(tagged) => masked(&tagged.value),
        other => other.clone(),
    }
}

/// True when users other than the owner may read `path`.
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|meta| meta.permissions().mode() & 0o044 != 0)
}

/// Keys the openstack client moves from the cloud's top level (or the environment) into
/// `auth`, because they are options of the auth plugin.
const AUTH_KEYS: &[&str] = &[
    "auth_url",
    "username",
    "user_id",
    "password",
    "project_name",
    "project_id",
    "user_domain_name",
    "user_domain_id",
    "project_domain_name",
    "project_domain_id",
    "domain_name",
    "domain_id",
    "application_credential_id",
    "application_credential_name",
    "application_credential_secret",
    "token",
    "endpoint",
];

/// Variables that choose a cloud rather than describe one.
const SELECTORS: &[&str] = &[
    "OS_CLOUD",
    "OS_REGION_NAME",
    "OS_CLIENT_CONFIG_FILE",
    "OS_CLIENT_SECURE_FILE",
    "OS_CLOUD_NAME",
];

/// Per-service key prefixes for block storage, official name first (os-service-types).
const SERVICE_PREFIXES: &[&str] = &["block_storage", "volumev3", "volumev2", "volume"];

/// A cloud's settings as flat strings: top-level keys and the `auth` section.
#[derive(Debug, Default)]
struct RawCloud {
    settings: BTreeMap<String, String>,
    auth: BTreeMap<String, String>,
}

/// One of the two files openstack reads cloud settings from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudFile {
    /// clouds.yaml: the clouds.
    Clouds,
    /// secure.yaml: secrets kept apart, merged over clouds.yaml.
    Secure,
}

impl CloudFile {
    /// The file's name as operators know it.
    pub fn name(self) -> &'static str {
        match self {
            CloudFile::Clouds => "clouds.yaml",
            CloudFile::Secure => "secure.yaml",
        }
    }

    /// The variable that names the file.
    pub fn variable(self) -> &'static str {
        match self {
            CloudFile::Clouds => "OS_CLIENT_CONFIG_FILE",
            CloudFile::Secure => "OS_CLIENT_SECURE_FILE",
        }
    }

    /// The file openstack reads: the variable's file when set and there, else the
    /// first `<base>.yaml|yml|json` in the directories of the search path.
    pub fn find(self, sources: &ConfigSources) -> Option<PathBuf> {
        let base = self.name().trim_end_matches(".yaml");
        let explicit = sources.var(self.variable()).map(PathBuf::from);
        let searched = sources
            .dirs
            .iter()
            .flat_map(|dir| ["yaml", "yml", "json"].map(|ext| dir.join(format!("{base}.{ext}"))));
        explicit
            .into_iter()
            .chain(searched)
            .find(|path| path.is_file())
    }
}

/// clouds.yaml and secure.yaml as found on the search path, read and merged.
#[derive(Debug, Clone)]
pub struct CloudFiles {
    /// The files read, clouds.yaml first, each with its document.
    layers: Vec<(PathBuf, Value)>,
    /// Their merge: secure.yaml's settings over clouds.yaml's.
    document: Value,
}

impl CloudFiles {
    /// Finds and reads both files; a file not found is no error.
    pub fn read(sources: &ConfigSources) -> Result<Self, ConfigError> {
        let mut files = Self {
            layers: Vec::new(),
            document: Value::Mapping(Mapping::new()),
        };
        for file in [CloudFile::Clouds, CloudFile::Secure] {
            if let Some(path) = file.find(sources) {
                let layer = read_yaml(&path)?;
                deep_merge(&mut files.document, layer.clone());
                files.layers.push((path, layer));
            }
        }
        Ok(files)
    }

    /// The files read.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.layers.iter().map(|(path, _)| path.clone()).collect()
    }

    /// The clouds, merged.
    fn clouds(&self) -> Mapping {
        self.document
            .get("clouds")
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default()
    }

    /// The names of the clouds, in the files' order.
    pub fn names(&self) -> Vec<String> {
        self.clouds()
            .keys()
            .filter_map(|k| k.as_str().map(String::from))
            .collect()
    }

    /// The first file that defines cloud `name`.
    pub fn defining(&self, name: &str) -> Option<&Path> {
        self.layers
            .iter()
            .find(|(_, layer)| layer.get("clouds").and_then(|c| c.get(name)).is_some())
            .map(|(path, _)| path.as_path())
    }

    /// Every cloud as snapport reads it, secrets masked: those of the files, merged,
    /// and the `envvars` cloud the `OS_*` variables describe.
    pub fn masked(&self, sources: &ConfigSources) -> Mapping {
        let mut clouds = self.clouds();
        if let Some(env) = env_cloud(sources) {
            let settings = env
                .settings
                .into_iter()
                .map(|(key, value)| (Value::String(key), Value::String(value)))
                .collect();
            clouds.insert(Value::String(env_name(sources)), Value::Mapping(settings));
        }
        match masked(&Value::Mapping(clouds)) {
            Value::Mapping(clouds) => clouds,
            _ => unreachable!("a mapping stays a mapping"),
        }
    }
}

/// The name of the cloud the `OS_*` variables describe.
fn env_name(sources: &ConfigSources) -> String {
    sources
        .var("OS_CLOUD_NAME")
        .unwrap_or("envvars")
        .to_string()
}

/// Resolves the cloud to use: `cloud`, else `OS_CLOUD`, else the `envvars` cloud when
/// `OS_*` variables describe one, else the only cloud in clouds.yaml.
pub fn load(cloud: Option<&str>, sources: &ConfigSources) -> Result<CloudConfig, ConfigError> {
    let read = CloudFiles::read(sources)?;
    let files = read.paths();
    let clouds = read.clouds();
    let known = read.names();
    let env_cloud = env_cloud(sources);
    let env_name = env_name(sources);
    let wanted = cloud.or(sources.var("OS_CLOUD"));

    let (name, raw, from_files) = match (wanted, env_cloud) {
        (Some(name), Some(env)) if name == env_name => (name.to_string(), env, false),
        (Some(name), _) => match clouds.get(name) {
            Some(value) => (name.to_string(), raw_cloud(value), true),
            None => {
                return Err(ConfigError::UnknownCloud {
                    name: name.to_string(),
                    files,
                    known,
                });
            }
        },
        (None, Some(env)) => (env_name, env, false),
        (None, None) if clouds.len() == 1 => {
            let (key, value) = clouds.iter().next().expect("one cloud");
            (
                key.as_str().unwrap_or_default().to_string(),
                raw_cloud(value),
                true,
            )
        }
        (None, None) => return Err(ConfigError::NoCloud { files, known }),
    };
    let mut config = resolve(&name, raw, sources)?;
    if from_files {
        config.files = files;
        config.exposed_secrets = read
            .layers
            .into_iter()
            .filter(|(path, layer)| holds_secret(layer, &name) && readable_by_others(path))
            .map(|(path, _)| path)
            .collect();
    }
    Ok(config)
}

fn read_yaml(path: &Path) -> Result<Value, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|err| ConfigError::Read {
        path: path.to_path_buf(),
        message: err.to_string(),
    })?;
    if text.trim().is_empty() {
        return Ok(Value::Mapping(Mapping::new()));
    }
    let parse_error = |message: String| ConfigError::Parse {
        path: path.to_path_buf(),
        location: None,
        message,
    };
    let yaml_error = |err: serde_yaml_ng::Error| ConfigError::Parse {
        path: path.to_path_buf(),
        location: err.location().map(|at| (at.line(), at.column())),
        message: err.to_string(),
    };
    // The YAML parser slows down with the square of the depth of flow collections, and
    // its reader refuses more than 128 levels anyway: refuse them before parsing.
    if flow_depth(&text) > MAX_FLOW_DEPTH {
        return Err(parse_error(format!(
            "flow collections ([…], {{…}}) nested deeper than {MAX_FLOW_DEPTH} levels"
        )));
    }
    // Aliases let a few lines stand for millions of nodes: count the nodes the
    // document expands to before building it.
    let budget = NODES_BASE + text.len();
    NodeCounter(std::cell::Cell::new(budget))
        .deserialize(serde_yaml_ng::Deserializer::from_str(&text))
        .map_err(yaml_error)?;
    serde_yaml_ng::from_str(&text).map_err(yaml_error)
}

/// The deepest nesting of `[…]` and `{…}` read; the YAML reader's own limit.
const MAX_FLOW_DEPTH: usize = 128;

/// The deepest nesting of flow collections in `text`, outside quoted scalars and
/// comments. An over-estimate at worst (a bracket inside a plain scalar counts).
fn flow_depth(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut previous = '\n';
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some('"') if c == '\\' => {
                chars.next();
            }
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None => match c {
                '#' if previous.is_whitespace() => {
                    for skipped in chars.by_ref() {
                        if skipped == '\n' {
                            break;
                        }
                    }
                }
                '\'' | '"' if previous.is_whitespace() || "[{,:-?".contains(previous) => {
                    quote = Some(c);
                }
                '[' | '{' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        previous = c;
    }
    deepest
}

/// Nodes any YAML file may expand to; beyond that, one per byte of the file (a
/// document without aliases has fewer nodes than bytes).
const NODES_BASE: usize = 10_000;

/// Walks a YAML document without building it, failing once it has more nodes than the
/// budget it holds.
struct NodeCounter(std::cell::Cell<usize>);

impl NodeCounter {
    fn spend<E: serde::de::Error>(&self) -> Result<(), E> {
        match self.0.get().checked_sub(1) {
            Some(left) => {
                self.0.set(left);
                Ok(())
            }
            None => Err(E::custom(
                "the document expands to too many nodes (aliases used as a bomb?)",
            )),
        }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for &NodeCounter {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for &NodeCounter {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a YAML document")
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        self.spend()
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        self.spend()
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        self.spend()
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        self.spend()
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        self.spend()
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.spend()
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.spend()
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        serde::de::DeserializeSeed::deserialize(self, deserializer)
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<(), D::Error> {
        serde::de::DeserializeSeed::deserialize(self, deserializer)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.spend()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.spend()?;
        while map.next_key_seed(self)?.is_some() {
            map.next_value_seed(self)?;
        }
        Ok(())
    }

    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        use serde::de::VariantAccess;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

/// Merges `layer` into `base`: mappings key by key, anything else replaced.
fn deep_merge(base: &mut Value, layer: Value) {
    match (base, layer) {
        (Value::Mapping(base), Value::Mapping(layer)) => {
            for (key, value) in layer {
                match base.get_mut(&key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, layer) => *base = layer,
    }
}

/// `foo-bar` and `tenant_*` are accepted spellings of `foo_bar` and `project_*`.
fn normalize_key(key: &str) -> String {
    let key = key.replace('-', "_");
    match key.strip_prefix("tenant_") {
        Some(rest) => format!("project_{rest}"),
        None => key,
    }
}

/// Scalars as strings; a list counts as its first element (`regions`, `interface`).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Sequence(items) => items.first().and_then(|first| match first {
            Value::Mapping(region) => region.get("name").and_then(scalar),
            other => scalar(other),
        }),
        Value::Tagged(tagged) => scalar(&tagged.value),
        Value::Null | Value::Mapping(_) => None,
    }
}

fn raw_cloud(value: &Value) -> RawCloud {
    let mut raw = RawCloud::default();
    let Some(mapping) = value.as_mapping() else {
        return raw;
    };
    for (key, value) in mapping {
        let Some(key) = key.as_str() else { continue };
        let key = normalize_key(key);
        if key == "auth" {
            for (auth_key, auth_value) in value.as_mapping().into_iter().flatten() {
                if let (Some(k), Some(v)) = (auth_key.as_str(), scalar(auth_value)) {
                    raw.auth.insert(normalize_key(k), v);
                }
            }
        } else if let Some(v) = scalar(value) {
            raw.settings.insert(key, v);
        }
    }
    raw
}

/// The `envvars` cloud: every `OS_FOO` but the selectors and `OS_TEST*`/`OS_STD*`/`OS_LOG*`.
fn env_cloud(sources: &ConfigSources) -> Option<RawCloud> {
    let mut raw = RawCloud::default();
    for (key, value) in &sources.env {
        let Some(rest) = key.strip_prefix("OS_") else {
            continue;
        };
        let skipped = ["TEST", "STD", "LOG"].iter().any(|p| rest.starts_with(p));
        if skipped || SELECTORS.contains(&key.as_str()) || value.is_empty() {
            continue;
        }
        raw.settings
            .insert(normalize_key(&rest.to_lowercase()), value.clone());
    }
    (!raw.settings.is_empty()).then_some(raw)
}

fn parse_bool(cloud: &str, key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Ok(true),
        "false" | "no" | "0" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid {
            cloud: cloud.into(),
            message: format!("{key} must be true or false, not '{value}'"),
        }),
    }
}

/// Looks a per-service setting up under every block-storage prefix.
fn service_setting<'a>(
    settings: &'a BTreeMap<String, String>,
    suffixes: &[&str],
) -> Option<&'a str> {
    SERVICE_PREFIXES
        .iter()
        .flat_map(|prefix| {
            suffixes
                .iter()
                .map(move |suffix| format!("{prefix}_{suffix}"))
        })
        .find_map(|key| settings.get(&key))
        .map(String::as_str)
}

fn resolve(
    name: &str,
    mut raw: RawCloud,
    sources: &ConfigSources,
) -> Result<CloudConfig, ConfigError> {
    for key in AUTH_KEYS {
        if let Some(value) = raw.settings.remove(*key) {
            raw.auth.entry((*key).to_string()).or_insert(value);
        }
    }
    let invalid = |message: String| ConfigError::Invalid {
        cloud: name.to_string(),
        message,
    };
    let settings = &raw.settings;
    let interface = service_setting(settings, &["interface", "endpoint_type"])
        .or(settings.get("interface").map(String::as_str))
        .or(settings.get("endpoint_type").map(String::as_str))
        .unwrap_or("public");
    let interface = interface.trim_end_matches("URL").to_string();
    if !["public", "internal", "admin"].contains(&interface.as_str()) {
        return Err(invalid(format!(
            "interface must be public, internal or admin, not '{interface}'"
        )));
    }
    let region_name = sources
        .var("OS_REGION_NAME")
        .or(service_setting(settings, &["region_name"]))
        .or(settings.get("region_name").map(String::as_str))
        .or(settings.get("regions").map(String::as_str))
        .map(String::from);
    let endpoint_override = service_setting(settings, &["endpoint_override", "endpoint"])
        .or(raw.auth.get("endpoint").map(String::as_str))
        .map(String::from);
    let api_version =
        service_setting(settings, &["api_version", "default_microversion"]).map(String::from);

    let api_timeout = settings
        .get("api_timeout")
        .map(|value| match value.parse::<f64>() {
            Ok(secs) if secs > 0.0 && secs.is_finite() => {
                Ok(std::time::Duration::from_secs_f64(secs))
            }
            _ => Err(invalid(format!(
                "api_timeout must be a positive number of seconds, not '{value}'"
            ))),
        })
        .transpose()?;
    let insecure = match settings.get("insecure") {
        Some(value) => parse_bool(name, "insecure", value)?,
        None => false,
    };
    let verify = match settings.get("verify") {
        Some(value) => parse_bool(name, "verify", value)?,
        None => true,
    };
    let tls = TlsConfig {
        insecure: insecure || !verify,
        cacert: settings.get("cacert").map(PathBuf::from),
        client_cert: settings.get("cert").map(PathBuf::from),
        client_key: settings.get("key").map(PathBuf::from),
    };

    let auth_type = settings
        .get("auth_type")
        .map(|t| t.to_ascii_lowercase())
        .unwrap_or_else(|| "password".into());
    let auth = auth_config(&auth_type, &raw.auth).map_err(invalid)?;
    if matches!(
        auth,
        AuthConfig::AdminToken { .. } | AuthConfig::NoAuth { .. }
    ) && endpoint_override.is_none()
    {
        return Err(invalid(format!(
            "auth_type {auth_type} needs an endpoint (block_storage_endpoint_override or auth.endpoint)"
        )));
    }
    Ok(CloudConfig {
        name: name.to_string(),
        auth,
        region_name,
        interface,
        endpoint_override,
        tls,
        api_version,
        api_timeout,
        files: Vec::new(),
        exposed_secrets: Vec::new(),
    })
}

fn auth_config(auth_type: &str, auth: &BTreeMap<String, String>) -> Result<AuthConfig, String> {
    let get = |key: &str| auth.get(key).filter(|v| !v.is_empty()).cloned();
    let require =
        |key: &str| get(key).ok_or_else(|| format!("auth_type {auth_type} needs auth.{key}"));
    let secret = |key: &str| require(key).map(SecretString::from);
    let domain = |prefix: &str| {
        get(&format!("{prefix}_domain_id"))
            .or(get("domain_id"))
            .map(Domain::Id)
            .or(get(&format!("{prefix}_domain_name"))
                .or(get("domain_name"))
                .map(Domain::Name))
    };
    let user = || -> Option<Named> {
        get("user_id")
            .map(Named::Id)
            .or(get("username").map(|name| Named::Name {
                name,
                domain: domain("user"),
            }))
    };
    let scope = || {
        if let Some(id) = get("project_id") {
            Scope::Project(Named::Id(id))
        } else if let Some(name) = get("project_name") {
            Scope::Project(Named::Name {
                name,
                domain: domain("project"),
            })
        } else if let Some(id) = get("domain_id") {
            Scope::Domain(Domain::Id(id))
        } else if let Some(name) = get("domain_name") {
            Scope::Domain(Domain::Name(name))
        } else {
            Scope::Unscoped
        }
    };
    match auth_type {
        "password" | "v3password" => {
            let user = user().ok_or_else(|| {
                format!("auth_type {auth_type} needs auth.username or auth.user_id")
            })?;
            if matches!(user, Named::Name { domain: None, .. }) {
                return Err(
                    "auth.username needs user_domain_name or user_domain_id (or domain_*)".into(),
                );
            }
            Ok(AuthConfig::Password {
                auth_url: require("auth_url")?,
                user,
                password: secret("password")?,
                scope: scope(),
            })
        }
        "v3applicationcredential" | "applicationcredential" => {
            let credential = match (
                get("application_credential_id"),
                get("application_credential_name"),
            ) {
                (Some(id), _) => Named::Id(id),
                (None, Some(name)) => Named::Name { name, domain: None },
                (None, None) => {
                    return Err(format!(
                        "auth_type {auth_type} needs auth.application_credential_id or application_credential_name"
                    ));
                }
            };
            let user = user();
            if matches!(credential, Named::Name { .. }) && user.is_none() {
                return Err(
                    "an application credential given by name needs auth.user_id or auth.username"
                        .into(),
                );
            }
            Ok(AuthConfig::ApplicationCredential {
                auth_url: require("auth_url")?,
                credential,
                user,
                secret: secret("application_credential_secret")?,
            })
        }
        "token" | "v3token" => Ok(AuthConfig::Token {
            auth_url: require("auth_url")?,
            token: secret("token")?,
            scope: scope(),
        }),
        "admin_token" | "token_endpoint" => Ok(AuthConfig::AdminToken {
            token: secret("token")?,
        }),
        "noauth" | "none" | "" => {
            let user = get("user_id")
                .or(get("username"))
                .unwrap_or_else(|| "admin".into());
            let project = get("project_id")
                .or(get("project_name"))
                .unwrap_or_else(|| user.clone());
            Ok(AuthConfig::NoAuth { user, project })
        }
        other => Err(format!("auth_type {other} is not supported")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_depth_skips_quotes_and_comments() {
        assert_eq!(flow_depth("clouds: {a: {auth: {u: x}}}"), 3);
        assert_eq!(flow_depth("a: '[[[' # {{{\nb: \"{\\\"[\"\nc: [x]"), 1);
        assert_eq!(flow_depth("name: O'Brien [x]"), 1);
        assert_eq!(flow_depth(&"[".repeat(200)), 200);
    }

    #[test]
    fn secrets_are_masked_at_any_depth_whatever_their_spelling() {
        for key in [
            "password",
            "application_credential_secret",
            "token",
            "Admin-Password",
            "client_secret",
        ] {
            assert!(is_secret(key), "{key}");
        }
        for key in ["username", "auth_url", "token_endpoint", "passwords_hint"] {
            assert!(!is_secret(key), "{key}");
        }
        let document: Value = serde_yaml_ng::from_str(
            "clouds: {a: {password: p1, auth: {username: u, application-credential-secret: s2}, \
             extra: [{token: t3}], empty_token: null}}",
        )
        .unwrap();
        let shown = serde_yaml_ng::to_string(&masked(&document)).unwrap();
        for secret in ["p1", "s2", "t3"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let a = &masked(&document)["clouds"]["a"];
        assert_eq!(a["auth"]["username"].as_str(), Some("u"));
        assert_eq!(a["password"].as_str(), Some(MASK));
        assert!(a["empty_token"].is_null(), "nothing to hide");
    }

    #[test]
    fn keys_are_normalized() {
        assert_eq!(normalize_key("tenant-name"), "project_name");
        assert_eq!(normalize_key("user-domain-id"), "user_domain_id");
    }

    #[test]
    fn merge_is_deep() {
        let mut base: Value =
            serde_yaml_ng::from_str("clouds: {a: {auth: {username: u}, region_name: r}}").unwrap();
        let layer: Value = serde_yaml_ng::from_str("clouds: {a: {auth: {password: p}}}").unwrap();
        deep_merge(&mut base, layer);
        let auth = &base["clouds"]["a"]["auth"];
        assert_eq!(auth["username"].as_str(), Some("u"));
        assert_eq!(auth["password"].as_str(), Some("p"));
        assert_eq!(base["clouds"]["a"]["region_name"].as_str(), Some("r"));
    }

    #[test]
    fn default_dirs_follow_xdg() {
        let env = BTreeMap::from([
            ("HOME".to_string(), "/home/op".to_string()),
            ("XDG_CONFIG_HOME".to_string(), "/xdg".to_string()),
        ]);
        let dirs = default_dirs(&env, Path::new("/work"));
        let expected: Vec<PathBuf> = [
            "/work",
            "/xdg/openstack",
            "/home/op/.config/openstack",
            "/etc/xdg/openstack",
            "/etc/openstack",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(dirs, expected);
    }
}
