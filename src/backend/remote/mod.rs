//! The remote back end: Cinder's v3 REST API, authenticated through Keystone (or
//! Cinder's noauth), configured from clouds.yaml like the `openstack` client.
//!
//! It is stricter than Cinder: before a snapshot import it checks, in the back end's own
//! manageable list, that the reference exists, is not already managed and is a snapshot
//! of the given volume. Cinder's LVM driver checks none of these.

pub mod auth;
mod changes;
pub mod clouds;
mod clusters;
pub mod fault;
pub mod http;
mod imports;
mod lists;
pub mod wire;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::sync::broadcast;

use self::clouds::ConfigSources;
use self::clusters::{Clusters, MANAGE_BY_CLUSTER};
use self::http::{Call, HttpSettings, Microversion, Session};
use self::imports::{Claims, Listings};
use self::wire::{One, PoolList, SnapshotWire, VolumeWire};
use super::{
    Backend, BackendInfo, CreateVolumeRequest, Error, Host, ListFilter, ManageSnapshotRequest,
    ManageVolumeRequest, ManageableSnapshot, ManageableVolume, PageSink, Result, Snapshot, Volume,
    backend_of,
};

/// How to reach a cloud, and how patient to be with it.
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    /// The cloud in clouds.yaml; `None` follows `OS_CLOUD`, then `OS_*`, then a lone cloud.
    pub cloud: Option<String>,
    /// Environment and search path; `None` uses the process's.
    pub sources: Option<ConfigSources>,
    pub connect_timeout: Duration,
    /// Limit for an ordinary call.
    pub read_timeout: Duration,
    /// Limit for the manageable lists, which scan the whole back end on every page
    /// (about 0.2 s per LV with Cinder's LVM driver).
    pub manageable_timeout: Duration,
    /// Extra tries for GETs after a 5xx or a connection failure.
    pub get_retries: u32,
    pub retry_backoff: Duration,
    /// `limit` for volume and snapshot lists.
    pub page_size: u32,
    /// `limit` for manageable lists; every page costs a full back-end scan, so large.
    pub manageable_page_size: u32,
    /// First pause between status polls after a manage or unmanage, doubled after each
    /// poll up to `poll_interval`: Cinder settles most of them within a second.
    pub poll_first: Duration,
    /// Longest pause between status polls.
    pub poll_interval: Duration,
    /// How long to wait for a manage or unmanage to finish.
    pub poll_timeout: Duration,
}

impl Default for RemoteOptions {
    fn default() -> Self {
        Self {
            cloud: None,
            sources: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            manageable_timeout: Duration::from_secs(300),
            get_retries: 2,
            retry_backoff: Duration::from_millis(250),
            page_size: 1000,
            manageable_page_size: 1000,
            poll_first: Duration::from_millis(100),
            poll_interval: Duration::from_secs(1),
            poll_timeout: Duration::from_secs(300),
        }
    }
}

/// Which long-running change a [`Progress`] report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    ManageSnapshot,
    UnmanageSnapshot,
    ManageVolume,
    UnmanageVolume,
    CreateVolume,
    DeleteSnapshot,
    DeleteVolume,
}

/// A status seen while waiting for Cinder to finish a change.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub operation: Operation,
    /// The Cinder id of the volume or snapshot.
    pub id: String,
    /// Cinder's status, or `gone` once an unmanaged or deleted resource disappeared.
    pub status: String,
    pub elapsed: Duration,
    /// True on the last report of the operation (success or failure).
    pub finished: bool,
}

/// The two resource kinds that are polled.
#[derive(Debug, Clone, Copy)]
enum Resource {
    Volume,
    Snapshot,
}

impl Resource {
    fn collection(self) -> &'static str {
        match self {
            Resource::Volume => "volumes",
            Resource::Snapshot => "snapshots",
        }
    }

    fn manageable_collection(self) -> &'static str {
        match self {
            Resource::Volume => "manageable_volumes",
            Resource::Snapshot => "manageable_snapshots",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Resource::Volume => "volume",
            Resource::Snapshot => "snapshot",
        }
    }
}

