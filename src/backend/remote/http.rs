//! The HTTP session with Cinder: TLS, timeouts, the token and endpoint in use, the
//! negotiated microversion, retries of idempotent reads and one re-authentication on 401.
//!
//! Longer than most: version discovery (with the proxy fallback), retries and token
//! renewal all decide together what a single call does, so they stay in one place.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use super::auth;
use super::clouds::{AuthConfig, CloudConfig, TlsConfig};
use super::fault;
use crate::backend::{Error, Result, audit};
use crate::sync::lock;

/// The newest microversion snapport speaks (Cinder 2024.1 and later).
pub const MAX_MICROVERSION: Microversion = Microversion(71);
/// The oldest it accepts: the `manageable_*` resources appeared in 3.8 (Newton).
pub const MIN_MICROVERSION: Microversion = Microversion(8);
/// keystoneauth renews a token when less than this much of its life is left.
const RENEW_BEFORE: chrono::TimeDelta = chrono::TimeDelta::seconds(120);

/// A Cinder v3 microversion `3.N`, kept as its minor number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Microversion(pub u16);

impl Microversion {
    /// Parses `3.N`; a bare `3` (or an empty string, pre-microversion servers) is 3.0.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().split_once('.') {
            Some(("3", minor)) => minor.parse().ok().map(Self),
            None if matches!(text.trim(), "3" | "") => Some(Self(0)),
            _ => None,
        }
    }
}

impl fmt::Display for Microversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "3.{}", self.0)
    }
}

/// Timeouts and retry policy of the session.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    /// Time allowed for an ordinary call, from sending to the last byte of the answer.
    pub read_timeout: Duration,
    /// Extra tries for idempotent GETs after a 5xx or a connection failure.
    pub get_retries: u32,
    /// First pause between tries; doubled each time.
    pub retry_backoff: Duration,
}

/// Which failures a call may be repeated after.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Retry {
    /// Idempotent read: 5xx answers and connection failures.
    Transient,
    /// Expensive idempotent read: connection failures only, because a 5xx after a long
    /// server-side scan would just repeat the scan.
    ConnectOnly,
    /// Mutations are sent once.
    Never,
}

/// One request to Cinder, relative to the endpoint.
pub struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    pub timeout: Duration,
    pub retry: Retry,
}

impl<'a> Call<'a> {
    /// An ordinary GET.
    pub fn get(path: &'a str, timeout: Duration) -> Self {
        Self {
            method: Method::GET,
            path,
            query: Vec::new(),
            body: None,
            timeout,
            retry: Retry::Transient,
        }
    }

    /// A POST with a JSON body, never repeated.
    pub fn post(path: &'a str, body: Value, timeout: Duration) -> Self {
        Self {
            method: Method::POST,
            path,
            query: Vec::new(),
            body: Some(body),
            timeout,
            retry: Retry::Never,
        }
    }

    /// A DELETE, never repeated.
    pub fn delete(path: &'a str, timeout: Duration) -> Self {
        Self {
            method: Method::DELETE,
            path,
            query: Vec::new(),
            body: None,
            timeout,
            retry: Retry::Never,
        }
    }

    /// Adds query parameters.
    pub fn query(mut self, pairs: Vec<(&'static str, String)>) -> Self {
        self.query.extend(pairs);
        self
    }
}

/// A successful answer.
pub struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Reply {
    /// Decodes the body as JSON of type `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T> {
        serde_json::from_slice(&self.body)
            .map_err(|err| Error::Backend(format!("{what}: unexpected answer from Cinder: {err}")))
    }
}

/// Token and endpoint in use; replaced as a whole on re-authentication.
struct Credentials {
    token: SecretString,
    endpoint: String,
    /// Where the endpoint came from when the catalog gave it: ` (catalog endpoint of
    /// region R, interface I)`, for the messages of calls that reach no server.
    origin: String,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    generation: u64,
}

