//! The remote back end against a fake Cinder and Keystone over loopback HTTP.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::http::Method;
use serde_json::json;
use snapport::backend::remote::{Operation, RemoteBackend, RemoteOptions};
use snapport::backend::{
    Backend, Error, ListFilter, ManageSnapshotRequest, ManageVolumeRequest, ReadOnly, Reference,
};
use support::fake_cinder::{FakeCloud, FakeConfig, Fault, PROJECT, Storage};
use support::{connect_with, noauth_yaml, options, sources_with, volume_import};
use tempfile::TempDir;

async fn connect(cloud: &FakeCloud, dir: &TempDir) -> RemoteBackend {
    connect_with(cloud, dir.path(), |_| {}).await
}

fn snapshot_request(volume_id: &str, lv: &str) -> ManageSnapshotRequest {
    ManageSnapshotRequest {
        volume_id: volume_id.into(),
        reference: Reference::name(lv),
        name: Some("imported".into()),
        description: Some("from the old cloud".into()),
        metadata: BTreeMap::from([("origin-cloud".to_string(), "old".to_string())]),
        force: false,
        without_listing: false,
    }
}

#[tokio::test]
async fn microversion_is_negotiated_and_sent_on_every_cinder_call() {
    let cloud = FakeCloud::keystone();
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    assert_eq!(backend.microversion().to_string(), "3.71");
    assert_eq!(backend.info().label, "cloud fake");
    assert_eq!(
        backend.info().identity.as_deref(),
        Some("cloud=fake region=RegionOne project=admin user=admin"),
        "the console's header: as openstack users name it, never the password"
    );
    assert!(!backend.tls_verification_disabled());
    backend.hosts().await.unwrap();
    backend.volumes(&ListFilter::default()).await.unwrap();

    let root = cloud.requests_to("GET", "/volume/");
    let root = root
        .iter()
        .find(|r| r.path == "/volume/")
        .expect("version root read");
    assert_eq!(
        root.header("X-Auth-Token"),
        None,
        "the version root needs no token"
    );
    let cinder_calls = cloud.requests_to("GET", "/volume/v3/");
    assert!(cinder_calls.len() >= 3);
    for call in &cinder_calls {
        assert_eq!(
            call.header("OpenStack-API-Version"),
            Some("volume 3.71"),
            "{}",
            call.path
        );
        assert!(call.header("User-Agent").unwrap().starts_with("snapport/"));
    }
}

#[tokio::test]
async fn microversion_is_capped_by_the_server_and_old_servers_are_refused() {
    let dir = TempDir::new().unwrap();
    let config = FakeConfig {
        max_version: 50,
        ..FakeConfig::default()
    };
    let cloud = FakeCloud::start(Storage::new("node@lvm", "lvm"), config);
    let backend = connect(&cloud, &dir).await;
    assert_eq!(backend.microversion().to_string(), "3.50");
    backend.volumes(&ListFilter::default()).await.unwrap();
    let last = cloud.requests_to("GET", "volumes/detail").pop().unwrap();
    assert_eq!(last.header("OpenStack-API-Version"), Some("volume 3.50"));

    let config = FakeConfig {
        max_version: 7,
        ..FakeConfig::default()
    };
    let mitaka_like = FakeCloud::start(Storage::new("node@lvm", "lvm"), config);
    let dir = TempDir::new().unwrap();
    let options = options(sources_with(
        dir.path(),
        &support::password_yaml(&mitaka_like),
    ));
    let err = RemoteBackend::connect(options)
        .await
        .err()
        .expect("3.7 is too old");
    let message = err.to_string();
    assert!(
        message.contains("3.0 to 3.7") && message.contains("at least 3.8"),
        "{message}"
    );
}

#[tokio::test]
async fn the_fake_rejects_versions_outside_its_range_like_cinder() {
    // Guards the harness itself: 406 above the maximum, 404 for manageable_* below 3.8.
    let cloud = FakeCloud::start(
        Storage::new("node@lvm", "lvm"),
        FakeConfig {
            auth: support::fake_cinder::AuthMode::NoAuth,
            ..FakeConfig::default()
        },
    );
    let client = reqwest::Client::new();
    let get = |version: &'static str, path: &str| {
        client
            .get(format!("{}/{path}?host=node@lvm", cloud.endpoint()))
            .header("X-Auth-Token", format!("admin:{PROJECT}"))
            .header("OpenStack-API-Version", version)
            .send()
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let too_new = get("volume 3.72", "volumes/detail").await.unwrap();
    assert_eq!(too_new.status(), 406);
    let too_old = get("volume 3.7", "manageable_snapshots").await.unwrap();
    assert_eq!(too_old.status(), 404);
    assert_eq!(
        too_old.json::<serde_json::Value>().await.unwrap(),
        json!({"itemNotFound": {"code": 404, "message": "The resource could not be found."}})
    );
}

