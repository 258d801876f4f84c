//! The local back end against a real LVM volume group on a loop device.

mod common;
mod isolated;

use common::{HOST, LvmEnv, standard_layout};
use snapport::backend::{
    Backend, CreateVolumeRequest, Error, ListFilter, ManageSnapshotRequest, ManageVolumeRequest,
    Metadata, Reference,
};

fn volume_request(lv: &str, name: &str) -> ManageVolumeRequest {
    ManageVolumeRequest {
        host: HOST.into(),
        reference: Reference::name(lv),
        name: Some(name.into()),
        description: None,
        metadata: Metadata::new(),
        without_listing: false,
    }
}

fn snapshot_request(volume_id: &str, lv: &str) -> ManageSnapshotRequest {
    ManageSnapshotRequest {
        volume_id: volume_id.into(),
        reference: Reference::name(lv),
        name: Some("imported".into()),
        description: Some("from the old cloud".into()),
        metadata: Metadata::from([("origin-cloud".to_string(), "old".to_string())]),
        force: false,
        without_listing: false,
    }
}

/// Imports the LV `lv` as volume `name`; the test cannot go on without it.
async fn managed_volume(backend: &impl Backend, lv: &str, name: &str) -> snapport::backend::Volume {
    backend
        .manage_volume(&volume_request(lv, name))
        .await
        .expect("the volume is imported")
}

/// A snapshot manage that must fail.
async fn refused(backend: &impl Backend, volume_id: &str, lv: &str) -> Error {
    backend
        .manage_snapshot(&snapshot_request(volume_id, lv))
        .await
        .expect_err("the manage is refused")
}

#[tokio::test]
async fn manageable_snapshots_carry_cinder_verdicts() {
    let env = LvmEnv::new("verdicts", &standard_layout());
    let backend = env.backend().await;
    let vol_a = managed_volume(&backend, "vol-a", "a").await;
    let managed = backend
        .manage_snapshot(&snapshot_request(&vol_a.id, "snap-a1"))
        .await
        .unwrap();

    let mut list = backend.manageable_snapshots(HOST).await.unwrap();
    list.sort_by(|x, y| x.reference.cmp(&y.reference));
    let names: Vec<&str> = list.iter().map(|m| m.reference.label()).collect();
    let managed_lv = format!("_snapshot-{}", managed.id);
    assert_eq!(
        names,
        vec![managed_lv.as_str(), "snap-a2", "snap-b1"],
        "plain LVs are never listed"
    );

    let already = &list[0];
    assert!(!already.safe_to_manage);
    assert_eq!(already.reason_not_safe.as_deref(), Some("already managed"));
    assert_eq!(already.cinder_id.as_deref(), Some(managed.id.as_str()));

    let a2 = &list[1];
    assert!(a2.safe_to_manage);
    assert_eq!(a2.size, 2, "1100 MiB rounds up to 2 GiB");
    let origin = format!("volume-{}", vol_a.id);
    assert_eq!(a2.source_reference.as_ref().unwrap().label(), origin);
    assert_eq!(a2.parent_volume_id(), Some(vol_a.id.as_str()));
    assert_eq!(a2.extra_info, None);

    let b1 = &list[2];
    assert!(b1.safe_to_manage);
    let extra = b1.extra_info.as_ref().unwrap().as_str().unwrap();
    assert!(extra.contains("vol-b is not a managed volume"), "{extra}");
}

#[tokio::test]
async fn manage_renames_the_lv_and_unmanage_leaves_it() {
    let env = LvmEnv::new("roundtrip", &standard_layout());
    let backend = env.backend().await;
    let volume = managed_volume(&backend, "vol-a", "a").await;
    assert_eq!(volume.size, 1);
    assert!(env.lv_names().contains(&format!("volume-{}", volume.id)));
    assert!(!env.lv_names().contains(&"vol-a".to_string()));

    let snapshot = backend
        .manage_snapshot(&snapshot_request(&volume.id, "snap-a1"))
        .await
        .unwrap();
    assert_eq!(snapshot.status, "available");
    assert_eq!(snapshot.size, 1, "100 MiB rounds up to 1 GiB");
    assert_eq!(snapshot.volume_id, volume.id);
    assert_eq!(snapshot.name.as_deref(), Some("imported"));
    assert_eq!(snapshot.description.as_deref(), Some("from the old cloud"));
    assert_eq!(snapshot.metadata["origin-cloud"], "old");
    let lv = format!("_snapshot-{}", snapshot.id);
    assert_eq!(env.origin_of(&lv), Some(format!("volume-{}", volume.id)));

    let listed = backend.snapshots(&ListFilter::default()).await.unwrap();
    assert_eq!(listed, vec![snapshot.clone()]);

    backend.unmanage_snapshot(&snapshot.id).await.unwrap();
    assert!(
        backend
            .snapshots(&ListFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        env.lv_names().contains(&lv),
        "the data stays on the back end"
    );
    let entry = backend
        .manageable_snapshots(HOST)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.reference.label() == lv)
        .unwrap();
    assert!(
        entry.safe_to_manage,
        "an exported snapshot is manageable again"
    );
    assert_eq!(entry.cinder_id, None);
}