/// An authenticated connection to one cloud's Cinder.
pub struct Session {
    client: reqwest::Client,
    cloud: CloudConfig,
    settings: HttpSettings,
    credentials: Mutex<Arc<Credentials>>,
    /// Serializes re-authentication; held only while Keystone answers, never across a
    /// Cinder call.
    reauth: tokio::sync::Mutex<()>,
    microversion: Microversion,
}

/// Builds the HTTP client: TLS verification on unless configured off, optional CA bundle
/// (used instead of the system roots, as the openstack client does) and client certificate.
pub fn build_client(tls: &TlsConfig, connect_timeout: Duration) -> Result<reqwest::Client> {
    // Another part of the program may have installed it already; either way ring is used.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("snapport/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(connect_timeout);
    let read = |path: &std::path::Path| {
        std::fs::read(path)
            .map_err(|err| Error::Backend(format!("cannot read {}: {err}", path.display())))
    };
    if tls.insecure {
        if let Some(cacert) = &tls.cacert {
            tracing::warn!(cacert = %cacert.display(), "cacert ignored: TLS verification is off");
        }
        tracing::warn!(
            "TLS certificate verification is OFF (verify: false / insecure): the server is not authenticated"
        );
        builder = builder.tls_danger_accept_invalid_certs(true);
    } else if let Some(cacert) = &tls.cacert {
        let certs = reqwest::Certificate::from_pem_bundle(&read(cacert)?)
            .map_err(|err| Error::Backend(format!("cacert {}: {err}", cacert.display())))?;
        builder = builder.tls_certs_only(certs);
    }
    if let Some(cert) = &tls.client_cert {
        let mut pem = read(cert)?;
        if let Some(key) = &tls.client_key {
            pem.extend(read(key)?);
        }
        let identity = reqwest::Identity::from_pem(&pem).map_err(|err| {
            Error::Backend(format!("client certificate {}: {err}", cert.display()))
        })?;
        builder = builder.identity(identity);
    }
    builder
        .build()
        .map_err(|err| Error::Backend(format!("cannot set up HTTP: {err}")))
}

#[derive(Deserialize)]
struct VersionDocument {
    versions: Vec<VersionEntry>,
}

#[derive(Deserialize)]
struct VersionEntry {
    id: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    min_version: String,
}

/// The unversioned root of an endpoint: everything from the `/vN` segment on is cut,
/// as cinderclient does (`http://h/volume/v3/p` → `http://h/volume/`).
pub fn version_root(endpoint: &str) -> Result<url::Url> {
    let mut url = url::Url::parse(endpoint)
        .map_err(|err| Error::Backend(format!("invalid endpoint {endpoint}: {err}")))?;
    let segments: Vec<String> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).map(String::from).collect())
        .unwrap_or_default();
    let is_version = |s: &str| {
        s.strip_prefix('v').is_some_and(|rest| {
            rest.split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        })
    };
    let keep = segments
        .iter()
        .position(|s| is_version(s))
        .unwrap_or(segments.len());
    let mut path = segments[..keep].join("/");
    path.insert(0, '/');
    if keep > 0 {
        path.push('/');
    }
    url.set_path(&path);
    url.set_query(None);
    Ok(url)
}

impl Session {
    /// Authenticates, finds the endpoint and negotiates the microversion.
    pub async fn open(cloud: CloudConfig, settings: HttpSettings) -> Result<Self> {
        let client = build_client(&cloud.tls, settings.connect_timeout)?;
        let credentials = authenticate(&client, &cloud, settings.read_timeout, 0).await?;
        let microversion = negotiate(&client, &cloud, &credentials, &settings).await?;
        tracing::info!(cloud = %cloud.name, endpoint = %credentials.endpoint, %microversion, "connected to Cinder");
        Ok(Self {
            client,
            cloud,
            settings,
            credentials: Mutex::new(Arc::new(credentials)),
            reauth: tokio::sync::Mutex::new(()),
            microversion,
        })
    }

    /// The microversion sent with every call.
    pub fn microversion(&self) -> Microversion {
        self.microversion
    }

    /// The block-storage endpoint in use.
    pub fn endpoint(&self) -> String {
        self.current().endpoint.clone()
    }