#[tokio::test]
async fn hosts_join_services_with_pools_and_keep_poolless_services() {
    let config = FakeConfig {
        extra_services: vec![("dead@lvm".into(), "down".into())],
        ..FakeConfig::default()
    };
    let cloud = FakeCloud::start(Storage::new("node@lvm", "lvm"), config);
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    cloud.seed_volume("v", 3);
    let hosts = backend.hosts().await.unwrap();
    let names: Vec<&str> = hosts.iter().map(|h| h.host.as_str()).collect();
    assert_eq!(names, ["dead@lvm", "node@lvm#lvm"]);
    assert_eq!(hosts[0].state, "down");
    assert_eq!(hosts[0].total_capacity_gb, None);
    assert_eq!(hosts[1].total_capacity_gb, Some(100.0));
    assert_eq!(hosts[1].free_capacity_gb, Some(97.0));
    let services = cloud.requests_to("GET", "os-services").pop().unwrap();
    assert_eq!(
        services.params().get("binary").map(String::as_str),
        Some("cinder-volume")
    );
}

#[tokio::test]
async fn volumes_are_paged_by_marker_even_when_next_links_point_elsewhere() {
    // Before 3.45 no total can be asked for: the list is walked by marker.
    let config = FakeConfig {
        next_link_base: Some("http://wrong-proxy.invalid:1".into()),
        max_version: 44,
        ..FakeConfig::default()
    };
    let cloud = FakeCloud::start(Storage::new("node@lvm", "lvm"), config);
    let mut ids: Vec<String> = (0..5)
        .map(|i| cloud.seed_volume(&format!("vol-{i}"), 1))
        .collect();
    ids.sort();
    cloud.set_volume_attached(&ids[1], true);
    let dir = TempDir::new().unwrap();
    let backend = connect_with(&cloud, dir.path(), |o| o.page_size = 2).await;

    let mut pages = Vec::new();
    backend
        .volumes_paged(&ListFilter::default(), &mut |page| pages.push(page))
        .await
        .unwrap();
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2, 1]);
    let volumes: Vec<_> = pages.into_iter().flatten().collect();
    let got: Vec<String> = volumes.iter().map(|v| v.id.clone()).collect();
    assert_eq!(got, ids);
    assert!(volumes[1].attached && volumes[1].status == "in-use");
    assert!(!volumes[0].attached);
    assert_eq!(volumes[0].host.as_deref(), Some("node@lvm#lvm"));

    let requests = cloud.requests_to("GET", "volumes/detail");
    let markers: Vec<Option<String>> = requests
        .iter()
        .map(|r| r.params().get("marker").cloned())
        .collect();
    assert_eq!(markers, [None, Some(ids[1].clone()), Some(ids[3].clone())]);
    for request in &requests {
        assert_eq!(
            request.params().get("all_tenants").map(String::as_str),
            Some("1")
        );
        assert_eq!(request.params().get("limit").map(String::as_str), Some("2"));
    }
}

#[tokio::test]
async fn a_full_last_page_ends_on_the_empty_page_after_it() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    for i in 0..4 {
        cloud.seed_snapshot(&volume, &format!("s{i}"));
    }
    let dir = TempDir::new().unwrap();
    let backend = connect_with(&cloud, dir.path(), |o| o.page_size = 2).await;
    let snapshots = backend.snapshots(&ListFilter::default()).await.unwrap();
    assert_eq!(snapshots.len(), 4);
    assert_eq!(
        cloud.list_requests("snapshots").len(),
        3,
        "2 full pages, then an empty one"
    );
}

#[tokio::test]
async fn snapshot_filters_by_volume_on_the_server_and_by_host_on_this_side() {
    let cloud = FakeCloud::keystone();
    let first = cloud.seed_volume("a", 1);
    let second = cloud.seed_volume("b", 1);
    let snap = cloud.seed_snapshot(&first, "a1");
    cloud.seed_snapshot(&second, "b1");
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;

    let by_volume = backend
        .snapshots(&ListFilter {
            volume_id: Some(first.clone()),
            host: None,
        })
        .await
        .unwrap();
    assert_eq!(by_volume.len(), 1);
    assert_eq!(by_volume[0].id, snap);
    assert_eq!(by_volume[0].volume_id, first);

    let on_host = |host: &str| ListFilter {
        host: Some(host.into()),
        volume_id: None,
    };
    assert_eq!(
        backend
            .snapshots(&on_host("node@lvm#lvm"))
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        backend
            .snapshots(&on_host("other@lvm"))
            .await
            .unwrap()
            .is_empty()
    );
    for request in cloud.list_requests("snapshots") {
        assert!(
            !request.params().contains_key("host"),
            "Cinder would answer an empty list"
        );
    }
}

