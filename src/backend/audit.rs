//! The audit trail: every mutation attempt, whatever path it comes from, leaves one JSON
//! line in the audit file — who, on which back end, what, with which parameters, how it
//! ended and Cinder's request id — on disk before the call returns. A wrapper around
//! the back end (outside the read-only one, so refusals are recorded too) writes it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::layer::Layer;
use super::{
    Backend, CreateVolumeRequest, Error, ManageSnapshotRequest, ManageVolumeRequest, Result,
    Snapshot, Volume,
};
use crate::sync::lock;

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The back end did it.
    Done,
    /// The session is read-only: nothing was sent.
    RefusedReadOnly,
    /// snapport's own checks refused it before anything was sent.
    RefusedCheck,
    /// The back end refused it or failed.
    Failed,
    /// The request went out and no answer came back: it may have happened.
    Unknown,
}

impl Outcome {
    /// The word the file and the table use.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::RefusedReadOnly => "refused_read_only",
            Outcome::RefusedCheck => "refused_check",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
        }
    }

    /// The class of `err`; `sent` says whether the mutation's request left snapport.
    pub fn of_error(err: &Error, sent: bool) -> Self {
        match err {
            Error::ReadOnly(_) => Outcome::RefusedReadOnly,
            Error::NoAnswer(_) => Outcome::Unknown,
            Error::InvalidReference(_)
            | Error::AlreadyManaged(_)
            | Error::ListingUnavailable(_)
            | Error::NotFound(_)
            | Error::InvalidState(_)
            | Error::BadRequest(_)
                if !sent =>
            {
                Outcome::RefusedCheck
            }
            _ => Outcome::Failed,
        }
    }
}

/// Which back end a record is about. Never holds a secret: only names and ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `cloud` or `local`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vg: Option<String>,
    /// The Ceph pool of a local RBD back end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// The local back end's `host@backend#vg` (or `#pool`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

impl Identity {
    /// A short label for tables: `cloud prod (admin/admin)`, `local vg=cinder host=…`,
    /// `local pool=volumes host=…`.
    pub fn label(&self) -> String {
        match self.kind.as_str() {
            "local" => {
                let mut label = match &self.pool {
                    Some(pool) => format!("local pool={pool}"),
                    None => format!("local vg={}", self.vg.as_deref().unwrap_or("?")),
                };
                if let Some(host) = &self.host {
                    label.push_str(&format!(" host={host}"));
                }
                label
            }
            _ => {
                let mut label = format!("cloud {}", self.cloud.as_deref().unwrap_or("?"));
                let user = self.user.as_ref().or(self.user_id.as_ref());
                let project = self.project.as_ref().or(self.project_id.as_ref());
                match (user, project) {
                    (Some(user), Some(project)) => label.push_str(&format!(" ({user}/{project})")),
                    (Some(one), None) | (None, Some(one)) => label.push_str(&format!(" ({one})")),
                    (None, None) => {}
                }
                label
            }
        }
    }
}

/// One line of the audit file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    /// The local user that ran snapport.
    pub user: String,
    /// The user `sudo` ran snapport for, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudo_user: Option<String>,
    pub backend: Identity,
    /// `manage_snapshot`, `unmanage_snapshot`, `manage_volume`, `unmanage_volume`,
    /// `create_volume`, `delete_snapshot`, `delete_volume`, or `recover_manage` (crash
    /// recovery at start-up).
    pub action: String,
    /// The back-end reference a manage imports, the id an unmanage exports or a delete
    /// deletes, or the snapshot a volume is created from.
    pub target: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub params: Value,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Cinder's `x-openstack-request-id` for the mutation's request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Record {
    /// A record stamped now, by the local user, without outcome details yet.
    pub fn new(
        backend: &Identity,
        action: &str,
        target: &str,
        params: Value,
        outcome: Outcome,
    ) -> Self {
        let (user, sudo_user) = local_user();
        Self {
            time: crate::journal::now(),
            user,
            sudo_user,
            backend: backend.clone(),
            action: action.to_string(),
            target: target.to_string(),
            params,
            outcome,
            new_id: None,
            error: None,
            request_id: None,
        }
    }
}

/// The name of the real user this process runs as (its uid looked up in /etc/passwd,
/// else `$USER`, else `uid N`), and `$SUDO_USER`.
fn local_user() -> (String, Option<String>) {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().next().map(str::to_string))
        });
    let from_passwd = uid.as_deref().and_then(|uid| {
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.len() > 2 && fields[2] == uid).then(|| fields[0].to_string())
        })
    });
    let user = from_passwd
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .or_else(|| uid.map(|uid| format!("uid {uid}")))
        .unwrap_or_else(|| "unknown".to_string());
    let sudo_user = std::env::var("SUDO_USER").ok().filter(|u| !u.is_empty());
    (user, sudo_user)
}