    /// The cloud's settings.
    pub fn cloud(&self) -> &CloudConfig {
        &self.cloud
    }

    fn current(&self) -> Arc<Credentials> {
        lock(&self.credentials).clone()
    }

    /// Replaces the token unless another task already did since `seen` was issued;
    /// `why` says which: the token is about to expire, or Cinder rejected it.
    async fn reauthenticate(&self, seen: u64, why: &str) -> Result<()> {
        let _guard = self.reauth.lock().await;
        if self.current().generation != seen {
            return Ok(());
        }
        tracing::info!(cloud = %self.cloud.name, "token {why}: authenticating again");
        let fresh = authenticate(
            &self.client,
            &self.cloud,
            self.settings.read_timeout,
            seen + 1,
        )
        .await?;
        *lock(&self.credentials) = Arc::new(fresh);
        Ok(())
    }

    /// Sends a call; answers other than 2xx become errors carrying Cinder's message.
    pub async fn send(&self, call: Call<'_>) -> Result<Reply> {
        let what = format!("{} {}", call.method, call.path);
        let can_reauth = self.cloud.auth.can_reauthenticate();
        let mut reauthenticated = false;
        loop {
            let mut credentials = self.current();
            if can_reauth && expiring(&credentials) {
                self.reauthenticate(credentials.generation, "about to expire")
                    .await?;
                credentials = self.current();
            }
            let mutation = call.method != Method::GET;
            if mutation {
                audit::note_attempt();
            }
            let Answer {
                status,
                request_id,
                body,
                ..
            } = with_retries(&self.settings, call.retry, &what, || {
                exchange(self.request(&credentials, &call))
            })
            .await
            .map_err(|err| {
                let at = format!("{}{}", credentials.endpoint, credentials.origin);
                transport_error(&call, &what, &at, &err)
            })?;
            if let (true, Some(id)) = (mutation, &request_id) {
                audit::note_request_id(id);
            }
            if status == StatusCode::UNAUTHORIZED && can_reauth && !reauthenticated {
                reauthenticated = true;
                self.reauthenticate(credentials.generation, "rejected")
                    .await?;
            } else if status.is_success() {
                return Ok(Reply { status, body });
            } else {
                let err = fault::from_response(status, &body, &what);
                let path = url_path(&credentials.endpoint, call.path);
                return Err(match err {
                    Error::Unauthorized(message) if reauthenticated => {
                        fault::refused_fresh_token(&call.method, &path, &message)
                    }
                    Error::Forbidden(message) => {
                        fault::forbidden_call(&call.method, call.path, &path, &message)
                    }
                    other => other,
                });
            }
        }
    }

    fn request(&self, credentials: &Credentials, call: &Call<'_>) -> reqwest::RequestBuilder {
        let url = format!(
            "{}/{}",
            credentials.endpoint,
            call.path.trim_start_matches('/')
        );
        let request = self
            .client
            .request(call.method.clone(), url)
            .query(&call.query)
            .timeout(call.timeout)
            .header("X-Auth-Token", credentials.token.expose_secret())
            .header(
                "OpenStack-API-Version",
                format!("volume {}", self.microversion),
            )
            .header("Accept", "application/json");
        match &call.body {
            Some(body) => request.json(body),
            None => request,
        }
    }
}

/// The path of `call_path` under `endpoint` (`/v3/<project>/os-services`), as Keystone's
/// access rules and Cinder's logs name it.
fn url_path(endpoint: &str, call_path: &str) -> String {
    let tail = call_path.trim_start_matches('/');
    match url::Url::parse(endpoint) {
        Ok(url) => format!("{}/{tail}", url.path().trim_end_matches('/')),
        Err(_) => format!("/{tail}"),
    }
}

