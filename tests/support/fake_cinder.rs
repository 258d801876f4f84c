//! A fake Cinder v3 API and Keystone v3 on loopback that behave like the real ones in
//! the ways snapport depends on: version document, microversion checks, fault bodies,
//! paging with next links, manageable lists with JSON markers, asynchronous status
//! changes, expiring tokens. Every request is recorded so tests can assert what was sent.
//!
//! The simulated back end ([`Storage`]) is separate from the API ([`FakeCloud`]), so two
//! clouds can share one back end, as in a migration.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

/// The project every fake token is scoped to (hex, as Cinder's project_id_regex wants).
pub const PROJECT: &str = "0123456789abcdef0123456789abcdef";
pub const USER: &str = "admin";
pub const USER_ID: &str = "u-admin-0001";
pub const PASSWORD: &str = "pw-Zq8-very-secret";
pub const APP_CRED_ID: &str = "appcred-0001";
pub const APP_CRED_SECRET: &str = "appsecret-Kx3-very-secret";

/// One logical volume of the simulated volume group.
#[derive(Debug, Clone, PartialEq)]
pub struct Lv {
    pub size_gib: u64,
    /// The origin LV for snapshot LVs.
    pub origin: Option<String>,
    pub open: bool,
}

/// How the simulated back end names snapshots, as the Cinder driver in front of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Driver {
    /// Snapshot LVs, named uniquely in the VG; an import renames whatever LV has the
    /// name to `_snapshot-<id>`, origin unchecked.
    Lvm,
    /// Snapshots named per image (two images may each have a `daily`); an import looks
    /// for the name on the parent volume's image only and renames it `snapshot-<id>`.
    Rbd,
}

/// The back-end objects one manageable listing shows.
struct Listed {
    name: String,
    size_gib: u64,
    parent: Option<String>,
    open: bool,
}

/// A simulated LVM or RBD back end behind one cinder-volume service, shareable by
/// several clouds.
pub struct Storage {
    /// `host@backend`
    pub host: String,
    /// `host@backend#pool`
    pub pool: String,
    pub driver: Driver,
    /// Volumes (LVs, or RBD images) and, with LVM, snapshot LVs.
    lvs: Mutex<BTreeMap<String, Lv>>,
    /// RBD snapshots by (image, snapshot name), with their size in GiB.
    image_snapshots: Mutex<BTreeMap<(String, String), u64>>,
}

impl Storage {
    pub fn new(host: &str, pool: &str) -> Arc<Self> {
        Self::with_driver(host, pool, Driver::Lvm)
    }

    /// An RBD pool: snapshot names are unique per image only.
    pub fn rbd(host: &str, pool: &str) -> Arc<Self> {
        Self::with_driver(host, pool, Driver::Rbd)
    }

    fn with_driver(host: &str, pool: &str, driver: Driver) -> Arc<Self> {
        Arc::new(Self {
            host: host.into(),
            pool: format!("{host}#{pool}"),
            driver,
            lvs: Mutex::new(BTreeMap::new()),
            image_snapshots: Mutex::new(BTreeMap::new()),
        })
    }

    fn lvs(&self) -> MutexGuard<'_, BTreeMap<String, Lv>> {
        self.lvs.lock().unwrap()
    }

    fn image_snapshots(&self) -> MutexGuard<'_, BTreeMap<(String, String), u64>> {
        self.image_snapshots.lock().unwrap()
    }

    /// The driver's `snapshot_name_template` prefix.
    pub fn snapshot_prefix(&self) -> &'static str {
        match self.driver {
            Driver::Lvm => "_snapshot-",
            Driver::Rbd => "snapshot-",
        }
    }

    /// A snapshot named `name` on the RBD image `image`.
    pub fn add_image_snapshot(&self, image: &str, name: &str, size_gib: u64) {
        self.image_snapshots()
            .insert((image.into(), name.into()), size_gib);
    }

    /// The names of the RBD snapshots of `image`.
    pub fn image_snapshot_names(&self, image: &str) -> Vec<String> {
        self.image_snapshots()
            .keys()
            .filter(|(owner, _)| owner == image)
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// A managed snapshot's object, named by the driver's template, under `image`.
    fn add_managed_snapshot(&self, image: &str, id: &str, size_gib: u64) {
        let name = format!("{}{id}", self.snapshot_prefix());
        match self.driver {
            Driver::Lvm => self.add_snapshot_lv(&name, image, size_gib),
            Driver::Rbd => self.add_image_snapshot(image, &name, size_gib),
        }
    }

    /// What a manageable listing of snapshots (or volumes) shows, sorted by name.
    fn listed(&self, snapshots: bool) -> Vec<Listed> {
        let mut listed: Vec<Listed> = self
            .lvs()
            .iter()
            .filter(|(_, lv)| lv.origin.is_some() == snapshots)
            .map(|(name, lv)| Listed {
                name: name.clone(),
                size_gib: lv.size_gib,
                parent: lv.origin.clone(),
                open: lv.open,
            })
            .collect();
        if snapshots {
            listed.extend(
                self.image_snapshots()
                    .iter()
                    .map(|((image, name), size)| Listed {
                        name: name.clone(),
                        size_gib: *size,
                        parent: Some(image.clone()),
                        open: false,
                    }),
            );
            listed.sort_by(|a, b| a.name.cmp(&b.name));
        }
        listed
    }

    /// Imports the snapshot `source` as snapshot `id` of volume `volume_id`, the way
    /// the driver finds and renames it; its size, or `None` when the driver finds
    /// nothing of that name.
    fn adopt_snapshot(&self, volume_id: &str, source: &str, id: &str) -> Option<u64> {
        let new_name = format!("{}{id}", self.snapshot_prefix());
        match self.driver {
            Driver::Lvm => self.rename(source, &new_name).map(|lv| lv.size_gib),
            Driver::Rbd => {
                let image = format!("volume-{volume_id}");
                let mut snapshots = self.image_snapshots();
                let size = snapshots.remove(&(image.clone(), source.to_string()))?;
                snapshots.insert((image, new_name), size);
                Some(size)
            }
        }
    }

    pub fn add_volume_lv(&self, name: &str, size_gib: u64) {
        self.lvs().insert(
            name.into(),
            Lv {
                size_gib,
                origin: None,
                open: false,
            },
        );
    }

    pub fn add_snapshot_lv(&self, name: &str, origin: &str, size_gib: u64) {
        self.lvs().insert(
            name.into(),
            Lv {
                size_gib,
                origin: Some(origin.into()),
                open: false,
            },
        );
    }

    /// A volume's delete as the driver makes it: LVM refuses while snapshot LVs of it
    /// remain (VolumeIsBusy); RBD moves the image with its snapshots to the trash.
    fn remove_volume(&self, image: &str) -> bool {
        let has_snapshots = self
            .lvs()
            .values()
            .any(|lv| lv.origin.as_deref() == Some(image));
        if has_snapshots {
            return false;
        }
        self.lvs().remove(image);
        self.image_snapshots()
            .retain(|(owner, _), _| owner != image);
        true
    }

    /// A managed snapshot's delete: its LV, or its snapshot on the volume's image.
    fn remove_snapshot(&self, volume_id: &str, id: &str) {
        let name = format!("{}{id}", self.snapshot_prefix());
        self.lvs().remove(&name);
        self.image_snapshots()
            .remove(&(format!("volume-{volume_id}"), name));
    }

    pub fn remove_lv(&self, name: &str) -> Option<Lv> {
        self.lvs().remove(name)
    }

    pub fn lv(&self, name: &str) -> Option<Lv> {
        self.lvs().get(name).cloned()
    }

    pub fn lv_names(&self) -> Vec<String> {
        self.lvs().keys().cloned().collect()
    }

    /// Renames an LV (or image); snapshots follow a renamed origin, as LVM and RBD do.
    fn rename(&self, old: &str, new: &str) -> Option<Lv> {
        let mut lvs = self.lvs();
        let lv = lvs.remove(old)?;
        lvs.insert(new.into(), lv.clone());
        for other in lvs.values_mut() {
            if other.origin.as_deref() == Some(old) {
                other.origin = Some(new.into());
            }
        }
        let mut snapshots = self.image_snapshots();
        let moved: Vec<(String, u64)> = snapshots
            .extract_if(.., |(image, _), _| image == old)
            .map(|((_, name), size)| (name, size))
            .collect();
        for (name, size) in moved {
            snapshots.insert((new.into(), name), size);
        }
        Some(lv)
    }
}