#[tokio::test]
async fn single_resources_and_not_found_keep_cinders_message() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("vol-a", 4);
    let snapshot = cloud.seed_snapshot(&volume, "snap-a");
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    let got = backend.volume(&volume).await.unwrap();
    assert_eq!(
        (got.name.as_deref(), got.size, got.status.as_str()),
        (Some("vol-a"), 4, "available")
    );
    let got = backend.snapshot(&snapshot).await.unwrap();
    assert_eq!(
        (got.name.as_deref(), got.volume_id.as_str()),
        (Some("snap-a"), volume.as_str())
    );

    let missing = "00000000-0000-0000-0000-000000000000";
    assert_eq!(
        backend.volume(missing).await.unwrap_err(),
        Error::NotFound(format!("Volume {missing} could not be found."))
    );
    assert_eq!(
        backend.snapshot(missing).await.unwrap_err(),
        Error::NotFound(format!("Snapshot {missing} could not be found."))
    );
}

#[tokio::test]
async fn manageable_snapshots_page_with_json_reference_markers() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    let managed = cloud.seed_snapshot(&volume, "managed");
    for name in ["snap-c", "snap-a", "snap-e", "snap-b"] {
        cloud
            .storage()
            .add_snapshot_lv(name, &format!("volume-{volume}"), 1);
    }
    let dir = TempDir::new().unwrap();
    let backend = connect_with(&cloud, dir.path(), |o| o.manageable_page_size = 2).await;
    let entries = backend.manageable_snapshots("node@lvm#lvm").await.unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e.reference.label()).collect();
    let managed_lv = format!("_snapshot-{managed}");
    assert_eq!(
        names,
        [managed_lv.as_str(), "snap-a", "snap-b", "snap-c", "snap-e"]
    );
    assert_eq!(entries[0].cinder_id.as_deref(), Some(managed.as_str()));
    assert_eq!(
        entries[0].reason_not_safe.as_deref(),
        Some("already managed")
    );
    assert!(entries[1].safe_to_manage);
    assert_eq!(entries[1].parent_volume_id(), Some(volume.as_str()));

    let requests = cloud.requests_to("GET", "manageable_snapshots/detail");
    let markers: Vec<Option<String>> = requests
        .iter()
        .map(|r| r.params().get("marker").cloned())
        .collect();
    assert_eq!(
        markers,
        [
            None,
            Some(r#"{"source-name":"snap-a"}"#.into()),
            Some(r#"{"source-name":"snap-c"}"#.into())
        ]
    );
    for request in &requests {
        let params = request.params();
        assert_eq!(params["host"], "node@lvm", "the pool is dropped");
        assert_eq!(params["sort"], "reference:asc");
        assert_eq!(params["limit"], "2");
    }
}

#[tokio::test]
async fn manageable_volumes_and_unknown_hosts() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 2);
    cloud.storage().add_volume_lv("foreign-lv", 5);
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    let entries = backend.manageable_volumes("node@lvm").await.unwrap();
    assert_eq!(entries.len(), 2);
    let foreign = entries
        .iter()
        .find(|e| e.reference.label() == "foreign-lv")
        .unwrap();
    assert!(foreign.safe_to_manage && foreign.cinder_id.is_none() && foreign.size == 5);
    let ours = entries
        .iter()
        .find(|e| e.reference.label() == format!("volume-{volume}"))
        .unwrap();
    assert_eq!(ours.cinder_id.as_deref(), Some(volume.as_str()));

    assert_eq!(
        backend
            .manageable_snapshots("nosuch@lvm")
            .await
            .unwrap_err(),
        Error::NotFound("Service cinder-volume could not be found on host nosuch@lvm.".into())
    );
}

#[tokio::test]
async fn manage_snapshot_posts_cinders_body_and_waits_for_available() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 2);
    cloud
        .storage()
        .add_snapshot_lv("snap-x", &format!("volume-{volume}"), 2);
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    let mut progress = backend.progress();

    let snapshot = backend
        .manage_snapshot(&snapshot_request(&volume, "snap-x"))
        .await
        .unwrap();
    assert_eq!(snapshot.status, "available");
    assert_eq!(snapshot.volume_id, volume);
    assert_eq!(snapshot.name.as_deref(), Some("imported"));
    assert_eq!(snapshot.metadata["origin-cloud"], "old");
    assert!(
        cloud
            .storage()
            .lv(&format!("_snapshot-{}", snapshot.id))
            .is_some(),
        "LV renamed by the import"
    );

    let posts = cloud.requests_to("POST", "/volume/");
    assert_eq!(posts.len(), 1);
    assert!(
        posts[0]
            .path
            .ends_with(&format!("{PROJECT}/manageable_snapshots"))
    );
    assert_eq!(
        posts[0].json(),
        json!({"snapshot": {"volume_id": volume, "ref": {"source-name": "snap-x"}, "name": "imported",
                            "description": "from the old cloud", "metadata": {"origin-cloud": "old"}}})
    );
    let mut reports = Vec::new();
    while let Ok(report) = progress.try_recv() {
        reports.push(report);
    }
    assert!(reports.len() >= 2, "{reports:?}");
    assert!(
        reports
            .iter()
            .all(|r| r.operation == Operation::ManageSnapshot && r.id == snapshot.id)
    );
    assert_eq!(reports[0].status, "creating");
    let last = reports.last().unwrap();
    assert!(last.finished && last.status == "available");
}