#[tokio::test]
async fn manage_refuses_what_cinder_would_get_wrong() {
    let env = LvmEnv::new("refusals", &standard_layout());
    let backend = env.backend().await;
    let vol_a = managed_volume(&backend, "vol-a", "a").await;
    let vol_b = managed_volume(&backend, "vol-b", "b").await;

    let unknown = refused(&backend, "00000000-0000-0000-0000-000000000000", "snap-a1").await;
    assert!(
        matches!(unknown, Error::NotFound(ref m) if m.contains("00000000-0000-0000-0000-000000000000 could not be found")),
        "{unknown}"
    );

    let missing = refused(&backend, &vol_a.id, "no-such-lv").await;
    assert!(
        matches!(missing, Error::InvalidReference(ref m) if m.contains("no-such-lv: Specified logical volume does not exist")),
        "{missing}"
    );

    let plain = refused(&backend, &vol_a.id, "plain").await;
    assert!(
        matches!(plain, Error::InvalidReference(ref m) if m.contains("not a snapshot")),
        "{plain}"
    );

    let wrong_parent = refused(&backend, &vol_b.id, "snap-a1").await;
    assert!(
        matches!(wrong_parent, Error::InvalidReference(ref m) if m.contains(&vol_b.id)),
        "{wrong_parent}"
    );

    let first = backend
        .manage_snapshot(&snapshot_request(&vol_a.id, "snap-a1"))
        .await
        .unwrap();
    let twice = refused(&backend, &vol_a.id, &format!("_snapshot-{}", first.id)).await;
    assert!(
        matches!(twice, Error::AlreadyManaged(ref m) if m.contains(&first.id)),
        "{twice}"
    );

    let volume_twice = backend
        .manage_volume(&volume_request(&format!("volume-{}", vol_a.id), "again"))
        .await
        .unwrap_err();
    assert!(
        matches!(volume_twice, Error::AlreadyManaged(_)),
        "{volume_twice}"
    );

    let busy = backend.unmanage_volume(&vol_a.id).await.unwrap_err();
    assert!(
        matches!(busy, Error::InvalidState(ref m) if m.contains(&first.id)),
        "{busy}"
    );

    let snapshots = backend.snapshots(&ListFilter::default()).await.unwrap();
    assert_eq!(snapshots.len(), 1, "no refused manage left a record");
}

#[tokio::test]
async fn force_imports_a_snapshot_of_another_volume() {
    let env = LvmEnv::new("force", &standard_layout());
    let backend = env.backend().await;
    managed_volume(&backend, "vol-a", "a").await;
    let vol_b = managed_volume(&backend, "vol-b", "b").await;
    let mut request = snapshot_request(&vol_b.id, "snap-a1");
    request.force = true;
    let snapshot = backend.manage_snapshot(&request).await.unwrap();
    assert_eq!(snapshot.volume_id, vol_b.id);
}

#[tokio::test]
async fn hosts_report_the_volume_group_capacity() {
    let env = LvmEnv::new("hosts", &standard_layout());
    let backend = env.backend().await;
    let hosts = backend.hosts().await.unwrap();
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0].host, format!("{HOST}#{}", env.sandbox.vg()));
    assert_eq!(hosts[0].state, "up");
    let total = hosts[0].total_capacity_gb.unwrap();
    let free = hosts[0].free_capacity_gb.unwrap();
    assert!(
        (3.5..4.0).contains(&total),
        "a 4 GiB PV minus metadata: {total}"
    );
    assert!(free < total - 2.5, "the LVs use about 2.8 GiB: free {free}");

    let unknown = backend
        .manageable_snapshots("elsewhere@lvm")
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, Error::NotFound(ref m) if m.contains("elsewhere@lvm")),
        "{unknown}"
    );
}

/// On LVM a volume from a snapshot would need its data copied: refused, saying why.
/// Deletes remove the LVs with the records, and a volume whose LV still has snapshot
/// LVs (managed or not) is refused, as Cinder refuses it, rather than taking them along.
#[tokio::test]
async fn lvm_refuses_volumes_from_snapshots_and_deletes_in_cinders_order() {
    let env = LvmEnv::new("deletes", &standard_layout());
    let backend = env.backend().await;
    let volume = managed_volume(&backend, "vol-a", "a").await;
    let snapshot = backend
        .manage_snapshot(&snapshot_request(&volume.id, "snap-a1"))
        .await
        .unwrap();

    let request = CreateVolumeRequest {
        snapshot_id: snapshot.id.clone(),
        name: Some("copy".into()),
        description: None,
        size: None,
        metadata: Metadata::new(),
    };
    let refused = backend.create_volume(&request).await.unwrap_err();
    assert!(
        matches!(refused, Error::BadRequest(ref m) if m.contains("dd") && m.contains("does not copy data")),
        "{refused}"
    );
    assert_eq!(
        backend.volumes(&ListFilter::default()).await.unwrap().len(),
        1
    );

    let busy = backend.delete_volume(&volume.id).await.unwrap_err();
    assert!(
        matches!(busy, Error::InvalidState(ref m) if m.contains("have snapshots")),
        "{busy}"
    );
    backend.delete_snapshot(&snapshot.id).await.unwrap();
    assert!(
        !env.lv_names()
            .contains(&format!("_snapshot-{}", snapshot.id))
    );

    let lv = format!("volume-{}", volume.id);
    let unmanaged = backend.delete_volume(&volume.id).await.unwrap_err();
    assert!(
        matches!(unmanaged, Error::InvalidState(ref m) if m.contains("VolumeIsBusy") && m.contains("snap-a2")),
        "the other snapshot LV of vol-a: {unmanaged}"
    );
    assert!(env.lv_names().contains(&lv), "nothing removed");

    let plain = managed_volume(&backend, "plain", "plain").await;
    backend.delete_volume(&plain.id).await.unwrap();
    assert!(!env.lv_names().contains(&format!("volume-{}", plain.id)));
    assert!(
        backend.volume(&plain.id).await.is_err(),
        "the record is gone"
    );
}