/// How a fake cloud authenticates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AuthMode {
    /// Keystone at `/identity`, tokens in `X-Subject-Token`.
    Keystone,
    /// Cinder's noauth pipeline: `X-Auth-Token: user:project`.
    NoAuth,
}

/// What answers at the unversioned root `/volume/`: Cinder, or a path-based proxy that
/// routes only `/volume/v3/` to Cinder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RootAnswer {
    /// Cinder's version document, 300 Multiple Choices.
    Versions,
    /// The proxy's own 404 page (nginx).
    NotFound,
    /// The proxy's welcome page with 200 OK.
    WelcomePage,
}

/// Behaviour knobs.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub auth: AuthMode,
    pub max_version: u16,
    /// GETs of a record after a manage/unmanage before its status settles.
    pub polls_to_settle: u32,
    /// Host used in next links (a badly configured proxy); `None` uses the real one.
    pub next_link_base: Option<String>,
    /// cinder-volume services without a pool (e.g. down), besides the storage's.
    pub extra_services: Vec<(String, String)>,
    /// Who answers at `/volume/`; Cinder's version document is always at `/volume/v3/`.
    pub root: RootAnswer,
    /// The cluster (`cluster@backend`) the storage's service runs in, active/active.
    pub cluster: Option<String>,
    /// The pool's capability report; `None` reports Cinder's LVM driver (thick).
    pub capabilities: Option<Value>,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            auth: AuthMode::Keystone,
            max_version: 71,
            polls_to_settle: 2,
            next_link_base: None,
            extra_services: Vec::new(),
            root: RootAnswer::Versions,
            cluster: None,
            capabilities: None,
        }
    }
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// The `x-openstack-request-id` the answer carries (`req-<uuid>`), as Cinder's.
    pub request_id: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// Query parameters, decoded.
    pub fn params(&self) -> BTreeMap<String, String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }
}

#[derive(Debug, Clone)]
enum Pending {
    Manage {
        polls_left: u32,
        source_lv: String,
    },
    Unmanage {
        polls_left: u32,
    },
    /// A volume being created from a snapshot.
    Create {
        polls_left: u32,
    },
    Delete {
        polls_left: u32,
    },
}

impl Pending {
    /// The same change with one poll less to go, or `None` when this poll settles it.
    fn polled(self) -> Result<Pending, Pending> {
        let mut next = self.clone();
        let left = match &mut next {
            Pending::Manage { polls_left, .. }
            | Pending::Unmanage { polls_left }
            | Pending::Create { polls_left }
            | Pending::Delete { polls_left } => polls_left,
        };
        if *left > 1 {
            *left -= 1;
            Ok(next)
        } else {
            Err(self)
        }
    }
}

/// Cinder's refusal to unmanage or delete a volume that has snapshots (or is attached,
/// or in a status that forbids it).
const VOLUME_BUSY: &str = "Invalid volume: Volume status must be available or error or \
     error_restoring or error_extending or error_managing and must not be migrating, attached, \
     belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots \
     after volume transfer.";

#[derive(Debug, Clone)]
struct VolumeRecord {
    id: String,
    name: Value,
    description: Value,
    status: String,
    size: u64,
    host: String,
    metadata: Value,
    attached: bool,
    /// The snapshot it was created from.
    snapshot_id: Option<String>,
    created_at: String,
    pending: Option<Pending>,
}

#[derive(Debug, Clone)]
struct SnapshotRecord {
    id: String,
    name: Value,
    description: Value,
    status: String,
    size: u64,
    volume_id: String,
    metadata: Value,
    created_at: String,
    pending: Option<Pending>,
}

/// What an injected fault does to the request it catches.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This answer instead of Cinder's.
    Answer {
        status: StatusCode,
        content_type: &'static str,
        body: String,
        headers: Vec<(&'static str, String)>,
    },
    /// The connection is closed without an answer.
    Drop,
    /// No answer until the cloud stops, past any client's timeout.
    Hang,
}

impl Fault {
    /// Cinder's fault body with `status` and `message`.
    pub fn cinder(status: u16, message: &str) -> Self {
        let reply = Reply::fault(status, message);
        Fault::Answer {
            status: reply.status,
            content_type: "application/json",
            body: reply.body.map(|body| body.to_string()).unwrap_or_default(),
            headers: Vec::new(),
        }
    }

    /// 503 with `Retry-After`, as a proxy in front of a restarting Cinder answers.
    pub fn unavailable(retry_after_secs: u32) -> Self {
        let reply = Reply::fault(
            503,
            "The server is currently unavailable. Please try again later.",
        );
        Fault::Answer {
            status: reply.status,
            content_type: "application/json",
            body: reply.body.map(|body| body.to_string()).unwrap_or_default(),
            headers: vec![("retry-after", retry_after_secs.to_string())],
        }
    }
}

struct Injection {
    method: Method,
    path_contains: String,
    fault: Fault,
    /// The request is carried out first and only its answer is lost.
    carried_out: bool,
}

#[derive(Default)]
struct Db {
    volumes: BTreeMap<String, VolumeRecord>,
    snapshots: BTreeMap<String, SnapshotRecord>,
    tokens: HashMap<String, bool>,
    requests: Vec<Recorded>,
    injections: VecDeque<Injection>,
    sequence: u64,
}

struct Shared {
    storage: Arc<Storage>,
    config: FakeConfig,
    base: String,
    db: Mutex<Db>,
    /// While closed, manageable listings wait: a stand-in for a slow back-end scan.
    manageable_gate: tokio::sync::watch::Sender<bool>,
    /// Set when the cloud stops: hanging requests are let go.
    stopping: tokio::sync::watch::Sender<bool>,
}

/// A running fake cloud (Keystone at `/identity`, Cinder at `/volume`).
pub struct FakeCloud {
    pub base: String,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for FakeCloud {
    fn drop(&mut self) {
        self.shared.stopping.send_replace(true);
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl FakeCloud {
    /// Starts a cloud on its own thread, so tests that block (running the binary) work.
    pub fn start(storage: Arc<Storage>, config: FakeConfig) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            storage,
            config,
            base: base.clone(),
            db: Mutex::new(Db::default()),
            manageable_gate: tokio::sync::watch::channel(true).0,
            stopping: tokio::sync::watch::channel(false).0,
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = shared.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = Router::new().fallback(handle).with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        Self {
            base,
            shared,
            shutdown: Some(stop),
            thread: Some(thread),
        }
    }

    /// A Keystone cloud with its own fresh back end `node@lvm#lvm`.
    pub fn keystone() -> Self {
        Self::start(Storage::new("node@lvm", "lvm"), FakeConfig::default())
    }

    fn db(&self) -> MutexGuard<'_, Db> {
        self.shared.db.lock().unwrap()
    }

    pub fn storage(&self) -> &Arc<Storage> {
        &self.shared.storage
    }

    pub fn auth_url(&self) -> String {
        format!("{}/identity", self.base)
    }

    /// The block-storage endpoint as the catalog shows it.
    pub fn endpoint(&self) -> String {
        format!("{}/volume/v3/{PROJECT}", self.base)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.db().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.db().requests.clear();
    }

    /// Requests whose method is `method` and whose path contains `part`.
    /// The GETs of a list of `collection` (`snapshots`, `volumes`), summary or detail.
    pub fn list_requests(&self, collection: &str) -> Vec<Recorded> {
        let (summary, detail) = (format!("/{collection}"), format!("/{collection}/detail"));
        self.requests()
            .into_iter()
            .filter(|r| {
                r.method == "GET" && (r.path.ends_with(&summary) || r.path.ends_with(&detail))
            })
            .collect()
    }

    pub fn requests_to(&self, method: &str, part: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.contains(part))
            .collect()
    }

