//! The local RBD back end against a real Ceph pool (the harness's single-node Ceph):
//! Cinder's RBD verdicts, renames and protection, checked with `rbd ls -l`.

mod ceph_pool;
mod cinder_harness;
mod isolated;
mod rbd_tool;

use ceph_pool::{CephPool, HOST};
use snapport::backend::local::LocalBackend;
use snapport::backend::{
    Backend, CreateVolumeRequest, Error, ListFilter, ManageSnapshotRequest, ManageVolumeRequest,
    ManageableSnapshot, Metadata, Reference, Snapshot, Volume,
};

fn volume_request(image: &str) -> ManageVolumeRequest {
    ManageVolumeRequest {
        host: HOST.into(),
        reference: Reference::name(image),
        name: Some(image.into()),
        description: None,
        metadata: Metadata::new(),
        without_listing: false,
    }
}

fn snapshot_request(volume_id: &str, snapshot: &str) -> ManageSnapshotRequest {
    ManageSnapshotRequest {
        volume_id: volume_id.into(),
        reference: Reference::name(snapshot),
        name: Some(snapshot.into()),
        description: None,
        metadata: Metadata::new(),
        force: false,
        without_listing: false,
    }
}

async fn managed_volume(backend: &impl Backend, image: &str) -> Volume {
    backend
        .manage_volume(&volume_request(image))
        .await
        .expect("the volume is imported")
}

/// Unmanages a snapshot, which must leave no record.
async fn unmanage_snapshot(backend: &impl Backend, id: &str) {
    backend.unmanage_snapshot(id).await.unwrap();
    let left = backend.snapshots(&ListFilter::default()).await.unwrap();
    assert!(left.is_empty(), "{left:#?}");
}

/// The manageable snapshot `name` of image `image`.
fn entry<'a>(list: &'a [ManageableSnapshot], image: &str, name: &str) -> &'a ManageableSnapshot {
    list.iter()
        .find(|e| {
            e.reference.label() == name && e.source_reference.as_ref().unwrap().label() == image
        })
        .unwrap_or_else(|| panic!("{image}@{name} not listed: {list:#?}"))
}