#[tokio::test]
async fn an_already_managed_snapshot_is_refused_even_with_force_and_nothing_is_posted() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    let existing = cloud.seed_snapshot(&volume, "s");
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    let mut request = snapshot_request(&volume, &format!("_snapshot-{existing}"));
    request.force = true;
    let err = backend.manage_snapshot(&request).await.unwrap_err();
    assert!(
        matches!(&err, Error::AlreadyManaged(m) if m.contains(&existing) && m.contains("node@lvm")),
        "{err}"
    );
    assert!(cloud.requests_to("POST", "/volume/").is_empty());
}

#[tokio::test]
async fn a_reference_missing_from_the_host_is_refused_before_any_post() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    cloud
        .storage()
        .add_snapshot_lv("other-snap", &format!("volume-{volume}"), 1);
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    let err = backend
        .manage_snapshot(&snapshot_request(&volume, "no-such-lv"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidReference(
            "no-such-lv does not exist on host node@lvm#lvm: the back end does not list it as a snapshot".into()
        )
    );
    assert!(cloud.requests_to("POST", "/volume/").is_empty());
}

#[tokio::test]
async fn a_snapshot_of_another_volume_needs_force() {
    let cloud = FakeCloud::keystone();
    let owner = cloud.seed_volume("owner", 1);
    let other = cloud.seed_volume("other", 1);
    cloud
        .storage()
        .add_snapshot_lv("snap-b", &format!("volume-{owner}"), 1);
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    let mut request = snapshot_request(&other, "snap-b");
    let err = backend.manage_snapshot(&request).await.unwrap_err();
    let Error::InvalidReference(message) = &err else {
        panic!("{err}")
    };
    assert!(
        message.contains(&format!(
            "only as a snapshot of volume-{owner}, not of volume {other}"
        )),
        "{message}"
    );
    assert!(cloud.requests_to("POST", "/volume/").is_empty());

    request.force = true;
    let snapshot = backend.manage_snapshot(&request).await.unwrap();
    assert_eq!(snapshot.volume_id, other);
}

/// An RBD cloud whose two volumes' images each hold a snapshot named `daily`, and a
/// session on it (its files in the directory returned).
async fn rbd_with_two_dailies() -> (FakeCloud, TempDir, RemoteBackend, [String; 2]) {
    let config = FakeConfig {
        polls_to_settle: 1,
        ..FakeConfig::default()
    };
    let cloud = FakeCloud::start(Storage::rbd("node@rbd", "rbd"), config);
    let volumes = cloud.seed_two_images_with("daily");
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    (cloud, dir, backend, volumes)
}

#[tokio::test]
async fn rbd_snapshots_of_one_name_each_land_on_their_own_volume_in_either_order() {
    for first in [0, 1] {
        let (cloud, _dir, backend, volumes) = rbd_with_two_dailies().await;
        let listed = backend.manageable_snapshots("node@rbd#rbd").await.unwrap();
        let dailies = listed.iter().filter(|e| e.reference.label() == "daily");
        assert_eq!(dailies.count(), 2, "{listed:?}");
        for volume in [&volumes[first], &volumes[1 - first]] {
            let snapshot = backend
                .manage_snapshot(&snapshot_request(volume, "daily"))
                .await
                .unwrap_or_else(|err| panic!("daily of {volume}: {err}"));
            assert_eq!(&snapshot.volume_id, volume);
            assert_eq!(snapshot.status, "available");
            assert_eq!(
                cloud
                    .storage()
                    .image_snapshot_names(&format!("volume-{volume}")),
                [format!("snapshot-{}", snapshot.id)],
                "the driver renamed the daily of this volume's own image"
            );
        }
        assert_eq!(cloud.requests_to("POST", "/volume/").len(), 2);
    }
}

#[tokio::test]
async fn both_dailies_import_at_once_in_one_session() {
    let (cloud, _dir, backend, [a, b]) = rbd_with_two_dailies().await;
    let (daily_a, daily_b) = (snapshot_request(&a, "daily"), snapshot_request(&b, "daily"));
    let (under_a, under_b) = tokio::join!(
        backend.manage_snapshot(&daily_a),
        backend.manage_snapshot(&daily_b),
    );
    let (under_a, under_b) = (under_a.unwrap(), under_b.unwrap());
    assert_eq!(
        (under_a.volume_id.as_str(), under_b.volume_id.as_str()),
        (a.as_str(), b.as_str())
    );
    let again = backend.manage_snapshot(&daily_a).await;
    assert_eq!(
        again.unwrap_err(),
        Error::AlreadyManaged(format!(
            "daily on host node@rbd#rbd is already managed as snapshot {}; importing it again \
             would leave that record pointing at a renamed snapshot",
            under_a.id
        )),
        "the same daily again is this session's earlier import"
    );
    assert_eq!(cloud.requests_to("POST", "/volume/").len(), 2);
}