    /// A valid token, as Keystone issues one for a password login.
    pub fn issue_token(&self) -> String {
        issue_token(&self.shared)
    }

    /// Every token Keystone issued.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.db().tokens.keys().cloned().collect()
    }

    /// Makes manageable listings wait until [`FakeCloud::open_manageable`].
    pub fn hold_manageable(&self) {
        self.shared.manageable_gate.send_replace(false);
    }

    pub fn open_manageable(&self) {
        self.shared.manageable_gate.send_replace(true);
    }

    /// Makes every issued token invalid (Cinder then answers 401).
    pub fn expire_tokens(&self) {
        for valid in self.db().tokens.values_mut() {
            *valid = false;
        }
    }

    /// Answers the next request matching `method` and `path_contains` with this response.
    pub fn inject(
        &self,
        method: Method,
        path_contains: &str,
        status: u16,
        content_type: &'static str,
        body: &str,
    ) {
        let fault = Fault::Answer {
            status: StatusCode::from_u16(status).unwrap(),
            content_type,
            body: body.into(),
            headers: Vec::new(),
        };
        self.inject_fault(method, path_contains, fault);
    }

    /// Meets the next request matching `method` and `path_contains` with `fault`,
    /// without carrying it out.
    pub fn inject_fault(&self, method: Method, path_contains: &str, fault: Fault) {
        self.push_injection(method, path_contains, fault, false);
    }

    /// Carries out the next request matching `method` and `path_contains`, then loses
    /// its answer to `fault` (a manage that happened while the client heard nothing).
    pub fn lose_answer(&self, method: Method, path_contains: &str, fault: Fault) {
        self.push_injection(method, path_contains, fault, true);
    }

    fn push_injection(&self, method: Method, path_contains: &str, fault: Fault, carried_out: bool) {
        self.db().injections.push_back(Injection {
            method,
            path_contains: path_contains.into(),
            fault,
            carried_out,
        });
    }

    /// Takes a managed snapshot's record away, as an unmanage by someone else does.
    pub fn forget_snapshot(&self, id: &str) {
        self.db().snapshots.remove(id);
    }

    fn next_time(db: &mut Db) -> String {
        db.sequence += 1;
        format!(
            "2026-11-24T10:{:02}:{:02}.000000",
            db.sequence / 60 % 60,
            db.sequence % 60
        )
    }

    /// A managed, available volume with its LV `volume-<id>` on the back end.
    pub fn seed_volume(&self, name: &str, size: u64) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.storage().add_volume_lv(&format!("volume-{id}"), size);
        let mut db = self.db();
        let created_at = Self::next_time(&mut db);
        db.volumes.insert(
            id.clone(),
            VolumeRecord {
                id: id.clone(),
                name: json!(name),
                description: Value::Null,
                status: "available".into(),
                size,
                host: self.shared.storage.pool.clone(),
                metadata: json!({}),
                attached: false,
                snapshot_id: None,
                created_at,
                pending: None,
            },
        );
        id
    }

    /// A managed, available snapshot of `volume_id` with its back-end snapshot named
    /// by the driver's template (`_snapshot-<id>` LV, `snapshot-<id>` on the image).
    pub fn seed_snapshot(&self, volume_id: &str, name: &str) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let size = self.db().volumes[volume_id].size;
        self.storage()
            .add_managed_snapshot(&format!("volume-{volume_id}"), &id, size);
        let mut db = self.db();
        let created_at = Self::next_time(&mut db);
        db.snapshots.insert(
            id.clone(),
            SnapshotRecord {
                id: id.clone(),
                name: json!(name),
                description: Value::Null,
                status: "available".into(),
                size,
                volume_id: volume_id.into(),
                metadata: json!({}),
                created_at,
                pending: None,
            },
        );
        id
    }

    /// Two managed volumes whose images each hold a back-end snapshot named `name`, as
    /// RBD allows: the listing shows `name` twice, under two parents.
    pub fn seed_two_images_with(&self, name: &str) -> [String; 2] {
        [self.seed_volume("a", 1), self.seed_volume("b", 1)].map(|volume| {
            self.storage()
                .add_image_snapshot(&format!("volume-{volume}"), name, 1);
            volume
        })
    }

    pub fn set_volume_attached(&self, id: &str, attached: bool) {
        let mut db = self.db();
        let volume = db.volumes.get_mut(id).unwrap();
        volume.attached = attached;
        volume.status = if attached { "in-use" } else { "available" }.into();
    }

    pub fn set_snapshot_status(&self, id: &str, status: &str) {
        self.db().snapshots.get_mut(id).unwrap().status = status.into();
    }

    pub fn snapshot_status(&self, id: &str) -> Option<String> {
        self.db().snapshots.get(id).map(|s| s.status.clone())
    }

    pub fn volume_status(&self, id: &str) -> Option<String> {
        self.db().volumes.get(id).map(|v| v.status.clone())
    }

    pub fn snapshot_ids(&self) -> Vec<String> {
        self.db().snapshots.keys().cloned().collect()
    }

    pub fn volume_ids(&self) -> Vec<String> {
        self.db().volumes.keys().cloned().collect()
    }
}

// ---------------------------------------------------------------- responses

fn fault_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "itemNotFound",
        405 => "badMethod",
        409 => "conflictingRequest",
        413 => "overLimit",
        415 => "badMediaType",
        501 => "notImplemented",
        503 => "serviceUnavailable",
        _ => "computeFault",
    }
}

struct Reply {
    status: StatusCode,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap(),
            body: Some(body),
            headers: Vec::new(),
        }
    }

    fn empty(status: u16) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap(),
            body: None,
            headers: Vec::new(),
        }
    }

    /// Cinder's fault body, `{"<name>": {"code": N, "message": "…"}}`.
    fn fault(status: u16, message: &str) -> Self {
        let code = StatusCode::from_u16(status).unwrap();
        Self::json(
            status,
            json!({ fault_name(code): { "code": status, "message": message } }),
        )
    }

    /// Keystone's error body.
    fn keystone_error(status: u16, title: &str, message: &str) -> Self {
        Self::json(
            status,
            json!({ "error": { "code": status, "title": title, "message": message } }),
        )
    }

    fn unauthorized() -> Self {
        Self::keystone_error(
            401,
            "Unauthorized",
            "The request you have made requires authentication.",
        )
    }

    fn into_response(self) -> Response {
        let mut builder = Response::builder().status(self.status);
        for (name, value) in self.headers {
            builder = builder.header(name, value);
        }
        match self.body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        }
    }
}

// ---------------------------------------------------------------- dispatch

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let request_id = format!("req-{}", uuid::Uuid::new_v4());
    let mut response = answer(&shared, request, &request_id).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert("x-openstack-request-id", value);
    }
    response
}