#[tokio::test]
async fn listings_carry_cinder_rbd_verdicts() {
    let Some(pool) = CephPool::new("verdicts") else {
        return;
    };
    pool.seed(
        &["vol-a", "busy", "old.deleted"],
        &[
            "vol-a@daily",
            "vol-a@vol-a.clone_snap",
            "vol-a@backup.1234.snap.5678",
        ],
    );
    let backend = pool.backend().await;
    let _watch = pool.watch("busy");

    let mut volumes = backend.manageable_volumes(HOST).await.unwrap();
    volumes.sort_by(|a, b| a.reference.cmp(&b.reference));
    let verdicts: Vec<(&str, bool, Option<&str>)> = volumes
        .iter()
        .map(|v| {
            (
                v.reference.label(),
                v.safe_to_manage,
                v.reason_not_safe.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("busy", false, Some("volume in use")),
            ("old.deleted", false, Some("volume marked as deleted")),
            ("vol-a", true, None),
        ]
    );
    assert_eq!(volumes[2].size, 1);

    let volume = managed_volume(&backend, "vol-a").await;
    let image = format!("volume-{}", volume.id);
    let snapshots = backend.manageable_snapshots(HOST).await.unwrap();
    assert_eq!(snapshots.len(), 3);
    let daily = entry(&snapshots, &image, "daily");
    assert!(daily.safe_to_manage);
    assert_eq!(daily.parent_volume_id(), Some(volume.id.as_str()));
    assert_eq!(daily.extra_info, None, "its volume is managed");
    let clone_snap = entry(&snapshots, &image, "vol-a.clone_snap");
    assert_eq!(
        clone_snap.reason_not_safe.as_deref(),
        Some("used for clone snap")
    );
    let backup = entry(&snapshots, &image, "backup.1234.snap.5678");
    assert_eq!(
        backup.reason_not_safe.as_deref(),
        Some("used for volume backup")
    );

    let volumes = backend.manageable_volumes(HOST).await.unwrap();
    let managed = volumes
        .iter()
        .find(|v| v.reference.label() == image)
        .unwrap();
    assert_eq!(managed.reason_not_safe.as_deref(), Some("already managed"));
    assert_eq!(managed.cinder_id.as_deref(), Some(volume.id.as_str()));
}

#[tokio::test]
async fn manage_renames_and_protects_and_unmanage_unprotects() {
    let Some(pool) = CephPool::new("roundtrip") else {
        return;
    };
    pool.seed(&["vol-a"], &["vol-a@daily"]);
    let backend = pool.backend().await;
    let volume = managed_volume(&backend, "vol-a").await;
    let image = format!("volume-{}", volume.id);
    assert_eq!(
        pool.images(),
        std::slice::from_ref(&image),
        "the image was renamed"
    );
    assert_eq!(
        volume.host.as_deref(),
        Some(format!("{HOST}#{}", pool.pool).as_str())
    );

    let snapshot = backend
        .manage_snapshot(&snapshot_request(&volume.id, "daily"))
        .await
        .unwrap();
    assert_eq!(snapshot.status, "available");
    assert_eq!(snapshot.volume_id, volume.id);
    let name = format!("snapshot-{}", snapshot.id);
    assert_eq!(
        pool.snapshots_of(&image),
        [(name.clone(), true)],
        "renamed, protected"
    );

    let again = backend
        .manage_snapshot(&snapshot_request(&volume.id, &name))
        .await
        .unwrap_err();
    assert!(
        matches!(again, Error::AlreadyManaged(ref m) if m.contains(&snapshot.id)),
        "{again}"
    );

    unmanage_snapshot(&backend, &snapshot.id).await;
    assert_eq!(
        pool.snapshots_of(&image),
        [(name.clone(), false)],
        "the data stays, unprotected"
    );
    let listed = backend.manageable_snapshots(HOST).await.unwrap();
    assert!(
        entry(&listed, &image, &name).safe_to_manage,
        "manageable again"
    );

    backend.unmanage_volume(&volume.id).await.unwrap();
    assert_eq!(pool.images(), [image], "the image stays");
}

#[tokio::test]
async fn same_named_snapshots_of_two_images_go_to_their_own_volumes() {
    let Some(pool) = CephPool::new("same-name") else {
        return;
    };
    pool.seed(&["vol-a", "vol-b"], &["vol-a@daily", "vol-b@daily"]);
    let backend = pool.backend().await;
    let a = managed_volume(&backend, "vol-a").await;
    let b = managed_volume(&backend, "vol-b").await;
    let listed = backend.manageable_snapshots(HOST).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|e| e.reference.label() == "daily" && e.safe_to_manage)
    );

    let of_a = backend
        .manage_snapshot(&snapshot_request(&a.id, "daily"))
        .await
        .unwrap();
    let of_b = backend
        .manage_snapshot(&snapshot_request(&b.id, "daily"))
        .await
        .unwrap();
    assert_eq!(of_a.volume_id, a.id);
    assert_eq!(of_b.volume_id, b.id);
    assert_eq!(
        pool.snapshots_of(&format!("volume-{}", a.id)),
        [(format!("snapshot-{}", of_a.id), true)]
    );
    assert_eq!(
        pool.snapshots_of(&format!("volume-{}", b.id)),
        [(format!("snapshot-{}", of_b.id), true)]
    );

    let missing = backend
        .manage_snapshot(&snapshot_request(&a.id, "weekly"))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, Error::InvalidReference(ref m) if m.contains("does not exist")),
        "{missing}"
    );
}

/// Image `vol-a` with its snapshot `golden`, both managed.
async fn golden(pool: &CephPool) -> (LocalBackend, Volume, Snapshot) {
    pool.seed(&["vol-a"], &["vol-a@golden"]);
    let backend = pool.backend().await;
    let volume = managed_volume(&backend, "vol-a").await;
    let snapshot = backend
        .manage_snapshot(&snapshot_request(&volume.id, "golden"))
        .await
        .unwrap();
    (backend, volume, snapshot)
}

#[tokio::test]
async fn a_snapshot_with_a_clone_stays_protected_on_unmanage() {
    let Some(pool) = CephPool::new("clone") else {
        return;
    };
    let (backend, volume, snapshot) = golden(&pool).await;
    let image = format!("volume-{}", volume.id);
    let name = format!("snapshot-{}", snapshot.id);
    pool.rbd_ok(&[
        "clone",
        &pool.spec(&format!("{image}@{name}")),
        &pool.spec("child"),
    ]);

    unmanage_snapshot(&backend, &snapshot.id).await;
    assert_eq!(
        pool.snapshots_of(&image),
        [(name, true)],
        "the clone still needs it protected"
    );
    pool.rbd_ok(&["rm", &pool.spec("child")]);
}

#[tokio::test]
async fn an_already_protected_snapshot_is_managed() {
    let Some(pool) = CephPool::new("protected") else {
        return;
    };
    pool.seed(&["vol-a"], &["vol-a@kept"]);
    pool.rbd_ok(&["snap", "protect", &pool.spec("vol-a@kept")]);
    let backend = pool.backend().await;
    let volume = managed_volume(&backend, "vol-a").await;
    let snapshot = backend
        .manage_snapshot(&snapshot_request(&volume.id, "kept"))
        .await
        .unwrap();
    assert_eq!(
        pool.snapshots_of(&format!("volume-{}", volume.id)),
        [(format!("snapshot-{}", snapshot.id), true)]
    );
}