#[tokio::test]
async fn a_renamed_rbd_snapshot_imported_again_is_refused_before_any_post() {
    let (cloud, dir, first, [a, b]) = rbd_with_two_dailies().await;
    let managed = first
        .manage_snapshot(&snapshot_request(&a, "daily"))
        .await
        .unwrap();
    let renamed = format!("snapshot-{}", managed.id);

    let later = connect(&cloud, &dir).await;
    let listed = later.manageable_snapshots("node@rbd#rbd").await.unwrap();
    let entry = listed
        .iter()
        .find(|e| e.reference.label() == renamed)
        .unwrap();
    assert_eq!(entry.cinder_id.as_deref(), Some(managed.id.as_str()));
    assert!(entry.is_snapshot_of(&a));
    for volume in [&a, &b] {
        let err = later
            .manage_snapshot(&snapshot_request(volume, &renamed))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::AlreadyManaged(m) if m.contains(&managed.id)),
            "{err}"
        );
    }
    let err = later
        .manage_snapshot(&snapshot_request(&a, "daily"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidReference(m) if m.contains(&format!("only as a snapshot of volume-{b}"))),
        "a's daily is gone: only b's is left: {err}"
    );
    assert_eq!(
        cloud.requests_to("POST", "/volume/").len(),
        1,
        "only the first import was sent"
    );
}

#[tokio::test]
async fn a_name_only_on_another_volumes_image_is_refused_naming_where_it_is() {
    let (cloud, _dir, backend, [a, b]) = rbd_with_two_dailies().await;
    cloud
        .storage()
        .add_image_snapshot(&format!("volume-{a}"), "weekly", 1);
    let mut request = snapshot_request(&b, "weekly");
    let err = backend.manage_snapshot(&request).await.unwrap_err();
    assert_eq!(
        err,
        Error::InvalidReference(format!(
            "weekly is listed on host node@rbd#rbd only as a snapshot of volume-{a}, not of \
             volume {b}; import it under the volume it belongs to, or force the import where \
             the driver finds snapshots by name alone (LVM; RBD looks on the volume's own image)"
        ))
    );
    assert!(cloud.requests_to("POST", "/volume/").is_empty());

    request.force = true;
    let err = backend.manage_snapshot(&request).await.unwrap_err();
    let [record] = cloud.snapshot_ids().try_into().unwrap();
    assert!(
        matches!(&err, Error::Backend(m) if m.contains(&format!("snapshot {record} went to status error"))),
        "forced, the RBD driver finds no weekly on b's image: {err}"
    );
    assert_eq!(
        cloud.storage().image_snapshot_names(&format!("volume-{a}")),
        ["daily", "weekly"],
        "a's snapshots are untouched"
    );
}

#[tokio::test]
async fn a_missing_parent_volume_is_not_found() {
    let cloud = FakeCloud::keystone();
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    let missing = "11111111-2222-3333-4444-555555555555";
    let err = backend
        .manage_snapshot(&snapshot_request(missing, "snap"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::NotFound(format!("Volume {missing} could not be found."))
    );
    assert!(cloud.requests_to("POST", "/volume/").is_empty());
}

#[tokio::test]
async fn a_failed_import_names_the_error_record() {
    let storage = Storage::new("node@lvm", "lvm");
    let config = FakeConfig {
        polls_to_settle: 3,
        ..FakeConfig::default()
    };
    let cloud = FakeCloud::start(storage.clone(), config);
    let volume = cloud.seed_volume("v", 1);
    storage.add_snapshot_lv("doomed", &format!("volume-{volume}"), 1);
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    // The LV disappears behind Cinder's back once the import was accepted.
    let request = snapshot_request(&volume, "doomed");
    let manage = backend.manage_snapshot(&request);
    let remove = async {
        while cloud.requests_to("POST", "manageable_snapshots").is_empty() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        storage.remove_lv("doomed");
    };
    let (result, ()) = tokio::join!(manage, remove);
    let err = result.unwrap_err();
    let record = cloud
        .snapshot_ids()
        .into_iter()
        .find(|id| cloud.snapshot_status(id).as_deref() == Some("error"));
    let record = record.expect("Cinder keeps an error record");
    assert!(
        matches!(&err, Error::Backend(m) if m.contains(&format!("snapshot {record} went to status error"))
        && m.contains("delete it")),
        "{err}"
    );
}

#[tokio::test]
async fn unmanage_snapshot_waits_until_cinder_forgets_it() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    let snapshot = cloud.seed_snapshot(&volume, "s");
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    backend.unmanage_snapshot(&snapshot).await.unwrap();
    assert!(matches!(
        backend.snapshot(&snapshot).await,
        Err(Error::NotFound(_))
    ));
    assert!(
        cloud
            .storage()
            .lv(&format!("_snapshot-{snapshot}"))
            .is_some(),
        "data stays on the back end"
    );
    let post = cloud.requests_to("POST", "/action").pop().unwrap();
    assert!(post.path.ends_with(&format!("snapshots/{snapshot}/action")));
    assert_eq!(post.json(), json!({"os-unmanage": null}));
    let listed = backend.manageable_snapshots("node@lvm").await.unwrap();
    assert!(listed[0].safe_to_manage && listed[0].cinder_id.is_none());
}