async fn answer(shared: &Arc<Shared>, request: Request, request_id: &str) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let headers = request.headers().clone();
    let bytes = to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&bytes).to_string();
    let recorded = Recorded {
        method: method.to_string(),
        path: path.clone(),
        query: query.clone(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: body.clone(),
        request_id: request_id.to_string(),
    };
    let injected = {
        let mut db = shared.db.lock().unwrap();
        db.requests.push(recorded);
        let found = db
            .injections
            .iter()
            .position(|i| i.method == method && path.contains(&i.path_contains));
        found.and_then(|index| db.injections.remove(index))
    };
    let lost_answer = match injected {
        Some(injection) if !injection.carried_out => {
            return befall(shared, injection.fault).await;
        }
        Some(injection) => Some(injection.fault),
        None => None,
    };
    if method == Method::GET && path.contains("/manageable_") {
        let mut gate = shared.manageable_gate.subscribe();
        let _ = gate.wait_for(|open| *open).await;
    }
    let params: BTreeMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let json_body: Option<Value> = serde_json::from_str(&body).ok();
    let reply = if path == "/identity/v3/auth/tokens" && method == Method::POST {
        keystone_token(shared, json_body)
    } else if path == "/volume/" || path == "/volume" {
        return root(shared);
    } else if let Some(rest) = path.strip_prefix("/volume/v3/") {
        cinder(shared, &method, rest, &params, &headers, json_body)
    } else {
        Reply {
            status: StatusCode::NOT_FOUND,
            body: None,
            headers: Vec::new(),
        }
    };
    match lost_answer {
        Some(fault) => befall(shared, fault).await,
        None => reply.into_response(),
    }
}

/// Meets a request with `fault`. Dropping the connection unwinds its task (without the
/// panic hook's noise): hyper then closes the socket with no answer.
async fn befall(shared: &Shared, fault: Fault) -> Response {
    match fault {
        Fault::Answer {
            status,
            content_type,
            body,
            headers,
        } => {
            let mut builder = Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, content_type);
            for (name, value) in headers {
                builder = builder.header(name, value);
            }
            builder.body(Body::from(body)).unwrap()
        }
        Fault::Hang => {
            let _ = shared
                .stopping
                .subscribe()
                .wait_for(|stopping| *stopping)
                .await;
            std::panic::resume_unwind(Box::new("fault injected: the cloud stopped"))
        }
        Fault::Drop => std::panic::resume_unwind(Box::new("fault injected: connection dropped")),
    }
}

/// The unversioned root: Cinder's document, or a proxy's page when it is not routed there.
fn root(shared: &Shared) -> Response {
    let page = |status: StatusCode, body: &'static str| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/html")
            .body(Body::from(body))
            .unwrap()
    };
    match shared.config.root {
        RootAnswer::Versions => version_document(shared, 300).into_response(),
        RootAnswer::NotFound => page(
            StatusCode::NOT_FOUND,
            "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        ),
        RootAnswer::WelcomePage => page(
            StatusCode::OK,
            "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and working.</p>\n</body>\n</html>\n",
        ),
    }
}

/// Cinder's version list: 300 at the root, 200 at `/v3/` (the v3 router's versions index).
fn version_document(shared: &Shared, status: u16) -> Reply {
    Reply::json(
        status,
        json!({"versions": [{
            "id": "v3.0", "status": "CURRENT",
            "version": format!("3.{}", shared.config.max_version), "min_version": "3.0",
            "updated": "2023-08-31T00:00:00Z",
            "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
                      {"rel": "self", "href": format!("{}/volume/v3/", shared.base)}],
            "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]
        }]}),
    )
}

/// A new valid token, remembered so that Cinder accepts it.
fn issue_token(shared: &Shared) -> String {
    let token = format!("gAAAAA{}", uuid::Uuid::new_v4().simple());
    shared.db.lock().unwrap().tokens.insert(token.clone(), true);
    token
}