/// The longest `Retry-After` a read waits out before it asks again: a server that asks
/// for longer is answered with its error.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// The answer: its status, Cinder's `x-openstack-request-id`, how long the server asked
/// to wait before asking again (`Retry-After` in seconds), its body.
struct Answer {
    status: StatusCode,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

/// Sends one request and reads the whole answer.
async fn exchange(request: reqwest::RequestBuilder) -> reqwest::Result<Answer> {
    let response = request.send().await?;
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    };
    let request_id = header("x-openstack-request-id");
    let retry_after = header("retry-after")
        .and_then(|value| value.trim().parse().ok())
        .map(Duration::from_secs);
    let body = response.bytes().await?.to_vec();
    Ok(Answer {
        status,
        request_id,
        retry_after,
        body,
    })
}

/// Sends again after the failures `retry` allows (a 5xx or 429, a failed connect), up
/// to `get_retries` times with a pause that doubles each time, or as long as the server's
/// `Retry-After` asks when that is longer (up to [`MAX_RETRY_AFTER`]), so every read
/// (discovery included) rides out a restarting or busy server the same way. Gives back
/// the last outcome.
async fn with_retries<F, Fut>(
    settings: &HttpSettings,
    retry: Retry,
    what: &str,
    mut send: F,
) -> reqwest::Result<Answer>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = reqwest::Result<Answer>>,
{
    let mut attempt = 0u32;
    loop {
        let started = Instant::now();
        let outcome = send().await;
        let retry_left = attempt < settings.get_retries;
        let mut pause = settings.retry_backoff * 2u32.pow(attempt);
        match &outcome {
            Ok(answer) => {
                let status = answer.status;
                tracing::debug!(%what, status = status.as_u16(),
                    elapsed_ms = started.elapsed().as_millis() as u64, "cinder call");
                let busy = status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
                let asked = answer.retry_after.unwrap_or_default();
                if !(busy && retry == Retry::Transient && retry_left && asked <= MAX_RETRY_AFTER) {
                    return outcome;
                }
                pause = pause.max(asked);
                tracing::warn!(%what, status = status.as_u16(), attempt,
                    pause_ms = pause.as_millis() as u64, "server error, retrying");
            }
            Err(err) => {
                if !(err.is_connect() && retry != Retry::Never && retry_left) {
                    return outcome;
                }
                tracing::warn!(%what, error = %err, attempt, "connection failed, retrying");
            }
        }
        tokio::time::sleep(pause).await;
        attempt += 1;
    }
}

fn expiring(credentials: &Credentials) -> bool {
    credentials
        .expires_at
        .is_some_and(|at| at - chrono::Utc::now() < RENEW_BEFORE)
}

/// A call that got no answer. A mutation that may have reached Cinder (anything but a
/// failed connect) is [`Error::NoAnswer`]: it must be looked for, never sent again blindly.
fn transport_error(call: &Call<'_>, what: &str, endpoint: &str, err: &reqwest::Error) -> Error {
    let message = fault::transport_message(&format!("{what} at {endpoint}"), call.timeout, err);
    if call.method != Method::GET && !err.is_connect() {
        Error::NoAnswer(format!(
            "{message}; the request was sent, whether Cinder acted on it is unknown"
        ))
    } else {
        Error::Backend(message)
    }
}

/// Gets a token (when the method needs Keystone) and the endpoint to use.
async fn authenticate(
    client: &reqwest::Client,
    cloud: &CloudConfig,
    timeout: Duration,
    generation: u64,
) -> Result<Credentials> {
    let issued = auth::issue(client, &cloud.auth, timeout).await?;
    let mut origin = String::new();
    let (token, expires_at, endpoint) = match (issued, &cloud.auth) {
        (Some(issued), _) => {
            let endpoint = match &cloud.endpoint_override {
                Some(endpoint) => endpoint.clone(),
                None => {
                    let endpoint = auth::block_storage_endpoint(
                        &issued.catalog,
                        cloud.region_name.as_deref(),
                        &cloud.interface,
                    )?;
                    origin = format!(
                        " (catalog endpoint of region {}, interface {})",
                        endpoint.region().unwrap_or("(none)"),
                        endpoint.interface
                    );
                    endpoint.url().to_string()
                }
            };
            (issued.value, issued.expires_at, endpoint)
        }
        (None, AuthConfig::AdminToken { token }) => (token.clone(), None, fixed_endpoint(cloud)?),
        (None, AuthConfig::NoAuth { user, project }) => (
            SecretString::from(format!("{user}:{project}")),
            None,
            fixed_endpoint(cloud)?,
        ),
        (None, _) => return Err(Error::Backend("Keystone issued no token".into())),
    };
    Ok(Credentials {
        token,
        endpoint: endpoint.trim_end_matches('/').to_string(),
        origin,
        expires_at,
        generation,
    })
}