/// Cinder's v3 API as a [`Backend`].
pub struct RemoteBackend {
    session: Session,
    options: RemoteOptions,
    progress: broadcast::Sender<Progress>,
    /// The hosts' manageable listings that import checks use.
    snapshot_listings: Listings<ManageableSnapshot>,
    volume_listings: Listings<ManageableVolume>,
    /// References this session imports or imported.
    claims: Claims,
    /// The clusters of the services, for whom listings and volume imports go to.
    clusters: Clusters,
}

impl RemoteBackend {
    /// Reads the cloud's settings, authenticates and negotiates the microversion.
    pub async fn connect(options: RemoteOptions) -> Result<Self> {
        let sources = options
            .sources
            .clone()
            .unwrap_or_else(ConfigSources::from_process);
        let cloud = clouds::load(options.cloud.as_deref(), &sources)
            .map_err(|err| Error::Backend(format!("configuration: {err}")))?;
        let mut options = options;
        if let Some(timeout) = cloud.api_timeout {
            options.read_timeout = timeout;
        }
        let settings = HttpSettings {
            connect_timeout: options.connect_timeout,
            read_timeout: options.read_timeout,
            get_retries: options.get_retries,
            retry_backoff: options.retry_backoff,
        };
        let session = Session::open(cloud, settings).await?;
        let (progress, _) = broadcast::channel(256);
        Ok(Self {
            session,
            options,
            progress,
            snapshot_listings: Listings::default(),
            volume_listings: Listings::default(),
            claims: Claims::default(),
            clusters: Clusters::default(),
        })
    }

    /// Status reports of manages and unmanages in flight, for a UI to show.
    pub fn progress(&self) -> broadcast::Receiver<Progress> {
        self.progress.subscribe()
    }

    /// True when TLS certificates are not verified (`verify: false` or `insecure`): a UI
    /// should say so.
    pub fn tls_verification_disabled(&self) -> bool {
        self.session.cloud().tls.insecure
    }

    /// What the operator must know about this connection: TLS not verified, secrets
    /// in files others can read.
    fn warnings(&self) -> Vec<String> {
        let cloud = self.session.cloud();
        let tls = cloud
            .tls
            .insecure
            .then(|| "TLS certificate verification is off".to_string());
        let files = cloud.exposed_secrets.iter().map(|path| {
            format!(
                "{} holds this cloud's secret and other users can read it: chmod 600 {}",
                path.display(),
                path.display()
            )
        });
        tls.into_iter().chain(files).collect()
    }

    /// Who this session is on which cloud, for the audit trail: names and ids only.
    pub fn identity(&self) -> super::audit::Identity {
        use self::clouds::{AuthConfig, Named, Scope};
        let cloud = self.session.cloud();
        let mut identity = super::audit::Identity {
            kind: "cloud".into(),
            cloud: Some(cloud.name.clone()),
            ..Default::default()
        };
        let mut user = |named: &Named| match named {
            Named::Id(id) => identity.user_id = Some(id.clone()),
            Named::Name { name, .. } => identity.user = Some(name.clone()),
        };
        let project = match &cloud.auth {
            AuthConfig::Password {
                user: named, scope, ..
            } => {
                user(named);
                Some(scope)
            }
            AuthConfig::ApplicationCredential { user: named, .. } => {
                if let Some(named) = named {
                    user(named);
                }
                None
            }
            AuthConfig::Token { scope, .. } => Some(scope),
            AuthConfig::AdminToken { .. } => None,
            AuthConfig::NoAuth { user, project } => {
                identity.user_id = Some(user.clone());
                identity.project_id = Some(project.clone());
                None
            }
        };
        if let Some(Scope::Project(named)) = project {
            match named {
                Named::Id(id) => identity.project_id = Some(id.clone()),
                Named::Name { name, .. } => identity.project = Some(name.clone()),
            }
        }
        identity
    }