fn keystone_token(shared: &Shared, body: Option<Value>) -> Reply {
    if shared.config.auth != AuthMode::Keystone {
        return Reply::empty(404);
    }
    let Some(body) = body else {
        return Reply::keystone_error(400, "Bad Request", "Malformed request body");
    };
    let auth = &body["auth"];
    let identity = &auth["identity"];
    let methods: Vec<&str> = identity["methods"]
        .as_array()
        .map(|m| m.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let authenticated = match methods.as_slice() {
        ["password"] => {
            let user = &identity["password"]["user"];
            let who = user["id"].as_str() == Some(USER_ID)
                || (user["name"].as_str() == Some(USER)
                    && (user["domain"]["name"].as_str() == Some("Default")
                        || user["domain"]["id"].as_str() == Some("default")));
            who && user["password"].as_str() == Some(PASSWORD)
        }
        ["application_credential"] => {
            if auth.get("scope").is_some() {
                return Reply::keystone_error(
                    401,
                    "Unauthorized",
                    "Application credentials cannot request a scope.",
                );
            }
            let credential = &identity["application_credential"];
            credential["id"].as_str() == Some(APP_CRED_ID)
                && credential["secret"].as_str() == Some(APP_CRED_SECRET)
        }
        ["token"] => {
            let db = shared.db.lock().unwrap();
            identity["token"]["id"]
                .as_str()
                .is_some_and(|t| db.tokens.get(t).copied().unwrap_or(false))
        }
        _ => false,
    };
    if !authenticated {
        return Reply::unauthorized();
    }
    let scope = &auth["scope"]["project"];
    let scoped = methods == ["application_credential"]
        || scope["id"].as_str() == Some(PROJECT)
        || (scope["name"].as_str() == Some("admin")
            && scope["domain"]["name"].as_str() == Some("Default"));
    if !scoped {
        return Reply::keystone_error(
            401,
            "Unauthorized",
            "User is not authorized for the requested project.",
        );
    }
    let token = issue_token(shared);
    let endpoint = |interface: &str, region: &str, url: String| {
        json!({"id": uuid::Uuid::new_v4().simple().to_string(), "interface": interface,
               "region": region, "region_id": region, "url": url})
    };
    let volume_url = format!("{}/volume/v3/{PROJECT}", shared.base);
    let catalog = json!([
        {"type": "identity", "name": "keystone", "id": "k",
         "endpoints": [endpoint("public", "RegionOne", format!("{}/identity", shared.base))]},
        {"type": "block-storage", "name": "cinder", "id": "c",
         "endpoints": [endpoint("public", "RegionOne", volume_url.clone()),
                       endpoint("internal", "RegionOne", volume_url.clone()),
                       endpoint("public", "RegionTwo", format!("http://127.0.0.1:9/volume/v3/{PROJECT}"))]},
        {"type": "volumev3", "name": "cinderv3", "id": "c3",
         "endpoints": [endpoint("public", "RegionOne", volume_url)]}
    ]);
    let expires = chrono::Utc::now() + chrono::TimeDelta::hours(1);
    let mut reply = Reply::json(
        201,
        json!({"token": {
            "methods": methods, "roles": [{"id": "r", "name": "admin"}],
            "expires_at": expires.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            "issued_at": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            "project": {"id": PROJECT, "name": "admin", "domain": {"id": "default", "name": "Default"}},
            "user": {"id": USER_ID, "name": USER, "domain": {"id": "default", "name": "Default"}},
            "catalog": catalog, "audit_ids": ["a"], "is_domain": false
        }}),
    );
    reply.headers.push(("X-Subject-Token", token));
    reply
}

/// The microversion asked for: none means 3.0.
fn requested_version(headers: &HeaderMap) -> Result<u16, String> {
    let Some(value) = headers
        .get("OpenStack-API-Version")
        .and_then(|v: &HeaderValue| v.to_str().ok())
    else {
        return Ok(0);
    };
    let entry = value
        .split(',')
        .map(str::trim)
        .find(|part| part.starts_with("volume"))
        .ok_or_else(|| value.to_string())?;
    let version = entry.trim_start_matches("volume").trim();
    match version.split_once('.') {
        Some(("3", minor)) => minor.parse().map_err(|_| version.to_string()),
        _ => Err(version.to_string()),
    }
}

fn cinder(
    shared: &Shared,
    method: &Method,
    rest: &str,
    params: &BTreeMap<String, String>,
    headers: &HeaderMap,
    body: Option<Value>,
) -> Reply {
    let token = headers.get("X-Auth-Token").and_then(|v| v.to_str().ok());
    match (shared.config.auth, token) {
        (AuthMode::NoAuth, None) => {
            let mut reply = Reply::empty(204);
            reply.headers.push(("X-Auth-Token", "admin:admin".into()));
            return reply;
        }
        (AuthMode::NoAuth, Some(_)) => {}
        (AuthMode::Keystone, token) => {
            let valid = token.is_some_and(|t| {
                shared
                    .db
                    .lock()
                    .unwrap()
                    .tokens
                    .get(t)
                    .copied()
                    .unwrap_or(false)
            });
            if !valid {
                return Reply::unauthorized();
            }
        }
    }
    if rest.is_empty() && *method == Method::GET {
        return version_document(shared, 200);
    }
    let Some(resource) = rest
        .strip_prefix(PROJECT)
        .map(|r| r.trim_start_matches('/'))
    else {
        return Reply {
            status: StatusCode::NOT_FOUND,
            body: None,
            headers: Vec::new(),
        };
    };
    let version = match requested_version(headers) {
        Ok(version) => version,
        Err(bad) => {
            return Reply::fault(400, &format!("Invalid API version request string {bad}."));
        }
    };
    if version > shared.config.max_version {
        return Reply::fault(
            406,
            &format!(
                "Version 3.{version} is not supported by the API. Minimum is 3.0 and maximum is 3.{}.",
                shared.config.max_version
            ),
        );
    }
    let segments: Vec<&str> = resource.split('/').filter(|s| !s.is_empty()).collect();
    let mut reply = route(shared, method, &segments, params, body, version);
    reply
        .headers
        .push(("OpenStack-API-Version", format!("volume 3.{version}")));
    reply.headers.push(("Vary", "OpenStack-API-Version".into()));
    reply
}

fn route(
    shared: &Shared,
    method: &Method,
    segments: &[&str],
    params: &BTreeMap<String, String>,
    body: Option<Value>,
    version: u16,
) -> Reply {
    let not_found = || Reply::fault(404, "The resource could not be found.");
    match (method.as_str(), segments) {
        ("GET", ["os-services"]) => services(shared, params, version),
        ("GET", ["scheduler-stats", "get_pools"]) => pools(shared, params),
        ("GET", ["volumes", "detail"]) => list_volumes(shared, params),
        ("GET", ["volumes", id]) => show_volume(shared, id),
        ("GET", ["snapshots"] | ["snapshots", "detail"]) => list_snapshots(shared, params),
        ("GET", ["snapshots", id]) => show_snapshot(shared, id),
        ("GET", ["manageable_snapshots" | "manageable_volumes", ..]) if version < 8 => not_found(),
        ("GET", ["manageable_snapshots", rest @ ..]) => {
            manageable(shared, params, true, rest == ["detail"], version)
        }
        ("GET", ["manageable_volumes", rest @ ..]) => {
            manageable(shared, params, false, rest == ["detail"], version)
        }
        ("POST", ["manageable_snapshots" | "manageable_volumes"]) if version < 8 => not_found(),
        ("POST", ["manageable_snapshots"] | ["os-snapshot-manage"]) => {
            manage_snapshot(shared, body)
        }
        ("POST", ["manageable_volumes"] | ["os-volume-manage"]) => {
            manage_volume(shared, body, version)
        }
        ("POST", ["snapshots", id, "action"]) => snapshot_action(shared, id, body),
        ("POST", ["volumes"]) => create_volume(shared, body),
        ("DELETE", ["volumes", id]) => delete_volume(shared, id),
        ("DELETE", ["snapshots", id]) => delete_snapshot(shared, id),
        ("POST", ["volumes", id, "action"]) => volume_action(shared, id, body),
        _ => not_found(),
    }
}

fn services(shared: &Shared, params: &BTreeMap<String, String>, version: u16) -> Reply {
    let service = |binary: &str, host: &str, state: &str| {
        json!({"binary": binary, "host": host, "zone": "nova", "status": "enabled", "state": state,
               "updated_at": "2026-11-24T23:53:43.501830", "cluster": null, "disabled_reason": null})
    };
    let mut storage = service("cinder-volume", &shared.storage.host, "up");
    storage["cluster"] = json!(shared.config.cluster);
    let mut all = vec![service("cinder-scheduler", "node", "up"), storage];
    all.extend(
        shared
            .config
            .extra_services
            .iter()
            .map(|(host, state)| service("cinder-volume", host, state)),
    );
    let wanted = params.get("binary");
    all.retain(|s| wanted.is_none_or(|b| s["binary"].as_str() == Some(b)));
    if version < 7 {
        for service in &mut all {
            service.as_object_mut().unwrap().remove("cluster");
        }
    }
    Reply::json(200, json!({ "services": all }))
}

/// Which of `host` and `cluster` a request names, as Cinder's `get_cluster_host` reads
/// them: a cluster only from microversion `since`, and one and only one of the two.
/// Answers the field and its value, or Cinder's 400.
fn host_or_cluster<'a>(
    host: Option<&'a str>,
    cluster: Option<&'a str>,
    since: u16,
    version: u16,
) -> Result<(&'static str, &'a str), Reply> {
    let (cluster, problem) = if version >= since {
        (cluster, "One and only one of cluster and host must be set.")
    } else {
        (None, "Host field is missing.")
    };
    match (
        host.filter(|h| !h.is_empty()),
        cluster.filter(|c| !c.is_empty()),
    ) {
        (Some(host), None) => Ok(("host", host)),
        (None, Some(cluster)) => Ok(("cluster", cluster)),
        _ => Err(Reply::fault(
            400,
            &format!("Invalid input received: {problem}"),
        )),
    }
}

/// True when `value` of `field` (`host` or `cluster`, pool ignored) names the storage's
/// service.
fn names_storage(shared: &Shared, (field, value): (&str, &str)) -> bool {
    let backend = value.split('#').next();
    match field {
        "cluster" => shared.config.cluster.is_some() && backend == shared.config.cluster.as_deref(),
        _ => backend == Some(shared.storage.host.as_str()),
    }
}

fn pools(shared: &Shared, params: &BTreeMap<String, String>) -> Reply {
    let lvs = shared.storage.lvs();
    let used: u64 = lvs.values().map(|lv| lv.size_gib).sum();
    // The scheduler names a clustered service's pools after the cluster.
    let name = match &shared.config.cluster {
        Some(cluster) => {
            let pool = shared.storage.pool.split_once('#').map_or("", |(_, p)| p);
            format!("{cluster}#{pool}")
        }
        None => shared.storage.pool.clone(),
    };
    let pool = if params.get("detail").map(String::as_str) == Some("true") {
        let capabilities = shared.config.capabilities.clone().unwrap_or_else(|| {
            json!({
            "pool_name": "lvm", "total_capacity_gb": 100.0, "free_capacity_gb": 100.0 - used as f64,
            "reserved_percentage": 0, "location_info": "LVMVolumeDriver:node:cinder-volumes:default:0",
            "volume_backend_name": "lvm", "storage_protocol": "iSCSI"})
        });
        json!({"name": name, "capabilities": capabilities})
    } else {
        json!({"name": name})
    };
    Reply::json(200, json!({ "pools": [pool] }))
}

fn volume_json(volume: &VolumeRecord, base: &str) -> Value {
    let status = volume
        .status
        .replace("error_managing", "error")
        .replace("managing", "creating");
    let attachments: Vec<Value> = if volume.attached {
        vec![
            json!({"server_id": "srv-1", "attachment_id": "att-1", "volume_id": volume.id, "device": "/dev/vdb"}),
        ]
    } else {
        Vec::new()
    };
    json!({
        "id": volume.id, "status": status, "size": volume.size, "availability_zone": "nova",
        "created_at": volume.created_at, "updated_at": null, "name": volume.name,
        "description": volume.description, "volume_type": "__DEFAULT__", "snapshot_id": volume.snapshot_id,
        "source_volid": null, "metadata": volume.metadata,
        "links": [{"rel": "self", "href": format!("{base}/volume/v3/{PROJECT}/volumes/{}", volume.id)}],
        "user_id": USER_ID, "bootable": "false", "encrypted": false, "replication_status": null,
        "consistencygroup_id": null, "multiattach": false, "attachments": attachments,
        "migration_status": null, "os-vol-host-attr:host": volume.host,
        "os-vol-tenant-attr:tenant_id": PROJECT
    })
}