#[tokio::test]
async fn unmanage_refusals_keep_cinders_words() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    let snapshot = cloud.seed_snapshot(&volume, "s");
    cloud.set_snapshot_status(&snapshot, "creating");
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    assert_eq!(
        backend.unmanage_snapshot(&snapshot).await.unwrap_err(),
        Error::InvalidState(
            "Invalid snapshot: Snapshot status must be available or error and must not be part of a group.".into()
        )
    );
    let err = backend.unmanage_volume(&volume).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidState(m) if m.starts_with("Invalid volume: Volume status must be") && m.contains("have snapshots")),
        "{err}"
    );
    cloud.set_snapshot_status(&snapshot, "available");
    backend.unmanage_snapshot(&snapshot).await.unwrap();
    backend.unmanage_volume(&volume).await.unwrap();
    assert!(matches!(
        backend.volume(&volume).await,
        Err(Error::NotFound(_))
    ));
    let missing = "00000000-0000-0000-0000-000000000000";
    assert_eq!(
        backend.unmanage_snapshot(missing).await.unwrap_err(),
        Error::NotFound(format!("Snapshot {missing} could not be found."))
    );
}

#[tokio::test]
async fn manage_volume_posts_the_host_and_refuses_managed_volumes() {
    let cloud = FakeCloud::keystone();
    let existing = cloud.seed_volume("existing", 1);
    cloud.storage().add_volume_lv("lv-new", 3);
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    let request = |lv: &str| volume_import("node@lvm#lvm", lv);
    let err = backend
        .manage_volume(&request(&format!("volume-{existing}")))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::AlreadyManaged(m) if m.contains(&existing)),
        "{err}"
    );
    assert!(cloud.requests_to("POST", "/volume/").is_empty());

    let volume = backend.manage_volume(&request("lv-new")).await.unwrap();
    assert_eq!((volume.status.as_str(), volume.size), ("available", 3));
    assert_eq!(volume.host.as_deref(), Some("node@lvm#lvm"));
    let post = cloud
        .requests_to("POST", "manageable_volumes")
        .pop()
        .unwrap();
    assert_eq!(
        post.json(),
        json!({"volume": {"host": "node@lvm#lvm", "ref": {"source-name": "lv-new"}, "name": "adopted",
                          "description": null, "metadata": {}}})
    );
    backend.unmanage_volume(&volume.id).await.unwrap();
    assert!(
        cloud
            .storage()
            .lv(&format!("volume-{}", volume.id))
            .is_some()
    );
}

#[tokio::test]
async fn an_expired_token_is_renewed_once() {
    let cloud = FakeCloud::keystone();
    cloud.seed_volume("v", 1);
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    cloud.expire_tokens();
    assert_eq!(
        backend.volumes(&ListFilter::default()).await.unwrap().len(),
        1
    );
    assert_eq!(cloud.requests_to("POST", "auth/tokens").len(), 2);

    // A token rejected again right after renewal is not renewed in a loop.
    let unauthorized = r#"{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}"#;
    cloud.inject(
        Method::GET,
        "volumes/detail",
        401,
        "application/json",
        unauthorized,
    );
    cloud.inject(
        Method::GET,
        "volumes/detail",
        401,
        "application/json",
        unauthorized,
    );
    // A token that fresh is good: the credential does not allow the call, and the
    // message says so with Cinder's words and the call's method and path.
    let err = backend.volumes(&ListFilter::default()).await.unwrap_err();
    let Error::Unauthorized(message) = err else {
        panic!("stays Unauthorized: {err:?}")
    };
    assert!(
        message.contains(
            "a token issued just now (The request you have made requires authentication.)"
        ) && message.contains("access rules must cover GET /")
            && message.contains("/volumes/detail"),
        "{message}"
    );
    assert_eq!(cloud.requests_to("POST", "auth/tokens").len(), 3);
}

/// A busy server's answer (503 or 429) asking to come back later.
fn busy(status: u16, retry_after: &str) -> Fault {
    Fault::Answer {
        status: axum::http::StatusCode::from_u16(status).unwrap(),
        content_type: "text/html",
        body: "<html><body>busy, come back later</body></html>".into(),
        headers: vec![("Retry-After", retry_after.into())],
    }
}

