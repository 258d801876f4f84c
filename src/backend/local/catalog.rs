//! The embedded catalog: what this host's "Cinder" knows, in SQLite (WAL). Every manage
//! first commits an intent row (`creating`, with the LV's old and new names), so that a
//! crash between the catalog and `lvrename` can be repaired at the next start.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::storage::StorageKind;
use crate::backend::{Error, Metadata, Result, Snapshot, Volume};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE volumes (
         id TEXT PRIMARY KEY, name TEXT, description TEXT, status TEXT NOT NULL,
         size INTEGER NOT NULL, host TEXT NOT NULL, lv_name TEXT NOT NULL UNIQUE,
         source_lv TEXT NOT NULL, created_at TEXT NOT NULL, metadata TEXT NOT NULL);
     CREATE TABLE snapshots (
         id TEXT PRIMARY KEY, volume_id TEXT NOT NULL REFERENCES volumes(id),
         name TEXT, description TEXT, status TEXT NOT NULL, size INTEGER NOT NULL,
         lv_name TEXT NOT NULL UNIQUE, source_lv TEXT NOT NULL, created_at TEXT NOT NULL,
         metadata TEXT NOT NULL);
     CREATE INDEX snapshots_by_volume ON snapshots(volume_id);",
    // One import of an LV at a time, whichever process makes it.
    "CREATE UNIQUE INDEX volumes_importing ON volumes(source_lv) WHERE status = 'creating';
     CREATE UNIQUE INDEX snapshots_importing ON snapshots(source_lv) WHERE status = 'creating';",
];

/// An intent refused because another import of the same LV is under way.
fn importing_already(catalog: &Catalog, err: rusqlite::Error, source_lv: &str) -> Error {
    match &err {
        rusqlite::Error::SqliteFailure(failure, Some(message))
            if failure.code == rusqlite::ErrorCode::ConstraintViolation
                && message.contains("source_lv") =>
        {
            Error::AlreadyManaged(format!(
                "{source_lv} is being imported by another snapport process right now"
            ))
        }
        _ => unwritable(&catalog.path, err),
    }
}

/// A catalog that cannot be opened or read (not a database, no permission), named.
fn unreadable(path: &Path, err: rusqlite::Error) -> Error {
    Error::Backend(format!("catalog {}: {err}", path.display()))
}

/// A failed write, naming the file and the likely cause: another process's lock held
/// past the busy timeout, a read-only file or directory, a full disk.
fn unwritable(path: &Path, err: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    let why = match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => format!(
            "locked by another process (gave up waiting after {} s)",
            BUSY_TIMEOUT.as_secs()
        ),
        Some(ErrorCode::ReadOnly) => "read-only".into(),
        Some(ErrorCode::DiskFull) => "the disk is full".into(),
        _ => "cannot be written".into(),
    };
    Error::Backend(format!("catalog {}: {why}: {err}", path.display()))
}

/// How long a write waits for another process's lock on the catalog.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Which table a record lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Volume,
    Snapshot,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Volume => "volumes",
            Kind::Snapshot => "snapshots",
        }
    }
}

/// A manage that committed its intent but may not have renamed the LV.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingManage {
    pub kind: Kind,
    pub id: String,
    /// The LV's name before the rename.
    pub source_lv: String,
    /// The LV's name after the rename.
    pub lv_name: String,
}

/// A new record, written as an intent before the LV is renamed.
#[derive(Debug, Clone)]
pub struct NewRecord<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub size: u64,
    pub lv_name: &'a str,
    pub source_lv: &'a str,
    pub metadata: &'a Metadata,
}

/// What a catalog records as its owner: a volume group's name (as catalogs always
/// have), or `rbd:<pool>`.
pub fn owner(kind: StorageKind, location: &str) -> String {
    match kind {
        StorageKind::Lvm => location.to_string(),
        StorageKind::Rbd => format!("rbd:{location}"),
    }
}