fn snapshot_json(snapshot: &SnapshotRecord) -> Value {
    json!({
        "id": snapshot.id, "created_at": snapshot.created_at, "updated_at": null,
        "name": snapshot.name, "description": snapshot.description, "volume_id": snapshot.volume_id,
        "status": snapshot.status, "size": snapshot.size, "metadata": snapshot.metadata,
        "os-extended-snapshot-attributes:project_id": PROJECT,
        "os-extended-snapshot-attributes:progress": "0%"
    })
}

/// limit/marker/offset paging over ids in order, with a next link when the page is full
/// and, with `with_count=true` (3.45+), the whole list's length.
fn page<T: serde::Serialize>(
    shared: &Shared,
    items: Vec<(String, T)>,
    params: &BTreeMap<String, String>,
    collection: &str,
) -> Result<Value, Reply> {
    let total = items.len();
    let limit: usize = match params.get("limit").map(|l| l.parse()) {
        None => 1000,
        Some(Ok(limit)) => limit,
        Some(Err(_)) => {
            return Err(Reply::fault(
                400,
                "Invalid input received: limit must be an integer",
            ));
        }
    };
    let start = match params.get("marker") {
        None => 0,
        Some(marker) => match items.iter().position(|(id, _)| id == marker) {
            Some(index) => index + 1,
            None => {
                return Err(Reply::fault(
                    400,
                    &format!("Invalid input received: marker [{marker}] not found"),
                ));
            }
        },
    };
    let offset: usize = params
        .get("offset")
        .and_then(|offset| offset.parse().ok())
        .unwrap_or(0);
    let chosen: Vec<(String, T)> = items.into_iter().skip(start + offset).take(limit).collect();
    let mut links = Vec::new();
    if chosen.len() == limit && limit > 0 {
        let last = &chosen.last().unwrap().0;
        let link_base = shared
            .config
            .next_link_base
            .as_deref()
            .unwrap_or(&shared.base);
        links.push(json!({"rel": "next", "href": format!(
            "{link_base}/volume/v3/{PROJECT}/{collection}/detail?all_tenants=1&limit={limit}&marker={last}")}));
    }
    let chosen: Vec<T> = chosen.into_iter().map(|(_, item)| item).collect();
    let mut body = json!({ collection: chosen, format!("{collection}_links"): links });
    if params.get("with_count").map(String::as_str) == Some("true") {
        body["count"] = json!(total);
    }
    Ok(body)
}

fn list_volumes(shared: &Shared, params: &BTreeMap<String, String>) -> Reply {
    let db = shared.db.lock().unwrap();
    let host = params.get("host");
    let items: Vec<(String, Value)> = db
        .volumes
        .values()
        .filter(|v| {
            host.is_none_or(|h| {
                if h.contains('#') {
                    &v.host == h
                } else {
                    v.host.split('#').next() == Some(h.as_str())
                }
            })
        })
        .map(|v| (v.id.clone(), volume_json(v, &shared.base)))
        .collect();
    page(shared, items, params, "volumes").map_or_else(|reply| reply, |body| Reply::json(200, body))
}

fn list_snapshots(shared: &Shared, params: &BTreeMap<String, String>) -> Reply {
    let known = [
        "all_tenants",
        "limit",
        "marker",
        "volume_id",
        "status",
        "name",
        "sort",
        "offset",
        "with_count",
    ];
    // Cinder's quirk: an unknown filter key on the snapshot list yields an empty list.
    if params.keys().any(|key| !known.contains(&key.as_str())) {
        return Reply::json(200, json!({"snapshots": []}));
    }
    let db = shared.db.lock().unwrap();
    let items: Vec<(String, Value)> = db
        .snapshots
        .values()
        .filter(|s| params.get("volume_id").is_none_or(|v| &s.volume_id == v))
        .map(|s| (s.id.clone(), snapshot_json(s)))
        .collect();
    page(shared, items, params, "snapshots")
        .map_or_else(|reply| reply, |body| Reply::json(200, body))
}

/// What settling a pending change needs from a volume or snapshot record.
trait Settles {
    /// Applies the import of `source` to the back end as the driver does; the size,
    /// or `None` when the driver finds nothing to import.
    fn adopt(&self, storage: &Storage, source: &str) -> Option<u64>;
    /// The status a failed import leaves (the DB value; the view may translate it).
    const FAILED: &'static str;
    /// Removes what the record names on the back end, as the driver's delete does;
    /// `false` when the driver refuses (the LVM driver's VolumeIsBusy).
    fn destroy(&self, storage: &Storage) -> bool;
    /// Makes the volume a create from a snapshot asked for.
    fn materialize(&self, storage: &Storage);
    /// The pending change, the status and the size.
    fn parts(&mut self) -> (&mut Option<Pending>, &mut String, &mut u64);
}

impl Settles for VolumeRecord {
    fn adopt(&self, storage: &Storage, source: &str) -> Option<u64> {
        let lv = storage.rename(source, &format!("volume-{}", self.id))?;
        Some(lv.size_gib)
    }
    const FAILED: &'static str = "error_managing";
    fn destroy(&self, storage: &Storage) -> bool {
        storage.remove_volume(&format!("volume-{}", self.id))
    }
    fn materialize(&self, storage: &Storage) {
        storage.add_volume_lv(&format!("volume-{}", self.id), self.size);
    }
    fn parts(&mut self) -> (&mut Option<Pending>, &mut String, &mut u64) {
        (&mut self.pending, &mut self.status, &mut self.size)
    }
}

impl Settles for SnapshotRecord {
    fn adopt(&self, storage: &Storage, source: &str) -> Option<u64> {
        storage.adopt_snapshot(&self.volume_id, source, &self.id)
    }
    const FAILED: &'static str = "error";
    fn destroy(&self, storage: &Storage) -> bool {
        storage.remove_snapshot(&self.volume_id, &self.id);
        true
    }
    fn materialize(&self, _storage: &Storage) {}
    fn parts(&mut self) -> (&mut Option<Pending>, &mut String, &mut u64) {
        (&mut self.pending, &mut self.status, &mut self.size)
    }
}

/// Counts a GET against a pending change and applies it once enough polls were seen.
/// Like Cinder's drivers, a failed import (nothing of that name where the driver
/// looks) leaves the record in error, with the reason only in the driver's log.
fn settle<R: Settles>(storage: &Storage, records: &mut BTreeMap<String, R>, id: &str) {
    let Some(record) = records.get_mut(id) else {
        return;
    };
    let Some(pending) = record.parts().0.take() else {
        return;
    };
    let pending = match pending.polled() {
        Ok(next) => {
            *record.parts().0 = Some(next);
            return;
        }
        Err(last) => last,
    };
    match pending {
        Pending::Manage { source_lv, .. } => {
            let adopted = record.adopt(storage, &source_lv);
            let (_, status, size) = record.parts();
            match adopted {
                Some(size_gib) => {
                    *size = size_gib;
                    *status = "available".into();
                }
                None => *status = R::FAILED.into(),
            }
        }
        Pending::Create { .. } => {
            record.materialize(storage);
            *record.parts().1 = "available".into();
        }
        Pending::Unmanage { .. } => {
            records.remove(id);
        }
        Pending::Delete { .. } if record.destroy(storage) => {
            records.remove(id);
        }
        Pending::Delete { .. } => *record.parts().1 = "available".into(),
    }
}