/// The audit file, shared by every back end a process opens on it: appends under one
/// lock, each line flushed and fdatasync'd before `append` returns.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    /// Opened on first use; `Err` once a write failed, so that no further mutation
    /// starts without its record.
    file: Mutex<Option<std::result::Result<File, String>>>,
}

/// One audit file per path per process, so concurrent back ends share its lock.
static LOGS: Mutex<Vec<Arc<AuditLog>>> = Mutex::new(Vec::new());

impl AuditLog {
    /// The process's audit log at `path` (created on first write, mode 0600).
    pub fn at(path: &Path) -> Arc<Self> {
        let mut logs = lock(&LOGS);
        if let Some(log) = logs.iter().find(|log| log.path == path) {
            return log.clone();
        }
        let log = Arc::new(Self {
            path: path.to_path_buf(),
            file: Mutex::new(None),
        });
        logs.push(log.clone());
        log
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn failure(&self, err: impl std::fmt::Display) -> Error {
        Error::Backend(format!(
            "cannot write the audit trail {}: {err}",
            self.path.display()
        ))
    }

    fn open(path: &Path) -> std::io::Result<File> {
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        reserve(&file)?;
        // The file's name must survive a crash as well as its lines.
        let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty());
        File::open(dir.unwrap_or(Path::new(".")))?.sync_all()?;
        Ok(file)
    }

    /// Makes sure the file can be written, with room on disk for the record: a
    /// mutation must not start otherwise.
    pub fn ready(&self) -> Result<()> {
        let mut file = lock(&self.file);
        match &*file {
            Some(Ok(open)) => reserve(open).map_err(|err| self.failure(err)),
            Some(Err(broken)) => Err(self.failure(broken)),
            None => match Self::open(&self.path) {
                Ok(opened) => {
                    *file = Some(Ok(opened));
                    Ok(())
                }
                Err(err) => Err(self.failure(err)),
            },
        }
    }

    /// Appends `record` as one line and syncs it to disk.
    pub fn append(&self, record: &Record) -> Result<()> {
        self.ready()?;
        let mut line = serde_json::to_vec(record).map_err(|err| self.failure(err))?;
        line.push(b'\n');
        let mut guard = lock(&self.file);
        let Some(Ok(file)) = guard.as_mut() else {
            return Err(self.failure("not open"));
        };
        let written = file
            .write_all(&line)
            .and_then(|()| file.flush())
            .and_then(|()| file.sync_data());
        if let Err(err) = written {
            let message = err.to_string();
            *guard = Some(Err(message.clone()));
            return Err(self.failure(message));
        }
        Ok(())
    }

    /// Every record of the file at `path`, oldest first (none when there is no file); a
    /// line that does not parse is an error naming its number.
    pub fn read(path: &Path) -> std::result::Result<Vec<Record>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(format!("{}: {err}", path.display())),
        };
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                serde_json::from_str(line)
                    .map_err(|err| format!("{} line {}: {err}", path.display(), index + 1))
            })
            .collect()
    }
}

/// What the mutation's requests came back with, gathered while one audited call runs.
#[derive(Debug, Default)]
pub struct Sent {
    /// A mutating request left snapport (whatever came of it).
    pub attempted: bool,
    /// The `x-openstack-request-id` of each mutating request's answer, in order.
    pub request_ids: Vec<String>,
}

tokio::task_local! {
    static SENT: Arc<Mutex<Sent>>;
}

/// Called by the HTTP session just before a mutating request is sent.
pub fn note_attempt() {
    let _ = SENT.try_with(|sent| lock(sent).attempted = true);
}

/// Called by the HTTP session with the request id of a mutating request's answer.
pub fn note_request_id(id: &str) {
    let _ = SENT.try_with(|sent| lock(sent).request_ids.push(id.to_string()));
}

/// Runs `call` and gathers what it sent, for this call only (a task-local: concurrent
/// calls each see their own).
pub async fn tracking<T>(call: impl Future<Output = T>) -> (T, Sent) {
    let sent = Arc::new(Mutex::new(Sent::default()));
    let result = SENT.scope(sent.clone(), call).await;
    let sent = std::mem::take(&mut *lock(&sent));
    (result, sent)
}

/// Room kept on disk past the end of the audit file for the next records.
const RESERVE: u64 = 64 * 1024;