/// An owner as an operator reads it: `volume group X` or `Ceph pool X`.
fn describe_owner(owner: &str) -> String {
    match owner.strip_prefix("rbd:") {
        Some(pool) => format!("Ceph pool {pool}"),
        None => format!("volume group {owner}"),
    }
}

/// The SQLite catalog of one volume group or pool.
pub struct Catalog {
    conn: Connection,
    /// The file, for messages.
    path: std::path::PathBuf,
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

fn metadata_from(text: String) -> rusqlite::Result<Metadata> {
    serde_json::from_str(&text).map_err(|err| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(err))
    })
}

fn metadata_text(metadata: &Metadata) -> String {
    serde_json::to_string(metadata).expect("string maps always serialize")
}

const VOLUME_COLUMNS: &str = "id, name, description, status, size, host, created_at, metadata";
const SNAPSHOT_COLUMNS: &str =
    "id, name, description, status, size, volume_id, created_at, metadata";

fn volume_from(row: &Row<'_>) -> rusqlite::Result<Volume> {
    Ok(Volume {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        status: row.get::<_, String>(3)?.into(),
        size: row.get(4)?,
        host: row.get(5)?,
        created_at: row.get(6)?,
        metadata: metadata_from(row.get(7)?)?,
        attached: false,
    })
}

fn snapshot_from(row: &Row<'_>) -> rusqlite::Result<Snapshot> {
    Ok(Snapshot {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        status: row.get::<_, String>(3)?.into(),
        size: row.get(4)?,
        volume_id: row.get(5)?,
        created_at: row.get(6)?,
        metadata: metadata_from(row.get(7)?)?,
    })
}

