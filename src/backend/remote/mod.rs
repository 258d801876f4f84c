//! The remote back end: Cinder's v3 REST API, authenticated through Keystone (or
//! Cinder's noauth), configured from clouds.yaml like the `openstack` client.
//!
//! It is stricter than Cinder: before a snapshot import it checks, in the back end's own
//! manageable list, that the reference exists, is not already managed and is a snapshot
//! of the given volume. Cinder's LVM driver checks none of these.

pub mod auth;
pub mod clouds;
pub mod fault;
pub mod http;
mod imports;
pub mod wire;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::sync::broadcast;

use self::clouds::ConfigSources;
use self::http::{Call, HttpSettings, Microversion, Retry, Session};
use self::imports::{Claim, Claims, Listings, listing_unavailable, templated_id};
use self::wire::{Brief, Identified, One, Page, PoolList, ServiceList, SnapshotWire, VolumeWire};
use super::{
    Backend, BackendInfo, Error, Host, ListFilter, ManageSnapshotRequest, ManageVolumeRequest,
    ManageableSnapshot, ManageableVolume, PageSink, Reference, Result, Snapshot, Volume,
    backend_of, volume_lv_name,
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
}

/// A status seen while waiting for Cinder to finish a change.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub operation: Operation,
    /// The Cinder id of the volume or snapshot.
    pub id: String,
    /// Cinder's status, or `gone` once an unmanaged resource disappeared.
    pub status: String,
    pub elapsed: Duration,
    /// True on the last report of the operation (success or failure).
    pub finished: bool,
}