#[tokio::test]
async fn a_name_that_is_not_utf8_is_listed_escaped_and_refused() {
    use std::os::unix::ffi::OsStrExt;
    let Some(pool) = CephPool::new("utf8") else {
        return;
    };
    pool.seed(&["vol-a"], &["vol-a@daily"]);
    let mut raw = pool.spec("bad").into_bytes();
    raw.push(0xff);
    pool.rbd_ok(&[
        std::ffi::OsStr::new("create"),
        std::ffi::OsStr::new("--size"),
        std::ffi::OsStr::new("1G"),
        std::ffi::OsStr::from_bytes(&raw),
    ]);
    let backend = pool.backend().await;

    let mut volumes = backend.manageable_volumes(HOST).await.unwrap();
    volumes.sort_by(|a, b| a.reference.cmp(&b.reference));
    assert_eq!(
        volumes.len(),
        2,
        "the rest of the pool is listed: {volumes:#?}"
    );
    assert_eq!(volumes[0].reference.label(), "bad\\xff");
    assert!(!volumes[0].safe_to_manage);
    let reason = volumes[0].reason_not_safe.as_deref().unwrap();
    assert!(reason.contains("not valid UTF-8"), "{reason}");
    assert!(volumes[1].safe_to_manage);
    assert_eq!(backend.manageable_snapshots(HOST).await.unwrap().len(), 1);

    let refused = backend
        .manage_volume(&volume_request("bad\\xff"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::InvalidReference(ref m) if m.contains("not valid UTF-8")),
        "{refused}"
    );
    let raw_name = pool.rbd_ok(&["ls", &pool.pool]);
    assert!(
        raw_name.windows(4).any(|w| w == b"bad\xff"),
        "the image keeps its name"
    );
}

#[tokio::test]
async fn a_cluster_that_does_not_answer_fails_in_time() {
    if cinder_harness::harness_env().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.conf");
    std::fs::write(&dead, "[global]\nmon host = 127.0.0.1:9\n").unwrap();
    let config = snapport::backend::local::rbd::RbdConfig {
        pool: "volumes".into(),
        catalog: dir.path().join("catalog.sqlite"),
        backend_name: Some(HOST.into()),
        ceph_conf: Some(dead),
        ceph_user: None,
        timeout: std::time::Duration::from_secs(2),
    };
    let backend = snapport::backend::local::LocalBackend::open_rbd(config, true)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let err = backend.manageable_snapshots(HOST).await.unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(
        matches!(err, Error::Backend(ref m) if m.contains("timed out after 2 s")),
        "{err}"
    );
}

/// Volumes from a managed snapshot are `rbd clone`s of it, recorded in the catalog;
/// the snapshot cannot be deleted while they exist, the volume not while it has
/// snapshots; deleted in that order, nothing is left.
#[tokio::test]
async fn volumes_are_cloned_from_a_snapshot_and_deleted_in_order() {
    let Some(pool) = CephPool::new("clone-create") else {
        return;
    };
    let (backend, volume, snapshot) = golden(&pool).await;
    let image = format!("volume-{}", volume.id);

    let request = CreateVolumeRequest {
        snapshot_id: snapshot.id.clone(),
        name: Some("from-golden".into()),
        description: None,
        size: Some(2),
        metadata: Metadata::new(),
    };
    let clone = backend.create_volume(&request).await.unwrap();
    assert_eq!(
        (clone.name.as_deref(), clone.size, clone.status.as_str()),
        (Some("from-golden"), 2, "available")
    );
    let clone_image = format!("volume-{}", clone.id);
    let parent = pool
        .listing()
        .into_iter()
        .find(|entry| entry.image == clone_image && entry.snapshot.is_none())
        .unwrap_or_else(|| panic!("{clone_image} is in the pool"));
    assert_eq!(
        parent.parent.as_deref(),
        Some(format!("{image}@snapshot-{}", snapshot.id).as_str()),
        "a clone of the snapshot"
    );
    assert_eq!(parent.size, 2 << 30, "grown to the size asked for");

    let smaller = CreateVolumeRequest {
        size: Some(0),
        ..request.clone()
    };
    let refused = backend.create_volume(&smaller).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("cannot be smaller than the snapshot size"),
        "{refused}"
    );

    let busy = backend.delete_snapshot(&snapshot.id).await.unwrap_err();
    assert!(busy.to_string().contains("rbd"), "Ceph's own words: {busy}");
    let has_snapshots = backend.delete_volume(&volume.id).await.unwrap_err();
    assert!(
        matches!(has_snapshots, Error::InvalidState(_)),
        "{has_snapshots}"
    );

    backend.delete_volume(&clone.id).await.unwrap();
    backend.delete_snapshot(&snapshot.id).await.unwrap();
    backend.delete_volume(&volume.id).await.unwrap();
    assert!(pool.images().is_empty(), "{:?}", pool.images());
    assert!(
        backend
            .volumes(&ListFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}