impl Catalog {
    /// Opens (creating and migrating as needed) the catalog of `owner` (see [`owner`]).
    /// A catalog belongs to one VG or pool: opening it for another is refused.
    pub fn open(path: &Path, owner: &str) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|err| {
                Error::Backend(format!(
                    "cannot create catalog directory {}: {err}",
                    dir.display()
                ))
            })?;
        }
        let named = |err| unreadable(path, err);
        let conn = Connection::open(path).map_err(named)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(named)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(named)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(named)?;
        let mut catalog = Self {
            conn,
            path: path.to_path_buf(),
        };
        catalog.migrate()?;
        catalog.claim(owner)?;
        Ok(catalog)
    }

    fn migrate(&mut self) -> Result<()> {
        let version = self.schema_version()?;
        if version > MIGRATIONS.len() {
            return Err(Error::Backend(format!(
                "catalog {}: schema version {version} is newer than this snapport knows ({})",
                self.path.display(),
                MIGRATIONS.len()
            )));
        }
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = self
                .conn
                .transaction()
                .map_err(|err| unwritable(&self.path, err))?;
            tx.execute_batch(sql)
                .and_then(|()| tx.pragma_update(None, "user_version", index + 1))
                .and_then(|()| tx.commit())
                .map_err(|err| unwritable(&self.path, err))?;
        }
        Ok(())
    }

    /// Records `owner` in a new catalog; an existing one is only read, so that opening
    /// it never waits for another process's write.
    fn claim(&self, owner: &str) -> Result<()> {
        let read = || {
            self.read(|conn| {
                conn.query_row("SELECT value FROM meta WHERE key = 'vg'", [], |row| {
                    row.get::<_, String>(0)
                })
                .optional()
            })
        };
        let claimed = match read()? {
            Some(claimed) => claimed,
            None => {
                self.conn
                    .execute(
                        "INSERT OR IGNORE INTO meta (key, value) VALUES ('vg', ?1)",
                        params![owner],
                    )
                    .map_err(|err| unwritable(&self.path, err))?;
                read()?.unwrap_or_default()
            }
        };
        if claimed != owner {
            return Err(Error::Backend(format!(
                "this catalog belongs to {}, not {}",
                describe_owner(&claimed),
                describe_owner(owner)
            )));
        }
        Ok(())
    }

    /// The schema version, for diagnostics.
    pub fn schema_version(&self) -> Result<usize> {
        self.read(|conn| conn.pragma_query_value(None, "user_version", |row| row.get(0)))
    }

    /// Runs a query, naming the catalog when it fails.
    fn read<T>(&self, query: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        query(&self.conn).map_err(|err| unreadable(&self.path, err))
    }

    /// Volumes, optionally only those on `host` (compared at back-end level).
    pub fn volumes(&self) -> Result<Vec<Volume>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {VOLUME_COLUMNS} FROM volumes ORDER BY created_at, id"
            ))?;
            let rows = stmt.query_map([], volume_from)?;
            rows.collect()
        })
    }

    /// Snapshots, optionally of one volume.
    pub fn snapshots(&self, volume_id: Option<&str>) -> Result<Vec<Snapshot>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SNAPSHOT_COLUMNS} FROM snapshots
                 WHERE ?1 IS NULL OR volume_id = ?1 ORDER BY created_at, id"
            ))?;
            let rows = stmt.query_map(params![volume_id], snapshot_from)?;
            rows.collect()
        })
    }

    /// One volume by id.
    pub fn volume(&self, id: &str) -> Result<Option<Volume>> {
        self.read(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {VOLUME_COLUMNS} FROM volumes WHERE id = ?1"
            ))?
            .query_row(params![id], volume_from)
            .optional()
        })
    }

    /// One snapshot by id.
    pub fn snapshot(&self, id: &str) -> Result<Option<Snapshot>> {
        self.read(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {SNAPSHOT_COLUMNS} FROM snapshots WHERE id = ?1"
            ))?
            .query_row(params![id], snapshot_from)
            .optional()
        })
    }

    /// LV name → (kind, id) of every record, for matching a whole `lvs` listing in one
    /// query.
    pub fn lv_owners(&self) -> Result<std::collections::HashMap<String, (Kind, String)>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT lv_name, 'v', id FROM volumes UNION ALL SELECT lv_name, 's', id FROM snapshots",
            )?;
            let rows = stmt.query_map([], |row| {
                let kind = if row.get::<_, String>(1)? == "v" {
                    Kind::Volume
                } else {
                    Kind::Snapshot
                };
                Ok((row.get::<_, String>(0)?, (kind, row.get::<_, String>(2)?)))
            })?;
            rows.collect()
        })
    }

    /// The LV name (RBD image) recorded for a managed volume.
    pub fn volume_lv(&self, id: &str) -> Result<Option<String>> {
        self.storage_name(Kind::Volume, id)
    }

    /// The LV name (RBD `image@snapshot`) recorded for a managed snapshot.
    pub fn snapshot_lv(&self, id: &str) -> Result<Option<String>> {
        self.storage_name(Kind::Snapshot, id)
    }

    fn storage_name(&self, kind: Kind, id: &str) -> Result<Option<String>> {
        self.read(|conn| {
            conn.query_row(
                &format!("SELECT lv_name FROM {} WHERE id = ?1", kind.table()),
                params![id],
                |row| row.get(0),
            )
            .optional()
        })
    }

    /// Commits the intent to manage a volume (status `creating`).
    pub fn insert_volume_intent(&self, record: &NewRecord<'_>, host: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO volumes (id, name, description, status, size, host, lv_name, source_lv,
                                  created_at, metadata)
             VALUES (?1, ?2, ?3, 'creating', ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                record.id,
                record.name,
                record.description,
                record.size,
                host,
                record.lv_name,
                record.source_lv,
                now(),
                metadata_text(record.metadata)
            ],
        )
        .map_err(|err| importing_already(self, err, record.source_lv))?;
        Ok(())
    }

    /// Commits the intent to manage a snapshot of `volume_id` (status `creating`).
    pub fn insert_snapshot_intent(&self, record: &NewRecord<'_>, volume_id: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO snapshots (id, volume_id, name, description, status, size, lv_name,
                                    source_lv, created_at, metadata)
             VALUES (?1, ?2, ?3, ?4, 'creating', ?5, ?6, ?7, ?8, ?9)",
                params![
                    record.id,
                    volume_id,
                    record.name,
                    record.description,
                    record.size,
                    record.lv_name,
                    record.source_lv,
                    now(),
                    metadata_text(record.metadata)
                ],
            )
            .map_err(|err| importing_already(self, err, record.source_lv))?;
        Ok(())
    }

    /// The record that imported the LV once named `source_lv`, other than `id`: after a
    /// rename that found no such LV, it tells whether another process took it first.
    pub fn imported_by_another(
        &self,
        kind: Kind,
        source_lv: &str,
        id: &str,
    ) -> Result<Option<String>> {
        self.read(|conn| {
            conn.query_row(
                &format!(
                    "SELECT id FROM {} WHERE source_lv = ?1 AND id != ?2 ORDER BY created_at DESC",
                    kind.table()
                ),
                params![source_lv, id],
                |row| row.get(0),
            )
            .optional()
        })
    }

    /// Sets a record's status (e.g. `available` once the LV carries its new name).
    pub fn set_status(&self, kind: Kind, id: &str, status: &str) -> Result<()> {
        self.conn
            .execute(
                &format!("UPDATE {} SET status = ?2 WHERE id = ?1", kind.table()),
                params![id, status],
            )
            .map_err(|err| unwritable(&self.path, err))?;
        Ok(())
    }

    /// Forgets a record. Returns false when there was none.
    pub fn delete(&self, kind: Kind, id: &str) -> Result<bool> {
        let changed = self
            .conn
            .execute(
                &format!("DELETE FROM {} WHERE id = ?1", kind.table()),
                params![id],
            )
            .map_err(|err| unwritable(&self.path, err))?;
        Ok(changed > 0)
    }

    /// Manages whose outcome is unknown (a crash between intent and rename).
    pub fn pending(&self) -> Result<Vec<PendingManage>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT 'v', id, source_lv, lv_name FROM volumes WHERE status = 'creating'
                 UNION ALL
                 SELECT 's', id, source_lv, lv_name FROM snapshots WHERE status = 'creating'",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok(PendingManage {
                    kind: if row.get::<_, String>(0)? == "v" {
                        Kind::Volume
                    } else {
                        Kind::Snapshot
                    },
                    id: row.get(1)?,
                    source_lv: row.get(2)?,
                    lv_name: row.get(3)?,
                })
            })?;
            rows.collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<'a>(id: &'a str, lv: &'a str, metadata: &'a Metadata) -> NewRecord<'a> {
        NewRecord {
            id,
            name: Some("n"),
            description: None,
            size: 2,
            lv_name: lv,
            source_lv: "old",
            metadata,
        }
    }

    #[test]
    fn intents_are_pending_until_marked_available() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("c.db"), "vg").unwrap();
        let metadata = Metadata::from([("k".to_string(), "v".to_string())]);
        catalog
            .insert_volume_intent(&record("v1", "volume-v1", &metadata), "h@lvm#vg")
            .unwrap();
        assert_eq!(catalog.pending().unwrap().len(), 1);
        catalog.set_status(Kind::Volume, "v1", "available").unwrap();
        assert!(catalog.pending().unwrap().is_empty());
        let volume = catalog.volume("v1").unwrap().unwrap();
        assert_eq!(volume.metadata, metadata);
        assert_eq!(volume.status, "available");
    }

    #[test]
    fn snapshots_need_an_existing_volume() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("c.db"), "vg").unwrap();
        let metadata = Metadata::new();
        let err = catalog
            .insert_snapshot_intent(&record("s1", "_snapshot-s1", &metadata), "missing")
            .unwrap_err();
        assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
    }

    #[test]
    fn a_catalog_belongs_to_one_volume_group() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        Catalog::open(&path, "vg-a").unwrap();
        let err = Catalog::open(&path, "vg-b").err().unwrap();
        assert!(
            err.to_string().contains("belongs to volume group vg-a"),
            "{err}"
        );
        assert_eq!(
            Catalog::open(&path, "vg-a")
                .unwrap()
                .schema_version()
                .unwrap(),
            MIGRATIONS.len()
        );
    }
}