    /// The cloud, region, project and user (or application credential) this session
    /// uses, from its clouds.yaml entry: names where given, else ids.
    fn who(&self) -> String {
        use self::clouds::{AuthConfig, Named};
        let cloud = self.session.cloud();
        let identity = self.identity();
        let credential = match &cloud.auth {
            AuthConfig::ApplicationCredential { credential, .. } => Some(match credential {
                Named::Id(id) => id.clone(),
                Named::Name { name, .. } => name.clone(),
            }),
            _ => None,
        };
        let parts = [
            ("cloud", Some(cloud.name.clone())),
            ("region", cloud.region_name.clone()),
            ("project", identity.project.or(identity.project_id)),
            ("user", identity.user.or(identity.user_id)),
            ("application-credential", credential),
        ];
        parts
            .into_iter()
            .filter_map(|(key, value)| Some(format!("{key}={}", value?)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The negotiated microversion.
    pub fn microversion(&self) -> Microversion {
        self.session.microversion()
    }

    /// The block-storage endpoint in use.
    pub fn endpoint(&self) -> String {
        self.session.endpoint()
    }

    async fn get<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T> {
        let what = format!("GET {}", call.path);
        self.session.send(call).await?.json(&what)
    }
}

#[async_trait]
impl Backend for RemoteBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            label: format!("cloud {}", self.session.cloud().name),
            identity: Some(self.who()),
            read_only: false,
            warnings: self.warnings(),
        }
    }

    async fn hosts(&self) -> Result<Vec<Host>> {
        let timeout = self.options.read_timeout;
        let pools = self.get::<PoolList>(
            Call::get("scheduler-stats/get_pools", timeout).query(vec![("detail", "true".into())]),
        );
        let (services, pools) = futures::try_join!(self.volume_services(), pools)?;
        Ok(wire::join_hosts(services, &pools.pools))
    }

    async fn volumes_paged(&self, filter: &ListFilter, sink: PageSink<'_, Volume>) -> Result<()> {
        let mut query = vec![("all_tenants", "1".to_string())];
        query.extend(
            filter
                .host
                .as_deref()
                .map(|h| ("host", backend_of(h).to_string())),
        );
        self.list_paged::<VolumeWire, Volume>("volumes/detail", query, &|_| true, sink)
            .await
    }

    async fn snapshots_paged(
        &self,
        filter: &ListFilter,
        sink: PageSink<'_, Snapshot>,
    ) -> Result<()> {
        let mut query = vec![("all_tenants", "1".to_string())];
        query.extend(filter.volume_id.clone().map(|id| ("volume_id", id)));
        // Snapshots carry no host: filter by the parents on that host, on this side,
        // rather than rely on a server-side filter whose handling varies.
        let parents: Option<HashSet<String>> = match &filter.host {
            Some(host) => {
                let on_host = ListFilter {
                    host: Some(host.clone()),
                    volume_id: None,
                };
                let volumes = self.volumes(&on_host).await?;
                Some(volumes.into_iter().map(|v| v.id).collect())
            }
            None => None,
        };
        let keep = |snapshot: &Snapshot| {
            parents
                .as_ref()
                .is_none_or(|ids| ids.contains(&snapshot.volume_id))
        };
        // The summary list has every field snapport uses, and costs Cinder less than
        // `/detail`, which adds two extended attributes row by row (10,000 snapshots:
        // 0.74 s instead of 0.87 s on the e2e harness).
        self.list_paged::<SnapshotWire, Snapshot>("snapshots", query, &keep, sink)
            .await
    }

    async fn volume(&self, id: &str) -> Result<Volume> {
        let path = format!("volumes/{id}");
        let one: One<VolumeWire> = self
            .get(Call::get(&path, self.options.read_timeout))
            .await?;
        Ok(one.item.into())
    }

    async fn snapshot(&self, id: &str) -> Result<Snapshot> {
        let path = format!("snapshots/{id}");
        let one: One<SnapshotWire> = self
            .get(Call::get(&path, self.options.read_timeout))
            .await?;
        Ok(one.item.into())
    }