fn show_volume(shared: &Shared, id: &str) -> Reply {
    let mut db = shared.db.lock().unwrap();
    settle(&shared.storage, &mut db.volumes, id);
    match db.volumes.get(id) {
        Some(volume) => Reply::json(200, json!({"volume": volume_json(volume, &shared.base)})),
        None => Reply::fault(404, &format!("Volume {id} could not be found.")),
    }
}

fn show_snapshot(shared: &Shared, id: &str) -> Reply {
    let mut db = shared.db.lock().unwrap();
    settle(&shared.storage, &mut db.snapshots, id);
    match db.snapshots.get(id) {
        Some(snapshot) => Reply::json(200, json!({"snapshot": snapshot_json(snapshot)})),
        None => Reply::fault(404, &format!("Snapshot {id} could not be found.")),
    }
}

fn manageable(
    shared: &Shared,
    params: &BTreeMap<String, String>,
    snapshots: bool,
    detail: bool,
    version: u16,
) -> Reply {
    let addressed = match host_or_cluster(
        params.get("host").map(String::as_str),
        params.get("cluster").map(String::as_str),
        17,
        version,
    ) {
        Ok(addressed) => addressed,
        Err(reply) => return reply,
    };
    if !names_storage(shared, addressed) {
        return Reply::fault(
            404,
            &format!(
                "Service cinder-volume could not be found on {} {}.",
                addressed.0, addressed.1
            ),
        );
    }
    let (sort_key, sort_dir) = match params.get("sort").map(String::as_str) {
        None => ("reference", "desc"),
        Some(sort) => {
            let (key, dir) = sort.split_once(':').unwrap_or((sort, "asc"));
            if !["reference", "size"].contains(&key) {
                return Reply::fault(400, "Invalid input received: Invalid sort keys passed");
            }
            if !["asc", "desc"].contains(&dir) {
                return Reply::fault(400, "Invalid input received: Invalid sort dirs passed");
            }
            (key, dir)
        }
    };
    let db = shared.db.lock().unwrap();
    // What the driver's name template makes of a managed record's id.
    let prefix = if snapshots {
        shared.storage.snapshot_prefix()
    } else {
        "volume-"
    };
    let is_managed = |id: &str| {
        if snapshots {
            db.snapshots.contains_key(id)
        } else {
            db.volumes.contains_key(id)
        }
    };
    let mut entries: Vec<(String, u64, Value)> = shared
        .storage
        .listed(snapshots)
        .into_iter()
        .map(|object| {
            let managed_id = object.name.strip_prefix(prefix).filter(|id| is_managed(id));
            let (safe, reason) = if managed_id.is_some() {
                (false, json!("already managed"))
            } else if object.open {
                (false, json!(if snapshots { "snapshot in use" } else { "volume in use" }))
            } else {
                (true, Value::Null)
            };
            let mut entry = json!({"reference": {"source-name": object.name}, "size": object.size_gib, "safe_to_manage": safe});
            if detail {
                entry["reason_not_safe"] = reason;
                entry["cinder_id"] = json!(managed_id);
                entry["extra_info"] = Value::Null;
            }
            if snapshots {
                entry["source_reference"] = json!({"source-name": object.parent});
            }
            (object.name, object.size_gib, entry)
        })
        .collect();
    if sort_key == "size" {
        entries.sort_by_key(|(name, size, _)| (*size, name.clone()));
    }
    if sort_dir == "desc" {
        entries.reverse();
    }
    let start = match params.get("marker") {
        None => 0,
        Some(marker) => {
            let Ok(reference) = serde_json::from_str::<Value>(marker) else {
                return Reply::fault(
                    400,
                    &format!(
                        "Invalid input received: marker {marker} can not be analysed, please use json like format"
                    ),
                );
            };
            match entries
                .iter()
                .position(|(_, _, e)| e["reference"] == reference)
            {
                Some(index) => index + 1,
                None => {
                    return Reply::fault(
                        400,
                        &format!("Invalid input received: marker not found: {marker}"),
                    );
                }
            }
        }
    };
    let limit: usize = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(1000);
    let chosen: Vec<Value> = entries
        .into_iter()
        .skip(start)
        .take(limit)
        .map(|(_, _, e)| e)
        .collect();
    let key = if snapshots {
        "manageable-snapshots"
    } else {
        "manageable-volumes"
    };
    Reply::json(200, json!({ key: chosen }))
}

fn schema_error(resource: &str, value: &Value, problem: &str) -> Reply {
    Reply::fault(
        400,
        &format!("Invalid input for field/attribute {resource}. Value: {value}. {problem}"),
    )
}

/// Checks Cinder's JSON schema for manage bodies: required keys, no unknown keys.
fn check_schema(
    resource: &str,
    body: &Option<Value>,
    required: &[&str],
    allowed: &[&str],
) -> Result<Value, Reply> {
    let Some(inner) = body.as_ref().and_then(|b| b.get(resource)).cloned() else {
        return Err(Reply::fault(
            400,
            &format!("Invalid input for field/attribute body. '{resource}' is a required property"),
        ));
    };
    let Some(object) = inner.as_object() else {
        return Err(schema_error(resource, &inner, "is not of type 'object'"));
    };
    if let Some(missing) = required.iter().find(|key| !object.contains_key(**key)) {
        return Err(schema_error(
            resource,
            &inner,
            &format!("'{missing}' is a required property"),
        ));
    }
    if let Some(extra) = object.keys().find(|key| !allowed.contains(&key.as_str())) {
        return Err(schema_error(
            resource,
            &inner,
            &format!("Additional properties are not allowed ('{extra}' was unexpected)"),
        ));
    }
    Ok(inner)
}

fn source_name(reference: &Value) -> String {
    match reference {
        Value::String(name) => name.clone(),
        other => other["source-name"].as_str().unwrap_or("").to_string(),
    }
}

fn manage_snapshot(shared: &Shared, body: Option<Value>) -> Reply {
    let request = match check_schema(
        "snapshot",
        &body,
        &["volume_id", "ref"],
        &["volume_id", "ref", "name", "description", "metadata"],
    ) {
        Ok(request) => request,
        Err(reply) => return reply,
    };
    let volume_id = request["volume_id"].as_str().unwrap_or("").to_string();
    if uuid::Uuid::parse_str(&volume_id).is_err() {
        return schema_error("snapshot", &request, "'volume_id' is not a 'uuid'");
    }
    let mut db = shared.db.lock().unwrap();
    let Some(parent) = db.volumes.get(&volume_id).cloned() else {
        return Reply::fault(404, &format!("Volume {volume_id} could not be found."));
    };
    if !["available", "in-use"].contains(&parent.status.as_str()) {
        return Reply::fault(
            400,
            &format!(
                "Invalid volume: Volume {volume_id} status must be available, in-use, but current status is: {}.",
                parent.status
            ),
        );
    }
    let id = uuid::Uuid::new_v4().to_string();
    let created_at = FakeCloud::next_time(&mut db);
    let record = SnapshotRecord {
        id: id.clone(),
        name: request.get("name").cloned().unwrap_or(Value::Null),
        description: request.get("description").cloned().unwrap_or(Value::Null),
        status: "creating".into(),
        size: parent.size,
        volume_id,
        metadata: request
            .get("metadata")
            .cloned()
            .filter(|m| !m.is_null())
            .unwrap_or(json!({})),
        created_at,
        pending: Some(Pending::Manage {
            polls_left: shared.config.polls_to_settle,
            source_lv: source_name(&request["ref"]),
        }),
    };
    let summary = json!({
        "id": record.id, "created_at": record.created_at, "updated_at": null, "name": record.name,
        "description": record.description, "volume_id": record.volume_id, "status": "creating",
        "size": record.size, "metadata": record.metadata
    });
    db.snapshots.insert(id, record);
    Reply::json(202, json!({"snapshot": summary}))
}