/// Reserves [`RESERVE`] bytes past the end of `file` without growing it, so that a full
/// disk stops a mutation before it starts instead of losing its record after. File
/// systems that cannot reserve space are written to as before.
fn reserve(file: &File) -> std::io::Result<()> {
    let end = file.metadata()?.len();
    match rustix::fs::fallocate(file, rustix::fs::FallocateFlags::KEEP_SIZE, end, RESERVE) {
        Ok(()) | Err(rustix::io::Errno::OPNOTSUPP | rustix::io::Errno::NOSYS) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// A back end whose every mutation attempt is recorded in the audit file.
pub struct Audited {
    inner: Box<dyn Backend>,
    identity: Identity,
    log: Arc<AuditLog>,
}

impl Audited {
    pub fn new(inner: Box<dyn Backend>, identity: Identity, log: Arc<AuditLog>) -> Self {
        Self {
            inner,
            identity,
            log,
        }
    }

    /// Records the attempt around `call`: refused before it starts when the file cannot
    /// be written; the line is on disk before the result is returned.
    async fn audit<T>(
        &self,
        action: &str,
        target: &str,
        params: Value,
        new_id: impl Fn(&T) -> Option<String>,
        call: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        self.log.ready()?;
        let (result, sent) = tracking(call).await;
        let outcome = match &result {
            Ok(_) => Outcome::Done,
            Err(err) => Outcome::of_error(err, sent.attempted),
        };
        let mut record = Record::new(&self.identity, action, target, params, outcome);
        record.request_id = sent.request_ids.last().cloned();
        match &result {
            Ok(value) => record.new_id = new_id(value),
            Err(err) => record.error = Some(err.to_string()),
        }
        if let Err(err) = self.log.append(&record) {
            // The change is made (or refused) already: say so, and let no other start.
            tracing::error!(error = %err, action, target, "audit record lost");
        }
        result
    }
}

fn params_of(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

#[async_trait]
impl Layer for Audited {
    fn inner(&self) -> &dyn Backend {
        self.inner.as_ref()
    }

    async fn manage_snapshot(&self, request: &ManageSnapshotRequest) -> Result<Snapshot> {
        self.audit(
            "manage_snapshot",
            request.reference.label(),
            params_of(request),
            |snapshot: &Snapshot| Some(snapshot.id.clone()),
            self.inner.manage_snapshot(request),
        )
        .await
    }

    async fn unmanage_snapshot(&self, id: &str) -> Result<()> {
        self.audit(
            "unmanage_snapshot",
            id,
            Value::Null,
            |_| None,
            self.inner.unmanage_snapshot(id),
        )
        .await
    }

    async fn manage_volume(&self, request: &ManageVolumeRequest) -> Result<Volume> {
        self.audit(
            "manage_volume",
            request.reference.label(),
            params_of(request),
            |volume: &Volume| Some(volume.id.clone()),
            self.inner.manage_volume(request),
        )
        .await
    }

    async fn unmanage_volume(&self, id: &str) -> Result<()> {
        self.audit(
            "unmanage_volume",
            id,
            Value::Null,
            |_| None,
            self.inner.unmanage_volume(id),
        )
        .await
    }

    async fn create_volume(&self, request: &CreateVolumeRequest) -> Result<Volume> {
        self.audit(
            "create_volume",
            &request.snapshot_id,
            params_of(request),
            |volume: &Volume| Some(volume.id.clone()),
            self.inner.create_volume(request),
        )
        .await
    }

    async fn delete_snapshot(&self, id: &str) -> Result<()> {
        self.audit(
            "delete_snapshot",
            id,
            Value::Null,
            |_| None,
            self.inner.delete_snapshot(id),
        )
        .await
    }

    async fn delete_volume(&self, id: &str) -> Result<()> {
        self.audit(
            "delete_volume",
            id,
            Value::Null,
            |_| None,
            self.inner.delete_volume(id),
        )
        .await
    }
}

/// The record of one repair crash recovery made at start-up.
pub fn recovery_record(identity: &Identity, repair: &super::local::Repair) -> Record {
    let mut record = Record::new(
        identity,
        "recover_manage",
        &repair.source_lv,
        json!({
            "kind": repair.kind,
            "id": repair.id,
            "lv_name": repair.lv_name,
            "repair": repair.action,
        }),
        match repair.action {
            super::local::RepairAction::MarkedError => Outcome::Failed,
            _ => Outcome::Done,
        },
    );
    match repair.action {
        super::local::RepairAction::Completed => record.new_id = Some(repair.id.clone()),
        super::local::RepairAction::RolledBack => {}
        super::local::RepairAction::MarkedError => {
            record.error = Some(format!(
                "interrupted manage: neither {} nor {} exists; record {} set to error",
                repair.source_lv, repair.lv_name, repair.id
            ));
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloud() -> Identity {
        Identity {
            kind: "cloud".into(),
            cloud: Some("prod".into()),
            user: Some("admin".into()),
            project: Some("ops".into()),
            ..Identity::default()
        }
    }

    #[test]
    fn a_record_is_one_json_object_with_only_the_fields_it_has() {
        let mut record = Record::new(
            &cloud(),
            "manage_snapshot",
            "snap-b",
            json!({"volume_id": "v1", "ref": {"source-name": "snap-b"}}),
            Outcome::Done,
        );
        record.user = "ops".into();
        record.sudo_user = None;
        record.time = "2026-01-02T03:04:05.006Z".into();
        record.new_id = Some("s1".into());
        record.request_id = Some("req-1".into());
        let line = serde_json::to_string(&record).unwrap();
        assert!(!line.contains('\n'));
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            value,
            json!({
                "time": "2026-01-02T03:04:05.006Z",
                "user": "ops",
                "backend": {"kind": "cloud", "cloud": "prod", "user": "admin", "project": "ops"},
                "action": "manage_snapshot",
                "target": "snap-b",
                "params": {"volume_id": "v1", "ref": {"source-name": "snap-b"}},
                "outcome": "done",
                "new_id": "s1",
                "request_id": "req-1",
            })
        );
        assert_eq!(serde_json::from_value::<Record>(value).unwrap(), record);

        let mut refused = Record::new(
            &cloud(),
            "unmanage_volume",
            "v1",
            Value::Null,
            Outcome::RefusedReadOnly,
        );
        refused.error = Some("ReadOnly: no".into());
        let value = serde_json::to_value(&refused).unwrap();
        assert_eq!(value["outcome"], "refused_read_only");
        assert_eq!(value["error"], "ReadOnly: no");
        assert!(value.get("params").is_none() && value.get("new_id").is_none());
    }

    #[test]
    fn outcomes_tell_checks_from_the_back_ends_answers() {
        let check = Error::AlreadyManaged("x".into());
        assert_eq!(Outcome::of_error(&check, false), Outcome::RefusedCheck);
        assert_eq!(Outcome::of_error(&check, true), Outcome::Failed);
        assert_eq!(
            Outcome::of_error(&Error::ReadOnly("x".into()), false),
            Outcome::RefusedReadOnly
        );
        assert_eq!(
            Outcome::of_error(&Error::Backend("lvm".into()), false),
            Outcome::Failed
        );
        assert_eq!(Outcome::RefusedCheck.as_str(), "refused_check");
    }

    #[test]
    fn identities_are_labelled_for_tables() {
        assert_eq!(cloud().label(), "cloud prod (admin/ops)");
        let local = Identity {
            kind: "local".into(),
            vg: Some("cinder".into()),
            host: Some("node@lvm#cinder".into()),
            ..Identity::default()
        };
        assert_eq!(local.label(), "local vg=cinder host=node@lvm#cinder");
    }

    #[test]
    fn the_file_is_private_and_lines_are_appended() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/audit.jsonl");
        let log = AuditLog::at(&path);
        assert!(Arc::ptr_eq(&log, &AuditLog::at(&path)), "one per path");
        let record = Record::new(
            &cloud(),
            "unmanage_snapshot",
            "s1",
            Value::Null,
            Outcome::Done,
        );
        log.append(&record).unwrap();
        log.append(&record).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(AuditLog::read(&path).unwrap(), vec![record.clone(), record]);
    }

    #[test]
    fn an_unwritable_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let log = AuditLog::at(&blocker.join("audit.jsonl"));
        let err = log.ready().unwrap_err().to_string();
        assert!(err.contains("cannot write the audit trail"), "{err}");
    }

    #[tokio::test]
    async fn concurrent_calls_each_see_their_own_request_ids() {
        let calls = (0..8).map(|n| {
            tracking(async move {
                note_attempt();
                tokio::task::yield_now().await;
                note_request_id(&format!("req-{n}"));
                tokio::task::yield_now().await;
                n
            })
        });
        for (n, sent) in futures::future::join_all(calls).await {
            assert!(sent.attempted);
            assert_eq!(sent.request_ids, vec![format!("req-{n}")]);
        }
        let (_, nothing) = tracking(async {}).await;
        assert!(!nothing.attempted && nothing.request_ids.is_empty());
    }
}