#[tokio::test]
async fn a_busy_servers_retry_after_is_waited_out_on_reads_up_to_a_limit() {
    let cloud = FakeCloud::keystone();
    cloud.seed_volume("v", 1);
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    cloud.inject_fault(Method::GET, "volumes/detail", busy(503, "2"));
    cloud.inject_fault(Method::GET, "volumes/detail", busy(429, "1"));
    let started = Instant::now();
    assert_eq!(
        backend.volumes(&ListFilter::default()).await.unwrap().len(),
        1
    );
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "asked again only after the 2 s and then the 1 s the server asked for"
    );
    assert_eq!(cloud.requests_to("GET", "volumes/detail").len(), 3);

    // a server that asks for an hour gets no second request: its error is the answer
    cloud.inject_fault(Method::GET, "volumes/detail", busy(503, "3600"));
    let err = backend.volumes(&ListFilter::default()).await.unwrap_err();
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    assert_eq!(cloud.requests_to("GET", "volumes/detail").len(), 4);
}

#[tokio::test]
async fn reads_are_retried_after_5xx_and_posts_never_are() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    cloud
        .storage()
        .add_snapshot_lv("snap", &format!("volume-{volume}"), 1);
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    let html = "<html><body><h1>503 Service Unavailable</h1>No server is available.</body></html>";
    cloud.inject(Method::GET, "volumes/detail", 503, "text/html", html);
    cloud.inject(Method::GET, "volumes/detail", 502, "text/html", html);
    assert_eq!(
        backend.volumes(&ListFilter::default()).await.unwrap().len(),
        1
    );
    assert_eq!(cloud.requests_to("GET", "volumes/detail").len(), 3);

    for _ in 0..3 {
        cloud.inject(Method::GET, "volumes/detail", 503, "text/html", html);
    }
    let err = backend.volumes(&ListFilter::default()).await.unwrap_err();
    assert_eq!(
        err,
        Error::Backend(
            "HTTP 503: GET volumes/detail returned HTTP 503 Service Unavailable: 503 Service Unavailable No server is available.".into()
        )
    );

    cloud.inject(
        Method::POST,
        "manageable_snapshots",
        500,
        "application/json",
        r#"{"computeFault":{"code":500,"message":"The server has either erred or is incapable of performing the requested operation."}}"#,
    );
    let err = backend
        .manage_snapshot(&snapshot_request(&volume, "snap"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Backend(m) if m.starts_with("HTTP 500: The server has either erred")),
        "{err}"
    );
    assert_eq!(cloud.requests_to("POST", "manageable_snapshots").len(), 1);
}

#[tokio::test]
async fn the_read_only_wrapper_sends_nothing_for_mutations() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    let snapshot = cloud.seed_snapshot(&volume, "s");
    cloud
        .storage()
        .add_snapshot_lv("snap", &format!("volume-{volume}"), 1);
    cloud.storage().add_volume_lv("lv", 1);
    let dir = TempDir::new().unwrap();
    let backend = ReadOnly::new(Box::new(connect(&cloud, &dir).await));
    assert!(backend.info().read_only);
    cloud.clear_requests();
    let results = [
        backend
            .manage_snapshot(&snapshot_request(&volume, "snap"))
            .await
            .err(),
        backend.unmanage_snapshot(&snapshot).await.err(),
        backend.unmanage_volume(&volume).await.err(),
        backend
            .manage_volume(&ManageVolumeRequest {
                host: "node@lvm".into(),
                reference: Reference::name("lv"),
                name: None,
                description: None,
                metadata: BTreeMap::new(),
                without_listing: false,
            })
            .await
            .err(),
    ];
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_some_and(Error::is_read_only))
    );
    assert!(cloud.requests().is_empty(), "{:?}", cloud.requests());
    assert_eq!(
        backend.volumes(&ListFilter::default()).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn a_slow_manageable_listing_blocks_no_other_call_and_has_its_own_timeout() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    cloud
        .storage()
        .add_snapshot_lv("snap", &format!("volume-{volume}"), 1);
    let dir = TempDir::new().unwrap();
    let backend = connect_with(&cloud, dir.path(), |o| {
        o.read_timeout = Duration::from_millis(300);
        o.manageable_timeout = Duration::from_secs(30);
    })
    .await;
    cloud.hold_manageable();
    let listing = backend.manageable_snapshots("node@lvm");
    let meanwhile = async {
        while cloud.requests_to("GET", "manageable_snapshots").is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let volumes = backend.volumes(&ListFilter::default()).await.unwrap();
        let hosts = backend.hosts().await.unwrap();
        // Longer than the ordinary read timeout, well within the listing's.
        tokio::time::sleep(Duration::from_millis(600)).await;
        cloud.open_manageable();
        (volumes.len(), hosts.len())
    };
    let (listed, (volumes, hosts)) = tokio::join!(listing, meanwhile);
    assert_eq!((volumes, hosts), (1, 1));
    assert_eq!(listed.unwrap().len(), 1);
}