fn manage_volume(shared: &Shared, body: Option<Value>, version: u16) -> Reply {
    let mut allowed = vec![
        "host",
        "ref",
        "name",
        "description",
        "volume_type",
        "availability_zone",
        "metadata",
        "bootable",
    ];
    if version >= 16 {
        allowed.push("cluster");
    }
    let request = match check_schema("volume", &body, &["ref"], &allowed) {
        Ok(request) => request,
        Err(reply) => return reply,
    };
    let addressed = match host_or_cluster(
        request["host"].as_str(),
        request["cluster"].as_str(),
        16,
        version,
    ) {
        Ok(addressed) => addressed,
        Err(reply) => return reply,
    };
    if !names_storage(shared, addressed) {
        let name = if addressed.0 == "host" {
            "Host"
        } else {
            "Cluster"
        };
        return Reply::fault(400, &format!("{name} '{}' not found", addressed.1));
    }
    // By cluster, Cinder's scheduler picks the pool.
    let host = match addressed {
        ("host", host) => host.to_string(),
        _ => shared.storage.pool.clone(),
    };
    let lv = source_name(&request["ref"]);
    let mut db = shared.db.lock().unwrap();
    if lv
        .strip_prefix("volume-")
        .is_some_and(|id| db.volumes.contains_key(id))
    {
        return Reply::fault(
            400,
            "Invalid volume: Unable to manage existing volume. The volume is already managed",
        );
    }
    let id = uuid::Uuid::new_v4().to_string();
    let created_at = FakeCloud::next_time(&mut db);
    let record = VolumeRecord {
        id: id.clone(),
        name: request.get("name").cloned().unwrap_or(Value::Null),
        description: request.get("description").cloned().unwrap_or(Value::Null),
        status: "managing".into(),
        size: 0,
        host: if host.contains('#') {
            host
        } else {
            shared.storage.pool.clone()
        },
        metadata: request
            .get("metadata")
            .cloned()
            .filter(|m| !m.is_null())
            .unwrap_or(json!({})),
        attached: false,
        snapshot_id: None,
        created_at,
        pending: Some(Pending::Manage {
            polls_left: shared.config.polls_to_settle,
            source_lv: lv,
        }),
    };
    let view = volume_json(&record, &shared.base);
    db.volumes.insert(id, record);
    Reply::json(202, json!({"volume": view}))
}

fn is_unmanage(body: &Option<Value>) -> bool {
    body.as_ref()
        .and_then(Value::as_object)
        .is_some_and(|o| o.contains_key("os-unmanage"))
}

fn snapshot_action(shared: &Shared, id: &str, body: Option<Value>) -> Reply {
    if !is_unmanage(&body) {
        return Reply::fault(400, "There is no such action");
    }
    let pending = Pending::Unmanage {
        polls_left: shared.config.polls_to_settle,
    };
    remove_snapshot(shared, id, "unmanaging", pending)
}

/// Starts an unmanage or a delete of a snapshot, refused as Cinder refuses both.
fn remove_snapshot(shared: &Shared, id: &str, status: &str, pending: Pending) -> Reply {
    let mut db = shared.db.lock().unwrap();
    let Some(snapshot) = db.snapshots.get_mut(id) else {
        return Reply::fault(404, &format!("Snapshot {id} could not be found."));
    };
    if !["available", "error"].contains(&snapshot.status.as_str()) {
        return Reply::fault(
            400,
            "Invalid snapshot: Snapshot status must be available or error and must not be part of a group.",
        );
    }
    snapshot.status = status.into();
    snapshot.pending = Some(pending);
    Reply::empty(202)
}

fn volume_action(shared: &Shared, id: &str, body: Option<Value>) -> Reply {
    if !is_unmanage(&body) {
        return Reply::fault(400, "There is no such action");
    }
    let pending = Pending::Unmanage {
        polls_left: shared.config.polls_to_settle,
    };
    remove_volume(shared, id, "unmanaging", pending)
}

/// Starts an unmanage or a delete of a volume: refused with Cinder's words while it has
/// managed snapshots, is attached or in a status that forbids it.
fn remove_volume(shared: &Shared, id: &str, status: &str, pending: Pending) -> Reply {
    let mut db = shared.db.lock().unwrap();
    let has_snapshots = db.snapshots.values().any(|s| s.volume_id == id);
    let Some(volume) = db.volumes.get_mut(id) else {
        return Reply::fault(404, &format!("Volume {id} could not be found."));
    };
    let allowed = [
        "available",
        "error",
        "error_restoring",
        "error_extending",
        "error_managing",
    ];
    if !allowed.contains(&volume.status.as_str()) || volume.attached || has_snapshots {
        return Reply::fault(400, VOLUME_BUSY);
    }
    volume.status = status.into();
    volume.pending = Some(pending);
    Reply::empty(202)
}

/// `POST /volumes` with `snapshot_id`: a new volume on the snapshot's parent's host,
/// at least as large as the snapshot, `creating` until polled enough.
fn create_volume(shared: &Shared, body: Option<Value>) -> Reply {
    let allowed = [
        "size",
        "snapshot_id",
        "name",
        "description",
        "metadata",
        "volume_type",
        "availability_zone",
    ];
    let request = match check_schema("volume", &body, &["snapshot_id"], &allowed) {
        Ok(request) => request,
        Err(reply) => return reply,
    };
    let snapshot_id = request["snapshot_id"].as_str().unwrap_or("").to_string();
    let mut db = shared.db.lock().unwrap();
    let Some(snapshot) = db.snapshots.get(&snapshot_id).cloned() else {
        return Reply::fault(404, &format!("Snapshot {snapshot_id} could not be found."));
    };
    if snapshot.status != "available" {
        return Reply::fault(
            400,
            "Invalid snapshot: Originating snapshot status must be one of 'available' values",
        );
    }
    let size = request["size"].as_u64().unwrap_or(snapshot.size);
    if size < snapshot.size {
        return Reply::fault(
            400,
            &format!(
                "Invalid input received: Volume size '{size}'GB cannot be smaller than the \
                 snapshot size {}GB. They must be >= original snapshot size.",
                snapshot.size
            ),
        );
    }
    let host = db.volumes[&snapshot.volume_id].host.clone();
    let id = uuid::Uuid::new_v4().to_string();
    let created_at = FakeCloud::next_time(&mut db);
    let record = VolumeRecord {
        id: id.clone(),
        name: request.get("name").cloned().unwrap_or(Value::Null),
        description: request.get("description").cloned().unwrap_or(Value::Null),
        status: "creating".into(),
        size,
        host,
        metadata: request
            .get("metadata")
            .cloned()
            .filter(|m| !m.is_null())
            .unwrap_or(json!({})),
        attached: false,
        snapshot_id: Some(snapshot_id),
        created_at,
        pending: Some(Pending::Create {
            polls_left: shared.config.polls_to_settle,
        }),
    };
    let view = volume_json(&record, &shared.base);
    db.volumes.insert(id, record);
    Reply::json(202, json!({"volume": view}))
}

/// `DELETE /volumes/{id}`: refused as an unmanage is; then `deleting` until polled
/// enough, and gone, or back to `available` when the back end still holds snapshots of
/// it (the LVM driver's VolumeIsBusy).
fn delete_volume(shared: &Shared, id: &str) -> Reply {
    let pending = Pending::Delete {
        polls_left: shared.config.polls_to_settle,
    };
    remove_volume(shared, id, "deleting", pending)
}

/// `DELETE /snapshots/{id}`: `deleting` until polled enough, then gone with its data.
fn delete_snapshot(shared: &Shared, id: &str) -> Reply {
    let pending = Pending::Delete {
        polls_left: shared.config.polls_to_settle,
    };
    remove_snapshot(shared, id, "deleting", pending)
}