fn fixed_endpoint(cloud: &CloudConfig) -> Result<String> {
    cloud.endpoint_override.clone().ok_or_else(|| {
        Error::Backend(format!(
            "cloud '{}': no block-storage endpoint configured",
            cloud.name
        ))
    })
}

/// Why one place gave no usable version entry; the text names the request.
enum Miss {
    /// A 4xx, or a body that is not Cinder's document (a proxy's page, another service):
    /// Cinder may still answer at another path.
    NotHere(String),
    /// The server failed (5xx after the retries, no connection): another path on it would
    /// only fail again.
    Broken(String),
}

/// Reads Cinder's version document and picks the microversion. The unversioned root is
/// tried first because it needs no token; behind a path-based proxy it often does not reach
/// Cinder, so then the versioned root `<root>v3/` is read, the order keystoneauth's
/// discovery follows. The token goes only there: Cinder authenticates every request
/// under `/v3` (without one, keystonemiddleware answers 401 and noauth an empty 204).
async fn negotiate(
    client: &reqwest::Client,
    cloud: &CloudConfig,
    credentials: &Credentials,
    settings: &HttpSettings,
) -> Result<Microversion> {
    let root = version_root(&credentials.endpoint)?;
    let (url, entry) = match read_v3_entry(client, &root, None, &credentials.origin, settings).await
    {
        Ok(entry) => (root, entry),
        Err(Miss::Broken(reason)) => return Err(Error::Backend(reason)),
        Err(Miss::NotHere(at_root)) => {
            let versioned = root
                .join("v3/")
                .map_err(|err| Error::Backend(format!("invalid endpoint {root}: {err}")))?;
            tracing::info!(reason = %at_root, %versioned, "no version document at the root, trying the versioned one");
            let token = Some(&credentials.token);
            match read_v3_entry(client, &versioned, token, &credentials.origin, settings).await {
                Ok(entry) => (versioned, entry),
                Err(Miss::NotHere(reason) | Miss::Broken(reason)) => {
                    return Err(Error::Backend(format!(
                        "no Cinder version document: {at_root}; {reason}"
                    )));
                }
            }
        }
    };
    let configured = cloud.api_version.as_deref().and_then(Microversion::parse);
    choose(&url, &entry, configured)
}

/// Reads the version document at `url` (repeated like any read) and returns its v3 entry.
async fn read_v3_entry(
    client: &reqwest::Client,
    url: &url::Url,
    token: Option<&SecretString>,
    origin: &str,
    settings: &HttpSettings,
) -> Result<VersionEntry, Miss> {
    let what = format!("GET {url}{origin}");
    let Answer { status, body, .. } = with_retries(settings, Retry::Transient, &what, || {
        let request = client
            .get(url.clone())
            .timeout(settings.read_timeout)
            .header("Accept", "application/json");
        exchange(match token {
            Some(token) => request.header("X-Auth-Token", token.expose_secret()),
            None => request,
        })
    })
    .await
    .map_err(|err| Miss::Broken(fault::transport_message(&what, settings.read_timeout, &err)))?;
    if status.is_server_error() {
        return Err(Miss::Broken(fault::describe(status, &body, &what)));
    }
    if status.is_client_error() {
        return Err(Miss::NotHere(fault::describe(status, &body, &what)));
    }
    let document: VersionDocument = serde_json::from_slice(&body).map_err(|_| {
        Miss::NotHere(format!(
            "{} (not a Cinder version document)",
            fault::describe(status, &body, &what)
        ))
    })?;
    document
        .versions
        .into_iter()
        .find(|entry| entry.id.starts_with("v3"))
        .ok_or_else(|| Miss::NotHere(format!("{what}: the server offers no v3 API")))
}