    async fn manageable_snapshots(&self, host: &str) -> Result<Vec<ManageableSnapshot>> {
        let listed = self.fetch_manageable_snapshots(host).await;
        let kept = listed.clone().map(Arc::new);
        self.snapshot_listings.store(host, kept).await;
        listed
    }

    async fn manageable_volumes(&self, host: &str) -> Result<Vec<ManageableVolume>> {
        let listed = self.fetch_manageable_volumes(host).await;
        let kept = listed.clone().map(Arc::new);
        self.volume_listings.store(host, kept).await;
        listed
    }

    async fn manage_snapshot(&self, request: &ManageSnapshotRequest) -> Result<Snapshot> {
        let claim = self.check_snapshot_import(request).await?;
        let body = json!({ "snapshot": {
            "volume_id": request.volume_id,
            "ref": request.reference,
            "name": request.name,
            "description": request.description,
            "metadata": request.metadata,
        }});
        let what = format!(
            "{} as a snapshot of volume {}",
            request.reference.label(),
            request.volume_id
        );
        let id = self
            .import(Operation::ManageSnapshot, Resource::Snapshot, body, &what)
            .await?;
        claim.settle(&id);
        self.snapshot(&id).await
    }

    async fn unmanage_snapshot(&self, id: &str) -> Result<()> {
        self.unmanage(Operation::UnmanageSnapshot, Resource::Snapshot, id)
            .await
    }

    async fn manage_volume(&self, request: &ManageVolumeRequest) -> Result<Volume> {
        let claim = self.check_volume_import(request).await?;
        let wanted = request.reference.label();
        let addressee = self.addressee(&request.host, MANAGE_BY_CLUSTER).await;
        let (field, target) = addressee.field();
        let body = json!({ "volume": {
            field: target,
            "ref": request.reference,
            "name": request.name,
            "description": request.description,
            "metadata": request.metadata,
        }});
        let what = format!("{wanted} on {field} {target}");
        let id = self
            .import(Operation::ManageVolume, Resource::Volume, body, &what)
            .await;
        // The LV was renamed (or may have been, when the import failed), and its
        // snapshots' origin with it. The volume listing still serves the other LVs of a
        // batch once the claim remembers this one: a listing per import would cost
        // Cinder a scan of the whole back end each time.
        self.snapshot_listings.forget(&request.host);
        let id = id.inspect_err(|_| self.volume_listings.forget(&request.host))?;
        claim.settle(&id);
        self.volume(&id).await
    }

    async fn unmanage_volume(&self, id: &str) -> Result<()> {
        self.unmanage(Operation::UnmanageVolume, Resource::Volume, id)
            .await
    }

    async fn create_volume(&self, request: &CreateVolumeRequest) -> Result<Volume> {
        let mut volume = json!({
            "snapshot_id": request.snapshot_id,
            "name": request.name,
            "description": request.description,
            "metadata": request.metadata,
        });
        if let Some(size) = request.size {
            volume["size"] = json!(size);
        }
        let reply = self
            .session
            .send(Call::post(
                "volumes",
                json!({ "volume": volume }),
                self.options.read_timeout,
            ))
            .await?;
        let created: One<wire::Brief> = reply.json("POST volumes")?;
        let id = created.item.id;
        let what = format!("a volume from snapshot {}", request.snapshot_id);
        tracing::info!(id, what, "create accepted");
        self.wait_available(
            Operation::CreateVolume,
            Resource::Volume,
            &id,
            &format!("create {what}"),
        )
        .await?;
        self.volume(&id).await
    }

    async fn delete_snapshot(&self, id: &str) -> Result<()> {
        self.delete(Operation::DeleteSnapshot, Resource::Snapshot, id)
            .await
    }

    async fn delete_volume(&self, id: &str) -> Result<()> {
        self.delete(Operation::DeleteVolume, Resource::Volume, id)
            .await
    }
}