/// The first microversion whose lists can tell their total (`with_count`).
const COUNT_MICROVERSION: Microversion = Microversion(45);
/// Pages of an inventory fetched at once once the total is known: enough to keep a
/// couple of API workers busy, few enough not to crowd out other callers.
const PAGES_IN_FLIGHT: usize = 4;

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

    /// Walks a volume or snapshot list, delivering every non-empty page in order. From
    /// microversion 3.45 the first page tells the total, and the rest is fetched by
    /// offset, a few pages at a time; rows are deduplicated by id (a row can move
    /// between pages while they are read). Older servers are walked by marker.
    async fn list_paged<W, T>(
        &self,
        path: &str,
        query: Vec<(&'static str, String)>,
        keep: &(dyn Fn(&T) -> bool + Sync),
        sink: PageSink<'_, T>,
    ) -> Result<()>
    where
        W: DeserializeOwned + Into<T> + Identified,
    {
        let limit = self.options.page_size.max(1) as usize;
        let mut seen = HashSet::new();
        let mut deliver = |page: Vec<W>| {
            let items: Vec<T> = page
                .into_iter()
                .filter(|item| seen.insert(item.id().to_string()))
                .map(Into::into)
                .filter(|item| keep(item))
                .collect();
            if !items.is_empty() {
                sink(items);
            }
        };
        if self.microversion() < COUNT_MICROVERSION {
            return self.walk_by_marker(path, &query, None, &mut deliver).await;
        }
        let mut params = query.clone();
        params.push(("with_count", "true".into()));
        let first: Page<W> = self.list_page(path, params).await?;
        let full = first.items.len() >= limit;
        let next = wire::next_marker(&first.links)?;
        let total = first.count.unwrap_or(0) as usize;
        deliver(first.items);
        if !full {
            return Ok(());
        }
        let pages = futures::stream::iter((limit..total).step_by(limit))
            .map(|offset| {
                let mut params = query.clone();
                params.push(("offset", offset.to_string()));
                self.list_page::<W>(path, params)
            })
            .buffered(PAGES_IN_FLIGHT);
        futures::pin_mut!(pages);
        let mut last = next;
        while let Some(page) = pages.next().await {
            let page = page?;
            let page_full = page.items.len() >= limit;
            last = if page_full {
                wire::next_marker(&page.links)?
            } else {
                None
            };
            deliver(page.items);
        }
        match last {
            // Rows beyond the total counted at first: go on by marker.
            Some(marker) => {
                self.walk_by_marker(path, &query, Some(marker), &mut deliver)
                    .await
            }
            None => Ok(()),
        }
    }

    /// One page of a volume or snapshot list.
    async fn list_page<W: DeserializeOwned>(
        &self,
        path: &str,
        mut params: Vec<(&'static str, String)>,
    ) -> Result<Page<W>> {
        params.push(("limit", self.options.page_size.max(1).to_string()));
        self.get(Call::get(path, self.options.read_timeout).query(params))
            .await
    }

    /// Follows next links from `marker` (the start when `None`) to the end.
    async fn walk_by_marker<W: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&'static str, String)],
        mut marker: Option<String>,
        deliver: &mut (dyn FnMut(Vec<W>) + Send),
    ) -> Result<()> {
        loop {
            let mut params = query.to_vec();
            params.extend(marker.clone().map(|m| ("marker", m)));
            let page: Page<W> = self.list_page(path, params).await?;
            if page.items.is_empty() {
                return Ok(());
            }
            let next = wire::next_marker(&page.links)?;
            deliver(page.items);
            match next {
                None => return Ok(()),
                Some(next) if marker.as_ref() == Some(&next) => {
                    return Err(Error::Backend(format!(
                        "{path}: the next link repeats marker {next}"
                    )));
                }
                Some(next) => marker = Some(next),
            }
        }
    }

    /// Walks a manageable list with the JSON reference of the last item as the marker.
    async fn manageable<T: DeserializeOwned>(
        &self,
        path: &str,
        host: &str,
        reference: fn(&T) -> &Reference,
    ) -> Result<Vec<T>> {
        let limit = self.options.manageable_page_size.max(1);
        let mut all: Vec<T> = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut params = vec![
                ("host", backend_of(host).to_string()),
                ("limit", limit.to_string()),
                ("sort", "reference:asc".to_string()),
            ];
            params.extend(marker.clone().map(|m| ("marker", m)));
            let mut call = Call::get(path, self.options.manageable_timeout).query(params);
            call.retry = Retry::ConnectOnly;
            let started = Instant::now();
            let page: Page<T> = self.get(call).await?;
            let count = page.items.len();
            tracing::debug!(
                path,
                host,
                count,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "manageable page"
            );
            let next = page.items.last().map(|last| {
                serde_json::to_string(reference(last)).expect("a reference serializes")
            });
            all.extend(page.items);
            if count < limit as usize {
                return Ok(all);
            }
            if next == marker {
                return Err(Error::Backend(format!(
                    "{path}: pagination does not advance past {next:?}"
                )));
            }
            marker = next;
        }
    }

    fn report(
        &self,
        operation: Operation,
        id: &str,
        status: &str,
        started: Instant,
        finished: bool,
    ) {
        tracing::info!(
            ?operation,
            id,
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            finished,
            "progress"
        );
        let _ = self.progress.send(Progress {
            operation,
            id: id.to_string(),
            status: status.to_string(),
            elapsed: started.elapsed(),
            finished,
        });
    }

    /// Reads a resource's status; `None` once Cinder answers 404.
    async fn status(&self, resource: Resource, id: &str) -> Result<Option<String>> {
        let path = format!("{}/{id}", resource.collection());
        match self
            .get::<One<Brief>>(Call::get(&path, self.options.read_timeout))
            .await
        {
            Ok(one) => Ok(Some(one.item.status)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Polls until `done` accepts the status (`Ok(true)`) or rejects it (`Err`), within
    /// the configured time.
    async fn wait(
        &self,
        operation: Operation,
        resource: Resource,
        id: &str,
        done: impl Fn(Option<&str>) -> Result<bool>,
    ) -> Result<()> {
        let started = Instant::now();
        let mut pause = self.options.poll_first.min(self.options.poll_interval);
        loop {
            let status = self.status(resource, id).await?;
            let shown = status.as_deref().unwrap_or("gone");
            match done(status.as_deref()) {
                Ok(true) => {
                    self.report(operation, id, shown, started, true);
                    return Ok(());
                }
                Err(err) => {
                    self.report(operation, id, shown, started, true);
                    return Err(err);
                }
                Ok(false) => self.report(operation, id, shown, started, false),
            }
            if started.elapsed() >= self.options.poll_timeout {
                return Err(Error::Backend(format!(
                    "gave up after {} s: {} {id} is still {shown}; Cinder may yet finish, check it later",
                    self.options.poll_timeout.as_secs(),
                    resource.noun()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(self.options.poll_interval);
        }
    }

    /// Waits for `available`; `error` means the import failed and left a record behind.
    async fn wait_available(
        &self,
        operation: Operation,
        resource: Resource,
        id: &str,
        what: &str,
    ) -> Result<()> {
        self.wait(operation, resource, id, |status| match status {
            Some("available") => Ok(true),
            Some("error") => Err(Error::Backend(format!(
                "Cinder could not import {what}: {noun} {id} went to status error (the reason is in \
                 cinder-volume's log). The error record {id} stays in Cinder; delete it \
                 (openstack volume {snapshot}delete {id}) before trying again.",
                noun = resource.noun(),
                snapshot = if matches!(resource, Resource::Snapshot) { "snapshot " } else { "" },
            ))),
            Some(_) => Ok(false),
            None => Err(Error::NotFound(format!(
                "{} {id} disappeared while being imported",
                resource.noun()
            ))),
        })
        .await
    }

    /// Posts an import and waits until Cinder reports the new resource available.
    async fn import(
        &self,
        operation: Operation,
        resource: Resource,
        body: serde_json::Value,
        what: &str,
    ) -> Result<String> {
        let path = resource.manageable_collection();
        let reply = self
            .session
            .send(Call::post(path, body, self.options.read_timeout))
            .await?;
        let created: One<Brief> = reply.json(&format!("POST {path}"))?;
        let id = created.item.id;
        tracing::info!(id, what, "import accepted");
        self.wait_available(operation, resource, &id, what).await?;
        Ok(id)
    }

    /// Waits for the 404 that ends an unmanage.
    async fn wait_gone(&self, operation: Operation, resource: Resource, id: &str) -> Result<()> {
        self.wait(operation, resource, id, |status| match status {
            None => Ok(true),
            Some(failed @ ("error_deleting" | "error_unmanaging")) => Err(Error::Backend(format!(
                "Cinder could not unmanage {} {id}: its status is {failed}",
                resource.noun()
            ))),
            Some(_) => Ok(false),
        })
        .await
    }

    async fn unmanage(&self, operation: Operation, resource: Resource, id: &str) -> Result<()> {
        // What the listings say of that resource's back-end object is about to change.
        self.snapshot_listings.forget_all();
        self.volume_listings.forget_all();
        let path = format!("{}/{id}/action", resource.collection());
        self.session
            .send(Call::post(
                &path,
                json!({ "os-unmanage": null }),
                self.options.read_timeout,
            ))
            .await?;
        self.wait_gone(operation, resource, id).await
    }

    /// The id Cinder manages `reference` under, where the reference follows the
    /// driver's name template for `resource` and Cinder has that id: one GET, no listing.
    async fn managed_under_template(
        &self,
        resource: Resource,
        reference: &Reference,
    ) -> Result<Option<String>> {
        let prefixes: &[&str] = match resource {
            Resource::Snapshot => &["_snapshot-", "snapshot-"],
            Resource::Volume => &["volume-"],
        };
        let Some(id) = templated_id(reference, prefixes) else {
            return Ok(None);
        };
        Ok(self.status(resource, id).await?.map(|_| id.to_string()))
    }

    /// Holds `reference` for this import, refused when this session is importing it
    /// already or imported it before (its old name is still in a kept listing).
    fn claim(&self, noun: &str, host: &str, reference: &Reference) -> Result<Claim<'_>> {
        self.claims
            .take(host, reference)
            .map_err(|owner| match owner {
                Some(id) => already_managed(noun, reference.label(), host, Some(&id)),
                None => Error::AlreadyManaged(format!(
                    "{} on host {host} is being imported by another item of this batch",
                    reference.label()
                )),
            })
    }

    /// snapport's checks before a snapshot import, all made before anything is sent:
    /// the parent exists and is available, the reference is not a managed snapshot's
    /// name, and, in the host's listing, it exists, is not managed and is a snapshot of
    /// the parent. Returns the claim on the reference.
    async fn check_snapshot_import(&self, request: &ManageSnapshotRequest) -> Result<Claim<'_>> {
        let wanted = request.reference.label();
        let (parent, managed) = futures::try_join!(
            self.volume(&request.volume_id),
            self.managed_under_template(Resource::Snapshot, &request.reference),
        )?;
        let host = parent.host.clone().ok_or_else(|| {
            Error::InvalidState(format!(
                "Invalid volume: volume {} has no host, so its back end is unknown",
                parent.id
            ))
        })?;
        if !["available", "in-use"].contains(&parent.status.as_str()) {
            return Err(Error::InvalidState(format!(
                "Invalid volume: Volume {} status must be available, in-use, but current status is: {}.",
                parent.id, parent.status
            )));
        }
        if let Some(id) = managed {
            return Err(already_managed("snapshot", wanted, &host, Some(&id)));
        }
        let claim = self.claim("snapshot", &host, &request.reference)?;
        if request.without_listing {
            return Ok(claim);
        }
        let unavailable = |reason: String| {
            let mut checked = vec![format!(
                "volume {} exists and is {}",
                parent.id, parent.status
            )];
            if templated_id(&request.reference, &["_snapshot-", "snapshot-"]).is_some() {
                checked.push(format!(
                    "{wanted} is not the name of a snapshot Cinder manages"
                ));
            }
            listing_unavailable(
                &reason,
                &checked,
                &format!(
                    "that {wanted} exists on the back end, is a snapshot of volume {}, and is \
                     not managed under another name",
                    parent.id
                ),
            )
        };
        let listing = self
            .snapshot_listings
            .get(&host, self.fetch_manageable_snapshots(&host))
            .await
            .map_err(|err| {
                unavailable(format!(
                    "the manageable snapshot listing of host {host} failed: {err}"
                ))
            })?;
        if listing.is_empty() {
            return Err(unavailable(format!(
                "host {host} lists no back-end snapshots at all (a driver without manageable \
                 listings answers so)"
            )));
        }
        let entry = listing
            .iter()
            .find(|entry| entry.reference == request.reference)
            .ok_or_else(|| {
                Error::InvalidReference(format!(
                    "{wanted} does not exist on host {host}: the back end does not list it as a snapshot"
                ))
            })?;
        if is_managed(entry.cinder_id.as_deref(), entry.reason_not_safe.as_deref()) {
            return Err(already_managed(
                "snapshot",
                wanted,
                &host,
                entry.cinder_id.as_deref(),
            ));
        }
        let expected = volume_lv_name(&parent.id);
        let origin = entry.source_reference.as_ref().map(Reference::label);
        if !request.force && origin != Some(expected.as_str()) {
            return Err(Error::InvalidReference(format!(
                "{wanted} is a snapshot of {}, not of volume {} ({expected}); force the import to take it anyway",
                origin.unwrap_or("an unknown origin"),
                parent.id
            )));
        }
        Ok(claim)
    }

    /// snapport's checks before a volume import: the reference is not a managed volume's
    /// name and, in the host's listing, not managed. Returns the claim on the reference.
    async fn check_volume_import(&self, request: &ManageVolumeRequest) -> Result<Claim<'_>> {
        let wanted = request.reference.label();
        let host = &request.host;
        if let Some(id) = self
            .managed_under_template(Resource::Volume, &request.reference)
            .await?
        {
            return Err(already_managed("volume", wanted, host, Some(&id)));
        }
        let claim = self.claim("volume", host, &request.reference)?;
        if request.without_listing {
            return Ok(claim);
        }
        let unavailable = |reason: String| {
            let checked = if templated_id(&request.reference, &["volume-"]).is_some() {
                format!("{wanted} is not the name of a volume Cinder manages")
            } else {
                format!("nothing ({wanted} does not follow the volume-<id> name template)")
            };
            listing_unavailable(
                &reason,
                &[checked],
                &format!(
                    "that {wanted} exists on the back end and is not managed under another name"
                ),
            )
        };
        let listing = self
            .volume_listings
            .get(host, self.fetch_manageable_volumes(host))
            .await
            .map_err(|err| {
                unavailable(format!(
                    "the manageable volume listing of host {host} failed: {err}"
                ))
            })?;
        if listing.is_empty() {
            return Err(unavailable(format!(
                "host {host} lists no back-end volumes at all (a driver without manageable \
                 listings answers so)"
            )));
        }
        if let Some(entry) = listing
            .iter()
            .find(|entry| entry.reference == request.reference)
            && is_managed(entry.cinder_id.as_deref(), entry.reason_not_safe.as_deref())
        {
            return Err(already_managed(
                "volume",
                wanted,
                host,
                entry.cinder_id.as_deref(),
            ));
        }
        Ok(claim)
    }

    async fn fetch_manageable_snapshots(&self, host: &str) -> Result<Vec<ManageableSnapshot>> {
        self.manageable(
            "manageable_snapshots/detail",
            host,
            |entry: &ManageableSnapshot| &entry.reference,
        )
        .await
    }

    async fn fetch_manageable_volumes(&self, host: &str) -> Result<Vec<ManageableVolume>> {
        self.manageable(
            "manageable_volumes/detail",
            host,
            |entry: &ManageableVolume| &entry.reference,
        )
        .await
    }
}

/// Cinder marks an entry of a manageable list as managed with its id or this reason.
fn is_managed(cinder_id: Option<&str>, reason_not_safe: Option<&str>) -> bool {
    cinder_id.is_some() || reason_not_safe == Some("already managed")
}

fn already_managed(noun: &str, wanted: &str, host: &str, cinder_id: Option<&str>) -> Error {
    let owner = cinder_id
        .map(|id| format!(" as {noun} {id}"))
        .unwrap_or_default();
    Error::AlreadyManaged(format!(
        "{wanted} on host {host} is already managed{owner}; importing it again would leave \
         that record pointing at a renamed {noun}"
    ))
}

#[async_trait]
impl Backend for RemoteBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            label: format!("cloud {}", self.session.cloud().name),
            read_only: false,
            warnings: if self.tls_verification_disabled() {
                vec!["TLS certificate verification is off".into()]
            } else {
                Vec::new()
            },
        }
    }

    async fn hosts(&self) -> Result<Vec<Host>> {
        let timeout = self.options.read_timeout;
        let services = self.get::<ServiceList>(
            Call::get("os-services", timeout).query(vec![("binary", "cinder-volume".into())]),
        );
        let pools = self.get::<PoolList>(
            Call::get("scheduler-stats/get_pools", timeout).query(vec![("detail", "true".into())]),
        );
        let (services, pools) = futures::try_join!(services, pools)?;
        Ok(wire::join_hosts(services.services, &pools.pools))
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
        self.list_paged::<SnapshotWire, Snapshot>("snapshots/detail", query, &keep, sink)
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
        let body = json!({ "volume": {
            "host": request.host,
            "ref": request.reference,
            "name": request.name,
            "description": request.description,
            "metadata": request.metadata,
        }});
        let what = format!("{wanted} on host {}", request.host);
        let id = self
            .import(Operation::ManageVolume, Resource::Volume, body, &what)
            .await;
        // Whatever came of it, the LV may have been renamed, and its snapshots' origin
        // with it.
        self.snapshot_listings.forget(&request.host);
        self.volume_listings.forget(&request.host);
        let id = id?;
        claim.settle(&id);
        self.volume(&id).await
    }

    async fn unmanage_volume(&self, id: &str) -> Result<()> {
        self.unmanage(Operation::UnmanageVolume, Resource::Volume, id)
            .await
    }
}