/// Picks min(server maximum, ours, configured), refusing servers below 3.8. `url` is where
/// the document was read, for the messages.
fn choose(
    url: &url::Url,
    entry: &VersionEntry,
    configured: Option<Microversion>,
) -> Result<Microversion> {
    let server_max = Microversion::parse(&entry.version).ok_or_else(|| {
        Error::Backend(format!("GET {url}: unreadable version '{}'", entry.version))
    })?;
    let server_min = Microversion::parse(&entry.min_version).unwrap_or(Microversion(0));
    let configured = configured.filter(|v| v.0 > 0);
    let chosen = [Some(server_max), Some(MAX_MICROVERSION), configured]
        .into_iter()
        .flatten()
        .min()
        .expect("non-empty");
    if chosen < MIN_MICROVERSION || chosen < server_min {
        return Err(Error::Backend(format!(
            "Cinder at {url} supports block-storage API microversions {server_min} to {server_max}{}; \
             snapport needs at least {MIN_MICROVERSION} (the manageable_* resources, Cinder 9.0 Newton or later)",
            configured
                .map(|v| format!(" (configured limit {v})"))
                .unwrap_or_default()
        )));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calls_path_is_named_under_the_endpoints_path() {
        assert_eq!(
            url_path("http://cinder:8776/v3/p1/", "/os-services"),
            "/v3/p1/os-services"
        );
        assert_eq!(url_path("not a url", "os-services"), "/os-services");
    }

    #[test]
    fn root_drops_version_and_project() {
        let root = |e: &str| version_root(e).unwrap().to_string();
        assert_eq!(root("http://h/volume/v3/0123"), "http://h/volume/");
        assert_eq!(root("http://h:8776/v3/0123"), "http://h:8776/");
        assert_eq!(root("https://h:8776/v3"), "https://h:8776/");
        assert_eq!(root("http://h/volume"), "http://h/volume/");
    }

    fn entry(min: &str, max: &str) -> VersionEntry {
        VersionEntry {
            id: "v3.0".into(),
            version: max.into(),
            min_version: min.into(),
        }
    }

    #[test]
    fn the_lowest_of_server_ours_and_configured_is_chosen() {
        let url = url::Url::parse("http://h/volume/v3/").unwrap();
        let pick = |max: &str, configured: Option<u16>| {
            choose(&url, &entry("3.0", max), configured.map(Microversion))
        };
        assert_eq!(pick("3.71", None), Ok(Microversion(71)));
        assert_eq!(pick("3.99", None), Ok(MAX_MICROVERSION));
        assert_eq!(pick("3.71", Some(50)), Ok(Microversion(50)));
        assert_eq!(
            pick("3.60", Some(0)),
            Ok(Microversion(60)),
            "3.0 means no limit"
        );
        let Err(Error::Backend(old)) = pick("3.7", None) else {
            panic!("3.7 accepted");
        };
        assert!(
            old.starts_with(
                "Cinder at http://h/volume/v3/ supports block-storage API microversions 3.0 to 3.7;"
            ),
            "{old}"
        );
        let Err(Error::Backend(limited)) = pick("3.71", Some(5)) else {
            panic!("a limit below 3.8 accepted");
        };
        assert!(limited.contains("(configured limit 3.5)"), "{limited}");
        assert!(choose(&url, &entry("3.72", "3.80"), None).is_err());
        assert!(pick("three", None).is_err());
    }

    #[test]
    fn microversions_parse_and_order() {
        assert_eq!(Microversion::parse("3.71"), Some(Microversion(71)));
        assert_eq!(Microversion::parse("3"), Some(Microversion(0)));
        assert_eq!(Microversion::parse(""), Some(Microversion(0)));
        assert_eq!(Microversion::parse("2.1"), None);
        assert!(Microversion(8) < Microversion(71));
        assert_eq!(Microversion(8).to_string(), "3.8");
    }
}