#[tokio::test]
async fn application_credentials_log_in_without_a_scope() {
    let cloud = FakeCloud::keystone();
    let dir = TempDir::new().unwrap();
    let yaml = format!(
        "clouds:
  fake:
    auth_type: v3applicationcredential
    auth:
      auth_url: {}
      application_credential_id: {}
      application_credential_secret: {}
",
        cloud.auth_url(),
        support::fake_cinder::APP_CRED_ID,
        support::fake_cinder::APP_CRED_SECRET
    );
    let backend = RemoteBackend::connect(options(sources_with(dir.path(), &yaml)))
        .await
        .unwrap();
    backend.volumes(&ListFilter::default()).await.unwrap();
    let login = cloud
        .requests_to("POST", "auth/tokens")
        .pop()
        .unwrap()
        .json();
    assert!(login["auth"].get("scope").is_none());
    assert_eq!(
        login["auth"]["identity"]["methods"],
        json!(["application_credential"])
    );
    assert_eq!(
        backend.info().identity.as_deref(),
        Some("cloud=fake application-credential=appcred-0001"),
        "the header names the credential by id, never its secret"
    );
}

#[tokio::test]
async fn a_wrong_password_is_unauthorized_with_keystones_message() {
    let cloud = FakeCloud::keystone();
    let dir = TempDir::new().unwrap();
    let yaml = support::password_yaml(&cloud).replace(support::fake_cinder::PASSWORD, "wrong");
    let err = RemoteBackend::connect(options(sources_with(dir.path(), &yaml)))
        .await
        .err()
        .unwrap();
    assert_eq!(
        err,
        Error::Unauthorized("The request you have made requires authentication.".into())
    );
}

#[tokio::test]
async fn noauth_and_admin_token_use_the_configured_endpoint_without_keystone() {
    let config = FakeConfig {
        auth: support::fake_cinder::AuthMode::NoAuth,
        ..FakeConfig::default()
    };
    let cloud = FakeCloud::start(Storage::new("node@lvm", "lvm"), config);
    cloud.seed_volume("v", 1);
    let dir = TempDir::new().unwrap();
    let backend = RemoteBackend::connect(options(sources_with(dir.path(), &noauth_yaml(&cloud))))
        .await
        .unwrap();
    assert_eq!(
        backend.volumes(&ListFilter::default()).await.unwrap().len(),
        1
    );
    let call = cloud.requests_to("GET", "volumes/detail").pop().unwrap();
    assert_eq!(
        call.header("X-Auth-Token"),
        Some(format!("admin:{PROJECT}").as_str())
    );

    // The openstack client's admin_token set-up for a noauth Cinder, from OS_* variables.
    let sources = snapport::backend::remote::clouds::ConfigSources {
        env: BTreeMap::from([
            ("OS_AUTH_TYPE".to_string(), "admin_token".to_string()),
            ("OS_TOKEN".to_string(), format!("operator:{PROJECT}")),
            ("OS_ENDPOINT".to_string(), cloud.endpoint()),
        ]),
        dirs: vec![],
    };
    let backend = RemoteBackend::connect(RemoteOptions {
        cloud: None,
        ..options(sources)
    })
    .await
    .unwrap();
    assert_eq!(backend.info().label, "cloud envvars");
    assert_eq!(
        backend.info().identity.as_deref(),
        Some("cloud=envvars"),
        "a token names nobody, and is a secret"
    );
    backend.hosts().await.unwrap();
    let call = cloud.requests_to("GET", "os-services").pop().unwrap();
    assert_eq!(
        call.header("X-Auth-Token"),
        Some(format!("operator:{PROJECT}").as_str())
    );
    assert!(cloud.requests_to("POST", "auth/tokens").is_empty());
}

#[tokio::test]
async fn two_clouds_can_share_one_back_end() {
    let storage = Storage::new("node@lvm", "lvm");
    let old = FakeCloud::start(storage.clone(), FakeConfig::default());
    let new = FakeCloud::start(storage.clone(), FakeConfig::default());
    let volume = old.seed_volume("v", 1);
    let snapshot = old.seed_snapshot(&volume, "s");
    let (old_dir, new_dir) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let source = connect(&old, &old_dir).await;
    let target = connect(&new, &new_dir).await;

    source.unmanage_snapshot(&snapshot).await.unwrap();
    source.unmanage_volume(&volume).await.unwrap();
    let adopted = target
        .manage_volume(&ManageVolumeRequest {
            host: "node@lvm#lvm".into(),
            reference: Reference::name(format!("volume-{volume}")),
            name: Some("v".into()),
            description: None,
            metadata: BTreeMap::new(),
            without_listing: false,
        })
        .await
        .unwrap();
    let moved = target
        .manage_snapshot(&snapshot_request(
            &adopted.id,
            &format!("_snapshot-{snapshot}"),
        ))
        .await
        .unwrap();
    assert_eq!(moved.volume_id, adopted.id);
    assert!(
        source
            .volumes(&ListFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        storage
            .lv(&format!("_snapshot-{}", moved.id))
            .unwrap()
            .origin,
        Some(format!("volume-{}", adopted.id))
    );
}
